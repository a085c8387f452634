"""Which runs a person means: what a notebook opens (a review's protocol and one of its runs,
found wherever the notebook's kernel starts, :func:`slr.layout.search_folders`), and the run
before the latest one."""

from __future__ import annotations

from pathlib import Path

from slr.errors import SlrError
from slr.layout import ReviewPaths, RunPaths, locate
from slr.protocol import Protocol, load_protocol
from slr.tables.io import read_json, read_run


def open_review(protocol_path: str | Path, run_dir: str | Path = "") -> tuple[Protocol, dict]:
    """The protocol at ``protocol_path`` and the run at ``run_dir`` (:func:`slr.read_run`).

    A relative path is looked for in ``$SLR_PROJECT``, the notebook's folder and the folders
    above it, then the working directory and those above it; so the shipped notebooks
    (``protocols/…``) and the executed copies in a run folder (``run_dir = "."``) open from
    wherever JupyterLab starts their kernel. ``run_dir`` empty: the protocol's latest run.
    """
    protocol = load_protocol(locate(protocol_path, "protocol file", Path.is_file))
    run_dir = run_dir if str(run_dir) else ReviewPaths.of(protocol).latest
    return protocol, read_run(locate(run_dir, "run folder", _is_run))


def _is_run(path: Path) -> bool:
    return RunPaths(path).run_json.is_file()


def previous_and_latest(protocol: Protocol) -> tuple[Path, Path]:
    """The run before the latest one and the latest one (``outputs/<review>/latest``): of the
    review's complete runs, the one that finished last before the latest did."""
    paths = ReviewPaths.of(protocol)
    if not paths.latest.exists():
        raise SlrError(f"{paths.shown(paths.latest)}: no run yet; `slr run` makes one")
    latest = paths.latest.resolve()
    finished = {
        run.dir.resolve(): read_json(run.manifest).get("finished_at") or ""
        for run in paths.runs()
        if run.manifest.is_file()
    }
    end = finished.get(latest, "")
    earlier = sorted((t, str(d)) for d, t in finished.items() if d != latest and t <= end)
    if not earlier:
        raise SlrError(
            f"{paths.shown(paths.latest)} is the review's only complete run: nothing to compare"
        )
    return Path(earlier[-1][1]), latest
