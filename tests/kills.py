"""Killing slr mid-way (SIGKILL, as a power cut or an impatient user would) and checking what it
left: the tests in ``tests/e2e/test_kills.py`` and ``make bench-faults`` use these.

Each ``kill_*`` function runs a command in a subprocess, kills it after ``delay`` seconds, checks
that what was saved is whole (or plainly marked incomplete), finishes the work with a rerun, and
compares the result with an uninterrupted one. It returns what it saw: ``finished`` (the command
ended before the kill), ``problems`` (empty when nothing was lost or damaged).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from slr.cli import main
from slr.layout import ReviewPaths
from slr.protocol import load_protocol


@dataclass
class Killed:
    what: str
    delay: float
    finished: bool
    problems: list[str] = field(default_factory=list)


def slr_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "slr", "-q", *args]


def kill_after(args: list[str], delay: float) -> bool:
    """Run ``slr args`` and SIGKILL it after ``delay`` s; True if it had finished by then."""
    proc = subprocess.Popen(
        slr_command(*args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        proc.wait(timeout=delay)
        return True
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return False


def hashes(folder: Path, *, volatile: bool = True) -> dict[str, str]:
    """Every file under ``folder`` (path → SHA-256); ``volatile=False`` leaves out what holds
    no data (lock files, caches)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and (volatile or not (p.name.endswith(".lock") or ".cache" in p.parts))
    }


def _quiet(args: list[str]) -> int:
    return main(["-q", *args])


def kill_run(project: Path, delay: float, reference: str) -> Killed:
    """``slr run --no-report`` killed after ``delay`` s; ``reference``: an uninterrupted run's
    id in the same project, whose tables the finished rerun must match byte for byte."""
    protocol = project / "protocols" / "mini.yaml"
    paths = ReviewPaths.of(load_protocol(protocol))
    run_id = f"killed-{delay:.2f}".replace(".", "-")
    done = kill_after(["run", str(protocol), "--no-report", "--run-id", run_id], delay)
    out, problems = Killed("slr run", delay, done), []
    if paths.latest.is_symlink():
        target = paths.latest.resolve()
        if not (target / "manifest.json").is_file():
            problems.append(f"latest points at an incomplete run {target.name}")
    killed = paths.run(run_id).dir
    if killed.exists() and not (killed / "manifest.json").is_file():
        reused = ["run", str(protocol), "--no-report", "--from", "coding", "--reuse", str(killed)]
        if _quiet(reused) != 1:
            problems.append("a run folder left by the kill was reused")
    again = f"{run_id}-again"
    if _quiet(["run", str(protocol), "--no-report", "--run-id", again]) != 0:
        problems.append("the rerun after the kill failed")
    else:
        want = {k: v for k, v in hashes(paths.run(reference).dir).items() if k != "manifest.json"}
        got = {k: v for k, v in hashes(paths.run(again).dir).items() if k != "manifest.json"}
        if want != got:
            problems.append(
                f"the rerun's tables differ: {sorted(set(want.items()) ^ set(got.items()))[:3]}"
            )
    out.problems = problems
    return out


def kill_import(project: Path, file: Path, delay: float, reference: dict) -> Killed:
    """``slr import`` killed after ``delay`` s, then imported again; ``reference``: the imports
    manifest entry of an uninterrupted import of the same file (times aside)."""
    protocol = project / "protocols" / "mini.yaml"
    paths = ReviewPaths.of(load_protocol(protocol))
    done = kill_after(["import", str(protocol), str(file), "--id", "big"], delay)
    out, problems = Killed("slr import", delay, done), []
    listed = []
    if paths.imports_manifest.exists():
        try:
            listed = json.loads(paths.imports_manifest.read_text(encoding="utf-8"))["imports"]
        except (ValueError, KeyError) as e:
            problems.append(f"imports.json is damaged: {e}")
    for entry in listed:
        copy = paths.corpus / entry["path"]
        if not copy.is_file() or hashlib.sha256(copy.read_bytes()).hexdigest() != entry["sha256"]:
            problems.append(f"imports.json lists {entry['path']}, which is missing or differs")
    if not listed and _quiet(["import", str(protocol), str(file), "--id", "big"]) != 0:
        problems.append("importing again after the kill failed")
    final = json.loads(paths.imports_manifest.read_text(encoding="utf-8"))["imports"]
    strip = [{k: v for k, v in e.items() if k != "imported_at"} for e in final]
    if strip != [{k: v for k, v in reference.items() if k != "imported_at"}]:
        problems.append(f"the corpus after the kill lists {strip}, not the one import")
    out.problems = problems
    return out


def kill_harvest(project: Path, base_url: str, delay: float, clean: dict[str, str]) -> Killed:
    """``slr harvest`` killed after ``delay`` s, then run again (it resumes); ``clean``: the
    frozen pages of an uninterrupted harvest (name → hash), which the result must equal."""
    protocol = project / "protocols" / "mini.yaml"
    paths = ReviewPaths.of(load_protocol(protocol))
    done = kill_after(["harvest", str(protocol), "--base-url", base_url], delay)
    out, problems = Killed("slr harvest", delay, done), []
    frozen = paths.harvest("oa")
    if frozen.exists() and not (frozen / "manifest.json").is_file():
        problems.append("a frozen harvest without its manifest")
    if _quiet(["harvest", str(protocol), "--base-url", base_url]) != 0:
        problems.append("the harvest after the kill failed")
    pages = {k: v for k, v in hashes(frozen).items() if k.startswith("page_")}
    if pages != clean:
        problems.append(
            f"the frozen pages differ from a clean harvest ({len(pages)} vs {len(clean)})"
        )
    out.problems = problems
    return out
