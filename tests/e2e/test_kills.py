"""slr killed (SIGKILL) in the middle of a run, an import and a harvest: what it saved is whole
or marked incomplete, and the work finished afterwards equals an uninterrupted one. One kill
point each here; ``make bench-faults`` kills at several."""

import json
import random
import time

import pytest
from helpers import shared, write_mini_project
from kills import hashes, kill_after, kill_harvest, kill_import, kill_run
from replay import ReplayServer

from slr.layout import ReviewPaths
from slr.protocol import load_protocol

pytestmark = pytest.mark.usefixtures("loopback_only")
POINT = random.Random(10).uniform(0.3, 0.9)  # where in the command's time the kill lands


def _timed(args) -> float:
    start = time.monotonic()
    assert kill_after(args, 600)  # (finishes)
    return time.monotonic() - start


def test_a_killed_run_leaves_latest_whole_and_the_rerun_matches(tmp_path):
    project = write_mini_project(tmp_path / "p")
    protocol = str(project / "protocols" / "mini.yaml")
    took = _timed(["run", protocol, "--no-report", "--run-id", "reference"])
    seen = kill_run(project, took * POINT, "reference")
    assert seen.problems == [] and not seen.finished


def test_a_killed_import_leaves_the_corpus_whole_and_the_reimport_matches(tmp_path):
    big = tmp_path / "big.ris"
    big.write_text(
        "".join(
            f"TY  - JOUR\nTI  - Village enterprise study number {i}\nPY  - 2020\nER  - \n"
            for i in range(60_000)
        ),
        encoding="utf-8",
    )
    reference = write_mini_project(tmp_path / "reference")
    protocol = reference / "protocols" / "mini.yaml"
    took = _timed(["import", str(protocol), str(big), "--id", "big"])
    manifest = ReviewPaths.of(load_protocol(protocol)).imports_manifest
    ref = json.loads(manifest.read_text(encoding="utf-8"))["imports"][0]
    seen = kill_import(write_mini_project(tmp_path / "killed"), big, took * POINT, ref)
    assert seen.problems == [] and not seen.finished


def test_a_killed_harvest_resumes_to_the_pages_of_a_clean_one(tmp_path, works_351):
    shared("openalex", "works")
    clean_project = write_mini_project(tmp_path / "clean")
    killed_project = write_mini_project(tmp_path / "killed")
    with ReplayServer() as server:
        server.add_listing(filter="title.search:village enterprise", works=works_351,
                           delay_seconds=1.5)  # fmt: skip
        protocol = str(clean_project / "protocols" / "mini.yaml")
        took = _timed(["harvest", protocol, "--base-url", server.url])
        paths = ReviewPaths.of(load_protocol(clean_project / "protocols" / "mini.yaml"))
        clean = {k: v for k, v in hashes(paths.harvest("oa")).items() if k.startswith("page_")}
        seen = kill_harvest(killed_project, server.url, took * POINT, clean)
    assert seen.problems == [] and not seen.finished and len(clean) >= 2
