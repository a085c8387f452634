"""The tagger measured against a coded validation sample (works coded by people)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from slr.errors import SlrError
from slr.stats import agreement


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
        rows.append(
            {
                "theme_id": t,
                "n_reference": len(ref_t),
                "n_tagged": len(pred_t),
                "precision": p,
                "recall": r,
                "f1": f,
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
