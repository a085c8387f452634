"""Shared test fixtures: the real data beside the project, a tiny review project, a replay server."""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import shared, write_mini_project  # noqa: E402

# The reviews the tests build live in temporary folders, each of which would start a cold
# embedding cache of its own (a review's default): the tests share one, as a user may choose to
# (tests/test_embed.py checks the per-review default).
os.environ.setdefault("SLR_CACHE", str(Path.home() / ".cache" / "slr"))


@pytest.fixture
def works_351() -> list[dict]:
    path = shared("openalex", "works", "works_351.jsonl")
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()
    ]


@pytest.fixture
def mini_project(tmp_path: Path) -> Path:
    """A tiny review project (protocol + RIS/BibTeX/CSV sources written for these tests)."""
    return write_mini_project(tmp_path)


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Fail any socket connection that is not to 127.0.0.1; return the addresses connected to."""
    seen: list[tuple] = []
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address):  # type: ignore[no-untyped-def]
        if isinstance(address, tuple):
            seen.append(address)
            if address[0] not in ("127.0.0.1", "::1", "localhost"):
                raise AssertionError(f"a test tried to reach {address}, not 127.0.0.1")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    return seen
