"""Value cleaners: one way for every source format to clean a string, a DOI, a year, a list, a
document type, a language and a title."""

from __future__ import annotations

import html
import re
import sys
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from pyalex.api import invert_abstract as _invert

_MISSING = {"", "na", "n/a", "nan", "none", "null", "-"}
_DOI_PREFIX = re.compile(
    r"^(?:https?://(?:dx\.)?doi\.org/|https?://doi\.org/|doi\.org/|doi:\s*|doi\s+)", re.I
)
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_IN_TEXT = re.compile(r"10\.\d{4,9}/[^\s\"<>]+", re.I)


def clean_str(value: Any) -> str | None:
    """Strip a value; ``None`` for missing markers (``''``, ``NA``, ``nan`` …)."""
    if value is None:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):  # an object where text belongs: the caller names the field
        raise TypeError(f"expected text, got an object with keys {list(value)[:5]}")
    if isinstance(value, list):
        value = " ".join(str(clean_str(v) or "") for v in value if v is not None).strip()
    s = re.sub(r"\s+", " ", html.unescape(str(value))).strip()
    return None if s.lower() in _MISSING else s


def normalise_doi(value: Any) -> str | None:
    """``https://doi.org/10.1000/ABC.`` → ``10.1000/abc``; ``None`` if it is not a DOI."""
    s = clean_str(value)
    if not s:
        return None
    s = unquote(_DOI_PREFIX.sub("", s.strip())).strip().lower()
    s = s.rstrip(".,;)]}>")
    if _DOI.match(s):
        return s
    m = _DOI_IN_TEXT.search(s)
    return m.group(0).rstrip(".,;)]}>") if m else None


def openalex_short_id(value: Any) -> str | None:
    """``https://openalex.org/W123`` → ``W123``."""
    s = clean_str(value)
    if not s:
        return None
    m = re.search(r"([WASIPCFT]\d+)$", s, re.I)
    return m.group(1).upper() if m else None


def parse_year(value: Any) -> int | None:
    """The first plausible four-digit year in a value (``2014///``, ``2019-05-01`` …)."""
    if value is None:
        return None
    if isinstance(value, int):
        return value if 1000 <= value <= 2100 else None
    m = re.search(r"(1[5-9]\d\d|20\d\d|2100)", str(value))
    return int(m.group(1)) if m else None


def clean_list(value: Any, *, split: str | None = None) -> list[str]:
    """A list of clean strings from a list, a delimited string or nothing."""
    if value is None:
        return []
    if isinstance(value, str):
        items: Iterable[Any] = re.split(split, value) if split else [value]
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        items = [value]
    out = []
    for v in items:
        s = clean_str(v)
        if s:
            out.append(s)
    return out


def invert_abstract(index: dict[str, list[int]] | None) -> str | None:
    """Rebuild an abstract from OpenAlex's ``abstract_inverted_index`` (pyalex's helper)."""
    if not index:
        return None

    return clean_str(_invert(index))


# Document types: source vocabularies → OpenAlex's (slr.protocol.WORK_TYPES).
TYPE_ALIASES: dict[str, str] = {
    # OpenAlex / Crossref
    "article": "article", "journal-article": "article", "review": "review",
    "book": "book", "monograph": "book", "edited-book": "book", "reference-book": "book",
    "book-chapter": "book-chapter", "book-section": "book-chapter", "book-part": "book-chapter",
    "proceedings-article": "conference-paper", "conference": "conference-paper",
    "conference-paper": "conference-paper", "dissertation": "dissertation",
    "thesis": "dissertation", "report": "report", "posted-content": "preprint",
    "preprint": "preprint", "dataset": "dataset", "editorial": "editorial",
    "erratum": "erratum", "letter": "letter", "paratext": "paratext",
    "retraction": "retraction", "other": "other", "standard": "other",
    "peer-review": "other", "libguides": "other", "supplementary-materials": "other",
    "grant": "other", "reference-entry": "other",
    # document types that journal websites give (community service reports)
    "community-service-report": "report",
    # RIS type codes
    "jour": "article", "ejour": "article", "mgzn": "article", "inpr": "article",
    "jfull": "other", "chap": "book-chapter", "echap": "book-chapter", "ebook": "book",
    "edbook": "book", "conf": "conference-paper", "cpaper": "conference-paper",
    "thes": "dissertation", "rprt": "report", "govdoc": "report", "unpb": "preprint",
    "manscpt": "preprint", "data": "dataset", "dbase": "dataset", "gen": "other",
    "elec": "other", "blog": "other", "news": "other", "slide": "other",
    "pamp": "other", "pcomm": "other", "icomm": "other", "abst": "other", "ser": "other",
    # BibTeX entry types
    "inproceedings": "conference-paper", "proceedings": "book", "incollection": "book-chapter",
    "inbook": "book-chapter", "phdthesis": "dissertation", "mastersthesis": "dissertation",
    "techreport": "report", "unpublished": "preprint", "misc": "other", "online": "other",
    "booklet": "book", "manual": "other",
}  # fmt: skip

LANGUAGE_ALIASES: dict[str, str] = {
    "en": "en", "eng": "en", "english": "en", "inggris": "en",
    "id": "id", "ind": "id", "indonesian": "id", "bahasa indonesia": "id", "indonesia": "id",
    "in": "id", "ms": "ms", "malay": "ms", "nl": "nl", "dutch": "nl", "de": "de",
    "german": "de", "fr": "fr", "french": "fr", "es": "es", "spanish": "es", "pt": "pt",
    "portuguese": "pt", "zh": "zh", "chinese": "zh", "ja": "ja", "japanese": "ja",
    "sv": "sv", "swedish": "sv", "no": "no", "norwegian": "no", "da": "da", "danish": "da",
}  # fmt: skip


def normalise_type(value: Any) -> str | None:
    s = clean_str(value)
    if not s:
        return None
    return TYPE_ALIASES.get(s.lower().replace("_", "-"), "other")


def normalise_language(value: Any) -> str | None:
    s = clean_str(value)
    if not s:
        return None
    key = s.lower()
    if key in LANGUAGE_ALIASES:
        return LANGUAGE_ALIASES[key]
    return key if re.fullmatch(r"[a-z]{2}", key) else None


@lru_cache(maxsize=1)
def _combining_marks() -> dict[int, None]:
    """A str.translate table deleting every combining mark (912 code points; built once)."""
    return {cp: None for cp in range(sys.maxunicode + 1) if unicodedata.combining(chr(cp))}


_PUNCTUATION = re.compile(r"[\W_]+")


def normalise_title(title: Any) -> str:
    """A title reduced for matching: entities decoded, accents and case folded, slug dashes and
    punctuation to spaces."""
    s = clean_str(title) or ""
    if not s.isascii():  # ASCII has no accents to fold
        s = unicodedata.normalize("NFKD", s).translate(_combining_marks())
    return " ".join(_PUNCTUATION.sub(" ", s.casefold()).split())


def as_kind(value: Any, kind: str) -> Any:
    """``value`` as a table cell of ``kind`` (str, list, bool, int, float; a number may come
    as text), or None when it cannot be one."""
    if kind == "str":
        return value if isinstance(value, str) else None
    if kind == "list":
        return value if isinstance(value, list) and all(isinstance(v, str) for v in value) else None
    if kind == "bool":
        return value if isinstance(value, bool) else None
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+(\.\d+)?\s*", value):
        value = float(value)
    if kind == "int" and isinstance(value, int | float) and float(value).is_integer():
        return int(value)
    if kind == "float" and isinstance(value, int | float) and abs(value) < float("inf"):
        return float(value)
    return None
