"""The included works exported for a reference manager (RIS and BibTeX)."""

from __future__ import annotations

import pandas as pd

from slr.ingest.writers import works_to_bibtex, works_to_ris
from slr.layout import RunPaths
from slr.tables.io import write_text


def write_exports(works: pd.DataFrame, included: list[str], run: RunPaths) -> None:
    """The included works as RIS and BibTeX under ``exports/``."""
    chosen = works[works["work_id"].isin(set(included))]
    write_text(run.export("included.ris"), works_to_ris(chosen))
    write_text(run.export("included.bib"), works_to_bibtex(chosen))
