"""A local OpenAlex replay server on 127.0.0.1 for harvest tests and benchmarks.

It answers from two kinds of material:

- **recorded** interactions: the real request/response pairs in
  ``../shared/data/openalex/recorded-api/vcr_cassettes_json/`` (bodies replayed byte for byte);
- **scripted** listings: a list of real work objects served as cursor pages for a given
  ``filter``/``search`` (the recordings never hold two non-empty pages in a row, so multi-page
  harvests are built by splitting recorded works into pages).

Requests match on path and the query parameters that select results (``filter``, ``search``,
``cursor``, ``per_page``); ``api_key``, ``mailto``, ``select`` and ``include_xpac`` are ignored.
Faults can be queued (``fail_next``): an HTTP status with a body, served before the real answer;
and a listing's page can be served with faults first (``Listing.faults``, each served once):
``429`` (with ``Retry-After``), ``500``, ``reset`` (the connection closed mid-answer),
``trickle`` (one byte every ``trickle_seconds``), ``truncated`` (half the JSON), ``oversized``
(the page padded past any sane size) and ``malformed`` (a result that is not a work).
Every request is recorded with its client address and headers.
"""

from __future__ import annotations

import json
import socket
import threading
import time
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
    fail_pages: dict[int, list[int]] = field(default_factory=dict)  # page → statuses to serve first
    faults: dict[int, list[str]] = field(default_factory=dict)  # page → FAULTS to serve first
    trickle_seconds: float = 0.5
    delay_seconds: float = 0.0  # before every page (a slow server, for kill tests)
    oversized_bytes: int = 4 * 2**20


FAULTS = ("429", "500", "reset", "trickle", "truncated", "oversized", "malformed")


@dataclass
class ReplayState:
    recorded: dict[tuple, tuple[int, bytes]] = field(default_factory=dict)
    listings: dict[tuple, Listing] = field(default_factory=dict)
    faults: deque = field(default_factory=deque)
    requests: list[Request] = field(default_factory=list)
    redirect_to: str | None = None  # answer the next request with a redirect to this server
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
        fault = headers.pop("X-Replay-Fault", None)
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
        try:
            if fault == "reset":  # a third of the answer, then the connection is gone
                self.wfile.write(body[: len(body) // 3])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
            elif fault == "trickle":  # one byte at a time until the client gives up
                for byte in body:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(float(headers.get("X-Trickle-Seconds", 0.5)))
            else:
                self.wfile.write(body)
        except OSError:  # the client hung up (as it should on a trickle)
            self.close_connection = True

    def _answer(self, path: str, query: str) -> tuple[int, bytes, dict[str, str]]:
        with self.state.lock:
            if self.state.redirect_to:
                target, self.state.redirect_to = self.state.redirect_to, None
                return 302, b"{}", {"Location": target + self.path}
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
        time.sleep(listing.delay_seconds)
        if listing.faults.get(page_no):
            return self._fault(listing, listing.faults[page_no].pop(0), start, per_page)
        if listing.fail_pages.get(page_no):
            status = listing.fail_pages[page_no].pop(0)
            return status, json.dumps({"error": f"HTTP {status}"}).encode(), {"Retry-After": "0"}
        return 200, self._body(listing, start, per_page), {}

    def _fault(
        self, listing: Listing, fault: str, start: int, per_page: int
    ) -> tuple[int, bytes, dict[str, str]]:
        if fault in ("429", "500"):
            return int(fault), json.dumps({"error": fault}).encode(), {"Retry-After": "0"}
        data = self._body(listing, start, per_page)
        if fault == "truncated":
            return 200, data[: len(data) // 2], {}
        if fault == "oversized":
            return 200, data[:-1] + b" " * listing.oversized_bytes + b"}", {}
        if fault == "malformed":
            page = json.loads(data)
            page["results"][1:2] = ["not a work", {"title": "no id"}]
            return 200, json.dumps(page).encode(), {}
        if fault in ("reset", "trickle"):
            headers = {"X-Replay-Fault": fault, "X-Trickle-Seconds": str(listing.trickle_seconds)}
            return 200, data, headers
        raise ValueError(f"unknown fault {fault!r}; valid options: {', '.join(FAULTS)}")

    def _body(self, listing: Listing, start: int, per_page: int) -> bytes:
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
        return json.dumps(body).encode()


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
