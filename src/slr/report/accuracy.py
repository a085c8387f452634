"""How well the automated steps did, in the report's words: the screening rules and the tagger
against people's validation samples (the run tables ``screening_accuracy`` and
``coding_accuracy``)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from slr.coding.evaluate import LOW_F1, MIN_REFERENCE, SUMMARY_ROWS
from slr.coding.tagger import TITLE_FIELDS
from slr.protocol import Protocol
from slr.screen.validate import interval_text

Run = Mapping[str, pd.DataFrame]


def automation_accuracy(protocol: Protocol, run: Run) -> list[str]:
    """How well the automated screening did on people's screening of a validation sample."""
    acc = run.get("screening_accuracy")
    partial = [c.id for c in protocol.automated_criteria()
               if getattr(c.rule, "partial", None) == "unsure"]  # fmt: skip
    lines = []
    if partial:
        lines += ["", f"Where {', '.join(partial)} finds the terms of only some of its blocks, "
                  "the rule does not exclude: the work waits for a person (counted as awaiting "
                  "screening)."]  # fmt: skip
    if acc is None or acc.empty:
        return lines + ["", "The automated screening was not measured: the protocol names no "
                        "screening validation sample (`screening.validation`)."]  # fmt: skip

    ci = interval_text
    parts = [
        f"{r['records']} ({r['n']} works, {r['includes']} included by people): recall "
        f"{ci(r, 'recall')}, precision {ci(r, 'precision')}, about {ci(r, 'missed', '{:.0f}')} "
        f"includes among the ~{r['excluded']:.0f} works it excluded"
        for r in acc.to_dict("records")
    ]
    return lines + ["", "The automated screening against people's screening of a stratified "
                    "random sample of the corpus (estimates for the whole corpus, 95 % "
                    "intervals): " + "; ".join(parts) + "."]  # fmt: skip


def coding_accuracy(protocol: Protocol, run: Run) -> list[str]:
    """The tagger against people's coding of the validation sample's test split, and the
    themes whose tags are least reliable."""
    acc = run.get("coding_accuracy")
    if acc is None or acc.empty:
        return ["", "The tagger was not measured: the protocol names no coded validation "
                "sample (`coding.validation`)."]  # fmt: skip
    rows = acc.set_index("theme_id")
    macro, micro = rows.loc[SUMMARY_ROWS[0]], rows.loc[SUMMARY_ROWS[1]]
    themes = rows.drop(index=list(SUMMARY_ROWS))
    label = {t.id: t.label for t in protocol.codebook}

    def named(kind: str) -> str:
        ids = themes.index[themes["reliability"] == kind]
        return ", ".join(f"{t} {label.get(t, t)}" for t in ids) or "none"

    current = run.get("current_codes")
    title = ""
    if current is not None and len(current):
        alone = int(current["source_field"].isin(TITLE_FIELDS).sum())
        title = (f" Of the {len(current)} tags in force, {alone} rest on the title or a keyword "
                 "alone; the findings count them apart.")  # fmt: skip
    return ["", f"The tagger against people's coding of the {macro['records']} of the coded "
            f"validation sample ({int(macro['works'])} works never used to tune it): macro-F1 "
            f"{interval_text(macro, 'f1')}, micro-F1 {interval_text(micro, 'f1')} (95 % "
            f"bootstrap intervals over works). Low reliability (F1 below {LOW_F1}): "
            f"{named('low')}; not measured (fewer than {MIN_REFERENCE} tags in the sample): "
            f"{named('not measured')}. Findings on these themes are flagged." + title]  # fmt: skip
