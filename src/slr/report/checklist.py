"""The PRISMA 2020 checklist (27 items, with their parts), each mapped to the section of the
report that answers it, or marked not done or not applicable, with the reason.

The item topics are the checklist's; the wording of each row is ours (Page et al. 2021,
BMJ 372:n71, has the full text of every item).
"""

from __future__ import annotations

import pandas as pd

# (item, section of the checklist, topic, where it is answered — or "not done: …" /
# "not applicable: …")
ITEMS = (
    ("1", "Title", "Identify the report as a systematic review",
     "Title (it names the review a systematic review)"),
    ("2", "Abstract", "Structured abstract", "Abstract"),
    ("3", "Introduction", "Rationale", "Introduction › Rationale"),
    ("4", "Introduction", "Objectives or questions", "Introduction › Objectives"),
    ("5", "Methods", "Eligibility criteria and grouping for syntheses",
     "Corpus and PRISMA › Methods › Eligibility criteria; Screening › Eligibility criteria"),
    ("6", "Methods", "Information sources and the date searched",
     "Corpus and PRISMA › Methods › Sources; Sources (status and date of each source)"),
    ("7", "Methods", "Full search strategies", "Corpus and PRISMA › Methods › Sources (every "
     "query as run; the protocol file holds them verbatim)"),
    ("8", "Methods", "Selection process (who, how many, automation)",
     "Corpus and PRISMA › Methods › Screening (rules, people, the automation's measured recall "
     "and precision)"),
    ("9", "Methods", "Data collection process", "Corpus and PRISMA › Methods › Coding and "
     "topics (codebook tagging, its measured accuracy, people's verdicts)"),
    ("10a", "Methods", "Outcomes for which data were sought",
     "Corpus and PRISMA › Methods › Coding and topics (the codebook's themes); the seed "
     "article's outcomes (income, jobs, social capacity) in its claims"),
    ("10b", "Methods", "Other variables sought", "Study characteristics and appraisal "
     "(design, country, year, language, document type)"),
    ("11", "Methods", "Study risk of bias assessment", "Study characteristics and appraisal "
     "(a reporting appraisal from each record; no full-text tool, see Limitations)"),
    ("12", "Methods", "Effect measures", "not applicable: a thematic synthesis counts the works "
     "reporting each theme; no effect sizes are extracted"),
    ("13a", "Methods", "Which studies were eligible for each synthesis",
     "Results by research question (every included work carrying a theme of the question)"),
    ("13b", "Methods", "Preparing data for synthesis", "Corpus and PRISMA › Methods › Coding "
     "and topics (tags from titles, keywords and abstracts in two languages)"),
    ("13c", "Methods", "Tabulating and displaying results", "Synthesis › Findings by "
     "research question; Themes over time and together; Where the studies took place"),
    ("13d", "Methods", "Methods to synthesise results", "Results by research question "
     "(counts of works per theme, with certainty by explicit rules)"),
    ("13e", "Methods", "Exploring heterogeneity", "Synthesis › Themes over time and together; "
     "Where the studies took place (by year and country); BERTopic topics for themes the "
     "codebook lacks"),
    ("13f", "Methods", "Sensitivity analyses", "The seed article's claims (how many works "
     "would change each verdict); automation and tagger measured with intervals"),
    ("14", "Methods", "Reporting bias assessment", "not done: publication bias cannot be "
     "assessed from counts of themes; the language and source restrictions are in "
     "Limitations"),
    ("15", "Methods", "Certainty assessment", "Certainty of the findings (the rules)"),
    ("16a", "Results", "Study selection: numbers at each stage", "Corpus and PRISMA › "
     "PRISMA 2020 flow"),
    ("16b", "Results", "Studies that seemed eligible but were excluded, and why",
     "Appendix: every record and its decision (criterion and reason of each exclusion)"),
    ("17", "Results", "Characteristics of each included study", "Study characteristics and "
     "appraisal; Appendix (every included work with citation and DOI); `studies.csv`"),
    ("18", "Results", "Risk of bias in each study", "Study characteristics and appraisal "
     "(each work's checks in `studies.csv`)"),
    ("19", "Results", "Results of individual studies", "Synthesis › Findings by research "
     "question (the works behind each theme, each with its evidence sentence)"),
    ("20a", "Results", "Characteristics and risk of bias of studies in each synthesis",
     "Results by research question (certainty concerns per theme)"),
    ("20b", "Results", "Results of statistical syntheses", "not applicable: no meta-analysis; "
     "a thematic synthesis"),
    ("20c", "Results", "Investigations of heterogeneity", "Synthesis › Themes over time and "
     "together; Where the studies took place"),
    ("20d", "Results", "Sensitivity analyses", "The seed article's claims (margin of each "
     "verdict)"),
    ("21", "Results", "Reporting biases", "not done: see item 14"),
    ("22", "Results", "Certainty of evidence for each outcome", "Results by research "
     "question; Certainty of the findings"),
    ("23a", "Discussion", "Interpretation in the context of other evidence",
     "Abstract › Conclusions; The seed article's claims, checked against the corpus"),
    ("23b", "Discussion", "Limitations of the evidence", "Limitations (appraisal, "
     "abstracts only)"),
    ("23c", "Discussion", "Limitations of the review processes", "Limitations (languages, "
     "automation and its measured error, unfinished screening)"),
    ("23d", "Discussion", "Implications for practice, policy and research",
     "Abstract › Conclusions (themes with thin evidence are the research gaps)"),
    ("24a", "Other information", "Registration", "Other information"),
    ("24b", "Other information", "Where the protocol can be accessed", "Other information"),
    ("24c", "Other information", "Amendments to the protocol", "Other information (the "
     "repository's history); Corpus and PRISMA › Methods › Reproducibility (protocol version "
     "and hash)"),
    ("25", "Other information", "Support", "Other information"),
    ("26", "Other information", "Competing interests", "Other information"),
    ("27", "Other information", "Availability of data, code and materials",
     "Other information; the run folder's tables and manifest"),
)  # fmt: skip


def checklist_table() -> pd.DataFrame:
    """One row per PRISMA 2020 item (and part): where the report answers it, or why not."""
    return pd.DataFrame(ITEMS, columns=["item", "section", "topic", "where in this report"])
