"""What each verb of the command line does: read the protocol, call into the stages, print a
short summary. Each verb imports its stages when it runs (start-up speed)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tqdm import tqdm

from slr.errors import SlrError


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _steps(desc: str, quiet: bool):
    """A progress bar over a run's named steps (tqdm, on stderr)."""
    bar = tqdm(total=None, desc=desc, unit="step", disable=quiet, leave=False, file=sys.stderr)

    def step(message: str) -> None:
        bar.set_postfix_str(message)
        bar.update(1)

    return bar, step


def _bars(quiet: bool):
    """Where the long loops report (slr.progress): a tqdm bar each on stderr, with records
    per second, shown once a loop has run for two seconds."""
    if quiet:
        return None

    def reporter(items, total, desc, unit):
        return tqdm(items, total=total, desc=desc, unit=unit, leave=False, delay=2, file=sys.stderr)

    return reporter


def cmd_run(args: argparse.Namespace) -> int:
    from slr.compute import cluster
    from slr.progress import reporting
    from slr.protocol import load_protocol
    from slr.run import run_review

    protocol = load_protocol(args.protocol)
    if args.dask:  # Dask's own INFO lines (scheduler, workers) only when asked; workers inherit it
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "debug" if args.debug else "warning")
    bar, step = _steps(f"slr run {protocol.review.id}", args.quiet)
    try:
        with reporting(_bars(args.quiet)), cluster(args.dask):
            result = run_review(
                protocol,
                add_sources=args.add_source or (),
                run_id=args.run_id,
                notebook=not args.no_report,
                progress=step,
                from_stage=args.from_stage,
                reuse=args.reuse,
            )
    finally:
        bar.close()
    c = result.counts
    _out(
        f"{protocol.review.id}: {c['identified']} records identified, {c['duplicates']} duplicates, "
        f"{c['screened']} screened, {c['reports_assessed']} reports assessed, {c['included']} included"
    )
    _out(f"tables: {result.run_dir}")
    if result.report:
        _out(f"report: {result.report}")
    return 0


def cmd_harvest(args: argparse.Namespace) -> int:
    from slr.ingest.harvest import harvest
    from slr.ingest.openalex import HarvestSettings
    from slr.layout import ReviewPaths
    from slr.protocol import load_protocol

    protocol = load_protocol(args.protocol)
    settings = HarvestSettings.from_env(base_url=args.base_url)
    bars: dict[str, tqdm] = {}

    def progress(source_id: str, n: int, total: int | None) -> None:
        bar = bars.get(source_id)
        if bar is None:
            bar = bars[source_id] = tqdm(
                total=total, desc=source_id, unit="work", disable=args.quiet, file=sys.stderr
            )
        bar.total = total
        bar.update(n - bar.n)

    try:
        manifests = harvest(protocol, sources=args.source, settings=settings, progress=progress)
    finally:
        for bar in bars.values():
            bar.close()
    for m in manifests:
        check = "matches" if m["count_matches"] else f"differs from meta.count {m['meta_count']}"
        _out(
            f"{m['source_id']}: {m['n_unique']} works in {len(m['pages'])} pages ({check}); "
            f"frozen in {ReviewPaths.of(protocol).harvest(m['source_id'])}"
        )
    if not manifests:
        _out("the protocol has no OpenAlex sources")
    return 0


def cmd_ingest_snapshot(args: argparse.Namespace) -> int:
    from slr.ingest.snapshot import ingest_snapshot
    from slr.layout import ReviewPaths
    from slr.protocol import load_protocol

    protocol = load_protocol(args.protocol)
    bar = tqdm(desc="snapshot", unit="work", disable=args.quiet, file=sys.stderr)

    def progress(source_id: str, n: int) -> None:
        bar.set_postfix_str(source_id)
        bar.update(n - bar.n)

    try:
        manifests = ingest_snapshot(
            protocol,
            args.snapshot,
            sources=args.source,
            memory_limit=args.memory_limit,
            progress=progress,
        )
    finally:
        bar.close()
    for m in manifests:
        snap = m["snapshot"]
        listed = (
            f" of the {snap['manifest_parts']} its manifest lists"
            if snap["manifest_parts"] is not None
            else ""
        )
        _out(
            f"{m['source_id']}: {m['n_unique']} works from {len(snap['parts_read'])} part files"
            f"{listed}; frozen in {ReviewPaths.of(protocol).harvest(m['source_id'])}"
        )
    if not manifests:
        _out("the protocol has no OpenAlex sources")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from slr.ingest.corpus import import_file
    from slr.layout import ReviewPaths
    from slr.protocol import load_protocol

    protocol = load_protocol(args.protocol)
    entry = import_file(
        protocol, args.file, source_id=args.id, format=args.format, prisma_group=args.prisma_group
    )
    _out(
        f"imported {entry['n_records']} records ({entry['format']}) as source {entry['id']!r}: "
        f"{ReviewPaths.of(protocol).corpus / entry['path']}"
    )
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from slr.ingest.corpus import compute_corpus_status
    from slr.layout import ReviewPaths, RunPaths
    from slr.protocol import load_protocol
    from slr.run import latest_run
    from slr.tables.contracts import PRISMA
    from slr.tables.io import read_table

    protocol = load_protocol(args.protocol)
    _out(f"review {protocol.review.id}, protocol {protocol.version}")
    _out("\ncorpus:")
    _out(compute_corpus_status(protocol).to_string(index=False))
    run = latest_run(protocol)
    stopped = [r.dir.name for r in ReviewPaths.of(protocol).runs() if not r.manifest.is_file()]
    if stopped:
        _out(f"\nincomplete runs (stopped before they finished): {', '.join(stopped)}")
    if run is None:
        _out("\nno run yet: `slr run " + str(args.protocol) + "`")
        return 0
    prisma = read_table(RunPaths(run).table("prisma", ".csv"), PRISMA)
    _out(f"\nlatest run {run.name}:")
    _out(prisma[["label", "n"]].to_string(index=False))
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    import json

    from slr.screen.simulate import read_labelled_dataset, simulate
    from slr.tables.io import write_csv_frame

    data = read_labelled_dataset(args.dataset)
    sim = simulate(
        data,
        seed=args.seed,
        model=args.model,
        priors=args.prior_idx,
        n_prior_included=args.n_prior_included,
        n_prior_excluded=args.n_prior_excluded,
        retrain=args.retrain,
        query=args.query,
    )
    if args.curve:
        write_csv_frame(sim.curve(), args.curve)
    result = sim.summary(data)
    if args.json:
        _out(json.dumps(result))
        return 0
    _out(
        f"{data.name}: {result['n_records']} records, {result['n_included']} relevant; model {sim.model}, seed {sim.seed}"
    )
    _out(f"priors (record ids): {', '.join(result['priors'])}")
    for key, label in (
        ("wss95", "WSS@95"),
        ("wss100", "WSS@100"),
        ("recall_at_10", "recall after 10% screened"),
        ("loss", "loss"),
        ("atd", "average time to discovery"),
    ):
        _out(f"  {label:<28}{result[key]:.4f}")
    _out(f"  {'CPU seconds':<28}{result['cpu_seconds']:.2f} ({sim.n_retrains} retrains)")
    if args.curve:
        _out(f"recall curve: {args.curve}")
    return 0


def _run_tables(protocol, run: Path | None):
    from slr.run import latest_run
    from slr.tables.io import read_run

    run_dir = run or latest_run(protocol)
    if run_dir is None:
        raise SlrError(f"no run of {protocol.review.id} yet: `slr run {protocol.path}` first")
    return read_run(run_dir, complete=True)


def cmd_export(args: argparse.Namespace) -> int:
    from slr.layout import ReviewPaths
    from slr.protocol import load_protocol
    from slr.screen.interop import export_for_asreview
    from slr.tables.log import read_log

    protocol = load_protocol(args.protocol)
    run = _run_tables(protocol, args.run)
    log = read_log(ReviewPaths.of(protocol).screening_log)
    frame = export_for_asreview(run["works"], run["decisions"], log, args.output)
    n = int(frame["asreview_label"].notna().sum())
    _out(f"exported {len(frame)} works ({n} labelled) to {args.output}")
    return 0


def cmd_import_labels(args: argparse.Namespace) -> int:
    from slr.layout import ReviewPaths
    from slr.protocol import load_protocol
    from slr.screen.interop import labels_to_decisions, read_asreview_labels
    from slr.tables.log import append_log

    protocol = load_protocol(args.protocol)
    run = _run_tables(protocol, args.run)
    labels = read_asreview_labels(args.file)
    rows = labels_to_decisions(labels, run["works"], protocol, reviewer=args.reviewer)
    log = ReviewPaths.of(protocol).screening_log
    append_log(log, rows)
    _out(f"imported {len(rows)} labels by {args.reviewer} into {log}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from slr.clock import run_stamp
    from slr.layout import ReviewPaths, backup_file
    from slr.protocol import load_protocol
    from slr.tables.log import log_anchors, repair_log, verify_log

    protocol = load_protocol(args.protocol)
    paths = ReviewPaths.of(protocol)
    path = args.log or paths.screening_log
    if args.repair:
        for done in repair_log(path, backup_file(path, run_stamp())):
            _out(f"{path}: {done}")
    problems = verify_log(path, log_anchors(paths) if args.log is None else [])
    if problems:
        for p in problems:
            sys.stderr.write(f"slr: {path}: {p}\n")
        return 1
    _out(f"{path}: intact")
    return 0


def cmd_agree(args: argparse.Namespace) -> int:
    from slr.layout import ReviewPaths
    from slr.protocol import load_protocol
    from slr.screen.agree import compute_agreement, compute_conflicts
    from slr.tables.log import read_log

    protocol = load_protocol(args.protocol)
    log = read_log(ReviewPaths.of(protocol).screening_log)
    _out(compute_agreement(log, args.reviewer_a, args.reviewer_b, stage=args.stage).describe())
    conflicts = compute_conflicts(log, args.reviewer_a, args.reviewer_b, stage=args.stage)
    if len(conflicts):
        _out(f"\n{len(conflicts)} conflicts ({int(conflicts['resolved'].sum())} resolved):")
        _out(conflicts.to_string(index=False))
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    import json

    from slr.protocol import load_protocol
    from slr.report.diff import SHOWN, describe_diff, diff_runs
    from slr.tables.io import read_run
    from slr.tables.review import previous_and_latest

    if args.previous is not None:
        if args.run_a or args.run_b:
            raise SlrError("give two run folders or --previous PROTOCOL, not both")
        run_a, run_b = previous_and_latest(load_protocol(args.previous))
    elif args.run_a is None or args.run_b is None:
        raise SlrError("give two run folders (older, newer) or --previous PROTOCOL")
    else:
        run_a, run_b = args.run_a, args.run_b
    d = diff_runs(read_run(run_a, complete=True), read_run(run_b, complete=True))
    if args.json:
        _out(json.dumps(d, indent=2, default=list))
    else:
        shown = 10**9 if args.all else SHOWN
        _out(describe_diff(d, str(run_a), str(run_b), shown=shown))
    return 0


def cmd_audit_references(args: argparse.Namespace) -> int:
    from slr.ingest.harvest import lookup_references
    from slr.ingest.openalex import HarvestSettings
    from slr.layout import ReviewPaths
    from slr.protocol import load_protocol

    protocol = load_protocol(args.protocol)
    record = lookup_references(protocol, settings=HarvestSettings.from_env(base_url=args.base_url))
    found = sum(1 for r in record["results"].values() if r)
    _out(
        f"{found} of {len(record['results'])} references found in OpenAlex; saved to "
        f"{ReviewPaths.of(protocol).reference_lookup} (the next run audits against it)"
    )
    return 0
