"""The corpus of a review: which sources a run reads, reading them into one works table, adding
files with ``slr import``, and what is frozen for each source.

A source is the protocol's (an OpenAlex query or a file), an imported file (listed in the
corpus's imports manifest), or a file added to one run only (``slr run --add-source``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from slr.clock import now_utc
from slr.errors import SlrError, SourceError
from slr.ingest.harvest import read_frozen
from slr.ingest.normalise import (
    assign_work_ids,
    enrich_from,
    expand_per_query,
    normalise_records,
    normalise_source,
)
from slr.ingest.sources import read_source
from slr.layout import ReviewPaths, checked_name
from slr.protocol import PRISMA_GROUPS, FileSource, OpenAlexSource, Protocol
from slr.tables.contracts import SOURCES, WORKS
from slr.tables.io import copy_file, locked, read_json, sha256_file, write_json
from slr.tables.schema import conform

# fields the full records may add to the committed bibliographic facts
ENRICH_FIELDS = ("abstract", "abstract_alt")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SourceSpec:
    """A source of one run: from the protocol, an ``slr import``, or ``--add-source``."""

    id: str
    kind: str  # openalex, file, import, extra
    prisma_group: str
    path: Path | None = None
    format: str = "auto"
    enrich_from: Path | None = None
    per_query: bool = False


def read_imports(protocol: Protocol) -> list[dict[str, Any]]:
    """The files added with ``slr import``, as listed in the corpus's imports manifest."""
    path = ReviewPaths.of(protocol).imports_manifest
    return read_json(path)["imports"] if path.is_file() else []


def collect_sources(protocol: Protocol, add_sources: Iterable[str | Path] = ()) -> list[SourceSpec]:
    """Every source of a run: the protocol's, the imported files, the files added to this run."""
    paths = ReviewPaths.of(protocol)
    specs: list[SourceSpec] = []
    for s in protocol.sources:
        if isinstance(s, OpenAlexSource):
            specs.append(SourceSpec(s.id, "openalex", s.prisma_group))
        elif isinstance(s, FileSource):
            specs.append(
                SourceSpec(
                    s.id,
                    "file",
                    s.prisma_group,
                    paths.resolve(s.path),
                    s.format,
                    paths.resolve(s.enrich_from) if s.enrich_from else None,
                    s.per_query,
                )
            )
    for imp in read_imports(protocol):
        specs.append(
            SourceSpec(
                imp["id"],
                "import",
                imp["prisma_group"],
                paths.corpus / imp["path"],
                imp["format"],
            )
        )
    taken = {s.id for s in specs}
    for raw in add_sources:
        path = Path(raw).expanduser().resolve()
        sid = _unique_id(f"extra-{_slug(path.stem)}", taken)
        taken.add(sid)
        specs.append(SourceSpec(sid, "extra", "other", path, "auto"))
    return specs


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "source"


def _unique_id(base: str, taken: set[str]) -> str:
    sid, n = base, 2
    while sid in taken:
        sid, n = f"{base}-{n}", n + 1
    return sid


def read_sources(
    protocol: Protocol, specs: list[SourceSpec], *, progress: Progress | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read every source into works rows (keys assigned) and the sources table.

    An OpenAlex source never harvested and a file source whose file is absent are listed with
    their status, not an error: the run says what it could not read. A file that is present but
    malformed is an error.
    """
    paths = ReviewPaths.of(protocol)
    frames, rows = [], []
    for spec in specs:
        if progress:
            progress(f"reading {spec.id}")
        if spec.kind == "openalex":
            records, manifest = read_frozen(paths.harvest(spec.id))
            if manifest is None:
                rows.append(_source_row(spec, "not harvested", 0, note="run `slr harvest` online"))
                continue
            df = normalise_records(
                records,
                source_id=spec.id,
                source_format="openalex-json",
                where=f"openalex/{spec.id}",
            )
            note = (
                f"harvested {manifest.get('finished_at')}; meta.count {manifest.get('meta_count')}"
            )
            rows.append(_source_row(spec, "read", len(df), path=None, note=note, df=df))
            frames.append(df)
            continue
        assert spec.path is not None
        if not spec.path.is_file():
            if spec.kind == "file":
                rows.append(
                    _source_row(
                        spec, "missing", 0, path=paths.shown(spec.path), note="file not found"
                    )
                )
                continue
            raise SourceError(f"{spec.path}: file not found (source {spec.id})")
        src = read_source(spec.path, spec.format)
        df = normalise_source(src, source_id=spec.id, where=paths.shown(spec.path))
        if spec.kind == "extra" and not len(df):
            raise SourceError(f"{spec.path}: no records found (--add-source); nothing run")
        notes = []
        if spec.enrich_from is not None:
            df, note = _enrich(paths, df, spec.enrich_from)
            notes.append(note)
        if spec.per_query:
            n_works = len(df)
            df = expand_per_query(df)
            notes.append(f"{n_works} works found by {len(df)} query hits (one record per hit)")
        note = "; ".join(notes)
        rows.append(
            _source_row(
                spec,
                "read",
                len(df),
                path=paths.shown(spec.path),  # where the project is does not change outputs
                sha256=sha256_file(spec.path),
                note=note,
                df=df,
            )
        )
        frames.append(df)
    works = pd.concat(frames, ignore_index=True) if frames else WORKS.empty()
    works = assign_work_ids(conform(works, WORKS))
    return works, conform(pd.DataFrame(rows, columns=SOURCES.names), SOURCES)


def _enrich(paths: ReviewPaths, df: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, str]:
    shown = paths.shown(path)
    if not path.is_file():
        return df, f"full records not found at {shown}: bibliographic facts only, no abstracts"
    full = normalise_source(read_source(path), source_id="enrich", where=shown)
    enriched = enrich_from(df, full, fields=ENRICH_FIELDS)
    n = int(enriched["abstract"].notna().sum() - df["abstract"].notna().sum())
    return enriched, f"abstracts added from {shown} for {n} records"


def _source_row(
    spec: SourceSpec,
    status: str,
    n: int,
    *,
    path: str | None = None,
    sha256: str | None = None,
    note: str = "",
    df: pd.DataFrame | None = None,
) -> dict[str, Any]:
    return {
        "source_id": spec.id,
        "kind": spec.kind,
        "prisma_group": spec.prisma_group,
        "status": status,
        "n_records": n,
        "path": path,
        "sha256": sha256,
        "fields": _fields_summary(df) if df is not None else None,
        "note": note or None,
    }


def _fields_summary(df: pd.DataFrame) -> str:
    parts = []
    for f in ("abstract", "keywords", "doi", "publication_year", "language", "authors"):
        col = df[f]
        have = int(col.map(len).gt(0).sum()) if col.dtype == object else int(col.notna().sum())
        parts.append(f"{f} {have}/{len(df)}")
    return "; ".join(parts)


def import_file(
    protocol: Protocol,
    path: str | Path,
    *,
    source_id: str | None = None,
    format: str = "auto",
    prisma_group: str = "other",
) -> dict[str, Any]:
    """Add a file to the review's frozen corpus as a new, recorded source.

    The file is parsed first (a malformed file is refused whole, naming its line or record),
    then copied to ``corpus/<review>/imports/`` and listed in ``imports.json`` with its hash,
    format and record count. Returns the new entry.
    """
    path = Path(path).expanduser().resolve()
    if source_id is not None:
        checked_name(source_id, "source id")  # it names the copied file: checked first
    if prisma_group not in PRISMA_GROUPS:
        raise SlrError(
            f"unknown PRISMA group {prisma_group!r}; valid options: {', '.join(PRISMA_GROUPS)}"
        )
    src = read_source(path, format)
    df = normalise_source(src, source_id="import")
    if not len(df):
        raise SourceError(f"{path}: no records found; nothing imported")
    digest = sha256_file(path)
    paths = ReviewPaths.of(protocol)
    with locked(paths.imports_manifest):  # two imports at once: one after the other
        imports = read_imports(protocol)
        for imp in imports:
            if imp["sha256"] == digest:
                raise SlrError(f"{path}: already imported as source {imp['id']!r} ({imp['path']})")
        taken = {s.id for s in protocol.sources} | {imp["id"] for imp in imports}
        sid = source_id or _unique_id(f"import-{_slug(path.stem)}", taken)
        if sid in taken:
            raise SlrError(f"source id {sid!r} is already used; taken: {', '.join(sorted(taken))}")
        target = paths.imported_file(sid, "".join(path.suffixes[-2:]) or ".txt")
        copy_file(path, target)
        entry = {
            "id": sid,
            "path": str(target.relative_to(paths.corpus)),
            "original": str(path),
            "format": src.format,
            "sha256": digest,
            "n_records": len(df),
            "prisma_group": prisma_group,
            "imported_at": now_utc(),
            "protocol_hash": protocol.hash,
        }
        write_json(paths.imports_manifest, {"imports": [*imports, entry]})
    return entry


def compute_corpus_status(protocol: Protocol) -> pd.DataFrame:
    """What is frozen for each source: harvested pages and works, or file records."""
    paths = ReviewPaths.of(protocol)
    rows = []
    for spec in collect_sources(protocol):
        if spec.kind == "openalex":
            folder, partial = paths.harvest(spec.id), paths.harvest_partial(spec.id)
            if paths.harvest_manifest(folder).is_file():
                m = read_json(paths.harvest_manifest(folder))
                state = f"harvested {m.get('finished_at')}: {len(m['pages'])} pages"
                n = m.get("n_unique", m.get("n_results", 0))
            else:
                state, n = "not harvested", 0
            if paths.harvest_manifest(partial).is_file():
                m = read_json(paths.harvest_manifest(partial))
                state += f"; interrupted harvest: {len(m['pages'])} pages saved (resume with `slr harvest`)"
            rows.append({"source": spec.id, "kind": spec.kind, "records": n, "state": state})
        else:
            present = spec.path is not None and spec.path.is_file()
            src = read_source(spec.path, spec.format) if present else None
            state = "present" if present else "missing"
            if src is not None and spec.per_query:  # PRISMA counts every query hit
                hits = len(expand_per_query(normalise_source(src, source_id=spec.id)))
                state += f"; {hits} query hits, each an identified record in PRISMA (per_query)"
            rows.append(
                {
                    "source": spec.id,
                    "kind": spec.kind,
                    "records": len(src.records) if src is not None else 0,
                    "state": state,
                }
            )
    return pd.DataFrame(rows)
