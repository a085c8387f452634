"""Harvest OpenAlex: the only code in slr that goes online.

pyalex builds each source's query (a fresh ``Works()`` per source: pyalex queries mutate as
they page); slr owns the base URL and the HTTP (pyalex 0.21 ignores ``config.openalex_url`` for
entity queries), so a harvest can be pointed at a local replay server.

Pages are cursor-paged at ``per_page=200`` with no 10,000 cap and saved unchanged, one file per
page, with a manifest: the query, the URL without secrets, ``meta.count``, times, pyalex's
version and the protocol's hash. A harvest writes into ``<source>.partial/`` and replaces the
frozen ``<source>/`` only when complete, so an interrupted harvest loses nothing: the next run
resumes from the last saved page's cursor.

The API key and email come from the environment (``OPENALEX_API_KEY``, ``OPENALEX_EMAIL``) and
are sent as headers, never written to any file.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from slr.errors import HarvestError
from slr.io import read_json, sha256_file, write_bytes, write_json
from slr.protocol import OpenAlexSource, Protocol
from slr.screen import now_utc
from slr.sources import RawRecord, openalex_records

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openalex.org"
ENV_BASE_URL = "SLR_OPENALEX_URL"
ENV_API_KEY = "OPENALEX_API_KEY"
ENV_EMAIL = "OPENALEX_EMAIL"
PER_PAGE = 200
RETRY_STATUS = (429, 500, 502, 503, 504)
_SECRET_PARAMS = {"api_key", "mailto"}


@dataclass(frozen=True)
class HarvestSettings:
    """How to talk to OpenAlex. ``from_env`` reads the base URL, key and email."""

    base_url: str = DEFAULT_BASE_URL
    api_key: str | None = None
    email: str | None = None
    per_page: int = PER_PAGE
    max_retries: int = 5
    backoff_factor: float = 1.0
    connect_retries: int = 1
    timeout: tuple[float, float] = (10.0, 60.0)

    @classmethod
    def from_env(cls, **overrides: Any) -> HarvestSettings:
        env = {
            "base_url": os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL,
            "api_key": os.environ.get(ENV_API_KEY) or None,
            "email": os.environ.get(ENV_EMAIL) or None,
        }
        env.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**env)


def build_query(source: OpenAlexSource):
    """A fresh pyalex ``Works`` query for ``source`` (never reuse one: pyalex mutates it)."""
    from pyalex import Works

    query = Works()
    if source.filter:
        query = query.filter(**dict(source.filter))
    if source.search:
        query = query.search(source.search)
    if source.select:
        query = query.select(list(source.select))
    return query


def query_url(source: OpenAlexSource, *, base_url: str = DEFAULT_BASE_URL) -> str:
    """The source's query URL at ``base_url``, without paging or secrets."""
    pyalex_url = urlsplit(build_query(source).url)
    base = urlsplit(base_url.rstrip("/"))
    query = pyalex_url.query
    if source.include_xpac:
        query = f"{query}&include_xpac=true" if query else "include_xpac=true"
    return urlunsplit((base.scheme, base.netloc, base.path + pyalex_url.path, query, ""))


def public_url(url: str) -> str:
    """``url`` without secret parameters (``api_key``, ``mailto``)."""
    parts = urlsplit(url)
    kept = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in _SECRET_PARAMS
    ]
    return urlunsplit(parts._replace(query=urlencode(kept, safe=":,|*")))


def make_session(settings: HarvestSettings) -> requests.Session:
    """A requests session with retries (429/5xx, honouring Retry-After) and auth headers."""
    from pyalex.api import AlexConfig, OpenAlexAuth

    retry = Retry(
        total=settings.max_retries + settings.connect_retries,
        connect=settings.connect_retries,
        read=settings.max_retries,
        status=settings.max_retries,
        backoff_factor=settings.backoff_factor,
        status_forcelist=RETRY_STATUS,
        allowed_methods={"GET"},
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.auth = OpenAlexAuth(
        AlexConfig(api_key=settings.api_key, email=settings.email, user_agent=_user_agent())
    )
    return session


def _user_agent() -> str:
    from importlib.metadata import version

    return f"slr/{version('slr')} (pyalex/{version('pyalex')})"


# ---------------------------------------------------------------------- harvesting


def source_dir(corpus_dir: Path, source_id: str) -> Path:
    return corpus_dir / "openalex" / source_id


def harvest_source(
    source: OpenAlexSource,
    protocol: Protocol,
    *,
    settings: HarvestSettings | None = None,
    session: requests.Session | None = None,
    corpus_dir: Path | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> dict[str, Any]:
    """Harvest every page of ``source`` into the frozen corpus; return its manifest.

    Resumes an interrupted harvest of the same query from ``<source>.partial/``. Raises
    :class:`HarvestError` on failure, keeping every page already saved.
    """
    settings = settings or HarvestSettings.from_env()
    session = session or make_session(settings)
    corpus_dir = corpus_dir or protocol.corpus_dir
    final = source_dir(corpus_dir, source.id)
    partial = final.with_name(final.name + ".partial")
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
        body, status = _get(session, page_url, settings, source.id, n)
        try:
            data = json.loads(body)
        except json.JSONDecodeError as e:
            raise HarvestError(
                f"{source.id}: page {n} is not valid JSON ({e.msg} at line {e.lineno}); "
                f"{len(pages)} pages kept in {partial}; rerun `slr harvest` to resume"
            ) from e
        meta = data.get("meta") if isinstance(data, dict) else None
        if not isinstance(meta, dict) or not isinstance(data.get("results"), list):
            raise HarvestError(
                f"{source.id}: page {n} is not an OpenAlex list response (no meta/results); "
                f"{len(pages)} pages kept in {partial}"
            )
        results = data["results"]
        if manifest["meta_count"] is None:
            manifest["meta_count"] = meta.get("count")
        next_cursor = meta.get("next_cursor")
        name = f"page_{n:04d}.json"
        if results or not pages:
            write_bytes(partial / name, body)
            pages.append(
                {
                    "file": name,
                    "cursor": cursor,
                    "next_cursor": next_cursor,
                    "n_results": len(results),
                    "sha256": sha256_file(partial / name),
                    "fetched_at": now_utc(),
                    "status": status,
                }
            )
        ids += [w.get("id") for w in results if isinstance(w, dict)]
        collected += len(results)
        manifest["n_results"] = collected
        write_json(partial / "manifest.json", manifest)
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
    write_json(partial / "manifest.json", manifest)
    _replace(partial, final)
    if not manifest["count_matches"]:
        logger.warning(
            "%s: harvested %d works but meta.count said %s",
            source.id,
            manifest["n_unique"],
            manifest["meta_count"],
        )
    return manifest


def _start_or_resume(
    partial: Path, source: OpenAlexSource, protocol: Protocol, settings: HarvestSettings, url: str
) -> dict[str, Any]:
    from importlib.metadata import version

    if (partial / "manifest.json").is_file():
        old = read_json(partial / "manifest.json")
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
        "base_url": settings.base_url,
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


def _get(
    session: requests.Session, url: str, settings: HarvestSettings, source_id: str, n: int
) -> tuple[bytes, int]:
    shown = public_url(url)
    try:
        response = session.get(url, timeout=settings.timeout)
    except requests.exceptions.ConnectionError as e:
        raise HarvestError(
            f"{source_id}: cannot reach {settings.base_url} ({_root_cause(e)}); `slr harvest` "
            "needs the internet; the frozen corpus is unchanged and saved pages are kept"
        ) from e
    except requests.exceptions.Timeout as e:
        raise HarvestError(
            f"{source_id}: page {n}: no answer from {settings.base_url} within "
            f"{settings.timeout[1]:g} s; saved pages are kept, rerun to resume"
        ) from e
    except requests.exceptions.RequestException as e:
        raise HarvestError(f"{source_id}: page {n}: request failed: {_root_cause(e)}") from e
    if response.status_code == 200:
        return response.content, 200
    message = _error_message(response)
    if response.status_code in (401, 403):
        hint = f"set {ENV_API_KEY} to a valid OpenAlex API key"
    elif response.status_code == 400:
        hint = "fix the source's filter/search/select in the protocol"
    elif response.status_code in RETRY_STATUS:
        hint = (
            f"gave up after {settings.max_retries} retries; saved pages are kept, rerun to resume"
        )
    else:
        hint = "saved pages are kept"
    raise HarvestError(
        f"{source_id}: page {n}: HTTP {response.status_code} from {shown}: {message} ({hint})"
    )


def _error_message(response: requests.Response, limit: int = 400) -> str:
    try:
        body = response.json()
        text = body.get("message") or body.get("error") or json.dumps(body)
    except ValueError:
        text = response.text
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + " …"


def _root_cause(e: BaseException) -> str:
    while e.__context__ is not None and e.__context__ is not e:
        e = e.__context__
    return f"{type(e).__name__}: {e}"


def _saved_ids(folder: Path, pages: list[dict[str, Any]]) -> list[str]:
    """The work IDs on pages already saved (when resuming)."""
    ids: list[str] = []
    for page in pages:
        data = json.loads((folder / page["file"]).read_bytes())
        ids += [w.get("id") for w in data.get("results", []) if isinstance(w, dict)]
    return ids


def _replace(partial: Path, final: Path) -> None:
    old = final.with_name(final.name + ".old")
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


def read_frozen(corpus_dir: Path, source_id: str) -> tuple[list[RawRecord], dict[str, Any] | None]:
    """The works of a completed harvest, in page order, each located by page file and index.

    Returns ``([], None)`` when the source was never harvested. Raises if a page changed since
    it was saved (its SHA-256 no longer matches the manifest).
    """
    folder = source_dir(corpus_dir, source_id)
    if not (folder / "manifest.json").is_file():
        return [], None
    manifest = read_json(folder / "manifest.json")
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


# ---------------------------------------------------------------------- reference lookup

REFERENCE_LOOKUP = "seed/reference-lookup.json"


def lookup_references(
    protocol: Protocol, *, settings: HarvestSettings | None = None
) -> dict[str, Any]:
    """Look each reference of the protocol's seed article up in OpenAlex by title; save the
    answers (``corpus/<review>/seed/reference-lookup.json``) for offline runs to audit.

    The query is built by pyalex (``Works().search_filter(title=…)``), sent by slr to its base
    URL; the best match by title similarity is kept with its year, venue and DOI.
    """
    from pyalex import Works
    from rapidfuzz import fuzz

    from slr.normalise import normalise_title

    if protocol.seed_article is None or not protocol.seed_article.references:
        raise HarvestError("the protocol lists no seed_article.references to look up")
    settings = settings or HarvestSettings.from_env()
    session = make_session(settings)
    base = urlsplit(settings.base_url.rstrip("/"))
    results: dict[str, Any] = {}
    for n, ref in enumerate(protocol.seed_article.references, start=1):
        built = urlsplit(Works().search_filter(title=ref.title).url)
        url = urlunsplit(
            (base.scheme, base.netloc, base.path + built.path, built.query + "&per-page=5", "")
        )
        body, _ = _get(session, url, settings, f"reference {ref.id}", n)
        works = json.loads(body).get("results", [])
        scored = [
            (fuzz.token_set_ratio(normalise_title(ref.title), normalise_title(w.get("title"))), w)
            for w in works
        ]
        best = max(scored, key=lambda sw: sw[0], default=(0, None))
        if best[1] is None or best[0] < 85:
            results[ref.id] = None
            continue
        w = best[1]
        source = ((w.get("primary_location") or {}).get("source") or {}).get("display_name")
        results[ref.id] = {
            "id": w.get("id"),
            "title": w.get("title"),
            "year": w.get("publication_year"),
            "venue": source,
            "doi": w.get("doi"),
            "score": best[0],
            "url": public_url(url),
        }
    record = {
        "looked_up_at": now_utc(),
        "base_url": settings.base_url,
        "protocol_hash": protocol.hash,
        "results": results,
    }
    write_json(protocol.corpus_dir / REFERENCE_LOOKUP, record)
    return record
