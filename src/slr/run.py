"""One review run, offline: sources → works → duplicates → screening → coding → tables → report.

:func:`run_review` reads only what is frozen in ``corpus/<review>/`` (harvested pages and
imported files) plus the protocol's file sources, and writes every output to a new run folder
``outputs/<review>/<run>/`` with stable names: the run tables (``slr.tables.contracts.RUN_TABLES``:
``works.parquet``/``.csv``, ``decisions.csv``, ``codes.csv``, ``status.csv`` …), ``run.json``,
the exports, and with the report its figures, notebooks and ``report.html``; ``manifest.json``
last.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import pandas as pd

from slr.clock import now_utc, run_stamp
from slr.coding.evaluate import accuracy_table as coding_accuracy
from slr.coding.evaluate import read_validation_sample
from slr.coding.studies import study_table
from slr.coding.tagger import code_works
from slr.coding.topics import compute_topics
from slr.errors import RunError
from slr.ingest.corpus import collect_sources, read_sources
from slr.ingest.dedupe import mark_duplicates
from slr.layout import ReviewPaths, RunPaths, checked_name
from slr.protocol import Protocol
from slr.report.exports import write_exports
from slr.report.figures import write_figures
from slr.report.manifest import build_manifest, package_versions
from slr.report.notebooks import write_report
from slr.report.places import places_table
from slr.report.prisma import compute_prisma, prisma_counts
from slr.report.seed import compute_claim_check, compute_reference_audit
from slr.screen.rules import screen_eligibility, screen_rules
from slr.screen.validate import accuracy_table
from slr.tables import io
from slr.tables.contracts import CODES, DECISIONS, RUN_TABLES, SCREENING_SAMPLE
from slr.tables.decisions import (
    by_people,
    check_decisions,
    compute_status,
    current_codes,
    included_ids,
    latest_decisions,
)
from slr.tables.log import head_of, log_anchors, read_verified_log
from slr.tables.schema import conform

# Machine-made rows (rules, tagger) are remade by every run: their time is the run's, recorded in
# manifest.json, so that two runs of the same inputs write identical tables.
MACHINE_TIME = "run"
FROM_STAGES = ("coding", "synthesis", "report")

Progress = Callable[[str], None]


@dataclass
class RunResult:
    run_dir: Path
    report: Path | None
    counts: dict[str, int] = field(default_factory=dict)


# ---------------------------------------------------------------------- stages


def screen_tables(
    protocol: Protocol,
    works: pd.DataFrame,
    *,
    decided_at: str,
    human: pd.DataFrame | None = None,
    progress: Progress | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Duplicates marked; the rule decisions up to title/abstract, then people's decisions."""
    if progress:
        progress("marking duplicates")
    works = mark_duplicates(works)
    if progress:
        progress("rule screening")
    decisions = screen_rules(works, protocol, decided_at=decided_at)
    if human is not None and len(human):
        _check_known(human, works, "screening log", "screened")
        decisions = conform(pd.concat([decisions, human], ignore_index=True), DECISIONS)
    return works, decisions


def _check_known(log: pd.DataFrame, works: pd.DataFrame, name: str, done: str) -> None:
    """A log of people's rows may only name works this run has."""
    stale = sorted(set(log["work_id"]) - set(works["work_id"]))
    if stale:
        raise RunError(
            f"the {name} names {len(stale)} works this run does not have (e.g. "
            f"{stale[0]!r}); a source changed since they were {done}"
        )


def code_tables(
    protocol: Protocol,
    works: pd.DataFrame,
    decisions: pd.DataFrame,
    *,
    decided_at: str,
    coding_verdicts: pd.DataFrame | None = None,
    progress: Progress | None = None,
) -> dict[str, pd.DataFrame]:
    """Codes for the works included at title/abstract, eligibility by the codes; then the
    current state (each work's status, the tags in force) and the PRISMA counts."""
    current = latest_decisions(decisions)
    ta_included = current.loc[
        (current["stage"] == "title_abstract") & (current["decision"] == "include"), "work_id"
    ]
    if progress:
        progress("codebook tagging")
    codes = code_works(works, protocol, work_ids=ta_included, coded_at=decided_at)
    if coding_verdicts is not None and len(coding_verdicts):
        _check_known(coding_verdicts, works, "coding log", "coded")
        codes = conform(pd.concat([codes, coding_verdicts], ignore_index=True), CODES)
    eligibility = screen_eligibility(
        works, decisions, current_codes(codes), protocol, decided_at=decided_at
    )
    decisions = conform(pd.concat([decisions, eligibility], ignore_index=True), DECISIONS)
    check_decisions(decisions, works, protocol)
    status = compute_status(works, decisions)
    return {
        "works": works,
        "decisions": decisions,
        "codes": codes,
        "status": status,
        "current_codes": current_codes(codes),
        "prisma": compute_prisma(works, decisions, status, protocol),
    }


def compute_synthesis(
    protocol: Protocol, tables: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """Places named by the included works, the seed article's claims checked, its references
    audited (against OpenAlex too when `slr audit-references` saved a lookup); the automated
    screening and the tagger measured on people's validation samples."""
    works, status = tables["works"], tables["status"]
    where = places_table(works, included_ids(status), protocol.places)
    lookup = ReviewPaths.of(protocol).reference_lookup
    online = io.read_json(lookup)["results"] if lookup.is_file() else None
    out = {
        "studies": study_table(works, protocol, included_ids(status), where),
        "places": where,
        "claims": compute_claim_check(works, status, tables["current_codes"], protocol, where),
        "references": compute_reference_audit(works, protocol, online=online),
    }
    if protocol.screening.validation is not None:
        sample = io.read_table(
            ReviewPaths.of(protocol).resolve(protocol.screening.validation), SCREENING_SAMPLE
        )
        out["screening_accuracy"] = accuracy_table(sample, tables["decisions"])
    if protocol.coding.validation is not None:
        coded = read_validation_sample(ReviewPaths.of(protocol).resolve(protocol.coding.validation))
        coded = coded[coded["work_id"].isin(set(works["work_id"]))]
        tags = code_works(works, protocol, work_ids=coded["work_id"], coded_at="validation")
        out["coding_accuracy"] = coding_accuracy(tags, coded, [t.id for t in protocol.codebook])
    return out


# ---------------------------------------------------------------------- the run


def new_run_dir(protocol: Protocol, run_id: str | None = None) -> Path:
    """A new, empty run folder: ``run_id`` (checked: it names a folder), or ``run_id-2`` … when
    that is taken, also by a run started at the same moment."""
    paths = ReviewPaths.of(protocol)
    run_id = run_id or run_stamp()
    paths.outputs.mkdir(parents=True, exist_ok=True)
    candidate, n = run_id, 2
    while True:
        run_dir = paths.run(candidate).dir
        try:
            run_dir.mkdir()  # atomic: of two runs asking for one name, one gets it
            return run_dir
        except FileExistsError:
            candidate, n = f"{run_id}-{n}", n + 1


def _check_latest(paths: ReviewPaths, note: str = "") -> None:
    """Refuse to put the ``latest`` link over anything that is not one (a file of a user's)."""
    if paths.latest.exists() and not paths.latest.is_symlink():
        raise RunError(f"{paths.latest} is not slr's link to the newest run; move it away{note}")


def _point_latest(protocol: Protocol, run_dir: Path) -> None:
    """Point ``latest`` at ``run_dir``: a link made under a unique name, renamed over it."""
    paths = ReviewPaths.of(protocol)
    _check_latest(paths, f" (the run is complete in {run_dir})")
    tmp = paths.latest_staging(run_dir.name)
    if tmp.is_symlink():  # left by a killed process that had the same pid
        tmp.unlink()
    tmp.symlink_to(run_dir.name)
    os.replace(tmp, paths.latest)


def run_review(
    protocol: Protocol,
    *,
    add_sources: Iterable[str | Path] = (),
    run_id: str | None = None,
    notebook: bool = True,
    progress: Progress | None = None,
    from_stage: str | None = None,
    reuse: str | Path | None = None,
) -> RunResult:
    """Run the review offline into a new run folder; return where it is and the PRISMA counts.

    ``notebook=False`` writes the tables and exports only (no figures, notebooks or report).
    ``from_stage`` (``coding``, ``synthesis`` or ``report``) reuses the tables of an earlier run
    (``reuse``, default the latest) for the stages before it: ``coding`` keeps its works and
    screening decisions and recodes; ``synthesis`` also keeps its codes and topics; ``report``
    only re-executes the notebooks.
    """
    paths = ReviewPaths.of(protocol)
    if run_id is not None:
        checked_name(run_id, "run id")  # refused before any work, not after it
    _check_latest(paths)
    started = now_utc()
    specs = collect_sources(protocol, add_sources)
    verdicts = io.read_table(paths.coding_log, CODES) if paths.coding_log.exists() else None
    if from_stage is not None:
        tables, sources_table, reused = _reuse(protocol, from_stage, reuse, add_sources)
    else:
        reused = None
        works, sources_table = read_sources(protocol, specs, progress=progress)
        if not len(works):
            raise RunError(
                "no records to review: every source is empty, missing or not harvested "
                f"({', '.join(f'{r.source_id}: {r.status}' for r in sources_table.itertuples())})"
            )
        human = read_verified_log(paths.screening_log, log_anchors(paths))
        works, decisions = screen_tables(
            protocol, works, decided_at=MACHINE_TIME, human=human, progress=progress
        )
        tables = {"works": works, "decisions": decisions}
    if from_stage in (None, "coding"):
        tables = code_tables(
            protocol,
            tables["works"],
            tables["decisions"],
            decided_at=MACHINE_TIME,
            coding_verdicts=verdicts,
            progress=progress,
        )
        if protocol.coding.topics:
            if progress:
                progress("fitting topics (BERTopic)")
            tables.update(
                compute_topics(
                    protocol,
                    tables["works"],
                    included_ids(tables["status"]),
                    tables["current_codes"],
                )
            )
    if from_stage != "report":
        if progress:
            progress("checking the seed article")
        tables.update(compute_synthesis(protocol, tables))
    run_dir = new_run_dir(protocol, run_id)
    run = RunPaths(run_dir)
    if progress:
        progress(f"writing tables to {run_dir}")
    tables["sources"] = sources_table
    rows = io.write_run_tables(tables, run)
    write_exports(tables["works"], tables["status"], run)
    counts = prisma_counts(tables["prisma"])
    meta = {
        "review": protocol.review.id,
        "protocol": paths.relative(protocol.path) if protocol.path else None,
        "protocol_hash": protocol.hash,
        "protocol_version": protocol.version,
        "seed": protocol.seed,
        "slr_version": version("slr"),
        "python": platform.python_version(),
        "packages": package_versions(),
        "sources": sources_table.astype(object)
        .where(sources_table.notna(), None)
        .to_dict("records"),
        "added_sources": [str(Path(p).expanduser().resolve()) for p in add_sources],
        "prisma": counts,
    }
    io.write_json(run.run_json, meta)
    report = None
    if notebook:
        if progress:
            progress("drawing figures")
        write_figures(protocol, tables, run)
        if progress:
            progress("executing the report notebooks")
        report = write_report(protocol, run)
    manifest = build_manifest(protocol, specs, run, rows, started=started)
    if from_stage is None:  # the log this run read: later runs and `slr verify` hold it to this
        manifest["screening_log"] = head_of(human)
    if reused is not None:
        manifest["from_stage"] = from_stage
        manifest["reused_run"] = paths.relative(reused)
    io.write_json(run.manifest, manifest)
    _point_latest(protocol, run_dir)
    return RunResult(run_dir=run_dir, report=report, counts=counts)


def _reuse(
    protocol: Protocol, stage: str, reuse: str | Path | None, add_sources: Iterable
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, Path]:
    """The earlier run's tables needed to start at ``stage``."""
    if stage not in FROM_STAGES:
        raise RunError(f"cannot start from {stage!r}; valid options: {', '.join(FROM_STAGES)}")
    if list(add_sources):
        raise RunError("--add-source reads new records: run every stage (drop --from)")
    source = Path(reuse) if reuse else ReviewPaths.of(protocol).latest
    if not RunPaths(source).run_json.is_file():
        raise RunError(
            f"--from {stage} reuses an earlier run, but {source} is not one; run `slr run` "
            "first or name a run folder with --reuse"
        )
    source = source.resolve()
    run = io.read_run(source, complete=True)
    if run["meta"]["protocol_hash"] != protocol.hash and stage != "coding":
        raise RunError(
            f"{source} was made with another protocol version "
            f"({run['meta']['protocol_version']}); rerun from coding or in full"
        )
    if stage == "coding":
        d = run["decisions"]  # the rules' eligibility rows are remade from the new codes
        remade = (d["stage"] == "eligibility") & ~by_people(d)
        tables = {"works": run["works"], "decisions": d[~remade]}
    else:
        tables = {t.name: run[t.name] for t in RUN_TABLES if run[t.name] is not None}
    return tables, run["sources"], source


def latest_run(protocol: Protocol) -> Path | None:
    link = ReviewPaths.of(protocol).latest
    return link.resolve() if link.exists() else None
