"""Where the expensive steps run: in this process, or on a Dask cluster.

The steps that cost the most (embedding new texts, scanning works for codebook terms, assigning
works to topics, refitting topics for the stability check) cut their input into fixed chunks
and call :func:`map_chunks`. Outside :func:`cluster` the chunks run here, one after another;
inside it they are sent to a Dask scheduler as tasks, and the results come back in the same
order. The chunks are the same either way, so the outputs are the same, byte for byte.

Only this process reads and writes files (the embedding cache included): the workers get
chunks and return results, so they need the same ``slr`` installed but no shared disk.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from typing import Any, TypeVar

from slr.errors import SlrError
from slr.progress import track

T = TypeVar("T")
R = TypeVar("R")

LOCAL = "local"  # a LocalCluster on this machine
LOCAL_WORKERS = 2  # its worker processes, one thread each
INSTALL_HINT = "pip install 'slr[dask]'"
CONNECT_TIMEOUT = "20s"  # how long a scheduler's address is tried

_client: ContextVar[Any] = ContextVar("slr_dask_client", default=None)


def map_chunks(
    func: Callable[[T], R], chunks: Sequence[T], *, desc: str, unit: str = "chunks"
) -> list[R]:
    """``[func(c) for c in chunks]``, on the cluster when :func:`cluster` set one up.

    ``func`` must be a module-level function (or a ``functools.partial`` of one) so that it
    can be sent to a worker.
    """
    client = _client.get()
    if client is None or len(chunks) == 0:
        return [func(c) for c in track(chunks, total=len(chunks), desc=desc, unit=unit)]
    from distributed import as_completed

    futures = client.map(func, list(chunks), pure=False)
    for _ in track(as_completed(futures), total=len(futures), desc=desc, unit=unit):
        pass
    return client.gather(futures)


def in_cluster() -> bool:
    """Whether :func:`map_chunks` sends its chunks to a cluster."""
    return _client.get() is not None


@contextlib.contextmanager
def cluster(address: str | None) -> Iterator[None]:
    """Within the block, :func:`map_chunks` runs on a Dask cluster.

    ``address``: a scheduler's address (``tcp://host:8786``), ``local`` for a ``LocalCluster``
    of ``LOCAL_WORKERS`` processes on this machine, or None for this process alone.
    """
    if address is None:
        yield
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError as e:
        raise SlrError(f"running on Dask needs {e.name}: {INSTALL_HINT}") from e
    with contextlib.ExitStack() as stack:
        if address == LOCAL:
            local = LocalCluster(
                n_workers=LOCAL_WORKERS,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            stack.enter_context(local)
            client = stack.enter_context(Client(local))
        else:
            try:
                client = stack.enter_context(Client(address, timeout=CONNECT_TIMEOUT))
            except (OSError, TimeoutError, ValueError) as e:
                raise SlrError(
                    f"no Dask scheduler answered at {address!r} ({e}); give a scheduler's "
                    f"address (tcp://host:8786) or {LOCAL!r} for a cluster on this machine"
                ) from e
        token = _client.set(client)
        try:
            yield
        finally:
            _client.reset(token)
