"""Reproducibility: identical outputs for identical inputs, the manifest, `slr run --from`,
`slr diff`, and a notebook that fails."""

import json
from pathlib import Path

import pytest

from slr.cli import main
from slr.coding.review import CodingSession
from slr.errors import RunError
from slr.protocol import load_protocol
from slr.report.notebooks import execute_notebook
from slr.tables.io import read_run

EXTRA = (
    "TY  - JOUR\nTI  - Koperasi wanita dan dana bergulir di desa\nPY  - 2020\nLA  - id\n"
    "AB  - Koperasi wanita mengelola dana bergulir untuk usaha mikro anggota di desa.\nER  - \n"
)


def _manifest(run_dir: Path) -> dict:
    return json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))


def _hashes(run_dir: Path) -> dict[str, str]:
    return {o["path"]: o["sha256"] for o in _manifest(run_dir)["outputs"]}


def test_reruns_write_identical_outputs_and_a_full_manifest(mini_review):
    a, b = mini_review.paths.run("a").dir, mini_review.paths.run("b").dir
    ma = _manifest(a)
    on_disk = sorted(
        str(p.relative_to(a)) for p in a.rglob("*") if p.is_file() and p.name != "manifest.json"
    )
    assert [o["path"] for o in ma["outputs"]] == on_disk  # every output, hashed
    assert {"report.html", "notebooks/report.ipynb", "decisions.csv", "works.parquet"} <= set(
        on_disk
    )
    # every stage again, tables only (--no-report): the same bytes, file by file
    ha, hb = _hashes(a), _hashes(b)
    assert set(hb) < set(ha) and all(hb[p] == ha[p] for p in hb)
    assert {p.split("/")[0] for p in hb} == {p.split("/")[0] for p in ha} - {
        "figures",
        "notebooks",
        "report.html",
    }
    # the report stage again: figures, notebooks and report.html as the full run wrote them
    report = mini_review.run("again", "--from", "report", "--reuse", str(a))
    assert _hashes(report) == ha
    assert ma["run_id"] == "a" and ma["started_at"] <= ma["finished_at"]
    inputs = [i["path"] for i in ma["inputs"]]
    assert inputs[0] == "protocols/mini.yaml"
    assert {"corpus/mini/records.ris", "corpus/mini/records.bib", "corpus/mini/records.csv"} <= set(
        inputs
    )
    assert ma["protocol_hash"] and ma["seeds"] == {"protocol": 42, "topics": 42}
    assert ma["packages"]["pandas"] and "torch" in ma["packages"]
    # the times are in the manifest only
    assert "started_at" not in json.loads((a / "run.json").read_text())


def test_diff_lists_what_an_added_source_changed(mini_review, tmp_path, capsys):
    b = mini_review.paths.run("b").dir
    extra = tmp_path / "extra.ris"
    extra.write_text(EXTRA, encoding="utf-8")
    more = mini_review.run("more", "--add-source", str(extra), "--no-report")
    capsys.readouterr()
    assert main(["diff", str(b), str(more), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    new = set(read_run(more)["works"]["work_id"]) - set(read_run(b)["works"]["work_id"])
    assert set(d["works_added"]) == new and len(new) == 1 and d["works_removed"] == []
    assert d["counts"]["identified"] == {"a": 12, "b": 13}
    assert d["rows"]["works"] == {"a": 12, "b": 13}
    assert {r["work_id"] for r in d["decisions_changed"]} == new
    assert "decisions.csv" in d["outputs_changed"] and "run.json" in d["outputs_changed"]
    assert d["claims_changed"] == []  # the mini review's claims keep their verdicts
    assert main(["diff", str(b), str(b)]) == 0
    assert "identical" in capsys.readouterr().out
    # the run before the latest against the latest, as people read it: titles, boxes
    assert main(["diff", "--previous", str(mini_review.protocol)]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].endswith(f"→ {more.resolve()}")
    assert f"  + {min(new)} “Koperasi wanita dan dana bergulir di desa”" in text
    assert "PRISMA boxes changed:" in text and "identified: 12 → 13" in text


def test_diff_cuts_long_lists_and_names_missing_counts():
    from slr.report.diff import describe_diff

    d = {
        "claims_changed": [{"claim_id": "SC2", "a": "supported", "b": "mixed"}],
        "works_added": [f"W{i:02d}" for i in range(25)],
        "works_removed": [],
        "decisions_changed": [],
        "codes_added": [],
        "codes_removed": [],
        "counts": {"awaiting_assessment": {"a": None, "b": 5}},
        "rows": {},
        "outputs_changed": None,
        "titles": {"W00": "A title"},
    }
    text = describe_diff(d, "r1", "r2")
    assert "  SC2: supported → mixed" in text
    assert "  + W00 “A title”" in text and "  + W19" in text and "  + W20" not in text
    assert "  … and 5 more" in text
    assert "  awaiting_assessment: (none) → 5" in text and "None" not in text
    assert "  + W24" in describe_diff(d, "r1", "r2", shown=100)


def test_a_failing_notebook_is_saved_and_named(tmp_path):
    source = tmp_path / "09_broken.py"
    source.write_text(
        "# %% tags=['parameters']\nx = 1\n\n# %%\ny = x + 1\n\n# %%\nraise ValueError('no data')\n",
        encoding="utf-8",
    )
    out = tmp_path / "out" / "09_broken.ipynb"
    with pytest.raises(RunError, match=r"09_broken\.py failed in cell .*ValueError: no data") as e:
        execute_notebook(source, out, {"x": 2}, cwd=tmp_path)
    assert str(out) in str(e.value)
    nb = json.loads(out.read_text())
    assert any("ValueError" in json.dumps(c.get("outputs", [])) for c in nb["cells"])
    assert "start_time" not in nb["metadata"].get("papermill", {})


def test_run_from_a_stage_reuses_the_earlier_outputs(mini_review):
    b = mini_review.paths.run("b").dir
    for stage in ("coding", "synthesis"):
        again = mini_review.run(f"from-{stage}", "--from", stage, "--reuse", str(b), "--no-report")
        m = _manifest(again)
        assert m["from_stage"] == stage and m["reused_run"] == "outputs/mini/b"
        assert _hashes(again) == _hashes(b), stage  # same inputs, same outputs, file by file
    # (--from report is checked against the full run in the test above)


def test_run_from_a_stage_needs_an_earlier_run_and_applies_new_verdicts(mini_project, capsys):
    path = str(mini_project / "protocols" / "mini.yaml")
    assert main(["-q", "run", path, "--from", "coding"]) == 1  # nothing to reuse yet
    assert "run `slr run` first" in capsys.readouterr().err
    assert main(["-q", "run", path, "--run-id", "full", "--no-report"]) == 0
    out = mini_project / "outputs" / "mini"
    protocol = load_protocol(path)
    codes = read_run(out / "full")["codes"]
    w, t = codes.iloc[0]["work_id"], codes.iloc[0]["theme_id"]
    CodingSession(protocol, codes, "ana").verdict(w, t, "reject")
    assert main(["-q", "run", path, "--run-id", "recode", "--from", "coding", "--no-report"]) == 0
    d = read_run(out / "recode")
    assert (w, t) in set(zip(d["codes"]["work_id"], d["codes"]["theme_id"], strict=True))
    assert "human: reject" in set(d["codes"]["method"])
    assert (w, t) not in set(
        zip(d["current_codes"]["work_id"], d["current_codes"]["theme_id"], strict=True)
    )
