"""Execute jupytext notebooks with papermill and render them to HTML.

Notebooks are committed as jupytext percent-format text (``notebooks/NN_name.py``); papermill
executes them in memory (no ``.ipynb`` is committed) with the ``parameters`` cell overridden,
and writes the executed notebook to the run folder, even when a cell fails.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jupytext
import nbformat
import papermill as pm
from nbconvert import HTMLExporter

from slr.errors import RunError
from slr.layout import RunPaths, notebooks_dir
from slr.protocol import Protocol
from slr.tables.io import write_text

logger = logging.getLogger(__name__)

KERNEL = "python3"
# the report's notebooks, in the order they are executed and combined
NOTEBOOKS = ("01_corpus.py", "02_screening.py", "03_coding.py", "04_synthesis.py", "05_audit.py")


def execute_notebook(
    source: Path,
    output: Path,
    parameters: dict[str, Any],
    *,
    cwd: Path,
    progress: bool = False,
) -> Path:
    """Run ``source`` (a jupytext ``.py`` notebook) into ``output`` (``.ipynb``) with papermill.

    Raises :class:`RunError` naming the notebook and the failing cell; the executed notebook,
    with the error in it, is still written to ``output``.
    """
    nb = jupytext.read(source)
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}
    output.parent.mkdir(parents=True, exist_ok=True)
    env_before = os.environ.get("PYDEVD_DISABLE_FILE_VALIDATION")
    os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # quiets a debugger warning in kernels
    try:
        pm.execute_notebook(
            nb,
            str(output),
            parameters=parameters,
            kernel_name=KERNEL,
            cwd=str(cwd),
            progress_bar=progress,
            log_output=False,
            # ipykernel 7 warns on stderr that loopback TCP is unencrypted; the kernel only
            # listens on 127.0.0.1, so keep its log to errors
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
    except pm.PapermillExecutionError as e:
        raise RunError(
            f"notebook {source.name} failed in cell {e.exec_count} ({e.ename}: {e.evalue}); "
            f"the partial notebook is saved at {output}"
        ) from e
    finally:
        if env_before is None:
            os.environ.pop("PYDEVD_DISABLE_FILE_VALIDATION", None)
        if output.is_file():
            strip_volatile(output)
    return output


_ADDRESS = re.compile(r" at 0x[0-9a-f]+>")
_VOLATILE = ("start_time", "end_time", "duration", "input_path", "output_path")


def strip_volatile(path: Path) -> Path:
    """Remove execution times and paths from an executed notebook (the run's manifest holds
    the times), so two runs of the same inputs write identical notebooks."""
    nb = nbformat.read(path, as_version=4)
    for key in _VOLATILE:
        nb.metadata.get("papermill", {}).pop(key, None)
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:03d}"  # jupytext and papermill draw random cell IDs
        cell.metadata.pop("execution", None)
        for out in cell.get("outputs", []):  # "<Styler at 0x7f…>": a memory address
            plain = out.get("data", {}).get("text/plain")
            if isinstance(plain, str):
                out["data"]["text/plain"] = _ADDRESS.sub(">", plain)
        for key in _VOLATILE:
            cell.metadata.get("papermill", {}).pop(key, None)
    write_text(path, nbformat.writes(nb) + "\n")
    return path


def render_html(notebook: Path, output: Path, *, show_code: bool = False) -> Path:
    """Render an executed notebook to one self-contained HTML file (code hidden by default)."""
    nb = nbformat.read(notebook, as_version=4)
    exporter = HTMLExporter(
        exclude_input=not show_code,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    body, _ = exporter.from_notebook_node(nb)
    return write_text(output, body)


def combine_notebooks(parts: list[Path], output: Path, *, title: str) -> Path:
    """One notebook from executed ones, in order, with a table of contents (links to every
    first- and second-level heading) and without their parameter cells."""
    toc, cells = [], []
    for part in parts:
        nb = nbformat.read(part, as_version=4)
        for cell in nb.cells:
            tags = set(cell.metadata.get("tags", []))
            if tags & {"parameters", "injected-parameters"}:
                continue
            if cell.cell_type == "markdown":
                for line in cell.source.splitlines():
                    m = re.match(r"^(#{1,2}) (.+?)\s*$", line)
                    if m:
                        text = m.group(2)
                        indent = "" if len(m.group(1)) == 1 else "    "
                        toc.append(f"{indent}- [{text}](#{quote(text.replace(' ', '-'))})")
            cells.append(cell)
    head = nbformat.v4.new_markdown_cell(f"# {title}\n\n## Contents\n\n" + "\n".join(toc))
    combined = nbformat.v4.new_notebook(cells=[head, *cells], metadata=nb.metadata)
    for i, cell in enumerate(combined.cells):
        cell.id = f"cell-{i:03d}"
    write_text(output, nbformat.writes(combined) + "\n")
    return output


def write_report(protocol: Protocol, run: RunPaths) -> Path:
    """Execute the numbered notebooks in order into ``notebooks/``, then combine them into one
    report (``report.ipynb`` → ``report.html``, with a table of contents, no code)."""
    # the notebooks run inside the run folder with relative paths, so that nothing in them
    # names the run (two runs of the same inputs write identical notebooks)
    params = {"protocol_path": os.path.relpath(protocol.path, run.dir), "run_dir": "."}
    executed = []
    for name in NOTEBOOKS:
        source = notebooks_dir() / name
        out = run.executed(source)
        execute_notebook(source, out, params, cwd=run.dir)
        executed.append(out)
    combined = combine_notebooks(executed, run.combined, title=protocol.review.title)
    return render_html(combined, run.report)
