"""The ``slr`` command line: ``run``, ``harvest``, ``import``, ``status``.

Every failure exits non-zero with one line on stderr saying what went wrong (``--debug`` shows
the traceback).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from slr.errors import SlrError

logger = logging.getLogger("slr")


def _one_line(e: BaseException) -> str:
    return " ".join(line.strip() for line in str(e).splitlines() if line.strip())


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _steps(desc: str, quiet: bool):
    """A progress bar over a run's named steps (tqdm, on stderr)."""
    bar = tqdm(total=None, desc=desc, unit="step", disable=quiet, leave=False, file=sys.stderr)

    def step(message: str) -> None:
        bar.set_postfix_str(message)
        bar.update(1)

    return bar, step


def cmd_run(args: argparse.Namespace) -> int:
    from slr.protocol import load_protocol
    from slr.run import run_review

    protocol = load_protocol(args.protocol)
    bar, step = _steps(f"slr run {protocol.review.id}", args.quiet)
    try:
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
    from slr.layout import RunPaths
    from slr.protocol import load_protocol
    from slr.run import latest_run
    from slr.tables.io import read_table
    from slr.tables.schema import PRISMA

    protocol = load_protocol(args.protocol)
    _out(f"review {protocol.review.id}, protocol {protocol.version}")
    _out("\ncorpus:")
    _out(compute_corpus_status(protocol).to_string(index=False))
    run = latest_run(protocol)
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
    )
    if args.curve:
        write_csv_frame(sim.curve(), args.curve)
    result = {
        **{k: round(v, 6) for k, v in sim.metrics.items()},
        "cpu_seconds": round(sim.cpu_seconds, 3),
        "n_records": int(len(data.labels)),
        "n_included": int(data.labels.sum()),
        "dataset": data.name,
        "model": sim.model,
        "seed": sim.seed,
        "priors": [data.record_ids[i] for i in sim.priors],
        "retrains": sim.n_retrains,
    }
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
    return read_run(run_dir)


def cmd_export(args: argparse.Namespace) -> int:
    import pandas as pd

    from slr.layout import ReviewPaths
    from slr.protocol import load_protocol
    from slr.screen.interop import asreview_ris, to_asreview
    from slr.tables.decisions import by_people
    from slr.tables.io import write_csv_frame, write_text
    from slr.tables.log import read_log

    protocol = load_protocol(args.protocol)
    run = _run_tables(protocol, args.run)
    # the run's rule decisions then the screening log as it is now: the run's own copy of the
    # log may be older
    rules = run["decisions"][~by_people(run["decisions"])]
    decisions = pd.concat(
        [rules, read_log(ReviewPaths.of(protocol).screening_log)], ignore_index=True
    )
    frame = to_asreview(run["works"], decisions)
    suffix = args.output.suffix.lower()
    if suffix == ".csv":
        write_csv_frame(frame, args.output)
    elif suffix == ".ris":
        write_text(args.output, asreview_ris(run["works"], decisions))
    else:
        raise SlrError(
            f"{args.output}: unknown export format {suffix!r}; valid options: .csv, .ris"
        )
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
    from slr.layout import ReviewPaths
    from slr.protocol import load_protocol
    from slr.tables.log import verify_log

    protocol = load_protocol(args.protocol)
    path = args.log or ReviewPaths.of(protocol).screening_log
    problems = verify_log(path)
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

    from slr.report.diff import describe_diff, diff_runs
    from slr.tables.io import read_run

    d = diff_runs(read_run(args.run_a), read_run(args.run_b))
    if args.json:
        _out(json.dumps(d, indent=2, default=list))
    else:
        _out(describe_diff(d, str(args.run_a), str(args.run_b)))
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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="slr",
        description="Systematic literature reviews as code: harvest, screen, code, report.",
    )
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    sub = p.add_subparsers(dest="command", metavar="VERB", required=True)

    r = sub.add_parser("run", help="run the review offline from the frozen corpus into outputs/")
    r.add_argument("protocol", type=Path, help="the protocol YAML")
    r.add_argument(
        "--add-source",
        action="append",
        metavar="PATH",
        help="a RIS/BibTeX/CSV/OpenAlex file added to this run only (repeatable)",
    )
    r.add_argument("--run-id", help="name of the run folder (default: the UTC time)")
    r.add_argument("--no-report", action="store_true", help="tables only, no notebook/report")
    r.add_argument(
        "--from",
        dest="from_stage",
        choices=("coding", "synthesis", "report"),
        help="reuse an earlier run's outputs for the stages before this one",
    )
    r.add_argument("--reuse", type=Path, help="the run folder --from reuses (default: latest)")
    r.set_defaults(func=cmd_run)

    h = sub.add_parser(
        "harvest", help="fetch the protocol's OpenAlex sources (online) into corpus/"
    )
    h.add_argument("protocol", type=Path)
    h.add_argument("--source", action="append", help="only this source id (repeatable)")
    h.add_argument("--base-url", help="OpenAlex base URL (default: $SLR_OPENALEX_URL or the API)")
    h.set_defaults(func=cmd_harvest)

    i = sub.add_parser("import", help="add a RIS/BibTeX/CSV/OpenAlex file to the frozen corpus")
    i.add_argument("protocol", type=Path)
    i.add_argument("file", type=Path)
    i.add_argument("--id", help="source id (default: import-<file name>)")
    i.add_argument("--format", default="auto", help="file format (default: detect)")
    i.add_argument("--prisma-group", default="other", help="PRISMA group (default: other)")
    i.set_defaults(func=cmd_import)

    m = sub.add_parser("simulate", help="simulate prioritised screening on a labelled dataset")
    m.add_argument(
        "dataset", type=Path, help="a labelled dataset (ASReview CSV with label_included)"
    )
    m.add_argument(
        "--seed", type=int, default=0, help="draws the prior records and seeds the model"
    )
    m.add_argument("--model", default="slr", help="slr (default), elas-u4, logistic, nb, minilm")
    m.add_argument("--prior-idx", type=int, nargs="+", help="row numbers (0 = first) of the priors")
    m.add_argument("--n-prior-included", type=int, default=1)
    m.add_argument("--n-prior-excluded", type=int, default=1)
    m.add_argument("--retrain", default="auto", help="auto (default) or every N records")
    m.add_argument("--curve", type=Path, help="write the recall curve to this CSV")
    m.add_argument("--json", action="store_true", help="print one JSON object")
    m.set_defaults(func=cmd_simulate)

    e = sub.add_parser(
        "export", help="export works with current labels for ASReview (.csv or .ris)"
    )
    e.add_argument("protocol", type=Path)
    e.add_argument("output", type=Path)
    e.add_argument("--run", type=Path, help="a run folder (default: the latest run)")
    e.set_defaults(func=cmd_export)

    il = sub.add_parser("import-labels", help="import ASReview's exported labels as decision rows")
    il.add_argument("protocol", type=Path)
    il.add_argument("file", type=Path)
    il.add_argument("--reviewer", required=True, help="who screened in ASReview")
    il.add_argument("--run", type=Path, help="a run folder (default: the latest run)")
    il.set_defaults(func=cmd_import_labels)

    v = sub.add_parser(
        "verify", help="check the screening log's hash chain for edited or deleted rows"
    )
    v.add_argument("protocol", type=Path)
    v.add_argument("--log", type=Path, help="another log (default: the review's screening log)")
    v.set_defaults(func=cmd_verify)

    a = sub.add_parser(
        "agree", help="agreement (%%, Cohen's kappa, Gwet's AC1) and conflicts of two reviewers"
    )
    a.add_argument("protocol", type=Path)
    a.add_argument("reviewer_a")
    a.add_argument("reviewer_b")
    a.add_argument("--stage", default="title_abstract")
    a.set_defaults(func=cmd_agree)

    d = sub.add_parser(
        "diff", help="what changed between two runs: works, decisions, tags, counts, files"
    )
    d.add_argument("run_a", type=Path)
    d.add_argument("run_b", type=Path)
    d.add_argument("--json", action="store_true", help="one JSON object")
    d.set_defaults(func=cmd_diff)

    ar = sub.add_parser(
        "audit-references",
        help="look the seed article's references up in OpenAlex (online); runs audit offline",
    )
    ar.add_argument("protocol", type=Path)
    ar.add_argument(
        "--base-url", help="OpenAlex API base URL (default: $SLR_OPENALEX_URL or the API)"
    )
    ar.set_defaults(func=cmd_audit_references)

    s = sub.add_parser("status", help="counts per stage: corpus and latest run")
    s.add_argument("protocol", type=Path)
    s.set_defaults(func=cmd_status)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="slr: %(levelname)s: %(message)s",
    )
    try:
        return args.func(args)
    except SlrError as e:
        if args.debug:
            raise
        sys.stderr.write(f"slr: error: {_one_line(e)}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("slr: interrupted; saved pages and tables are kept\n")
        return 130
    except Exception as e:  # an unexpected failure still ends in one line and a non-zero code
        if args.debug:
            raise
        sys.stderr.write(
            f"slr: internal error: {type(e).__name__}: {_one_line(e)} (rerun with --debug)\n"
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
