"""The tamper-evident screening log: hash chain, appends from the head, locks, incremental reads."""

import json

import pandas as pd
import pytest

from slr.errors import SchemaError
from slr.layout import head_file
from slr.tables.contracts import DECISIONS
from slr.tables.log import (
    LogReader,
    append_log,
    head_of,
    read_log,
    read_verified_log,
    repair_log,
    verify_log,
)
from slr.tables.schema import conform


def _rows(*work_ids):
    base = {"stage": "title_abstract", "decision": "include", "reviewer": "ana",
            "decided_at": "2026-01-01T00:00:00Z", "protocol_version": "v"}  # fmt: skip
    return conform(pd.DataFrame([{**base, "work_id": w} for w in work_ids]), DECISIONS)


def test_hash_chain_detects_an_edited_row(tmp_path):
    log = tmp_path / "decisions.csv"
    append_log(log, _rows("W1", "W2"))
    append_log(log, _rows("W3"))
    assert verify_log(log) == []
    text = log.read_text(encoding="utf-8").replace(
        "W2,title_abstract,include", "W2,title_abstract,exclude"
    )
    log.write_text(text, encoding="utf-8")
    problems = verify_log(log)
    assert len(problems) == 1 and problems[0].startswith("row 2 (work W2): the hash does not match")
    # an append chains from the head (its cost does not grow with the log): the edit in the
    # middle is still found by verify, and a run refuses the log
    append_log(log, _rows("W4"))
    assert verify_log(log) == problems
    with pytest.raises(SchemaError, match="damaged .*row 2 \\(work W2\\).*slr verify"):
        read_verified_log(log)
    # a deleted last row leaves the log's end unlike its head: appending is refused, and
    # nothing is written
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    log.write_text("".join(lines[:-1]), encoding="utf-8")
    before = log.read_bytes()
    with pytest.raises(
        SchemaError, match="damaged, nothing appended: .*rows were deleted from the end"
    ):
        append_log(log, _rows("W6"))
    assert log.read_bytes() == before


def test_hash_chain_detects_deleted_rows(tmp_path):
    log = tmp_path / "decisions.csv"
    append_log(log, _rows("W1", "W2", "W3"))
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    log.write_text("".join(lines[:2] + lines[3:]), encoding="utf-8")  # delete W2
    problems = verify_log(log)
    assert any("row 2 (work W3)" in p for p in problems)
    assert any("the log has 2 rows but its head records 3" in p for p in problems)
    log.write_text("".join(lines[:3]), encoding="utf-8")  # delete the last row
    assert any("rows were deleted from the end" in p for p in verify_log(log))


def test_a_log_reader_reads_only_what_was_appended_and_notices_a_rewrite(tmp_path):
    log = tmp_path / "decisions.csv"
    reader = LogReader(log)
    assert reader.read().empty
    append_log(log, _rows("W1", "W2"))
    first = reader.read()
    assert list(first["work_id"]) == ["W1", "W2"]
    assert reader.read() is first  # nothing new: nothing read
    append_log(log, _rows("W3"))
    assert list(reader.read()["work_id"]) == ["W1", "W2", "W3"]
    assert reader.read().equals(read_log(log))
    # a rewrite (not an append) is read whole again
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    log.write_text("".join(lines[:2] + [lines[3]]), encoding="utf-8")
    assert list(reader.read()["work_id"]) == ["W1", "W3"]


def test_two_processes_appending_at_once_keep_the_chain(tmp_path):
    """The lock serialises writers: two reviewers × 500 decisions → 1,000 rows, chain intact."""
    import subprocess
    import sys

    log = tmp_path / "decisions.csv"
    script = (
        "import sys, pandas as pd\n"
        "from slr.tables.log import append_log\n"
        "from slr.tables.contracts import DECISIONS\n"
        "from slr.tables.schema import conform\n"
        "for i in range(500):\n"
        "    row = {'work_id': f'{sys.argv[2]}{i}', 'stage': 'title_abstract', 'decision': "
        "'include', 'reviewer': sys.argv[2], 'decided_at': 'now', 'protocol_version': 'v'}\n"
        "    append_log(sys.argv[1], conform(pd.DataFrame([row]), DECISIONS))\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(log), who]) for who in ("A", "B")]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    rows = read_log(log)
    assert len(rows) == 1000 and verify_log(log) == []
    assert (rows["reviewer"] == "A").sum() == 500


def test_a_log_without_its_head_is_refused_until_repaired(tmp_path):
    log = tmp_path / "decisions.csv"
    append_log(log, _rows("W1", "W2"))
    head_file(log).unlink()
    before = log.read_bytes()
    with pytest.raises(SchemaError, match="head .* is missing.*slr verify --repair"):
        append_log(log, _rows("W3"))
    assert log.read_bytes() == before
    assert any("is missing" in p for p in verify_log(log))
    with pytest.raises(SchemaError, match="is missing"):
        read_verified_log(log)
    assert repair_log(log, tmp_path / "backup") == [
        "wrote the head from the verified chain (2 rows)"
    ]
    append_log(log, _rows("W3"))
    assert list(read_log(log)["work_id"]) == ["W1", "W2", "W3"] and verify_log(log) == []
    # an edited chain is not "repaired": that needs a person
    head_file(log).unlink()
    log.write_text(log.read_text(encoding="utf-8").replace("W2,", "W9,"), encoding="utf-8")
    with pytest.raises(SchemaError, match="cannot repair: row 2"):
        repair_log(log, tmp_path / "backup")


def test_a_torn_last_line_is_named_as_people_count_and_repaired_after_a_backup(tmp_path):
    log = tmp_path / "decisions.csv"
    append_log(log, _rows("W1", "W2"))
    whole = log.read_bytes()
    torn = whole + b"W3,title_abs"  # what a kill in the middle of a write leaves
    log.write_bytes(torn)
    message = "last line \\(line 4, row 3\\) is incomplete.*slr verify --repair"
    with pytest.raises(SchemaError, match=message):
        append_log(log, _rows("W4"))
    with pytest.raises(SchemaError, match=message):
        read_log(log)
    assert verify_log(log)[0].startswith("its last line (line 4, row 3) is incomplete")
    with pytest.raises(SchemaError, match="damaged"):
        read_verified_log(log)
    backup = tmp_path / "decisions.csv.bak"
    done = repair_log(log, backup)
    assert done[0].startswith("removed the torn line 4") and backup.read_bytes() == torn
    assert log.read_bytes() == whole and verify_log(log) == []


def test_rows_appended_before_a_writer_could_update_the_head_are_taken_up(tmp_path):
    """A writer stopped between appending and updating the head leaves a head that lags: the
    rows after it chain from it, so the next append brings the head up to date."""
    log = tmp_path / "decisions.csv"
    append_log(log, _rows("W1"))
    stale_head = head_file(log).read_bytes()
    append_log(log, _rows("W2", "W3"))
    head_file(log).write_bytes(stale_head)
    assert verify_log(log) == []
    append_log(log, _rows("W4"))
    assert len(read_log(log)) == 4 and verify_log(log) == []
    assert json.loads(head_file(log).read_text())["rows"] == 4
    # rows added after the head that do not chain from it are refused
    head_file(log).write_bytes(stale_head)
    text = log.read_text(encoding="utf-8").replace("W3,", "W7,")
    log.write_text(text, encoding="utf-8")
    with pytest.raises(SchemaError, match="nothing appended: row 3 \\(work W7\\)"):
        append_log(log, _rows("W5"))


def test_a_rewritten_history_is_found_against_what_earlier_runs_recorded(tmp_path):
    """The chain has no key: anyone can recompute every hash and the head. What an earlier run
    recorded of the log (its row count and last hash) still shows the rewrite."""
    log = tmp_path / "decisions.csv"
    append_log(log, _rows("W1", "W2"))
    anchor = {"where": "run r1", **head_of(read_log(log))}
    append_log(log, _rows("W3"))
    assert verify_log(log, [anchor]) == []
    forged = read_log(log)
    forged.loc[1, "decision"] = "exclude"  # W2 flipped, every hash and the head recomputed
    log.unlink()
    head_file(log).unlink()
    append_log(log, forged.drop(columns="row_hash"))
    assert verify_log(log) == []  # the chain alone cannot tell
    problems = verify_log(log, [anchor])
    assert problems == [
        f"run r1 recorded row 2's hash as {anchor['last_hash'][:12]}…; it is now "
        f"{read_log(log)['row_hash'].iloc[1][:12]}…: rows up to 2 were rewritten"
    ]
    with pytest.raises(SchemaError, match="run r1 recorded row 2"):
        read_verified_log(log, [anchor])
