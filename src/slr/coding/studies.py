"""Study characteristics and a reporting appraisal of the included works, from their records.

A review of titles and abstracts cannot assess risk of bias the way a full-text review does.
What it can check, for every work, is what the record *reports*: the study's design (detected
from the protocol's ``coding.designs`` terms, first match in the protocol's order), whether it
says how the data were collected (``coding.method_terms``), where the study took place (a place
of the gazetteer), whether it states results (a result sentence), whether there is an abstract
at all, and whether the work is a peer-reviewed type. Each is a yes/no; their sum is the
appraisal score and sets the level of concern. The rules are the protocol's and the report
states them: they appraise reporting, not conduct.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from slr.coding.spans import role_vocabulary, sentence_roles, work_spans
from slr.protocol import Protocol, all_terms
from slr.tables.contracts import STUDIES
from slr.tables.schema import conform, is_missing
from slr.text import compile_terms, find_terms

NOT_STATED = "not stated"
PEER_REVIEWED = ("article", "conference-paper", "book-chapter")
CHECKS = (
    ("design_stated", "the design is named"),
    ("method_stated", "how data were collected is stated"),
    ("setting_stated", "the place of the study is named"),
    ("results_stated", "results are stated"),
    ("has_abstract", "an abstract is available"),
    ("peer_reviewed", "a peer-reviewed document type"),
)


def concern(score: int) -> str:
    """The level of concern of an appraisal score (0–6)."""
    return "low" if score >= 5 else "some" if score >= 3 else "high"


def study_table(
    works: pd.DataFrame,
    protocol: Protocol,
    work_ids: Iterable[str],
    places: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per work in ``work_ids``: its design (and the term that named it), the
    :data:`CHECKS`, the score and the concern (table contract ``STUDIES``)."""
    designs = [(name, compile_terms(all_terms(t))) for name, t in protocol.coding.designs.items()]
    methods = compile_terms(all_terms(protocol.coding.method_terms))
    vocabulary = role_vocabulary(protocol)
    words = protocol.function_words()
    placed = (
        set(places.loc[places["place"] != NOT_STATED, "work_id"]) if places is not None else set()
    )
    rows = []
    for _, work in works[works["work_id"].isin(set(work_ids))].iterrows():
        spans = work_spans(work, words)
        text = " ".join(s.text for s in spans)
        design, named = NOT_STATED, ""
        for name, terms in designs:
            hits = find_terms(terms, text)
            if hits:
                design, named = name, hits[0][1].group(0)
                break
        abstract = [s for s in spans if s.field.startswith("abstract")]
        roles = sentence_roles(spans, vocabulary)
        checks = {
            "design_stated": design != NOT_STATED,
            "method_stated": any(find_terms(methods, s.text) for s in abstract),
            "setting_stated": work["work_id"] in placed,
            "results_stated": "results" in roles,
            "has_abstract": bool(abstract),
            "peer_reviewed": not is_missing(work["type"]) and work["type"] in PEER_REVIEWED,
        }
        score = sum(checks.values())
        rows.append(
            {
                "work_id": work["work_id"],
                "design": design,
                "design_term": named,
                **checks,
                "score": score,
                "concern": concern(score),
            }  # fmt: skip
        )
    columns = ["work_id", "design", "design_term", *(c for c, _ in CHECKS), "score", "concern"]
    return conform(pd.DataFrame(rows, columns=columns), STUDIES)
