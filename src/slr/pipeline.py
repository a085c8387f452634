"""One review run, offline: sources → works → duplicates → screening → coding → tables → report.

:func:`run_review` reads only what is frozen in ``corpus/<review>/`` (harvested pages and
imported files) plus the protocol's file sources, and writes every output to a new run folder
``outputs/<review>/<run>/`` with stable names (``works.parquet``/``.csv``, ``decisions.csv``,
``codes.csv``, ``prisma.csv``, ``sources.csv``, ``run.json``, ``report.html``).
"""

from __future__ import annotations

import logging
import os
import platform
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pandas as pd

from slr import coding, dedupe, harvest, io, normalise, prisma, screen, sources, synthesis
from slr.errors import RunError, SlrError, SourceError
from slr.protocol import FileSource, OpenAlexSource, Protocol
from slr.schema import CODES, DECISIONS, PRISMA, SOURCES, WORKS, conform

logger = logging.getLogger(__name__)

IMPORTS_MANIFEST = "imports.json"
# Machine-made rows (rules, tagger) are remade by every run: their time is the run's, recorded in
# manifest.json, so that two runs of the same inputs write identical tables.
MACHINE_TIME = "run"
MANIFEST_PACKAGES = (
    "numpy", "pandas", "pyarrow", "scikit-learn", "scipy", "rapidfuzz", "pyalex", "rispy",
    "bibtexparser", "papermill", "nbconvert", "jupytext", "torch", "sentence-transformers",
    "bertopic", "umap-learn", "hdbscan",
)  # fmt: skip
NOTEBOOKS = ("01_corpus.py", "02_screening.py", "03_coding.py", "04_synthesis.py", "05_audit.py")
NOTEBOOK = NOTEBOOKS[0]
MANIFEST = "manifest.json"
# fields the full records may add to the committed bibliographic facts
ENRICH_FIELDS = ("abstract", "abstract_alt")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SourceSpec:
    """A source of one run: from the protocol, an ``slr import``, or ``--add-source``."""

    id: str
    kind: str  # openalex, file, import, extra
    prisma_group: str
    path: Path | None = None
    format: str = "auto"
    enrich_from: Path | None = None
    per_query: bool = False


@dataclass
class RunResult:
    run_dir: Path
    report: Path | None
    counts: dict[str, int] = field(default_factory=dict)


# ---------------------------------------------------------------------- sources


def read_imports(protocol: Protocol) -> list[dict[str, Any]]:
    path = protocol.corpus_dir / IMPORTS_MANIFEST
    return io.read_json(path)["imports"] if path.is_file() else []


def collect_sources(protocol: Protocol, add_sources: Iterable[str | Path] = ()) -> list[SourceSpec]:
    specs: list[SourceSpec] = []
    for s in protocol.sources:
        if isinstance(s, OpenAlexSource):
            specs.append(SourceSpec(s.id, "openalex", s.prisma_group))
        elif isinstance(s, FileSource):
            specs.append(
                SourceSpec(
                    s.id,
                    "file",
                    s.prisma_group,
                    protocol.resolve(s.path),
                    s.format,
                    protocol.resolve(s.enrich_from) if s.enrich_from else None,
                    s.per_query,
                )
            )
    for imp in read_imports(protocol):
        specs.append(
            SourceSpec(
                imp["id"],
                "import",
                imp["prisma_group"],
                protocol.corpus_dir / imp["path"],
                imp["format"],
            )
        )
    taken = {s.id for s in specs}
    for raw in add_sources:
        path = Path(raw).expanduser().resolve()
        sid = _unique_id(f"extra-{_slug(path.stem)}", taken)
        taken.add(sid)
        specs.append(SourceSpec(sid, "extra", "other", path, "auto"))
    return specs


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "source"


def _unique_id(base: str, taken: set[str]) -> str:
    sid, n = base, 2
    while sid in taken:
        sid, n = f"{base}-{n}", n + 1
    return sid


def read_sources(
    protocol: Protocol, specs: list[SourceSpec], *, progress: Progress | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read every source into works rows (keys assigned) and the sources table.

    An OpenAlex source never harvested and a file source whose file is absent are listed with
    their status, not an error: the run says what it could not read. A file that is present but
    malformed is an error.
    """
    frames, rows = [], []
    for spec in specs:
        if progress:
            progress(f"reading {spec.id}")
        if spec.kind == "openalex":
            records, manifest = harvest.read_frozen(protocol.corpus_dir, spec.id)
            if manifest is None:
                rows.append(_source_row(spec, "not harvested", 0, note="run `slr harvest` online"))
                continue
            df = normalise.normalise_records(
                records,
                source_id=spec.id,
                source_format="openalex-json",
                where=f"openalex/{spec.id}",
            )
            note = (
                f"harvested {manifest.get('finished_at')}; meta.count {manifest.get('meta_count')}"
            )
            rows.append(_source_row(spec, "read", len(df), path=None, note=note, df=df))
            frames.append(df)
            continue
        assert spec.path is not None
        if not spec.path.is_file():
            if spec.kind == "file":
                rows.append(_source_row(spec, "missing", 0, path=spec.path, note="file not found"))
                continue
            raise SourceError(f"{spec.path}: file not found (source {spec.id})")
        src = sources.read_source(spec.path, spec.format)
        df = normalise.normalise_source(src, source_id=spec.id, where=_shown(protocol, spec.path))
        notes = []
        if spec.enrich_from is not None:
            df, note = _enrich(protocol, df, spec.enrich_from)
            notes.append(note)
        if spec.per_query:
            n_works = len(df)
            df = normalise.expand_per_query(df)
            notes.append(f"{n_works} works found by {len(df)} query hits (one record per hit)")
        note = "; ".join(notes)
        rows.append(
            _source_row(
                spec,
                "read",
                len(df),
                path=spec.path,
                sha256=io.sha256_file(spec.path),
                note=note,
                df=df,
            )
        )
        frames.append(df)
    works = pd.concat(frames, ignore_index=True) if frames else WORKS.empty()
    works = normalise.assign_work_ids(conform(works, WORKS))
    return works, conform(pd.DataFrame(rows, columns=SOURCES.names), SOURCES)


def _enrich(protocol: Protocol, df: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, str]:
    shown = _shown(protocol, path)
    if not path.is_file():
        return df, f"full records not found at {shown}: bibliographic facts only, no abstracts"
    full_src = sources.read_source(path)
    full = normalise.normalise_source(full_src, source_id="enrich", where=shown)
    enriched = normalise.enrich_from(df, full, fields=ENRICH_FIELDS)
    n = int(enriched["abstract"].notna().sum() - df["abstract"].notna().sum())
    return enriched, f"abstracts added from {shown} for {n} records"


def _shown(protocol: Protocol, path: Path) -> str:
    try:
        return os.path.relpath(path, protocol.root)
    except ValueError:
        return str(path)


def _source_row(
    spec: SourceSpec,
    status: str,
    n: int,
    *,
    path: Path | None = None,
    sha256: str | None = None,
    note: str = "",
    df: pd.DataFrame | None = None,
) -> dict[str, Any]:
    return {
        "source_id": spec.id,
        "kind": spec.kind,
        "prisma_group": spec.prisma_group,
        "status": status,
        "n_records": n,
        "path": str(path) if path else None,
        "sha256": sha256,
        "fields": _fields_summary(df) if df is not None else None,
        "note": note or None,
    }


def _fields_summary(df: pd.DataFrame) -> str:
    parts = []
    for f in ("abstract", "keywords", "doi", "publication_year", "language", "authors"):
        col = df[f]
        have = int(col.map(len).gt(0).sum()) if col.dtype == object else int(col.notna().sum())
        parts.append(f"{f} {have}/{len(df)}")
    return "; ".join(parts)


# ---------------------------------------------------------------------- stages


def compute_tables(
    protocol: Protocol,
    works: pd.DataFrame,
    *,
    decided_at: str,
    human: pd.DataFrame | None = None,
    progress: Progress | None = None,
    coding_verdicts: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """The pure middle of a run: dedupe, screen, code, assess eligibility, count.

    ``human``: the review's screening log; its rows come after the rule decisions, so a
    reviewer's decision on a work and stage is the one in force.
    """
    works, decisions = screen_tables(
        protocol, works, decided_at=decided_at, human=human, progress=progress
    )
    return code_tables(
        protocol,
        works,
        decisions,
        decided_at=decided_at,
        coding_verdicts=coding_verdicts,
        progress=progress,
    )


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
    works = dedupe.mark_duplicates(works)
    if progress:
        progress("rule screening")
    decisions = screen.screen_rules(works, protocol, decided_at=decided_at)
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
    """Codes for the works included at title/abstract, eligibility by the codes, PRISMA."""
    current = screen.latest_decisions(decisions)
    ta_included = current.loc[
        (current["stage"] == "title_abstract") & (current["decision"] == "include"), "work_id"
    ]
    if progress:
        progress("codebook tagging")
    codes = coding.code_works(works, protocol, work_ids=ta_included, coded_at=decided_at)
    if coding_verdicts is not None and len(coding_verdicts):
        _check_known(coding_verdicts, works, "coding log", "coded")
        codes = conform(pd.concat([codes, coding_verdicts], ignore_index=True), CODES)
    eligibility = screen.screen_eligibility(
        works, decisions, coding.current_codes(codes), protocol, decided_at=decided_at
    )
    decisions = conform(pd.concat([decisions, eligibility], ignore_index=True), DECISIONS)
    screen.check_decisions(decisions, works, protocol)
    table = prisma.compute_prisma(works, decisions, protocol)
    return {"works": works, "decisions": decisions, "codes": codes, "prisma": table}


# ---------------------------------------------------------------------- the run


def new_run_dir(protocol: Protocol, run_id: str | None = None) -> Path:
    base = protocol.outputs_dir
    run_id = run_id or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run_dir, n = base / run_id, 2
    while run_dir.exists():
        run_dir, n = base / f"{run_id}-{n}", n + 1
    run_dir.mkdir(parents=True)
    return run_dir


def _point_latest(run_dir: Path) -> None:
    link = run_dir.parent / "latest"
    tmp = run_dir.parent / ".latest.tmp"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(run_dir.name)
    os.replace(tmp, link)


FROM_STAGES = ("coding", "synthesis", "report")


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

    ``from_stage`` (``coding``, ``synthesis`` or ``report``) reuses the tables of an earlier run
    (``reuse``, default the latest) for the stages before it: ``coding`` keeps its works and
    screening decisions and recodes; ``synthesis`` also keeps its codes and topics; ``report``
    only re-executes the notebooks.
    """
    started = screen.now_utc()
    specs = collect_sources(protocol, add_sources)
    verdicts = io.read_table(protocol.coding_log, CODES) if protocol.coding_log.exists() else None
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
        human = io.read_log(protocol.screening_log)
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
            tables.update(compute_topics(protocol, tables))
    if from_stage != "report":
        if progress:
            progress("checking the seed article")
        tables.update(compute_synthesis(protocol, tables))
    run_dir = new_run_dir(protocol, run_id)
    if progress:
        progress(f"writing tables to {run_dir}")
    io.write_table(tables["works"], run_dir / "works", WORKS)
    io.write_csv(tables["decisions"], run_dir / "decisions.csv", DECISIONS)
    io.write_csv(tables["codes"], run_dir / "codes.csv", CODES)
    io.write_csv(tables["prisma"], run_dir / "prisma.csv", PRISMA)
    io.write_csv(sources_table, run_dir / "sources.csv", SOURCES)
    for name in EXTRA_TABLES:
        if tables.get(name) is not None:
            io.write_csv_frame(tables[name], run_dir / f"{name}.csv")
    if progress:
        progress("drawing figures")
    write_figures(protocol, tables, run_dir)
    write_exports(tables, run_dir)
    counts = prisma.prisma_counts(tables["prisma"])
    meta = {
        "review": protocol.review.id,
        "protocol": _relative(protocol.path, protocol.root) if protocol.path else None,
        "protocol_hash": protocol.hash,
        "protocol_version": protocol.version,
        "seed": protocol.seed,
        "slr_version": version("slr"),
        "python": platform.python_version(),
        "packages": {
            p: version(p) for p in ("pandas", "pyarrow", "pyalex", "rapidfuzz", "papermill")
        },
        "sources": sources_table.astype(object)
        .where(sources_table.notna(), None)
        .to_dict("records"),
        "added_sources": [str(Path(p).expanduser().resolve()) for p in add_sources],
        "prisma": counts,
    }
    io.write_json(run_dir / "run.json", meta)
    report = None
    if notebook:
        if progress:
            progress("executing the report notebooks")
        report = write_report(protocol, run_dir)
    manifest = build_manifest(protocol, specs, run_dir, started=started)
    if reused is not None:
        manifest["from_stage"] = from_stage
        manifest["reused_run"] = _relative(reused, protocol.root)
    io.write_json(run_dir / MANIFEST, manifest)
    _point_latest(run_dir)
    return RunResult(run_dir=run_dir, report=report, counts=counts)


EXTRA_TABLES = (
    "topics", "topic_info", "topic_themes", "topic_stability", "places", "claims", "references",
)  # fmt: skip


def _reuse(
    protocol: Protocol, stage: str, reuse: str | Path | None, add_sources: Iterable
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, Path]:
    """The earlier run's tables needed to start at ``stage``."""
    if stage not in FROM_STAGES:
        raise RunError(f"cannot start from {stage!r}; valid options: {', '.join(FROM_STAGES)}")
    if list(add_sources):
        raise RunError("--add-source reads new records: run every stage (drop --from)")
    source = Path(reuse) if reuse else protocol.outputs_dir / "latest"
    if not (source / "run.json").is_file():
        raise RunError(
            f"--from {stage} reuses an earlier run, but {source} is not one; run `slr run` "
            "first or name a run folder with --reuse"
        )
    source = source.resolve()
    run = io.read_run(source)
    if run["meta"]["protocol_hash"] != protocol.hash and stage != "coding":
        raise RunError(
            f"{source} was made with another protocol version "
            f"({run['meta']['protocol_version']}); rerun from coding or in full"
        )
    if stage == "coding":
        d = run["decisions"]  # the rule eligibility rows are remade from the new codes
        machine = (d["stage"] == "eligibility") & (d["reviewer"] == protocol.screening.reviewer)
        tables = {"works": run["works"], "decisions": d[~machine]}
    else:
        tables = {k: run[k] for k in ("works", "decisions", "codes", "prisma")}
        tables.update({k: run[k] for k in EXTRA_TABLES if run.get(k) is not None})
    return tables, run["sources"], source


def _relative(path: Path, root: Path) -> str:
    path = Path(path).resolve()
    try:
        return str(path.relative_to(Path(root).resolve()))
    except ValueError:
        return str(path)


def input_files(protocol: Protocol, specs: list[SourceSpec]) -> list[Path]:
    """Every file a run reads: the protocol, each source's files, enrichment files, the logs
    of people's screening decisions and coding verdicts (those that exist)."""
    paths: list[Path] = [Path(protocol.path)] if protocol.path else []
    for spec in specs:
        for p in (spec.path, spec.enrich_from):
            if p is None or not Path(p).exists():
                continue
            p = Path(p)
            paths.extend(sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p])
    from slr.harvest import REFERENCE_LOOKUP

    lookup = protocol.corpus_dir / REFERENCE_LOOKUP
    if lookup.is_file():
        paths.append(lookup)
    for log in (protocol.screening_log, protocol.coding_log):
        if log.exists():
            paths.extend([log, *sorted(log.parent.glob(log.name + ".head.json"))])
    seen: dict[Path, None] = {}
    for p in paths:
        seen.setdefault(p.resolve(), None)
    return list(seen)


def build_manifest(
    protocol: Protocol, specs: list[SourceSpec], run_dir: Path, *, started: str
) -> dict[str, Any]:
    """What a run read and wrote, with SHA-256 hashes; the only output that holds times."""
    from importlib.metadata import PackageNotFoundError

    def pkg(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    outputs = sorted(p for p in run_dir.rglob("*") if p.is_file() and p.name != MANIFEST)
    return {
        "run_id": run_dir.name,
        "started_at": started,
        "finished_at": screen.now_utc(),
        "review": protocol.review.id,
        "protocol_hash": protocol.hash,
        "protocol_version": protocol.version,
        "seeds": {
            "protocol": protocol.seed,
            "topics": protocol.topics_seed,
        },
        "python": platform.python_version(),
        "packages": {p: pkg(p) for p in ("slr", *MANIFEST_PACKAGES)},
        "inputs": [
            {
                "path": _relative(p, protocol.root),
                "sha256": io.sha256_file(p),
                "bytes": p.stat().st_size,
            }
            for p in input_files(protocol, specs)
        ],
        "outputs": [
            {
                "path": str(p.relative_to(run_dir)),
                "sha256": io.sha256_file(p),
                "bytes": p.stat().st_size,
            }
            for p in outputs
        ],
    }


def notebooks_dir() -> Path:
    """The project's notebooks/ folder (beside src/ in a checkout)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "notebooks" / NOTEBOOK).is_file():
            return parent / "notebooks"
    raise RunError(f"cannot find notebooks/{NOTEBOOK} above {here}")


def write_report(protocol: Protocol, run_dir: Path) -> Path:
    """Execute the numbered notebooks in order into ``notebooks/``, then combine them into one
    report (``report.ipynb`` → ``report.html``, with a table of contents, no code)."""
    from slr.notebooks import combine_notebooks, execute_notebook, render_html

    # the notebooks run inside the run folder with relative paths, so that nothing in them
    # names the run (two runs of the same inputs write identical notebooks)
    params = {"protocol_path": os.path.relpath(protocol.path, run_dir), "run_dir": "."}
    executed = []
    for name in NOTEBOOKS:
        out = run_dir / "notebooks" / name.replace(".py", ".ipynb")
        execute_notebook(notebooks_dir() / name, out, params, cwd=run_dir)
        executed.append(out)
    combined = combine_notebooks(
        executed, run_dir / "notebooks" / "report.ipynb", title=protocol.review.title
    )
    return render_html(combined, run_dir / "report.html")


def write_exports(tables: dict[str, pd.DataFrame], run_dir: Path) -> None:
    """The included works as RIS and BibTeX under ``exports/``."""
    from slr import exports

    ids = set(synthesis.included_ids(tables["works"], tables["decisions"]))
    included = tables["works"][tables["works"]["work_id"].isin(ids)]
    io.write_text(run_dir / "exports" / "included.ris", exports.works_to_ris(included))
    io.write_text(run_dir / "exports" / "included.bib", exports.works_to_bibtex(included))


def write_figures(protocol: Protocol, tables: dict[str, pd.DataFrame], run_dir: Path) -> None:
    """The report's figures (SVG + PNG under ``figures/``) and the places table they draw on."""
    from slr import figures

    included = synthesis.included_ids(tables["works"], tables["decisions"])
    where = tables["places"]
    out = run_dir / "figures"
    io.save_figure(figures.prisma_flow(tables["prisma"]), out / "prisma")
    io.save_figure(figures.works_per_year(tables["works"], included), out / "works_per_year")
    io.save_figure(
        figures.themes_over_time(protocol, tables["codes"], tables["works"], included),
        out / "themes_over_time",
    )
    io.save_figure(figures.places_chart(where), out / "places")
    io.save_figure(figures.theme_network(protocol, tables["codes"], included), out / "themes")
    if "topic_info" in tables:
        io.save_figure(figures.topic_sizes(tables["topic_info"]), out / "topic_sizes")


def compute_synthesis(
    protocol: Protocol, tables: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """Places named by the included works, the seed article's claims checked, its references
    audited (against OpenAlex too when `slr audit-references` saved a lookup)."""
    from slr import places
    from slr.harvest import REFERENCE_LOOKUP

    included = synthesis.included_ids(tables["works"], tables["decisions"])
    where = places.places_table(tables["works"], included)
    lookup = protocol.corpus_dir / REFERENCE_LOOKUP
    online = io.read_json(lookup)["results"] if lookup.is_file() else None
    args = (tables["works"], tables["decisions"], tables["codes"], protocol)
    return {
        "places": where,
        "claims": synthesis.compute_claim_check(*args, where),
        "references": synthesis.compute_reference_audit(tables["works"], protocol, online=online),
    }


def compute_topics(protocol: Protocol, tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """BERTopic on the included works: assignments, topic words, topic × theme, stability."""
    from slr import topics

    works = tables["works"].set_index("work_id")
    ids = synthesis.included_ids(tables["works"], tables["decisions"])
    if len(ids) < 4:
        return {}
    texts = [topics.work_text(works.loc[i]) for i in ids]
    from slr.embeddings import embed

    vectors = embed(texts)
    seed = protocol.topics_seed
    model = topics.fit_topics(ids, texts, seed=seed, embeddings=vectors)
    assignments = model.assignments.merge(model.topics[["topic", "label"]], on="topic")
    themes = [t.id for t in protocol.codebook]
    cross = topics.topic_theme_table(model, coding.current_codes(tables["codes"]), themes)
    stability = topics.topic_stability(
        ids, texts, seeds=[seed + k for k in range(5)], embeddings=vectors, first=model
    )
    info = model.topics.assign(config=model.config, seed=seed)
    return {
        "topics": assignments,
        "topic_info": info,
        "topic_themes": cross,
        "topic_stability": stability,
    }


# ---------------------------------------------------------------------- imports & status


def import_file(
    protocol: Protocol,
    path: str | Path,
    *,
    source_id: str | None = None,
    format: str = "auto",
    prisma_group: str = "other",
) -> dict[str, Any]:
    """Add a file to the review's frozen corpus as a new, recorded source.

    The file is parsed first (a malformed file is refused whole, naming its line or record),
    then copied to ``corpus/<review>/imports/`` and listed in ``imports.json`` with its hash,
    format and record count. Returns the new entry.
    """
    from slr.protocol import PRISMA_GROUPS

    path = Path(path).expanduser().resolve()
    if prisma_group not in PRISMA_GROUPS:
        raise SlrError(
            f"unknown PRISMA group {prisma_group!r}; valid options: {', '.join(PRISMA_GROUPS)}"
        )
    src = sources.read_source(path, format)
    df = normalise.normalise_source(src, source_id="import")
    if not len(df):
        raise SourceError(f"{path}: no records found; nothing imported")
    digest = io.sha256_file(path)
    imports = read_imports(protocol)
    for imp in imports:
        if imp["sha256"] == digest:
            raise SlrError(f"{path}: already imported as source {imp['id']!r} ({imp['path']})")
    taken = {s.id for s in protocol.sources} | {imp["id"] for imp in imports}
    sid = source_id or _unique_id(f"import-{_slug(path.stem)}", taken)
    if sid in taken:
        raise SlrError(f"source id {sid!r} is already used; taken: {', '.join(sorted(taken))}")
    target = protocol.corpus_dir / "imports" / f"{sid}{''.join(path.suffixes[-2:]) or '.txt'}"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target)
    entry = {
        "id": sid,
        "path": str(target.relative_to(protocol.corpus_dir)),
        "original": str(path),
        "format": src.format,
        "sha256": digest,
        "n_records": len(df),
        "prisma_group": prisma_group,
        "imported_at": screen.now_utc(),
        "protocol_hash": protocol.hash,
    }
    io.write_json(protocol.corpus_dir / IMPORTS_MANIFEST, {"imports": [*imports, entry]})
    return entry


def latest_run(protocol: Protocol) -> Path | None:
    link = protocol.outputs_dir / "latest"
    return link.resolve() if link.exists() else None


def compute_corpus_status(protocol: Protocol) -> pd.DataFrame:
    """What is frozen for each source: harvested pages and works, or file records."""
    rows = []
    for spec in collect_sources(protocol):
        if spec.kind == "openalex":
            folder = harvest.source_dir(protocol.corpus_dir, spec.id)
            partial = folder.with_name(folder.name + ".partial")
            if (folder / "manifest.json").is_file():
                m = io.read_json(folder / "manifest.json")
                state = f"harvested {m.get('finished_at')}: {len(m['pages'])} pages"
                n = m.get("n_unique", m.get("n_results", 0))
            else:
                state, n = "not harvested", 0
            if (partial / "manifest.json").is_file():
                m = io.read_json(partial / "manifest.json")
                state += f"; interrupted harvest: {len(m['pages'])} pages saved (resume with `slr harvest`)"
            rows.append({"source": spec.id, "kind": spec.kind, "records": n, "state": state})
        else:
            present = spec.path is not None and spec.path.is_file()
            n = len(sources.read_source(spec.path, spec.format).records) if present else 0
            rows.append(
                {
                    "source": spec.id,
                    "kind": spec.kind,
                    "records": n,
                    "state": "present" if present else "missing",
                }
            )
    return pd.DataFrame(rows)
