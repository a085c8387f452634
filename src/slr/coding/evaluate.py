"""The tagger measured against a coded validation sample (works coded by people)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from slr.errors import SlrError
from slr.stats import agreement, jeffreys

LOW_F1 = 0.6  # a theme measured below this F1 is flagged as low-reliability in the findings
MIN_REFERENCE = 3  # fewer reference tags than this: the theme's reliability is not measured


def read_validation_sample(path) -> pd.DataFrame:
    """A coded validation sample: CSV with ``work_id``, ``themes`` (space-separated theme IDs,
    empty for none) and optionally ``language``, ``doi``, ``title``, ``note``."""
    path = Path(path)
    if not path.is_file():
        raise SlrError(f"validation sample not found: {path}")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = {"work_id", "themes"} - set(df.columns)
    if missing:
        raise SlrError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
    return df


def evaluate_codes(
    codes: pd.DataFrame, reference: pd.DataFrame, themes: Iterable[str]
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Tagger against a coded reference sample (the works in ``reference`` only).

    Returns a per-theme table (n reference tags, n predicted, precision, recall, F1) and the
    summary: macro precision/recall/F1 over themes that either side uses, micro-F1, Cohen's
    kappa and Krippendorff's alpha (nominal, two coders) over all work × theme cells.
    """
    themes = list(themes)
    ids = set(reference["work_id"])
    truth = {
        (w, t)
        for w, ts in zip(reference["work_id"], reference["themes"], strict=True)
        for t in str(ts).split()
    }
    unknown = sorted({t for _, t in truth} - set(themes))
    if unknown:
        raise SlrError(
            f"the reference sample uses unknown theme(s) {', '.join(unknown)}; "
            f"valid options: {', '.join(themes)}"
        )
    pred = {(w, t) for w, t in zip(codes["work_id"], codes["theme_id"], strict=True) if w in ids}
    rows = []
    for t in themes:
        ref_t = {k for k in truth if k[1] == t}
        pred_t = {k for k in pred if k[1] == t}
        tp = len(ref_t & pred_t)
        p = tp / len(pred_t) if pred_t else np.nan
        r = tp / len(ref_t) if ref_t else np.nan
        f = (
            2 * p * r / (p + r)
            if ref_t and pred_t and p + r
            else (0.0 if ref_t or pred_t else np.nan)
        )
        p_low, p_high = jeffreys(tp, len(pred_t))
        r_low, r_high = jeffreys(tp, len(ref_t))
        rows.append(
            {
                "theme_id": t,
                "n_reference": len(ref_t),
                "n_tagged": len(pred_t),
                "precision": p,
                "precision_low": p_low,
                "precision_high": p_high,
                "recall": r,
                "recall_low": r_low,
                "recall_high": r_high,
                "f1": f,
                "reliability": _reliability(len(ref_t), f),
            }
        )
    table = pd.DataFrame(rows)
    used = table[(table["n_reference"] > 0) | (table["n_tagged"] > 0)]
    tp, n_pred, n_ref = len(truth & pred), len(pred), len(truth)
    cells = [(w, t) for w in sorted(ids) for t in themes]
    cell_agreement = agreement([c in truth for c in cells], [c in pred for c in cells])
    summary = {
        "works": float(len(ids)),
        "macro_precision": float(used["precision"].fillna(0).mean()),
        "macro_recall": float(used["recall"].fillna(0).mean()),
        "macro_f1": float(used["f1"].mean()),
        "micro_f1": 2 * tp / (n_pred + n_ref) if n_pred + n_ref else 1.0,
        "kappa": cell_agreement.kappa,
        "alpha": cell_agreement.alpha,
    }
    return table, summary


def _reliability(n_reference: int, f1: float) -> str:
    if n_reference < MIN_REFERENCE:
        return "not measured"
    return "low" if f1 < LOW_F1 else "measured"


def bootstrap_f1(
    codes: pd.DataFrame,
    reference: pd.DataFrame,
    themes: Iterable[str],
    *,
    draws: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, tuple[float, float]]:
    """Percentile intervals of macro- and micro-F1 over ``draws`` resamples of the reference
    works (with replacement; a work drawn twice counts twice)."""
    themes = list(themes)
    ids = reference["work_id"].tolist()
    truth = {w: set(str(t).split()) for w, t in zip(ids, reference["themes"], strict=True)}
    pred: dict[str, set[str]] = {w: set() for w in ids}
    for w, t in zip(codes["work_id"], codes["theme_id"], strict=True):
        if w in pred:
            pred[w].add(t)
    # per work × theme: true positive, tagged, in reference
    cells = np.array(
        [
            [[t in pred[w] and t in truth[w], t in pred[w], t in truth[w]] for t in themes]
            for w in ids
        ],
        dtype=float,
    )
    rng = np.random.default_rng(seed)
    macro, micro = [], []
    for _ in range(draws):
        tp, tagged, ref = cells[rng.integers(0, len(ids), len(ids))].sum(axis=0).T
        used = (tagged > 0) | (ref > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            f1 = np.where(tagged + ref > 0, 2 * tp / (tagged + ref), np.nan)
        macro.append(np.nanmean(f1[used]) if used.any() else np.nan)
        micro.append(2 * tp.sum() / (tagged.sum() + ref.sum()) if tagged.sum() + ref.sum() else 1.0)
    tail = 100 * (1 - level) / 2
    return {
        name: (float(np.nanpercentile(v, tail)), float(np.nanpercentile(v, 100 - tail)))
        for name, v in (("macro_f1", macro), ("micro_f1", micro))
    }


SUMMARY_ROWS = ("all themes (macro)", "all tags (micro)")


def accuracy_table(
    codes: pd.DataFrame, sample: pd.DataFrame, themes: Iterable[str]
) -> pd.DataFrame:
    """The tagger on the sample's ``test`` split (the whole sample when it has no ``split``):
    per theme precision and recall with Jeffreys intervals and a reliability flag, then the
    macro- and micro-F1 with bootstrap intervals (table contract ``CODING_ACCURACY``)."""
    themes = list(themes)
    records = "test split" if "split" in sample.columns else "whole sample"
    part = sample[sample["split"] == "test"] if "split" in sample.columns else sample
    if part.empty:
        raise SlrError("the coded validation sample has no works in its test split")
    table, summary = evaluate_codes(codes, part, themes)
    ci = bootstrap_f1(codes, part, themes)
    table["f1_low"] = np.nan
    table["f1_high"] = np.nan
    macro = {"theme_id": SUMMARY_ROWS[0], "precision": summary["macro_precision"],
             "recall": summary["macro_recall"], "f1": summary["macro_f1"],
             "n_reference": int(table["n_reference"].sum()),
             "n_tagged": int(table["n_tagged"].sum())}  # fmt: skip
    micro = {"theme_id": SUMMARY_ROWS[1], "f1": summary["micro_f1"],
             "n_reference": int(table["n_reference"].sum()),
             "n_tagged": int(table["n_tagged"].sum())}  # fmt: skip
    for row, key in ((macro, "macro_f1"), (micro, "micro_f1")):
        row["f1_low"], row["f1_high"] = ci[key]
        row["reliability"] = _reliability(MIN_REFERENCE, row["f1"])
    out = pd.concat([table, pd.DataFrame([macro, micro])], ignore_index=True)
    out["records"] = records
    out["works"] = len(part)
    return out
