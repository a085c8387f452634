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
    a cue occurs in the title or a keyword (the work is *about* it), in any language, and a
    cue or term of the theme in an abstract sentence that states something; for groups whose
    cues are ``in_title``.

Sentences about the study's method (``coding.method_terms``) are never evidence. Abstract
sentences have roles (:func:`sentence_roles`): background (before the study's purpose, method
or results) and definitions speak of the field, not of the studied enterprises, so terms found
only there make no tag, and the evidence is a stating sentence before the title or a keyword:
a tag whose evidence is the title or a keyword rests on it alone. all-MiniLM-L6-v2
is an English model: a sentence is embedded only when its function words
(``languages.<code>.function_words``) say it is English. Others are coded by their terms and
problem words, and by the English title or abstract when the record carries both languages
(``title_alt``/``abstract_alt``).

Tags are rows (``slr.tables.contracts.CODES``), appended like decisions. A person's verdict on a tag
(confirm, reject, or a tag the machine missed) is a new row (:func:`verdict_rows`);
:func:`current_codes` applies the latest verdicts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

import numpy as np
import pandas as pd

from slr.clock import now_utc
from slr.coding.spans import (
    CODE_FIELDS,
    WEAK_ROLES,
    Span,
    role_vocabulary,
    sentence_roles,
    work_spans,
)
from slr.compute import map_chunks
from slr.embed import MODEL_LANGUAGE, embed
from slr.layout import ReviewPaths
from slr.protocol import Protocol, Theme, all_terms
from slr.tables.contracts import CODES
from slr.tables.schema import conform
from slr.text import TermIndex, TermSet, compile_terms, find_terms

# a tag whose evidence is in one of these rests on the title (or a keyword) alone
TITLE_FIELDS = ("title", "keywords", "title_alt")
TAG_CHUNK = 500  # works scanned per step (of the progress bar; a task on Dask)


class _Matcher:
    """One theme's compiled terms, cues and exclusions, and where its cues count."""

    def __init__(self, theme: Theme, cue_rule: str):
        self.theme = theme
        self.cue_rule = cue_rule
        self.terms = compile_terms(all_terms(theme.terms))
        self.cues = compile_terms(all_terms(theme.cues))
        self.excluded = compile_terms(theme.exclude_terms)
        # where each term stands in its list (a term listed in two languages, twice), so that
        # the terms found are named in the protocol's order, as find_terms names them
        self.term_at = _positions(self.terms)
        self.cue_at = _positions(self.cues)


def _positions(terms: TermSet) -> dict[str, list[int]]:
    at: dict[str, list[int]] = {}
    for i, t in enumerate(terms):
        at.setdefault(t.text, []).append(i)
    return at


def _in_order(found: frozenset[str], at: dict[str, list[int]]) -> list[str]:
    return [text for _, text in sorted((i, text) for text in found for i in at[text])]


class _Codebook:
    """Every theme's matcher, and one index of all their terms with the protocol's problem,
    method and role terms: each span is searched once, and a theme is looked at only for the
    spans that hold one of its terms or cues."""

    def __init__(self, protocol: Protocol):
        settings = protocol.coding
        self.problems = compile_terms(all_terms(settings.problem_terms))
        self.methods = compile_terms(all_terms(settings.method_terms))
        self.vocabulary = role_vocabulary(protocol)
        self.matchers = [_Matcher(t, protocol.group(t.group).cues) for t in protocol.codebook]
        sets = [s for m in self.matchers for s in (m.terms, m.cues, m.excluded)]
        self.index = TermIndex([self.problems, self.methods, *self.vocabulary, *sets])
        self.themes_of: dict[str, set[int]] = {}  # term or cue → the matchers it belongs to
        for k, m in enumerate(self.matchers):
            for text in m.terms.texts | m.cues.texts:
                self.themes_of.setdefault(text, set()).add(k)

    def candidates(self, spans: list[Span], found: list[frozenset[str]]) -> dict[int, list]:
        """For each matcher (by index) whose terms or cues are in ``spans``, its candidate
        spans, in span order: ``found`` holds each span's terms (:meth:`TermIndex.found`).
        Spans with an excluded term of the theme, and abstract sentences about the study's
        method, are not candidates."""
        out: dict[int, list] = {}
        for i, (span, terms) in enumerate(zip(spans, found, strict=True)):
            touched = {k for text in terms for k in self.themes_of.get(text, ())}
            if not touched:
                continue
            if span.field.startswith("abstract") and not self.methods.texts.isdisjoint(terms):
                continue
            for k in sorted(touched):
                m = self.matchers[k]
                if not m.excluded.texts.isdisjoint(terms):
                    continue
                hits = _in_order(terms & m.terms.texts, m.term_at)
                if hits:
                    out.setdefault(k, []).append({"span": i, "kind": "terms", "terms": hits})
                    continue
                cues = _in_order(terms & m.cues.texts, m.cue_at)
                problem = m.cue_rule == "near_problem" and _near(
                    [t for t in m.cues if t.text in terms],
                    [t for t in self.problems if t.text in terms],
                    span.text,
                )
                cand = {"span": i, "kind": "cue", "terms": cues, "problem": problem}
                out.setdefault(k, []).append(cand)
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


def tag_candidates(
    works: pd.DataFrame,
    protocol: Protocol,
    *,
    work_ids: Iterable[str] | None = None,
    semantic: bool | None = None,
    threshold: float | None = None,
    embedder: Embedder | None = None,
) -> pd.DataFrame:
    """Every (work, theme) with a theme term or cue in the work's text: the rule's verdict
    (``method``: ``terms``, ``cue+problem``, ``cue+semantic``, ``cue+title``, or ``cue`` when a
    cue is found but no rule accepts it, or ``terms (background only)`` when only background
    or definition sentences carry the terms) and the evidence; ``rule`` says whether the rules
    accept it.

    Evidence: the candidate span with the most terms, an abstract sentence that states the
    theme (not background or a definition) before the title or a keyword, these before a
    background sentence; so a tag whose evidence is a title or keyword rests on it alone.
    """
    settings = protocol.coding
    semantic = settings.semantic if semantic is None else semantic
    threshold = settings.threshold if threshold is None else threshold
    subset = works if work_ids is None else works[works["work_id"].isin(set(work_ids))]
    codebook = _Codebook(protocol)
    words = protocol.function_words()

    columns = ["work_id", *CODE_FIELDS]
    chunks = [subset[columns].iloc[k : k + TAG_CHUNK] for k in range(0, len(subset), TAG_CHUNK)]
    scan = partial(_scan, codebook=codebook, function_words=words)
    found = [
        (work_id, spans, roles, codebook.matchers[m], cands)
        for part in map_chunks(scan, chunks, desc="tagging", unit=f"× {TAG_CHUNK} works")
        for work_id, spans, roles, m, cands in part
    ]
    to_embed: dict[str, None] = {}
    if semantic:
        for _, spans, _, _, cands in found:
            for c in cands:
                if c["kind"] == "cue" and spans[c["span"]].lang == MODEL_LANGUAGE:
                    to_embed[spans[c["span"]].text] = None
    scores: dict[str, dict[str, float]] = {}
    if semantic and to_embed:
        sentences = list(to_embed)
        review_cache = ReviewPaths.of(protocol).embedding_cache
        by_theme = semantic_scores(
            sentences, protocol.codebook, embedder or partial(embed, cache=review_cache)
        )
        scores = {tid: dict(zip(sentences, s.tolist(), strict=True)) for tid, s in by_theme.items()}

    rows = [
        _decide(work_id, spans, roles, m, cands, scores.get(m.theme.id, {}), threshold)
        for work_id, spans, roles, m, cands in found
    ]
    columns = ["work_id", "theme_id", "evidence", "source_field", "method", "score", "rule"]
    return pd.DataFrame(rows, columns=columns)


def _scan(works: pd.DataFrame, *, codebook: _Codebook, function_words) -> list[tuple]:
    """Each (work, theme) with candidates in one chunk of works: ``(work_id, spans, roles,
    matcher index, candidates)``, in the chunk's order (here, or on a Dask worker)."""
    out = []
    for work in works.to_dict("records"):
        spans = work_spans(work, function_words)
        found = [codebook.index.found(span.text) for span in spans]
        roles = sentence_roles(spans, codebook.vocabulary, found)
        for m, cands in sorted(codebook.candidates(spans, found).items()):
            out.append((work["work_id"], spans, roles, m, cands))
    return out


def results_reporting(
    works: pd.DataFrame, protocol: Protocol, terms, work_ids: Iterable[str]
) -> pd.DataFrame:
    """The works in ``work_ids`` whose abstract has a result sentence (:func:`sentence_roles`)
    with one of ``terms`` (per language): one row per work, ``work_id`` and that sentence
    (``evidence``, the first such)."""
    compiled = compile_terms(all_terms(terms))
    vocabulary = role_vocabulary(protocol)
    words = protocol.function_words()
    rows = []
    for _, work in works[works["work_id"].isin(set(work_ids))].iterrows():
        spans = work_spans(work, words)
        for span, role in zip(spans, sentence_roles(spans, vocabulary), strict=True):
            if role == "results" and find_terms(compiled, span.text):
                rows.append({"work_id": work["work_id"], "evidence": span.text})
                break
    return pd.DataFrame(rows, columns=["work_id", "evidence"])


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
    packaged MiniLM model. The tags are the candidates (:func:`tag_candidates`) the rules
    accept. ``score`` is the number of distinct terms and cues found for a term tag, the
    similarity for a semantic one.
    """
    settings = protocol.coding
    cands = tag_candidates(
        works,
        protocol,
        work_ids=work_ids,
        semantic=semantic,
        threshold=threshold,
        embedder=embedder,
    )
    df = cands.loc[cands["rule"].astype(bool)].copy()
    df["coder"] = coder or settings.coder
    df["coded_at"] = coded_at or now_utc()
    df["protocol_version"] = protocol.version
    return conform(df.drop(columns=["rule"]), CODES)


def _evidence_rank(span: Span, role: str) -> int:
    """Which span is the evidence: a stating abstract sentence, a title or keyword, a
    background or definition sentence."""
    if span.field.startswith("abstract"):
        return 0 if role not in WEAK_ROLES else 2
    return 1


def _decide(work_id, spans, roles, m: _Matcher, cands, scores, threshold) -> dict:
    theme = m.theme
    term_hits = [c for c in cands if c["kind"] == "terms"]
    abstract = [c for c in cands if spans[c["span"]].field.startswith("abstract")]
    # a title, a keyword, or an abstract sentence that is not background or a definition
    stating = [c for c in cands if not (c in abstract and roles[c["span"]] in WEAK_ROLES)]
    weak = bool(term_hits) and not stating  # only background or definitions speak of it
    if term_hits:
        best = min(
            term_hits,
            key=lambda c: (
                _evidence_rank(spans[c["span"]], roles[c["span"]]),
                -len(c["terms"]),
                CODE_FIELDS.index(spans[c["span"]].field),
            ),
        )
        distinct = sorted({t for c in cands for t in c["terms"]})
        span = spans[best["span"]]
        method = ("terms (background only): " if weak else "terms: ") + ", ".join(best["terms"])
        return _row(work_id, theme.id, span, method, len(distinct)) | {"rule": not weak}
    accepted = []
    for c in cands:
        span = spans[c["span"]]
        sim = scores.get(span.text)
        rank = -_evidence_rank(span, roles[c["span"]])
        if m.cue_rule == "near_problem" and c.get("problem"):
            accepted.append((1, rank, sim or 0.0, c, "cue+problem"))
        elif sim is not None and sim >= threshold:
            accepted.append((2, rank, sim, c, "cue+semantic"))
        elif (
            m.cue_rule == "in_title"
            and span.field in TITLE_FIELDS
            and any(d in stating and d in abstract for d in cands)
        ):  # the work is about it and its abstract says so
            accepted.append((0, rank, sim or 0.0, c, "cue+title"))
        else:
            accepted.append((-1, rank, sim or 0.0, c, "cue"))
    _, _, sim, c, method = max(accepted, key=lambda a: (a[0], a[1], a[2]))
    span = spans[c["span"]]
    score = round(float(sim), 4) if method == "cue+semantic" else float(len(c["terms"]))
    row = _row(work_id, theme.id, span, f"{method}: " + ", ".join(c["terms"]), score)
    return row | {"rule": method != "cue"}


def _row(work_id, theme_id, span: Span, method: str, score: float) -> dict:
    return {
        "work_id": work_id,
        "theme_id": theme_id,
        "evidence": span.text,
        "source_field": span.field,
        "method": method,
        "score": float(score),
    }
