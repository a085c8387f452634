"""What the report notebook displays: thin presentation over :mod:`slr.report.synthesis`.

Every function takes the protocol and/or a run (as read by :func:`slr.tables.io.read_run`) and returns
a Markdown string or a styled table; nothing here computes a number the tables do not hold.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

import pandas as pd
from IPython.display import HTML, Markdown
from pandas.io.formats.style import Styler

from slr.coding.tagger import TITLE_FIELDS
from slr.coding.topics import NN_DESCENT_FROM
from slr.escape import as_code, as_html, as_link, as_markdown
from slr.layout import RunPaths
from slr.protocol import Protocol
from slr.report import checklist, seed, synthesis
from slr.report.certainty import certainty_table as _certainty
from slr.report.writeup import methods_markdown  # noqa: F401 - the notebooks' name for it

Run = dict[str, Any]

# at most this many rows of a long table in the report, and works per theme; the full tables
# are files of the run folder, linked from the report
REPORT_ROWS = 500
THEME_WORKS = 100


def _file_link(name: str) -> str:
    """A link to a file of the run folder, as report.html (in that folder) reaches it."""
    return f'<a href="{as_html(name)}">{as_html(name)}</a>'


def _paged(df: pd.DataFrame, what: str, file: str) -> tuple[pd.DataFrame, str | None]:
    """The first ``REPORT_ROWS`` rows of ``df`` and a caption saying where all of them are,
    or all of ``df`` and None."""
    if len(df) <= REPORT_ROWS:
        return df, None
    return df.head(REPORT_ROWS), (
        f"The first {REPORT_ROWS:,} of {len(df):,} {what}; all of them: {_file_link(file)}"
    )


_TABLE_STYLE = [
    {"selector": "td", "props": "text-align: left; vertical-align: top; white-space: pre-wrap;"},
    {"selector": "th", "props": "text-align: left;"},
]


def _style(df: pd.DataFrame, *, index: bool = False, links: dict[str, int] | None = None) -> Styler:
    """A left-aligned table, every cell escaped; ``links``: columns holding URLs, shown as
    links (their text without the first ``n`` characters, as ``https://doi.org/``). Its HTML
    id comes from its content (pandas would draw a random one), so a rerun renders the same
    page."""
    digest = hashlib.sha256(df.to_csv().encode("utf-8")).hexdigest()[:10]
    style = df.style.set_uuid(digest).set_table_styles(_TABLE_STYLE).format(escape="html")
    for column, cut in (links or {}).items():
        style = style.format(
            lambda u, cut=cut: as_link(u, u[cut:], escaped=True) if u else "",
            subset=[column],
            escape="html",
        )
    return style if index else style.hide(axis="index")


def summary_markdown(protocol: Protocol, run: Run) -> str:
    meta = run["meta"]
    counts = meta["prisma"]
    questions = "\n".join(f"- **{k}** {v}" for k, v in protocol.review.questions.items())
    sources = ", ".join(
        f"{as_markdown(s['source_id'])} ({s['status']}, {s['n_records']})" for s in meta["sources"]
    )
    extra = (
        "\n\nAdded to this run only (`--add-source`): "
        f"{', '.join(map(as_code, meta['added_sources']))}."
        if meta.get("added_sources")
        else ""
    )
    return (
        f"{protocol.review.description}\n\n{questions}\n\n"
        f"Protocol version `{meta['protocol_version']}` (SHA-256 "
        f"`{meta['protocol_hash'][:16]}…`), slr {meta['slr_version']}; the run's times and the "
        f"hashes of its inputs and outputs are in `manifest.json`.\n\n"
        f"**{counts['identified']}** records identified ({sources}); "
        f"**{counts['duplicates']}** duplicates marked; **{counts['screened']}** screened; "
        f"**{counts['included']}** studies included.{extra}"
    )


def sources_table(run: Run) -> Styler:
    df = run["sources"][
        ["source_id", "kind", "prisma_group", "status", "n_records", "fields", "note"]
    ]
    return _style(df.fillna(""))


def prisma_table(run: Run) -> Styler:
    df = run["prisma"][["section", "label", "n"]].rename(columns={"label": "box"})
    return _style(df)


def criteria_table(protocol: Protocol, run: Run) -> Styler:
    return _style(synthesis.compute_criteria_table(protocol, run["decisions"]))


def group_heading(protocol: Protocol, group: str) -> str:
    g = protocol.group(group)
    return f"### {g.question}: {g.label}\n\n{protocol.review.questions[g.question]}"


def coverage_table(run: Run) -> Styler:
    return _style(synthesis.compute_field_coverage(run["works"])).format({"share": "{:.0%}"})


# ---------------------------------------------------------------------- coding and topics


def theme_frequency_table(protocol: Protocol, run: Run, group: str) -> Styler:
    df = synthesis.compute_theme_frequencies(run["status"], run["current_codes"], protocol)
    df = df[df["group"] == group].drop(columns="group").sort_values("works", ascending=False)
    return _style(df).format({"share": "{:.0%}"})


def theme_evidence_table(run: Run, theme_id: str, limit: int = 10) -> Styler:
    df = synthesis.compute_theme_evidence(
        run["works"], run["status"], run["current_codes"], theme_id
    )
    return _style(df.head(limit))


def topics_table(run: Run) -> Styler | str:
    if run.get("topic_info") is None:
        return "No topics in this run (fewer than 4 included works, or topics turned off)."
    info = run["topic_info"]
    style = _style(info[["topic", "size", "words", "config", "seed"]].fillna(""))
    fitted, total = info["fitted_on"].dropna(), int(info["size"].sum())
    caption = []
    if len(fitted) and int(fitted.iloc[0]) < total:
        caption.append(
            f"Fitted on a seeded sample of {int(fitted.iloc[0]):,} of the {total:,} included "
            f"works; the other {total - int(fitted.iloc[0]):,} were assigned to its topics "
            "(BERTopic's transform)."
        )
    neighbours = info.get("neighbours")  # runs before 2026-12 did not record it
    if neighbours is not None and (neighbours == "nn-descent").any():
        caption.append(
            "UMAP found each work's neighbours with its approximate nearest-neighbour index "
            f"(NN-descent), not among all pairs, as UMAP does when given {NN_DESCENT_FROM:,} "
            "works or more."
        )
    return style.set_caption(" ".join(caption)) if caption else style


def topic_stability_table(run: Run) -> Styler | str:
    if run.get("topic_stability") is None:
        return "No topics in this run."
    return _style(run["topic_stability"].round(3))


def topics_over_time_table(run: Run) -> Styler | str:
    if run.get("topics") is None:
        return "No topics in this run."
    df = synthesis.compute_topics_over_time(run["works"], run["topics"])
    return _style(df, index=True)


def topic_theme_table(run: Run) -> Styler | str:
    if run.get("topic_themes") is None:
        return "No topics in this run."
    tt, info = run["topic_themes"], run["topic_info"].set_index("topic")
    counts = tt.pivot(index="topic", columns="theme_id", values="works")
    counts = counts[list(tt["theme_id"].unique())].astype(int)  # the codebook's order
    wide = info[["label", "size"]].astype(object).join(counts)
    wide["main_themes"] = info["main_themes"].fillna("")
    wide["candidate_new_theme"] = info["candidate_new_theme"].astype(bool)
    return _style(wide.reset_index())


def candidate_themes_markdown(run: Run) -> str:
    info = run.get("topic_info")
    if info is None:
        return "No topics in this run."
    new = info[info["candidate_new_theme"]]
    if new.empty:
        return "Every topic carries at least one codebook theme on half of its works or more."
    lines = [f"- **{as_markdown(r.label)}** ({r.size} works)" for r in new.itertuples()]
    return (
        "Topics that carry no codebook theme on half of their works (candidate new themes):\n\n"
        + "\n".join(lines)
    )


# ---------------------------------------------------------------------- the seed article


def claims_table(run: Run) -> Styler | str:
    claims = run.get("claims")
    if claims is None or not len(claims):
        return "The protocol lists no claims of a seed article."
    return _style(claims.fillna(""))


def claims_summary(protocol: Protocol, run: Run) -> str:
    claims = run.get("claims")
    if claims is None or not len(claims) or protocol.seed_article is None:
        return ""
    counts = claims["status"].value_counts()
    parts = ", ".join(f"**{counts.get(s, 0)}** {s}" for s in seed.CLAIM_STATUS)
    fragile = int((claims["margin"] <= 3).sum())
    return (
        f"Claims of {protocol.seed_article.citation}: {parts}. A claim's part (a codebook theme "
        f"or a place) counts as found when at least {int(claims['needed'].iloc[0])} included "
        f"works carry it ({protocol.seed_article.min_share:.0%} of the included works, and at "
        f"least {protocol.seed_article.min_works}); *supported*: every part found, *mixed*: some, *not found*: none. "
        "This shows whether the corpus reports the same things, not whether it agrees with "
        "their direction: read the evidence. *margin*: the fewest works whose tags (or places) "
        f"would have to change for the verdict to change; {fragile} verdicts turn on 3 works or "
        "fewer, and `slr diff` lists verdicts that change between runs."
    )


def references_table(run: Run) -> Styler | str:
    refs = run.get("references")
    if refs is None or not len(refs):
        return "The protocol lists no references of a seed article."
    return _style(refs.fillna(""))


# ---------------------------------------------------------------------- figures


FIGURE_TEXT = {
    "prisma": "PRISMA 2020 flow diagram of the records, reports and studies",
    "works_per_year": "Records identified and studies included per publication year",
    "themes_over_time": "Share of each year's included works carrying each codebook theme",
    "themes": "Network of codebook themes that occur together in included works",
    "topic_sizes": "Number of included works per BERTopic topic",
}


def figure(protocol: Protocol, run_dir, name: str):
    """A run's figure (``figures/<name>.svg``) embedded in the page as an image with its
    alternative text (the HTML report stays one self-contained file)."""
    run = RunPaths(Path(run_dir))
    path = run.figure(name, ".svg")
    if not path.is_file():
        return Markdown(f"*No figure `{name}` in this run.*")
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    alt = places_caption(protocol) if name == "places" else FIGURE_TEXT.get(name, name)
    alt = as_html(alt)
    return HTML(
        f'<figure style="margin:0"><img alt="{alt}" style="max-width:100%" '
        f'src="data:image/svg+xml;base64,{data}"/><figcaption><i>{alt}</i> '
        f"(<code>{as_html(run.shown(path))}</code>, <code>.png</code>)</figcaption></figure>"
    )


def places_caption(protocol: Protocol) -> str:
    g = protocol.places
    regions = f" and {g.region_label}" if g is not None and g.regions else ""
    return f"Countries{regions} named by the included works"


def places_markdown(protocol: Protocol) -> str:
    """What the places figure counts, from the protocol's gazetteer."""
    g = protocol.places
    if g is None:
        return "The protocol has no gazetteer: no places are counted."
    text = (
        f"{places_caption(protocol)} in their titles, keywords and abstracts "
        f"({len(g.countries)} countries{f', {len(g.regions)} {g.region_label}' if g.regions else ''} "
        "in the protocol's gazetteer)"
    )
    if g.regions and g.region_country:
        text += f"; a named {g.region_kind} counts for {g.region_country}"
    return text + "."


# ---------------------------------------------------------------------- methods


# ---------------------------------------------------------------------- findings


def findings_table(protocol: Protocol, run: Run, group: str) -> Styler:
    df = synthesis.compute_findings(
        run["works"], run["status"], run["current_codes"], protocol, group, run["places"],
        run.get("coding_accuracy"),
    )  # fmt: skip
    return _style(df).format({"share": "{:.0%}"})


def theme_works_html(protocol: Protocol, run: Run, group: str) -> str:
    """Per theme of ``group``, a folded list of the works behind it: citation with DOI link,
    and the evidence sentence."""

    blocks = []
    for theme in protocol.themes(group):
        df = synthesis.compute_theme_works(
            run["works"], run["status"], run["current_codes"], theme.id
        )
        items = []
        for r in df.head(THEME_WORKS).itertuples(index=False):
            cite = as_link(r.doi, r.citation) if r.doi else as_html(r.citation)
            where = f"{r.field}: title only" if r.field in TITLE_FIELDS else r.field
            items.append(
                f"<li>{cite}, <i>{as_html(r.title)}</i>: “{as_html(r.evidence)}” "
                f"<small>[{as_html(where)}]</small></li>"
            )
        if len(df) > THEME_WORKS:
            items.append(
                f"<li>… and {len(df) - THEME_WORKS:,} more: {_file_link('current_codes.csv')} "
                "lists every tag in force with its evidence</li>"
            )
        alone = int(df["field"].isin(TITLE_FIELDS).sum())
        blocks.append(
            f"<details><summary><b>{theme.id} {as_html(theme.label)}</b> — {len(df)} works"
            f" ({alone} from the title alone)</summary><ul>{''.join(items)}</ul></details>"
        )
    return "\n".join(blocks)


def coverage_risk_table(run: Run) -> Styler:
    df = synthesis.compute_coverage(run["works"], run["status"])
    return _style(df).format({"share": "{:.0%}"})


def appendix_table(run: Run) -> Styler:
    df, caption = _paged(
        synthesis.compute_appendix(run["works"], run["status"]),
        "records (included first)",
        RunPaths(run["dir"]).shown(RunPaths(run["dir"]).appendix),
    )
    style = _style(df, links={"doi": len("https://doi.org/")})
    return style.set_caption(caption) if caption else style


def decision_summary_table(run: Run) -> Styler:
    return _style(synthesis.compute_decision_summary(run["decisions"]))


def reviewers_table(run: Run) -> Styler:
    d = run["decisions"]
    t = d.groupby(["reviewer", "stage"]).size().rename("rows").reset_index()
    return _style(t)


# ---------------------------------------------------------------------- the write-up


def certainty_table(protocol: Protocol, run: Run) -> Styler:
    return _style(_certainty(protocol, run).drop(columns="group"))


def studies_table(run: Run) -> Styler | str:
    studies = run.get("studies")
    if studies is None or studies.empty:
        return "No study was included."
    df, caption = _paged(
        synthesis.compute_study_characteristics(run["works"], studies, run["places"]),
        "included studies",
        "studies.csv",
    )
    return _style(df).set_caption(caption) if caption else _style(df)


def checklist_table() -> Styler:
    return _style(checklist.checklist_table())
