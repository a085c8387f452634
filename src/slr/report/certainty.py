"""How much confidence each finding deserves: explicit rules in the spirit of GRADE-CERQual.

A finding is "theme T is reported by the included literature". Its certainty starts *high* and
drops one level for each concern, as the rules below state (the report prints them):

- adequacy: fewer than ``FEW`` works carry it (two levels), or fewer than ``SOME`` (one);
- the tagger's reliability for the theme: its F1 on the coded validation sample's test split is
  low, or was not measured (one level);
- evidence from titles alone: more than ``TITLE_ONLY`` of its tags rest on the title or a
  keyword (one level);
- methodological limitations: more than ``HIGH_CONCERN`` of its works have high concern in the
  reporting appraisal (:mod:`slr.coding.studies`) (one level).

Coherence (do the works agree on the theme's direction?) cannot be judged from tags and is not
assessed; relevance is set by the eligibility criteria.
"""

from __future__ import annotations

import pandas as pd

from slr.coding.evaluate import LOW_F1
from slr.coding.tagger import TITLE_FIELDS
from slr.protocol import Protocol
from slr.tables.decisions import included_ids

LEVELS = ("very low", "low", "moderate", "high")
FEW, SOME = 5, 10
TITLE_ONLY = 0.3
HIGH_CONCERN = 0.3

RULES = (
    f"Certainty starts high and drops one level for each concern: fewer than {SOME} works "
    f"carry the theme (two levels when fewer than {FEW}); the tagger's F1 for the theme on "
    f"the validation sample's test split is below {LOW_F1} or was not measured; more than "
    f"{TITLE_ONLY:.0%} of its tags rest on the title or a keyword alone; more than "
    f"{HIGH_CONCERN:.0%} of its works have high concern in the reporting appraisal. Coherence "
    "(whether the works agree on the theme's direction) is not assessed."
)


def certainty_table(protocol: Protocol, run) -> pd.DataFrame:
    """Per theme: works, tags resting on the title alone, the tagger's reliability, works of
    high concern, the certainty and the concerns that lowered it."""
    included = set(included_ids(run["status"]))
    codes = run["current_codes"]
    codes = codes[codes["work_id"].isin(included)]
    accuracy = run.get("coding_accuracy")
    reliability = (
        dict(zip(accuracy["theme_id"], accuracy["reliability"], strict=True))
        if accuracy is not None
        else {}
    )
    studies = run.get("studies")
    high = (
        set(studies.loc[studies["concern"] == "high", "work_id"]) if studies is not None else set()
    )
    rows = []
    for theme in protocol.codebook:
        tags = codes[codes["theme_id"] == theme.id]
        works = set(tags["work_id"])
        n = len(works)
        title_only = int(tags["source_field"].isin(TITLE_FIELDS).sum())
        rel = reliability.get(theme.id, "not measured")
        n_high = len(works & high)
        level, why = len(LEVELS) - 1, []
        if n < FEW:
            level, why = level - 2, [*why, f"only {n} works"]
        elif n < SOME:
            level, why = level - 1, [*why, f"{n} works"]
        if rel != "measured":
            level, why = level - 1, [*why, f"tagger {rel}"]
        if n and title_only / n > TITLE_ONLY:
            level, why = level - 1, [*why, f"{title_only} of {n} from titles alone"]
        if n and n_high / n > HIGH_CONCERN:
            level, why = level - 1, [*why, f"{n_high} of {n} of high concern"]
        rows.append(
            {"theme_id": theme.id, "theme": theme.label, "group": theme.group, "works": n,
             "title only": title_only, "tagger": rel, "high concern": n_high,
             "certainty": LEVELS[max(level, 0)], "concerns": "; ".join(why) or "none"}
        )  # fmt: skip
    return pd.DataFrame(rows)
