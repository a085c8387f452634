"""The command line's verbs and options (argparse)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from slr.cli.commands import (
    cmd_agree,
    cmd_audit_references,
    cmd_diff,
    cmd_export,
    cmd_harvest,
    cmd_import,
    cmd_import_labels,
    cmd_ingest_snapshot,
    cmd_run,
    cmd_simulate,
    cmd_status,
    cmd_verify,
)
from slr.protocol import DEFAULT_SCREENING_MODEL, PRISMA_GROUPS, SCREENING_MODELS


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
    r.add_argument(
        "--no-report",
        action="store_true",
        help="tables (and exports) only: no figures, notebooks or report",
    )
    r.add_argument(
        "--from",
        dest="from_stage",
        choices=("coding", "synthesis", "report"),
        help="reuse an earlier run's outputs for the stages before this one",
    )
    r.add_argument("--reuse", type=Path, help="the run folder --from reuses (default: latest)")
    r.add_argument(
        "--dask",
        metavar="ADDRESS",
        default=os.environ.get("SLR_DASK") or None,
        help="embed, tag and assign topics on a Dask cluster: its scheduler's address "
        "(tcp://host:8786), or 'local' for 2 worker processes here; the outputs are the same "
        "(default: $SLR_DASK, else this process alone)",
    )
    r.set_defaults(func=cmd_run)

    h = sub.add_parser(
        "harvest", help="fetch the protocol's OpenAlex sources (online) into corpus/"
    )
    h.add_argument("protocol", type=Path)
    h.add_argument("--source", action="append", help="only this source id (repeatable)")
    h.add_argument("--base-url", help="OpenAlex base URL (default: $SLR_OPENALEX_URL or the API)")
    h.set_defaults(func=cmd_harvest)

    sn = sub.add_parser(
        "ingest-snapshot",
        help="run the protocol's OpenAlex sources over a local OpenAlex snapshot (DuckDB) "
        "into corpus/",
    )
    sn.add_argument("protocol", type=Path)
    sn.add_argument("snapshot", type=Path, help="the snapshot folder (holding data/works/)")
    sn.add_argument("--source", action="append", help="only this source id (repeatable)")
    sn.add_argument(
        "--memory-limit", default="512MB", help="DuckDB's memory limit (default: %(default)s)"
    )
    sn.set_defaults(func=cmd_ingest_snapshot)

    i = sub.add_parser("import", help="add a RIS/BibTeX/CSV/OpenAlex file to the frozen corpus")
    i.add_argument("protocol", type=Path)
    i.add_argument("file", type=Path)
    i.add_argument("--id", help="source id (default: import-<file name>)")
    i.add_argument("--format", default="auto", help="file format (default: detect)")
    i.add_argument(
        "--prisma-group",
        default="other",
        choices=PRISMA_GROUPS,
        help="where PRISMA 2020 counts the records: %(choices)s (default: %(default)s)",
    )
    i.set_defaults(func=cmd_import)

    m = sub.add_parser("simulate", help="simulate prioritised screening on a labelled dataset")
    m.add_argument(
        "dataset", type=Path, help="a labelled dataset (ASReview CSV with label_included)"
    )
    m.add_argument(
        "--seed", type=int, default=0, help="draws the prior records and seeds the model"
    )
    m.add_argument(
        "--model",
        default=DEFAULT_SCREENING_MODEL,
        choices=SCREENING_MODELS,
        help="the ranking model: %(choices)s (default: %(default)s; see slr.screen.model)",
    )
    m.add_argument("--prior-idx", type=int, nargs="+", help="row numbers (0 = first) of the priors")
    m.add_argument("--n-prior-included", type=int, default=1)
    m.add_argument("--n-prior-excluded", type=int, default=1)
    m.add_argument("--retrain", default="auto", help="auto (default) or every N records")
    m.add_argument(
        "--query",
        help="the review's question in words, trained on as a pseudo-relevant record",
    )
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
        "verify",
        help="check the screening log's hash chain, its head, and what earlier runs and git "
        "recorded of it",
    )
    v.add_argument("protocol", type=Path)
    v.add_argument("--log", type=Path, help="another log (default: the review's screening log)")
    v.add_argument(
        "--repair",
        action="store_true",
        help="cut off a torn last line (after a backup) and rebuild a missing or lagging head",
    )
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
    d.add_argument("run_a", type=Path, nargs="?", help="the older run folder")
    d.add_argument("run_b", type=Path, nargs="?", help="the newer run folder")
    d.add_argument(
        "--previous",
        type=Path,
        metavar="PROTOCOL",
        help="compare the review's run before the latest with the latest (instead of two folders)",
    )
    d.add_argument("--all", action="store_true", help="list every item (default: 20 per list)")
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
