"""Simulated prioritised screening: metrics on hand-made orders, priors, schedules, the CLI."""

import json

import numpy as np
import pytest
from helpers import FIXTURES, shared

from slr.cli import main
from slr.errors import SlrError
from slr.screen.simulate import (
    LabelledDataset,
    choose_priors,
    compute_metrics,
    read_labelled_dataset,
    retrain_schedule,
    simulate,
)


# ---------------------------------------------------------------- metrics on hand-made orders
def test_metrics_of_the_perfect_order():
    m = compute_metrics(np.array([1, 1] + [0] * 8), n_records=10, n_relevant=2)
    assert m["wss95"] == pytest.approx(0.75)
    assert m["wss100"] == pytest.approx(0.8)
    assert m["recall_at_10"] == pytest.approx(0.5)
    assert m["loss"] == pytest.approx(0.0)
    assert m["atd"] == pytest.approx(0.15)


def test_metrics_of_the_worst_order():
    m = compute_metrics(np.array([0] * 8 + [1, 1]), n_records=10, n_relevant=2)
    assert m["wss95"] == pytest.approx(-0.05)
    assert m["wss100"] == pytest.approx(0.0)
    assert m["recall_at_10"] == pytest.approx(0.0)
    assert m["loss"] == pytest.approx(1.0)
    assert m["atd"] == pytest.approx(0.95)


def test_metrics_of_a_middle_order():
    m = compute_metrics(np.array([0, 1, 0, 0, 1, 0, 0, 0, 0, 0]), n_records=10, n_relevant=2)
    assert m["wss95"] == pytest.approx(0.45)
    assert m["wss100"] == pytest.approx(0.5)
    assert m["loss"] == pytest.approx(3.5 / 15.5)  # areas 17.5 best, 14 actual, 2 worst
    assert m["atd"] == pytest.approx(0.35)


def test_an_order_that_stops_early_counts_the_rest_as_last():
    m = compute_metrics(np.array([1, 0]), n_records=10, n_relevant=2)
    assert m["wss100"] == pytest.approx(0.0)
    assert m["wss95"] == pytest.approx(-0.05)


def test_metrics_refuse_impossible_input():
    with pytest.raises(SlrError, match="at least one relevant"):
        compute_metrics(np.array([0, 0]), n_records=2, n_relevant=0)


# ---------------------------------------------------------------- datasets and priors
def test_priors_are_one_relevant_one_irrelevant_and_seeded():
    y = np.array([0] * 50 + [1] * 5)
    a, b = choose_priors(y, 7), choose_priors(y, 7)
    assert a == b and y[a[0]] == 1 and y[a[1]] == 0
    assert choose_priors(y, 8) != a or choose_priors(y, 9) != a
    assert len(choose_priors(y, 1, n_included=3, n_excluded=4)) == 7


def test_dataset_without_labels_or_without_relevant_records(tmp_path):
    f = tmp_path / "nolabel.csv"
    f.write_text("title,abstract\nA,b\n", encoding="utf-8")
    with pytest.raises(SlrError, match="no label column; expected one of label_included"):
        read_labelled_dataset(f)
    f = tmp_path / "none.csv"
    f.write_text("title,abstract,label_included\nA,b,0\nC,d,0\n", encoding="utf-8")
    with pytest.raises(SlrError, match="no relevant record"):
        read_labelled_dataset(f)
    f = tmp_path / "bad.csv"
    f.write_text("title,abstract,label_included\nA,b,yes\n", encoding="utf-8")
    with pytest.raises(
        SlrError, match="line 2: label 'yes' in column 'label_included' is not 0 or 1"
    ):
        read_labelled_dataset(f)


def test_records_without_abstract_or_text_are_kept(tmp_path):
    f = tmp_path / "d.csv"
    f.write_text(
        "title,abstract,label_included\nVillage cooperatives,,1\n,,0\nStock returns,Listed firms,0\n",
        encoding="utf-8",
    )
    data = read_labelled_dataset(f)
    assert data.texts == ["Village cooperatives", "", "Stock returns Listed firms"]
    assert data.n_empty == 1


def test_retrain_schedules():
    assert retrain_schedule("auto")(10) == 1 and retrain_schedule("auto")(400) == 8
    assert retrain_schedule(1)(400) == 1 and retrain_schedule("5")(3) == 5
    with pytest.raises(SlrError, match="retrain schedule 'often' is not valid"):
        retrain_schedule("often")


# ---------------------------------------------------------------- simulations
def _toy() -> LabelledDataset:
    rel = [f"village cooperative savings group study {i}" for i in range(8)]
    irr = [f"stock market volatility of listed firms quarter {i}" for i in range(40)]
    irr += [f"hospital pharmacy alert trial ward {i}" for i in range(40)]
    texts = rel + irr
    return LabelledDataset("toy", texts, np.array([1] * 8 + [0] * 80), [str(i) for i in range(88)])


@pytest.mark.parametrize("model", ["elas-u4", "slr", "logistic", "nb", "minilm", "semantic"])
def test_simulation_finds_relevant_records_first_and_is_deterministic(model):
    a = simulate(_toy(), seed=3, model=model)
    b = simulate(_toy(), seed=3, model=model)
    assert a.order == b.order
    assert a.metrics == b.metrics
    assert a.metrics["wss100"] > 0.8  # 7 relevant found within the first few records
    assert set(a.priors) & set(a.order) == set()
    curve = a.curve()
    assert curve["recall"].iloc[-1] == pytest.approx(1.0)


def test_simulate_cli_json(tmp_path, capsys):
    f = tmp_path / "toy.csv"
    data = _toy()
    lines = ["title,abstract,label_included"] + [
        f"{t},,{y}" for t, y in zip(data.texts, data.labels, strict=True)
    ]
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert (
        main(["simulate", str(f), "--seed", "2", "--json", "--curve", str(tmp_path / "curve.csv")])
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    for key in (
        "wss95",
        "wss100",
        "recall_at_10",
        "loss",
        "atd",
        "cpu_seconds",
        "n_records",
        "n_included",
    ):
        assert key in out
    assert out["n_records"] == 88 and out["n_included"] == 8
    assert all(0 <= out[k] <= 1 for k in ("wss100", "recall_at_10", "loss", "atd"))
    assert (
        (tmp_path / "curve.csv")
        .read_text(encoding="utf-8")
        .startswith("screened,row,label,found,recall")
    )


def test_simulate_cli_bad_dataset(tmp_path, capsys):
    assert main(["simulate", str(FIXTURES / "mini" / "records.csv")]) == 1
    assert "no label column" in capsys.readouterr().err


def test_simulation_on_a_real_dataset_beats_random():
    data = read_labelled_dataset(shared("screening", "Filges2015_FFT_AIscreenR_tutorial_TA.csv"))
    sim = simulate(data, seed=1, model="elas-u4")
    assert sim.metrics["wss95"] > 0.2 and sim.metrics["recall_at_10"] > 0.2


def test_the_review_question_as_a_pseudo_relevant_record():
    """Two kinds of relevant records; the prior is of one kind, the question names the other:
    trained on as a relevant record, it brings the second kind forward. It is never screened."""
    kind_a = [f"village cooperative savings group members {i}" for i in range(5)]
    kind_b = [f"handicraft microenterprise weavers income {i}" for i in range(5)]
    irr = [f"stock market volatility listed firms quarter {i}" for i in range(40)]
    irr += [f"hospital pharmacy alert trial ward nurses {i}" for i in range(40)]
    texts = kind_a + irr + kind_b  # kind b last: ties would not bring it forward
    labels = np.array([1] * 5 + [0] * 80 + [1] * 5)
    data = LabelledDataset("kinds", texts, labels, [str(i) for i in range(90)])
    question = "Income of handicraft microenterprise weavers and village cooperatives"
    plain = simulate(data, seed=0, priors=[0, 5])
    asked = simulate(data, seed=0, priors=[0, 5], query=question)
    assert len(texts) not in asked.order and len(asked.order) == len(set(asked.order))
    last_b = {s.query: max(s.order.index(i) for i in range(85, 90)) for s in (plain, asked)}
    assert last_b[question] < last_b[None]
    assert asked.metrics["wss100"] > plain.metrics["wss100"]
    assert asked.summary(data)["query"] == question and plain.summary(data)["query"] is None
