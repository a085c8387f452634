"""A work's text as spans (its title, each keyword, each abstract sentence), each with its
language and, for abstract sentences, its role: what the tagger and the study table read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from slr.protocol import Protocol, all_terms
from slr.tables.schema import as_list, is_missing
from slr.text import TermSet, compile_terms, find_terms, sentence_language, split_sentences

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


ROLES = ("background", "definition", "purpose", "method", "results", "other")
WEAK_ROLES = ("background", "definition")


def sentence_roles(
    spans: list[Span], vocabulary, found: Sequence[frozenset[str]] | None = None
) -> list[str]:
    """The role of each span (:data:`ROLES`): titles and keywords ``other``; abstract sentences
    ``definition``, ``results``, ``purpose`` or ``method`` by their terms (in that order), or
    ``background`` before the first purpose, method or result sentence of their abstract (when
    it has one), else ``other``. ``vocabulary``: :func:`role_vocabulary`. ``found``: the terms
    each span holds (:meth:`slr.text.TermIndex.found` over the vocabulary), when known.
    """
    purpose, method, result, definition = vocabulary

    def has(terms: TermSet, i: int) -> bool:
        if found is None:
            return bool(find_terms(terms, spans[i].text))
        return not terms.texts.isdisjoint(found[i])

    roles, started = [], {}
    for i, span in enumerate(spans):
        if not span.field.startswith("abstract"):
            roles.append("other")
            continue
        if has(definition, i):
            role = "definition"
        elif has(result, i):
            role = "results"
        elif has(purpose, i):
            role = "purpose"
        elif has(method, i):
            role = "method"
        else:
            role = "other" if started.get(span.field) else "background"
        if role in ("purpose", "method", "results"):
            started[span.field] = True
        roles.append(role)
    # an abstract that never states its purpose, method or results has no background
    return [
        "other" if r == "background" and not started.get(span.field) else r
        for r, span in zip(roles, spans, strict=True)
    ]


def role_vocabulary(protocol: Protocol) -> tuple[TermSet, ...]:
    """The protocol's compiled purpose, method, result and definition terms."""
    c = protocol.coding
    return tuple(
        compile_terms(all_terms(t))
        for t in (c.purpose_terms, c.method_terms, c.result_terms, c.definition_terms)
    )
