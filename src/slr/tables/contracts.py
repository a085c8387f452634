"""The contract of every table slr writes or reads (columns, types, keys), and the list of the
tables a run writes. The mechanism (:class:`~slr.tables.schema.Contract`, conform, validate) is
:mod:`slr.tables.schema`."""

from __future__ import annotations

from dataclasses import dataclass

from slr.tables.schema import Column, Contract

WORKS = Contract(
    "works",
    (
        Column("work_id", "str", True, "the key: OpenAlex short ID (W…) or a derived ID (R…)"),
        Column("source_id", "str", True, "the protocol source (or import) the record came from"),
        Column(
            "source_format", "str", True, "ris, bibtex, asreview-csv, openalex-*, records-jsonl"
        ),
        Column("source_record", "str", True, "where in the source: file and line/record"),
        Column("openalex_id", "str", doc="W… when known"),
        Column("doi", "str", doc="normalised: lower case, no https://doi.org/ prefix"),
        Column("title", "str"),
        Column("title_alt", "str", doc="the other-language title, when the source shows one"),
        Column("abstract", "str"),
        Column("abstract_alt", "str", doc="the other-language abstract, when shown"),
        Column("publication_year", "int"),
        Column("publication_date", "str"),
        Column("language", "str", doc="ISO 639-1"),
        Column("type", "str", doc="normalised document type (slr.protocol.WORK_TYPES)"),
        Column("type_source", "str", doc="the document type as the source gave it"),
        Column("venue", "str"),
        Column("authors", "list"),
        Column("institution_countries", "list", doc="ISO 3166-1 alpha-2 codes"),
        Column("keywords", "list"),
        Column("topics", "list", doc="OpenAlex topics (display names)"),
        Column("cited_by_count", "int"),
        Column("referenced_works", "list"),
        Column("url", "str"),
        Column("other_urls", "list"),
        Column("is_retracted", "bool"),
        Column("found_by", "list", doc="queries that found the record, when the source says"),
        Column(
            "duplicate_of", "str", doc="work_id of the group's canonical record; NA if canonical"
        ),
        Column("duplicate_rule", "str", doc="why it was marked: openalex_id, doi, url, title, …"),
        Column("filled_from", "str", doc="JSON {field: work_id} of fields filled from duplicates"),
    ),
    key=("work_id",),
)

DECISIONS = Contract(
    "decisions",
    (
        Column("work_id", "str", True),
        Column("stage", "str", True, doc="automation, title_abstract or eligibility"),
        Column(
            "decision", "str", True, doc="include, exclude, unsure, not_retrieved, stopped, undo"
        ),
        Column("criterion_id", "str", doc="IC…/EC… that decided it; several joined by '+'"),
        Column("reason", "str"),
        Column("reviewer", "str", True),
        Column("decided_at", "str", True, doc="ISO 8601, UTC"),
        Column("protocol_version", "str", True),
        Column("note", "str", doc="the reviewer's note"),
        Column(
            "model", "str", doc="the ranking model when the work was shown, with the slr version"
        ),
        Column("rank", "int", doc="the work's rank when it was shown (1 = first)"),
        Column("row_hash", "str", doc="SHA-256 chained to the previous row (screening logs)"),
    ),
)

CODES = Contract(
    "codes",
    (
        Column("work_id", "str", True),
        Column("theme_id", "str", True),
        Column("evidence", "str", True, doc="the sentence or keyword that triggered the tag"),
        Column("source_field", "str", True, doc="title, abstract, keywords, …"),
        Column("method", "str", True, doc="e.g. terms: the matched term"),
        Column("score", "float"),
        Column("coder", "str", True),
        Column("coded_at", "str", True),
        Column("protocol_version", "str", True),
    ),
)

CURRENT_CODES = Contract(
    "current_codes", CODES.columns, key=("work_id", "theme_id")
)  # the tags in force after people's verdicts: one row per (work, theme)

PRISMA = Contract(
    "prisma",
    (
        Column("section", "str", True, doc="identification, screening, included"),
        Column("box", "str", True, doc="a stable key for the count"),
        Column("label", "str", True),
        Column("n", "int", True),
    ),
    key=("box",),
)

SOURCES = Contract(
    "sources",
    (
        Column("source_id", "str", True),
        Column("kind", "str", True, doc="openalex, file or import"),
        Column("prisma_group", "str", True),
        Column("status", "str", True, doc="read, not harvested, missing, …"),
        Column("n_records", "int", True),
        Column("path", "str"),
        Column("sha256", "str"),
        Column("fields", "str", doc="which optional fields the records carry (abstracts, …)"),
        Column("note", "str"),
    ),
    key=("source_id",),
)


STATUS = Contract(
    "status",
    (
        Column("work_id", "str", True),
        Column(
            "status",
            "str",
            True,
            doc="included, excluded, stopped, not_retrieved, unsure, awaiting, unscreened or "
            "duplicate (slr.tables.decisions.compute_status)",
        ),
        Column("stage", "str", doc="the stage whose decision set the status"),
        Column("criterion_id", "str", doc="the criterion of that decision"),
        Column("reason", "str", doc="that decision's reason, or what the work duplicates"),
    ),
    key=("work_id",),
)

TOPICS = Contract(
    "topics",
    (
        Column("work_id", "str", True),
        Column("topic", "int", True, doc="-1: an outlier, in no topic"),
        Column("label", "str", True),
    ),
    key=("work_id",),
)

TOPIC_INFO = Contract(
    "topic_info",
    (
        Column("topic", "int", True),
        Column("size", "int", True, doc="works in the topic"),
        Column("words", "str", doc="its top words"),
        Column("label", "str", True),
        Column("config", "str", True, doc="pca-kmeans or umap-hdbscan"),
        Column("seed", "int", True),
        Column(
            "fitted_on",
            "int",
            doc="included works the model was fitted on (a seeded sample when there are more "
            "than coding.topics_sample); the others were assigned to its topics",
        ),
        Column(
            "neighbours",
            "str",
            doc="umap-hdbscan: how UMAP found each work's neighbours, exact (all pairs) or "
            "nn-descent (its approximate index, from 4,096 included works)",
        ),
        Column("main_themes", "str", doc="codebook themes on half of its works or more"),
        Column("candidate_new_theme", "bool", True, doc="no theme on half of its works"),
    ),
    key=("topic",),
)

TOPIC_THEMES = Contract(
    "topic_themes",
    (
        Column("topic", "int", True),
        Column("theme_id", "str", True),
        Column("works", "int", True, doc="the topic's works carrying the theme"),
    ),
    key=("topic", "theme_id"),
)

TOPIC_STABILITY = Contract(
    "topic_stability",
    (
        Column("seed", "int", True),
        Column("topics", "int", True),
        Column("outliers", "int", True),
        Column("ari_vs_first", "float", True, doc="adjusted Rand index against the first seed"),
    ),
    key=("seed",),
)

PLACES = Contract(
    "places",
    (
        Column("work_id", "str", True),
        Column("kind", "str", True, doc="country, or the gazetteer's kind of region"),
        Column("place", "str", True, doc="a gazetteer name, or 'not stated'"),
    ),
    key=("work_id", "kind", "place"),
)

CLAIMS = Contract(
    "claims",
    (
        Column("claim_id", "str", True),
        Column("claim", "str", True),
        Column("status", "str", True, doc="supported, mixed or not found"),
        Column("needed", "int", True, doc="included works a part needs to count as found"),
        Column("parts", "str", doc="each part (theme or place) with its number of works"),
        Column("works", "int", True, doc="included works carrying any part"),
        Column("margin", "int", True, doc="fewest works whose change would change the status"),
        Column("flip", "str", doc="which change, and the status it gives"),
        Column("evidence", "str", doc="example evidence sentences"),
    ),
    key=("claim_id",),
)

REFERENCES = Contract(
    "references",
    (
        Column("ref_id", "str", True),
        Column("reference", "str", True, doc="as printed in the seed article"),
        Column("in_corpus", "str", True, doc="yes (work_id) or no"),
        Column("openalex", "str", True, doc="the OpenAlex match, or why there is none"),
        Column("findings", "str"),
        Column("reviewer_note", "str"),
    ),
    key=("ref_id",),
)


SCREENING_SAMPLE = Contract(
    "screening_sample",
    (
        Column("work_id", "str", True),
        Column("title", "str"),
        Column("language", "str"),
        Column("stratum", "str", True, doc="the automation's decision (stage:decision:language)"),
        Column("stratum_size", "int", True, doc="works of the corpus in the stratum when drawn"),
        Column("split", "str", True, doc="tune (rules may be tuned on it) or test (never)"),
        Column("decision", "str", True, doc="people's decision: include or exclude"),
        Column("criterion_id", "str", True),
        Column("reason", "str", True, doc="one line, in the screener's words"),
        Column("reviewer", "str"),
        Column("screened_at", "str"),
    ),
    key=("work_id",),
)

SCREENING_ACCURACY = Contract(
    "screening_accuracy",
    (
        Column("records", "str", True, doc="the validation sample, or its test half"),
        Column("n", "int", True, doc="sampled works in this run"),
        Column("includes", "int", True, doc="of them, included by people"),
        Column("recall", "float", True),
        Column("recall_low", "float", True),
        Column("recall_high", "float", True),
        Column("precision", "float", True),
        Column("precision_low", "float", True),
        Column("precision_high", "float", True),
        Column("missed", "float", True, doc="expected includes among automated exclusions"),
        Column("missed_low", "float", True),
        Column("missed_high", "float", True),
        Column("excluded", "float", True, doc="works the rules excluded (estimated)"),
    ),
    key=("records",),
)


CODING_ACCURACY = Contract(
    "coding_accuracy",
    (
        Column(
            "theme_id", "str", True, doc="a theme, or 'all themes (macro)' / 'all tags (micro)'"
        ),
        Column("records", "str", True, doc="the coded validation sample's test split"),
        Column("works", "int", True),
        Column("n_reference", "int", True, doc="people's tags"),
        Column("n_tagged", "int", True, doc="the tagger's tags"),
        Column("precision", "float", False),
        Column("precision_low", "float", False),
        Column("precision_high", "float", False),
        Column("recall", "float", False),
        Column("recall_low", "float", False),
        Column("recall_high", "float", False),
        Column("f1", "float", False, doc="NaN when neither side tags the theme"),
        Column("f1_low", "float", False, doc="bootstrap over works (the summary rows)"),
        Column("f1_high", "float", False),
        Column(
            "reliability", "str", True, doc="measured, low (F1 < 0.6) or not measured (< 3 tags)"
        ),
    ),
    key=("theme_id",),
)


STUDIES = Contract(
    "studies",
    (
        Column("work_id", "str", True),
        Column("design", "str", True, doc="from coding.designs, first match; or 'not stated'"),
        Column("design_term", "str", doc="the words that named the design"),
        Column("design_stated", "bool", True),
        Column("method_stated", "bool", True, doc="the abstract says how data were collected"),
        Column("setting_stated", "bool", True, doc="a place of the gazetteer is named"),
        Column("results_stated", "bool", True, doc="the abstract has a result sentence"),
        Column("has_abstract", "bool", True),
        Column("peer_reviewed", "bool", True, doc="article, conference paper or book chapter"),
        Column("score", "int", True, doc="checks met, 0-6"),
        Column("concern", "str", True, doc="low (5-6), some (3-4) or high (0-2)"),
    ),
    key=("work_id",),
)


@dataclass(frozen=True)
class RunTable:
    """A table every run writes (``optional``: only some runs): ``<name>.csv``, and
    ``<name>.parquet`` too when ``parquet``."""

    contract: Contract
    parquet: bool = False
    optional: bool = False

    @property
    def name(self) -> str:
        return self.contract.name


# The tables of a run folder, in the order the run writes them: one list drives writing
# (slr.tables.io.write_run_tables), reading (read_run), the manifest and slr diff.
RUN_TABLES = (
    RunTable(WORKS, parquet=True),
    RunTable(DECISIONS),
    RunTable(CODES),
    RunTable(STATUS),
    RunTable(CURRENT_CODES),
    RunTable(PRISMA),
    RunTable(SOURCES),
    RunTable(TOPICS, optional=True),
    RunTable(TOPIC_INFO, optional=True),
    RunTable(TOPIC_THEMES, optional=True),
    RunTable(TOPIC_STABILITY, optional=True),
    RunTable(PLACES),
    RunTable(CLAIMS),
    RunTable(REFERENCES),
    RunTable(SCREENING_ACCURACY, optional=True),
    RunTable(CODING_ACCURACY, optional=True),
    RunTable(STUDIES),
)
