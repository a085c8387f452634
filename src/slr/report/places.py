"""Where studies took place: the countries and regions of the protocol's gazetteer that a
work's text names.

The gazetteer's names and aliases are matched as whole words in the title, keywords and
abstracts. It finds the places a text *names*; a work that names no country is counted as
"not stated" (so is every work of a review whose protocol has no gazetteer).
"""

from __future__ import annotations

import re

import pandas as pd

from slr.protocol import Gazetteer
from slr.tables.contracts import PLACES
from slr.tables.schema import conform, field_texts

_FIELDS = ("title", "title_alt", "keywords", "abstract", "abstract_alt")
NOT_STATED = "not stated"


class PlaceFinder:
    """A gazetteer compiled for matching (one pattern per place, longest alias first)."""

    def __init__(self, gazetteer: Gazetteer | None):
        self.gazetteer = gazetteer
        self.regions = [(n, _pattern(a)) for n, a in gazetteer.regions.items()] if gazetteer else []
        self.countries = (
            [(n, _pattern(a)) for n, a in gazetteer.countries.items()] if gazetteer else []
        )

    def find(self, work) -> dict[str, list[str]]:
        """``{"countries": [...], "regions": [...]}`` named in a work's text. A named region
        implies the gazetteer's ``region_country``."""
        text = " \n ".join(field_texts(work, _FIELDS).values())
        regions = [name for name, p in self.regions if p.search(text)]
        countries = [name for name, p in self.countries if p.search(text)]
        home = self.gazetteer.region_country if self.gazetteer else None
        if regions and home is not None and home not in countries:
            countries.insert(0, home)
        return {"countries": countries, "regions": regions}


def _pattern(names) -> re.Pattern:
    alts = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alts})(?![\w-])", re.IGNORECASE)


def find_places(work, gazetteer: Gazetteer | None) -> dict[str, list[str]]:
    """The countries and regions of ``gazetteer`` that one work's text names."""
    return PlaceFinder(gazetteer).find(work)


def places_table(works: pd.DataFrame, work_ids, gazetteer: Gazetteer | None) -> pd.DataFrame:
    """The ``places`` table: one row per (work, place), ``kind`` ``country`` or the gazetteer's
    ``region_kind``; works naming no country get one row with place "not stated"."""
    by_id = works.set_index("work_id")
    kind = gazetteer.region_kind if gazetteer else "region"
    finder = PlaceFinder(gazetteer)
    rows = []
    for wid in work_ids:
        found = finder.find(by_id.loc[wid])
        if not found["countries"]:
            rows.append({"work_id": wid, "kind": "country", "place": NOT_STATED})
        rows += [{"work_id": wid, "kind": "country", "place": c} for c in found["countries"]]
        rows += [{"work_id": wid, "kind": kind, "place": r} for r in found["regions"]]
    return conform(pd.DataFrame(rows, columns=PLACES.names), PLACES)
