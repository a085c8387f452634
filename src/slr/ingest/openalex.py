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
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
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
    return f"slr/{version('slr')} (pyalex/{version('pyalex')})"


def fetch(
    session: requests.Session, url: str, settings: HarvestSettings, source_id: str, n: int
) -> tuple[bytes, int]:
    """GET ``url``; the body and status of a 200 answer, else :class:`HarvestError` saying what
    went wrong and what to do (``source_id`` and page ``n`` name the request)."""
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
        "base_url": settings.base_url,
        "protocol_hash": protocol.hash,
        "results": results,
    }
