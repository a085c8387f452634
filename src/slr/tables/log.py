"""The tamper-evident screening log: every decision row carries a hash chained to the row
before it, so an edited, inserted or deleted row is found by :func:`verify_chain`.

``row_hash = SHA-256(previous row_hash + the row's other values)``; the first row chains to
the empty string. The log's head (row count and last hash) is kept beside it, so deleting the
last rows is found too. The chain functions are pure; :func:`append_log`, :func:`read_log` and
:func:`verify_log` read and write the log through :mod:`slr.tables.io`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from slr.errors import SchemaError, SlrError
from slr.layout import head_file, lock_file
from slr.tables.contracts import DECISIONS
from slr.tables.io import (
    append_conforming,
    parse_csv,
    read_json,
    read_table,
    read_tail,
    read_tail_at,
    write_json,
)
from slr.tables.schema import Contract, conform

try:  # file locks (POSIX); where there are none, appends are not serialised across processes
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

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

_LAST_HASH = re.compile(rb",([0-9a-f]{64})\n\Z")


@contextlib.contextmanager
def _locked(path: Path, *, shared: bool = False) -> Iterator[None]:
    """Hold the log's lock, across processes (two reviewers' notebooks, a notebook and
    ``slr import-labels``): one writer at a time, and no reader while one writes
    (``shared``: a reader's lock, which other readers may hold too)."""
    lock = lock_file(path)
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as fh:
        if fcntl is not None:
            fcntl.flock(fh, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(fh, fcntl.LOCK_UN)


def _read_head(path: Path) -> dict | None:
    head = head_file(path)
    return read_json(head) if head.exists() else None


def _chain_end(path: Path) -> tuple[str, int]:
    """The last row's hash and the row count, from the head (checked against the log's last
    row) or, when the head is missing, from the whole log verified."""
    head = _read_head(path)
    if head is None:
        rows = read_table(path, DECISIONS)  # under the writer's lock already
        problems = verify_chain(rows)
        if problems:
            raise SchemaError(
                f"{path}: the screening log is damaged, nothing appended: {problems[0]}"
            )
        return (str(rows["row_hash"].iloc[-1]) if len(rows) else GENESIS), len(rows)
    found = _LAST_HASH.search(read_tail(path, 80)) if head.get("rows") else None
    last = found.group(1).decode("ascii") if found else GENESIS
    if last != head.get("last_hash", GENESIS):
        raise SchemaError(
            f"{path}: the screening log is damaged, nothing appended: its last row does not "
            "match its head (run `slr verify` to see which rows)"
        )
    return last, int(head["rows"])


def append_log(path: str | Path, rows: pd.DataFrame) -> pd.DataFrame:
    """Append decision rows to a hash-chained screening log (created when absent).

    The rows get their ``row_hash`` chained to the log's last row, are appended, and the head
    (row count, last hash) is updated, all under the log's lock. The cost does not grow with
    the log: the chain continues from the head, which is checked against the log's last row
    (the whole chain is verified by :func:`verify_log`, ``slr verify`` and at the start of a
    run). Refuses to append to a log whose end does not match its head. Returns the rows as
    written.
    """
    path = Path(path)
    with _locked(path):
        previous, n_before = _chain_end(path) if path.exists() else (GENESIS, 0)
        chained = chain_rows(conform(rows, DECISIONS), previous)
        append_conforming(path, chained, DECISIONS)
        last = chained["row_hash"].iloc[-1] if len(chained) else previous
        write_json(head_file(path), {"rows": n_before + len(chained), "last_hash": last})
    return chained


def read_log(path: str | Path) -> pd.DataFrame:
    """A screening log's rows (empty when the log does not exist yet), read while no one
    appends."""
    path = Path(path)
    if not path.exists():
        return DECISIONS.empty()
    with _locked(path, shared=True):
        return read_table(path, DECISIONS)


class LogReader:
    """A log read as it grows: each :meth:`read` parses only the rows appended since the last
    one (the whole log again if it was rewritten), so a screening session's every click costs
    the same however long the log is."""

    def __init__(self, path: str | Path, contract: Contract = DECISIONS):
        self.path = Path(path)
        self.contract = contract
        self._rows = contract.empty()
        self._size = 0
        self._end = b""  # the last bytes read, to tell an append from a rewrite

    def read(self) -> pd.DataFrame:
        if not self.path.exists():
            self._rows, self._size, self._end = self.contract.empty(), 0, b""
            return self._rows
        with _locked(self.path, shared=True):  # never half an append
            return self._read()

    def _read(self) -> pd.DataFrame:
        size = self.path.stat().st_size
        if size == self._size:
            return self._rows
        grew = (
            size > self._size > 0
            and read_tail_at(self.path, self._size, len(self._end)) == self._end
        )
        with open(self.path, "rb") as fh:
            if grew:
                header = fh.readline()
                fh.seek(self._size)
                new = fh.read(size - self._size)
                more = parse_csv(io.BytesIO(header + new), self.contract, where=self.path)
                self._rows = pd.concat([self._rows, more], ignore_index=True)
            else:
                data = fh.read(size)
                self._rows = parse_csv(io.BytesIO(data), self.contract, where=self.path)
                new = data
        self._size, self._end = size, new[-64:]
        return self._rows


def read_verified_log(path: str | Path) -> pd.DataFrame:
    """The screening log's rows, after its whole chain is verified (empty when there is no log
    yet); a damaged log is refused, naming its first problem."""
    path = Path(path)
    if not path.exists():
        return DECISIONS.empty()
    rows, problems = _verified(path)
    if problems:
        raise SchemaError(
            f"{path}: the screening log is damaged ({len(problems)} problem(s); the first: "
            f"{problems[0]}); `slr verify` lists them all"
        )
    return rows


def verify_log(path: str | Path) -> list[str]:
    """Every edited, inserted or deleted row of a screening log, in words."""
    path = Path(path)
    if not path.exists():
        raise SlrError(f"{path}: no screening log here")
    return _verified(path)[1]


def _verified(path: Path) -> tuple[pd.DataFrame, list[str]]:
    head = _read_head(path)
    rows = read_log(path)
    problems = verify_chain(rows, head)
    if head is None:
        problems.append(
            f"{head_file(path).name} is missing: deleted rows at the end cannot be detected"
        )
    return rows, problems
