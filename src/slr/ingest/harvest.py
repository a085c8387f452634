"""Harvest OpenAlex into the frozen corpus, and read it back.

Pages are cursor-paged at ``per_page=200`` with no 10,000 cap and saved unchanged, one file per
page, with a manifest: the query, the URL without secrets, ``meta.count``, times, pyalex's
version and the protocol's hash. A harvest writes into ``<source>.partial/`` and replaces the
frozen ``<source>/`` only when complete, so an interrupted harvest loses nothing: the next run
resumes from the last saved page's cursor. The requests go through :mod:`slr.ingest.openalex`.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from slr.clock import now_utc
from slr.errors import HarvestError, shorten
from slr.ingest.openalex import (
    BrokenAnswer,
    HarvestSettings,
    fetch,
    fetch_reference_matches,
    make_session,
    public_url,
    query_url,
)
from slr.ingest.sources import RawRecord, openalex_records
from slr.layout import ReviewPaths
from slr.protocol import OpenAlexSource, Protocol
from slr.tables.io import read_json, sha256_file, write_bytes, write_json

logger = logging.getLogger(__name__)


def harvest_source(
    source: OpenAlexSource,
    protocol: Protocol,
    *,
    settings: HarvestSettings | None = None,
    session: requests.Session | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> dict[str, Any]:
    """Harvest every page of ``source`` into the frozen corpus; return its manifest.

    Resumes an interrupted harvest of the same query from ``<source>.partial/``. Raises
    :class:`HarvestError` on failure, keeping every page already saved.
    """
    settings = settings or HarvestSettings.from_env()
    session = session or make_session(settings)
    paths = ReviewPaths.of(protocol)
    final, partial = paths.harvest(source.id), paths.harvest_partial(source.id)
    url = query_url(source, base_url=settings.base_url)
    manifest = _start_or_resume(partial, source, protocol, settings, url)
    pages = manifest["pages"]
    cursor = pages[-1]["next_cursor"] if pages else "*"
    ids = _saved_ids(partial, pages)
    collected = len(ids)
    if pages:
        logger.info("%s: resuming after page %d (%d works)", source.id, len(pages), collected)

    while cursor is not None:
        n = len(pages) + 1
        page_url = f"{url}&per_page={settings.per_page}&cursor={quote(cursor, safe='')}"
        body, status, data = _fetch_page(session, page_url, settings, source.id, n)
        results, meta = data["results"], data["meta"]
        if manifest["meta_count"] is None:
            manifest["meta_count"] = meta.get("count")
        next_cursor = meta.get("next_cursor")
        page = ReviewPaths.harvest_page(partial, n)
        if results or not pages:
            write_bytes(page, body)
            pages.append(
                {
                    "file": page.name,
                    "cursor": cursor,
                    "next_cursor": next_cursor,
                    "n_results": len(results),
                    "sha256": sha256_file(page),
                    "fetched_at": now_utc(),
                    "status": status,
                }
            )
        ids += [w["id"] for w in results]
        collected += len(results)
        manifest["n_results"] = collected
        write_json(ReviewPaths.harvest_manifest(partial), manifest)
        if progress:
            progress(collected, manifest["meta_count"])
        if not results or not next_cursor:
            break
        if manifest["meta_count"] is not None and collected >= manifest["meta_count"]:
            break  # every counted work is in: skip the terminal empty page (one request saved)
        cursor = next_cursor

    unique = len(set(ids))
    manifest.update(
        n_results=len(ids),
        n_unique=unique,
        n_repeated=len(ids) - unique,
        count_matches=manifest["meta_count"] == unique,
    )
    manifest["finished_at"] = now_utc()
    manifest["complete"] = True
    write_json(ReviewPaths.harvest_manifest(partial), manifest)
    replace_frozen(partial, final, paths.harvest_retired(source.id))
    if not manifest["count_matches"]:
        logger.warning(
            "%s: harvested %d works but meta.count said %s",
            source.id,
            manifest["n_unique"],
            manifest["meta_count"],
        )
    return manifest


def _fetch_page(
    session: requests.Session, url: str, settings: HarvestSettings, source_id: str, n: int
) -> tuple[bytes, int, dict[str, Any]]:
    """Page ``n``: its body, status and parsed JSON, checked to be a whole OpenAlex list page
    whose every result is a work (an object with an ``id``). An answer that broke off, came too
    slowly or is not such a page is asked for again (``settings.max_retries`` times, waiting
    longer each time); nothing of it is saved."""
    for attempt in range(settings.max_retries + 1):
        try:
            body, status = fetch(session, url, settings, source_id, n)
            return body, status, check_page(body, f"{source_id}: page {n}")
        except BrokenAnswer as e:
            if attempt == settings.max_retries:
                raise HarvestError(
                    f"{e} (asked {attempt + 1} times); saved pages are kept, rerun "
                    "`slr harvest` to resume"
                ) from e
            logger.warning("%s; asking again", e)
            time.sleep(settings.backoff_factor * 2**attempt)
    raise AssertionError("unreachable")  # the loop returns or raises


def check_page(body: bytes, where: str) -> dict[str, Any]:
    """``body`` parsed, if it is an OpenAlex list page (``meta``, ``results``) whose results
    are all works; else :class:`BrokenAnswer` naming what is wrong."""
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BrokenAnswer(f"{where} is not valid JSON ({e})") from e
    if not (
        isinstance(data, dict)
        and isinstance(data.get("meta"), dict)
        and isinstance(data.get("results"), list)
    ):
        raise BrokenAnswer(f"{where} is not an OpenAlex list page (no meta/results)")
    for i, work in enumerate(data["results"], start=1):
        if not isinstance(work, dict) or not isinstance(work.get("id"), str) or not work["id"]:
            raise BrokenAnswer(
                f"{where}: result {i} is not a work (an object with an `id`): "
                f"{shorten(json.dumps(work), 80)}"
            )
    return data


def _start_or_resume(
    partial: Path, source: OpenAlexSource, protocol: Protocol, settings: HarvestSettings, url: str
) -> dict[str, Any]:
    if ReviewPaths.harvest_manifest(partial).is_file():
        old = read_json(ReviewPaths.harvest_manifest(partial))
        if old.get("url") == public_url(url) and old.get("per_page") == settings.per_page:
            for page in old["pages"]:
                path = partial / page["file"]
                if not path.is_file() or sha256_file(path) != page["sha256"]:
                    raise HarvestError(
                        f"{source.id}: saved page {path} is missing or changed since it was "
                        f"fetched; delete {partial} to start the harvest again"
                    )
            return old
        logger.info(
            "%s: the query changed since the interrupted harvest; starting again", source.id
        )
        shutil.rmtree(partial)
    partial.mkdir(parents=True, exist_ok=True)
    return {
        "source_id": source.id,
        "query": source.model_dump(mode="json", exclude={"description", "prisma_group"}),
        "url": public_url(url),
        "base_url": public_url(settings.base_url),
        "per_page": settings.per_page,
        "meta_count": None,
        "n_results": 0,
        "pages": [],
        "started_at": now_utc(),
        "finished_at": None,
        "complete": False,
        "pyalex_version": version("pyalex"),
        "slr_version": version("slr"),
        "protocol_hash": protocol.hash,
    }


def _saved_ids(folder: Path, pages: list[dict[str, Any]]) -> list[str]:
    """The work IDs on pages already saved (when resuming)."""
    ids: list[str] = []
    for page in pages:
        data = json.loads((folder / page["file"]).read_bytes())
        ids += [w.get("id") for w in data.get("results", []) if isinstance(w, dict)]
    return ids


def replace_frozen(partial: Path, final: Path, old: Path) -> None:
    """Put a completed ``partial`` folder in place of ``final`` (moved to ``old`` meanwhile)."""
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        final.rename(old)
    partial.rename(final)
    if old.exists():
        shutil.rmtree(old)


def harvest(
    protocol: Protocol,
    *,
    sources: list[str] | None = None,
    settings: HarvestSettings | None = None,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> list[dict[str, Any]]:
    """Harvest the protocol's OpenAlex sources (all, or those in ``sources``)."""
    settings = settings or HarvestSettings.from_env()
    chosen = [s for s in protocol.sources if isinstance(s, OpenAlexSource)]
    if sources:
        known = {s.id for s in chosen}
        unknown = [s for s in sources if s not in known]
        if unknown:
            raise HarvestError(
                f"unknown OpenAlex source {unknown}; valid options: {', '.join(sorted(known)) or 'none'}"
            )
        chosen = [s for s in chosen if s.id in sources]
    session = make_session(settings)
    out = []
    for source in chosen:
        report = (
            None if progress is None else (lambda n, total, sid=source.id: progress(sid, n, total))
        )
        out.append(
            harvest_source(source, protocol, settings=settings, session=session, progress=report)
        )
    return out


# ---------------------------------------------------------------------- reading frozen pages


def read_frozen(folder: Path) -> tuple[list[RawRecord], dict[str, Any] | None]:
    """The works of a completed harvest (its folder, :meth:`ReviewPaths.harvest`), in page
    order, each located by page file and index.

    Returns ``([], None)`` when the source was never harvested. Raises if a page changed since
    it was saved (its SHA-256 no longer matches the manifest).
    """
    if not ReviewPaths.harvest_manifest(folder).is_file():
        return [], None
    manifest = read_json(ReviewPaths.harvest_manifest(folder))
    records: list[RawRecord] = []
    for page in manifest["pages"]:
        path = folder / page["file"]
        if not path.is_file() or sha256_file(path) != page["sha256"]:
            raise HarvestError(
                f"{path}: missing or changed since it was harvested (SHA-256 differs)"
            )
        data = json.loads(path.read_bytes())
        for rec in openalex_records(data, where=str(path)):
            records.append(RawRecord(f"{page['file']} {rec.locator}", rec.data))
    return records, manifest


def lookup_references(
    protocol: Protocol, *, settings: HarvestSettings | None = None
) -> dict[str, Any]:
    """Look the seed article's references up in OpenAlex and save the answers in the corpus
    (:attr:`ReviewPaths.reference_lookup`) for offline runs to audit; return the record."""
    record = fetch_reference_matches(protocol, settings=settings)
    write_json(ReviewPaths.of(protocol).reference_lookup, record)
    return record
