"""The tamper-evident screening log: every decision row carries a hash chained to the row
before it, so an edited, inserted or deleted row is found by :func:`verify_chain`.

``row_hash = SHA-256(previous row_hash + the row's other values)``; the first row chains to
the empty string. The log's head (row count and last hash) is kept beside it, so deleting the
last rows is found too. The chain functions are pure; :func:`append_log`, :func:`read_log` and
:func:`verify_log` read and write the log through :mod:`slr.tables.io`.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path

import pandas as pd

from slr.errors import SchemaError, SlrError
from slr.layout import ReviewPaths, head_file
from slr.tables.contracts import DECISIONS
from slr.tables.io import (
    append_conforming,
    committed_versions,
    copy_file,
    locked,
    parse_csv,
    read_json,
    read_table,
    read_tail_at,
    torn_line,
    torn_message,
    write_bytes,
    write_json,
)
from slr.tables.schema import Contract, conform

GENESIS = ""
REPAIR = "`slr verify --repair` removes it (keeping a backup)"
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


def verify_chain(
    rows: pd.DataFrame, head: dict | None = None, *, previous: str = GENESIS, first: int = 1
) -> list[str]:
    """Every break in the chain, in words; an empty list means the log is intact.

    ``previous`` and ``first`` continue a check from a row already verified (its hash, and the
    number of the row after it). A head that records fewer rows than the log, ending at a row
    of the chain, is not a break: a writer stopped between appending and updating the head.
    """
    problems = []
    for i, (_, row) in enumerate(rows.iterrows(), start=first):
        expected = row_digest(row, previous)
        if pd.isna(row["row_hash"]):
            problems.append(f"row {i} (work {row['work_id']}): no hash; it was not written by slr")
        elif row["row_hash"] != expected:
            problems.append(
                f"row {i} (work {row['work_id']}): the hash does not match: the row was "
                "edited, or the row before it was deleted or inserted"
            )
        previous = row["row_hash"] if pd.notna(row["row_hash"]) else expected
    if head is not None:
        n, last = head.get("rows", 0), head.get("last_hash", GENESIS)
        if n > len(rows):
            problems.append(
                f"the log has {len(rows)} rows but its head records {n}: rows were deleted "
                "from the end"
            )
        elif n < len(rows) and (rows["row_hash"].iloc[n - 1] if n else GENESIS) != last:
            problems.append(
                f"the log has {len(rows)} rows but its head records {n}, and row {n} is not the "
                "one the head names: rows were replaced and added without slr"
            )
        elif n == len(rows) and n and last != rows["row_hash"].iloc[-1]:
            problems.append("the last row's hash differs from the head: the last row was replaced")
    return problems


def check_anchors(rows: pd.DataFrame, anchors: list[dict]) -> list[str]:
    """Where the log contradicts what earlier runs recorded of it: each anchor (``where``,
    ``rows``, ``last_hash``) says the log once had ``rows`` rows, the last hashing to
    ``last_hash``. A log is append-only, so that row must still be there with that hash: a
    history rewritten with recomputed hashes is found while one earlier record survives."""
    problems = []
    for a in anchors:
        n = int(a["rows"])
        if n == 0:
            continue
        if len(rows) < n:
            problems.append(
                f"{a['where']} recorded the log at {n} rows; it has {len(rows)}: rows were deleted"
            )
        elif rows["row_hash"].iloc[n - 1] != a["last_hash"]:
            problems.append(
                f"{a['where']} recorded row {n}'s hash as {a['last_hash'][:12]}…; it is now "
                f"{str(rows['row_hash'].iloc[n - 1])[:12]}…: rows up to {n} were rewritten"
            )
    return problems


# ---------------------------------------------------------------------- the log on disk

_LAST_HASH = re.compile(rb",([0-9a-f]{64})\n\Z")


def _damaged(path: Path, problem: str) -> SchemaError:
    return SchemaError(f"{path}: the screening log is damaged, nothing appended: {problem}")


def _read_head(path: Path) -> dict | None:
    head = head_file(path)
    return read_json(head) if head.exists() else None


def _write_head(path: Path, rows: int, last_hash: str) -> None:
    write_json(
        head_file(path), {"rows": rows, "last_hash": last_hash, "bytes": path.stat().st_size}
    )


def _last_hash_at(path: Path, end: int) -> str:
    found = _LAST_HASH.search(read_tail_at(path, end, 80))
    return found.group(1).decode("ascii") if found else GENESIS


def _chain_end(path: Path) -> tuple[str, int]:
    """The last row's hash and the row count, from the head, checked against the log's end
    (under the writer's lock). Rows after the head's end (a writer stopped between appending
    and updating the head) are verified from the head and the head is brought up to date."""
    torn = torn_line(path)
    if torn is not None:
        raise _damaged(path, torn_message(torn, REPAIR))
    head = _read_head(path)
    if head is None:
        raise _damaged(
            path,
            f"its head ({head_file(path).name}) is missing, so deleted rows at the end could not "
            "be found; `slr verify` checks the log and `slr verify --repair` rebuilds the head",
        )
    n, last = int(head["rows"]), head.get("last_hash", GENESIS)
    size, end = path.stat().st_size, head.get("bytes", path.stat().st_size)
    if size < end:
        raise _damaged(path, "it is shorter than its head records: rows were deleted from the end")
    if n and _last_hash_at(path, end) != last:
        raise _damaged(
            path, "its last row does not match its head (run `slr verify` to see which rows)"
        )
    if size > end:
        with open(path, "rb") as fh:
            header = fh.readline()
            fh.seek(end)
            more = parse_csv(io.BytesIO(header + fh.read()), DECISIONS, where=path)
        problems = verify_chain(more, previous=last, first=n + 1)
        if problems:
            raise _damaged(path, problems[0])
        n, last = n + len(more), str(more["row_hash"].iloc[-1])
        _write_head(path, n, last)
    return last, n


def append_log(path: str | Path, rows: pd.DataFrame) -> pd.DataFrame:
    """Append decision rows to a hash-chained screening log (created when absent).

    The rows get their ``row_hash`` chained to the log's last row and are appended in one
    write, then the head (row count, last hash, size) is updated, all under the log's lock:
    two reviewers appending at once never interleave. The cost does not grow with the log: the
    chain continues from the head, which is checked against the log's end (the whole chain is
    verified by :func:`verify_log`, ``slr verify`` and at the start of a run). A log whose end
    does not match its head, whose head is missing or whose last line is torn is refused.
    Returns the rows as written.
    """
    path = Path(path)
    with locked(path):
        previous, n_before = _chain_end(path) if path.exists() else (GENESIS, 0)
        chained = chain_rows(conform(rows, DECISIONS), previous)
        append_conforming(path, chained, DECISIONS, repair=REPAIR)
        last = chained["row_hash"].iloc[-1] if len(chained) else previous
        _write_head(path, n_before + len(chained), last)
    return chained


def _complete_rows(path: Path) -> tuple[pd.DataFrame, int | None]:
    """The log's complete rows, and the line number of a torn last line (None: none)."""
    torn = torn_line(path)
    if torn is None:
        return read_table(path, DECISIONS), None
    data = path.read_bytes()
    return parse_csv(io.BytesIO(data[: data.rfind(b"\n") + 1]), DECISIONS, where=path), torn


def read_log(path: str | Path) -> pd.DataFrame:
    """A screening log's rows (empty when the log does not exist yet), read while no one
    appends; a torn last line is an error naming it and the repair."""
    path = Path(path)
    if not path.exists():
        return DECISIONS.empty()
    with locked(path, shared=True):
        rows, torn = _complete_rows(path)
    if torn is not None:
        raise SchemaError(f"{path}: {torn_message(torn, REPAIR)}")
    return rows


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
        with locked(self.path, shared=True):  # never half an append
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


def read_verified_log(path: str | Path, anchors: list[dict] = ()) -> pd.DataFrame:
    """The screening log's rows, after its whole chain is verified, against its head and what
    earlier runs recorded of it (``anchors``, see :func:`check_anchors`); empty when there is no
    log yet. A damaged log is refused, naming its first problem."""
    path = Path(path)
    if not path.exists():
        return DECISIONS.empty()
    rows, problems = _verified(path, anchors)
    if problems:
        raise SchemaError(
            f"{path}: the screening log is damaged ({len(problems)} problem(s); the first: "
            f"{problems[0]}); `slr verify` lists them all"
        )
    return rows


def verify_log(path: str | Path, anchors: list[dict] = ()) -> list[str]:
    """Every edited, inserted or deleted row of a screening log, in words."""
    path = Path(path)
    if not path.exists():
        raise SlrError(f"{path}: no screening log here")
    return _verified(path, anchors)[1]


def _verified(path: Path, anchors: list[dict] = ()) -> tuple[pd.DataFrame, list[str]]:
    with locked(path, shared=True):
        head = _read_head(path)
        rows, torn = _complete_rows(path)
    problems = [torn_message(torn, REPAIR)] if torn is not None else []
    problems += verify_chain(rows, head) + check_anchors(rows, list(anchors))
    if head is None:
        problems.append(
            f"{head_file(path).name} is missing: deleted rows at the end cannot be detected; "
            "`slr verify --repair` rebuilds it"
        )
    return rows, problems


def head_of(rows: pd.DataFrame) -> dict:
    """What a run records of the log it read: its row count and last hash (an anchor)."""
    return {
        "rows": len(rows),
        "last_hash": str(rows["row_hash"].iloc[-1]) if len(rows) else GENESIS,
    }


def log_anchors(paths: ReviewPaths) -> list[dict]:
    """What earlier runs recorded of the screening log (each run's manifest), and the versions
    of the log committed to git: the anchors :func:`check_anchors` holds the log to."""
    anchors = []
    for run in paths.runs():
        if run.manifest.is_file():
            seen = read_json(run.manifest).get("screening_log")
            if seen:
                anchors.append({"where": f"run {run.dir.name}", **seen})
    for commit, data in committed_versions(paths.screening_log):
        found = _LAST_HASH.search(data)
        if found:
            anchors.append(
                {
                    "where": f"git commit {commit[:10]}",
                    "rows": data.count(b"\n") - 1,
                    "last_hash": found.group(1).decode("ascii"),
                }
            )
    return anchors


def repair_log(path: str | Path, backup: Path) -> list[str]:
    """Mend what a stopped writer can leave, and nothing else: a torn last line is cut off (the
    log first copied to ``backup``), a missing or lagging head is rebuilt from the verified
    chain. A log whose rows were edited, deleted or inserted is refused: that needs a person
    (restore it from a backup or from git). Returns what was done, in words."""
    path = Path(path)
    if not path.exists():
        raise SlrError(f"{path}: no screening log here")
    done = []
    with locked(path):
        torn = torn_line(path)
        if torn is not None:
            copy_file(path, backup)
            data = path.read_bytes()
            write_bytes(path, data[: data.rfind(b"\n") + 1])
            done.append(f"removed the torn line {torn} (the log as it was: {backup})")
        head = _read_head(path)
        rows = read_table(path, DECISIONS)
        problems = verify_chain(rows, head)
        if problems:
            raise SchemaError(
                f"{path}: cannot repair: {problems[0]} ({len(problems)} problem(s)); restore the "
                "log from a backup or from git"
            )
        if head is None or int(head["rows"]) != len(rows) or "bytes" not in head:
            last = str(rows["row_hash"].iloc[-1]) if len(rows) else GENESIS
            _write_head(path, len(rows), last)
            done.append(f"wrote the head from the verified chain ({len(rows)} rows)")
    return done
