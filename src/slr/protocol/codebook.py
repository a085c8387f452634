"""The codebook and the words of the review: groups of themes, the languages the records are in,
the themes with their terms per language, and how the tagger reads them.

Terms are keyed by language code (``{en: [...], id: [...]}``); every code must be one of the
protocol's ``languages``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from slr.protocol.base import COLOUR, LANGUAGE, SLUG, THEME_ID, Frozen

# language code → terms, in the order given (case-insensitive; ``*`` matches any ending)
Terms = dict[Annotated[str, Field(pattern=LANGUAGE)], tuple[str, ...]]
CUE_RULES = ("near_problem", "in_title")


def all_terms(terms: Terms) -> tuple[str, ...]:
    """Every term of every language, languages in the order the protocol gives them."""
    return tuple(t for words in terms.values() for t in words)


class Language(Frozen):
    """A language the review's records are written in."""

    name: str
    # common words that tell which language a sentence is in (routing: only sentences in the
    # sentence model's language are embedded)
    function_words: tuple[str, ...] = ()


class Group(Frozen):
    """A group of codebook themes that answers one research question."""

    id: Annotated[str, Field(pattern=SLUG)]
    label: str  # how the report names the group, e.g. "outcomes"
    question: str  # the research question it answers: a key of review.questions
    colour: Annotated[str, Field(pattern=COLOUR)] = "#457b9d"  # in the figures
    # where a theme's broad cue counts, besides an English sentence semantically close to the
    # theme: next to a problem word (near_problem) or in the title or a keyword (in_title)
    cues: Literal[CUE_RULES] = "in_title"  # type: ignore[valid-type]


class Theme(Frozen):
    id: Annotated[str, Field(pattern=THEME_ID)]
    group: str  # a group's id
    label: str
    definition: str
    terms: Terms
    # broad words that tag only in context (see Group.cues)
    cues: Terms = Field(default_factory=dict)
    examples: tuple[str, ...] = ()  # English sentences the semantic method compares against
    exclude_terms: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _has_terms(self) -> Theme:
        if not all_terms(self.terms):
            raise ValueError(f"theme {self.id} needs indicator terms in at least one language")
        return self


class Coding(Frozen):
    coder: str = "slr-codebook"
    semantic: bool = True  # MiniLM sentence similarity (needs slr[embeddings])
    # cosine similarity at which a sentence counts as about a theme; calibrated on the
    # review's validation sample (``make bench-coding`` reports it cross-validated)
    threshold: Annotated[float, Field(gt=0, lt=1)] = 0.45
    # words that make a sentence about a problem: a cue of a near_problem group needs one
    # within a few words
    problem_terms: Terms = Field(default_factory=dict)
    # words that make an abstract sentence about the study's method or informants ("we
    # interviewed 30 teachers"): such sentences are not evidence of a theme
    method_terms: Terms = Field(default_factory=dict)
    # words that give an abstract sentence its role: the study's purpose ("this study aims"),
    # its results ("the results show"), or a definition ("is defined as"). Sentences before the
    # first purpose, method or result sentence are background: like definitions, they speak of
    # the field, not of the studied enterprises, and are evidence only when nothing else is.
    purpose_terms: Terms = Field(default_factory=dict)
    # study designs, each its terms per language, in the order they are tried: a work's
    # design is the first whose terms its title, keywords or abstract use (slr.coding.studies)
    designs: dict[str, Terms] = Field(default_factory=dict)
    result_terms: Terms = Field(default_factory=dict)
    definition_terms: Terms = Field(default_factory=dict)
    topics: bool = True  # BERTopic on the included works (needs slr[topics])
    topics_seed: int | None = None  # default: the protocol's seed
    # above this many included works, BERTopic is fitted on a seeded sample of this size and
    # the other works are assigned to its topics (its transform); the report says so
    topics_sample: Annotated[int, Field(ge=50)] = 2000
    # words left out of topic labels besides English stop words (other languages, boilerplate)
    topic_stop_words: tuple[str, ...] = ()
    validation: str | None = None  # the coded validation sample (CSV), relative to the project
