"""Build small works tables from dicts, for tests."""

from __future__ import annotations

import pandas as pd

from slr.normalise import assign_work_ids
from slr.schema import WORKS, conform


def make_works(*records: dict, source_id: str = "test") -> pd.DataFrame:
    rows = []
    for n, rec in enumerate(records, start=1):
        row = {
            "source_id": source_id,
            "source_format": "records-jsonl",
            "source_record": f"line {n}",
            "work_id": "",
        }
        row.update(rec)
        rows.append(row)
    works = conform(pd.DataFrame(rows), WORKS)
    if all(r.get("work_id") for r in records):
        return works
    return assign_work_ids(works)
