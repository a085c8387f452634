"""Simulate prioritised screening on a labelled dataset and measure it.

A simulation starts from prior knowledge (by default one relevant and one irrelevant record
drawn with the seed, as in ASReview's benchmarks), then screens record by record in the order
the model ranks them, retraining on a schedule, and records the order. Metrics are computed on
the records screened *after* the priors (N records, R of them relevant):

``wss95``, ``wss100``
    Work saved over sampling at 95 % / 100 % recall: (N − n_r)/N − (1 − r), where n_r is the
    number of records screened when ⌈r·R⌉ relevant records have been found (Cohen et al. 2006).
``recall_at_10``
    Recall after screening 10 % of the N records.
``loss``
    Normalised area between the ideal and the actual recall curve (0 best, 1 worst), as
    ASReview Insights defines it: trapezoid areas on absolute counts, normalised by the gap
    between the best and the worst possible curve.
``atd``
    Average time to discovery: the mean position of the relevant records in the order, over N.

All fractions are in 0..1. The simulation stops when every relevant record has been found
(the rest of the order cannot change any metric).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from slr.errors import SlrError
from slr.ingest.sources import read_source
from slr.screen.model import DEFAULT_MODEL, Ranker

LABEL_COLUMNS = (
    "label_included",
    "included",
    "final_included",
    "label",
    "label_abstract_screening",
)


@dataclass
class LabelledDataset:
    """Texts and human labels of a screening dataset (ASReview's CSV format)."""

    name: str
    texts: list[str]
    labels: np.ndarray
    record_ids: list[str]
    n_empty: int = 0  # records with neither title nor abstract


def read_labelled_dataset(path: str | Path, *, label_column: str | None = None) -> LabelledDataset:
    """Read a labelled dataset (ASReview CSV, or any format slr reads with a label column).

    Raises :class:`SlrError` when the file has no label column, a label that is not 0/1, or no
    relevant record. Records without an abstract are screened on their title; records with
    neither are kept (every model can only find them late).
    """
    path = Path(path)
    src = read_source(path)
    if not src.records:
        raise SlrError(f"{path}: no records")
    first = {k.lower(): k for k in src.records[0].data}
    column = label_column or next((first[c] for c in LABEL_COLUMNS if c in first), None)
    if column is None or column not in src.records[0].data:
        raise SlrError(
            f"{path}: no label column; expected one of {', '.join(LABEL_COLUMNS)} "
            f"(found {', '.join(src.records[0].data)})"
        )
    texts, labels, ids, empty = [], [], [], 0
    for n, rec in enumerate(src.records):
        raw = str(rec.data.get(column, "")).strip()
        if raw not in ("0", "1", "0.0", "1.0"):
            raise SlrError(
                f"{path}: {rec.locator}: label {raw!r} in column {column!r} is not 0 or 1"
            )
        labels.append(int(float(raw)))
        title = str(rec.data.get("title") or rec.data.get("primary_title") or "").strip()
        abstract = str(rec.data.get("abstract") or rec.data.get("notes_abstract") or "").strip()
        empty += not (title or abstract)
        texts.append(f"{title} {abstract}".strip())
        ids.append(str(rec.data.get("record_id", n)))
    y = np.array(labels, dtype=int)
    if y.sum() == 0:
        raise SlrError(f"{path}: no relevant record (every {column} is 0); nothing to find")
    if y.sum() == len(y):
        raise SlrError(f"{path}: every record is relevant; nothing to screen out")
    return LabelledDataset(path.stem, texts, y, ids, empty)


def choose_priors(
    labels: np.ndarray, seed: int, *, n_included: int = 1, n_excluded: int = 1
) -> list[int]:
    """Row numbers of the prior records: ``n_included`` relevant then ``n_excluded`` irrelevant,
    drawn with ``seed`` (the same draw for every model, so tools compare on the same priors)."""
    rng = np.random.default_rng(seed)
    pos, neg = np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)
    if n_included > len(pos) or n_excluded > len(neg):
        raise SlrError(
            f"cannot draw {n_included} relevant and {n_excluded} irrelevant priors from "
            f"{len(pos)} relevant and {len(neg)} irrelevant records"
        )
    inc = rng.choice(pos, n_included, replace=False)
    exc = rng.choice(neg, n_excluded, replace=False)
    return [int(i) for i in (*inc, *exc)]


def retrain_schedule(spec: str | int) -> Callable[[int], int]:
    """How many records to screen before the next retrain, given how many are labelled.

    ``1``: after every record (ASReview's way). ``"auto"``: after max(1, labelled // 50)
    records — every record while fewer than 100 are labelled, then 2 % of the labelled set
    (about 1/20 of the retrains, for the same ranking quality). An integer k: every k records.
    """
    if spec == "auto":
        return lambda n: max(1, n // 50)
    try:
        k = int(spec)
    except (TypeError, ValueError):
        raise SlrError(
            f"retrain schedule {spec!r} is not valid; valid options: auto, 1, 2, …"
        ) from None
    if k < 1:
        raise SlrError(f"retrain every {k} records is not valid; use 1 or more")
    return lambda n: k


@dataclass
class Simulation:
    dataset: str
    model: str
    seed: int
    priors: list[int]
    order: list[int]  # rows screened after the priors, in order
    labels: np.ndarray  # all labels of the dataset
    cpu_seconds: float
    n_retrains: int
    metrics: dict[str, float] = field(default_factory=dict)
    query: str | None = None  # trained on as a pseudo-relevant record

    def summary(self, data: LabelledDataset) -> dict:
        """The metrics (rounded), CPU seconds and the settings, as ``slr simulate --json``
        prints them; the priors by their record ids in ``data``."""
        return {
            **{k: round(v, 6) for k, v in self.metrics.items()},
            "cpu_seconds": round(self.cpu_seconds, 3),
            "n_records": int(len(data.labels)),
            "n_included": int(data.labels.sum()),
            "dataset": data.name,
            "model": self.model,
            "seed": self.seed,
            "priors": [data.record_ids[i] for i in self.priors],
            "retrains": self.n_retrains,
            "query": self.query,
        }

    @property
    def screened_labels(self) -> np.ndarray:
        return self.labels[self.order]

    def curve(self) -> pd.DataFrame:
        """The recall curve: records screened after the priors, relevant found, recall."""
        found = np.cumsum(self.screened_labels)
        n_rel = int(self.labels.sum() - self.labels[self.priors].sum())
        return pd.DataFrame(
            {
                "screened": np.arange(1, len(found) + 1),
                "row": self.order,
                "label": self.screened_labels,
                "found": found,
                "recall": found / n_rel if n_rel else np.ones(len(found)),
            }
        )


def simulate(
    data: LabelledDataset,
    *,
    seed: int = 0,
    model: str = DEFAULT_MODEL,
    priors: list[int] | None = None,
    n_prior_included: int = 1,
    n_prior_excluded: int = 1,
    retrain: str | int = "auto",
    features=None,
    query: str | None = None,
) -> Simulation:
    """Screen ``data`` in model order until every relevant record is found.

    ``features`` (the model's views, :meth:`Ranker.features`) may be given to reuse them across
    seeds; their computation is then not counted in ``cpu_seconds``.

    ``query``: the review's question (and criteria) in words, added to every training set as a
    pseudo-relevant record (never screened, never counted in the metrics). ``features`` must
    then have been computed on ``data.texts + [query]``.
    """
    labels = data.labels
    priors = (
        priors
        if priors is not None
        else choose_priors(labels, seed, n_included=n_prior_included, n_excluded=n_prior_excluded)
    )
    if len(set(labels[priors].tolist())) < 2:
        raise SlrError("the priors need at least one relevant and one irrelevant record")
    step = retrain_schedule(retrain)
    ranker = Ranker(model=model, seed=seed)
    t0 = time.process_time()
    pseudo = [] if not query else [len(labels)]  # the pseudo-relevant record's row
    texts = data.texts + [query] if pseudo else data.texts
    X = features if features is not None else ranker.features(texts)
    n = len(labels)
    in_pool = np.ones(n, dtype=bool)
    in_pool[priors] = False
    labelled = list(priors)
    y_pseudo = np.ones(len(pseudo), dtype=int)
    order: list[int] = []
    to_find = int(labels.sum() - labels[priors].sum())
    found, retrains = 0, 0
    while found < to_find and in_pool.any():
        pool = np.flatnonzero(in_pool)
        rows = np.array(pseudo + labelled)
        ranker.fit(X, rows, np.concatenate([y_pseudo, labels[labelled]]))
        retrains += 1
        scores = ranker.score(X)[pool]
        batch = pool[np.argsort(-scores, kind="stable")[: step(len(labelled))]]
        for row in batch:
            in_pool[row] = False
            labelled.append(int(row))
            order.append(int(row))
            found += int(labels[row])
            if found >= to_find:
                break
    cpu = time.process_time() - t0
    sim = Simulation(data.name, model, seed, priors, order, labels, cpu, retrains, query=query)
    sim.metrics = compute_metrics(
        sim.screened_labels, n_records=n - len(priors), n_relevant=to_find
    )
    return sim


def compute_metrics(screened: np.ndarray, *, n_records: int, n_relevant: int) -> dict[str, float]:
    """WSS@95, WSS@100, recall after 10 %, loss and ATD of a screening order.

    ``screened``: labels (1 relevant, 0 not) in the order screened; it may stop early, the
    unscreened rest counting as screened last in any order.
    """
    screened = np.asarray(screened, dtype=int)
    if n_relevant <= 0:
        raise SlrError("metrics need at least one relevant record to find")
    if int(screened.sum()) > n_relevant or len(screened) > n_records:
        raise SlrError("the screened labels hold more records or relevant records than the dataset")
    # pad: unscreened relevant records come last (the worst case for the rest of the order)
    missing = n_relevant - int(screened.sum())
    rest = n_records - len(screened)
    full = np.concatenate([screened, np.zeros(rest - missing, int), np.ones(missing, int)])
    found = np.cumsum(full)
    N, R = n_records, n_relevant

    def screened_for(r: float) -> int:
        need = math.ceil(r * R - 1e-9)
        return int(np.searchsorted(found, need) + 1)

    tenth = max(1, round(0.1 * N))
    positions = np.flatnonzero(full == 1) + 1
    # trapezoid area under (records screened, relevant found) from the first record on
    best = N * R - 0.5 - R * R / 2
    worst = R * R / 2
    actual = float(np.sum((found[1:] + found[:-1]) / 2))
    return {
        "wss95": (N - screened_for(0.95)) / N - 0.05,
        "wss100": (N - screened_for(1.0)) / N,
        "recall_at_10": float(found[tenth - 1] / R),
        "loss": (best - actual) / (best - worst) if best != worst else 0.0,
        "atd": float(positions.mean() / N),
    }
