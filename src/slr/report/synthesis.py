"""``compute_*`` tables for the report: pure functions of the run's tables and the protocol."""

from __future__ import annotations

import numpy as np
import pandas as pd

from slr.coding.tagger import TITLE_FIELDS
from slr.protocol import Protocol
from slr.tables.decisions import included_ids, latest_decisions
from slr.tables.schema import is_missing


def cite(work: pd.Series) -> str:
    """``Surname (Year)`` or ``Surname et al. (Year)``; ``n.d.`` without a year. A work without
    authors is cited by the first words of its title, as APA does (never by its venue);
    ``Anon.`` only when it has neither."""
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
    elif pd.notna(work["title"]) and str(work["title"]).strip():
        words = str(work["title"]).split()
        who = f"“{' '.join(words[:5])}{'…' if len(words) > 5 else ''}”"
    else:
        who = "Anon."
    year = "n.d." if pd.isna(work["publication_year"]) else str(int(work["publication_year"]))
    return f"{who} ({year})"


def _surname(name: str) -> str:
    return name.split(",")[0].strip() if "," in name else name.split()[-1]


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
    status: pd.DataFrame, codes: pd.DataFrame, protocol: Protocol
) -> pd.DataFrame:
    """Every theme, grouped: included works tagged, share, and how the tags were made
    (terms, cue in context, semantic, a person's verdict). ``codes``: the tags in force."""
    included = set(included_ids(status))
    coded = codes[codes["work_id"].isin(included)]
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
    works: pd.DataFrame, status: pd.DataFrame, codes: pd.DataFrame, theme_id: str
) -> pd.DataFrame:
    """Every included work tagged with ``theme_id``: citation, evidence, field and method."""
    t = compute_theme_works(works, status, codes, theme_id)
    return t[["citation", "evidence", "field", "method"]].rename(columns={"citation": "work"})


def compute_topics_over_time(works: pd.DataFrame, topics: pd.DataFrame) -> pd.DataFrame:
    """Topic × publication year counts (works without a year under "n.d.")."""
    years = works.set_index("work_id")["publication_year"]
    t = topics.assign(year=[years.get(w) for w in topics["work_id"]])
    t["year"] = t["year"].map(lambda y: "n.d." if pd.isna(y) else str(int(y)))
    return t.pivot_table(
        index="label", columns="year", values="work_id", aggfunc="count", fill_value=0
    )


# ---------------------------------------------------------------------- findings, appendix


def doi_link(doi) -> str:
    if is_missing(doi) or not str(doi):
        return ""
    return f"https://doi.org/{doi}"


def _reliability(accuracy: pd.DataFrame | None, theme_id: str) -> str:
    """The tagger's F1 for a theme on the validation sample, flagged when low."""
    if accuracy is None or theme_id not in set(accuracy["theme_id"]):
        return "not measured"
    row = accuracy.set_index("theme_id").loc[theme_id]
    if row["reliability"] == "not measured":
        return f"not measured ({int(row['n_reference'])} tags in the sample)"
    flag = " — low reliability" if row["reliability"] == "low" else ""
    return f"{row['f1']:.2f}{flag}"


def compute_findings(
    works: pd.DataFrame,
    status: pd.DataFrame,
    codes: pd.DataFrame,
    protocol: Protocol,
    group: str,
    places: pd.DataFrame | None = None,
    accuracy: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per theme of ``group``: included works carrying it (``codes``: the tags in force),
    of them resting on the title or a keyword alone, share, years, countries named, and the
    tagger's measured reliability for the theme (``accuracy``: the CODING_ACCURACY table)."""
    themes = protocol.themes(group)  # raises for an unknown group, naming the valid ones
    included = set(included_ids(status))
    years = works.set_index("work_id")["publication_year"]
    cur = codes[codes["work_id"].isin(included)]
    country = (
        places[places["kind"] == "country"]
        if places is not None
        else pd.DataFrame(columns=["work_id", "place"])
    )
    rows = []
    for theme in themes:
        ws = sorted(set(cur.loc[cur["theme_id"] == theme.id, "work_id"]))
        ys = sorted(int(years[w]) for w in ws if pd.notna(years.get(w)))
        span = f"{ys[0]}–{ys[-1]} (median {int(np.median(ys))})" if ys else ""
        if len(ys) < len(ws):
            span += f"{'; ' if span else ''}{len(ws) - len(ys)} without a year"
        named = country[country["work_id"].isin(ws)]["place"].value_counts()
        tags = cur[cur["theme_id"] == theme.id]
        rows.append(
            {
                "theme_id": theme.id,
                "theme": theme.label,
                "works": len(ws),
                "title only": int(tags["source_field"].isin(TITLE_FIELDS).sum()),
                "share": round(len(ws) / len(included), 3) if included else 0.0,
                "years": span,
                "countries": ", ".join(f"{p} {n}" for p, n in named.head(4).items()),
                "tagger F1": _reliability(accuracy, theme.id),
            }
        )
    return (
        pd.DataFrame(rows)
        .sort_values(["works", "theme_id"], ascending=[False, True])
        .reset_index(drop=True)
    )


def compute_theme_works(
    works: pd.DataFrame, status: pd.DataFrame, codes: pd.DataFrame, theme_id: str
) -> pd.DataFrame:
    """Every included work behind a theme (``codes``: the tags in force): citation, title, DOI
    link, evidence and field."""
    included = set(included_ids(status))
    by_id = works.set_index("work_id")
    t = codes[(codes["theme_id"] == theme_id) & codes["work_id"].isin(included)].copy()
    t["_year"] = [by_id.loc[w, "publication_year"] for w in t["work_id"]]
    t = t.sort_values(["_year", "work_id"], ascending=[False, True], na_position="last")
    return pd.DataFrame(
        {
            "work_id": t["work_id"].to_numpy(),
            "citation": [cite(by_id.loc[w]) for w in t["work_id"]],
            "title": [by_id.loc[w, "title"] for w in t["work_id"]],
            "doi": [doi_link(by_id.loc[w, "doi"]) for w in t["work_id"]],
            "evidence": t["evidence"].to_numpy(),
            "field": t["source_field"].to_numpy(),
            "method": t["method"].to_numpy(),
        }
    )


def compute_study_characteristics(
    works: pd.DataFrame, studies: pd.DataFrame, places: pd.DataFrame
) -> pd.DataFrame:
    """Each included work's citation, year and countries named, with its design and reporting
    appraisal (``studies``: the STUDIES table), by design then citation."""
    by_id = works.set_index("work_id")
    named = places[(places["kind"] == "country") & (places["place"] != "not stated")]
    countries = named.groupby("work_id")["place"].agg(", ".join)
    years = [by_id.loc[w, "publication_year"] for w in studies["work_id"]]
    df = studies.assign(
        citation=[cite(by_id.loc[w]) for w in studies["work_id"]],
        year=["" if pd.isna(y) else str(int(y)) for y in years],
        country=studies["work_id"].map(countries).fillna(""),
    )
    columns = ["citation", "year", "country", *studies.columns[1:]]
    return df[columns].sort_values(["design", "citation"]).reset_index(drop=True)


def compute_appendix(works: pd.DataFrame, status: pd.DataFrame) -> pd.DataFrame:
    """Every record with its status and the stage, criterion and reason of the decision that
    set it (duplicates are listed with the work they duplicate)."""
    state = status.set_index("work_id")
    state = state.astype(object).where(state.notna(), "")
    rows = []
    for w in works.itertuples(index=False):
        s = state.loc[w.work_id]
        rows.append(
            {
                "work_id": w.work_id,
                "citation": cite(pd.Series(w._asdict())),
                "title": w.title,
                "doi": doi_link(w.doi),
                "status": s["status"],
                "stage": s["stage"],
                "criterion": s["criterion_id"],
                "reason": s["reason"],
            }
        )
    order = {"included": 0, "excluded": 1, "not_retrieved": 2, "stopped": 3, "duplicate": 4}
    df = pd.DataFrame(rows)
    df["_o"] = df["status"].map(order).fillna(5)
    return df.sort_values(["_o", "criterion", "citation"]).drop(columns="_o").reset_index(drop=True)


def compute_coverage(works: pd.DataFrame, status: pd.DataFrame) -> pd.DataFrame:
    """Risk-of-bias coverage of the included works: languages, document types, abstracts."""
    included = set(included_ids(status))
    inc = works[works["work_id"].isin(included)]
    rows = []
    for col, name in (("language", "language"), ("type", "document type")):
        for value, n in inc[col].fillna("unknown").value_counts().items():
            rows.append({"aspect": name, "value": value, "works": int(n)})
    no_abs = int((inc["abstract"].isna() & inc["abstract_alt"].isna()).sum())
    rows.append({"aspect": "abstract", "value": "missing", "works": no_abs})
    no_year = int(inc["publication_year"].isna().sum())
    rows.append({"aspect": "publication year", "value": "missing", "works": no_year})
    no_doi = int(inc["doi"].isna().sum())
    rows.append({"aspect": "DOI", "value": "missing", "works": no_doi})
    df = pd.DataFrame(rows)
    df["share"] = (df["works"] / max(len(inc), 1)).round(3)
    return df
