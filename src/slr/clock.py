"""The clock: every time slr writes is UTC, to the second, in ISO 8601 (``2026-12-03T09:18:10Z``)."""

from __future__ import annotations

from datetime import UTC, datetime


def now_utc() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def run_stamp() -> str:
    """A run folder's default name: the UTC time, compact (``20261203T091810Z``)."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
