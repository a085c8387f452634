"""Tables on disk: round trips, contracts checked on read and write, appends, atomic writes."""

import pandas as pd
import pytest
from helpers import FIXTURES

from slr.errors import SchemaError, SlrError
from slr.ingest.normalise import assign_work_ids, normalise_source
from slr.ingest.sources import read_source
from slr.tables import io
from slr.tables.contracts import DECISIONS, WORKS
from slr.tables.schema import conform, validate


def _works():
    return assign_work_ids(
        normalise_source(read_source(FIXTURES / "mini" / "records.ris"), source_id="ris")
    )


def test_works_round_trip_parquet_and_csv(tmp_path):
    works = _works()
    io.write_parquet(works, tmp_path / "works.parquet", WORKS)
    io.write_csv(works, tmp_path / "works.csv", WORKS)
    back = io.read_table(tmp_path / "works.parquet", WORKS)
    pd.testing.assert_frame_equal(back, works)
    from_csv = io.read_table(tmp_path / "works.csv", WORKS)
    assert list(from_csv["authors"]) == list(works["authors"])
    assert list(from_csv["publication_year"]) == list(works["publication_year"])


def test_schema_is_checked_on_read(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"work_id": ["W1"], "title": [1]}), tmp_path / "bad.parquet")
    with pytest.raises(SchemaError, match="schema differs from the works contract"):
        io.read_table(tmp_path / "bad.parquet", WORKS)


def test_schema_is_checked_on_write(tmp_path):
    works = _works()
    works.loc[0, "work_id"] = works.loc[1, "work_id"]
    with pytest.raises(SchemaError, match=r"key \('work_id',\) is not unique"):
        io.write_parquet(works, tmp_path / "works.parquet", WORKS)
    assert not (tmp_path / "works.parquet").exists()


def test_conform_refuses_unknown_columns():
    with pytest.raises(SchemaError, match="unexpected columns \\['oops'\\]"):
        conform(pd.DataFrame({"work_id": ["W1"], "oops": [1]}), WORKS)


def _decision(wid: str) -> pd.DataFrame:
    return conform(
        pd.DataFrame(
            [
                {
                    "work_id": wid,
                    "stage": "title_abstract",
                    "decision": "include",
                    "reviewer": "me",
                    "decided_at": "2026-01-01T00:00:00Z",
                    "protocol_version": "1+abc",
                }
            ]
        ),
        DECISIONS,
    )


def test_append_rows_keeps_existing_bytes(tmp_path):
    log = tmp_path / "decisions.csv"
    io.append_rows(log, _decision("W1"), DECISIONS)
    before = log.read_bytes()
    io.append_rows(log, _decision("W2"), DECISIONS)
    after = log.read_bytes()
    assert after.startswith(before)
    assert list(io.read_table(log, DECISIONS)["work_id"]) == ["W1", "W2"]


def test_append_refuses_a_foreign_or_damaged_log(tmp_path):
    log = tmp_path / "decisions.csv"
    log.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="header does not match"):
        io.append_rows(log, _decision("W1"), DECISIONS)
    assert log.read_text(encoding="utf-8") == "a,b\n1,2\n"
    io.append_rows(tmp_path / "ok.csv", _decision("W1"), DECISIONS)
    damaged = tmp_path / "ok.csv"
    damaged.write_bytes(damaged.read_bytes().rstrip(b"\n"))
    with pytest.raises(
        SchemaError,
        match="nothing appended: its last line \\(line 2, row 1\\) is incomplete.*delete that line",
    ):
        io.append_rows(damaged, _decision("W2"), DECISIONS)


def test_atomic_write_leaves_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "t.txt"
    io.write_text(target, "old")
    with pytest.raises(RuntimeError), io.atomic_path(target) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("crash mid-write")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.txt"]


def test_validate_reports_required_and_dtype_problems():
    works = _works()
    bad = works.copy()
    bad["source_id"] = pd.array([None] * len(bad), dtype="string")
    with pytest.raises(SchemaError, match="required column 'source_id' is empty in row 0"):
        validate(bad, WORKS)
    bad = works.copy()
    bad["publication_year"] = bad["publication_year"].astype("float64")
    with pytest.raises(SchemaError, match="publication_year' has dtype float64"):
        validate(bad, WORKS)


def test_a_run_folder_without_a_table_is_named_and_refused(tmp_path):
    with pytest.raises(SlrError, match="not a run folder"):
        io.read_run(tmp_path)
    (tmp_path / "run.json").write_text("{}", encoding="utf-8")
    with pytest.raises(
        SchemaError, match=r"no works\.parquet: the run is incomplete.*run it again"
    ):
        io.read_run(tmp_path)
