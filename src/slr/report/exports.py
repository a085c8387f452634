"""What a run exports besides its tables: the included works for a reference manager (RIS and
BibTeX), and the appendix (every record, its status and the decision behind it) as CSV, which
the report links to when it shows only the first rows."""

from __future__ import annotations

import pandas as pd

from slr.ingest.writers import works_to_bibtex, works_to_ris
from slr.layout import RunPaths
from slr.report.synthesis import compute_appendix
from slr.tables.decisions import included_ids
from slr.tables.io import write_csv_frame, write_text


def write_exports(works: pd.DataFrame, status: pd.DataFrame, run: RunPaths) -> None:
    """The included works as RIS and BibTeX, and the appendix as CSV, under ``exports/``."""
    chosen = works[works["work_id"].isin(set(included_ids(status)))]
    write_text(run.export("included.ris"), works_to_ris(chosen))
    write_text(run.export("included.bib"), works_to_bibtex(chosen))
    write_csv_frame(compute_appendix(works, status), run.appendix)
