"""A coder's verdicts on codebook tags, from a notebook: confirm, reject, or add a tag.

:class:`CodingSession` holds the run's tags and appends each verdict to the review's coding
log (:attr:`slr.layout.ReviewPaths.coding_log`) as a new row; :func:`build_coding_panel` puts ipywidgets on it.
The next ``slr run`` applies the verdicts (:func:`slr.tables.decisions.current_codes`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import ipywidgets as w
import numpy as np
import pandas as pd

from slr.clock import now_utc
from slr.errors import SlrError
from slr.escape import as_html
from slr.layout import ReviewPaths
from slr.protocol import Protocol
from slr.tables.contracts import CODES
from slr.tables.decisions import current_codes
from slr.tables.io import append_rows, read_table
from slr.tables.schema import conform

VERDICTS = ("confirm", "reject", "add")


def verdict_rows(
    codes: pd.DataFrame,
    protocol: Protocol,
    *,
    work_id: str,
    theme_id: str,
    verdict: str,
    coder: str,
    evidence: str = "",
    note: str = "",
    coded_at: str | None = None,
) -> pd.DataFrame:
    """A person's verdict on a tag as a new CODES row (never an edit).

    ``confirm`` or ``reject`` a tag in ``codes``; ``add`` a tag the machine missed (with the
    evidence). The method column reads ``human: <verdict>`` (plus the note).
    """
    if verdict not in VERDICTS:
        raise SlrError(f"unknown verdict {verdict!r}; valid options: {', '.join(VERDICTS)}")
    themes = {t.id for t in protocol.codebook}
    if theme_id not in themes:
        raise SlrError(f"unknown theme {theme_id!r}; valid options: {', '.join(sorted(themes))}")
    if not coder.strip():
        raise SlrError("a verdict needs the coder's name")
    machine = codes[(codes["work_id"] == work_id) & (codes["theme_id"] == theme_id)]
    if verdict in ("confirm", "reject") and machine.empty:
        raise SlrError(
            f"work {work_id!r} has no {theme_id} tag to {verdict}; use verdict 'add' for a new tag"
        )
    if verdict == "add" and not evidence.strip():
        raise SlrError("an added tag needs its evidence (the sentence or keyword)")
    last = machine.iloc[-1] if len(machine) else None
    row = {
        "work_id": work_id,
        "theme_id": theme_id,
        "evidence": evidence or (last["evidence"] if last is not None else ""),
        "source_field": last["source_field"] if last is not None and not evidence else "human",
        "method": f"human: {verdict}" + (f" ({note})" if note else ""),
        "score": np.nan,
        "coder": coder,
        "coded_at": coded_at or now_utc(),
        "protocol_version": protocol.version,
    }
    return conform(pd.DataFrame([row]), CODES)


@dataclass
class CodingSession:
    protocol: Protocol
    codes: pd.DataFrame  # the run's codes (machine tags and earlier verdicts)
    coder: str
    log_path: Path | None = None
    written: list[pd.DataFrame] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.coder.strip():
            raise SlrError("a coding session needs the coder's name (parameter `coder`)")
        self.log_path = Path(self.log_path or ReviewPaths.of(self.protocol).coding_log)
        if self.log_path.exists():
            self.codes = pd.concat(
                [self.codes, read_table(self.log_path, CODES)], ignore_index=True
            )

    def tags(self) -> pd.DataFrame:
        """The tags in force, one row per (work, theme)."""
        return current_codes(self.codes)

    def verdict(
        self, work_id: str, theme_id: str, verdict: str, *, evidence: str = "", note: str = ""
    ) -> pd.DataFrame:
        """Append one verdict row to the coding log and return it."""
        row = verdict_rows(
            self.codes,
            self.protocol,
            work_id=work_id,
            theme_id=theme_id,
            verdict=verdict,
            coder=self.coder,
            evidence=evidence,
            note=note,
        )
        append_rows(self.log_path, row, CODES)
        self.codes = pd.concat([self.codes, row], ignore_index=True)
        self.written.append(row)
        return row


def build_coding_panel(session: CodingSession):
    """ipywidgets: pick a tag, read its evidence, confirm or reject it (with a note)."""

    def options():
        t = session.tags()
        return [
            (f"{r.work_id} · {r.theme_id} · {r.method[:40]}", (r.work_id, r.theme_id))
            for r in t.itertuples()
        ]

    pick = w.Dropdown(options=options(), description="tag", layout=w.Layout(width="90%"))
    evidence = w.HTML()
    note = w.Text(description="note")
    status = w.HTML()
    buttons = [
        w.Button(description=v, button_style=s)
        for v, s in (("confirm", "success"), ("reject", "danger"))
    ]

    def show(*_):
        if pick.value is None:
            evidence.value = "<i>no tags</i>"
            return
        wid, tid = pick.value
        t = session.tags()
        r = t[(t["work_id"] == wid) & (t["theme_id"] == tid)].iloc[-1]
        evidence.value = f"<b>{as_html(r.source_field)}</b>: {as_html(r.evidence)}"

    def click(button):
        wid, tid = pick.value
        session.verdict(wid, tid, button.description, note=note.value)
        status.value = as_html(f"{button.description}ed {tid} on {wid}")
        note.value = ""
        pick.options = options()
        show()

    for b in buttons:
        b.on_click(click)
    pick.observe(show, names="value")
    show()
    panel = w.VBox([pick, evidence, note, w.HBox(buttons), status])
    panel.buttons = {b.description: b for b in buttons}
    panel.pick = pick
    return panel
