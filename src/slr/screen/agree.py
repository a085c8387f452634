"""Agreement between two reviewers, and the conflicts to resolve.

With prioritised screening two reviewers rarely screen the same records (each stops in a
different place), so agreement is computed on the records *both* decided at a stage, and the
report says how many that is. A conflict resolution is a new decision row by a third reviewer
(or by consensus): the current decision of a stage is the last row, whoever wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from slr.errors import SlrError
from slr.stats import agreement
from slr.tables.decisions import latest_decisions


@dataclass(frozen=True)
class Agreement:
    reviewer_a: str
    reviewer_b: str
    stage: str
    n_both: int  # records both reviewers decided
    n_only_a: int
    n_only_b: int
    percent: float
    kappa: float
    ac1: float

    def describe(self) -> str:
        return (
            f"{self.reviewer_a} vs {self.reviewer_b} at {self.stage}: {self.n_both} records decided "
            f"by both ({self.n_only_a} by {self.reviewer_a} only, {self.n_only_b} by "
            f"{self.reviewer_b} only); agreement {self.percent:.1%}, Cohen's κ {self.kappa:.3f}, "
            f"Gwet's AC1 {self.ac1:.3f}"
        )


def _per_reviewer(decisions: pd.DataFrame, stage: str, reviewer: str) -> pd.Series:
    rows = decisions[(decisions["stage"] == stage) & (decisions["reviewer"] == reviewer)]
    current = latest_decisions(rows)
    current = current[current["decision"].isin(["include", "exclude", "unsure"])]
    return current.set_index("work_id")["decision"]


def compute_agreement(
    decisions: pd.DataFrame, reviewer_a: str, reviewer_b: str, *, stage: str = "title_abstract"
) -> Agreement:
    """Agreement of two reviewers' current decisions at ``stage``, on the records both decided."""
    known = sorted(set(decisions["reviewer"]))
    for r in (reviewer_a, reviewer_b):
        if r not in known:
            raise SlrError(f"unknown reviewer {r!r}; reviewers in the log: {', '.join(known)}")
    a = _per_reviewer(decisions, stage, reviewer_a)
    b = _per_reviewer(decisions, stage, reviewer_b)
    both = sorted(set(a.index) & set(b.index))
    if not both:
        raise SlrError(
            f"no record was decided by both {reviewer_a} and {reviewer_b} at {stage}: "
            "agreement is undefined"
        )
    stats = agreement([a[w] for w in both], [b[w] for w in both])
    return Agreement(
        reviewer_a, reviewer_b, stage, len(both), len(set(a.index) - set(b.index)),
        len(set(b.index) - set(a.index)), stats.percent, stats.kappa, stats.ac1,
    )  # fmt: skip


def compute_conflicts(
    decisions: pd.DataFrame, reviewer_a: str, reviewer_b: str, *, stage: str = "title_abstract"
) -> pd.DataFrame:
    """Records on which the two reviewers' current decisions at ``stage`` differ.

    Columns: ``work_id``, each reviewer's decision, ``resolved`` (a later row at this stage by
    someone else settled it) and ``current`` (the decision now in force).
    """
    a = _per_reviewer(decisions, stage, reviewer_a)
    b = _per_reviewer(decisions, stage, reviewer_b)
    rows = decisions[decisions["stage"] == stage]
    last = rows.drop_duplicates("work_id", keep="last").set_index("work_id")
    out = []
    for wid in sorted(set(a.index) & set(b.index)):
        if a[wid] == b[wid]:
            continue
        final = last.loc[wid]
        out.append(
            {
                "work_id": wid,
                reviewer_a: a[wid],
                reviewer_b: b[wid],
                "resolved": final["reviewer"] not in (reviewer_a, reviewer_b),
                "current": final["decision"],
            }
        )
    return pd.DataFrame(out, columns=["work_id", reviewer_a, reviewer_b, "resolved", "current"])


def open_conflicts(decisions: pd.DataFrame, *, stage: str = "title_abstract") -> pd.DataFrame:
    """Records on which the first two reviewers to decide them at ``stage`` disagree, and
    nobody else has decided since: what a third reviewer (or the pair, by consensus, under a
    name of its own) resolves, as :func:`compute_conflicts` counts a resolution.

    Columns: ``work_id`` and ``decisions`` (``reviewer: decision`` of the two, in log order).
    """
    rows = decisions[decisions["stage"] == stage]
    current = {r: _per_reviewer(decisions, stage, r) for r in dict.fromkeys(rows["reviewer"])}
    out = []
    for wid, group in rows.groupby("work_id", sort=False):
        first = [r for r in dict.fromkeys(group["reviewer"]) if wid in current[r].index][:2]
        if len(first) < 2 or current[first[0]][wid] == current[first[1]][wid]:
            continue
        if group["reviewer"].iloc[-1] not in first:  # someone else has settled it
            continue
        out.append(
            {"work_id": wid, "decisions": "; ".join(f"{r}: {current[r][wid]}" for r in first)}
        )
    return pd.DataFrame(out, columns=["work_id", "decisions"])
