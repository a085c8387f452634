"""The tagger measured against a coded sample."""

import pandas as pd
import pytest
from helpers import ROOT

from slr.coding.evaluate import bootstrap_f1, evaluate_codes
from slr.errors import SlrError
from slr.layout import ReviewPaths
from slr.protocol import load_protocol

PROTOCOL = load_protocol(ROOT / "protocols" / "rural-community-business.yaml")


def test_evaluate_codes_against_hand_computed_values():
    ref = pd.DataFrame({"work_id": ["a", "b", "c", "d"], "themes": ["P01 S01", "P01", "", "S01"]})
    codes = pd.DataFrame(
        {"work_id": ["a", "a", "c", "d", "x"], "theme_id": ["P01", "S02", "P01", "S01", "P01"]}
    )
    table, s = evaluate_codes(codes, ref, ["P01", "S01", "S02"])
    t = table.set_index("theme_id")
    # P01: truth {a,b}, tagged {a,c}: P 1/2, R 1/2; S01: truth {a,d}, tagged {d}: P 1, R 1/2
    assert t.loc["P01", "precision"] == 0.5 and t.loc["P01", "recall"] == 0.5
    assert t.loc["S01", "precision"] == 1.0 and t.loc["S01", "recall"] == 0.5
    assert t.loc["S02", "f1"] == 0.0  # tagged once, never true
    assert s["macro_f1"] == pytest.approx((0.5 + 2 / 3 + 0) / 3)
    # 12 cells: truth 4 positives, tagged 4 (x is outside the sample); agree on 2 positives
    # and 6 negatives → po 8/12; pe = (4/12)(4/12) + (8/12)(8/12) = 80/144
    po, pe = 8 / 12, 80 / 144
    assert s["kappa"] == pytest.approx((po - pe) / (1 - pe))
    # Krippendorff: n = 24 values, 8 ones, 16 zeros, 4 disagreeing cells
    assert s["alpha"] == pytest.approx(1 - 23 * 4 / (16 * 8))
    assert s["micro_f1"] == pytest.approx(2 * 2 / 8)


def test_evaluate_codes_names_unknown_themes():
    ref = pd.DataFrame({"work_id": ["a"], "themes": ["Z99"]})
    with pytest.raises(SlrError, match="Z99"):
        evaluate_codes(pd.DataFrame({"work_id": [], "theme_id": []}), ref, ["P01"])


def test_the_committed_validation_sample_uses_codebook_themes_only():
    from slr.coding.evaluate import read_validation_sample

    ref = read_validation_sample(ReviewPaths.of(PROTOCOL).resolve(PROTOCOL.coding.validation))
    themes = {t.id for t in PROTOCOL.codebook}
    assert len(ref) >= 80 and ref["work_id"].is_unique
    assert {t for ts in ref["themes"] for t in ts.split()} <= themes
    assert set(ref["language"]) == {"en", "id"}
    assert "abstract" not in ref.columns  # facts only


def test_per_theme_intervals_and_reliability_flags():
    ref = pd.DataFrame({"work_id": list("abcdef"), "themes": ["T1", "T1", "T1", "T1 T2", "", ""]})
    codes = pd.DataFrame({"work_id": list("abcef"), "theme_id": ["T1", "T1", "T1", "T1", "T2"]})
    table, _ = evaluate_codes(codes, ref, ["T1", "T2"])
    t1, t2 = table.set_index("theme_id").loc["T1"], table.set_index("theme_id").loc["T2"]
    assert (t1.precision, t1.recall) == (0.75, 0.75)
    assert t1.precision_low < 0.75 < t1.precision_high and t1.recall_high < 1
    assert t1.reliability == "measured"  # 4 reference tags, F1 0.75
    assert t2.reliability == "not measured" and t2.recall == 0 and t2.recall_low == 0


def test_bootstrap_interval_holds_the_point_estimate():
    ref = pd.DataFrame({"work_id": [f"w{i}" for i in range(30)], "themes": ["T1"] * 20 + [""] * 10})
    codes = pd.DataFrame({"work_id": [f"w{i}" for i in range(15, 30)], "theme_id": "T1"})
    _, summary = evaluate_codes(codes, ref, ["T1"])
    ci = bootstrap_f1(codes, ref, ["T1"], draws=300)
    assert ci["macro_f1"][0] < summary["macro_f1"] < ci["macro_f1"][1]
    assert ci["micro_f1"] == ci["macro_f1"]  # one theme: the two agree
    assert bootstrap_f1(codes, ref, ["T1"], draws=300) == ci  # seeded
