"""The protocol's parts as frozen, validated objects (pydantic models).

The protocol is data: questions, sources, criteria, codebook and seeds. Its hash
(:attr:`Protocol.hash`) goes into every output. :mod:`slr.protocol.load` reads it from YAML.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from slr.errors import ProtocolError

CRITERION_ID = r"^(IC|EC)[1-9][0-9]*$"
THEME_ID = r"^[A-Z][A-Z0-9]{0,3}[0-9]{2}$"
SLUG = r"^[a-z0-9][a-z0-9-]*$"

GROUPS = ("potential", "challenge", "strategy")
STAGES = ("automation", "title_abstract", "eligibility")
PRISMA_GROUPS = ("databases", "registers", "websites", "organisations", "citations", "other")
# The file formats slr reads (slr.ingest.sources has a reader for each).
SOURCE_FORMATS = (
    "ris",
    "bibtex",
    "asreview-csv",
    "openalex-json",
    "openalex-jsonl",
    "openalex-snapshot",
    "records-jsonl",
)
FILE_FORMATS = ("auto", *SOURCE_FORMATS)
# The normalised document types (OpenAlex's vocabulary); see slr.ingest.normalise.TYPE_ALIASES.
WORK_TYPES = (
    "article",
    "review",
    "book",
    "book-chapter",
    "conference-paper",
    "dissertation",
    "report",
    "preprint",
    "dataset",
    "editorial",
    "erratum",
    "letter",
    "paratext",
    "retraction",
    "other",
)
TEXT_FIELDS = ("title", "title_alt", "abstract", "abstract_alt", "keywords", "topics")

# Fields a harvest asks OpenAlex for (``select``): what the works table stores.
DEFAULT_SELECT = (
    "id",
    "doi",
    "title",
    "display_name",
    "publication_year",
    "publication_date",
    "language",
    "type",
    "primary_location",
    "authorships",
    "keywords",
    "primary_topic",
    "topics",
    "cited_by_count",
    "referenced_works",
    "abstract_inverted_index",
    "is_retracted",
    "ids",
)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Review(_Frozen):
    id: Annotated[str, Field(pattern=SLUG)]
    title: str
    version: str = "1.0.0"
    description: str = ""
    questions: dict[str, str]
    groups: dict[Literal["potential", "challenge", "strategy"], str] = Field(
        default_factory=lambda: {"potential": "RQ1", "challenge": "RQ2", "strategy": "RQ3"}
    )

    @model_validator(mode="after")
    def _groups_name_questions(self) -> Review:
        for group, rq in self.groups.items():
            if rq not in self.questions:
                raise ValueError(
                    f"groups.{group} names question {rq!r}, which is not one of the "
                    f"questions; valid options: {', '.join(self.questions)}"
                )
        return self


class OpenAlexSource(_Frozen):
    id: Annotated[str, Field(pattern=SLUG)]
    type: Literal["openalex"]
    description: str = ""
    search: str | None = None
    filter: dict[str, str | int | bool | list[str | int]] = Field(default_factory=dict)
    include_xpac: bool = True
    select: tuple[str, ...] = DEFAULT_SELECT
    prisma_group: Literal[PRISMA_GROUPS] = "databases"  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _has_query(self) -> OpenAlexSource:
        if not self.search and not self.filter:
            raise ValueError("an openalex source needs `search`, `filter` or both")
        return self


class FileSource(_Frozen):
    """A file of records. ``per_query``: the file lists each work once with the queries that
    found it (``found_by``); identification counts one record per query hit, and the repeats
    are then marked as duplicates like any others."""

    id: Annotated[str, Field(pattern=SLUG)]
    type: Literal["file"]
    description: str = ""
    path: str
    format: Literal[FILE_FORMATS] = "auto"  # type: ignore[valid-type]
    enrich_from: str | None = None
    per_query: bool = False
    prisma_group: Literal[PRISMA_GROUPS] = "other"  # type: ignore[valid-type]


Source = Annotated[OpenAlexSource | FileSource, Field(discriminator="type")]


class YearRule(_Frozen):
    kind: Literal["year"]
    min: int | None = None
    max: int | None = None


class LanguageRule(_Frozen):
    kind: Literal["language"]
    allowed: tuple[str, ...]


class TypeRule(_Frozen):
    kind: Literal["type"]
    excluded: tuple[Literal[WORK_TYPES], ...]  # type: ignore[valid-type]


class RetractedRule(_Frozen):
    kind: Literal["retracted"]


class TopicRule(_Frozen):
    """A boolean term query: at least one term of *every* block must occur in ``fields``."""

    kind: Literal["topic"]
    fields: tuple[Literal[TEXT_FIELDS], ...] = TEXT_FIELDS  # type: ignore[valid-type]
    all_of: dict[str, tuple[str, ...]]

    @field_validator("all_of")
    @classmethod
    def _blocks_not_empty(cls, v: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        if not v:
            raise ValueError("all_of needs at least one block of terms")
        for name, terms in v.items():
            if not terms:
                raise ValueError(f"block {name!r} has no terms")
        return v


class CodebookRule(_Frozen):
    """Eligible when the work's text carries evidence for at least ``min_themes`` themes."""

    kind: Literal["codebook"]
    min_themes: int = 1


Rule = Annotated[
    YearRule | LanguageRule | TypeRule | RetractedRule | TopicRule | CodebookRule,
    Field(discriminator="kind"),
]


class Criterion(_Frozen):
    id: Annotated[str, Field(pattern=CRITERION_ID)]
    label: str
    description: str = ""
    stage: Literal[STAGES] = "title_abstract"  # type: ignore[valid-type]
    rule: Rule | None = None

    @property
    def kind(self) -> str:
        """``inclusion`` for IC…, ``exclusion`` for EC…."""
        return "inclusion" if self.id.startswith("IC") else "exclusion"


class Terms(_Frozen):
    en: tuple[str, ...] = ()
    id: tuple[str, ...] = ()


class Theme(_Frozen):
    id: Annotated[str, Field(pattern=THEME_ID)]
    group: Literal[GROUPS]  # type: ignore[valid-type]
    label: str
    definition: str
    terms: Terms
    # broad words that tag only in context: a challenge needs a problem word in the same
    # sentence; other groups need the sentence to be semantically close to the theme
    cues: Terms = Terms()
    examples: tuple[str, ...] = ()  # English sentences the semantic method compares against
    exclude_terms: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _has_terms(self) -> Theme:
        if not self.terms.en and not self.terms.id:
            raise ValueError(f"theme {self.id} needs English or Indonesian indicator terms")
        return self


SCREENING_MODELS = ("slr", "elas-u4", "logistic", "nb", "minilm")


class Screening(_Frozen):
    reviewer: str = "slr-rules"
    automate: tuple[str, ...] | None = None
    model: Literal[SCREENING_MODELS] = "slr"  # type: ignore[valid-type]
    recall_target: Annotated[float, Field(gt=0, lt=1)] = 0.95
    confidence: Annotated[float, Field(gt=0, lt=1)] = 0.95


class Coding(_Frozen):
    coder: str = "slr-codebook"
    semantic: bool = True  # MiniLM sentence similarity (needs slr[embeddings])
    # cosine similarity at which a sentence counts as about a theme; calibrated on the
    # review's validation sample (``make bench-coding`` reports it cross-validated)
    threshold: Annotated[float, Field(gt=0, lt=1)] = 0.45
    topics: bool = True  # BERTopic on the included works (needs slr[topics])
    topics_seed: int | None = None  # default: the protocol's seed
    validation: str | None = None  # the coded validation sample (CSV), relative to the project


class Claim(_Frozen):
    """A claim of the article under review, checked against the coded corpus."""

    id: Annotated[str, Field(pattern=r"^SC[0-9]+$")]
    text: str
    themes: tuple[str, ...] = ()  # codebook themes that carry the claim (each a part)
    places: tuple[str, ...] = ()  # places the claim names (slr.report.places names)


class Reference(_Frozen):
    """An entry of the article's bibliography, as printed."""

    id: str
    authors: str
    year: int | None = None
    title: str
    venue: str = ""
    doi: str | None = None
    note: str = ""  # a reviewer's note (not a check slr ran)


class SeedArticle(_Frozen):
    """The article a review redoes: its claims and its bibliography, as data."""

    citation: str
    # a claim's part counts as found when this many included works carry it …
    min_works: Annotated[int, Field(ge=1)] = 3
    # … and at least this share of the included works
    min_share: Annotated[float, Field(ge=0, le=1)] = 0.05
    claims: tuple[Claim, ...] = ()
    references: tuple[Reference, ...] = ()


class Protocol(_Frozen):
    review: Review
    sources: tuple[Source, ...]
    criteria: tuple[Criterion, ...]
    screening: Screening = Screening()
    coding: Coding = Coding()
    codebook: tuple[Theme, ...]
    seed_article: SeedArticle | None = None
    seed: int = 42

    # set by load_protocol, not by the YAML
    path: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _cross_checks(self) -> Protocol:
        _unique("sources", [s.id for s in self.sources])
        _unique("criteria", [c.id for c in self.criteria])
        _unique("codebook", [t.id for t in self.codebook])
        if self.seed_article is not None:
            themes = {t.id for t in self.codebook}
            _unique("seed_article.claims", [c.id for c in self.seed_article.claims])
            for c in self.seed_article.claims:
                bad = [t for t in c.themes if t not in themes]
                if bad:
                    raise ValueError(
                        f"seed_article.claims {c.id}: unknown theme(s) {', '.join(bad)}; "
                        f"valid options: {', '.join(sorted(themes))}"
                    )
        known = {c.id: c for c in self.criteria}
        for i, cid in enumerate(self.screening.automate or ()):
            if cid not in known:
                raise ValueError(
                    f"screening.automate[{i}]: unknown criterion {cid!r}; "
                    f"valid options: {', '.join(known)}"
                )
            if known[cid].rule is None:
                raise ValueError(
                    f"screening.automate[{i}]: criterion {cid} has no `rule`, so it cannot be "
                    f"automated; criteria with rules: "
                    f"{', '.join(c.id for c in self.criteria if c.rule) or 'none'}"
                )
        return self

    # ------------------------------------------------------------------ derived facts
    @property
    def hash(self) -> str:
        """SHA-256 of the validated protocol's canonical JSON (comments and layout ignored)."""
        payload = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    @property
    def version(self) -> str:
        """``<review.version>+<first 12 hex of the hash>``: what every decision row carries."""
        return f"{self.review.version}+{self.hash[:12]}"

    @property
    def topics_seed(self) -> int:
        """The seed of the topic model: ``coding.topics_seed``, else the protocol's seed."""
        return self.coding.topics_seed if self.coding.topics_seed is not None else self.seed

    def automated_criteria(self) -> list[Criterion]:
        """The criteria applied by rule screening, in order."""
        by_id = {c.id: c for c in self.criteria}
        if self.screening.automate is not None:
            return [by_id[cid] for cid in self.screening.automate]
        return [c for c in self.criteria if c.rule is not None]

    def criterion(self, criterion_id: str) -> Criterion:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise ProtocolError(
            f"unknown criterion {criterion_id!r}; valid options: "
            f"{', '.join(c.id for c in self.criteria)}"
        )

    def themes(self, group: str | None = None) -> list[Theme]:
        if group is not None and group not in GROUPS:
            raise ProtocolError(
                f"unknown theme group {group!r}; valid options: {', '.join(GROUPS)}"
            )
        return [t for t in self.codebook if group is None or t.group == group]


def _unique(field: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for i, x in enumerate(ids):
        if x in seen:
            raise ValueError(f"{field}[{i}]: id {x!r} is used twice; ids must be unique")
        seen.add(x)
