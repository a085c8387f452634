"""Rule screening: the protocol's automatable criteria, applied to the works.

Every decision is a row (``slr.tables.contracts.DECISIONS``): ``work_id, stage, decision,
criterion_id, reason, reviewer, decided_at, protocol_version``. Rows are appended, never edited;
the current state is derived by :func:`slr.tables.decisions.latest_decisions`.

Stages, in order (PRISMA 2020):

- ``automation``: criteria a machine can check on metadata (year, language, type, retraction);
  exclusions are PRISMA's "records marked as ineligible by automation tools".
- ``title_abstract``: topic criteria on title, abstract and keywords; exclusions are "records
  excluded" at screening.
- ``eligibility``: the available report (abstract, keywords) is assessed against the codebook;
  a record with nothing but a title is ``not_retrieved``.

A criterion that cannot be assessed for a record (no year, no language) does not exclude it:
the reason says what was missing, and the record goes on to the next stage.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from slr.clock import now_utc
from slr.progress import track
from slr.protocol import (
    CodebookRule,
    Criterion,
    LanguageRule,
    Protocol,
    RetractedRule,
    TopicRule,
    TypeRule,
    YearRule,
)
from slr.tables.contracts import DECISIONS
from slr.tables.decisions import STAGE_ORDER, latest_decisions
from slr.tables.schema import conform, field_texts
from slr.text import compile_terms, find_terms

# (excluded?, reason): True, False, None (could not be assessed) or UNSURE (people decide)
UNSURE = "unsure"
Verdict = tuple[bool | str | None, str]


# ---------------------------------------------------------------------- single rules


def _year(rule: YearRule, work: pd.Series) -> Verdict:
    y = work["publication_year"]
    if pd.isna(y):
        return None, "year unknown"
    y = int(y)
    if rule.min is not None and y < rule.min:
        return True, f"published {y}, before {rule.min}"
    if rule.max is not None and y > rule.max:
        return True, f"published {y}, after {rule.max}"
    return False, f"published {y}"


def _language(rule: LanguageRule, work: pd.Series) -> Verdict:
    lang = work["language"]
    if pd.isna(lang):
        return None, "language unknown"
    if lang not in rule.allowed:
        return True, f"language {lang}, not one of {', '.join(rule.allowed)}"
    return False, f"language {lang}"


def _type(rule: TypeRule, work: pd.Series) -> Verdict:
    t = work["type"]
    if pd.isna(t):
        return None, "document type unknown"
    source = work["type_source"]
    shown = f"{t} ({source})" if pd.notna(source) and source != t else str(t)
    if t in rule.excluded:
        return True, f"document type {shown}"
    return False, f"document type {shown}"


def _retracted(rule: RetractedRule, work: pd.Series) -> Verdict:
    r = work["is_retracted"]
    if pd.isna(r):
        return False, "no retraction known"
    return (True, "retracted") if bool(r) else (False, "not retracted")


def _topic(rule: TopicRule, work: pd.Series) -> Verdict:
    texts = field_texts(work, rule.fields)
    if not texts:
        return None, "no title, abstract or keywords"
    found, missing = [], []
    for block, terms in rule.all_of.items():
        hits = []
        for field, text in texts.items():
            hits += [f"{m.group(0)!r} ({field})" for _, m in find_terms(compile_terms(terms), text)]
        if hits:
            found.append(f"{block}: {hits[0]}")
        else:
            missing.append(block)
    if not missing:
        return False, "; ".join(found)
    absent = f"no {' or '.join(missing)} term in {', '.join(texts)}"
    if found and rule.partial == UNSURE:
        return UNSURE, f"{'; '.join(found)}, but {absent}: needs a person"
    return True, absent


RULES: dict[type, Callable[..., Verdict]] = {
    YearRule: _year,
    LanguageRule: _language,
    TypeRule: _type,
    RetractedRule: _retracted,
    TopicRule: _topic,
}


# ---------------------------------------------------------------------- screening


def _rows(
    decisions: list[dict], *, reviewer: str, decided_at: str, protocol: Protocol
) -> pd.DataFrame:
    df = pd.DataFrame(decisions, columns=["work_id", "stage", "decision", "criterion_id", "reason"])
    df["reviewer"] = reviewer
    df["decided_at"] = decided_at
    df["protocol_version"] = protocol.version
    return conform(df, DECISIONS)


def screen_rules(
    works: pd.DataFrame,
    protocol: Protocol,
    *,
    stages: tuple[str, ...] = ("automation", "title_abstract"),
    decided_at: str | None = None,
) -> pd.DataFrame:
    """Apply the protocol's automated criteria to the canonical works.

    Needs the works columns. Returns decision rows: for each canonical work (``duplicate_of``
    is NA), one row per stage it reached, in stage order; a work excluded at ``automation`` gets
    no ``title_abstract`` row. The reason of each row names what each criterion saw.
    """
    decided_at = decided_at or now_utc()
    criteria = [c for c in protocol.automated_criteria() if c.stage in stages and c.rule]
    rows: list[dict] = []
    canonical = works[works["duplicate_of"].isna()]
    for _, work in track(canonical.iterrows(), total=len(canonical), desc="rule screening"):
        for stage in (s for s in STAGE_ORDER if s in stages):
            stage_criteria = [c for c in criteria if c.stage == stage]
            if not stage_criteria:
                continue
            row = _judge(work, stage, stage_criteria)
            rows.append(row)
            if row["decision"] != "include":
                break
    return _rows(
        rows, reviewer=protocol.screening.reviewer, decided_at=decided_at, protocol=protocol
    )


def _decided(work: pd.Series, stage: str, decision: str, c: Criterion, reason: str) -> dict:
    """One criterion's decision on a work, with what it saw."""
    return {
        "work_id": work["work_id"],
        "stage": stage,
        "decision": decision,
        "criterion_id": c.id,
        "reason": f"{c.id} {c.label}: {reason}",
    }


def _judge(work: pd.Series, stage: str, criteria: list[Criterion]) -> dict:
    notes, unsure = [], None
    for c in criteria:
        rule = c.rule
        if isinstance(rule, CodebookRule):
            continue
        excluded, reason = RULES[type(rule)](rule, work)
        if excluded == UNSURE:  # unless another criterion excludes it, people decide
            unsure = unsure or (c, reason)
        elif excluded:
            return _decided(work, stage, "exclude", c, reason)
        notes.append(f"{c.id}: {reason}" + (" (not assessed)" if excluded is None else ""))
    if unsure is not None:
        return _decided(work, stage, "unsure", *unsure)
    return {
        "work_id": work["work_id"],
        "stage": stage,
        "decision": "include",
        "criterion_id": "+".join(c.id for c in criteria if c.kind == "inclusion") or None,
        "reason": "; ".join(notes),
    }


def screen_eligibility(
    works: pd.DataFrame,
    decisions: pd.DataFrame,
    codes: pd.DataFrame,
    protocol: Protocol,
    *,
    decided_at: str | None = None,
) -> pd.DataFrame:
    """Assess the reports of works included at title/abstract against the codebook criteria.

    A work whose only text is its title is ``not_retrieved`` (its report could not be
    assessed); otherwise it is included when the codes carry at least ``min_themes`` themes.
    """
    decided_at = decided_at or now_utc()
    criteria = [
        c for c in protocol.automated_criteria() if c.stage == "eligibility" and c.rule is not None
    ]
    current = latest_decisions(decisions)
    ta = current[(current["stage"] == "title_abstract") & (current["decision"] == "include")]
    themes = codes.groupby("work_id")["theme_id"].nunique() if len(codes) else pd.Series(dtype=int)
    by_id = works.set_index("work_id")
    rows = []
    for wid in ta["work_id"]:
        work = by_id.loc[wid]
        has_report = (
            pd.notna(work["abstract"]) or pd.notna(work["abstract_alt"]) or bool(work["keywords"])
        )
        if not has_report:
            rows.append(
                {
                    "work_id": wid,
                    "stage": "eligibility",
                    "decision": "not_retrieved",
                    "criterion_id": None,
                    "reason": "report not retrieved: only a title is available",
                }
            )
            continue
        n = int(themes.get(wid, 0))
        decision, cid, reason = "include", None, f"{n} codebook themes"
        for c in criteria:
            if isinstance(c.rule, CodebookRule) and n < c.rule.min_themes:
                decision, cid = c.rule.too_few, c.id
                reason = f"{c.id} {c.label}: {n} codebook themes, {c.rule.min_themes} needed"
                if decision == "unsure":
                    reason += "; the tagger may have missed them: a person decides"
                break
            cid = "+".join(x.id for x in criteria if x.kind == "inclusion") or None
        rows.append(
            {
                "work_id": wid,
                "stage": "eligibility",
                "decision": decision,
                "criterion_id": cid,
                "reason": reason,
            }
        )
    return _rows(
        rows, reviewer=protocol.screening.reviewer, decided_at=decided_at, protocol=protocol
    )
