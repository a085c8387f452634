"""Agreement between two raters: one implementation for two screening reviewers and for the
tagger against a coded sample.

A pure function of paired labels (any hashable categories).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from scipy.stats import beta

from slr.errors import SlrError


@dataclass(frozen=True)
class Agreement:
    """Percentage agreement, Cohen's κ, Gwet's AC1 and Krippendorff's α (nominal) of two raters
    over ``n`` paired labels."""

    n: int
    percent: float
    kappa: float
    ac1: float
    alpha: float


def agreement(a: Sequence, b: Sequence) -> Agreement:
    """The agreement of two raters' paired labels ``a[i]``, ``b[i]``.

    - κ = (p_o − p_e) / (1 − p_e), p_e from each rater's own marginals (Cohen);
    - AC1 = (p_o − p_e) / (1 − p_e), p_e = Σ π_c(1 − π_c) / (q − 1) over the pooled marginals
      π of q ≥ 2 categories (Gwet);
    - α = 1 − (N − 1) · 2D / Σ_{c≠k} n_c n_k over the N = 2n pooled values, D the pairs that
      disagree (Krippendorff, nominal, two raters, no missing values).

    A statistic whose chance agreement is total (both raters used one category throughout) is 1.
    """
    if len(a) != len(b):
        raise SlrError(f"paired labels differ in length: {len(a)} and {len(b)}")
    n = len(a)
    if n == 0:
        raise SlrError("no paired labels: agreement is undefined")
    count_a, count_b = Counter(a), Counter(b)
    categories = sorted(set(count_a) | set(count_b), key=str)
    agree = sum(x == y for x, y in zip(a, b, strict=True))
    po = agree / n
    pa = {c: count_a[c] / n for c in categories}
    pb = {c: count_b[c] / n for c in categories}
    pe_kappa = sum(pa[c] * pb[c] for c in categories)
    kappa = (po - pe_kappa) / (1 - pe_kappa) if pe_kappa < 1 else 1.0
    q = max(len(categories), 2)
    pi = {c: (pa[c] + pb[c]) / 2 for c in categories}
    pe_ac1 = sum(p * (1 - p) for p in pi.values()) / (q - 1)
    ac1 = (po - pe_ac1) / (1 - pe_ac1) if pe_ac1 < 1 else 1.0
    pooled = {c: count_a[c] + count_b[c] for c in categories}
    expected = sum(pooled[c] * pooled[k] for c in categories for k in categories if c != k)
    alpha = 1 - (2 * n - 1) * 2 * (n - agree) / expected if expected else 1.0
    return Agreement(n, po, float(kappa), float(ac1), float(alpha))


def jeffreys(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """The Jeffreys interval of a proportion ``k / n`` (the Beta(k + ½, n − k + ½) quantiles;
    an end at 0 or 1 when ``k`` is 0 or ``n``); (nan, nan) when ``n`` is 0."""
    if n == 0:
        return (float("nan"), float("nan"))
    tail = (1 - level) / 2
    low = 0.0 if k == 0 else float(beta.ppf(tail, k + 0.5, n - k + 0.5))
    high = 1.0 if k == n else float(beta.ppf(1 - tail, k + 0.5, n - k + 0.5))
    return (low, high)
