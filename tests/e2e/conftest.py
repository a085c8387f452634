"""Whole reviews, run once per session: tests that read a run's outputs share them."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers import write_mini_project

from slr.cli import main
from slr.layout import ReviewPaths
from slr.protocol import load_protocol


@dataclass
class Review:
    """A review project and the runs made in it (run id → the command line's output)."""

    project: Path
    protocol: Path
    printed: dict[str, str] = field(default_factory=dict)

    @property
    def paths(self) -> ReviewPaths:
        return ReviewPaths.of(load_protocol(self.protocol))

    def run(self, run_id: str, *args: str) -> Path:
        """``slr run`` into run folder ``run_id`` (quiet); fails the test if it fails."""
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(["-q", "run", str(self.protocol), "--run-id", run_id, *args])
        assert code == 0, out.getvalue()
        self.printed[run_id] = out.getvalue()
        return self.paths.run(run_id).dir


@pytest.fixture(scope="session")
def mini_review(tmp_path_factory: pytest.TempPathFactory) -> Review:
    """The mini review (with its seed article and gazetteer) run twice: ``a``, every stage with
    the report; ``b``, every stage again, tables and figures only. Tests read these runs and
    may add runs of their own (with their own run ids, reusing ``a`` or ``b`` by name)."""
    project = write_mini_project(tmp_path_factory.mktemp("mini-review"), seed_article=True)
    review = Review(project, project / "protocols" / "mini.yaml")
    review.run("a")
    review.run("b", "--no-report")
    return review
