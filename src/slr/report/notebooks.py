"""Execute jupytext notebooks with papermill and render them to HTML.

Notebooks are committed as jupytext percent-format text (``notebooks/NN_name.py``); papermill
executes them in memory (no ``.ipynb`` is committed) with the ``parameters`` cell overridden,
and writes the executed notebook to the run folder, even when a cell fails. A report's notebooks
share one kernel, its namespace and execution counter reset before each notebook (one kernel
start and one import of slr instead of five).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jupytext
import nbformat
import papermill as pm
from jupyter_client.manager import KernelManager
from nbconvert import HTMLExporter

from slr.errors import RunError
from slr.layout import ENV_NOTEBOOK, ENV_PROJECT, RunPaths, notebook, project_root
from slr.protocol import Protocol
from slr.report.writeup import report_title
from slr.tables.io import write_text

logger = logging.getLogger(__name__)

KERNEL = "python3"
# ipykernel 7 warns on stderr that loopback TCP is unencrypted; the kernel only listens on
# 127.0.0.1, so keep its log to errors
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=ERROR"]
KERNEL_ENV = {"PYDEVD_DISABLE_FILE_VALIDATION": "1"}  # quiets a debugger warning in kernels
# the report's notebooks, in the order they are executed and combined
NOTEBOOKS = (
    "00_review.py",
    "01_corpus.py",
    "02_screening.py",
    "03_coding.py",
    "04_synthesis.py",
    "05_audit.py",
)


def execute_notebook(
    source: Path,
    output: Path,
    parameters: dict[str, Any],
    *,
    cwd: Path,
    progress: bool = False,
    kernel: SharedKernel | None = None,
) -> Path:
    """Run ``source`` (a jupytext ``.py`` notebook) into ``output`` (``.ipynb``) with papermill,
    in ``kernel`` (a running one, :func:`shared_kernel`) or in a kernel of its own.

    Raises :class:`RunError` naming the notebook and the failing cell; the executed notebook,
    with the error in it, is still written to ``output``.
    """
    nb = jupytext.read(source)
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}
    output.parent.mkdir(parents=True, exist_ok=True)
    own = {} if kernel is None else {"km": kernel}
    if kernel is not None:
        _fresh_namespace(kernel)
    try:
        with _environment(KERNEL_ENV):
            pm.execute_notebook(
                nb,
                str(output),
                parameters=parameters,
                kernel_name=KERNEL,
                cwd=str(cwd),
                progress_bar=progress,
                log_output=False,
                extra_arguments=KERNEL_ARGUMENTS,
                **own,
            )
    except pm.PapermillExecutionError as e:
        raise RunError(
            f"notebook {source.name} failed in cell {e.exec_count} ({e.ename}: {e.evalue}); "
            f"the partial notebook is saved at {output}"
        ) from e
    finally:
        if kernel is not None:
            kernel.close_clients()
        if output.is_file():
            strip_volatile(output)
    return output


class SharedKernel(KernelManager):
    """A kernel that several notebooks run in, one after the other. It remembers the clients
    they open (papermill closes only the clients of kernels it started itself) to close them."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._opened: list = []

    def client(self, **kwargs: Any):
        opened = super().client(**kwargs)
        self._opened.append(opened)
        return opened

    def close_clients(self) -> None:
        while self._opened:
            self._opened.pop().stop_channels()


@contextlib.contextmanager
def shared_kernel(cwd: Path, env: dict[str, str] | None = None) -> Iterator[SharedKernel]:
    """One kernel, started in ``cwd`` with ``env`` added to the environment (and no notebook
    path of an outer Jupyter session), for several notebooks; shut down at the end."""
    kernel = SharedKernel(kernel_name=KERNEL)
    env = {**os.environ, **KERNEL_ENV, **(env or {})}
    env.pop(ENV_NOTEBOOK, None)
    kernel.start_kernel(cwd=str(cwd), env=env, extra_arguments=KERNEL_ARGUMENTS)
    try:
        yield kernel
    finally:
        kernel.close_clients()
        kernel.shutdown_kernel(now=True)


def _fresh_namespace(kernel: SharedKernel) -> None:
    """Empty the kernel's namespace and restart its execution counter: the next notebook runs
    as in a kernel of its own (modules already imported stay imported)."""
    client = kernel.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        reply = client.execute_interactive(
            "get_ipython().reset(new_session=True)", store_history=False, timeout=60
        )
        if reply["content"]["status"] != "ok":
            raise RunError(f"the report's kernel could not be reset: {reply['content']}")
    finally:
        kernel.close_clients()


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """``values`` set in this process's environment (kernels started here inherit them)."""
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


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


# cells a report leaves out: parameters, and what tells a person how to use a notebook
REPORT_SKIPS = {"parameters", "injected-parameters", "instructions"}
WIDGET = "application/vnd.jupyter.widget-view+json"


def combine_notebooks(parts: list[Path], output: Path, *, title: str) -> Path:
    """One notebook from executed ones, in order, with a table of contents (links to every
    first- and second-level heading) and without their parameter and instruction cells."""
    toc, cells = [], []
    for part in parts:
        nb = nbformat.read(part, as_version=4)
        for cell in nb.cells:
            tags = set(cell.metadata.get("tags", []))
            if tags & REPORT_SKIPS:
                continue
            if cell.cell_type == "code":  # a widget is never part of a report
                cell.outputs = [
                    o for o in cell.get("outputs", []) if WIDGET not in o.get("data", {})
                ]
            if cell.cell_type == "markdown":
                for line in cell.source.splitlines():
                    m = re.match(r"^(#{1,2}) (.+?)\s*$", line)
                    if m:
                        text = m.group(2)
                        indent = "" if len(m.group(1)) == 1 else "    "
                        toc.append(f"{indent}- [{text}](#{quote(text.replace(' ', '-'))})")
            cells.append(cell)
    head = nbformat.v4.new_markdown_cell(f"# {title}\n\n## Contents\n\n" + "\n".join(toc))
    for i, cell in enumerate([head, *cells]):
        cell.id = f"cell-{i:03d}"  # unique before the notebook is validated
    combined = nbformat.v4.new_notebook(cells=[head, *cells], metadata=nb.metadata)
    write_text(output, nbformat.writes(combined) + "\n")
    return output


def notebook_parameters(source: Path) -> set[str]:
    """The names a jupytext notebook's ``parameters`` cell assigns."""
    cells = jupytext.read(source).cells
    return {
        m.group(1)
        for cell in cells
        if "parameters" in cell.metadata.get("tags", [])
        for m in re.finditer(r"^(\w+)\s*=", cell.source, re.M)
    }


def write_report(protocol: Protocol, run: RunPaths) -> Path:
    """Execute the numbered notebooks in order into ``notebooks/``, then combine them into one
    report (``report.ipynb`` → ``report.html``, with a table of contents, no code)."""
    # the notebooks run inside the run folder with the protocol's path in the project and the
    # run as ".", so that nothing in them names the run (two runs of the same inputs write
    # identical notebooks) and each opens again in JupyterLab from the run's notebooks/ folder
    # (slr.open_review looks in the folders above); no panel in a report
    root = project_root(protocol.path)
    params = {
        "protocol_path": Path(protocol.path).resolve().relative_to(root.resolve()).as_posix(),
        "run_dir": ".",
        "panel": False,
    }
    executed = []
    with shared_kernel(run.dir, {ENV_PROJECT: str(root.resolve())}) as kernel:
        for name in NOTEBOOKS:
            source = notebook(name)
            out = run.executed(source)
            declared = {k: v for k, v in params.items() if k in notebook_parameters(source)}
            execute_notebook(source, out, declared, cwd=run.dir, kernel=kernel)
            executed.append(out)
    combined = combine_notebooks(executed, run.combined, title=report_title(protocol))
    return render_html(combined, run.report)
