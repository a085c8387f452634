"""A coder's verdicts on codebook tags: confirm, reject, or add a tag the tagger missed.

:class:`CodingSession` holds the run's tags and appends each verdict to the review's coding
log (:attr:`slr.layout.ReviewPaths.coding_log`) as a new row; it goes through the included
works one at a time (:meth:`CodingSession.queue`), those whose tags this coder has not yet
reviewed first. :mod:`slr.coding.panel` puts ipywidgets on it. The next ``slr run`` applies the
verdicts (:func:`slr.tables.decisions.current_codes`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from slr.clock import now_utc
from slr.errors import SlrError
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
    """One coder reviewing the tags of a run.

    ``codes``: the run's codes (machine tags and earlier verdicts; the coding log is read on
    top); ``works``: the works table (titles and abstracts to show); ``included``: the works
    that may be coded (default: every work with a tag).
    """

    protocol: Protocol
    codes: pd.DataFrame
    coder: str
    log_path: Path | None = None
    works: pd.DataFrame | None = None
    included: Iterable[str] | None = None
    written: list[pd.DataFrame] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.coder.strip():
            raise SlrError("a coding session needs the coder's name")
        self.coder = self.coder.strip()
        self.log_path = Path(self.log_path or ReviewPaths.of(self.protocol).coding_log)
        if self.log_path.exists():
            self.codes = pd.concat(
                [self.codes, read_table(self.log_path, CODES)], ignore_index=True
            )
        self.included = (
            list(dict.fromkeys(self.included))
            if self.included is not None
            else list(dict.fromkeys(self.codes["work_id"]))
        )

    def tags(self) -> pd.DataFrame:
        """The tags in force on the included works, one row per (work, theme)."""
        tags = current_codes(self.codes)
        return tags[tags["work_id"].isin(set(self.included))] if len(tags) else tags

    def proposals(self, work_id: str) -> pd.DataFrame:
        """The tagger's tags on ``work_id`` and those people added, one row per theme in
        codebook order, with this coder's latest verdict (``verdict``: confirm, reject, add or
        empty)."""
        rows = self.codes[self.codes["work_id"] == work_id]
        human = rows["method"].astype(str).str.startswith("human:")
        mine = rows[human & (rows["coder"] == self.coder)].drop_duplicates("theme_id", keep="last")
        verdict = mine.set_index("theme_id")["method"].str.extract(r"^human: (\w+)", expand=False)
        added = rows[human & rows["method"].str.startswith("human: add")]
        tags = pd.concat([rows[~human], added]).drop_duplicates("theme_id", keep="first")
        order = {t.id: i for i, t in enumerate(self.protocol.codebook)}
        tags = tags.assign(
            verdict=[verdict.get(t, "") for t in tags["theme_id"]],
            _order=tags["theme_id"].map(order),
        )
        return tags.sort_values("_order").drop(columns="_order").reset_index(drop=True)

    def reviewed(self, work_id: str) -> bool:
        """Whether this coder has given a verdict on every tag of ``work_id``."""
        return work_id in self.reviewed_works()

    def reviewed_works(self) -> set[str]:
        """The works on whose every tag (the tagger's and those people added) this coder has
        given a verdict."""
        codes = self.codes
        human = codes["method"].astype(str).str.startswith("human:")
        tagged = codes[~human | codes["method"].astype(str).str.startswith("human: add")]
        judged = codes[human & (codes["coder"] == self.coder)]
        have = {w: set(t) for w, t in tagged.groupby("work_id")["theme_id"]}
        done = {w: set(t) for w, t in judged.groupby("work_id")["theme_id"]}
        return {w for w, themes in have.items() if themes <= done.get(w, set())}

    def _tagged(self) -> list[str]:
        """The included works with tags, in the order given."""
        tagged = set(self.codes["work_id"])
        return [w for w in self.included if w in tagged]

    def queue(self) -> list[str]:
        """The included works with tags, those this coder has not reviewed first."""
        reviewed = self.reviewed_works()
        return sorted(self._tagged(), key=lambda w: w in reviewed)

    def unreviewed(self) -> list[str]:
        """The included works with tags this coder has not reviewed yet, in order."""
        reviewed = self.reviewed_works()
        return [w for w in self._tagged() if w not in reviewed]

    def counts(self) -> tuple[int, int]:
        """(works reviewed by this coder, works with tags to review)."""
        works = self._tagged()
        return len(works) - len(self.unreviewed()), len(works)

    def work(self, work_id: str) -> dict:
        """What the panel shows of ``work_id``: title, abstract, venue, year (empty when the
        session has no works table)."""
        out = {"work_id": work_id, "title": "", "abstract": "", "venue": "", "year": ""}
        if self.works is None:
            return out
        rows = self.works[self.works["work_id"] == work_id]
        if rows.empty:
            return out
        row = rows.iloc[0]
        for key in ("title", "abstract", "venue"):
            out[key] = "" if pd.isna(row.get(key)) else str(row[key])
        year = row.get("publication_year")
        out["year"] = "" if pd.isna(year) else str(int(year))
        return out

    def verdict(
        self, work_id: str, theme_id: str, verdict: str, *, evidence: str = "", note: str = ""
    ) -> pd.DataFrame:
        """Append one verdict row to the coding log and return it."""
        if work_id not in set(self.included):
            raise SlrError(f"work {work_id!r} is not among the included works; only they are coded")
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
