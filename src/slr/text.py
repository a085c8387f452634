"""Pure text helpers shared by screening and coding: term patterns, sentences, and which
language a sentence is in."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from slr.errors import SlrError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_text(raw: bytes, where: object, error: type[SlrError] = SlrError) -> str:
    """The text of a file's bytes: UTF-8 (with or without a byte-order mark) or UTF-16 with
    one; anything else is refused (``error``), naming the file, the line and the byte, never
    read as another encoding that would garble it."""
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError as e:
                raise error(f"{where}: damaged {codec.upper()} text at byte {e.start}") from e
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        nuls = raw[:2000].count(0)
        hint = (
            "it looks like UTF-16 without a byte-order mark; save it as UTF-8"
            if nuls > len(raw[:2000]) // 4
            else "save it as UTF-8 (or UTF-16 with a byte-order mark)"
        )
        raise error(
            f"{where}: line {line}: not UTF-8 text (byte {raw[e.start]:#04x}); {hint}"
        ) from e


@dataclass(frozen=True)
class Term:
    """A protocol term compiled for matching.

    Case-insensitive; matched at word starts; a trailing ``*`` matches any word ending; the
    words of a phrase match across any spacing or hyphens (``self help`` matches ``self-help``
    and ``self  help``).
    """

    text: str
    pattern: re.Pattern[str]
    core: str = ""  # the pattern after its word-start check (what TermSet joins)
    # its first word, lower-case, when ASCII: a text that, folded (fold_case), lacks it cannot
    # match, so find_terms skips the search
    literal: str = ""

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(text)


_WORD_START = r"(?<!\w)"


@lru_cache(maxsize=4096)
def compile_term(term: str) -> Term:
    raw = term.strip()
    if not raw:
        raise ValueError("empty term")
    wildcard = raw.endswith("*")
    words = [w for w in re.split(r"[\s\-]+", raw.rstrip("*")) if w]
    body = r"[\s\-]*".join(re.escape(w) for w in words)
    tail = r"\w*" if wildcard else r"(?!\w)"
    first = words[0].lower()
    literal = first if first.isascii() else ""
    return Term(raw, re.compile(_WORD_START + body + tail, re.IGNORECASE), body + tail, literal)


# the only characters that case-insensitive matching equates with an ASCII letter or digit and
# that str.lower() does not turn into it (found by trying every code point)
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})


def fold_case(text: str) -> str:
    """``text`` lower-cased so that an ASCII word a term matches case-insensitively in it is a
    plain substring of the result."""
    return text.translate(_FOLD).lower()


class TermSet(tuple):
    """Compiled terms in order, with one pattern (their union, one word-start check for all)
    that tells in a single pass whether any of them occurs: most texts hold none, and are
    then done with one search instead of one per term."""

    union: re.Pattern[str] | None
    texts: frozenset[str]  # the terms as written, for testing against TermIndex.found

    def __new__(cls, terms: Iterable[Term]) -> TermSet:
        self = super().__new__(cls, terms)
        cores = [t.core for t in self]
        self.union = (
            re.compile(_WORD_START + "(?:" + "|".join(cores) + ")", re.IGNORECASE)
            if cores and all(cores)
            else None
        )
        self.texts = frozenset(t.text for t in self)
        return self


@lru_cache(maxsize=1024)
def _compile_terms(terms: tuple[str, ...]) -> TermSet:
    return TermSet(compile_term(t) for t in terms)


def compile_terms(terms: Iterable[str]) -> TermSet:
    """The terms compiled for matching (:class:`Term`), as one :class:`TermSet`."""
    return _compile_terms(tuple(terms))


def find_terms(terms: Iterable[Term], text: str | None) -> list[tuple[Term, re.Match[str]]]:
    """Every term that occurs in ``text``, with its first match, in the order given."""
    if not text:
        return []
    union = getattr(terms, "union", None)
    if union is not None and union.search(text) is None:
        return []
    folded = fold_case(text)
    out = []
    for t in terms:
        if t.literal and t.literal not in folded:
            continue
        m = t.search(text)
        if m:
            out.append((t, m))
    return out


_WORD = re.compile(r"\w+")


class TermIndex:
    """Every term of many term sets, searched at once: :meth:`found` tells which of them occur
    in a text, so that a text tested against many sets (a codebook's themes, each with terms,
    cues and exclusions) is searched once, not once per set.

    A term is searched only in a text with a word that starts with its first word (folded,
    :func:`fold_case`; a term can match only at a word start), so only the few terms a text
    could hold are searched; which terms a word could start is worked out once per distinct
    word and remembered. Terms whose first word is not ASCII letters or digits are searched in
    every text."""

    WORDS_KEPT = 200_000  # words whose terms are remembered, at most

    def __init__(self, termsets: Iterable[Iterable[Term]]):
        by_first: dict[str, dict[str, Term]] = {}
        always: dict[str, Term] = {}
        for terms in termsets:
            for t in terms:
                if t.literal and _WORD.fullmatch(t.literal):
                    by_first.setdefault(t.literal, {})[t.text] = t
                else:
                    always[t.text] = t
        self._by_first = {first: tuple(ts.values()) for first, ts in by_first.items()}
        self._always = tuple(always.values())
        self._lengths = sorted({len(first) for first in by_first})
        self._by_word: dict[str, tuple[Term, ...]] = {}

    def found(self, text: str | None) -> frozenset[str]:
        """The terms (as written, :attr:`Term.text`) that occur in ``text``: for each term,
        what ``find_terms([term], text)`` would find."""
        if not text:
            return frozenset()
        possible: dict[str, Term] = {t.text: t for t in self._always}
        for word in set(_WORD.findall(fold_case(text))):
            terms = self._by_word.get(word)
            if terms is None:
                terms = self._starting(word)
            for t in terms:
                possible[t.text] = t
        return frozenset(name for name, t in possible.items() if t.search(text))

    def _starting(self, word: str) -> tuple[Term, ...]:
        """The terms whose first word starts ``word`` (remembered: words repeat)."""
        terms = tuple(
            t for n in self._lengths if n <= len(word) for t in self._by_first.get(word[:n], ())
        )
        if len(self._by_word) >= self.WORDS_KEPT:
            self._by_word.clear()
        self._by_word[word] = terms
        return terms


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"'“‘(]*[A-Z0-9])")


def split_sentences(text: str | None) -> list[str]:
    """Split prose into sentences (on ``.``, ``!``, ``?`` before a capital or digit)."""
    if not text:
        return []
    parts = _SENTENCE_END.split(text.strip())
    return [p.strip() for p in parts if p and p.strip()]


def sentence_language(text: str, function_words: Mapping[str, frozenset[str]]) -> str:
    """The language (a key of ``function_words``) whose function words ``text`` uses most;
    ``?`` when none leads (a tie, or no function word at all)."""
    words = re.findall(r"[a-z]+", text.lower())
    counts = sorted(
        ((sum(w in vocab for w in words), code) for code, vocab in function_words.items()),
        reverse=True,
    )
    if not counts or (len(counts) > 1 and counts[0][0] == counts[1][0]):
        return "?"
    return counts[0][1] if counts[0][0] > 0 or len(counts) == 1 else "?"
