"""The command line refuses what would lose or misplace a review's files: names that leave their
folder, a user's file where `latest` goes, runs that did not finish, damaged logs. Nothing that
was saved is changed by a refusal."""

import pandas as pd
import pytest
from helpers import FIXTURES
from kills import hashes

from slr.cli import main
from slr.layout import head_file
from slr.tables.contracts import DECISIONS
from slr.tables.log import append_log, read_log
from slr.tables.schema import conform


@pytest.mark.parametrize(
    "args",
    [
        ["import", "{protocol}", str(FIXTURES / "mini" / "records.bib"), "--id", "../mini"],
        ["import", "{protocol}", str(FIXTURES / "mini" / "records.bib"), "--id", "/tmp/abs"],
        ["import", "{protocol}", str(FIXTURES / "mini" / "records.bib"), "--id", ".hidden"],
        ["run", "{protocol}", "--no-report", "--run-id", "../../../x"],
        ["run", "{protocol}", "--no-report", "--run-id", "latest"],
        ["run", "{protocol}", "--no-report", "--run-id", "a/b"],
    ],
)
def test_names_that_would_leave_their_folder_are_refused_before_anything_is_written(
    mini_project, capsys, args
):
    protocol = mini_project / "protocols" / "mini.yaml"
    before = hashes(mini_project.parent, volatile=False)
    assert main(["-q", *[a.replace("{protocol}", str(protocol)) for a in args]]) == 1
    err = capsys.readouterr().err
    assert "cannot name a file: use 1–100 letters, digits" in err and len(err.splitlines()) == 1
    assert hashes(mini_project.parent, volatile=False) == before


def test_a_file_of_the_users_where_latest_goes_is_never_replaced(mini_project, capsys):
    protocol = mini_project / "protocols" / "mini.yaml"
    latest = mini_project / "outputs" / "mini" / "latest"
    latest.parent.mkdir(parents=True)
    latest.write_text("my notes", encoding="utf-8")
    assert main(["-q", "run", str(protocol), "--no-report", "--run-id", "r1"]) == 1
    assert "is not slr's link to the newest run; move it away" in capsys.readouterr().err
    assert latest.read_text(encoding="utf-8") == "my notes"
    assert not (mini_project / "outputs" / "mini" / "r1").exists()  # refused before any work


def test_a_run_that_did_not_finish_is_never_reused_or_compared(mini_project, capsys):
    protocol = mini_project / "protocols" / "mini.yaml"
    for run in ("r1", "r2"):
        assert main(["-q", "run", str(protocol), "--no-report", "--run-id", run]) == 0
    runs = mini_project / "outputs" / "mini"
    (runs / "r1" / "manifest.json").unlink()  # what a kill before the end leaves
    capsys.readouterr()
    for args in (
        ["run", str(protocol), "--no-report", "--from", "coding", "--reuse", str(runs / "r1")],
        ["diff", str(runs / "r1"), str(runs / "r2")],
        ["export", str(protocol), "x.csv", "--run", str(runs / "r1")],
    ):
        assert main(["-q", *args]) == 1
        assert "an incomplete run (no manifest.json" in capsys.readouterr().err
    assert main(["status", str(protocol)]) == 0
    assert "incomplete runs (stopped before they finished): r1" in capsys.readouterr().out


def test_an_empty_add_source_is_refused_as_import_refuses_it(mini_project, tmp_path, capsys):
    empty = tmp_path / "empty.ris"
    empty.write_text("", encoding="utf-8")
    protocol = mini_project / "protocols" / "mini.yaml"
    assert main(["-q", "run", str(protocol), "--no-report", "--add-source", str(empty)]) == 1
    assert "no records found" in capsys.readouterr().err


def _screened(run_dir, n):
    """``n`` works the rules passed to people at title/abstract in run ``run_dir``."""
    d = pd.read_csv(run_dir / "decisions.csv")
    return list(
        d.loc[(d["stage"] == "title_abstract") & (d["decision"] == "include"), "work_id"][:n]
    )


def _decisions(*work_ids, decision="include"):
    base = {"stage": "title_abstract", "decision": decision, "reviewer": "ana",
            "decided_at": "2026-01-01T00:00:00Z", "protocol_version": "v", "reason": "IC3"}  # fmt: skip
    return conform(pd.DataFrame([{**base, "work_id": w} for w in work_ids]), DECISIONS)


def test_a_torn_log_stops_the_run_and_verify_repair_mends_it(mini_project, capsys):
    protocol = mini_project / "protocols" / "mini.yaml"
    log = mini_project / "corpus" / "mini" / "screening" / "decisions.csv"
    assert main(["-q", "run", str(protocol), "--no-report", "--run-id", "r1"]) == 0
    append_log(log, _decisions(*_screened(mini_project / "outputs" / "mini" / "r1", 2)))
    whole = log.read_bytes()
    log.write_bytes(whole + whole.splitlines(keepends=True)[-1][:20])  # cut off mid-write
    capsys.readouterr()
    assert main(["-q", "run", str(protocol), "--no-report", "--run-id", "r2"]) == 1
    assert "its last line (line 4, row 3) is incomplete" in capsys.readouterr().err
    assert not (mini_project / "outputs" / "mini" / "r2").exists()
    assert main(["verify", str(protocol)]) == 1
    assert main(["verify", str(protocol), "--repair"]) == 0
    out = capsys.readouterr().out
    assert "removed the torn line 4" in out and out.rstrip().endswith("intact")
    assert log.read_bytes() == whole
    assert main(["-q", "run", str(protocol), "--no-report", "--run-id", "r2"]) == 0


def test_a_rewritten_log_is_caught_by_what_earlier_runs_recorded(mini_project, capsys):
    protocol = mini_project / "protocols" / "mini.yaml"
    log = mini_project / "corpus" / "mini" / "screening" / "decisions.csv"
    assert main(["-q", "run", str(protocol), "--no-report", "--run-id", "r0"]) == 0
    append_log(log, _decisions(*_screened(mini_project / "outputs" / "mini" / "r0", 3)))
    assert main(["-q", "run", str(protocol), "--no-report", "--run-id", "r1"]) == 0
    # someone flips a decision and recomputes every hash and the head: the chain is "intact"
    forged = read_log(log)
    forged.loc[1, "decision"] = "exclude"
    forged.loc[1, "reason"] = "EC1"
    log.unlink()
    head_file(log).unlink()
    append_log(log, forged.drop(columns="row_hash"))
    capsys.readouterr()
    assert main(["-q", "run", str(protocol), "--no-report", "--run-id", "r2"]) == 1
    err = capsys.readouterr().err
    assert "run r1 recorded row 3's hash as" in err and "rows up to 3 were rewritten" in err
    assert main(["verify", str(protocol)]) == 1
    assert "run r1 recorded row 3's hash" in capsys.readouterr().err
