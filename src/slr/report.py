"""What the report notebook displays: thin presentation over :mod:`slr.synthesis`.

Every function takes the protocol and/or a run (as read by :func:`slr.io.read_run`) and returns
a Markdown string or a styled table; nothing here computes a number the tables do not hold.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

from slr import synthesis
from slr.protocol import Protocol

Run = dict[str, Any]

_TABLE_STYLE = [
    {"selector": "td", "props": "text-align: left; vertical-align: top; white-space: pre-wrap;"},
    {"selector": "th", "props": "text-align: left;"},
]


def _style(df: pd.DataFrame, *, index: bool = False) -> Styler:
    """A left-aligned table; its HTML id comes from its content (pandas would draw a random
    one), so a rerun renders the same page."""
    import hashlib

    digest = hashlib.sha256(df.to_csv().encode("utf-8")).hexdigest()[:10]
    style = df.style.set_uuid(digest).set_table_styles(_TABLE_STYLE)
    return style if index else style.hide(axis="index")


def summary_markdown(protocol: Protocol, run: Run) -> str:
    meta = run["meta"]
    counts = meta["prisma"]
    questions = "\n".join(f"- **{k}** {v}" for k, v in protocol.review.questions.items())
    sources = ", ".join(
        f"{s['source_id']} ({s['status']}, {s['n_records']})" for s in meta["sources"]
    )
    extra = (
        f"\n\nAdded to this run only (`--add-source`): {', '.join(meta['added_sources'])}."
        if meta.get("added_sources")
        else ""
    )
    return (
        f"# {protocol.review.title}\n\n{protocol.review.description}\n\n{questions}\n\n"
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
    rq = protocol.review.groups.get(group, "")
    question = protocol.review.questions.get(rq, "")
    return f"### {rq}: {group}s\n\n{question}"


def theme_table(protocol: Protocol, run: Run, group: str) -> Styler:
    df = synthesis.compute_theme_table(
        run["works"], run["decisions"], run["codes"], protocol, group
    )
    return _style(df).format({"share": "{:.0%}"})


def coverage_table(run: Run) -> Styler:
    return _style(synthesis.compute_field_coverage(run["works"])).format({"share": "{:.0%}"})


# ---------------------------------------------------------------------- coding and topics


def theme_frequency_table(protocol: Protocol, run: Run, group: str) -> Styler:
    df = synthesis.compute_theme_frequencies(run["works"], run["decisions"], run["codes"], protocol)
    df = df[df["group"] == group].drop(columns="group").sort_values("works", ascending=False)
    return _style(df).format({"share": "{:.0%}"})


def theme_evidence_table(run: Run, theme_id: str, limit: int = 10) -> Styler:
    df = synthesis.compute_theme_evidence(run["works"], run["decisions"], run["codes"], theme_id)
    return _style(df.head(limit))


def topics_table(run: Run) -> Styler | str:
    if run.get("topic_info") is None:
        return "No topics in this run (fewer than 4 included works, or topics turned off)."
    return _style(run["topic_info"][["topic", "size", "words", "config", "seed"]])


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
    return _style(run["topic_themes"])


def candidate_themes_markdown(run: Run) -> str:
    tt = run.get("topic_themes")
    if tt is None:
        return "No topics in this run."
    new = tt[tt["candidate_new_theme"].astype(str) == "True"]
    if new.empty:
        return "Every topic carries at least one codebook theme on half of its works or more."
    lines = [f"- **{r.label}** ({r.size} works)" for r in new.itertuples()]
    return (
        "Topics that carry no codebook theme on half of their works (candidate new themes):\n\n"
        + "\n".join(lines)
    )


# ---------------------------------------------------------------------- the seed article


def claims_table(run: Run) -> Styler | str:
    claims = run.get("claims")
    if claims is None or not len(claims):
        return "The protocol lists no claims of a seed article."
    return _style(claims)


def claims_summary(protocol: Protocol, run: Run) -> str:
    claims = run.get("claims")
    if claims is None or not len(claims) or protocol.seed_article is None:
        return ""
    counts = claims["status"].value_counts()
    parts = ", ".join(f"**{counts.get(s, 0)}** {s}" for s in synthesis.CLAIM_STATUS)
    return (
        f"Claims of {protocol.seed_article.citation}: {parts}. A claim's part (a codebook theme "
        f"or a place) counts as found when at least {int(claims['needed'].iloc[0])} included "
        f"works carry it ({protocol.seed_article.min_share:.0%} of the included works, and at "
        f"least {protocol.seed_article.min_works}); *supported*: every part found, *mixed*: some, *not found*: none. "
        "This shows whether the corpus reports the same things, not whether it agrees with "
        "their direction: read the evidence."
    )


def references_table(run: Run) -> Styler | str:
    refs = run.get("references")
    if refs is None or not len(refs):
        return "The protocol lists no references of a seed article."
    return _style(refs)


# ---------------------------------------------------------------------- figures


FIGURE_TEXT = {
    "prisma": "PRISMA 2020 flow diagram of the records, reports and studies",
    "works_per_year": "Records identified and studies included per publication year",
    "themes_over_time": "Share of each year's included works carrying each codebook theme",
    "themes": "Network of codebook themes that occur together in included works",
    "places": "Countries and Indonesian provinces named by the included works",
    "topic_sizes": "Number of included works per BERTopic topic",
}


def figure(run_dir, name: str):
    """A run's figure (``figures/<name>.svg``) embedded in the page as an image with its
    alternative text (the HTML report stays one self-contained file)."""
    import base64
    from pathlib import Path

    from IPython.display import HTML, Markdown

    path = Path(run_dir) / "figures" / f"{name}.svg"
    if not path.is_file():
        return Markdown(f"*No figure `{name}` in this run.*")
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    alt = FIGURE_TEXT.get(name, name)
    return HTML(
        f'<figure style="margin:0"><img alt="{alt}" style="max-width:100%" '
        f'src="data:image/svg+xml;base64,{data}"/><figcaption><i>{alt}</i> '
        f"(<code>figures/{name}.svg</code>, <code>.png</code>)</figcaption></figure>"
    )
