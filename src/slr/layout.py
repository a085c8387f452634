"""Every path slr reads or writes, in one place.

A project folder holds ``protocols/`` (one YAML file per review), ``corpus/<review>/`` (what the
review runs on: frozen harvests, imported files, people's logs) and ``outputs/<review>/<run>/``
(one folder per run). :class:`ReviewPaths` names every file of one review, :class:`RunPaths`
every file of one run folder; the embedding cache and the shipped notebooks have a function
each. No other module joins a path from strings.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Protocol as Structure

from slr.errors import LayoutError, shorten

PROTOCOLS = "protocols"
CORPUS = "corpus"
OUTPUTS = "outputs"
LATEST = "latest"
ENV_CACHE = "SLR_CACHE"
ENV_PROJECT = "SLR_PROJECT"  # the project folder a notebook reads, wherever its kernel starts
# set by the Jupyter server in a notebook's kernel: the notebook's own path
ENV_NOTEBOOK = "JPY_SESSION_NAME"
# who screens or codes in the panels (never saved in a notebook)
ENV_REVIEWER = "SLR_REVIEWER"
ENV_CODER = "SLR_CODER"

# A name that becomes a file or folder name (a review, source or run id): letters, digits and
# ``. _ -``, starting with a letter or digit, never ``..``; ``latest`` names the newest run.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
RESERVED = (LATEST,)


def checked_name(value: object, what: str) -> str:
    """``value`` if it is a valid ``what`` (a source id, a run id …) to name a file or folder
    with; otherwise an error naming it and the rule, before anything is written."""
    if (
        not isinstance(value, str)
        or not NAME.fullmatch(value)
        or ".." in value
        or value in RESERVED
    ):
        raise LayoutError(
            f"{what} {shorten(repr(value))} cannot name a file: use 1–100 letters, digits, '.', "
            f"'_' or '-', starting with a letter or digit, without '..'; not "
            f"{', '.join(map(repr, RESERVED))}"
        )
    return value


def inside(root: Path, path: Path) -> Path:
    """``path`` when it lies inside ``root`` once links and ``..`` are resolved; else an error."""
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise LayoutError(f"{path} lies outside {root}; refusing to write there")
    return path


def project_root(protocol_path: Path | None) -> Path:
    """The project folder: relative paths in a protocol resolve against it.

    For ``<root>/protocols/<review>.yaml`` it is ``<root>``; otherwise the protocol's folder
    (the working directory for a protocol that was not read from a file).
    """
    if protocol_path is None:
        return Path.cwd()
    folder = Path(protocol_path).resolve().parent
    return folder.parent if folder.name == PROTOCOLS else folder


def in_project(root: Path, path: str | Path) -> Path:
    """A path as a protocol writes it (relative to the project folder ``root``, or absolute)."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else root / p


def search_folders() -> list[Path]:
    """Where a notebook's relative paths are looked for, in order: ``$SLR_PROJECT``; the
    notebook's own folder (the Jupyter server tells its kernel, ``$JPY_SESSION_NAME``) and the
    folders above it; the working directory and the folders above it."""
    out: list[Path] = []
    if os.environ.get(ENV_PROJECT):
        out.append(Path(os.environ[ENV_PROJECT]).expanduser())
    starts = []
    if os.environ.get(ENV_NOTEBOOK):
        starts.append(Path(os.environ[ENV_NOTEBOOK]).expanduser().parent)
    starts.append(Path.cwd())
    for start in starts:
        start = start.resolve()
        out += [start, *start.parents]
    return list(dict.fromkeys(out))


def locate(path: str | Path, what: str, found) -> Path:
    """``path`` if absolute, else the first of :func:`search_folders` joined with it for which
    ``found`` (a test on a path) is true; an error naming the folders tried otherwise."""
    p = Path(path).expanduser()
    if p.is_absolute():
        return p
    folders = search_folders()
    for folder in folders:
        if found(folder / p):
            return folder / p
    tried = ", ".join(str(f) for f in folders[:4]) + (" …" if len(folders) > 4 else "")
    raise LayoutError(
        f"{what} {str(path)!r} not found under {tried}; give an absolute path, or set "
        f"{ENV_PROJECT} to the project folder"
    )


class _Named(Structure):
    id: str


class ReviewFile(Structure):
    """What the layout reads of a review's protocol (an ``slr.protocol.Protocol``, which sits
    above the layout: it resolves the files it includes with :func:`in_project`)."""

    path: Path | None
    review: _Named


@dataclass(frozen=True)
class ReviewPaths:
    """The files of one review in its project folder."""

    root: Path
    review_id: str

    def __post_init__(self) -> None:
        checked_name(self.review_id, "review id")

    @classmethod
    def of(cls, protocol: ReviewFile) -> ReviewPaths:
        return cls(project_root(protocol.path), protocol.review.id)

    # ------------------------------------------------------------------ the project
    def resolve(self, path: str | Path) -> Path:
        """A path as the protocol writes it (relative to the project, or absolute)."""
        return in_project(self.root, path)

    def shown(self, path: str | Path) -> str:
        """``path`` as a reader of the project sees it: relative to the project where it can be."""
        try:
            return os.path.relpath(path, self.root)
        except ValueError:
            return str(path)

    def relative(self, path: str | Path) -> str:
        """``path`` relative to the project folder when it lies inside it, else absolute."""
        path = Path(path).resolve()
        try:
            return str(path.relative_to(self.root.resolve()))
        except ValueError:
            return str(path)

    # ------------------------------------------------------------------ the corpus
    @property
    def corpus(self) -> Path:
        return self.root / CORPUS / self.review_id

    @property
    def imports_manifest(self) -> Path:
        """``imports.json``: every file added with ``slr import``, with its hash and count."""
        return self.corpus / "imports.json"

    def imported_file(self, source_id: str, suffix: str) -> Path:
        folder = self.corpus / "imports"
        return inside(folder, folder / f"{checked_name(source_id, 'source id')}{suffix}")

    def harvest(self, source_id: str) -> Path:
        """The frozen pages of a completed OpenAlex harvest (with ``manifest.json``)."""
        return self.corpus / "openalex" / checked_name(source_id, "source id")

    def harvest_partial(self, source_id: str) -> Path:
        """Where a harvest in progress saves its pages (kept for a resume)."""
        return self.corpus / "openalex" / f"{checked_name(source_id, 'source id')}.partial"

    def harvest_retired(self, source_id: str) -> Path:
        """Where the previous frozen harvest waits while a new one replaces it."""
        return self.corpus / "openalex" / f"{checked_name(source_id, 'source id')}.old"

    @staticmethod
    def harvest_manifest(folder: Path) -> Path:
        """The manifest of a harvest folder (frozen or partial)."""
        return folder / "manifest.json"

    @staticmethod
    def harvest_page(folder: Path, n: int) -> Path:
        """Page ``n`` (1, 2 …) of a harvest, saved as OpenAlex returned it."""
        return folder / f"page_{n:04d}.json"

    @property
    def screening_log(self) -> Path:
        """The review's hash-chained log of people's screening decisions."""
        return self.corpus / "screening" / "decisions.csv"

    @property
    def coding_log(self) -> Path:
        """The review's log of people's verdicts on codebook tags (confirm, reject, add)."""
        return self.corpus / "coding" / "verdicts.csv"

    @property
    def reference_lookup(self) -> Path:
        """The seed article's references as OpenAlex answered (``slr audit-references``)."""
        return self.corpus / "seed" / "reference-lookup.json"

    # ------------------------------------------------------------------ the outputs
    @property
    def outputs(self) -> Path:
        return self.root / OUTPUTS / self.review_id

    @property
    def latest(self) -> Path:
        """The link to the newest complete run."""
        return self.outputs / LATEST

    def latest_staging(self, run_id: str) -> Path:
        """The new link to run ``run_id``, made beside ``latest`` and renamed over it (a name of
        its own, so two runs ending at once do not share it)."""
        return self.outputs / f".{LATEST}.{checked_name(run_id, 'run id')}.{os.getpid()}.tmp"

    @property
    def embedding_cache(self) -> Path:
        """The review's embedding cache (``.cache/<review>/embeddings`` in the project), or
        ``$SLR_CACHE/embeddings`` when that is set (one cache shared by reviews, by choice)."""
        if os.environ.get(ENV_CACHE):
            return cache_dir("embeddings")
        return self.root / ".cache" / self.review_id / "embeddings"

    def run(self, run_id: str) -> RunPaths:
        return RunPaths(self.outputs / checked_name(run_id, "run id"))

    def runs(self) -> list[RunPaths]:
        """Every run folder of the review (complete or not), oldest name first."""
        if not self.outputs.is_dir():
            return []
        return [
            RunPaths(p)
            for p in sorted(self.outputs.iterdir())
            if p.is_dir() and not p.is_symlink() and NAME.fullmatch(p.name)
        ]


def head_file(log: Path) -> Path:
    """A hash-chained log's head (row count and last hash), beside the log."""
    return log.with_name(log.name + ".head.json")


def backup_file(log: Path, stamp: str) -> Path:
    """A copy of a log kept before it is repaired, beside it."""
    return log.with_name(f"{log.name}.{stamp}.bak")


def lock_file(log: Path) -> Path:
    """The lock a log's writers take, beside the log."""
    return log.with_name(log.name + ".lock")


@dataclass(frozen=True)
class RunPaths:
    """The files of one run folder."""

    dir: Path

    def table(self, name: str, suffix: str) -> Path:
        return self.dir / f"{name}{suffix}"

    @property
    def run_json(self) -> Path:
        return self.dir / "run.json"

    @property
    def manifest(self) -> Path:
        return self.dir / "manifest.json"

    @property
    def report(self) -> Path:
        return self.dir / "report.html"

    @property
    def figures(self) -> Path:
        return self.dir / "figures"

    def figure(self, name: str, suffix: str) -> Path:
        """A figure, as ``.svg`` or ``.png`` (both are written)."""
        return self.figures / f"{name}{suffix}"

    def shown(self, path: Path) -> str:
        """A path of the run folder as the report names it (relative to the folder)."""
        return str(path.relative_to(self.dir))

    @property
    def notebooks(self) -> Path:
        return self.dir / "notebooks"

    def executed(self, source: Path) -> Path:
        """The executed copy of a notebook (``01_corpus.py`` → ``notebooks/01_corpus.ipynb``)."""
        return self.notebooks / f"{source.stem}.ipynb"

    @property
    def combined(self) -> Path:
        """The one notebook the report is rendered from."""
        return self.notebooks / "report.ipynb"

    def export(self, name: str) -> Path:
        return self.dir / "exports" / name

    @property
    def appendix(self) -> Path:
        """Every record with its status and the decision behind it (CSV)."""
        return self.export("appendix.csv")


def snapshot_works(snapshot: Path) -> Path:
    """The works of an OpenAlex snapshot: ``data/works/``, holding ``updated_date=…/part_….gz``
    partitions and the ``manifest`` that lists them."""
    return Path(snapshot) / "data" / "works"


def snapshot_manifest(snapshot: Path) -> Path:
    """The manifest of an OpenAlex snapshot's works (``entries``: each part's URL and count)."""
    return snapshot_works(snapshot) / "manifest"


def cache_dir(*parts: str) -> Path:
    """slr's cache (``$SLR_CACHE``, default ``~/.cache/slr``), one folder per kind of thing."""
    base = os.environ.get(ENV_CACHE) or Path.home() / ".cache" / "slr"
    return Path(base).joinpath(*parts)


def embedding_file(cache: Path, model: str, key: str) -> Path:
    """The cached embedding of one text in the cache folder ``cache`` (``key``: the hash of
    model and text)."""
    return cache / model / key[:2] / f"{key}.npy"


def notebook(name: str) -> Path:
    """A report notebook (jupytext ``.py``): the project's ``notebooks/``, shipped inside the
    package as ``slr.notebooks`` (so that an installed slr, editable or not, finds them)."""
    return Path(str(files("slr.notebooks").joinpath(name)))
