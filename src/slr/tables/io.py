"""Every read and write of slr's tables, manifests and figures: atomic, checked against contracts.

Writes are atomic: a file is written beside its target and renamed over it, so a crash never
leaves half a table or half a log behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from slr.errors import SchemaError, SlrError
from slr.layout import RunPaths, lock_file
from slr.tables.contracts import RUN_TABLES
from slr.tables.schema import Contract, conform, validate

try:  # file locks (POSIX); where there are none, appends are not serialised across processes
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

LIST_SEP = "; "
REMOVE_TORN = "delete that line (its write never finished) to go on"
RUN_TABLE_NAMES = ", ".join(t.name for t in RUN_TABLES)
_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(path: str | Path, *, durable: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` only if the block succeeds.

    ``durable``: flush it to disk before the rename (everything a review keeps); a cache entry,
    which can always be computed again, skips that and is still never seen half-written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs are ordinary files
    try:
        yield tmp_path
        if durable:
            with open(tmp_path, "rb") as fh:
                os.fsync(fh.fileno())
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextlib.contextmanager
def locked(path: str | Path, *, shared: bool = False) -> Iterator[None]:
    """Hold ``path``'s lock (a file beside it), across processes: one writer at a time (two
    reviewers' notebooks, a notebook and the command line), and no reader while one writes
    (``shared``: a reader's lock, which other readers may hold too)."""
    lock = lock_file(Path(path))
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as fh:
        if fcntl is not None:
            fcntl.flock(fh, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(fh, fcntl.LOCK_UN)


def write_bytes(path: str | Path, data: bytes, *, durable: bool = True) -> Path:
    with atomic_path(path, durable=durable) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: str | Path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def copy_file(source: str | Path, target: str | Path) -> Path:
    """Copy ``source`` to ``target`` atomically (folders made as needed)."""
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)
    return Path(target)


def write_json(path: str | Path, obj: Any) -> Path:
    return write_text(path, json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False) + "\n")


def read_json(path: str | Path) -> Any:
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise SlrError(f"{path}: line {e.lineno}, column {e.colno}: not valid JSON: {e.msg}") from e


def committed_versions(path: str | Path, limit: int = 100) -> list[tuple[str, bytes]]:
    """The versions of ``path`` committed to git (commit, content), newest first; none when it
    is not in a git repository or git is not installed."""
    path = Path(path).resolve()
    try:
        log = subprocess.run(
            ["git", "log", f"-n{limit}", "--format=%H", "--", path.name],
            cwd=path.parent, capture_output=True, check=False,
        )  # fmt: skip
    except FileNotFoundError:  # no git on this machine
        return []
    if log.returncode != 0:  # not a repository
        return []
    versions = []
    for commit in log.stdout.decode("ascii").split():
        shown = subprocess.run(
            ["git", "show", f"{commit}:./{path.name}"],
            cwd=path.parent, capture_output=True, check=False,
        )  # fmt: skip
        if shown.returncode == 0:  # (absent in a commit that deleted it)
            versions.append((commit, shown.stdout))
    return versions


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------------- tables


def _to_arrow(df: pd.DataFrame, contract: Contract) -> pa.Table:
    columns = {}
    for col in contract.columns:
        s = df[col.name]
        if col.kind == "list":
            columns[col.name] = pa.array(list(s), type=pa.list_(pa.string()))
        else:
            values = [None if pd.isna(v) else v for v in s.astype(object)]
            columns[col.name] = pa.array(values, type=contract.arrow_schema.field(col.name).type)
    return pa.table(columns, schema=contract.arrow_schema)


# A cell a spreadsheet would run as a formula (``=HYPERLINK(…)``, ``+cmd|…``): written with a
# leading ``'`` (OWASP's advice), which reading takes off again; a value that begins with
# quotes before such a character gets one more, so every value reads back as it was.
_FORMULA = re.compile(r"'*[=+\-@\t\r]")


def neutralise(value: object) -> object:
    """A text cell made safe to open in a spreadsheet (other values unchanged)."""
    return f"'{value}" if isinstance(value, str) and _FORMULA.match(value) else value


def restore(value: object) -> object:
    """The value :func:`neutralise` was given."""
    if isinstance(value, str) and value.startswith("'") and _FORMULA.match(value, 1):
        return value[1:]
    return value


def to_csv_frame(df: pd.DataFrame, contract: Contract | None = None) -> pd.DataFrame:
    """The CSV form of a table: list columns joined with ``'; '``, text cells neutralised
    (every text column, when there is no contract)."""
    out = df.copy()
    if contract is None:
        text = [c for c in out.columns if not pd.api.types.is_numeric_dtype(out[c])]
    else:
        text = [c.name for c in contract.columns if c.kind in ("str", "list")]
        for col in contract.columns:
            if col.kind == "list":
                out[col.name] = out[col.name].map(LIST_SEP.join)
    for name in text:
        out[name] = out[name].map(neutralise)
    return out


def write_parquet(df: pd.DataFrame, path: str | Path, contract: Contract) -> Path:
    """Validate ``df`` and write it as parquet, with the contract's arrow schema."""
    validate(df, contract, where=str(path))
    with atomic_path(path) as tmp:
        pq.write_table(_to_arrow(df, contract), tmp)
    return Path(path)


def write_csv(df: pd.DataFrame, path: str | Path, contract: Contract) -> Path:
    validate(df, contract, where=str(path))
    return _write_csv(to_csv_frame(df, contract), path)


def write_csv_frame(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a table that has no contract (a recall curve, an export) as CSV, its text cells
    neutralised."""
    return _write_csv(to_csv_frame(df), path)


def _write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, lineterminator="\n")
    return Path(path)


def read_table(path: str | Path, contract: Contract) -> pd.DataFrame:
    """Read a table written by :func:`write_parquet` or :func:`write_csv` and check its
    contract."""
    path = Path(path)
    if not path.is_file():
        raise SchemaError(f"{contract.name}: file not found: {path}")
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        if not table.schema.equals(contract.arrow_schema, check_metadata=False):
            got = {f.name: str(f.type) for f in table.schema}
            want = {f.name: str(f.type) for f in contract.arrow_schema}
            diff = {
                k: (got.get(k), want.get(k)) for k in {*got, *want} if got.get(k) != want.get(k)
            }
            raise SchemaError(f"{path}: schema differs from the {contract.name} contract: {diff}")
        df = pd.DataFrame(
            {col.name: table.column(col.name).to_pylist() for col in contract.columns}
        )
        return _checked(df, contract, path)
    return parse_csv(path, contract, where=path)


def parse_csv(source, contract: Contract, *, where: str | Path) -> pd.DataFrame:
    """A CSV table (a path or a text buffer) in the contract's dtypes, checked."""
    df = pd.read_csv(source, dtype=str, keep_default_na=False, na_values=[""])
    for col in contract.columns:
        if col.name not in df.columns:
            continue
        if col.kind in ("str", "list"):
            df[col.name] = df[col.name].map(restore)
        if col.kind == "list":
            df[col.name] = df[col.name].map(
                lambda v: [] if pd.isna(v) or v == "" else str(v).split(LIST_SEP)
            )
        elif col.kind == "bool":
            df[col.name] = df[col.name].map(
                lambda v: None if pd.isna(v) else str(v).lower() in ("true", "1")
            )
        elif col.kind in ("int", "float"):
            df[col.name] = pd.to_numeric(df[col.name])
    return _checked(df, contract, where)


def _checked(df: pd.DataFrame, contract: Contract, where: str | Path) -> pd.DataFrame:
    try:
        out = conform(df, contract)
    except SchemaError as e:
        raise SchemaError(f"{where}: {e}") from e
    return validate(out, contract, where=str(where))


def append_rows(path: str | Path, rows: pd.DataFrame, contract: Contract) -> Path:
    """Append ``rows`` to the CSV log at ``path`` (created when absent), under the log's lock;
    existing rows are never edited. The cost does not grow with the log: only its header and
    last byte are read."""
    with locked(path):
        return append_conforming(path, conform(rows, contract), contract)


def append_conforming(
    path: str | Path, rows: pd.DataFrame, contract: Contract, *, repair: str = REMOVE_TORN
) -> Path:
    """:func:`append_rows` for rows already in the contract's dtypes (checked, not converted),
    by a caller that holds the log's lock. The rows are written with one ``write`` call; a log
    whose last line is torn is refused (``repair``: how to mend it)."""
    path = Path(path)
    validate(rows, contract, where=str(path))
    new = to_csv_frame(rows, contract).to_csv(index=False, lineterminator="\n")
    if not path.exists():
        return write_text(path, new)
    header, body = new.split("\n", 1)
    with open(path, "rb") as fh:
        first = fh.readline().decode("utf-8", errors="replace").rstrip("\n")
    if first != header:
        raise SchemaError(
            f"{path}: the log's header does not match the {contract.name} contract "
            f"({contract.names}); refusing to append"
        )
    torn = torn_line(path)
    if torn is not None:
        raise SchemaError(f"{path}: nothing appended: {torn_message(torn, repair)}")
    with open(path, "ab") as fh:
        fh.write(body.encode("utf-8"))
        fh.flush()
        os.fsync(fh.fileno())
    return path


def torn_line(path: str | Path) -> int | None:
    """The line number (1 = the header) of a log's last line when it is incomplete (no final
    newline: the write was cut off), else None."""
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0 or read_tail(path, 1) == b"\n":
        return None
    with open(path, "rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b"")) + 1


def torn_message(line: int, fix: str = REMOVE_TORN) -> str:
    """A torn last line, named as a person counts (line 1 is the header), and its fix."""
    return f"its last line (line {line}, row {line - 1}) is incomplete: a write was cut off; {fix}"


def read_tail(path: str | Path, n: int) -> bytes:
    """The last ``n`` bytes of a file (fewer when it is shorter)."""
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        return read_tail_at(path, fh.tell(), n)


def read_tail_at(path: str | Path, end: int, n: int) -> bytes:
    """The ``n`` bytes of a file that end at byte ``end`` (fewer near its start)."""
    with open(path, "rb") as fh:
        fh.seek(max(end - n, 0))
        return fh.read(min(n, end))


def write_run_tables(tables: dict[str, pd.DataFrame], run: RunPaths) -> dict[str, int]:
    """Write the run tables (:data:`RUN_TABLES`) of ``tables`` into the run folder, each checked
    against its contract; return each table's row count. A required table that is missing is
    an error; an optional one (topics) is skipped."""
    rows = {}
    for t in RUN_TABLES:
        if tables.get(t.name) is None:
            if t.optional:
                continue
            raise SchemaError(f"the run has no {t.name} table; it writes {RUN_TABLE_NAMES}")
        df = conform(tables[t.name], t.contract)
        if t.parquet:
            write_parquet(df, run.table(t.name, ".parquet"), t.contract)
        write_csv(df, run.table(t.name, ".csv"), t.contract)
        rows[t.name] = len(df)
    return rows


def read_run(run_dir: str | Path, *, complete: bool = False) -> dict[str, Any]:
    """The tables (:data:`RUN_TABLES`, each checked against its contract; an optional table the
    run did not write is ``None``), ``meta`` (run.json), ``manifest`` and ``dir`` (the folder)
    of a run folder.

    ``complete``: refuse a run that did not finish (its manifest is written last), as what
    reuses or compares a run must; the report notebooks read the run they are part of.
    """
    run = RunPaths(Path(run_dir))
    if not run.run_json.is_file():
        raise SlrError(f"{run.dir}: not a run folder (no run.json)")
    if complete and not run.manifest.is_file():
        raise SlrError(
            f"{run.dir}: an incomplete run (no manifest.json: it was stopped before it "
            "finished); run the review again, or name a complete run"
        )
    out: dict[str, Any] = {"meta": read_json(run.run_json)}
    for t in RUN_TABLES:
        path = run.table(t.name, ".parquet" if t.parquet else ".csv")
        if not path.is_file() and not t.optional:
            raise SchemaError(
                f"{run.dir}: no {path.name}: the run is incomplete, or was made by an older slr "
                f"(a run holds {RUN_TABLE_NAMES}); run it again"
            )
        out[t.name] = read_table(path, t.contract) if path.is_file() else None
    out["manifest"] = read_json(run.manifest) if run.manifest.is_file() else None
    out["dir"] = run.dir
    return out


# ---------------------------------------------------------------------- figures


def save_figure(fig, svg: str | Path, png: str | Path) -> tuple[Path, Path]:
    """Write a matplotlib figure as SVG and as PNG (150 dpi), atomically and without timestamps
    (reruns write identical bytes)."""
    with atomic_path(svg) as tmp:
        fig.savefig(
            tmp, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight"
        )
    with atomic_path(png) as tmp:
        fig.savefig(tmp, format="png", dpi=150, metadata={"Software": None}, bbox_inches="tight")
    return Path(svg), Path(png)
