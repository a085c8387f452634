"""The OpenAlex client: the only code in slr that goes online.

pyalex builds each query (a fresh ``Works()`` each time: pyalex queries mutate as they page);
slr owns the base URL and the HTTP (pyalex 0.21 ignores ``config.openalex_url`` for entity
queries), so a harvest can be pointed at a local replay server. Requests retry on 429 and 5xx
(honouring ``Retry-After``) and time out.

The API key and email come from the environment (``OPENALEX_API_KEY``, ``OPENALEX_EMAIL``) and
are sent as headers, never written to any file; :func:`public_url` is what a manifest may show.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
import urllib3
from pyalex import Works
from pyalex.api import AlexConfig, OpenAlexAuth
from rapidfuzz import fuzz
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from slr.clock import now_utc
from slr.errors import HarvestError
from slr.ingest.fields import normalise_title
from slr.protocol import OpenAlexSource, Protocol

DEFAULT_BASE_URL = "https://api.openalex.org"
ENV_BASE_URL = "SLR_OPENALEX_URL"
ENV_API_KEY = "OPENALEX_API_KEY"
ENV_EMAIL = "OPENALEX_EMAIL"
PER_PAGE = 200
RETRY_STATUS = (429, 500, 502, 503, 504)
_SECRET_PARAMS = {"api_key", "apikey", "key", "token", "access_token", "password", "mailto"}
IDENTIFYING_HEADERS = ("Authorization", "From")  # the API key and the e-mail: OpenAlex's only


class BrokenAnswer(HarvestError):
    """An answer that broke off, came too slowly or is not a whole OpenAlex page: asking
    again may well work."""


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
    timeout: tuple[float, float] = (10.0, 60.0)  # to connect; between two bytes of an answer
    deadline: float = 300.0  # seconds for a whole answer (a server that trickles is cut off)
    max_bytes: int = 64 * 2**20  # an answer larger than this is refused (a page is ~1-5 MB)

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
    """``url`` as a file may show it: without a user name or password (``user:pw@host``) and
    without secret parameters (``api_key``, ``mailto``, ``token`` …)."""
    parts = urlsplit(url)
    kept = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _SECRET_PARAMS
    ]
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc, query=urlencode(kept, safe=":,|*")))


class _Session(requests.Session):
    """A session that never sends the API key or the e-mail to another host than the one
    asked (requests drops ``Authorization`` on such a redirect, not ``From``)."""

    def rebuild_auth(self, prepared_request, response):  # requests' hook for redirects
        super().rebuild_auth(prepared_request, response)
        before, after = urlsplit(response.request.url), urlsplit(prepared_request.url)
        if (before.hostname, before.port) != (after.hostname, after.port):
            for name in IDENTIFYING_HEADERS:
                prepared_request.headers.pop(name, None)


def make_session(settings: HarvestSettings) -> requests.Session:
    """A requests session with retries (429/5xx, honouring Retry-After) and auth headers."""
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
    session = _Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.auth = OpenAlexAuth(
        AlexConfig(api_key=settings.api_key, email=settings.email, user_agent=_user_agent())
    )
    return session


def _user_agent() -> str:
    return f"slr/{version('slr')} (pyalex/{version('pyalex')})"


def fetch(
    session: requests.Session, url: str, settings: HarvestSettings, source_id: str, n: int
) -> tuple[bytes, int]:
    """GET ``url``; the body and status of a 200 answer, else :class:`HarvestError` saying what
    went wrong and what to do (``source_id`` and page ``n`` name the request). The whole
    answer must come within ``settings.deadline`` seconds and ``settings.max_bytes``."""
    shown, base = public_url(url), public_url(settings.base_url)
    try:
        response = session.get(url, timeout=settings.timeout, stream=True)
    except requests.exceptions.ConnectionError as e:
        raise HarvestError(
            f"{source_id}: cannot reach {base} ({_root_cause(e)}); `slr harvest` "
            "needs the internet; the frozen corpus is unchanged and saved pages are kept"
        ) from e
    except requests.exceptions.Timeout as e:
        raise HarvestError(
            f"{source_id}: page {n}: no answer from {base} within "
            f"{settings.timeout[1]:g} s; saved pages are kept, rerun to resume"
        ) from e
    except requests.exceptions.RequestException as e:
        raise HarvestError(f"{source_id}: page {n}: request failed: {_root_cause(e)}") from e
    body = _read_body(response, settings, f"{source_id}: page {n}")
    if response.status_code == 200:
        return body, 200
    message = _error_message(body)
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


def _read_body(response: requests.Response, settings: HarvestSettings, what: str) -> bytes:
    """The answer's body, read within the deadline and the size limit. It is read as it comes
    (one network read at a time), so a server that sends one byte every few seconds, which
    never passes the per-read timeout, is still cut off at the deadline."""
    chunks, size, started = [], 0, time.monotonic()
    try:
        while True:
            if time.monotonic() - started > settings.deadline:
                raise BrokenAnswer(
                    f"{what}: no complete answer within {settings.deadline:g} s ({size} bytes came)"
                )
            chunk = response.raw.read1(1 << 16, decode_content=True)
            if not chunk:
                break
            size += len(chunk)
            if size > settings.max_bytes:
                raise BrokenAnswer(
                    f"{what}: the answer is larger than {settings.max_bytes / 2**20:g} MB"
                )
            chunks.append(chunk)
    except (urllib3.exceptions.HTTPError, requests.exceptions.RequestException, OSError) as e:
        raise BrokenAnswer(f"{what}: the answer broke off ({_root_cause(e)})") from e
    finally:
        response.close()
    return b"".join(chunks)


def _error_message(body: bytes, limit: int = 400) -> str:
    try:
        data = json.loads(body)
        text = (
            data.get("message") or data.get("error") or json.dumps(data)
            if isinstance(data, dict)
            else json.dumps(data)
        )
    except ValueError:
        text = body.decode("utf-8", errors="replace")
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + " …"


def _root_cause(e: BaseException) -> str:
    while e.__context__ is not None and e.__context__ is not e:
        e = e.__context__
    return f"{type(e).__name__}: {e}"


# ---------------------------------------------------------------------- reference lookup


def fetch_reference_matches(
    protocol: Protocol, *, settings: HarvestSettings | None = None
) -> dict[str, Any]:
    """Look each reference of the protocol's seed article up in OpenAlex by title.

    The query is built by pyalex (``Works().search_filter(title=…)``), sent by slr to its base
    URL; the best match by title similarity is kept with its year, venue and DOI. Returns the
    record to save: when, where, the protocol's hash, and each reference's match (or None).
    """
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
        body, _ = fetch(session, url, settings, f"reference {ref.id}", n)
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
    return {
        "looked_up_at": now_utc(),
        "base_url": public_url(settings.base_url),
        "protocol_hash": protocol.hash,
        "results": results,
    }
