"""How well the automated screening does, measured on a validation sample that people screened.

The sample is a stratified random sample of a review's works (``corpus/<review>/
screening-validation.csv``: ``work_id``, ``stratum``, ``stratum_size``, the people's
``decision`` and criterion, a one-line reason). Within each stratum, the shares of the sample
that people include and the rules keep are scaled to the stratum's size, so the estimates hold
for the whole corpus, not only the sample, whichever rule is measured.

:func:`automation_accuracy` compares the people's decisions with what the rules did (a work the
rules *kept* went on to people or to eligibility; one they *excluded* never reached a person):
recall (the share of the corpus's includes the rules kept), precision (the share of what they
kept that people include), and the expected number of includes among the automated exclusions,
each with a 95 % interval.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from slr.errors import SlrError
from slr.tables.decisions import by_people

SAMPLE_COLUMNS = ("work_id", "stratum", "stratum_size", "split", "decision", "criterion_id")


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.value:.2f} [{self.low:.2f}, {self.high:.2f}]"


@dataclass(frozen=True)
class Accuracy:
    """The rules against people's decisions on a validation sample, for the whole corpus."""

    n_sample: int
    n_includes: int  # in the sample, by people
    recall: Estimate
    precision: Estimate
    missed_includes: Estimate  # expected includes among the works the rules excluded
    rule_excluded: float  # works the rules excluded, in the corpus (estimated)

    def describe(self) -> str:
        return (
            f"recall {self.recall}, precision {self.precision} (95 % intervals, {self.n_sample} "
            f"records screened by people, {self.n_includes} includes); expected includes among "
            f"the ~{self.rule_excluded:.0f} automated exclusions: "
            f"{self.missed_includes.value:.0f} [{self.missed_includes.low:.0f}, "
            f"{self.missed_includes.high:.0f}]"
        )


def interval_text(row: Mapping, key: str, fmt: str = "{:.2f}") -> str:
    """``value [low, high]`` of ``key`` in a row of :func:`accuracy_table`."""
    return f"{fmt.format(row[key])} [{fmt.format(row[key + '_low'])}, {fmt.format(row[key + '_high'])}]"


def check_sample(sample: pd.DataFrame) -> pd.DataFrame:
    """``sample`` if it has the columns and decisions it needs; else an error naming them."""
    missing = [c for c in SAMPLE_COLUMNS if c not in sample.columns]
    if missing:
        raise SlrError(
            f"the validation sample lacks {missing}; it needs {', '.join(SAMPLE_COLUMNS)}"
        )
    bad = sorted(set(sample["decision"]) - {"include", "exclude"})
    if bad:
        raise SlrError(f"validation decisions {bad} are not valid; valid options: include, exclude")
    return sample


def _cells(sample: pd.DataFrame, kept: set[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per stratum: its size in the corpus, and the sample's counts of (include & kept,
    include & excluded, exclude & kept, exclude & excluded)."""
    include = sample["decision"] == "include"
    keep = sample["work_id"].isin(kept)
    cells = np.stack([include & keep, include & ~keep, ~include & keep, ~include & ~keep], axis=1)
    sizes, counts = [], []
    for _, rows in sample.groupby("stratum", sort=True):
        sizes.append(float(rows["stratum_size"].iloc[0]))
        counts.append(cells[sample.index.get_indexer(rows.index)].sum(axis=0))
    return np.array(sizes), np.array(counts, dtype=float)


def _rates(totals: np.ndarray) -> np.ndarray:
    """recall, precision, includes among exclusions, exclusions — from corpus cell totals
    (last axis: the four cells of :func:`_cells`)."""
    tp, fn, fp, tn = np.moveaxis(totals, -1, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.stack([tp / (tp + fn), tp / (tp + fp), fn, fn + tn], axis=-1)


def automation_accuracy(
    sample: pd.DataFrame,
    kept: set[str],
    *,
    n_kept: int | None = None,
    n_excluded: int | None = None,
    draws: int = 4000,
    seed: int = 0,
) -> Accuracy:
    """The rules' recall, precision and missed includes on ``sample`` (see the module), where
    ``kept`` holds the work IDs the rules did not exclude.

    ``n_kept`` and ``n_excluded``: how many works of the corpus the rules kept and excluded,
    when known (a run knows them): the sample then estimates only the share of includes among
    each (weighted by stratum), not the counts themselves. Intervals: each stratum's four cell
    shares drawn from their Dirichlet posterior (Jeffreys prior, so a stratum where every
    sampled work agrees still leaves room for error), scaled to the stratum's size.
    """
    s = check_sample(sample).reset_index(drop=True)
    sizes, counts = _cells(s, kept)
    n = counts.sum(axis=1, keepdims=True)
    point_totals = (sizes[:, None] * counts / n).sum(axis=0)
    rng = np.random.default_rng(seed)
    shares = np.stack([rng.dirichlet(c + 0.5, size=draws) for c in counts], axis=1)
    drawn_totals = (sizes[None, :, None] * shares).sum(axis=1)
    if n_kept is not None and n_excluded is not None:
        point_totals = _known(point_totals, n_kept, n_excluded)
        drawn_totals = _known(drawn_totals, n_kept, n_excluded)
    point = _rates(point_totals)
    low, high = np.nanpercentile(_rates(drawn_totals), [2.5, 97.5], axis=0)

    def estimate(k: int) -> Estimate:  # (as Jeffreys intervals do, an interval holds its point)
        value = float(point[k])
        return Estimate(value, min(float(low[k]), value), max(float(high[k]), value))

    return Accuracy(
        n_sample=len(s),
        n_includes=int((s["decision"] == "include").sum()),
        recall=estimate(0),
        precision=estimate(1),
        missed_includes=estimate(2),
        rule_excluded=float(point[3]),
    )


def _known(totals: np.ndarray, n_kept: int, n_excluded: int) -> np.ndarray:
    """Cell totals rescaled so that the kept and excluded works number what the run counted:
    the sample then only says which share of each people include."""
    tp, fn, fp, tn = np.moveaxis(totals, -1, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        k = n_kept / (tp + fp)
        e = np.where(fn + tn > 0, n_excluded / (fn + tn), 0.0)
    return np.stack([tp * k, fn * e, fp * k, tn * e], axis=-1)


def rules_kept(decisions: pd.DataFrame) -> set[str]:
    """The works the rules did not exclude at any stage (``automation``, ``title_abstract``,
    ``eligibility``; people's rows aside)."""
    rules = decisions[~by_people(decisions)]
    return set(rules["work_id"]) - set(rules.loc[rules["decision"] == "exclude", "work_id"])


def accuracy_table(sample: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """The automation's accuracy on the validation sample and on its ``test`` half (the works
    no rule was tuned on), one row each, for the run's rule ``decisions``; sampled works the
    run does not have are left out (``n`` says how many were used)."""
    kept = rules_kept(decisions)
    judged = set(decisions.loc[~by_people(decisions), "work_id"])
    counts = {"n_kept": len(kept), "n_excluded": len(judged - kept)}
    present = sample[sample["work_id"].isin(judged)]
    rows = []
    for label, part in (
        ("validation sample", present),
        ("its test half", present[present["split"] == "test"]),
    ):
        if part.empty:
            continue
        acc = automation_accuracy(part, kept, **counts)
        row = {"records": label, "n": acc.n_sample, "includes": acc.n_includes,
               "excluded": acc.rule_excluded}  # fmt: skip
        for name in ("recall", "precision", "missed_includes"):
            e = getattr(acc, name)
            key = name.removesuffix("_includes")
            row.update({key: e.value, f"{key}_low": e.low, f"{key}_high": e.high})
        rows.append(row)
    return pd.DataFrame(rows).round(4)
