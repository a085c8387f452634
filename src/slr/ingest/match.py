"""What tells two records apart, or not: each record's match keys (normalised titles, DOI,
URLs, first authors' surnames, numbers in the title …), whether two records may be the same
work, the groups they are linked into, and the candidate pairs (by key, near-identical title,
main title). :mod:`slr.ingest.dedupe` applies them rule by rule.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter, defaultdict, namedtuple
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from slr.ingest.fields import normalise_title
from slr.progress import track

FUZZY_MIN = 95  # rapidfuzz ratio for near-identical titles
BLOCK_WORDS = 4  # a title is compared with the titles holding one of its rarest words
PAIR_CHUNK = 200_000  # candidate pairs scored at once
PREFIX_MIN_CHARS = 40  # a truncated title must keep at least this much to match a longer one
LONG_TITLE_CHARS = 60  # identical titles this long link whatever their years


@dataclass(frozen=True)
class Record:
    """One record's match keys (row ``i`` of the works table), normalised once."""

    i: int
    title: str
    main: str
    alt: str
    doi: str | None
    oa: str | None
    year: int | None
    language: str | None
    type: str | None
    surnames: frozenset[str]
    authors: tuple[str, ...]
    keywords: tuple[str, ...]
    urls: frozenset[str]
    numbers: frozenset[str]
    notice: bool
    abstract: str


def _surnames(author: str | None) -> frozenset[str]:
    """Tokens that may be a surname: ``Last, F.`` gives {last}; ``First Last`` gives its words."""
    if not author:
        return frozenset()
    if "," in author:
        author = author.split(",", 1)[0]
    return frozenset(t for t in normalise_title(author).split() if len(t) >= 3)


def normalise_url(url: str | None) -> str | None:
    if not url:
        return None
    u = re.sub(r"^https?://", "", url.strip().lower())
    u = re.sub(r"^www\.", "", u).rstrip("/")
    return u or None


_ORDINALS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth "
    "ii iii iv vi vii viii ix xi xii xiii xiv xv xvi xvii xviii xix xx"
).split()
_NOTICE = re.compile(
    r"^(erratum|errata|corrigendum|correction|retraction|retracted|withdrawn|expression of concern"
    r"|comment on|commentary on|reply to|response to|author reply)\b"
)


def _numbers(title: str) -> frozenset[str]:
    """Digits and ordinals in a normalised title: "Part 1" and "Part 2" are different works."""
    return frozenset(t for t in title.split() if any(ch.isdigit() for ch in t) or t in _ORDINALS)


def same_text(a: str, b: str) -> bool:
    """Two abstracts that are the same text, give or take formatting or a truncation."""
    if fuzz.ratio(a, b) >= 85:
        return True
    short, long = sorted((a, b), key=len)
    return len(short) >= 100 and fuzz.partial_ratio(short, long) >= 95


def _main_title(raw: str | None) -> str:
    if not raw or ":" not in raw:
        return ""
    return normalise_title(raw.split(":", 1)[0])


_RECORD_COLUMNS = (
    "title", "url", "other_urls", "title_alt", "doi", "openalex_id", "publication_year",
    "language", "type", "authors", "keywords", "abstract",
)  # fmt: skip
_Row = namedtuple("_Row", _RECORD_COLUMNS)


def records(works: pd.DataFrame) -> list[Record]:
    recs = []
    columns = [works[c].tolist() for c in _RECORD_COLUMNS]  # one conversion per column
    rows = map(_Row._make, zip(*columns, strict=True))
    for i, row in enumerate(track(rows, total=len(works), desc="deduplicating")):
        title = normalise_title(row.title) if isinstance(row.title, str) else ""
        urls = {normalise_url(u) for u in [row.url, *row.other_urls] if isinstance(u, str)}
        recs.append(
            Record(
                i=i,
                title=title,
                main=_main_title(row.title if isinstance(row.title, str) else None),
                alt=normalise_title(row.title_alt) if isinstance(row.title_alt, str) else "",
                doi=row.doi if isinstance(row.doi, str) else None,
                oa=row.openalex_id if isinstance(row.openalex_id, str) else None,
                year=None if pd.isna(row.publication_year) else int(row.publication_year),
                language=row.language if isinstance(row.language, str) else None,
                type=row.type if isinstance(row.type, str) else None,
                surnames=_surnames(row.authors[0] if row.authors else None),
                authors=tuple(normalise_title(a) for a in row.authors),
                keywords=tuple(sorted(normalise_title(k) for k in row.keywords)),
                urls=frozenset(u for u in urls if u),
                numbers=_numbers(title),
                notice=bool(_NOTICE.match(title)),
                abstract=normalise_title(row.abstract)[:1000]
                if isinstance(row.abstract, str)
                else "",
            )
        )
    return recs


def compatible(a: Record, b: Record, *, years: bool = True) -> bool:
    """No evidence that ``a`` and ``b`` are different works.

    Different DOIs or OpenAlex IDs, years more than one apart (unless ``years=False``), first
    authors with no surname in common, or one being an erratum/retraction/comment notice.
    """
    if a.doi and b.doi and a.doi != b.doi:
        return False
    if a.oa and b.oa and a.oa != b.oa:
        return False
    if a.notice != b.notice:
        return False
    if years and a.year is not None and b.year is not None and abs(a.year - b.year) > 1:
        return False
    if a.surnames and b.surnames and not (a.surnames & b.surnames):
        return False
    return True


class Groups:
    """Union-find that refuses a merge joining two different DOIs or OpenAlex IDs."""

    def __init__(self, recs: list[Record]):
        self.parent = list(range(len(recs)))
        self.dois = [{r.doi} - {None} for r in recs]
        self.oas = [{r.oa} - {None} for r in recs]
        self.edges: dict[int, list[tuple[int, str]]] = defaultdict(list)
        self.refused = 0

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def link(self, a: int, b: int, rule: str) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if rule not in ("openalex", "doi"):
            if len(self.dois[ra] | self.dois[rb]) > 1 or len(self.oas[ra] | self.oas[rb]) > 1:
                self.refused += 1
                return False
        self.parent[rb] = ra
        self.dois[ra] |= self.dois[rb]
        self.oas[ra] |= self.oas[rb]
        self.edges[a].append((b, rule))
        self.edges[b].append((a, rule))
        return True


def link_by_key(
    groups: Groups,
    recs: list[Record],
    key: Callable[[Record], Iterable[str | None]],
    rule: str,
    *,
    check: bool,
) -> None:
    buckets: dict[object, list[int]] = defaultdict(list)
    for r in recs:
        for k in key(r):
            if k:
                buckets[k].append(r.i)
    for members in buckets.values():
        first = members[0]
        for other in members[1:]:
            if not check or compatible(recs[first], recs[other]):
                groups.link(first, other, rule)


def _fuzzy_titles(recs: list[Record]) -> tuple[list[int], list[str]]:
    """The records whose titles are long enough to match fuzzily (20 characters), and those
    titles: what both :func:`fuzzy_pairs` and :func:`all_fuzzy_pairs` compare."""
    idx = [r.i for r in recs if len(r.title) >= 20]
    return idx, [recs[i].title for i in idx]


def _char_counts(titles: list[str], columns: int = 64) -> np.ndarray:
    """How often each character occurs in each title, one row per title: the most frequent
    characters a column each, all others counted together in the last column (merging columns
    can only lower the difference between two rows, so the bound stays a bound)."""
    codes = np.frombuffer("".join(titles).encode("utf-32-le"), dtype=np.uint32)
    freq = np.bincount(codes)
    rank = np.empty(len(freq), dtype=np.int64)
    rank[np.argsort(-freq, kind="stable")] = np.arange(len(freq))
    column = np.minimum(rank[codes], columns - 1)
    row = np.repeat(np.arange(len(titles)), [len(t) for t in titles])
    flat = np.bincount(row * columns + column, minlength=len(titles) * columns)
    return flat.reshape(len(titles), columns).astype(np.int32)  # a count, even of a long title


def fuzzy_pairs(recs: list[Record], min_score: int) -> Iterable[tuple[int, int]]:
    """Pairs of titles of 20 characters or more whose rapidfuzz ratio is at least
    ``min_score``, in (a, b) order with a < b, without comparing all pairs.

    Blocking: a title is compared only with the later titles holding one of its ``BLOCK_WORDS``
    rarest words (fewest titles hold them) and whose length allows the score (a ratio of s
    needs lengths within (100 − s) % of their sum). Titles that close differ in a character or
    two, so they share nearly all their words; a pair is missed only when all of one title's
    rarest words are changed in the other. Candidates are scored in vectorised chunks, after
    a bound that loses nothing: the Indel distance is at least the difference of the two
    titles' character counts.
    ``make bench-dedup`` and the tests compare it with all pairs.
    """
    idx, titles = _fuzzy_titles(recs)
    words = [frozenset(t.split()) for t in titles]
    count = Counter(w for ws in words for w in ws)
    holding: dict[str, list[int]] = defaultdict(list)
    for k, ws in enumerate(words):
        for w in ws:
            holding[w].append(k)
    rare_in: dict[str, list[int]] = defaultdict(list)  # word → the titles it is rarest in
    for k, ws in enumerate(words):
        for w in sorted(ws, key=lambda w: (count[w], w))[:BLOCK_WORDS]:
            rare_in[w].append(k)
    lengths = np.array([len(t) for t in titles])
    slack = (100 - min_score) / 100
    left: list[np.ndarray] = []
    right: list[np.ndarray] = []
    for w, ks in rare_in.items():  # one word at a time, its titles' later holders at once
        holders, firsts = np.array(holding[w]), np.array(ks)  # both in increasing order
        start = np.searchsorted(holders, firsts, side="right")
        later = len(holders) - start
        a = np.repeat(firsts, later)
        b = holders[np.repeat(start - (np.cumsum(later) - later), later) + np.arange(len(a))]
        keep = np.abs(lengths[a] - lengths[b]) <= slack * (lengths[a] + lengths[b])
        if keep.any():
            left.append(a[keep])
            right.append(b[keep])
    if not left:
        return
    # one sort removes the pairs found through two rare words, and orders them by (a, b)
    pair = np.sort(np.concatenate(left).astype(np.int64) * len(titles) + np.concatenate(right))
    pair = pair[np.r_[True, pair[1:] != pair[:-1]]]
    a, b = pair // len(titles), pair % len(titles)
    texts = np.array(titles, dtype=object)
    counts = _char_counts(titles)
    for start in range(0, len(a), PAIR_CHUNK):
        ca, cb = a[start : start + PAIR_CHUNK], b[start : start + PAIR_CHUNK]
        # the edit distance is at least the difference in character counts: a cheap bound
        apart = np.abs(counts[ca] - counts[cb]).sum(axis=1)
        close = apart <= slack * (lengths[ca] + lengths[cb]) + 1e-9
        ca, cb = ca[close], cb[close]
        scores = process.cpdist(
            texts[ca],
            texts[cb],
            scorer=fuzz.ratio,
            score_cutoff=min_score,
            dtype=np.uint8,
            workers=-1,
        )
        for n in np.flatnonzero(scores):
            yield idx[ca[n]], idx[cb[n]]


def all_fuzzy_pairs(recs: list[Record], min_score: int) -> set[tuple[int, int]]:
    """What :func:`fuzzy_pairs` finds, by comparing every pair (for tests and benchmarks)."""
    idx, titles = _fuzzy_titles(recs)
    if len(titles) < 2:
        return set()
    block = process.cdist(titles, titles, scorer=fuzz.ratio, score_cutoff=min_score, dtype=np.uint8)
    rows, cols = np.nonzero(block)
    return {(idx[r], idx[c]) for r, c in zip(rows.tolist(), cols.tolist(), strict=True) if r < c}


def main_title_pairs(recs: list[Record]) -> Iterable[tuple[int, int]]:
    """(short, long): the short title is the long one's main title, or a long truncation of it."""
    by_main: dict[str, list[int]] = defaultdict(list)
    for r in recs:
        if r.main:
            by_main[r.main].append(r.i)
    ordered = sorted((r.title, r.i) for r in recs if r.title)
    keys = [t for t, _ in ordered]
    for r in recs:
        if not r.title:
            continue
        candidates = {i for i in by_main.get(r.title, []) if recs[i].title != r.title}
        if len(r.title) >= PREFIX_MIN_CHARS:
            lo = bisect.bisect_left(keys, r.title)
            hi = bisect.bisect_left(keys, r.title + "\uffff")
            candidates |= {i for _, i in ordered[lo:hi] if recs[i].title != r.title}
        for i in candidates:
            yield r.i, i


def by_title(recs: list[Record], min_chars: int = 1) -> dict[str, list[int]]:
    """The records of each normalised title (titles of at least ``min_chars`` characters)."""
    out: dict[str, list[int]] = defaultdict(list)
    for r in recs:
        if len(r.title) >= min_chars:
            out[r.title].append(r.i)
    return out
