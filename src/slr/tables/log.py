"""The tamper-evident screening log: every decision row carries a hash chained to the row
before it, so an edited, inserted or deleted row is found by :func:`verify_chain`.

``row_hash = SHA-256(previous row_hash + the row's other values)``; the first row chains to
the empty string. The log's head (row count and last hash) is kept beside it, so deleting the
last rows is found too. The chain functions are pure; :func:`append_log`, :func:`read_log` and
:func:`verify_log` read and write the log through :mod:`slr.tables.io`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from slr.errors import SchemaError, SlrError
from slr.layout import head_file
from slr.tables.io import append_rows, read_json, read_table, write_json
from slr.tables.schema import DECISIONS, conform

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


# ---------------------------------------------------------------------- the log on disk


def _log_and_head(path: Path) -> tuple[pd.DataFrame, dict | None]:
    """An existing log's rows and its head (``None`` when the head file is missing)."""
    head_path = head_file(path)
    return read_log(path), (read_json(head_path) if head_path.exists() else None)


def append_log(path: str | Path, rows: pd.DataFrame) -> pd.DataFrame:
    """Append decision rows to a hash-chained screening log (created when absent).

    The rows get their ``row_hash`` chained to the log's last row; the log is written
    atomically and its head (row count, last hash) updated. Refuses to append to a log whose
    chain is broken. Returns the rows as written.
    """
    path = Path(path)
    previous = GENESIS
    n_before = 0
    if path.exists():
        existing, head = _log_and_head(path)
        problems = verify_chain(existing, head)
        if problems:
            raise SchemaError(
                f"{path}: the screening log is damaged, nothing appended: {problems[0]}"
            )
        if len(existing):
            previous = str(existing["row_hash"].iloc[-1])
        n_before = len(existing)
    chained = chain_rows(conform(rows, DECISIONS), previous)
    append_rows(path, chained, DECISIONS)
    write_json(
        head_file(path),
        {
            "rows": n_before + len(chained),
            "last_hash": chained["row_hash"].iloc[-1] if len(chained) else previous,
        },
    )
    return chained


def read_log(path: str | Path) -> pd.DataFrame:
    """A screening log's rows (empty when the log does not exist yet)."""
    path = Path(path)
    return read_table(path, DECISIONS) if path.exists() else DECISIONS.empty()


def verify_log(path: str | Path) -> list[str]:
    """Every edited, inserted or deleted row of a screening log, in words."""
    path = Path(path)
    if not path.exists():
        raise SlrError(f"{path}: no screening log here")
    rows, head = _log_and_head(path)
    problems = verify_chain(rows, head)
    if head is None:
        problems.append(
            f"{head_file(path).name} is missing: deleted rows at the end cannot be detected"
        )
    return problems
