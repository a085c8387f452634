"""Read source files into raw records: RIS, BibTeX, CSV (ASReview's format), OpenAlex JSON,
JSON Lines and snapshot part files, and slr's own records JSON Lines.

Readers only parse: each returns the file's records as plain dicts, unchanged, each with a
locator (``line 12``, ``record 5``) so that every later row can be traced to its origin.
Mapping raw records to the works table is :mod:`slr.ingest.normalise`'s job.

A malformed file raises :class:`~slr.errors.SourceError` naming the file, the line or record,
and the problem; nothing is returned half-read.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bibtexparser
import rispy
from bibtexparser.middlewares import LatexDecodingMiddleware

from slr.errors import SourceError
from slr.protocol import SOURCE_FORMATS as FORMATS
from slr.text import decode_text

logger = logging.getLogger(__name__)

_EXTENSIONS = {
    ".ris": "ris",
    ".bib": "bibtex",
    ".bibtex": "bibtex",
    ".csv": "asreview-csv",
    ".tsv": "asreview-csv",
    ".json": "openalex-json",
    ".gz": "openalex-snapshot",
}


@dataclass(frozen=True)
class RawRecord:
    locator: str  # "line 12", "record 5 (line 40)", "page_0002.json results[17]"
    data: dict[str, Any]


@dataclass
class SourceFile:
    path: Path
    format: str
    records: list[RawRecord] = field(default_factory=list)


# ---------------------------------------------------------------------- detection


def detect_format(path: str | Path) -> str:
    """Guess a file's format from its name and first bytes; raise if it cannot be told."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return _sniff_jsonl(path)
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    head = _read_text(path)[:2000].lstrip("\ufeff").lstrip()
    if re.match(r"TY  - ", head):
        return "ris"
    if head.startswith("@"):
        return "bibtex"
    if head.startswith("{") or head.startswith("["):
        return "openalex-json"
    raise SourceError(
        f"{path}: cannot tell the file's format from its name or content; "
        f"give one of: {', '.join(FORMATS)}"
    )


def _sniff_jsonl(path: Path) -> str:
    first_line = next((ln for ln in _read_text(path).split("\n") if ln.strip()), None)
    if first_line is None:
        return "records-jsonl"
    try:
        first = json.loads(first_line)
    except json.JSONDecodeError:
        return "records-jsonl"  # the reader reports the error with its line
    oa = isinstance(first, dict) and str(first.get("id", "")).startswith(
        ("https://openalex.org/W", "W")
    )
    return "openalex-jsonl" if oa else "records-jsonl"


def read_source(path: str | Path, format: str = "auto") -> SourceFile:
    """Read a source file of ``format`` (``auto``: detect it) into raw records."""
    path = Path(path)
    if path.is_dir():
        raise SourceError(f"{path}: a folder, not a file; give the file to read")
    if not path.is_file():
        raise SourceError(f"{path}: file not found")
    fmt = detect_format(path) if format == "auto" else format
    readers = {
        "ris": read_ris,
        "bibtex": read_bibtex,
        "asreview-csv": read_asreview_csv,
        "openalex-json": read_openalex_json,
        "openalex-jsonl": read_jsonl,
        "records-jsonl": read_jsonl,
        "openalex-snapshot": read_openalex_snapshot,
    }
    if fmt not in readers:
        raise SourceError(f"{path}: unknown format {fmt!r}; valid options: {', '.join(FORMATS)}")
    records = readers[fmt](path)
    logger.info("read %d records from %s (%s)", len(records), path, fmt)
    return SourceFile(path=path, format=fmt, records=records)


def _read_text(path: Path) -> str:
    """A source file's text (UTF-8, or UTF-16 with a byte-order mark), line ends made LF."""
    text = decode_text(path.read_bytes(), path, SourceError)
    # CR LF, CR CR LF (EPPI exports) and lone CR all become LF
    return re.sub(r"\r+\n", "\n", text).replace("\r", "\n")


# ---------------------------------------------------------------------- RIS

_RIS_TAG = re.compile(r"^([A-Z][A-Z0-9])  -( |$)")
_RIS_COUNTER = re.compile(r"^\s*\d+\.\s*$")  # "1." before a record, as rispy and EndNote write


def read_ris(path: Path) -> list[RawRecord]:
    """RIS via rispy, after a line-level check that rispy itself does not make.

    rispy silently drops a last record without ``ER`` and text outside records; here either is an
    error naming the line (record counters such as ``1.`` between records are allowed). Repeated single-value tags keep their first value (rispy's default).
    """
    text = _read_text(path)
    lines = text.split("\n")
    starts: list[int] = []
    open_at: int | None = None
    for i, line in enumerate(lines, start=1):
        m = _RIS_TAG.match(line)
        tag = m.group(1) if m else None
        if tag == "TY":
            if open_at is not None:
                raise SourceError(
                    f"{path}: line {i}: record {len(starts) + 1} starts before record "
                    f"{len(starts)} (line {open_at}) has ended: its `ER  - ` line is missing"
                )
            open_at = i
            starts.append(i)
        elif tag == "ER":
            if open_at is None:
                raise SourceError(f"{path}: line {i}: `ER` without a record (no `TY` before it)")
            open_at = None
        elif open_at is None and line.strip() and not _RIS_COUNTER.match(line):
            raise SourceError(
                f"{path}: line {i}: text outside a record ({line[:40]!r}); "
                "every record starts with `TY  - ` and ends with `ER  - `"
            )
    if open_at is not None:
        raise SourceError(
            f"{path}: line {open_at}: record {len(starts)} has no `ER  - ` line "
            "(the file may be truncated)"
        )
    try:
        entries = rispy.loads(text, enforce_list_tags=False)
    except Exception as e:  # rispy raises bare KeyError/ValueError on odd input
        raise SourceError(f"{path}: the RIS parser failed: {type(e).__name__}: {e}") from e
    if len(entries) != len(starts):
        raise SourceError(
            f"{path}: found {len(starts)} records but the RIS parser returned {len(entries)}"
        )
    return [
        RawRecord(f"record {n} (line {line})", _plain(entry))
        for n, (line, entry) in enumerate(zip(starts, entries, strict=True), start=1)
    ]


def _plain(entry: dict[str, Any]) -> dict[str, Any]:
    """rispy puts unknown tags in a defaultdict; make the record plain JSON-able data."""
    return {k: (dict(v) if isinstance(v, dict) else v) for k, v in entry.items()}


# ---------------------------------------------------------------------- BibTeX


def read_bibtex(path: Path) -> list[RawRecord]:
    """BibTeX via bibtexparser 2; a block it cannot parse is an error naming its line."""
    text = _read_text(path)
    library = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    if library.failed_blocks:
        block = library.failed_blocks[0]
        line = getattr(block, "start_line", None)
        where = f"line {line + 1}" if isinstance(line, int) else "a block"
        problem = type(block).__name__
        detail = getattr(block, "error", None)
        raw = (getattr(block, "raw", "") or "").strip().splitlines()
        head = raw[0][:60] if raw else ""
        raise SourceError(
            f"{path}: {where}: cannot parse this BibTeX entry ({problem}"
            f"{': ' + str(detail) if detail else ''}): {head!r}"
            f"{f' (and {len(library.failed_blocks) - 1} more)' if len(library.failed_blocks) > 1 else ''}"
        )
    out = []
    for n, entry in enumerate(library.entries, start=1):
        data = {k.lower(): v for k, v in entry.fields_dict.items()}
        data = {k: f.value for k, f in data.items()}
        data["ENTRYTYPE"] = entry.entry_type.lower()
        data["ID"] = entry.key
        line = getattr(entry, "start_line", None)
        loc = f"entry {n} ({entry.key}, line {line + 1})" if isinstance(line, int) else f"entry {n}"
        out.append(RawRecord(loc, data))
    return out


# ---------------------------------------------------------------------- CSV (ASReview)


def read_asreview_csv(path: Path) -> list[RawRecord]:
    """CSV or TSV with a header, as ASReview reads and exports it (column names kept as is)."""
    text = _read_text(path)
    if not text.strip():
        raise SourceError(f"{path}: the file is empty")
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    if delimiter == "," and "\t" in text.split("\n", 1)[0] and "," not in text.split("\n", 1)[0]:
        delimiter = "\t"
    csv.field_size_limit(1 << 30)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except csv.Error as e:
        raise SourceError(f"{path}: line 1: cannot read the header: {e}") from e
    header = [h.strip() for h in header]
    if len(set(header)) != len(header):
        dup = sorted({h for h in header if header.count(h) > 1})
        raise SourceError(f"{path}: line 1: duplicate column names {dup}")
    lower = {h.lower() for h in header}
    if not lower & {
        "title",
        "primary_title",
        "ti",
        "t1",
        "abstract",
        "ab",
        "notes_abstract",
        "doi",
    }:
        raise SourceError(
            f"{path}: line 1: no title, abstract or doi column; found {header}. "
            "ASReview's format needs at least a `title` or `abstract` column"
        )
    out = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise SourceError(
                    f"{path}: line {line}: {len(row)} fields where the header has {len(header)}"
                )
            out.append(RawRecord(f"line {line}", dict(zip(header, row, strict=True))))
    except csv.Error as e:
        raise SourceError(f"{path}: line {reader.line_num}: malformed CSV: {e}") from e
    return out


# ---------------------------------------------------------------------- JSON / JSON Lines


def read_openalex_json(path: Path) -> list[RawRecord]:
    """An OpenAlex response saved to disk: a list page (``meta`` + ``results``), a single work,
    or a JSON array of works."""
    text = _read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise SourceError(
            f"{path}: line {e.lineno}, column {e.colno}: not valid JSON ({e.msg}); "
            "the file may be truncated"
        ) from e
    return openalex_records(data, where=str(path))


def openalex_records(data: Any, *, where: str) -> list[RawRecord]:
    """The works inside an OpenAlex response body (list page, singleton or array)."""
    if isinstance(data, dict) and "results" in data:
        results = data["results"]
        label = "results"
    elif isinstance(data, dict) and "id" in data:
        results = [data]
        label = "work"
    elif isinstance(data, list):
        results = data
        label = "item"
    else:
        keys = list(data)[:8] if isinstance(data, dict) else type(data).__name__
        raise SourceError(
            f"{where}: not an OpenAlex works response (expected `results`, a work with `id`, "
            f"or a list of works; got {keys})"
        )
    out = []
    for i, work in enumerate(results):
        if not isinstance(work, dict) or not work.get("id"):
            raise SourceError(f"{where}: {label}[{i}] is not an OpenAlex work (no `id`)")
        out.append(RawRecord(f"{label}[{i}]", work))
    return out


def read_jsonl(path: Path) -> list[RawRecord]:
    return list(_jsonl_records(_read_text(path).split("\n"), where=str(path)))


def read_openalex_snapshot(path: Path) -> list[RawRecord]:
    """A snapshot part file (``part_000.gz``: gzipped JSON Lines of works)."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return list(_jsonl_records(fh, where=str(path)))
    except UnicodeDecodeError as e:
        raise SourceError(f"{path}: not UTF-8 text inside the gzip stream ({e.reason})") from e
    except (EOFError, OSError, zlib.error) as e:
        raise SourceError(
            f"{path}: the gzip stream is damaged or truncated ({type(e).__name__}: {e})"
        ) from e


def _jsonl_records(lines: Iterable[str], *, where: str) -> Iterator[RawRecord]:
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise SourceError(
                f"{where}: line {n}, column {e.colno}: not valid JSON ({e.msg})"
            ) from e
        if not isinstance(obj, dict):
            raise SourceError(
                f"{where}: line {n}: expected a JSON object, got {type(obj).__name__}"
            )
        yield RawRecord(f"line {n}", obj)
