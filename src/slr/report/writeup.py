"""The review written up from its tables: title, structured abstract, introduction, the answer
to each research question with its certainty, the included studies' characteristics and
appraisal, limitations and other information (the PRISMA 2020 checklist that maps them is
:mod:`slr.report.checklist`).

Every number and every name in the prose is read from the run; the sentences around them are
templates, so two runs of the same inputs write the same text.
"""

from __future__ import annotations

import pandas as pd

from slr.coding.evaluate import SUMMARY_ROWS
from slr.coding.studies import CHECKS, NOT_STATED
from slr.escape import as_code, as_markdown
from slr.protocol import FileSource, OpenAlexSource, Protocol
from slr.report.accuracy import automation_accuracy, coding_accuracy
from slr.report.certainty import RULES, certainty_table
from slr.report.synthesis import cite, compute_findings
from slr.tables.decisions import included_ids

SR = "systematic review"
MISSING_FIELDS = (("authors", "authors"), ("publication_year", "year"), ("venue", "venue"),
                  ("doi", "DOI"), ("abstract", "abstract"))  # fmt: skip


def certainty_rules() -> str:
    """The rules that set each finding's certainty (:mod:`slr.report.certainty`)."""
    return RULES


def report_title(protocol: Protocol) -> str:
    """The review's title, naming it a systematic review."""
    title = protocol.review.title
    return title if SR in title.lower() else f"{title}: a {SR}"


def _pct(k: int, n: int) -> str:
    return f"{k / n:.0%}" if n else "0%"


def _listing(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _top(certainty: pd.DataFrame, group: str, k: int = 3) -> pd.DataFrame:
    rows = certainty[(certainty["group"] == group) & (certainty["works"] > 0)]
    return rows.sort_values(["works", "theme_id"], ascending=[False, True]).head(k)


def _theme_phrase(row) -> str:
    return f"{row['theme']} ({row['works']} works; certainty {row['certainty']})"


def _screening_figures(run) -> str:
    acc = run.get("screening_accuracy")
    if acc is None or acc.empty:
        return "the automated screening was not measured"
    r = acc.iloc[-1]
    where = "a validation sample" if len(acc) == 1 else "the test half of a validation sample"
    return (
        f"the automated screening kept {r['recall']:.0%} (95 % interval {r['recall_low']:.0%}–"
        f"{r['recall_high']:.0%}) of the works people include, on people's screening of {where}"
    )


def _coding_figures(run) -> str:
    acc = run.get("coding_accuracy")
    if acc is None or acc.empty:
        return "the tagger was not measured"
    r = acc.set_index("theme_id").loc[SUMMARY_ROWS[0]]  # all themes (macro)
    return (
        f"the tagger's macro-F1 against people's coding was {r['f1']:.2f} (95 % interval "
        f"{r['f1_low']:.2f}–{r['f1_high']:.2f}, {int(r['works'])} works never used to tune it)"
    )


def abstract_markdown(protocol: Protocol, run) -> str:
    """A structured abstract: background, methods, results with the key counts, conclusions."""
    counts = run["meta"]["prisma"]
    certainty = certainty_table(protocol, run)
    studies = run.get("studies")
    n_by_source = {s["source_id"]: s["n_records"] for s in run["meta"]["sources"]}
    sources = "; ".join(
        f"{s.description.strip().rstrip('.')} ({n_by_source.get(s.id, 0)} records)"
        for s in protocol.sources
    )
    designs = studies["design"].value_counts().head(4).items() if studies is not None else iter(())
    results = [
        f"{counts['identified']} records were identified, {counts['duplicates']} duplicates "
        f"marked and {counts['screened']} screened; {counts.get('awaiting_screening', 0)} await "
        f"a person's screening; {counts['included']} studies were included "
        f"({', '.join(f'{n} {d}' for d, n in designs)})."
    ]
    for g in protocol.groups:
        top = _top(certainty, g.id)
        if len(top):
            phrases = _listing([_theme_phrase(r) for _, r in top.iterrows()])
            results.append(f"{g.question} ({g.label}): most reported are {phrases}.")
    claims = run.get("claims")
    if claims is not None and len(claims):
        n_sup = int((claims["status"] == "supported").sum())
        results.append(f"Of the seed article's {len(claims)} claims, {n_sup} are supported by "
                       "the corpus.")  # fmt: skip
    thin = certainty[certainty["certainty"].isin(["very low", "low"])]["theme"]
    firsts = [_top(certainty, g.id, 1)["theme"].tolist() for g in protocol.groups]
    firsts = [f[0] for f in firsts if f]
    return "\n\n".join([
        f"**Background.** {protocol.review.description.strip()}",
        f"**Methods.** Sources: {sources}. Records were screened against "
        f"{len(protocol.criteria)} eligibility criteria, automated where a rule can decide "
        f"({', '.join(protocol.screening.automate or ()) or 'none'}) and otherwise by people; "
        f"{_screening_figures(run)}. Included works were coded from their titles, keywords "
        f"and abstracts with a codebook of {len(protocol.codebook)} themes; "
        f"{_coding_figures(run)}. Each finding's certainty follows explicit rules; each study's "
        "reporting was appraised from its record.",
        "**Results.** " + " ".join(results),
        f"**Conclusions.** The literature most often reports {_listing(firsts)}. Evidence on "
        f"{_listing(thin.tolist()) or 'no theme'} is thin (low or very low certainty). "
        f"The findings are provisional while {counts.get('awaiting_screening', 0)} records "
        "await a person's screening, and rest on abstracts, not full texts.",
    ])  # fmt: skip


def introduction_markdown(protocol: Protocol) -> str:
    """Rationale and objectives."""
    review = protocol.review
    questions = "\n".join(f"- **{k}** {v}" for k, v in review.questions.items())
    rationale = review.rationale.strip() or "The protocol states no rationale."
    return f"### Rationale\n\n{rationale}\n\n### Objectives\n\n{questions}"


def _concerns(text: str) -> str:
    return "no concern" if text == "none" else text


def question_markdown(protocol: Protocol, run, group: str) -> str:
    """The answer to a group's research question, in prose, with citations and certainty."""
    g = protocol.group(group)
    included = set(included_ids(run["status"]))
    n = len(included)
    certainty = certainty_table(protocol, run).set_index("theme_id")
    findings = compute_findings(run["works"], run["status"], run["current_codes"], protocol,
                                group, run["places"], run.get("coding_accuracy"))  # fmt: skip
    codes = run["current_codes"]
    codes = codes[codes["work_id"].isin(included)]
    any_theme = codes[codes["theme_id"].isin([t.id for t in protocol.themes(group)])]
    k = any_theme["work_id"].nunique()
    lines = [f"{k} of the {n} included works ({_pct(k, n)}) report at least one of the "
             f"{len(protocol.themes(group))} {g.label} of the codebook."]  # fmt: skip
    by_id = run["works"].set_index("work_id")
    reported = findings[findings["works"] > 0]
    for _, f in reported.head(4).iterrows():
        c = certainty.loc[f["theme_id"]]
        tags = codes[codes["theme_id"] == f["theme_id"]].sort_values(
            ["score", "work_id"], ascending=[False, True]
        )
        cites = "; ".join(as_markdown(cite(by_id.loc[w])) for w in tags["work_id"].head(3))
        where = f["countries"] or "no country named"
        lines.append(
            f"- **{f['theme']}** ({f['theme_id']}): {f['works']} works ({f['share']:.0%}), "
            f"published {f['years'] or 'in unknown years'}; countries named: {where}. "
            f"Certainty **{c['certainty']}** ({_concerns(c['concerns'])}). E.g. {cites}."
        )
    rest = reported.iloc[4:]
    if len(rest):
        lines.append("- Also reported: " + ", ".join(
            f"{r['theme']} ({r['works']}; {certainty.loc[r['theme_id'], 'certainty']})"
            for _, r in rest.iterrows()) + ".")  # fmt: skip
    none = findings[findings["works"] == 0]
    if len(none):
        lines.append("- Not found in any included work: "
                     + ", ".join(t for t in none["theme"]) + ".")  # fmt: skip
    return "\n".join(lines)


def characteristics_markdown(run) -> str:
    """Designs, appraisal and the fields the included records lack."""
    studies = run.get("studies")
    if studies is None or studies.empty:
        return "No study was included."
    n = len(studies)
    designs = ", ".join(f"{d} {k}" for d, k in studies["design"].value_counts().items())
    checks = "; ".join(
        f"{label}: {int(studies[c].sum())} ({_pct(int(studies[c].sum()), n)})"
        for c, label in CHECKS
    )
    concern = ", ".join(f"{c} {k}" for c, k in studies["concern"].value_counts().items())
    return (
        f"Designs of the {n} included works, detected from their records (the protocol's "
        "`coding.designs` terms, first match; not checked against people's reading): "
        f"{designs}; '{NOT_STATED}' means no design term was found.\n\nReporting appraisal "
        f"(what each record says, not how the study was done): {checks}. Concern (5–6 checks "
        f"met: low, 3–4: some, 0–2: high): {concern}. Each work's checks are in "
        f"`studies.csv`.\n\n{missing_fields_markdown(run)}"
    )


def missing_fields_markdown(run) -> str:
    """How many included records lack which bibliographic field (so cite as 'n.d.' …)."""
    works = run["works"]
    inc = works[works["work_id"].isin(set(included_ids(run["status"])))]
    parts = []
    for col, name in MISSING_FIELDS:
        values = inc[col]
        lacking = int(values.map(lambda v: v is None or len(v) == 0).sum()) if col == "authors" \
            else int(values.isna().sum())  # fmt: skip
        parts.append(f"{name} {lacking}")
    return (f"Included records lacking a field: {', '.join(parts)} (of {len(inc)}). A work "
            "without authors is cited by its title, one without a year as n.d.")  # fmt: skip


def limitations_markdown(protocol: Protocol, run) -> str:
    counts = run["meta"]["prisma"]
    langs = _listing([lang.name for lang in protocol.languages.values()])
    return "\n".join([
        f"- **Languages.** Only works in {langs} were eligible; the search terms were in these "
        "languages too, so studies reported in others are missing.",
        f"- **Abstracts, not full texts.** Screening and coding read titles, keywords and "
        f"abstracts; {counts.get('reports_not_retrieved', 0)} records without an abstract "
        "could not be assessed. Themes a study reports only in its full text are missed.",
        f"- **Automation.** {_screening_figures(run).capitalize()}; {_coding_figures(run)}. "
        "These measurements rest on samples coded by one reviewer: agreement between people "
        "was not measured.",
        f"- **Unfinished screening.** {counts.get('awaiting_screening', 0)} records the rules "
        "could not decide await a person; until they are screened, every count is a lower "
        "bound.",
        "- **Appraisal.** The reporting appraisal checks what a record says, not how the study "
        "was conducted; no full-text risk-of-bias tool was applied.",
        "- **Synthesis.** Findings count works per theme; they say what the literature reports, "
        "not whether it agrees on a direction or an effect size.",
    ])  # fmt: skip


def other_information_markdown(protocol: Protocol, run) -> str:
    review, meta = protocol.review, run["meta"]
    registration = review.registration.strip() or (
        "The review was not registered. Its protocol is the versioned file "
        f"{as_code(protocol.path.name)} (version {as_code(meta['protocol_version'])}), "
        "written before the screening and coding it drives; every change is in the "
        "repository's history."
    )
    return "\n".join([
        f"- **Registration and protocol.** {registration}",
        f"- **Support.** {review.funding.strip() or 'No funding was received.'}",
        f"- **Competing interests.** {review.competing_interests.strip() or 'None declared.'}",
        "- **Data, code and materials.** The code (slr), the protocol, the corpus's "
        "bibliographic facts and every decision and tag are public in the repository; the run "
        "folder holds every table (`works`, `decisions`, `codes`, `studies`, `claims` …) and a "
        "manifest with the hash of every input and output. `make run` reproduces this report.",
    ])  # fmt: skip


def methods_markdown(protocol: Protocol, run) -> str:
    """The methods section, written from the protocol and the run."""
    meta, counts = run["meta"], run["meta"]["prisma"]
    sources = run["sources"].set_index("source_id")
    lines = [
        "### Sources and searches",
        "",
        "OpenAlex sources are searched by `slr harvest` (its date and `meta.count` are in each "
        "source's note and harvest manifest); files are read as frozen in the corpus.",
        "",
    ]
    for s in protocol.sources:
        row = sources.loc[s.id] if s.id in sources.index else None
        status = f"{row['status']}, {int(row['n_records'])} records" if row is not None else ""
        if isinstance(s, OpenAlexSource):
            query = "; ".join(
                [f"search {as_code(s.search)}"] * bool(s.search)
                + [f"filter {as_code(f'{k}:{v}')}" for k, v in s.filter.items()]
            )
            note = (row["note"] if row is not None else "") or ""
            lines.append(f"- **{s.id}** (OpenAlex, {s.prisma_group}): {query} — {status}. "
                         f"{as_markdown(note)}")  # fmt: skip
        elif isinstance(s, FileSource):
            lines.append(
                f"- **{s.id}** ({s.prisma_group}): {as_markdown(s.description or s.path)} — "
                f"{status}; search date: as given by the source file (none recorded by slr)."
            )
    for s in sources.index.difference([x.id for x in protocol.sources]):
        lines.append(f"- **{as_markdown(s)}** (added file): {sources.loc[s, 'status']}, "
                     f"{int(sources.loc[s, 'n_records'])} records.")  # fmt: skip
    lines += ["", "### Eligibility criteria", ""]
    for c in protocol.criteria:
        how = f"automated at {c.stage}" if c.rule else "applied by reviewers"
        lines.append(f"- **{c.id}** {c.label} ({how})")
    sc = protocol.screening
    reviewers = sorted(set(run["decisions"]["reviewer"]))
    lines += [
        "", "### Screening", "",
        f"Decisions by {', '.join(map(as_markdown, reviewers))}; automated criteria: "
        f"{', '.join(sc.automate or ()) or 'none'}. People screen in `notebooks/02_screening.py`, "
        f"prioritised by the `{sc.model}` model, with the stopping rule of Callaghan & "
        f"Müller-Hansen (recall target {sc.recall_target:.0%}, confidence {sc.confidence:.0%}); "
        f"records excluded by the stopping rule: {counts.get('stopped', 0)}.",
        *automation_accuracy(protocol, run),
        "", "### Coding and topics", "",
        f"Codebook of {len(protocol.codebook)} themes "
        f"({', '.join(g.label for g in protocol.groups)}), tagged from "
        f"{' and '.join(lang.name for lang in protocol.languages.values())} indicator terms, "
        "context-checked cues and MiniLM "
        f"sentence similarity (threshold {protocol.coding.threshold}); each tag keeps its "
        "evidence: a sentence that states the theme (not the study's method, background or a "
        "definition), else the title or a keyword, so such a tag rests on the title alone.",
        *coding_accuracy(protocol, run),
        "", f"Topics: BERTopic on the included works, seed {protocol.topics_seed}"
        f" (fitted on a seeded sample of {protocol.coding.topics_sample:,} when there are more, "
        "the others assigned to its topics).",
        "", "### Reproducibility", "",
        f"Protocol version `{meta['protocol_version']}`, SHA-256 `{meta['protocol_hash'][:16]}…`; "
        "the run's `manifest.json` lists the hash of every input and output file, package "
        "versions and seeds; `slr diff` compares two runs.",
    ]  # fmt: skip
    return "\n".join(lines)
