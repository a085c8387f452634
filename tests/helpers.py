"""Build small works tables from dicts, for tests."""

from __future__ import annotations

import pandas as pd

from slr.normalise import assign_work_ids
from slr.protocol import Protocol, parse_protocol
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


def make_protocol(folder, *, review_id: str = "h", **openalex_source) -> Protocol:
    """A minimal valid protocol at ``folder/protocols/`` with one OpenAlex source ``oa``."""
    data = {
        "review": {
            "id": review_id,
            "title": "t",
            "questions": {"RQ1": "a", "RQ2": "b", "RQ3": "c"},
        },
        "sources": [{"id": "oa", "type": "openalex", **openalex_source}],
        "criteria": [{"id": "IC1", "label": "x"}],
        "codebook": [
            {
                "id": "P01",
                "group": "potential",
                "label": "l",
                "definition": "d",
                "terms": {"en": ["x"]},
            }
        ],
    }
    (folder / "protocols").mkdir(exist_ok=True)
    return parse_protocol(data, path=folder / "protocols" / f"{review_id}.yaml")
