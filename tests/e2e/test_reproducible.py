"""Reproducibility: identical outputs for identical inputs, the manifest, `slr diff`, and a
notebook that fails."""

import json
from pathlib import Path

import pytest

from slr.cli import main
from slr.errors import RunError
from slr.tables.io import read_run


def _run(project: Path, run_id: str, *extra: str) -> Path:
    assert main(["-q", "run", str(project / "protocols" / "mini.yaml"), "--run-id", run_id,
                 *extra]) == 0  # fmt: skip
    return project / "outputs" / "mini" / run_id


def test_two_runs_write_identical_outputs_and_a_full_manifest(mini_project):
    a, b = _run(mini_project, "a"), _run(mini_project, "b")
    ma = json.loads((a / "manifest.json").read_text())
    mb = json.loads((b / "manifest.json").read_text())
    on_disk = sorted(
        str(p.relative_to(a)) for p in a.rglob("*") if p.is_file() and p.name != "manifest.json"
    )
    assert [o["path"] for o in ma["outputs"]] == on_disk  # every output, hashed
    assert {"report.html", "notebooks/report.ipynb", "decisions.csv", "works.parquet"} <= set(
        on_disk
    )
    assert ma["outputs"] == mb["outputs"]  # identical bytes, file by file
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


def test_diff_lists_what_an_added_source_changed(mini_project, tmp_path, capsys):
    a = _run(mini_project, "a")
    extra = tmp_path / "extra.ris"
    extra.write_text(
        "TY  - JOUR\nTI  - Koperasi wanita dan dana bergulir di desa\nPY  - 2020\nLA  - id\n"
        "AB  - Koperasi wanita mengelola dana bergulir untuk usaha mikro anggota di desa.\nER  - \n",
        encoding="utf-8",
    )
    b = _run(mini_project, "b", "--add-source", str(extra))
    capsys.readouterr()
    assert main(["diff", str(a), str(b), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    new = set(read_run(b)["works"]["work_id"]) - set(read_run(a)["works"]["work_id"])
    assert set(d["works_added"]) == new and len(new) == 1 and d["works_removed"] == []
    assert d["counts"]["identified"] == {"a": 12, "b": 13}
    assert {r["work_id"] for r in d["decisions_changed"]} == new
    assert "decisions.csv" in d["outputs_changed"] and "run.json" in d["outputs_changed"]
    assert main(["diff", str(a), str(a)]) == 0
    assert "identical" in capsys.readouterr().out


def test_a_failing_notebook_is_saved_and_named(tmp_path):
    from slr.report.notebooks import execute_notebook

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


def test_run_from_a_stage_reuses_the_earlier_outputs(mini_project, capsys):
    path = str(mini_project / "protocols" / "mini.yaml")
    out = mini_project / "outputs" / "mini"
    assert main(["-q", "run", path, "--from", "coding"]) == 1  # nothing to reuse yet
    assert "run `slr run` first" in capsys.readouterr().err
    full = _run(mini_project, "full")
    for stage in ("coding", "synthesis", "report"):
        assert main(["-q", "run", path, "--run-id", stage, "--from", stage,
                     "--reuse", str(full)]) == 0  # fmt: skip
        m = json.loads((out / stage / "manifest.json").read_text())
        assert m["from_stage"] == stage and m["reused_run"] == "outputs/mini/full"
        # same inputs, same outputs: every file as the full run wrote it
        mf = json.loads((full / "manifest.json").read_text())
        assert m["outputs"] == mf["outputs"], stage
    # with new verdicts, --from coding applies them without re-reading the sources
    from slr.coding.panel import CodingSession
    from slr.protocol import load_protocol

    protocol = load_protocol(path)
    codes = read_run(full)["codes"]
    w, t = codes.iloc[0]["work_id"], codes.iloc[0]["theme_id"]
    CodingSession(protocol, codes, "ana").verdict(w, t, "reject")
    assert main(["-q", "run", path, "--run-id", "recode", "--from", "coding"]) == 0
    d = read_run(out / "recode")
    assert (w, t) in set(zip(d["codes"]["work_id"], d["codes"]["theme_id"], strict=True))
    assert "human: reject" in set(d["codes"]["method"])
