"""Mark duplicate records (``duplicate_of``), never drop them.

Records are linked by evidence, strongest first:

========== ==================================================================================
rule       link when
========== ==================================================================================
openalex   the same OpenAlex ID
doi        the same normalised DOI
url        the same landing-page URL (scheme, ``www.`` and trailing slash ignored)
title      the same normalised title (case, accents, entities, punctuation, slug dashes
           ignored), or titles within a small edit distance (rapidfuzz ratio ≥ 95)
main-title one title is the other's main title: the part before a ``:`` subtitle, or a
           truncation of it that stops at least 40 characters in
title-alt  one record's other-language title is the other's title
translation the other-language version of a work: different languages, and either the same
           author list and year, or the same list of two or more keywords
========== ==================================================================================

Every link except ``openalex`` and ``doi`` must also be *compatible*: no two different DOIs or
OpenAlex IDs, publication years at most one apart when both are known, first authors that share
a surname when both are known. A link that would put two different DOIs into one group is
refused, so a short title cannot chain many works together. Short main titles (fewer than three
words) link only with a matching first author, and only to a single candidate.

The canonical record of a group is its most complete one; fields it lacks (abstract, DOI,
year, venue, keywords, …) are filled from the others, and ``filled_from`` records where each
filled value came from.
"""

from __future__ import annotations

import bisect
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from slr.ingest.normalise import normalise_title

RULES = ("openalex", "doi", "url", "title", "main-title", "title-alt", "translation")

# fields the canonical record takes from its duplicates when it lacks them
FILL_FIELDS = (
    "openalex_id",
    "doi",
    "abstract",
    "publication_year",
    "publication_date",
    "language",
    "venue",
    "authors",
    "keywords",
    "institution_countries",
    "topics",
    "cited_by_count",
    "url",
)
_COMPLETENESS = (
    "abstract",
    "doi",
    "openalex_id",
    "publication_year",
    "authors",
    "venue",
    "keywords",
)

FUZZY_MIN = 95  # rapidfuzz ratio for near-identical titles
PREFIX_MIN_CHARS = 40  # a truncated title must keep at least this much to match a longer one
LONG_TITLE_CHARS = 60  # identical titles this long link whatever their years


@dataclass(frozen=True)
class _Rec:
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


def _records(works: pd.DataFrame) -> list[_Rec]:
    recs = []
    for i, row in enumerate(works.itertuples(index=False)):
        title = normalise_title(row.title) if isinstance(row.title, str) else ""
        urls = {normalise_url(u) for u in [row.url, *row.other_urls] if isinstance(u, str)}
        recs.append(
            _Rec(
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


def compatible(a: _Rec, b: _Rec, *, years: bool = True) -> bool:
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


class _Groups:
    """Union-find that refuses a merge joining two different DOIs or OpenAlex IDs."""

    def __init__(self, recs: list[_Rec]):
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


def _link_by_key(
    groups: _Groups,
    recs: list[_Rec],
    key: Callable[[_Rec], Iterable[str | None]],
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


def _fuzzy_pairs(recs: list[_Rec], min_score: int) -> Iterable[tuple[int, int]]:
    idx = [r.i for r in recs if len(r.title) >= 20]
    titles = [recs[i].title for i in idx]
    if len(titles) < 2:
        return
    step = 2000
    for start in range(0, len(titles), step):
        block = process.cdist(
            titles[start : start + step],
            titles,
            scorer=fuzz.ratio,
            score_cutoff=min_score,
            dtype=np.uint8,
            workers=-1,
        )
        rows, cols = np.nonzero(block)
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            a, b = idx[start + r], idx[c]
            if a < b:
                yield a, b


def _main_title_pairs(recs: list[_Rec]) -> Iterable[tuple[int, int]]:
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


def mark_duplicates(works: pd.DataFrame, *, rules: Iterable[str] = RULES) -> pd.DataFrame:
    """Mark duplicates in the works table.

    Needs the works columns; fills ``duplicate_of`` (the canonical ``work_id``; ``NA`` on the
    canonical record itself and on unique records), ``duplicate_rule`` (the rule of the link
    that joined the record to its group) and, on canonical records, the fields they lacked
    (with ``filled_from``). Returns a new table with every row of the input.
    """
    rules = tuple(rules)
    unknown = [r for r in rules if r not in RULES]
    if unknown:
        raise ValueError(f"unknown dedupe rules {unknown}; valid options: {', '.join(RULES)}")
    works = works.reset_index(drop=True).copy()
    recs = _records(works)
    groups = _Groups(recs)

    if "openalex" in rules:
        _link_by_key(groups, recs, lambda r: [r.oa], "openalex", check=False)
    if "doi" in rules:
        _link_by_key(groups, recs, lambda r: [r.doi], "doi", check=False)
    if "url" in rules:
        _link_by_key(groups, recs, lambda r: sorted(r.urls), "url", check=True)
    if "title" in rules:
        _link_titles(groups, recs)
    if "main-title" in rules:
        _link_main_titles(groups, recs)
    if "title-alt" in rules:
        _link_alt_titles(groups, recs)
    if "translation" in rules:
        _link_translations(groups, recs)

    return _resolve(works, recs, groups)


def _by_title(recs: list[_Rec], min_chars: int = 1) -> dict[str, list[int]]:
    out: dict[str, list[int]] = defaultdict(list)
    for r in recs:
        if len(r.title) >= min_chars:
            out[r.title].append(r.i)
    return out


def _link_titles(groups: _Groups, recs: list[_Rec]) -> None:
    for members in _by_title(recs, min_chars=10).values():
        for x, i in enumerate(members):
            for j in members[x + 1 :]:
                # a long identical title identifies a work even when databases disagree on its
                # year (online-first vs issue, re-indexing)
                long = len(recs[i].title) >= LONG_TITLE_CHARS
                if compatible(recs[i], recs[j], years=not long):
                    groups.link(i, j, "title")
    for a, b in _fuzzy_pairs(recs, FUZZY_MIN):
        ra, rb = recs[a], recs[b]
        if ra.numbers == rb.numbers and compatible(ra, rb):
            groups.link(a, b, "title")


def _link_alt_titles(groups: _Groups, recs: list[_Rec]) -> None:
    by_title = _by_title(recs)
    for r in recs:
        for i in by_title.get(r.alt, []) if r.alt else []:
            if i != r.i and compatible(r, recs[i]):
                groups.link(r.i, i, "title-alt")


def _link_main_titles(groups: _Groups, recs: list[_Rec]) -> None:
    by_short: dict[int, list[int]] = defaultdict(list)
    for short, long in _main_title_pairs(recs):
        s, lg = recs[short], recs[long]
        if not compatible(s, lg) or not s.numbers <= lg.numbers:
            continue
        # companion papers share a main title ("…: economic evaluation"): when both records
        # carry an abstract, it must be the same text
        if s.abstract and lg.abstract and not same_text(s.abstract, lg.abstract):
            continue
        by_short[short].append(long)
    for short, longs in by_short.items():
        s = recs[short]
        weak = len(s.title.split()) < 3
        # candidates already known to be one work (linked by the rules above) count once
        if len({groups.find(i) for i in longs}) > 1 or weak:
            # ambiguous or thin: keep only candidates whose first author matches
            longs = [i for i in longs if s.surnames and s.surnames & recs[i].surnames]
            if len({groups.find(i) for i in longs}) != 1:
                continue
        for long in longs:
            groups.link(short, long, "main-title")


def _link_translations(groups: _Groups, recs: list[_Rec]) -> None:
    by_authors: dict[tuple, list[int]] = defaultdict(list)
    by_keywords: dict[tuple, list[int]] = defaultdict(list)
    for r in recs:
        if r.authors:
            by_authors[(r.authors, r.year, r.type)].append(r.i)
        if len(r.keywords) >= 2:
            by_keywords[r.keywords].append(r.i)
    for bucket in (*by_authors.values(), *by_keywords.values()):
        for x, i in enumerate(bucket):
            for j in bucket[x + 1 :]:
                a, b = recs[i], recs[j]
                if a.language and b.language and a.language != b.language and compatible(a, b):
                    groups.link(i, j, "translation")


def _completeness(row: pd.Series) -> int:
    score = 0
    for f in _COMPLETENESS:
        v = row[f]
        score += bool(len(v)) if isinstance(v, list) else bool(pd.notna(v))
    return score


def _resolve(works: pd.DataFrame, recs: list[_Rec], groups: _Groups) -> pd.DataFrame:
    members: dict[int, list[int]] = defaultdict(list)
    for r in recs:
        members[groups.find(r.i)].append(r.i)
    duplicate_of: list[object] = [None] * len(works)
    duplicate_rule: list[object] = list(works["duplicate_rule"].astype(object))
    completeness = [_completeness(works.iloc[i]) for i in range(len(works))]
    for group in members.values():
        if len(group) < 2:
            continue
        canon = max(group, key=lambda i: (completeness[i], -i))
        # walk the links from the canonical record: each member's rule is its link's rule
        seen, queue = {canon}, [canon]
        while queue:
            cur = queue.pop(0)
            for nxt, rule in groups.edges[cur]:
                if nxt not in seen:
                    seen.add(nxt)
                    duplicate_rule[nxt] = rule
                    queue.append(nxt)
        canon_id = works.at[canon, "work_id"]
        for i in group:
            if i != canon:
                duplicate_of[i] = canon_id
        _fill(works, canon, [i for i in group if i != canon])
    works["duplicate_of"] = pd.array(duplicate_of, dtype="string")
    works["duplicate_rule"] = pd.array(duplicate_rule, dtype="string")
    return works


def _fill(works: pd.DataFrame, canon: int, others: list[int]) -> None:
    filled = (
        json.loads(works.at[canon, "filled_from"])
        if pd.notna(works.at[canon, "filled_from"])
        else {}
    )
    c_lang = works.at[canon, "language"]
    for i in others:
        o_lang = works.at[i, "language"]
        other_language = pd.notna(c_lang) and pd.notna(o_lang) and c_lang != o_lang
        if other_language:
            # the other-language version gives the canonical record its alternate title/abstract
            for src, dst in (("title", "title_alt"), ("abstract", "abstract_alt")):
                if pd.isna(works.at[canon, dst]) and pd.notna(works.at[i, src]):
                    works.at[canon, dst] = works.at[i, src]
                    filled[dst] = works.at[i, "work_id"]
        for f in FILL_FIELDS:
            if other_language and f in ("abstract", "language"):
                continue
            cur, new = works.at[canon, f], works.at[i, f]
            empty = (len(cur) == 0) if isinstance(cur, list) else pd.isna(cur)
            has = (len(new) > 0) if isinstance(new, list) else pd.notna(new)
            if empty and has:
                works.at[canon, f] = new
                filled[f] = works.at[i, "work_id"]
        # the queries that found a work are the union of its records' queries
        found = list(dict.fromkeys([*works.at[canon, "found_by"], *works.at[i, "found_by"]]))
        if len(found) > len(works.at[canon, "found_by"]):
            works.at[canon, "found_by"] = found
    if filled:
        works.at[canon, "filled_from"] = json.dumps(filled, sort_keys=True)


def split_duplicates(works: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(canonical, duplicates)``: the two halves of a marked works table."""
    dup = works["duplicate_of"].notna()
    return works[~dup].reset_index(drop=True), works[dup].reset_index(drop=True)


def duplicate_pairs(works: pd.DataFrame) -> set[frozenset[str]]:
    """Every pair of work_ids in the same group (pairwise evaluation)."""
    groups: dict[str, list[str]] = defaultdict(list)
    for wid, dof in zip(works["work_id"], works["duplicate_of"], strict=True):
        groups[dof if pd.notna(dof) else wid].append(wid)
    pairs = set()
    for g in groups.values():
        for x, a in enumerate(g):
            for b in g[x + 1 :]:
                pairs.add(frozenset((a, b)))
    return pairs
