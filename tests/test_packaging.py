"""slr as a package: the wheel carries the report notebooks, an installed (not editable) slr
finds them, and ``python -m slr`` works."""

import os
import shutil
import subprocess
import sys
import zipfile

from helpers import ROOT

NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("0*.py"))


def test_the_wheel_carries_the_notebooks_and_an_installed_slr_finds_them(tmp_path):
    source = tmp_path / "source"
    for part in ("src", "notebooks"):
        shutil.copytree(ROOT / part, source / part, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path / "dist"),
            str(source),
        ],  # fmt: skip
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("slr-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"slr/notebooks/{n}" for n in NOTEBOOKS} <= names
    assert len(NOTEBOOKS) == 6  # the write-up, then corpus, screening, coding, synthesis, audit

    site = tmp_path / "site"
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],  # fmt: skip
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    env = {**os.environ, "PYTHONPATH": str(site)}
    found = subprocess.run(
        [
            sys.executable,
            "-c",
            "import slr, slr.layout as L; print(slr.__file__); print(L.notebook('01_corpus.py'))",
        ],  # fmt: skip
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=True,
    ).stdout.splitlines()
    assert found[0].startswith(str(site))  # the installed copy, not the checkout
    assert found[1].startswith(str(site)) and os.path.isfile(found[1])
    help_text = subprocess.run(
        [sys.executable, "-m", "slr", "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=True,
    ).stdout
    assert "harvest" in help_text and "run" in help_text
