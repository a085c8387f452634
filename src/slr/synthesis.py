"""``compute_*`` tables for the report: pure functions of the run's tables and the protocol."""

from __future__ import annotations

import pandas as pd

from slr.protocol import GROUPS, Protocol
from slr.screen import compute_status, latest_decisions


def included_ids(works: pd.DataFrame, decisions: pd.DataFrame) -> list[str]:
    status = compute_status(works, decisions)
    return status.loc[status["status"] == "included", "work_id"].tolist()


def cite(work: pd.Series) -> str:
    """``Surname (Year)`` or ``Surname et al. (Year)``; ``n.d.`` without a year."""
    authors = work["authors"]
    if authors:
        first = authors[0].split(",")[0].strip() if "," in authors[0] else authors[0].split()[-1]
        who = first + (
            " et al."
            if len(authors) > 2
            else f" & {_surname(authors[1])}"
            if len(authors) == 2
            else ""
        )
    else:
        who = work["venue"] if pd.notna(work["venue"]) else "Anon."
    year = "n.d." if pd.isna(work["publication_year"]) else str(int(work["publication_year"]))
    return f"{who} ({year})"


def _surname(name: str) -> str:
    return name.split(",")[0].strip() if "," in name else name.split()[-1]


def compute_theme_table(
    works: pd.DataFrame,
    decisions: pd.DataFrame,
    codes: pd.DataFrame,
    protocol: Protocol,
    group: str,
    *,
    examples: int = 3,
) -> pd.DataFrame:
    """Per theme of ``group``: included works carrying it, their share, and example evidence.

    Columns: ``theme_id, theme, works, share, examples`` (examples: ``cite — "evidence"``,
    strongest evidence first). Themes with no works are listed with 0.
    """
    if group not in GROUPS:
        raise ValueError(f"unknown group {group!r}; valid options: {', '.join(GROUPS)}")
    from slr.coding import current_codes

    included = set(included_ids(works, decisions))
    by_id = works.set_index("work_id")
    codes = current_codes(codes)
    coded = codes[codes["work_id"].isin(included)]
    rows = []
    for theme in protocol.themes(group):
        t = coded[coded["theme_id"] == theme.id].sort_values(
            ["score", "work_id"], ascending=[False, True]
        )
        ex = []
        for r in t.head(examples).itertuples(index=False):
            evidence = r.evidence if len(r.evidence) <= 240 else r.evidence[:237] + "…"
            ex.append(f'{cite(by_id.loc[r.work_id])} — "{evidence}" [{r.source_field}]')
        n = t["work_id"].nunique()
        rows.append(
            {
                "theme_id": theme.id,
                "theme": theme.label,
                "works": n,
                "share": round(n / len(included), 3) if included else 0.0,
                "examples": "\n".join(ex),
            }
        )
    return (
        pd.DataFrame(rows)
        .sort_values(["works", "theme_id"], ascending=[False, True])
        .reset_index(drop=True)
    )


def compute_criteria_table(protocol: Protocol, decisions: pd.DataFrame) -> pd.DataFrame:
    """The protocol's criteria with how each is applied and how many records it excluded."""
    current = latest_decisions(decisions)
    excluded = current[current["decision"] == "exclude"]["criterion_id"].value_counts()
    automated = {c.id for c in protocol.automated_criteria()}
    return pd.DataFrame(
        [
            {
                "id": c.id,
                "kind": c.kind,
                "stage": c.stage,
                "criterion": c.label,
                "applied by": "rule" if c.id in automated else "reviewer",
                "excluded": int(excluded.get(c.id, 0)),
                "description": c.description,
            }
            for c in protocol.criteria
        ]
    )


def compute_field_coverage(works: pd.DataFrame) -> pd.DataFrame:
    """Share of canonical records carrying each field (what the run could read)."""
    canonical = works[works["duplicate_of"].isna()]
    n = len(canonical)
    rows = []
    for field in (
        "title", "abstract", "abstract_alt", "title_alt", "keywords", "doi",
        "publication_year", "language", "type", "venue", "authors", "openalex_id",
    ):  # fmt: skip
        col = canonical[field]
        have = int(col.map(len).gt(0).sum()) if col.dtype == object else int(col.notna().sum())
        rows.append({"field": field, "records": have, "share": round(have / n, 3) if n else 0.0})
    return pd.DataFrame(rows)


def compute_decision_summary(decisions: pd.DataFrame) -> pd.DataFrame:
    """Current decisions counted by stage, decision and criterion."""
    current = latest_decisions(decisions)
    if not len(current):
        return pd.DataFrame(columns=["stage", "decision", "criterion_id", "records"])
    return (
        current.fillna({"criterion_id": "—"})
        .groupby(["stage", "decision", "criterion_id"], sort=False)
        .size()
        .rename("records")
        .reset_index()
    )


def compute_theme_frequencies(
    works: pd.DataFrame, decisions: pd.DataFrame, codes: pd.DataFrame, protocol: Protocol
) -> pd.DataFrame:
    """Every theme, grouped: included works tagged, share, and how the tags were made
    (terms, cue in context, semantic, a person's verdict)."""
    from slr.coding import current_codes

    included = set(included_ids(works, decisions))
    coded = current_codes(codes)
    coded = coded[coded["work_id"].isin(included)]
    method = coded["method"].str.extract(r"^([\w+ ]+?)(?::|$)", expand=False).str.strip()
    rows = []
    for theme in protocol.codebook:
        mask = coded["theme_id"] == theme.id
        n = coded.loc[mask, "work_id"].nunique()
        how = method[mask].value_counts()
        rows.append(
            {
                "group": theme.group,
                "theme_id": theme.id,
                "theme": theme.label,
                "works": n,
                "share": round(n / len(included), 3) if included else 0.0,
                "how": ", ".join(f"{k} {v}" for k, v in how.items()),
            }
        )
    return pd.DataFrame(rows)


def compute_theme_evidence(
    works: pd.DataFrame, decisions: pd.DataFrame, codes: pd.DataFrame, theme_id: str
) -> pd.DataFrame:
    """Every included work tagged with ``theme_id``: citation, evidence, field and method."""
    from slr.coding import current_codes

    included = set(included_ids(works, decisions))
    by_id = works.set_index("work_id")
    coded = current_codes(codes)
    t = coded[(coded["theme_id"] == theme_id) & coded["work_id"].isin(included)]
    return pd.DataFrame(
        {
            "work": [cite(by_id.loc[w]) for w in t["work_id"]],
            "evidence": t["evidence"].to_numpy(),
            "field": t["source_field"].to_numpy(),
            "method": t["method"].to_numpy(),
        }
    )


def compute_topics_over_time(works: pd.DataFrame, topics: pd.DataFrame) -> pd.DataFrame:
    """Topic × publication year counts (works without a year under "n.d.")."""
    years = works.set_index("work_id")["publication_year"]
    t = topics.assign(year=[years.get(w) for w in topics["work_id"]])
    t["year"] = t["year"].map(lambda y: "n.d." if pd.isna(y) else str(int(y)))
    return t.pivot_table(
        index="label", columns="year", values="work_id", aggfunc="count", fill_value=0
    )
