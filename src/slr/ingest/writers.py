"""Works as RIS and BibTeX text (strings; :mod:`slr.tables.io` writes them)."""

from __future__ import annotations

import re
from collections.abc import Mapping

import bibtexparser
import pandas as pd
import rispy
from bibtexparser.model import Entry, Field

from slr.tables.schema import as_list, is_missing

RIS_TYPES = {"article": "JOUR", "book": "BOOK", "book-chapter": "CHAP", "dissertation": "THES",
             "report": "RPRT", "conference-paper": "CPAPER", "preprint": "UNPB"}  # fmt: skip
BIB_TYPES = {"article": "article", "book": "book", "book-chapter": "incollection",
             "dissertation": "phdthesis", "report": "techreport",
             "conference-paper": "inproceedings"}  # fmt: skip


def _s(v) -> str:
    if is_missing(v):
        return ""
    return str(v).strip()


def works_to_ris(works: pd.DataFrame, *, notes: Mapping[str, list[str]] | None = None) -> str:
    """RIS records (rispy), one per work, with the work_id in ``ID``; ``notes`` (work_id → notes)
    adds ``N1`` lines (ASReview reads its labels from them)."""
    entries = []
    for w in works.itertuples(index=False):
        e = {"type_of_reference": RIS_TYPES.get(_s(w.type), "GEN"), "id": w.work_id,
             "title": _s(w.title)}  # fmt: skip
        if as_list(w.authors):
            e["authors"] = as_list(w.authors)
        if _s(w.publication_year):
            e["year"] = str(int(w.publication_year))
        for key, value in (("journal_name", w.venue), ("doi", w.doi), ("abstract", w.abstract),
                           ("language", w.language), ("urls", w.url)):  # fmt: skip
            if _s(value):
                e[key] = [_s(value)] if key == "urls" else _s(value)
        if as_list(w.keywords):
            e["keywords"] = as_list(w.keywords)
        if notes and notes.get(w.work_id):
            e["notes"] = list(notes[w.work_id])
        entries.append(e)
    return rispy.dumps(entries)


def works_to_bibtex(works: pd.DataFrame) -> str:
    """BibTeX entries (bibtexparser 2), keys ``surnameYEARword`` made unique with a suffix."""
    lib = bibtexparser.Library()
    taken: dict[str, int] = {}
    for w in works.itertuples(index=False):
        authors = as_list(w.authors)
        first = authors[0].split(",")[0] if authors else (_s(w.venue) or "anon")
        word = next((t for t in re.findall(r"[A-Za-z]{4,}", _s(w.title))), "work")
        year = str(int(w.publication_year)) if _s(w.publication_year) else "nd"
        base = re.sub(
            r"[^a-z0-9]",
            "",
            f"{first.split()[-1] if first.split() else 'anon'}{year}{word}".lower(),
        )
        taken[base] = taken.get(base, 0) + 1
        key = base if taken[base] == 1 else f"{base}{chr(ord('a') + taken[base] - 2)}"
        fields = [Field("title", "{" + _s(w.title) + "}")]
        if authors:
            fields.append(Field("author", " and ".join(authors)))
        if year != "nd":
            fields.append(Field("year", year))
        venue_field = "journal" if _s(w.type) in ("article", "") else "publisher"
        for name, value in ((venue_field, w.venue), ("doi", w.doi), ("url", w.url),
                            ("language", w.language), ("note", f"slr work_id {w.work_id}")):  # fmt: skip
            if _s(value):
                fields.append(Field(name, _s(value)))
        lib.add(Entry(BIB_TYPES.get(_s(w.type), "misc"), key, fields))
    return bibtexparser.write_string(lib)
