"""Progress of the long loops (records read, deduplicated, screened, tagged), for whoever shows it.

Stages stay pure: they only call :func:`track` on what they loop over. Nothing is shown unless a
caller has chosen how, with :func:`reporting` (the command line shows tqdm bars on stderr, with
records per second, for loops that last more than a couple of seconds); in tests, notebooks and
library use the loops run as they are.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

# (iterable, total, description, unit) → the same items, shown as they go
Reporter = Callable[[Iterable, int | None, str, str], Iterable]

_reporter: ContextVar[Reporter | None] = ContextVar("slr_progress", default=None)


def track(
    items: Iterable[T], *, total: int | None, desc: str, unit: str = "records"
) -> Iterable[T]:
    """``items`` unchanged, reported to the current reporter if there is one."""
    reporter = _reporter.get()
    return items if reporter is None else reporter(items, total, desc, unit)


@contextlib.contextmanager
def reporting(reporter: Reporter | None) -> Iterator[None]:
    """Within the block, :func:`track` reports to ``reporter`` (None: to nobody)."""
    token = _reporter.set(reporter)
    try:
        yield
    finally:
        _reporter.reset(token)
