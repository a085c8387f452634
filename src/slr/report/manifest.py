"""A run's manifest: what it read and wrote (every file with its SHA-256 hash, each table's rows),
with the times, seeds and package versions; the only output that holds times."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from slr.clock import now_utc
from slr.ingest.corpus import SourceSpec
from slr.layout import ReviewPaths, RunPaths, head_file
from slr.protocol import Protocol
from slr.tables.io import sha256_file

# the packages whose versions a run records (run.json and manifest.json)
RECORDED_PACKAGES = (
    "slr", "numpy", "pandas", "pyarrow", "scikit-learn", "scipy", "rapidfuzz", "pyalex", "rispy",
    "bibtexparser", "papermill", "nbconvert", "jupytext", "torch", "sentence-transformers",
    "bertopic", "umap-learn", "hdbscan",
)  # fmt: skip


def input_files(protocol: Protocol, specs: list[SourceSpec]) -> list[Path]:
    """Every file a run reads: the protocol and the files it includes, each source's files,
    enrichment files, the logs of people's screening decisions and coding verdicts (those
    that exist)."""
    paths = ReviewPaths.of(protocol)
    found: list[Path] = [Path(protocol.path)] if protocol.path else []
    found.extend(protocol.includes)
    for spec in specs:
        for p in (spec.path, spec.enrich_from):
            if p is None or not Path(p).exists():
                continue
            p = Path(p)
            found.extend(sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p])
    if paths.reference_lookup.is_file():
        found.append(paths.reference_lookup)
    for log in (paths.screening_log, paths.coding_log):
        if log.exists():
            found.append(log)
            if head_file(log).exists():
                found.append(head_file(log))
    seen: dict[Path, None] = {}
    for p in found:
        seen.setdefault(p.resolve(), None)
    return list(seen)


def package_versions() -> dict[str, str | None]:
    """The installed version of each package a run records (None: not installed)."""
    found: dict[str, str | None] = {}
    for name in RECORDED_PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def build_manifest(
    protocol: Protocol,
    specs: list[SourceSpec],
    run: RunPaths,
    rows: dict[str, int],
    *,
    started: str,
) -> dict[str, Any]:
    """What a run read and wrote (its tables' row counts, ``rows``, and every file with its
    SHA-256 hash); the only output that holds times."""
    paths = ReviewPaths.of(protocol)
    outputs = sorted(p for p in run.dir.rglob("*") if p.is_file() and p != run.manifest)
    return {
        "run_id": run.dir.name,
        "started_at": started,
        "finished_at": now_utc(),
        "review": protocol.review.id,
        "protocol_hash": protocol.hash,
        "protocol_version": protocol.version,
        "seeds": {
            "protocol": protocol.seed,
            "topics": protocol.topics_seed,
        },
        "python": platform.python_version(),
        "packages": package_versions(),
        "inputs": [
            {"path": paths.relative(p), "sha256": sha256_file(p), "bytes": p.stat().st_size}
            for p in input_files(protocol, specs)
        ],
        "tables": rows,
        "outputs": [
            {
                "path": str(p.relative_to(run.dir)),
                "sha256": sha256_file(p),
                "bytes": p.stat().st_size,
            }
            for p in outputs
        ],
    }
