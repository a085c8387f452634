"""Raw records → the works table (one row per record, keyed by ``work_id``).

Each source format has a mapper from its raw record to the works columns; field aliases are
lookup tables, not code. Values are cleaned the same way for every format
(:mod:`slr.ingest.fields`): DOIs normalised, abstracts rebuilt from OpenAlex's inverted index,
years parsed, document types and languages mapped to one vocabulary (the source's own value is
kept in ``type_source``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd

from slr.errors import SourceError, shorten
from slr.ingest.fields import (
    as_kind,
    clean_list,
    clean_str,
    invert_abstract,
    normalise_doi,
    normalise_language,
    normalise_title,
    normalise_type,
    openalex_short_id,
    parse_year,
)
from slr.ingest.sources import RawRecord, SourceFile
from slr.tables.contracts import WORKS
from slr.tables.schema import conform

# ---------------------------------------------------------------------- per-format mappers


def _first(data: dict[str, Any], keys: Iterable[str]) -> Any:
    for k in keys:
        v = data.get(k)
        if isinstance(v, list):
            v = next((x for x in v if clean_str(x)), None)
        if clean_str(v) is not None:
            return v
    return None


def from_openalex(work: dict[str, Any]) -> dict[str, Any]:
    loc = work.get("primary_location") or {}
    source = loc.get("source") or {}
    authorships = work.get("authorships") or []
    countries: list[str] = []
    for a in authorships:
        for c in a.get("countries") or []:
            countries.append(c)
        for inst in a.get("institutions") or []:
            if inst.get("country_code"):
                countries.append(inst["country_code"])
    keywords = []
    for k in work.get("keywords") or []:
        keywords.append(k.get("display_name") or k.get("keyword") if isinstance(k, dict) else k)
    topics = [t.get("display_name") for t in work.get("topics") or [] if isinstance(t, dict)]
    if not topics and isinstance(work.get("primary_topic"), dict):
        topics = [work["primary_topic"].get("display_name")]
    return {
        "openalex_id": openalex_short_id(work.get("id")),
        "doi": normalise_doi(work.get("doi") or (work.get("ids") or {}).get("doi")),
        "title": clean_str(work.get("title") or work.get("display_name")),
        "abstract": invert_abstract(work.get("abstract_inverted_index")),
        "publication_year": parse_year(work.get("publication_year")),
        "publication_date": clean_str(work.get("publication_date")),
        "language": normalise_language(work.get("language")),
        "type_source": clean_str(work.get("type")),
        "venue": clean_str(source.get("display_name")),
        "authors": clean_list([(a.get("author") or {}).get("display_name") for a in authorships]),
        "institution_countries": sorted({c.upper() for c in countries if c}),
        "keywords": clean_list(keywords),
        "topics": clean_list(topics),
        "cited_by_count": work.get("cited_by_count"),
        "referenced_works": [
            x for x in (openalex_short_id(r) for r in work.get("referenced_works") or []) if x
        ],
        "url": clean_str(loc.get("landing_page_url"))
        or (f"https://doi.org/{normalise_doi(work.get('doi'))}" if work.get("doi") else None),
        "is_retracted": work.get("is_retracted"),
    }


RIS_FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("title", "primary_title", "translated_title", "short_title"),
    "abstract": ("abstract", "notes_abstract"),
    "year": ("year", "publication_year", "date"),
    "venue": ("journal_name", "secondary_title", "alternate_title3", "alternate_title1",
              "alternate_title2", "tertiary_title"),
    "language": ("language",),
    "doi": ("doi",),
    "date": ("date",),
}  # fmt: skip
RIS_AUTHORS = ("authors", "first_authors", "secondary_authors", "tertiary_authors")


def from_ris(entry: dict[str, Any]) -> dict[str, Any]:
    urls = [u for u in clean_list(entry.get("urls")) if u]
    doi = normalise_doi(_first(entry, RIS_FIELDS["doi"]))
    if doi is None:
        doi = next((normalise_doi(u) for u in urls if "doi.org/" in u.lower()), None)
    authors: list[str] = []
    for key in RIS_AUTHORS:
        authors += clean_list(entry.get(key))
        if authors:
            break
    return {
        "doi": doi,
        "title": clean_str(_first(entry, RIS_FIELDS["title"])),
        "abstract": clean_str(_first(entry, RIS_FIELDS["abstract"])),
        "publication_year": parse_year(_first(entry, RIS_FIELDS["year"])),
        "publication_date": clean_str(_first(entry, RIS_FIELDS["date"])),
        "language": normalise_language(_first(entry, RIS_FIELDS["language"])),
        "type_source": clean_str(entry.get("type_of_reference")),
        "venue": clean_str(_first(entry, RIS_FIELDS["venue"])),
        "authors": authors,
        "keywords": clean_list(entry.get("keywords")),
        "url": next((u for u in urls if u.lower().startswith("http")), None),
        "other_urls": [u for u in urls if u.lower().startswith("http")][1:],
    }


def from_bibtex(entry: dict[str, Any]) -> dict[str, Any]:
    doi = normalise_doi(entry.get("doi"))
    url = clean_str(entry.get("url"))
    if doi is None and url and "doi.org/" in url.lower():
        doi = normalise_doi(url)
    return {
        "doi": doi,
        "title": clean_str(_strip_braces(entry.get("title"))),
        "abstract": clean_str(_strip_braces(entry.get("abstract"))),
        "publication_year": parse_year(entry.get("year") or entry.get("date")),
        "publication_date": clean_str(entry.get("date")),
        "language": normalise_language(entry.get("language") or entry.get("langid")),
        "type_source": entry.get("ENTRYTYPE"),
        "venue": clean_str(
            _strip_braces(
                entry.get("journal") or entry.get("journaltitle") or entry.get("booktitle")
            )
        ),
        "authors": clean_list(_strip_braces(entry.get("author")), split=r"\s+and\s+"),
        "keywords": clean_list(_strip_braces(entry.get("keywords")), split=r"[;,]"),
        "url": url,
        "openalex_id": openalex_short_id(entry.get("openalex")),
    }


def _strip_braces(value: Any) -> Any:
    return value.replace("{", "").replace("}", "") if isinstance(value, str) else value


# ASReview's column aliases, lower case (as in asreview/data/base.py, extended).
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "title": ("title", "primary_title", "ti", "t1", "article title", "document title"),
    "abstract": ("abstract", "notes_abstract", "ab", "n2", "abstract note"),
    "authors": ("authors", "author", "au", "a1", "first_authors", "author names", "author full names"),
    "keywords": ("keywords", "kw", "author keywords", "mesh_terms", "mesh terms", "index keywords"),
    "doi": ("doi", "do"),
    "year": ("year", "publication_year", "py", "publication year", "date"),
    "venue": ("journal", "venue", "secondary_title", "source title", "source", "jo", "t2", "publication title"),
    "type": ("type", "document type", "document_type", "ty", "type_of_reference"),
    "language": ("language", "la", "language of original document"),
    "url": ("url", "ur", "link", "urls"),
    "openalex_id": ("openalex_id", "openalex"),
    "cited_by_count": ("cited_by_count", "cited by", "times cited"),
}  # fmt: skip


def from_asreview_csv(row: dict[str, Any]) -> dict[str, Any]:
    lower = {k.lower().strip(): v for k, v in row.items()}

    def pick(name: str) -> Any:
        return _first(lower, CSV_COLUMNS[name])

    cited = clean_str(pick("cited_by_count"))
    url = clean_str(pick("url"))
    doi = normalise_doi(pick("doi"))
    if doi is None and url and "doi.org/" in url.lower():
        doi = normalise_doi(url)
    return {
        "openalex_id": openalex_short_id(pick("openalex_id")),
        "doi": doi,
        "title": clean_str(pick("title")),
        "abstract": clean_str(pick("abstract")),
        "publication_year": parse_year(pick("year")),
        "language": normalise_language(pick("language")),
        "type_source": clean_str(pick("type")),
        "venue": clean_str(pick("venue")),
        "authors": clean_list(pick("authors"), split=r"\s*;\s*"),
        "keywords": clean_list(pick("keywords"), split=r"\s*[;]\s*"),
        "url": url,
        "cited_by_count": int(float(cited))
        if cited and re.fullmatch(r"\d+(\.0)?", cited)
        else None,
    }


def from_records_jsonl(rec: dict[str, Any]) -> dict[str, Any]:
    """slr's own record format (one JSON object per line with the works' fields; see
    corpus/README.md)."""
    if str(rec.get("id", "")).startswith("https://openalex.org/W"):
        return from_openalex(rec)
    return {
        "openalex_id": openalex_short_id(rec.get("openalex_id")),
        "doi": normalise_doi(rec.get("doi")),
        "title": clean_str(rec.get("title")),
        "title_alt": clean_str(rec.get("title_alt")),
        "abstract": clean_str(rec.get("abstract")),
        "abstract_alt": clean_str(rec.get("abstract_alt")),
        "publication_year": parse_year(rec.get("year") or rec.get("publication_year")),
        "publication_date": clean_str(rec.get("publication_date")),
        "language": normalise_language(rec.get("language")),
        "type_source": clean_str(rec.get("document_type") or rec.get("type")),
        "venue": clean_str(rec.get("venue")),
        "authors": clean_list(rec.get("authors")),
        "institution_countries": clean_list(rec.get("institution_countries")),
        "keywords": clean_list(rec.get("keywords")),
        "url": clean_str(rec.get("url")),
        "other_urls": clean_list(rec.get("other_urls")),
        "found_by": clean_list(rec.get("found_by")),
        "cited_by_count": rec.get("cited_by_count"),
        "is_retracted": rec.get("is_retracted"),
    }


MAPPERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "ris": from_ris,
    "bibtex": from_bibtex,
    "asreview-csv": from_asreview_csv,
    "openalex-json": from_openalex,
    "openalex-jsonl": from_openalex,
    "openalex-snapshot": from_openalex,
    "records-jsonl": from_records_jsonl,
}


# ---------------------------------------------------------------------- works table


def normalise_records(
    records: Iterable[RawRecord], *, source_id: str, source_format: str, where: str = ""
) -> pd.DataFrame:
    """Map raw records of one source to works rows (``work_id`` not yet assigned).

    Returns a frame with the works columns; ``work_id`` holds a provisional fingerprint that
    :func:`assign_work_ids` turns into the final key.
    """
    mapper = MAPPERS[source_format]
    rows = []
    for rec in records:
        row = _mapped(mapper, rec, f"{where}: {rec.locator}" if where else rec.locator)
        row["type"] = normalise_type(row.get("type_source"))
        row["source_id"] = source_id
        row["source_format"] = source_format
        row["source_record"] = f"{where}: {rec.locator}" if where else rec.locator
        rows.append(row)
    df = pd.DataFrame(rows, columns=[*WORKS.names]) if rows else WORKS.empty()
    df["work_id"] = ""
    return conform(df, WORKS)


# what a mapper raises on a value of a type it cannot read (a dict where text belongs …)
UNREADABLE = (TypeError, ValueError, AttributeError, KeyError, IndexError)


def _mapped(mapper: Callable, rec: RawRecord, where: str) -> dict[str, Any]:
    """``mapper(rec.data)``, every value of the kind its works column holds; a value of the
    wrong type is an error naming the file, the record and the field."""
    try:
        row = mapper(rec.data)
    except UNREADABLE as e:
        raise SourceError(f"{where}: {_culprit(mapper, rec.data)} ({type(e).__name__}: {e})") from e
    for col in WORKS.columns:
        value = row.get(col.name)
        if value is None or (isinstance(value, float) and value != value):
            continue
        fitted = as_kind(value, col.kind)
        if fitted is None:
            raise SourceError(
                f"{where}: field {col.name!r} holds {type(value).__name__} "
                f"{shorten(json.dumps(value, default=str), 80)}; slr reads it as {col.kind}"
            )
        row[col.name] = fitted
    return row


def _culprit(mapper: Callable, data: dict[str, Any]) -> str:
    """Which field of a record its mapper cannot read (each field tried alone)."""
    keep = {k: data[k] for k in ("id",) if k in data}
    for key, value in data.items():
        try:
            mapper({**keep, key: value})
        except UNREADABLE:
            return f"field {key!r} holds a value slr cannot read: " + shorten(
                json.dumps(value, default=str), 80
            )
    return "a record slr cannot read"


def normalise_source(
    source: SourceFile, *, source_id: str, where: str | None = None
) -> pd.DataFrame:
    return normalise_records(
        source.records,
        source_id=source_id,
        source_format=source.format,
        where=where if where is not None else source.path.name,
    )


def _fingerprint(row: pd.Series) -> str:
    if pd.notna(row["doi"]):
        return f"doi:{row['doi']}"
    first_author = row["authors"][0] if row["authors"] else ""
    year = "" if pd.isna(row["publication_year"]) else str(row["publication_year"])
    title = normalise_title(row["title"]) if pd.notna(row["title"]) else ""
    return f"t:{title}|{year}|{normalise_title(first_author)}"


def assign_work_ids(works: pd.DataFrame) -> pd.DataFrame:
    """Give every row its key.

    A record with an OpenAlex ID gets that ID (``W…``); a second record of the same OpenAlex work
    (another query, another file) gets ``W…~<source_id>``. Other records get ``R`` + 12 hex of a
    hash of their source and fingerprint (DOI, else title + year + first author), stable across
    runs and file re-orderings; identical fingerprints within a source get ``-2``, ``-3`` ….
    """
    works = works.copy()
    ids: list[str] = []
    taken: Counter[str] = Counter()
    for _, row in works.iterrows():
        if pd.notna(row["openalex_id"]):
            base = str(row["openalex_id"])
            if taken[base]:
                base = f"{base}~{row['source_id']}"
        else:
            digest = hashlib.sha1(f"{row['source_id']}|{_fingerprint(row)}".encode()).hexdigest()[
                :12
            ]
            base = f"R{digest}"
        taken[base] += 1
        ids.append(base if taken[base] == 1 else f"{base}-{taken[base]}")
    works["work_id"] = pd.array(ids, dtype="string")
    return works


def enrich_from(works: pd.DataFrame, full: pd.DataFrame, *, fields: Iterable[str]) -> pd.DataFrame:
    """Fill ``fields`` of ``works`` from ``full`` (the same records with more fields), matched on
    URL, else DOI, else normalised title. Filled values are recorded in ``filled_from``."""
    keys = {}
    for _, r in full.iterrows():
        for k in (r["url"], r["doi"]):
            if pd.notna(k):
                keys.setdefault(("k", str(k)), r)
        if pd.notna(r["title"]):
            keys.setdefault(("t", normalise_title(r["title"])), r)
    works = works.copy()
    fields = list(fields)
    for i, row in works.iterrows():
        match = None
        for k in (row["url"], row["doi"]):
            if pd.notna(k) and ("k", str(k)) in keys:
                match = keys[("k", str(k))]
                break
        if match is None and pd.notna(row["title"]):
            match = keys.get(("t", normalise_title(row["title"])))
        if match is None:
            continue
        filled = json.loads(row["filled_from"]) if pd.notna(row["filled_from"]) else {}
        for f in fields:
            if pd.isna(works.at[i, f]) and pd.notna(match[f]):
                works.at[i, f] = match[f]
                filled[f] = f"enrich:{match['source_record']}"
        if filled:
            works.at[i, "filled_from"] = json.dumps(filled, sort_keys=True)
    return works


def expand_per_query(works: pd.DataFrame) -> pd.DataFrame:
    """One row per (record, query that found it), as the queries' result lists were before the
    collector merged them; records without ``found_by`` stay one row."""
    rows = []
    for _, row in works.iterrows():
        queries = row["found_by"] or [None]
        for n, q in enumerate(queries, start=1):
            r = row.copy()
            if q is not None:
                r["found_by"] = [q]
                if len(queries) > 1:
                    r["source_record"] = f"{row['source_record']}, query {n} of {len(queries)}"
            rows.append(r)
    return conform(pd.DataFrame(rows, columns=works.columns), WORKS) if rows else works
