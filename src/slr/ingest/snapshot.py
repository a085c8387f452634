"""The OpenAlex snapshot as a source: the protocol's OpenAlex queries run over its works
partitions with DuckDB, frozen like a harvest.

The snapshot (``<snapshot>/data/works/updated_date=YYYY-MM-DD/part_NNN.gz``, gzipped JSON Lines,
with a ``manifest``) is read where it lies and streamed: DuckDB keeps memory bounded
(``memory_limit``) whatever the snapshot's size. Each OpenAlex source of the protocol becomes:

- **a DuckDB predicate** over each work's JSON: the structured filters exactly
  (``publication_year``, ``language``, ``type``, ``is_retracted``, ``is_paratext``; a ``!`` before a
  value negates it, ``|`` separates alternatives), and for the text search a necessary condition
  (every word a matching work must contain occurs somewhere in its JSON text);
- **an exact check** in Python on the works that pass it: the boolean search (words, "quoted
  phrases", AND, OR, NOT, parentheses; adjacent terms are ANDed) on the title and the abstract
  rebuilt from its inverted index, case-insensitive, whole words.

OpenAlex's own search stems words ("village" also finds "villages") and ``search`` reaches full
texts the snapshot does not hold; here words match as written, so write out the forms (as this
review's protocol does). The works found are saved in pages shaped like the API's (``results``),
each as the snapshot holds it, with a harvest's manifest plus the partitions read; the frozen
copy is replaced only when the ingest is complete.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import duckdb

from slr.clock import now_utc
from slr.errors import HarvestError
from slr.ingest.fields import invert_abstract
from slr.ingest.harvest import replace_frozen
from slr.layout import ReviewPaths, snapshot_manifest, snapshot_works
from slr.protocol import OpenAlexSource, Protocol
from slr.tables.io import read_json, sha256_file, write_bytes, write_json

PAGE_SIZE = 200  # works per saved page, as a harvest's
MAX_WORK_BYTES = 16 * 2**20  # the longest work a part file may hold (DuckDB's default)
SEARCH_FILTERS = {  # filter → the fields it searches
    "title_and_abstract.search": ("title", "abstract"),
    "title.search": ("title",),
    "abstract.search": ("abstract",),
    "default.search": ("title", "abstract"),
}
VALUE_FILTERS = ("publication_year", "language", "type", "is_retracted", "is_paratext")
_TOKEN = re.compile(r'\(|\)|"[^"]*"|[^\s()"]+')
_WORD = re.compile(r"\w+")


# ---------------------------------------------------------------- the boolean search
@dataclass(frozen=True)
class Search:
    """A parsed search: ``op`` is ``and``, ``or``, ``not`` or ``phrase`` (its ``words``)."""

    op: str
    parts: tuple[Search, ...] = ()
    words: tuple[str, ...] = ()

    def matches(self, text: str) -> bool:
        """Whether ``text`` (lower-case words joined by single spaces, padded) satisfies it."""
        if self.op == "phrase":
            return f" {' '.join(self.words)} " in text
        if self.op == "not":
            return not self.parts[0].matches(text)
        hits = (p.matches(text) for p in self.parts)
        return all(hits) if self.op == "and" else any(hits)

    def prefilter(self) -> str | None:
        """A necessary condition in SQL over ``low`` (the work's JSON text, lower-cased): each
        word the search needs is in it somewhere; None where anything may match (under NOT,
        or a word not in ASCII, which the JSON text may hold escaped)."""
        if self.op == "phrase":
            words = [f"contains(low, {_quote(w)})" for w in self.words if w.isascii()]
            if len(words) > 1:
                return "(" + " AND ".join(words) + ")"
            return words[0] if words else None
        if self.op == "not":
            return None
        parts = [p.prefilter() for p in self.parts]
        if self.op == "or":
            return None if None in parts else "(" + " OR ".join(parts) + ")"  # type: ignore[arg-type]
        kept = [p for p in parts if p is not None]
        return "(" + " AND ".join(kept) + ")" if kept else None


def parse_search(query: str) -> Search:
    """OpenAlex's boolean search syntax: words, "phrases", AND, OR, NOT, parentheses."""
    tokens = _TOKEN.findall(query)
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def either() -> Search:
        parts = [both()]
        while peek() == "OR":
            take()
            parts.append(both())
        return parts[0] if len(parts) == 1 else Search("or", tuple(parts))

    def both() -> Search:
        parts = [negated()]
        while peek() not in (None, ")", "OR"):
            if peek() == "AND":
                take()
            parts.append(negated())
        return parts[0] if len(parts) == 1 else Search("and", tuple(parts))

    def negated() -> Search:
        if peek() == "NOT":
            take()
            return Search("not", (negated(),))
        return atom()

    def atom() -> Search:
        token = take() if peek() is not None else None
        if token == "(":
            inner = either()
            if peek() != ")":
                raise HarvestError(f"search {query!r}: a '(' is not closed")
            take()
            return inner
        if token is None or token in (")", "AND", "OR"):
            raise HarvestError(f"search {query!r}: a term is missing near {token or 'the end'!r}")
        words = tuple(_WORD.findall(token.strip('"').lower()))
        if not words:
            raise HarvestError(f"search {query!r}: {token!r} has no word to look for")
        return Search("phrase", words=words)

    if not tokens:
        raise HarvestError("an empty search")
    tree = either()
    if peek() is not None:
        raise HarvestError(f"search {query!r}: unexpected {peek()!r}")
    return tree


# ---------------------------------------------------------------- a source as a query
@dataclass(frozen=True)
class SnapshotQuery:
    """What an OpenAlex source asks of the snapshot: the SQL condition (over ``raw``, a work's
    JSON text, and ``low``, the same lower-cased) and the exact check."""

    where: str
    searches: tuple[tuple[tuple[str, ...], Search], ...]  # (fields, search)

    def check(self, work: dict[str, Any]) -> bool:
        for fields, search in self.searches:
            text = " ".join(
                (work.get("display_name") or work.get("title") or "")
                if f == "title"
                else (invert_abstract(work.get("abstract_inverted_index")) or "")
                for f in fields
            )
            if not search.matches(f" {' '.join(_WORD.findall(text.lower()))} "):
                return False
        return True


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _value_condition(name: str, raw: object) -> str:
    values = raw if isinstance(raw, list) else str(raw).split("|")
    column = f"json_extract_string(raw, '$.{name}')"
    conds = []
    for value in (str(v).strip() for v in values):
        negate = value.startswith("!")
        value = value.lstrip("!")
        if name == "publication_year":
            year = f"TRY_CAST({column} AS INTEGER)"
            m = re.fullmatch(r"(\d{4})?-(\d{4})?|([<>])(\d{4})|(\d{4})", value)
            if not m:
                raise HarvestError(
                    f"publication_year {value!r}: expected 2020, 2000-2026, >2000 or <2000"
                )
            if m.group(5):
                cond = f"{year} = {m.group(5)}"
            elif m.group(3):
                cond = f"{year} {m.group(3)} {m.group(4)}"
            else:
                low, high = m.group(1) or "0", m.group(2) or "9999"
                cond = f"{year} BETWEEN {low} AND {high}"
        elif name in ("is_retracted", "is_paratext"):
            cond = f"TRY_CAST(json_extract(raw, '$.{name}') AS BOOLEAN) = {value.lower() == 'true'}"
        else:
            cond = f"lower({column}) = {_quote(value.lower())}"
        conds.append(f"NOT ({cond})" if negate else cond)
    positive = [c for c in conds if not c.startswith("NOT ")]
    negative = [c for c in conds if c.startswith("NOT ")]
    parts = ([f"({' OR '.join(positive)})"] if positive else []) + negative
    return " AND ".join(parts)


def snapshot_query(source: OpenAlexSource) -> SnapshotQuery:
    """The source's filters and search as a :class:`SnapshotQuery`; a filter the snapshot
    ingest cannot apply is refused, naming the ones it can."""
    conds, searches = [], []
    items = list(source.filter.items())
    if source.search:
        items.append(("default.search", source.search))
    for name, raw in items:
        if name in SEARCH_FILTERS:
            search = parse_search(str(raw))
            searches.append((SEARCH_FILTERS[name], search))
            prefilter = search.prefilter()
            if prefilter is not None:
                conds.insert(0, prefilter)  # first: it rejects most works cheaply
        elif name in VALUE_FILTERS:
            conds.append(_value_condition(name, raw))
        else:
            raise HarvestError(
                f"{source.id}: filter {name!r} cannot be applied to the snapshot; valid options: "
                f"{', '.join([*SEARCH_FILTERS, *VALUE_FILTERS])}"
            )
    return SnapshotQuery(" AND ".join(conds) or "TRUE", tuple(searches))


# ---------------------------------------------------------------- the ingest
def works_parts(snapshot: Path) -> tuple[list[Path], dict[str, Any]]:
    """The works part files present under ``snapshot`` (sorted by partition and name), and
    what its ``manifest`` says (parts and records it lists)."""
    works = snapshot_works(snapshot)
    if not works.is_dir():
        raise HarvestError(
            f"{snapshot}: not an OpenAlex snapshot (no data/works/ folder with "
            "updated_date=…/part_….gz files)"
        )
    parts = sorted(works.glob("updated_date=*/part_*.gz"))
    if not parts:
        raise HarvestError(f"{works}: no part files (updated_date=…/part_….gz)")
    listed: dict[str, Any] = {"parts": None, "records": None}
    manifest = snapshot_manifest(snapshot)
    if manifest.is_file():
        entries = read_json(manifest).get("entries", [])
        listed = {
            "parts": len(entries),
            "records": sum(int(e.get("meta", {}).get("record_count", 0)) for e in entries),
        }
    return parts, listed


def ingest_snapshot(
    protocol: Protocol,
    snapshot: Path,
    *,
    sources: list[str] | None = None,
    memory_limit: str = "512MB",
    threads: int | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Run the protocol's OpenAlex sources (all, or ``sources``) over the snapshot in one pass;
    freeze what each finds as that source's harvest; return the manifests."""
    chosen = [s for s in protocol.sources if isinstance(s, OpenAlexSource)]
    unknown = sorted(set(sources or ()) - {s.id for s in chosen})
    if unknown:
        raise HarvestError(
            f"unknown OpenAlex source {unknown}; valid options: "
            f"{', '.join(s.id for s in chosen) or 'none'}"
        )
    chosen = [s for s in chosen if not sources or s.id in sources]
    if not chosen:
        return []
    queries = [snapshot_query(s) for s in chosen]  # every source checked before any work
    parts, listed = works_parts(snapshot)
    snapshot = Path(snapshot)
    paths = ReviewPaths.of(protocol)
    outs = [_Out(paths.harvest_partial(s.id), _manifest(protocol, s, q, parts, listed, snapshot))
            for s, q in zip(chosen, queries, strict=True)]  # fmt: skip
    con = duckdb.connect()
    con.execute(f"SET memory_limit = {_quote(memory_limit)}")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    flags = ", ".join(f"({q.where}) AS s{i}" for i, q in enumerate(queries))
    sql = (
        "WITH t AS (SELECT json::VARCHAR AS raw FROM read_ndjson_objects(?, compression = 'gzip', "
        f"maximum_object_size = {MAX_WORK_BYTES})), u AS (SELECT raw, lower(raw) AS low FROM t), "
        f"v AS (SELECT raw, {flags} FROM u) "
        f"SELECT * FROM v WHERE {' OR '.join(f's{i}' for i in range(len(queries)))}"
    )
    try:
        cursor = con.execute(sql, [[str(p) for p in parts]])
        while batch := cursor.fetchmany(5000):
            for raw, *hits in batch:
                work = json.loads(raw)
                for out, query, hit in zip(outs, queries, hits, strict=True):
                    if hit:
                        out.candidates += 1
                        if query.check(work):
                            out.add(work)
            if progress:
                for s, out in zip(chosen, outs, strict=True):
                    progress(s.id, len(out.ids))
    except duckdb.OutOfMemoryException as e:
        raise HarvestError(
            f"{snapshot}: DuckDB ran out of its {memory_limit} memory limit; give it more "
            f"(--memory-limit) or fewer threads ({e})"
        ) from e
    except duckdb.Error as e:  # a damaged part file, a work longer than MAX_WORK_BYTES
        raise HarvestError(f"{snapshot}: the snapshot could not be read: {e}") from e
    manifests = []
    for s, out in zip(chosen, outs, strict=True):
        out.finish()
        replace_frozen(out.folder, paths.harvest(s.id), paths.harvest_retired(s.id))
        manifests.append(out.manifest)
    return manifests


def _manifest(protocol, source, query, parts, listed, snapshot: Path) -> dict[str, Any]:
    """A harvest's manifest fields, and the snapshot's partitions read."""
    return {
        "source_id": source.id,
        "query": source.model_dump(mode="json", exclude={"description", "prisma_group"}),
        "url": f"snapshot:{snapshot.resolve()}",
        "base_url": None,
        "per_page": PAGE_SIZE,
        "sql_where": query.where,
        "pages": [],
        "started_at": now_utc(),
        "finished_at": None,
        "complete": False,
        "pyalex_version": version("pyalex"),
        "duckdb_version": version("duckdb"),
        "slr_version": version("slr"),
        "protocol_hash": protocol.hash,
        "snapshot": {
            "path": str(snapshot.resolve()),
            "manifest_parts": listed["parts"],
            "manifest_records": listed["records"],
            "parts_read": [
                {"partition": p.parent.name, "file": p.name, "bytes": p.stat().st_size}
                for p in parts
            ],
        },
    }


class _Out:
    """One source's pages as they fill (in ``folder``, its ``.partial`` harvest folder)."""

    def __init__(self, folder: Path, manifest: dict[str, Any]):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        self.folder, self.manifest = folder, manifest
        self.page: list[dict[str, Any]] = []
        self.ids: list[str] = []
        self.candidates = 0

    def add(self, work: dict[str, Any]) -> None:
        self.page.append(work)
        self.ids.append(str(work.get("id")))
        if len(self.page) == PAGE_SIZE:
            self._save()

    def _save(self) -> None:
        n = len(self.manifest["pages"]) + 1
        path = ReviewPaths.harvest_page(self.folder, n)
        body = {"meta": {"count": None, "page": n, "source": "openalex-snapshot"},
                "results": self.page}  # fmt: skip
        write_bytes(path, json.dumps(body, ensure_ascii=False).encode("utf-8"))
        self.manifest["pages"].append(
            {
                "file": path.name,
                "n_results": len(self.page),
                "sha256": sha256_file(path),
                "fetched_at": now_utc(),
            }  # fmt: skip
        )
        self.page = []

    def finish(self) -> None:
        if self.page or not self.manifest["pages"]:
            self._save()
        unique = len(set(self.ids))
        self.manifest.update(
            meta_count=len(self.ids),
            n_results=len(self.ids),
            n_unique=unique,
            n_repeated=len(self.ids) - unique,
            count_matches=True,
            n_candidates=self.candidates,
            finished_at=now_utc(),
            complete=True,
        )
        write_json(ReviewPaths.harvest_manifest(self.folder), self.manifest)
