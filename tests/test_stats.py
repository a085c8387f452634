"""Agreement statistics, checked against values computed by hand."""

import pytest

from slr.errors import SlrError
from slr.stats import agreement


def test_kappa_ac1_and_alpha_by_hand():
    a = list("IIEEEIEEEE")
    b = list("IEEEEIEIEE")
    s = agreement(a, b)
    assert s.n == 10 and s.percent == pytest.approx(0.8)
    # marginals: a 3 I / 7 E, b 3 I / 7 E → p_e = .09 + .49
    assert s.kappa == pytest.approx((0.8 - 0.58) / 0.42)
    # pooled π_I = .3: p_e = 2 · .3 · .7 / 1
    assert s.ac1 == pytest.approx((0.8 - 0.42) / 0.58)
    # 20 values (6 I, 14 E), 2 disagreeing units: α = 1 − 19 · 4 / (2 · 6 · 14)
    assert s.alpha == pytest.approx(1 - 19 * 4 / 168)


def test_one_category_throughout_is_total_agreement_and_empty_input_is_refused():
    s = agreement([True] * 4, [True] * 4)
    assert (s.percent, s.kappa, s.ac1, s.alpha) == (1.0, 1.0, 1.0, 1.0)
    with pytest.raises(SlrError, match="no paired labels"):
        agreement([], [])
    with pytest.raises(SlrError, match="differ in length: 2 and 1"):
        agreement(["a", "b"], ["a"])
