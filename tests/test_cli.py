"""The command line as a user types it: verbs, exit codes, one-line errors, outputs on disk."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import FIXTURES

from slr.cli import main
from slr.tables.io import read_run


def test_help_lists_the_verbs(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for verb in ("run", "harvest", "import", "status"):
        assert verb in out


def test_import_help_names_the_prisma_groups(capsys):
    with pytest.raises(SystemExit):
        main(["import", "--help"])
    assert "databases, registers, websites, organisations, citations, other" in " ".join(
        capsys.readouterr().out.split()
    )


def test_status_says_why_a_per_query_source_counts_more_records(capsys):
    """The default review's hand search: 355 records, found by 373 query hits, which PRISMA
    counts as identified (the committed file only: no ../shared needed)."""
    protocol = Path(__file__).parent.parent / "protocols" / "rural-community-business.yaml"
    assert main(["status", str(protocol)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("hand-search"))
    assert "355" in line and "373 query hits, each an identified record in PRISMA" in line


def test_console_script_is_installed():
    exe = Path(sys.executable).parent / "slr"
    result = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "harvest" in result.stdout


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
