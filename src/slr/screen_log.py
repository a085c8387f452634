"""The tamper-evident screening log: every decision row carries a hash chained to the row
before it, so an edited, inserted or deleted row is found by :func:`verify_chain`.

``row_hash = SHA-256(previous row_hash + the row's other values)``; the first row chains to
the empty string. The log's head (row count and last hash) is kept beside it, so deleting the
last rows is found too. Pure functions: reading and writing the files is :mod:`slr.io`'s job.
"""

from __future__ import annotations

import hashlib
import json

import pandas as pd

from slr.schema import DECISIONS

GENESIS = ""
_FIELDS = [c.name for c in DECISIONS.columns if c.name != "row_hash"]


def row_digest(row: pd.Series | dict, previous: str) -> str:
    values = [None if pd.isna(row[f]) else str(row[f]) for f in _FIELDS]
    payload = previous + "\n" + json.dumps(values, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def chain_rows(rows: pd.DataFrame, previous: str = GENESIS) -> pd.DataFrame:
    """``rows`` with ``row_hash`` filled, continuing the chain from ``previous``."""
    rows = rows.copy()
    hashes = []
    for _, row in rows.iterrows():
        previous = row_digest(row, previous)
        hashes.append(previous)
    rows["row_hash"] = pd.array(hashes, dtype="string")
    return rows


def verify_chain(rows: pd.DataFrame, head: dict | None = None) -> list[str]:
    """Every break in the chain, in words; an empty list means the log is intact."""
    problems = []
    previous = GENESIS
    for i, (_, row) in enumerate(rows.iterrows()):
        expected = row_digest(row, previous)
        if pd.isna(row["row_hash"]):
            problems.append(
                f"row {i + 1} (work {row['work_id']}): no hash; it was not written by slr"
            )
        elif row["row_hash"] != expected:
            problems.append(
                f"row {i + 1} (work {row['work_id']}): the hash does not match: the row was "
                "edited, or the row before it was deleted or inserted"
            )
        previous = row["row_hash"] if pd.notna(row["row_hash"]) else expected
    if head is not None:
        if head.get("rows") != len(rows):
            problems.append(
                f"the log has {len(rows)} rows but its head records {head.get('rows')}: "
                f"{'rows were deleted from the end' if len(rows) < head.get('rows', 0) else 'rows were added without slr'}"
            )
        elif len(rows) and head.get("last_hash") != rows["row_hash"].iloc[-1]:
            problems.append("the last row's hash differs from the head: the last row was replaced")
    return problems
