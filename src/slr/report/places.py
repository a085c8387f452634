"""Where studies took place: countries and Indonesian provinces named in a work's text.

A small gazetteer (names in English and Indonesian, common abbreviations) matched as whole
words in the title, keywords and abstracts. It finds the places a text *names*; a work that
names none is counted as "not stated".
"""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd

from slr.tables.schema import field_texts

# Indonesian provinces (38), with the names and abbreviations the literature uses.
PROVINCES: dict[str, tuple[str, ...]] = {
    "Aceh": ("aceh", "nanggroe aceh darussalam"),
    "North Sumatra": ("north sumatra", "sumatera utara", "sumut", "deli serdang"),
    "West Sumatra": ("west sumatra", "sumatera barat", "sumbar", "minangkabau"),
    "Riau": ("riau", "pekanbaru", "rokan hulu", "pelalawan"),
    "Riau Islands": ("riau islands", "kepulauan riau", "kepri", "batam"),
    "Jambi": ("jambi", "tanjung jabung"),
    "Bengkulu": ("bengkulu",),
    "South Sumatra": ("south sumatra", "sumatera selatan", "sumsel", "palembang", "banyuasin"),
    "Bangka Belitung": ("bangka belitung", "bangka", "belitung"),
    "Lampung": ("lampung",),
    "Banten": ("banten", "tangerang"),
    "Jakarta": ("jakarta", "dki jakarta"),
    "West Java": (
        "west java",
        "jawa barat",
        "jabar",
        "bandung",
        "bogor",
        "tasikmalaya",
        "ciamis",
        "karawang",
        "garut",
        "cirebon",
        "sukabumi",
        "indramayu",
    ),
    "Central Java": (
        "central java",
        "jawa tengah",
        "jateng",
        "semarang",
        "surakarta",
        "banyumas",
        "kebumen",
        "klaten",
        "wonogiri",
        "karanganyar",
        "kudus",
        "demak",
        "blora",
        "purbalingga",
        "boyolali",
        "magelang",
        "cilacap",
    ),
    "Yogyakarta": (
        "yogyakarta",
        "jogja",
        "jogjakarta",
        "sleman",
        "bantul",
        "gunungkidul",
        "gunung kidul",
        "kulon progo",
    ),
    "East Java": (
        "east java",
        "jawa timur",
        "jatim",
        "surabaya",
        "malang",
        "jember",
        "gresik",
        "sidoarjo",
        "tulungagung",
        "trenggalek",
        "lumajang",
        "kediri",
        "banyuwangi",
        "madura",
        "ponorogo",
        "mojokerto",
        "pasuruan",
        "probolinggo",
    ),
    "Bali": ("bali", "tabanan", "gianyar", "badung", "bangli", "penglipuran", "ubud"),
    "West Nusa Tenggara": (
        "west nusa tenggara",
        "nusa tenggara barat",
        "ntb",
        "lombok",
        "sumbawa",
        "mataram",
    ),
    "East Nusa Tenggara": (
        "east nusa tenggara",
        "nusa tenggara timur",
        "ntt",
        "flores",
        "sumba",
        "kupang",
        "timor",
    ),
    "West Kalimantan": ("west kalimantan", "kalimantan barat", "pontianak"),
    "Central Kalimantan": ("central kalimantan", "kalimantan tengah", "palangkaraya"),
    "South Kalimantan": ("south kalimantan", "kalimantan selatan", "banjarmasin", "pulau laut"),
    "East Kalimantan": ("east kalimantan", "kalimantan timur", "samarinda", "balikpapan"),
    "North Kalimantan": ("north kalimantan", "kalimantan utara"),
    "North Sulawesi": ("north sulawesi", "sulawesi utara", "manado", "minahasa"),
    "Gorontalo": ("gorontalo",),
    "Central Sulawesi": ("central sulawesi", "sulawesi tengah"),
    "West Sulawesi": ("west sulawesi", "sulawesi barat", "mamuju"),
    "South Sulawesi": ("south sulawesi", "sulawesi selatan", "makassar", "gowa"),
    "Southeast Sulawesi": ("southeast sulawesi", "sulawesi tenggara", "kendari"),
    "Maluku": ("maluku", "ambon"),
    "North Maluku": ("north maluku", "maluku utara", "ternate"),
    "Papua": ("papua", "jayapura"),
    "West Papua": ("west papua", "papua barat", "manokwari"),
}

COUNTRIES: dict[str, tuple[str, ...]] = {
    "Indonesia": ("indonesia", "indonesian"),
    "Malaysia": ("malaysia", "malaysian"),
    "Philippines": ("philippines", "filipino"),
    "Thailand": ("thailand", "thai"),
    "Vietnam": ("vietnam", "viet nam"),
    "China": ("china", "chinese"),
    "India": ("india", "indian"),
    "Bangladesh": ("bangladesh",),
    "Nepal": ("nepal",),
    "Pakistan": ("pakistan",),
    "Sri Lanka": ("sri lanka",),
    "Iran": ("iran", "iranian", "kermanshah"),
    "Turkey": ("turkey", "türkiye"),
    "Kenya": ("kenya", "kenyan"),
    "Tanzania": ("tanzania", "kilimanjaro"),
    "Uganda": ("uganda",),
    "Ethiopia": ("ethiopia",),
    "Ghana": ("ghana",),
    "Nigeria": ("nigeria",),
    "Cameroon": ("cameroon",),
    "South Africa": ("south africa", "eastern cape"),
    "Zimbabwe": ("zimbabwe",),
    "Mexico": ("mexico", "mexican", "yucatan"),
    "Colombia": ("colombia", "colombian", "caldas"),
    "Brazil": ("brazil",),
    "Peru": ("peru",),
    "United Kingdom": ("united kingdom", "england", "scotland", "scottish", "wales", "uk"),
    "Ireland": ("ireland",),
    "Spain": ("spain",),
    "Italy": ("italy",),
    "Serbia": ("serbia",),
    "Croatia": ("croatia",),
    "Poland": ("poland",),
    "Romania": ("romania",),
    "United States": ("united states", "usa", "u.s."),
    "Canada": ("canada",),
    "Australia": ("australia",),
}

_FIELDS = ("title", "title_alt", "keywords", "abstract", "abstract_alt")


@lru_cache(maxsize=1)
def _patterns() -> tuple[list[tuple[str, re.Pattern]], list[tuple[str, re.Pattern]]]:
    def pat(names):
        alts = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        return re.compile(rf"(?<![\w-])(?:{alts})(?![\w-])", re.IGNORECASE)

    provinces = [(name, pat(aliases)) for name, aliases in PROVINCES.items()]
    countries = [(name, pat(aliases)) for name, aliases in COUNTRIES.items()]
    return provinces, countries


def find_places(work) -> dict[str, list[str]]:
    """``{"countries": [...], "provinces": [...]}`` named in a work's text. A named Indonesian
    province implies Indonesia."""
    text = " \n ".join(field_texts(work, _FIELDS).values())
    provinces, countries = _patterns()
    prov = [name for name, p in provinces if p.search(text)]
    ctry = [name for name, p in countries if p.search(text)]
    if prov and "Indonesia" not in ctry:
        ctry.insert(0, "Indonesia")
    return {"countries": ctry, "provinces": prov}


def places_table(works: pd.DataFrame, work_ids) -> pd.DataFrame:
    """One row per (work, place): ``work_id, kind (country|province), place``; works naming
    no country get one row with place "not stated"."""
    by_id = works.set_index("work_id")
    rows = []
    for wid in work_ids:
        found = find_places(by_id.loc[wid])
        if not found["countries"]:
            rows.append({"work_id": wid, "kind": "country", "place": "not stated"})
        rows += [{"work_id": wid, "kind": "country", "place": c} for c in found["countries"]]
        rows += [{"work_id": wid, "kind": "province", "place": p} for p in found["provinces"]]
    return pd.DataFrame(rows, columns=["work_id", "kind", "place"])
