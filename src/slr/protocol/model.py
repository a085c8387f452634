"""The protocol as frozen, validated objects (pydantic models).

The protocol is data, everything about one review: questions, languages, sources, criteria,
the codebook and its groups, the words the tagger reads, the gazetteer, the seed article and the
seeds. Its hash (:attr:`Protocol.hash`) goes into every output. :mod:`slr.protocol.load` reads
it from YAML.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from slr.errors import ProtocolError
from slr.protocol.base import CRITERION_ID, LANGUAGE, SLUG, Frozen, check_unique
from slr.protocol.codebook import Coding, Group, Language, Terms, Theme
from slr.protocol.places import Gazetteer

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


class Review(Frozen):
    id: Annotated[str, Field(pattern=SLUG)]
    title: str
    version: str = "1.0.0"
    description: str = ""
    questions: dict[str, str]
    # the write-up's own words: why the review is needed, and its other information
    rationale: str = ""
    registration: str = ""  # where the review or its protocol is registered; empty: not
    funding: str = ""  # empty: no funding
    competing_interests: str = ""  # empty: none declared


class OpenAlexSource(Frozen):
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


class FileSource(Frozen):
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


class YearRule(Frozen):
    kind: Literal["year"]
    min: int | None = None
    max: int | None = None


class LanguageRule(Frozen):
    kind: Literal["language"]
    allowed: tuple[str, ...]


class TypeRule(Frozen):
    kind: Literal["type"]
    excluded: tuple[Literal[WORK_TYPES], ...]  # type: ignore[valid-type]


class RetractedRule(Frozen):
    kind: Literal["retracted"]


TOPIC_PARTIAL = ("unsure", "exclude")


class TopicRule(Frozen):
    """A boolean term query: at least one term of *every* block must occur in ``fields``.

    A work with terms of some blocks but not all is not clearly off topic: ``partial: unsure``
    (the default) sends it to people (an ``unsure`` decision, awaiting screening), ``exclude``
    excludes it. A work with no term of any block is excluded.
    """

    kind: Literal["topic"]
    fields: tuple[Literal[TEXT_FIELDS], ...] = TEXT_FIELDS  # type: ignore[valid-type]
    all_of: dict[str, tuple[str, ...]]
    partial: Literal[TOPIC_PARTIAL] = "unsure"  # type: ignore[valid-type]

    @field_validator("all_of")
    @classmethod
    def _blocks_not_empty(cls, v: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        if not v:
            raise ValueError("all_of needs at least one block of terms")
        for name, terms in v.items():
            if not terms:
                raise ValueError(f"block {name!r} has no terms")
        return v


class CodebookRule(Frozen):
    """Eligible when the work's text carries evidence for at least ``min_themes`` themes.

    The themes are the tagger's, which misses some: ``too_few: unsure`` sends a work with fewer
    to people (an ``unsure`` decision, awaiting assessment); ``exclude`` (the default) excludes
    it.
    """

    kind: Literal["codebook"]
    min_themes: int = 1
    too_few: Literal[TOPIC_PARTIAL] = "exclude"  # type: ignore[valid-type]


Rule = Annotated[
    YearRule | LanguageRule | TypeRule | RetractedRule | TopicRule | CodebookRule,
    Field(discriminator="kind"),
]


class Criterion(Frozen):
    id: Annotated[str, Field(pattern=CRITERION_ID)]
    label: str
    description: str = ""
    stage: Literal[STAGES] = "title_abstract"  # type: ignore[valid-type]
    rule: Rule | None = None

    @property
    def kind(self) -> str:
        """``inclusion`` for IC…, ``exclusion`` for EC…."""
        return "inclusion" if self.id.startswith("IC") else "exclusion"


SCREENING_MODELS = ("elas-u4", "slr", "logistic", "nb", "minilm", "semantic")
DEFAULT_SCREENING_MODEL = "elas-u4"  # slr.screen.model says why


class Screening(Frozen):
    reviewer: str = "slr-rules"
    automate: tuple[str, ...] | None = None
    model: Literal[SCREENING_MODELS] = DEFAULT_SCREENING_MODEL  # type: ignore[valid-type]
    # the review's question (Protocol.question_text) trained on as a relevant record, so the
    # ranking learns from the first decision on (slr simulate --query; make bench-screening)
    question_prior: bool = False
    recall_target: Annotated[float, Field(gt=0, lt=1)] = 0.95
    confidence: Annotated[float, Field(gt=0, lt=1)] = 0.95
    # people's screening of a stratified random sample (CSV, relative to the project): what
    # the automation's recall and precision are measured on (slr.screen.validate)
    validation: str | None = None


class Claim(Frozen):
    """A claim of the article under review, checked against the coded corpus."""

    id: Annotated[str, Field(pattern=r"^SC[0-9]+$")]
    text: str
    themes: tuple[str, ...] = ()  # codebook themes that carry the claim (each a part)
    places: tuple[str, ...] = ()  # places the claim names (names in the protocol's gazetteer)
    outcomes: tuple[str, ...] = ()  # outcomes the claim names (keys of seed_article.outcomes)


class Reference(Frozen):
    """An entry of the article's bibliography, as printed."""

    id: str
    authors: str
    year: int | None = None
    title: str
    venue: str = ""
    doi: str | None = None
    note: str = ""  # a reviewer's note (not a check slr ran)


class SeedArticle(Frozen):
    """The article a review redoes: its claims and its bibliography, as data."""

    citation: str
    # a claim's part counts as found when this many included works carry it …
    min_works: Annotated[int, Field(ge=1)] = 3
    # … and at least this share of the included works
    min_share: Annotated[float, Field(ge=0, le=1)] = 0.05
    # outcomes a claim may name (income, jobs …): each its terms per language; a work reports
    # an outcome when a result sentence of its abstract has one of the terms
    outcomes: dict[str, Terms] = Field(default_factory=dict)
    claims: tuple[Claim, ...] = ()
    references: tuple[Reference, ...] = ()


class Protocol(Frozen):
    review: Review
    languages: dict[Annotated[str, Field(pattern=LANGUAGE)], Language]
    groups: tuple[Group, ...]
    sources: tuple[Source, ...]
    criteria: tuple[Criterion, ...]
    screening: Screening = Screening()
    coding: Coding = Coding()
    codebook: tuple[Theme, ...]
    # the gazetteer: inline, or the path of a YAML file (relative to the project) read on load
    places: Gazetteer | None = None
    seed_article: SeedArticle | None = None
    seed: int = 42

    # set by load_protocol, not by the YAML: the protocol's file and the files it included
    path: Path | None = Field(default=None, exclude=True)
    includes: tuple[Path, ...] = Field(default=(), exclude=True)

    @model_validator(mode="after")
    def _cross_checks(self) -> Protocol:
        check_unique("sources", [s.id for s in self.sources])
        check_unique("criteria", [c.id for c in self.criteria])
        check_unique("codebook", [t.id for t in self.codebook])
        check_unique("groups", [g.id for g in self.groups])
        for i, g in enumerate(self.groups):
            _known(f"groups[{i}].question", [g.question], self.review.questions, "question")
        groups = [g.id for g in self.groups]
        for i, t in enumerate(self.codebook):
            _known(f"codebook[{i}] ({t.id}).group", [t.group], groups, "group")
            _known(f"codebook[{i}] ({t.id}).terms", t.terms, self.languages, "language")
            _known(f"codebook[{i}] ({t.id}).cues", t.cues, self.languages, "language")
        for field in ("problem_terms", "method_terms"):
            _known(f"coding.{field}", getattr(self.coding, field), self.languages, "language")
        if self.seed_article is not None:
            themes = sorted(t.id for t in self.codebook)
            check_unique("seed_article.claims", [c.id for c in self.seed_article.claims])
            places = sorted(self.places.names) if self.places else []
            for c in self.seed_article.claims:
                _known(f"seed_article.claims {c.id}", c.themes, themes, "theme")
                _known(f"seed_article.claims {c.id}", c.places, places, "place")
                _known(
                    f"seed_article.claims {c.id}", c.outcomes, self.seed_article.outcomes, "outcome"
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

    def question_text(self) -> str:
        """The review's question in words, as a screening model can read it: the title, the
        description, the research questions, and every inclusion criterion judged on title
        and abstract (label and description)."""
        parts = [self.review.title, self.review.description, *self.review.questions.values()]
        for c in self.criteria:
            if c.kind == "inclusion" and c.stage == "title_abstract":
                parts += [c.label, c.description]
        return " ".join(" ".join(p.split()) for p in parts if p)

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

    def group(self, group_id: str) -> Group:
        for g in self.groups:
            if g.id == group_id:
                return g
        raise ProtocolError(
            f"unknown theme group {group_id!r}; valid options: "
            f"{', '.join(g.id for g in self.groups)}"
        )

    def themes(self, group: str | None = None) -> list[Theme]:
        if group is not None:
            self.group(group)  # raises, naming the valid groups
        return [t for t in self.codebook if group is None or t.group == group]

    def function_words(self) -> dict[str, frozenset[str]]:
        """Each language's function words (to tell which language a sentence is in)."""
        return {code: frozenset(lang.function_words) for code, lang in self.languages.items()}


def _known(field: str, used, valid, what: str) -> None:
    """Raise naming ``field`` when it uses a ``what`` that is not in ``valid``."""
    bad = [x for x in used if x not in valid]
    if bad:
        raise ValueError(
            f"{field}: unknown {what}(s) {', '.join(map(str, bad))}; valid options: "
            f"{', '.join(map(str, valid)) or 'none'}"
        )
