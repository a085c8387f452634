"""The tamper-evident screening log: hash chain, appends from the head, locks, incremental reads."""

import pandas as pd
import pytest

from slr.errors import SchemaError
from slr.tables.contracts import DECISIONS
from slr.tables.log import LogReader, append_log, read_log, read_verified_log, verify_log
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
    with pytest.raises(SchemaError, match="damaged, nothing appended: its last row does not match"):
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
    """The lock serialises writers: every row is kept and the chain stays intact."""
    import subprocess
    import sys

    log = tmp_path / "decisions.csv"
    script = (
        "import sys, pandas as pd\n"
        "from slr.tables.log import append_log\n"
        "from slr.tables.contracts import DECISIONS\n"
        "from slr.tables.schema import conform\n"
        "for i in range(40):\n"
        "    row = {'work_id': f'{sys.argv[2]}{i}', 'stage': 'title_abstract', 'decision': "
        "'include', 'reviewer': sys.argv[2], 'decided_at': 'now', 'protocol_version': 'v'}\n"
        "    append_log(sys.argv[1], conform(pd.DataFrame([row]), DECISIONS))\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(log), who]) for who in ("A", "B")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    assert len(read_log(log)) == 80 and verify_log(log) == []


def test_a_log_without_its_head_is_verified_whole_before_an_append(tmp_path):
    from slr.layout import head_file

    log = tmp_path / "decisions.csv"
    append_log(log, _rows("W1", "W2"))
    head_file(log).unlink()
    append_log(log, _rows("W3"))  # the chain is checked in full, then continued
    assert list(read_log(log)["work_id"]) == ["W1", "W2", "W3"] and verify_log(log) == []
    head_file(log).unlink()
    log.write_text(log.read_text(encoding="utf-8").replace("W2,", "W9,"), encoding="utf-8")
    with pytest.raises(SchemaError, match="damaged, nothing appended: row 2"):
        append_log(log, _rows("W4"))
