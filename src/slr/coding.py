"""Codebook tagging (first version: transparent term rules).

Each work is tagged with the protocol's theme IDs whose English or Indonesian indicator terms
occur in its title, keywords or abstracts; each tag keeps the sentence (or keyword) that
triggered it and where it came from. Tags are rows (``slr.schema.CODES``), appended like
decisions.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from slr.protocol import Protocol, Theme
from slr.schema import CODES, conform
from slr.screen import now_utc
from slr.text import compile_terms, find_terms, sentence_at

# where evidence is looked for, most telling first
CODE_FIELDS = ("title", "keywords", "abstract", "title_alt", "abstract_alt")


def _theme_terms(theme: Theme):
    return compile_terms((*theme.terms.en, *theme.terms.id))


def find_evidence(work: pd.Series, theme: Theme) -> list[dict]:
    """Every field of ``work`` where a term of ``theme`` occurs: the evidence and the term."""
    terms = _theme_terms(theme)
    excluded = compile_terms(theme.exclude_terms)
    found = []
    for field in CODE_FIELDS:
        value = work[field]
        if isinstance(value, list):
            for kw in value:
                hits = find_terms(terms, kw)
                if hits and not find_terms(excluded, kw):
                    found.append(
                        {"source_field": field, "evidence": kw, "terms": [t.text for t, _ in hits]}
                    )
            continue
        if pd.isna(value) or not str(value).strip():
            continue
        text = str(value)
        by_sentence: dict[str, list[str]] = {}
        for term, match in find_terms(terms, text):
            sentence = sentence_at(text, match.start())
            if find_terms(excluded, sentence):
                continue
            by_sentence.setdefault(sentence, []).append(term.text)
        for sentence, ts in by_sentence.items():
            found.append({"source_field": field, "evidence": sentence, "terms": ts})
    return found


def code_works(
    works: pd.DataFrame,
    protocol: Protocol,
    *,
    work_ids: Iterable[str] | None = None,
    coder: str = "slr-terms",
    coded_at: str | None = None,
) -> pd.DataFrame:
    """Tag works with codebook themes.

    Needs ``work_id`` and the text columns (title, keywords, abstract, title_alt, abstract_alt).
    Codes the works in ``work_ids`` (default: all). Returns one row per (work, theme) found:
    the evidence with the most terms (ties: the most telling field), ``method`` naming the
    terms matched, and ``score`` the number of distinct terms found in the work's text.
    """
    coded_at = coded_at or now_utc()
    subset = works if work_ids is None else works[works["work_id"].isin(set(work_ids))]
    rows = []
    for _, work in subset.iterrows():
        for theme in protocol.codebook:
            found = find_evidence(work, theme)
            if not found:
                continue
            best = max(
                found, key=lambda f: (len(f["terms"]), -CODE_FIELDS.index(f["source_field"]))
            )
            distinct = sorted({t for f in found for t in f["terms"]})
            rows.append(
                {
                    "work_id": work["work_id"],
                    "theme_id": theme.id,
                    "evidence": best["evidence"],
                    "source_field": best["source_field"],
                    "method": "terms: " + ", ".join(best["terms"]),
                    "score": float(len(distinct)),
                }
            )
    df = pd.DataFrame(
        rows, columns=["work_id", "theme_id", "evidence", "source_field", "method", "score"]
    )
    df["coder"] = coder
    df["coded_at"] = coded_at
    df["protocol_version"] = protocol.version
    return conform(df, CODES)
