"""Pure text helpers shared by screening and coding: term patterns and sentence splitting."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Term:
    """A protocol term compiled for matching.

    Case-insensitive; matched at word starts; a trailing ``*`` matches any word ending; the
    words of a phrase match across any spacing or hyphens (``micro enterprise`` matches
    ``micro-enterprise`` and ``micro  enterprise``).
    """

    text: str
    pattern: re.Pattern[str]

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(text)


@lru_cache(maxsize=4096)
def compile_term(term: str) -> Term:
    raw = term.strip()
    if not raw:
        raise ValueError("empty term")
    wildcard = raw.endswith("*")
    words = [w for w in re.split(r"[\s\-]+", raw.rstrip("*")) if w]
    body = r"[\s\-]*".join(re.escape(w) for w in words)
    tail = r"\w*" if wildcard else r"(?!\w)"
    return Term(raw, re.compile(rf"(?<!\w){body}{tail}", re.IGNORECASE))


def compile_terms(terms: Iterable[str]) -> tuple[Term, ...]:
    return tuple(compile_term(t) for t in terms)


def find_terms(terms: Iterable[Term], text: str | None) -> list[tuple[Term, re.Match[str]]]:
    """Every term that occurs in ``text``, with its first match, in the order given."""
    if not text:
        return []
    out = []
    for t in terms:
        m = t.search(text)
        if m:
            out.append((t, m))
    return out


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"'“‘(]*[A-Z0-9])")


def split_sentences(text: str | None) -> list[str]:
    """Split prose into sentences (on ``.``, ``!``, ``?`` before a capital or digit)."""
    if not text:
        return []
    parts = _SENTENCE_END.split(text.strip())
    return [p.strip() for p in parts if p and p.strip()]
