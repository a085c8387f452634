"""A coder's verdicts on codebook tags, from a notebook: confirm, reject, or add a tag.

:class:`CodingSession` holds the run's tags and appends each verdict to the review's coding
log (``protocol.coding_log``) as a new row; :func:`build_coding_panel` puts ipywidgets on it.
The next ``slr run`` applies the verdicts (:func:`slr.coding.current_codes`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from slr import io
from slr.coding import current_codes, verdict_rows
from slr.errors import SlrError
from slr.protocol import Protocol
from slr.schema import CODES


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
        self.log_path = Path(self.log_path or self.protocol.coding_log)
        if self.log_path.exists():
            self.codes = pd.concat(
                [self.codes, io.read_table(self.log_path, CODES)], ignore_index=True
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
        io.append_rows(self.log_path, row, CODES)
        self.codes = pd.concat([self.codes, row], ignore_index=True)
        self.written.append(row)
        return row


def build_coding_panel(session: CodingSession):
    """ipywidgets: pick a tag, read its evidence, confirm or reject it (with a note)."""
    import ipywidgets as w

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
        evidence.value = f"<b>{r.source_field}</b>: {r.evidence}"

    def click(button):
        wid, tid = pick.value
        session.verdict(wid, tid, button.description, note=note.value)
        status.value = f"{button.description}ed {tid} on {wid}"
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
