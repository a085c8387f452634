"""The automation's accuracy on a validation sample: corpus-wide estimates from a stratified
sample, intervals that hold their nominal coverage, and the review's committed sample."""

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT

from slr.errors import SlrError
from slr.screen.validate import SAMPLE_COLUMNS, automation_accuracy


def _sample(strata: dict[str, tuple[int, list[tuple[str, bool]]]]) -> tuple[pd.DataFrame, set]:
    """strata: name → (size in the corpus, [(decision, kept by the rules), …])."""
    rows, kept = [], set()
    for name, (size, records) in strata.items():
        for i, (decision, keep) in enumerate(records):
            wid = f"{name}{i}"
            rows.append({"work_id": wid, "stratum": name, "stratum_size": size, "split": "test",
                         "decision": decision, "criterion_id": "IC3"})  # fmt: skip
            if keep:
                kept.add(wid)
    return pd.DataFrame(rows), kept


def test_estimates_scale_each_stratum_to_the_corpus():
    # kept stratum: 100 works, 8 of 10 sampled are includes; excluded stratum: 50 works, 5 of 10
    sample, kept = _sample({
        "kept": (100, [("include", True)] * 8 + [("exclude", True)] * 2),
        "excluded": (50, [("include", False)] * 5 + [("exclude", False)] * 5),
    })  # fmt: skip
    acc = automation_accuracy(sample, kept)
    assert acc.recall.value == pytest.approx(80 / 105)
    assert acc.precision.value == pytest.approx(0.8)
    assert acc.missed_includes.value == pytest.approx(25) and acc.rule_excluded == 50
    for e in (acc.recall, acc.precision, acc.missed_includes):
        assert e.low < e.value < e.high
    assert "expected includes among the ~50 automated exclusions: 25" in acc.describe()


def test_the_intervals_cover_the_truth_about_95_percent_of_the_time():
    """Corpora of known truth, sampled as the review's sample is: the 95 % interval of the
    recall holds the true recall in at least ~90 % of 150 repetitions."""
    rng = np.random.default_rng(1)
    sizes, p_include = {"kept": 200, "excluded": 130}, {"kept": 0.9, "excluded": 0.4}
    hits = 0
    for _ in range(150):
        truth = {h: rng.random(n) < p_include[h] for h, n in sizes.items()}
        recall = truth["kept"].sum() / (truth["kept"].sum() + truth["excluded"].sum())
        strata = {
            h: (sizes[h], [("include" if x else "exclude", h == "kept")
                           for x in rng.choice(truth[h], 20, replace=False)])
            for h in sizes
        }  # fmt: skip
        sample, kept = _sample(strata)
        est = automation_accuracy(sample, kept, draws=1000).recall
        hits += est.low <= recall <= est.high
    assert hits / 150 >= 0.9


def test_a_decision_other_than_include_or_exclude_is_named():
    sample, kept = _sample({"a": (10, [("maybe", True)])})
    with pytest.raises(SlrError, match=r"\['maybe'\] are not valid; valid options: include"):
        automation_accuracy(sample, kept)


def test_the_reviews_sample_is_whole_and_screened_with_reasons():
    sample = pd.read_csv(ROOT / "corpus" / "rural-community-business" / "screening-validation.csv")
    assert set(SAMPLE_COLUMNS) <= set(sample.columns) and sample["work_id"].is_unique
    assert set(sample["decision"]) == {"include", "exclude"}
    assert sample["reason"].str.len().gt(10).all()
    assert set(sample["split"]) == {"tune", "test"}
    # one size per stratum, and never fewer works in the corpus than sampled
    sizes = sample.groupby("stratum")["stratum_size"].agg(["nunique", "first", "size"])
    assert (sizes["nunique"] == 1).all() and (sizes["first"] >= sizes["size"]).all()
    assert set(sample["language"]) == {"en", "id"}


def test_known_counts_of_kept_and_excluded_works_are_used_as_they_are():
    """A run knows how many works its rules kept and excluded: the sample then estimates only
    the share of includes in each, so the missed includes never exceed the exclusions."""
    sample, kept = _sample({
        "kept": (100, [("include", True)] * 8 + [("exclude", True)] * 2),
        "excluded": (50, [("include", False)] * 2 + [("exclude", False)] * 8),
    })  # fmt: skip
    acc = automation_accuracy(sample, kept, n_kept=120, n_excluded=30)
    assert acc.rule_excluded == 30 and acc.missed_includes.value == pytest.approx(6)
    assert acc.precision.value == pytest.approx(0.8)
    assert acc.recall.value == pytest.approx(96 / 102)
    assert 0 <= acc.missed_includes.low <= 6 <= acc.missed_includes.high <= 30
