"""Exchange screening with ASReview LAB: export works with labels, import its labels back.

Export: ASReview's CSV (``record_id`` = slr's ``work_id``, ``title``, ``abstract``, ``authors``,
``keywords``, ``year``, ``doi``, ``url``, ``asreview_label`` 1/0/empty) or RIS (the label as an
``ASReview_relevant`` / ``ASReview_irrelevant`` / ``ASReview_not_seen`` note, as ASReview
writes it). Import: the labels of an ASReview export (CSV ``asreview_label``/``included``/
``label_included``, or RIS notes), matched on ``record_id``/``ID``, become decision rows by the
given reviewer.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from slr.clock import now_utc
from slr.errors import SlrError
from slr.ingest.sources import read_source
from slr.ingest.writers import works_to_ris
from slr.protocol import Protocol
from slr.tables.contracts import DECISIONS
from slr.tables.decisions import by_people, latest_decisions
from slr.tables.io import write_csv_frame, write_text
from slr.tables.schema import conform

LABEL_NOTES = {1: "ASReview_relevant", 0: "ASReview_irrelevant", None: "ASReview_not_seen"}
CSV_LABELS = ("asreview_label", "included", "label_included", "label", "final_included")


def to_asreview(
    works: pd.DataFrame, decisions: pd.DataFrame, *, stage: str = "title_abstract"
) -> pd.DataFrame:
    """Canonical works with their current label at ``stage`` (1 include, 0 exclude, NA none)."""
    current = (
        latest_decisions(decisions[decisions["stage"] == stage]) if len(decisions) else decisions
    )
    label = {r.work_id: {"include": 1, "exclude": 0}.get(r.decision) for r in current.itertuples()}
    canonical = works[works["duplicate_of"].isna()]
    return pd.DataFrame(
        {
            "record_id": canonical["work_id"].astype(str),
            "title": canonical["title"],
            "abstract": canonical["abstract"],
            "authors": canonical["authors"].map("; ".join),
            "keywords": canonical["keywords"].map("; ".join),
            "year": canonical["publication_year"],
            "doi": canonical["doi"],
            "url": canonical["url"],
            "asreview_label": pd.array([label.get(w) for w in canonical["work_id"]], dtype="Int64"),
        }
    ).reset_index(drop=True)


def asreview_ris(
    works: pd.DataFrame, decisions: pd.DataFrame, *, stage: str = "title_abstract"
) -> str:
    """The canonical works as RIS text with their current label at ``stage`` as ASReview's
    note (``ASReview_relevant``, ``ASReview_irrelevant``, ``ASReview_not_seen``)."""
    frame = to_asreview(works, decisions, stage=stage)
    notes = {
        r.record_id: [LABEL_NOTES[None if pd.isna(r.asreview_label) else int(r.asreview_label)]]
        for r in frame.itertuples(index=False)
    }
    return works_to_ris(works[works["duplicate_of"].isna()], notes=notes)


def export_for_asreview(
    works: pd.DataFrame, decisions: pd.DataFrame, log: pd.DataFrame, path: str | Path
) -> pd.DataFrame:
    """Write the works with their current labels for ASReview, as CSV or RIS by ``path``'s
    suffix; return the CSV frame. The labels come from a run's rule decisions and the
    screening log as it is now (``log``: the run's own copy of the log may be older)."""
    path = Path(path)
    current = pd.concat([decisions[~by_people(decisions)], log], ignore_index=True)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".ris"):
        raise SlrError(f"{path}: unknown export format {suffix!r}; valid options: .csv, .ris")
    frame = to_asreview(works, current)
    if suffix == ".csv":
        write_csv_frame(frame, path)
    else:
        write_text(path, asreview_ris(works, current))
    return frame


def read_asreview_labels(path: str | Path) -> pd.DataFrame:
    """``record_id, label`` (1/0) of every labelled record in an ASReview export (CSV or RIS)."""
    path = Path(path)
    src = read_source(path)
    rows = []
    for rec in src.records:
        data = {k.lower(): v for k, v in rec.data.items()}
        if src.format == "ris":
            rid = data.get("id")
            notes = " ".join(data.get("notes") or [])
            label = (
                1 if "ASReview_relevant" in notes else 0 if "ASReview_irrelevant" in notes else None
            )
        else:
            rid = data.get("record_id")
            column = next((c for c in CSV_LABELS if c in data), None)
            if column is None:
                raise SlrError(f"{path}: no label column; expected one of {', '.join(CSV_LABELS)}")
            raw = str(data.get(column) or "").strip()
            if raw not in ("", "0", "1", "0.0", "1.0", "-1"):
                raise SlrError(f"{path}: {rec.locator}: label {raw!r} is not 0, 1 or empty")
            label = int(float(raw)) if raw in ("0", "1", "0.0", "1.0") else None
        if not rid:
            raise SlrError(f"{path}: {rec.locator}: no record_id to match the record to a work")
        if label is not None:
            rows.append({"record_id": str(rid).strip(), "label": label})
    return pd.DataFrame(rows, columns=["record_id", "label"])


def labels_to_decisions(
    labels: pd.DataFrame,
    works: pd.DataFrame,
    protocol: Protocol,
    *,
    reviewer: str,
    stage: str = "title_abstract",
) -> pd.DataFrame:
    """Decision rows (by ``reviewer``) for imported labels; an unknown record_id is an error."""
    known = set(works["work_id"])
    unknown = [r for r in labels["record_id"] if r not in known]
    if unknown:
        raise SlrError(
            f"{len(unknown)} imported labels name no work of this review, e.g. record_id {unknown[0]!r}; "
            "export from slr (record_id = work_id) before screening in ASReview"
        )
    rows = pd.DataFrame(
        {
            "work_id": labels["record_id"],
            "stage": stage,
            "decision": labels["label"].map({1: "include", 0: "exclude"}),
            "reason": "imported from ASReview",
            "reviewer": reviewer,
            "decided_at": now_utc(),
            "protocol_version": protocol.version,
            "model": "asreview",
        }
    )
    return conform(rows, DECISIONS)
