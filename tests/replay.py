"""A local OpenAlex replay server on 127.0.0.1 for harvest tests and benchmarks.

It answers from two kinds of material:

- **recorded** interactions: the real request/response pairs in
  ``../shared/data/openalex/recorded-api/vcr_cassettes_json/`` (bodies replayed byte for byte);
- **scripted** listings: a list of real work objects served as cursor pages for a given
  ``filter``/``search`` (the recordings never hold two non-empty pages in a row, so multi-page
  harvests are built by splitting recorded works into pages).

Requests match on path and the query parameters that select results (``filter``, ``search``,
``cursor``, ``per_page``); ``api_key``, ``mailto``, ``select`` and ``include_xpac`` are ignored.
Faults can be queued (``fail_next``): an HTTP status with a body, served before the real answer.
Every request is recorded with its client address and headers.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

IGNORED = {"api_key", "mailto", "select", "include_xpac", "per-page", "per_page"}


def _key(path: str, query: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    params = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in IGNORED]
    return path.rstrip("/"), tuple(sorted(params))


@dataclass
class Request:
    path: str
    query: str
    headers: dict[str, str]
    client: str
    status: int


@dataclass
class Listing:
    works: list[dict[str, Any]]
    per_page: int = 200
    count: int | None = None  # meta.count to report (default: len(works))
    truncate_page: int | None = None  # serve this page (1-based) cut in half, once
    fail_pages: dict[int, list[int]] = field(default_factory=dict)  # page → statuses to serve first


@dataclass
class ReplayState:
    recorded: dict[tuple, tuple[int, bytes]] = field(default_factory=dict)
    listings: dict[tuple, Listing] = field(default_factory=dict)
    faults: deque = field(default_factory=deque)
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def load_cassettes(folder: Path) -> dict[tuple, tuple[int, bytes]]:
    out = {}
    for f in sorted(folder.glob("*.json")):
        for it in json.loads(f.read_text(encoding="utf-8"))["http_interactions"]:
            parts = urlsplit(it["request"]["uri"])
            body = it["response"]["body_string"].encode("utf-8")
            out.setdefault(_key(parts.path, parts.query), (it["response"]["status"], body))
    return out


class _Handler(BaseHTTPRequestHandler):
    state: ReplayState

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        status, body, headers = self._answer(parts.path, parts.query)
        with self.state.lock:
            self.state.requests.append(
                Request(parts.path, parts.query, dict(self.headers), self.client_address[0], status)
            )
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _answer(self, path: str, query: str) -> tuple[int, bytes, dict[str, str]]:
        with self.state.lock:
            if self.state.faults:
                status, body, headers = self.state.faults.popleft()
                return status, body, headers
        params = dict(parse_qsl(query, keep_blank_values=True))
        key = _key(path, query)
        nocursor = _key(
            path, "&".join(f"{k}={v}" for k, v in params.items() if k != "cursor" or v != "*")
        )
        for k in (key, nocursor):
            if k in self.state.recorded:
                status, body = self.state.recorded[k]
                return status, body, {}
        lkey = _key(
            path, "&".join(f"{k}={v}" for k, v in params.items() if k in ("filter", "search"))
        )
        listing = self.state.listings.get(lkey)
        if listing is not None:
            return self._page(listing, params)
        body = json.dumps({"error": "not recorded", "message": f"no recording for {path}?{query}"})
        return 404, body.encode(), {}

    def _page(self, listing: Listing, params: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        per_page = int(params.get("per_page") or params.get("per-page") or 25)
        cursor = params.get("cursor", "*")
        start = 0 if cursor == "*" else int(cursor.removeprefix("c"))
        page_no = start // per_page + 1
        if listing.fail_pages.get(page_no):
            status = listing.fail_pages[page_no].pop(0)
            return status, json.dumps({"error": f"HTTP {status}"}).encode(), {"Retry-After": "0"}
        results = listing.works[start : start + per_page]
        nxt = start + per_page
        body = {
            "meta": {
                "count": listing.count if listing.count is not None else len(listing.works),
                "db_response_time_ms": 1,
                "page": None,
                "per_page": per_page,
                "next_cursor": f"c{nxt}" if results else None,
                "groups_count": None,
            },
            "results": results,
            "group_by": [],
        }
        data = json.dumps(body).encode()
        if listing.truncate_page == page_no:
            listing.truncate_page = None  # once: the retry after the failure gets a whole page
            data = data[: len(data) // 2]
        return 200, data, {}


class ReplayServer:
    """``with ReplayServer(cassettes) as server: server.url`` → ``http://127.0.0.1:PORT``."""

    def __init__(self, cassette_dir: Path | None = None):
        self.state = ReplayState()
        if cassette_dir is not None:
            self.state.recorded = load_cassettes(cassette_dir)
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def requests(self) -> list[Request]:
        return self.state.requests

    def add_listing(
        self, *, filter: str | None = None, search: str | None = None, **kw: Any
    ) -> Listing:
        params = [("filter", filter)] if filter else []
        params += [("search", search)] if search else []
        listing = Listing(**kw)
        self.state.listings[_key("/works", "&".join(f"{k}={v}" for k, v in params))] = listing
        return listing

    def fail_next(
        self, status: int, body: Any = None, *, times: int = 1, headers: dict | None = None
    ) -> None:
        data = json.dumps(body if body is not None else {"error": f"HTTP {status}"}).encode()
        for _ in range(times):
            self.state.faults.append((status, data, headers or {}))

    def __enter__(self) -> ReplayServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
