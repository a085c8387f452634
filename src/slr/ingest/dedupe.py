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

import json
from collections import defaultdict
from collections.abc import Iterable

import pandas as pd

from slr.ingest.match import (
    FUZZY_MIN,
    LONG_TITLE_CHARS,
    Groups,
    Record,
    by_title,
    compatible,
    fuzzy_pairs,
    link_by_key,
    main_title_pairs,
    records,
    same_text,
)

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
    recs = records(works)
    groups = Groups(recs)

    if "openalex" in rules:
        link_by_key(groups, recs, lambda r: [r.oa], "openalex", check=False)
    if "doi" in rules:
        link_by_key(groups, recs, lambda r: [r.doi], "doi", check=False)
    if "url" in rules:
        link_by_key(groups, recs, lambda r: sorted(r.urls), "url", check=True)
    if "title" in rules:
        _link_titles(groups, recs)
    if "main-title" in rules:
        _link_main_titles(groups, recs)
    if "title-alt" in rules:
        _link_alt_titles(groups, recs)
    if "translation" in rules:
        _link_translations(groups, recs)

    return _resolve(works, recs, groups)


def _link_titles(groups: Groups, recs: list[Record]) -> None:
    for members in by_title(recs, min_chars=10).values():
        for x, i in enumerate(members):
            for j in members[x + 1 :]:
                # a long identical title identifies a work even when databases disagree on its
                # year (online-first vs issue, re-indexing)
                long = len(recs[i].title) >= LONG_TITLE_CHARS
                if compatible(recs[i], recs[j], years=not long):
                    groups.link(i, j, "title")
    for a, b in fuzzy_pairs(recs, FUZZY_MIN):
        ra, rb = recs[a], recs[b]
        if ra.numbers == rb.numbers and compatible(ra, rb):
            groups.link(a, b, "title")


def _link_alt_titles(groups: Groups, recs: list[Record]) -> None:
    titles = by_title(recs)
    for r in recs:
        for i in titles.get(r.alt, []) if r.alt else []:
            if i != r.i and compatible(r, recs[i]):
                groups.link(r.i, i, "title-alt")


def _link_main_titles(groups: Groups, recs: list[Record]) -> None:
    by_short: dict[int, list[int]] = defaultdict(list)
    for short, long in main_title_pairs(recs):
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


def _link_translations(groups: Groups, recs: list[Record]) -> None:
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


def _completeness(works: pd.DataFrame) -> list[int]:
    """How many of the ``_COMPLETENESS`` fields each record has (a list counts when not empty)."""
    score = [0] * len(works)
    for f in _COMPLETENESS:
        for i, v in enumerate(works[f].tolist()):
            score[i] += bool(len(v)) if isinstance(v, list) else bool(pd.notna(v))
    return score


def _resolve(works: pd.DataFrame, recs: list[Record], groups: Groups) -> pd.DataFrame:
    members: dict[int, list[int]] = defaultdict(list)
    for r in recs:
        members[groups.find(r.i)].append(r.i)
    duplicate_of: list[object] = [None] * len(works)
    duplicate_rule: list[object] = list(works["duplicate_rule"].astype(object))
    completeness = _completeness(works)
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
    return pairs_within(groups.values())


def pairs_within(groups: Iterable[list[str]]) -> set[frozenset[str]]:
    """Every pair of members of the same group."""
    return {frozenset((a, b)) for g in groups for x, a in enumerate(g) for b in g[x + 1 :]}
