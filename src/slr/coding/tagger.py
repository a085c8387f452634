"""Codebook tagging: transparent term rules, checked in context, plus a semantic method.

Each included work is tagged with the protocol's theme IDs. A tag keeps its evidence (the
sentence or keyword), the field it came from (title, keywords, abstract, title_alt,
abstract_alt) and the method that produced it:

``terms``
    a theme's indicator term (in any of the protocol's languages) occurs in the work's text.
``cue+problem``
    a *cue* (a broad word such as "management") occurs within a few words of a problem word
    (``coding.problem_terms``: "lack of", "limited" …); for groups whose cues are
    ``near_problem``.
``cue+semantic``
    a cue occurs in a sentence of the model's language whose embedding (the packaged
    all-MiniLM-L6-v2) is at least ``coding.threshold`` similar to the theme's definition or
    examples.
``cue+title``
    a cue occurs in the title or a keyword (the work is *about* it), in any language; for
    groups whose cues are ``in_title``.

Sentences about the study's method (``coding.method_terms``) are never evidence. all-MiniLM-L6-v2
is an English model: a sentence is embedded only when its function words
(``languages.<code>.function_words``) say it is English. Others are coded by their terms and
problem words, and by the English title or abstract when the record carries both languages
(``title_alt``/``abstract_alt``).

Tags are rows (``slr.tables.contracts.CODES``), appended like decisions. A person's verdict on a tag
(confirm, reject, or a tag the machine missed) is a new row (:func:`verdict_rows`);
:func:`current_codes` applies the latest verdicts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from slr.clock import now_utc
from slr.embed import MODEL_LANGUAGE, embed
from slr.layout import ReviewPaths
from slr.protocol import Protocol, Theme, all_terms
from slr.tables.contracts import CODES
from slr.tables.schema import as_list, conform, is_missing
from slr.text import compile_terms, find_terms, sentence_language, split_sentences

# where evidence is looked for, most telling first
CODE_FIELDS = ("title", "keywords", "abstract", "title_alt", "abstract_alt")


@dataclass(frozen=True)
class Span:
    """A unit of a work's text: a title, a keyword or a sentence of an abstract."""

    field: str
    text: str
    lang: str


def work_spans(work: pd.Series | dict, function_words: Mapping[str, frozenset[str]]) -> list[Span]:
    """The title, each keyword and each abstract sentence of ``work``, in ``CODE_FIELDS`` order,
    each with its language (by ``function_words``, :func:`slr.text.sentence_language`)."""
    spans: list[Span] = []
    for field in CODE_FIELDS:
        value = work.get(field) if isinstance(work, dict) else work[field]
        if field == "keywords":
            for kw in as_list(value):
                spans.append(Span(field, kw, sentence_language(kw, function_words)))
            continue
        if is_missing(value):
            continue
        text = str(value).strip()
        if not text:
            continue
        parts = split_sentences(text) if field.startswith("abstract") else [text]
        spans.extend(Span(field, p, sentence_language(p, function_words)) for p in parts)
    return spans


class _Matcher:
    """One theme's compiled terms, cues and exclusions, and where its cues count."""

    def __init__(self, theme: Theme, cue_rule: str, problems, methods=()):
        self.theme = theme
        self.cue_rule = cue_rule
        self.methods = methods
        self.terms = compile_terms(all_terms(theme.terms))
        self.cues = compile_terms(all_terms(theme.cues))
        self.excluded = compile_terms(theme.exclude_terms)
        self.problems = problems

    def candidates(self, spans: list[Span]) -> list[dict]:
        out = []
        for i, span in enumerate(spans):
            if self.excluded and find_terms(self.excluded, span.text):
                continue
            if span.field.startswith("abstract") and find_terms(self.methods, span.text):
                continue
            hits = [t.text for t, _ in find_terms(self.terms, span.text)]
            if hits:
                out.append({"span": i, "kind": "terms", "terms": hits})
                continue
            cues = [t.text for t, _ in find_terms(self.cues, span.text)]
            if cues:
                problem = self.cue_rule == "near_problem" and _near(
                    self.cues, self.problems, span.text
                )
                out.append({"span": i, "kind": "cue", "terms": cues, "problem": problem})
        return out


PROBLEM_WINDOW = 50  # characters between a cue and a problem word ("limited working capital")


def _near(cues, problems, text: str) -> bool:
    """A cue and a problem word within ``PROBLEM_WINDOW`` characters of each other."""
    at_cue = [m.start() for t in cues for m in t.pattern.finditer(text)]
    at_problem = [m.start() for t in problems for m in t.pattern.finditer(text)]
    return any(abs(a - b) <= PROBLEM_WINDOW for a in at_cue for b in at_problem)


def theme_prototypes(theme: Theme) -> list[str]:
    """The English texts a sentence is compared with: the label and definition, the examples."""
    return [f"{theme.label}. {theme.definition}", *theme.examples]


Embedder = Callable[[list[str]], np.ndarray]


def semantic_scores(
    sentences: list[str], themes: Iterable[Theme], embedder: Embedder
) -> dict[str, np.ndarray]:
    """For each theme, every sentence's highest cosine similarity to the theme's prototypes."""
    themes = list(themes)
    if not sentences:
        return {t.id: np.zeros(0) for t in themes}
    vectors = embedder(list(sentences))
    out = {}
    for theme in themes:
        protos = embedder(theme_prototypes(theme))
        out[theme.id] = (vectors @ protos.T).max(axis=1)
    return out


def code_works(
    works: pd.DataFrame,
    protocol: Protocol,
    *,
    work_ids: Iterable[str] | None = None,
    coder: str | None = None,
    coded_at: str | None = None,
    semantic: bool | None = None,
    threshold: float | None = None,
    embedder: Embedder | None = None,
) -> pd.DataFrame:
    """Tag works with codebook themes; one row per (work, theme) found.

    Needs ``work_id`` and the text columns (title, keywords, abstract, title_alt, abstract_alt).
    Codes the works in ``work_ids`` (default: all). ``semantic`` and ``threshold`` default to
    the protocol's ``coding`` settings; ``embedder`` (texts → unit vectors) defaults to the
    packaged MiniLM model. ``score`` is the number of distinct terms and cues found for a term
    tag, the similarity for a semantic one. Evidence: the span with a term (most terms first,
    then the most telling field); else the accepted cue span.
    """
    settings = protocol.coding
    semantic = settings.semantic if semantic is None else semantic
    threshold = settings.threshold if threshold is None else threshold
    coded_at = coded_at or now_utc()
    subset = works if work_ids is None else works[works["work_id"].isin(set(work_ids))]
    problems = compile_terms(all_terms(settings.problem_terms))
    methods = compile_terms(all_terms(settings.method_terms))
    matchers = [
        _Matcher(t, protocol.group(t.group).cues, problems, methods) for t in protocol.codebook
    ]
    words = protocol.function_words()

    found: list[tuple[str, list[Span], _Matcher, list[dict]]] = []
    to_embed: dict[str, None] = {}
    for _, work in subset.iterrows():
        spans = work_spans(work, words)
        for m in matchers:
            cands = m.candidates(spans)
            if not cands:
                continue
            found.append((work["work_id"], spans, m, cands))
            if semantic and not any(c["kind"] == "terms" for c in cands):
                for c in cands:
                    if spans[c["span"]].lang == MODEL_LANGUAGE:
                        to_embed[spans[c["span"]].text] = None
    scores: dict[str, dict[str, float]] = {}
    if semantic and to_embed:
        sentences = list(to_embed)
        review_cache = ReviewPaths.of(protocol).embedding_cache
        by_theme = semantic_scores(
            sentences, protocol.codebook, embedder or partial(embed, cache=review_cache)
        )
        scores = {tid: dict(zip(sentences, s.tolist(), strict=True)) for tid, s in by_theme.items()}

    rows = []
    for work_id, spans, m, cands in found:
        row = _decide(work_id, spans, m, cands, scores.get(m.theme.id, {}), threshold)
        if row:
            rows.append(row)
    df = pd.DataFrame(
        rows, columns=["work_id", "theme_id", "evidence", "source_field", "method", "score"]
    )
    df["coder"] = coder or settings.coder
    df["coded_at"] = coded_at
    df["protocol_version"] = protocol.version
    return conform(df, CODES)


def _decide(work_id, spans, m: _Matcher, cands, scores, threshold) -> dict | None:
    theme = m.theme
    term_hits = [c for c in cands if c["kind"] == "terms"]
    if term_hits:
        best = max(
            term_hits,
            key=lambda c: (len(c["terms"]), -CODE_FIELDS.index(spans[c["span"]].field)),
        )
        distinct = sorted({t for c in cands for t in c["terms"]})
        span = spans[best["span"]]
        return _row(work_id, theme.id, span, "terms: " + ", ".join(best["terms"]), len(distinct))
    accepted = []
    for c in cands:
        span = spans[c["span"]]
        sim = scores.get(span.text)
        if m.cue_rule == "near_problem" and c["problem"]:
            accepted.append((1, sim or 0.0, c, "cue+problem"))
        elif sim is not None and sim >= threshold:
            accepted.append((2, sim, c, "cue+semantic"))
        elif m.cue_rule == "in_title" and span.field in ("title", "keywords", "title_alt"):
            accepted.append((0, sim or 0.0, c, "cue+title"))
    if not accepted:
        return None
    rank, sim, c, method = max(accepted, key=lambda a: (a[0], a[1]))
    span = spans[c["span"]]
    score = round(float(sim), 4) if method == "cue+semantic" else float(len(c["terms"]))
    return _row(work_id, theme.id, span, f"{method}: " + ", ".join(c["terms"]), score)


def _row(work_id, theme_id, span: Span, method: str, score: float) -> dict:
    return {
        "work_id": work_id,
        "theme_id": theme_id,
        "evidence": span.text,
        "source_field": span.field,
        "method": method,
        "score": float(score),
    }
