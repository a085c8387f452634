"""The command line as a user types it: verbs, exit codes, one-line errors, outputs on disk."""

import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, unquote

import pandas as pd
import pytest
from helpers import FIXTURES, ROOT, shared

from slr.cli import main
from slr.tables.io import read_run


def test_help_lists_the_verbs(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for verb in ("run", "harvest", "import", "status"):
        assert verb in out


def test_console_script_is_installed():
    exe = Path(sys.executable).parent / "slr"
    result = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "harvest" in result.stdout


def test_run_end_to_end_with_report(mini_project, capsys):
    protocol = mini_project / "protocols" / "mini.yaml"
    assert main(["-q", "run", str(protocol), "--run-id", "r1"]) == 0
    out = capsys.readouterr().out
    run_dir = mini_project / "outputs" / "mini" / "r1"
    assert f"report: {run_dir / 'report.html'}" in out
    for name in ("works.parquet", "works.csv", "decisions.csv", "codes.csv", "prisma.csv",
                 "sources.csv", "run.json", "report.html", "notebooks/01_corpus.ipynb",
                 "notebooks/report.ipynb", "exports/included.ris", "exports/included.bib"):  # fmt: skip
        assert (run_dir / name).is_file(), name
    run = read_run(run_dir)
    n = run["meta"]["prisma"]
    assert (n["identified"], n["duplicates"], n["screened"], n["included"]) == (12, 2, 8, 5)
    for box in ("identified", "duplicates", "automation_excluded", "screened", "screening_excluded",
                "reports_sought", "reports_not_retrieved", "reports_assessed", "reports_excluded", "included"):  # fmt: skip
        assert n[box] > 0, box
    assert run["meta"]["protocol_hash"] and set(run["decisions"]["protocol_version"]) == {
        run["meta"]["protocol_version"]
    }
    sources = run["sources"].set_index("source_id")
    assert sources.loc["oa", "status"] == "not harvested"
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "Studies included in review" in html and "Social capital" in html
    assert "import slr" not in html  # code cells are hidden
    assert (mini_project / "outputs" / "mini" / "latest").resolve() == run_dir
    # coding and topics: tables, executed notebook, page
    for name in ("topics.csv", "topic_info.csv", "topic_themes.csv", "topic_stability.csv",
                 "notebooks/02_screening.ipynb", "notebooks/03_coding.ipynb",
                 "notebooks/04_synthesis.ipynb", "notebooks/05_audit.ipynb"):  # fmt: skip
        assert (run_dir / name).is_file(), name
    assert set(run["topics"]["work_id"]) == set(
        run["decisions"].query("stage == 'eligibility' and decision == 'include'")["work_id"]
    )
    # one report: every notebook's sections, a table of contents whose links all resolve
    for section in ("Corpus and PRISMA", "Methods", "Screening", "Theme frequencies by group",
                    "Topics (BERTopic)", "Findings by research question", "Audit",
                    "Appendix: every record and its decision"):  # fmt: skip
        assert f'href="#{quote(section.replace(" ", "-"))}"' in html, section
    ids = set(re.findall(r'id="([^"]+)"', html))
    links = re.findall(r'href="#([^"]+)"', html)
    assert links and all(link in ids or unquote(link) in ids for link in links)
    import bibtexparser
    import rispy

    n = len(run["topics"])
    assert len(rispy.loads((run_dir / "exports" / "included.ris").read_text())) == n
    bib = bibtexparser.parse_string((run_dir / "exports" / "included.bib").read_text())
    assert len(bib.entries) == n and not bib.failed_blocks


def test_a_coders_rejection_is_applied_by_the_next_run(mini_project):
    from slr.coding.panel import CodingSession
    from slr.protocol import load_protocol

    path = mini_project / "protocols" / "mini.yaml"
    assert main(["-q", "run", str(path), "--run-id", "r1"]) == 0
    protocol = load_protocol(path)
    run = read_run(mini_project / "outputs" / "mini" / "r1")
    per_work = run["codes"].groupby("work_id")["theme_id"].nunique()
    work = sorted(per_work[per_work == 1].index)[0]  # its one tag keeps it in (IC4)
    theme = run["codes"].set_index("work_id").loc[work, "theme_id"]
    CodingSession(protocol, run["codes"], "ana").verdict(work, theme, "reject", note="off topic")
    assert main(["-q", "run", str(path), "--run-id", "r2"]) == 0
    again = read_run(mini_project / "outputs" / "mini" / "r2")
    human = again["codes"][again["codes"]["coder"] == "ana"]
    assert list(human["method"]) == ["human: reject (off topic)"]
    last = again["decisions"][again["decisions"]["work_id"] == work].iloc[-1]
    assert (last["stage"], last["decision"], last["criterion_id"]) == (
        "eligibility",
        "exclude",
        "IC4",
    )


def test_add_source_is_used_and_recorded(mini_project, tmp_path, capsys):
    extra = tmp_path / "extra.ris"
    extra.write_text(
        "TY  - JOUR\nTI  - Koperasi wanita dan dana bergulir di desa\nPY  - 2020\nLA  - id\n"
        "AB  - Koperasi wanita mengelola dana bergulir untuk usaha mikro anggota di desa.\nER  - \n",
        encoding="utf-8",
    )
    protocol = mini_project / "protocols" / "mini.yaml"
    assert (
        main(
            [
                "-q",
                "run",
                str(protocol),
                "--add-source",
                str(extra),
                "--run-id",
                "r2",
                "--no-report",
            ]
        )
        == 0
    )
    run = read_run(mini_project / "outputs" / "mini" / "r2")
    assert run["meta"]["added_sources"] == [str(extra.resolve())]
    assert run["meta"]["prisma"]["identified:extra-extra"] == 1
    assert run["meta"]["prisma"]["included"] == 6
    # the protocol file is untouched
    assert "extra" not in protocol.read_text(encoding="utf-8")


def test_bad_protocol_exits_1_with_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("review: [\n", encoding="utf-8")
    assert main(["run", str(bad)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("slr: error: ") and "not valid YAML" in err
    assert len(err.splitlines()) == 1


def test_malformed_source_file_fails_the_run_with_its_line(mini_project, capsys):
    (mini_project / "corpus" / "mini" / "records.ris").write_text(
        "TY  - JOUR\nTI  - cut", encoding="utf-8"
    )
    assert main(["-q", "run", str(mini_project / "protocols" / "mini.yaml")]) == 1
    err = capsys.readouterr().err
    assert "records.ris: line 1: record 1 has no `ER  - ` line" in err
    assert not (mini_project / "outputs" / "mini" / "latest").exists()


def test_import_adds_a_recorded_source(mini_project, capsys):
    protocol = mini_project / "protocols" / "mini.yaml"
    assert (
        main(["import", str(protocol), str(FIXTURES / "mini" / "records.bib"), "--id", "more-bib"])
        == 0
    )
    manifest = json.loads(
        (mini_project / "corpus" / "mini" / "imports.json").read_text(encoding="utf-8")
    )
    entry = manifest["imports"][0]
    assert entry["id"] == "more-bib" and entry["format"] == "bibtex" and entry["n_records"] == 3
    assert (mini_project / "corpus" / "mini" / entry["path"]).is_file()
    # importing the same file again is refused
    assert main(["import", str(protocol), str(FIXTURES / "mini" / "records.bib")]) == 1
    assert "already imported as source 'more-bib'" in capsys.readouterr().err
    # the next run reads it as its own source: three more records, all duplicates of the bib source
    assert main(["-q", "run", str(protocol), "--run-id", "r3", "--no-report"]) == 0
    n = read_run(mini_project / "outputs" / "mini" / "r3")["meta"]["prisma"]
    assert n["identified:more-bib"] == 3 and n["duplicates"] == 5


def test_malformed_import_is_refused_and_nothing_is_written(mini_project, tmp_path, capsys):
    protocol = mini_project / "protocols" / "mini.yaml"
    assert main(["import", str(protocol), str(FIXTURES / "mini" / "records.ris")]) == 0
    before = (mini_project / "corpus" / "mini" / "imports.json").read_bytes()
    bad = tmp_path / "bad.ris"
    bad.write_text("TY  - JOUR\nTI  - a\nER  - \nTY  - JOUR\nTI  - b\n", encoding="utf-8")
    assert main(["import", str(protocol), str(bad)]) == 1
    assert "bad.ris: line 4: record 2 has no `ER  - ` line" in capsys.readouterr().err
    assert (mini_project / "corpus" / "mini" / "imports.json").read_bytes() == before
    assert sorted(p.name for p in (mini_project / "corpus" / "mini" / "imports").iterdir()) == [
        "import-records.ris"
    ]


def test_status_shows_corpus_and_latest_run(mini_project, capsys):
    protocol = mini_project / "protocols" / "mini.yaml"
    assert main(["status", str(protocol)]) == 0
    assert "no run yet" in capsys.readouterr().out
    main(["-q", "run", str(protocol), "--no-report"])
    capsys.readouterr()
    assert main(["status", str(protocol)]) == 0
    out = capsys.readouterr().out
    assert (
        "not harvested" in out and "Studies included in review" in out and "Records screened" in out
    )


def test_harvest_offline_fails_fast_with_one_line(mini_project, capsys, monkeypatch):
    monkeypatch.setenv("SLR_OPENALEX_URL", "http://127.0.0.1:9")  # nothing listens on port 9
    assert main(["harvest", str(mini_project / "protocols" / "mini.yaml")]) == 1
    err = capsys.readouterr().err.strip()
    assert "cannot reach http://127.0.0.1:9" in err and "frozen corpus is unchanged" in err
    assert len(err.splitlines()) == 1
    assert not (mini_project / "corpus" / "mini" / "openalex" / "oa").exists()


def test_default_review_runs_on_the_committed_corpus_alone(tmp_path):
    """The committed bibliographic facts alone (no ../shared): the run works and says so."""
    import shutil

    import yaml

    for part in ("protocols", "corpus"):
        shutil.copytree(ROOT / part, tmp_path / part)
    path = tmp_path / "protocols" / "rural-community-business.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["sources"][2]["enrich_from"] = "missing/records.jsonl"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert main(["-q", "run", str(path), "--run-id", "facts", "--no-report"]) == 0
    run = read_run(tmp_path / "outputs" / "rural-community-business" / "facts")
    assert run["works"]["abstract"].isna().all()
    note = run["sources"].set_index("source_id").loc["hand-search", "note"]
    assert "full records not found" in note and "no abstracts" in note
    assert all(
        v > 0
        for k, v in run["meta"]["prisma"].items()
        if k in ("identified", "duplicates", "screened", "included")
    )


def test_default_review_uses_abstracts_when_the_full_records_are_present(tmp_path):
    shared("rural-corpus", "records.jsonl")
    import shutil

    import yaml

    for part in ("protocols", "corpus"):
        shutil.copytree(ROOT / part, tmp_path / part)
    path = tmp_path / "protocols" / "rural-community-business.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["sources"][2]["enrich_from"] = str(
        ROOT.parent / "shared" / "data" / "rural-corpus" / "records.jsonl"
    )
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert main(["-q", "run", str(path), "--run-id", "full", "--no-report"]) == 0
    run = read_run(tmp_path / "outputs" / "rural-community-business" / "full")
    n = run["meta"]["prisma"]
    assert n["identified"] == 373 and n["duplicates"] == 18  # 355 works found by 373 query hits
    for box in ("automation_excluded", "screened", "screening_excluded", "reports_sought",
                "reports_not_retrieved", "reports_assessed", "reports_excluded", "included"):  # fmt: skip
        assert n[box] > 0, box
    canonical = run["works"][run["works"]["duplicate_of"].isna()]
    assert canonical["abstract"].notna().sum() > 250
    assert isinstance(run["works"], pd.DataFrame)
