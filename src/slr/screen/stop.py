"""Stopping rules for prioritised screening.

The rule slr applies is Callaghan & Müller-Hansen's (2020) hypergeometric test, below.

The null hypothesis is "we have missed the recall target". The most recently screened records
are treated as a sample drawn without replacement from an urn holding them and every record not
yet screened; if fewer than ``K`` relevant records were in that urn, the recall target would be
met, where ``K`` is the smallest number that would make it missed. The p-value is the
hypergeometric probability of seeing as few relevant records as were seen in the sample if the
urn held ``K``. Every sample size (the last n records, n = 1 … all) is tried and the smallest
p-value kept; it is safe to stop when it is below 1 − confidence. Prioritised screening puts
relevant records first, so treating its tail as a random sample is conservative.

:func:`point_process_bound` is a second rule, for comparison in ``make bench-screening`` only:
Sneyd & Stevenson's inhomogeneous Poisson process (2019; Stevenson & Bin-Hezam 2023). The
rate at which relevant records turn up along the ranking is fitted with a power law
``a·x^k`` (least squares over equal windows of the screened records); the number of relevant
records in the whole set is then Poisson with mean the rate's integral over all records, and
it is safe to stop when the records found reach the recall target of that number's
``confidence`` quantile. It rests on the fitted curve, not on a test: the benchmark measures
how often it stops short of the target.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import curve_fit
from scipy.stats import hypergeom, poisson

from slr.errors import SlrError


@dataclass(frozen=True)
class StopCheck:
    p_value: float
    safe_to_stop: bool
    recall_target: float
    confidence: float
    n_screened: int
    n_relevant_seen: int
    n_total: int
    sample_size: int  # the window that gave the smallest p-value

    def describe(self) -> str:
        verdict = "safe to stop" if self.safe_to_stop else "keep screening"
        return (
            f"p = {self.p_value:.4f} for 'recall < {self.recall_target:.0%}' after "
            f"{self.n_screened} of {self.n_total} records ({self.n_relevant_seen} relevant): "
            f"{verdict} at {self.confidence:.0%} confidence"
        )


def stopping_p_value(
    screened: np.ndarray, n_total: int, *, recall_target: float = 0.95
) -> tuple[float, int]:
    """The smallest p-value of H0 "recall < target" over all tail samples, and its sample size.

    ``screened``: labels (1/0) in the order the records were screened (priors included).
    """
    labels = np.asarray(screened, dtype=int)
    n_seen = len(labels)
    if not 0 < recall_target < 1:
        raise SlrError(f"recall target {recall_target} must be between 0 and 1")
    if n_seen == 0 or n_seen > n_total:
        raise SlrError(f"{n_seen} screened records of {n_total}: nothing to test")
    p, n = _tail_p_values(labels, np.array([n_seen]), n_total, recall_target)
    best = int(np.argmin(p))
    return float(p[best]), int(n[best])


def _tail_p_values(
    labels: np.ndarray, ends: np.ndarray, n_total: int, recall_target: float
) -> tuple[np.ndarray, np.ndarray]:
    """The p-value and size of every tail sample after each of ``ends`` records screened: for
    an end, the samples are the last n records (n = end − start for every start < end), in
    order of start; the ends' samples follow each other in one array."""
    cum = np.concatenate([[0], np.cumsum(labels)])
    starts = np.concatenate([np.arange(e) for e in ends])
    end = np.repeat(ends, ends)
    r_seen = cum[end]  # relevant seen up to the end
    before = cum[starts]  # relevant seen before the sample
    k = r_seen - before  # relevant in the sample
    n = end - starts  # sample size
    urn = n_total - starts  # the sample plus every record not yet screened
    k_h0 = np.floor(r_seen / recall_target - before + 1).astype(int)
    k_h0 = np.maximum(k_h0, k)  # the urn holds at least what the sample showed
    possible = k_h0 <= urn
    p = np.ones(len(starts))
    if possible.any():
        p[possible] = hypergeom.cdf(k[possible], urn[possible], k_h0[possible], n[possible])
    return p, n


def check_stopping(
    screened: np.ndarray, n_total: int, *, recall_target: float = 0.95, confidence: float = 0.95
) -> StopCheck:
    """Whether it is safe to stop screening now, with the p-value behind the answer."""
    if not 0 < confidence < 1:
        raise SlrError(f"confidence {confidence} must be between 0 and 1")
    p, size = stopping_p_value(screened, n_total, recall_target=recall_target)
    labels = np.asarray(screened, dtype=int)
    return StopCheck(
        p_value=p,
        safe_to_stop=p < 1 - confidence,
        recall_target=recall_target,
        confidence=confidence,
        n_screened=len(labels),
        n_relevant_seen=int(labels.sum()),
        n_total=n_total,
        sample_size=size,
    )


def first_stop(
    screened: np.ndarray,
    n_total: int,
    *,
    recall_target: float = 0.95,
    confidence: float = 0.95,
    every: int = 1,
    batch: int = 32,
) -> int | None:
    """The number of screened records at which the rule first says stop (checked every
    ``every`` records), or ``None`` if it never does before the end.

    The same answer as :func:`check_stopping` after 1 × ``every``, 2 × ``every`` … records, with
    the p-values of ``batch`` checks computed at once.
    """
    labels = np.asarray(screened, dtype=int)
    check_stopping(labels[:1], n_total, recall_target=recall_target, confidence=confidence)
    checks = np.arange(every, len(labels) + 1, every)
    for i in range(0, len(checks), batch):
        ends = checks[i : i + batch]
        p, _ = _tail_p_values(labels, ends, n_total, recall_target)
        smallest = np.minimum.reduceat(p, np.concatenate([[0], np.cumsum(ends)[:-1]]))
        safe = np.flatnonzero(smallest < 1 - confidence)
        if len(safe):
            return int(ends[safe[0]])
    return None


def _power_law(x: np.ndarray, a: float, k: float) -> np.ndarray:
    return a * np.power(x, k)


def point_process_bound(
    screened: np.ndarray,
    n_total: int,
    *,
    recall_target: float = 0.95,
    confidence: float = 0.95,
    windows: int = 10,
    min_relevant: int = 20,
) -> int | None:
    """The ``confidence`` upper bound on the number of relevant records among ``n_total``,
    from a power-law rate fitted to where relevant records turned up in ``screened`` (labels
    in screening order), or ``None`` when no curve can be fitted yet: fewer than
    ``min_relevant`` relevant records found or fewer than ``windows`` screened (the published
    settings: 10 windows, 20 relevant), a fit that does not converge, or one that puts more
    than 1/``recall_target`` times the records found among those screened (the published
    check)."""
    labels = np.asarray(screened, dtype=int)
    size = len(labels) // windows
    found = int(labels.sum())
    if size < 1 or found < max(1, min_relevant):
        return None
    rates = labels[: size * windows].reshape(windows, size).mean(axis=1)
    starts = np.arange(windows) * size + 1.0
    try:
        (a, k), _ = curve_fit(_power_law, starts, rates, p0=(0.1, -0.5), maxfev=2000)
    except (RuntimeError, ValueError):  # no convergence: no estimate, keep screening
        return None
    if not (np.isfinite(a) and np.isfinite(k)) or a <= 0 or abs(k + 1) < 1e-9:
        return None
    x = np.arange(1, len(labels) + 1, dtype=float)
    if found < recall_target * _power_law(x, a, k).sum():  # the curve claims more than was seen
        return None
    mean = a / (k + 1) * (n_total ** (k + 1) - 1)
    if not np.isfinite(mean) or mean <= 0:
        return None
    return max(found, int(poisson.ppf(confidence, mean)))


def first_point_process_stop(
    screened: np.ndarray,
    n_total: int,
    *,
    recall_target: float = 0.95,
    confidence: float = 0.95,
    every: int = 1,
    windows: int = 10,
) -> int | None:
    """Like :func:`first_stop`, for the point-process rule: the number of screened records at
    which the relevant records found first reach ``recall_target`` of the upper bound."""
    labels = np.asarray(screened, dtype=int)
    found = np.cumsum(labels)
    for end in range(every, len(labels) + 1, every):
        bound = point_process_bound(
            labels[:end],
            n_total,
            recall_target=recall_target,
            confidence=confidence,
            windows=windows,
        )
        if bound is not None and found[end - 1] >= recall_target * bound:
            return end
    return None
