"""The report notebooks (jupytext percent format), executed by papermill for every run.

This file makes the folder ship inside the package as ``slr.notebooks`` (see pyproject.toml),
so that an installed slr, editable or not, builds a report. Open the notebooks themselves in
JupyterLab; nothing here is imported.
"""
