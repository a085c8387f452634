"""What a notebook opens: a review's protocol and one of its runs, found wherever the
notebook's kernel starts (:func:`slr.layout.search_folders`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from slr.layout import ReviewPaths, RunPaths, locate
from slr.protocol import Protocol, load_protocol
from slr.tables.io import read_run


def open_review(protocol_path: str | Path, run_dir: str | Path = "") -> tuple[Protocol, dict]:
    """The protocol at ``protocol_path`` and the run at ``run_dir`` (:func:`slr.read_run`).

    A relative path is looked for in ``$SLR_PROJECT``, the notebook's folder and the folders
    above it, then the working directory and those above it; so the shipped notebooks
    (``protocols/…``) and the executed copies in a run folder (``run_dir = "."``) open from
    wherever JupyterLab starts their kernel. ``run_dir`` empty: the protocol's latest run.
    """
    protocol = load_protocol(locate(protocol_path, "protocol file", Path.is_file))
    if not str(run_dir):
        latest = ReviewPaths.of(protocol).latest
        run: Any = read_run(locate(latest, "latest run", _is_run))
    else:
        run = read_run(locate(run_dir, "run folder", _is_run))
    return protocol, run


def _is_run(path: Path) -> bool:
    return RunPaths(path).run_json.is_file()
