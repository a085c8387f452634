"""A reviewer in a real browser: JupyterLab started on 127.0.0.1 by the test, driven by
Playwright in Debian's Chromium, screening and coding in the panels of the shipped notebooks.

Locally these tests skip when Chromium is absent (``apt-get install chromium``); ``.ci/run``
installs it and sets ``SLR_BROWSER_TESTS=required``, so there they fail instead of skipping.
Screenshots of every step go to ``$SLR_TEST_ARTIFACTS/browser`` (default: pytest's temporary
folder).
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from helpers import write_mini_project

from slr.cli import main
from slr.layout import ReviewPaths, notebook
from slr.protocol import load_protocol
from slr.tables.contracts import CODES
from slr.tables.io import read_run, read_table
from slr.tables.log import LogReader

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRED = os.environ.get("SLR_BROWSER_TESTS") == "required"
# as this machine's network needs: no background connections, no sandbox as root
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
TIMEOUT = 120_000  # ms: a kernel's first import of slr, and of the ranking model, on 2 cores

if not CHROMIUM and not REQUIRED:
    pytest.skip(
        "Chromium is not installed (apt-get install chromium); .ci/run installs it and runs "
        "these tests",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The mini review, run once, with the shipped screening and coding notebooks copied in
    and pointed at its protocol (what a student adding a review does)."""
    folder = write_mini_project(tmp_path_factory.mktemp("browser"), seed_article=True)
    _slr("run", str(folder / "protocols" / "mini.yaml"), "--run-id", "r1", "--no-report")
    (folder / "notebooks").mkdir()
    for name in ("02_screening.py", "03_coding.py"):
        text = notebook(name).read_text(encoding="utf-8")
        assert "protocols/rural-community-business.yaml" in text
        text = text.replace("protocols/rural-community-business.yaml", "protocols/mini.yaml")
        (folder / "notebooks" / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def lab(project, tmp_path_factory):
    """JupyterLab on 127.0.0.1 (a free port, a token), its settings in a temporary folder."""
    if not CHROMIUM:
        pytest.fail("SLR_BROWSER_TESTS=required but Chromium is not installed")
    home = tmp_path_factory.mktemp("jupyter")
    port = _free_port()
    token = secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
    }
    for name in ("SLR_REVIEWER", "SLR_CODER", "SLR_PROJECT"):
        env.pop(name, None)  # the name is typed in the panel, as a reviewer does
    jupyter = Path(sys.executable).with_name("jupyter")
    server = subprocess.Popen(
        [str(jupyter), "lab", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={project}"],
        env=env, stdout=subprocess.DEVNULL, stderr=open(home / "server.log", "wb"),
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{base}/api/status?token={token}", server, home / "server.log")
        yield base, token
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def shots(tmp_path_factory, request):
    """Saves a numbered screenshot of the page for each step."""
    root = os.environ.get("SLR_TEST_ARTIFACTS")
    folder = Path(root) / "browser" if root else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    taken = []

    def shot(page, step: str) -> None:
        path = folder / f"{request.node.name}-{len(taken) + 1:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=False)
        taken.append(path)

    shot.taken = taken
    return shot


def open_notebook(browser, lab, name: str):
    """A page with ``notebooks/<name>`` open in JupyterLab, every cell run."""
    base, token = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(TIMEOUT)
    # a workspace of its own (reset): only this notebook open, none left from another test
    page.goto(
        f"{base}/lab/workspaces/{name.split('.')[0]}/tree/notebooks/{name}?token={token}&reset"
    )
    # a .py notebook opens as a notebook (jupytext's viewer), on the slr kernel
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
    page.locator(".jp-StatusBar-Widget").get_by_text("slr | Idle").wait_for()
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.locator("input[placeholder='your name']:visible").wait_for()
    return page


def test_a_reviewer_screens_in_jupyterlab(project, lab, browser, shots):
    page = open_notebook(browser, lab, "02_screening.py")
    shots(page, "opened")
    page.get_by_placeholder("your name").fill("ana")
    page.get_by_role("button", name="Start screening").click()
    include = page.get_by_role("button", name="Include (i)")
    include.wait_for()
    include.scroll_into_view_if_needed()
    shots(page, "panel")
    include.click()
    page.get_by_text("include: ").wait_for()
    page.get_by_text("ana: 1 / ").wait_for()
    shots(page, "included")
    page.get_by_role("button", name="Exclude (e)").click()  # no reason: refused
    page.get_by_text("Choose the reason to exclude first").wait_for()
    shots(page, "exclude-refused")
    reasons = page.locator(".jupyter-widgets select").first
    label = next(
        t for t in reasons.evaluate("e => Array.from(e.options).map(o => o.text)")
        if "fails IC3" in t.replace("\xa0", " ")
    )  # fmt: skip
    reasons.select_option(label=label)
    page.get_by_role("button", name="Exclude (e)").click()
    page.get_by_text("exclude: ").wait_for()
    shots(page, "excluded")
    page.locator(".jupyter-widgets h3").first.hover()
    page.keyboard.press("u")  # the keyboard shortcut for unsure
    page.get_by_text("unsure: ").wait_for()
    shots(page, "unsure-by-key")
    page.get_by_role("button", name="Undo (z)").click()
    page.get_by_text("undone").wait_for()
    page.get_by_role("button", name="Stop (rule)").click()
    page.get_by_text("not safe to stop yet: p = ").wait_for()
    shots(page, "stop-refused")
    saved = project / "notebooks" / "02_screening.py"
    before, mtime = saved.read_bytes(), saved.stat().st_mtime_ns
    page.locator(".jp-Notebook .jp-Cell").first.click()
    page.keyboard.press("Escape")
    page.keyboard.press("Control+s")  # the reviewer saves the notebook
    for _ in range(100):
        if saved.stat().st_mtime_ns != mtime:
            break
        page.wait_for_timeout(100)
    assert saved.stat().st_mtime_ns != mtime, "the notebook was not saved"
    page.close()

    protocol = load_protocol(project / "protocols" / "mini.yaml")
    log = LogReader(ReviewPaths.of(protocol).screening_log).read()
    assert list(log["reviewer"]) == ["ana"] * 4
    assert list(log["decision"]) == ["include", "exclude", "unsure", "undo"]
    excluded = log.iloc[1]
    assert excluded["criterion_id"] == "IC3" and excluded["reason"].startswith("fails IC3: ")
    assert log["rank"].iloc[:3].notna().all() and log["model"].iloc[0].startswith(
        f"{protocol.screening.model} (slr "
    )
    assert _slr("verify", str(protocol.path))[0] == 0
    # saved, the notebook is the same file: nothing of the session went into it
    assert saved.read_bytes() == before
    assert len(shots.taken) == 7


def test_a_coder_codes_in_jupyterlab_and_the_next_run_applies_it(project, lab, browser, shots):
    page = open_notebook(browser, lab, "03_coding.py")
    page.get_by_placeholder("your name").fill("ben")
    page.get_by_role("button", name="Start coding").click()
    page.get_by_role("button", name="Next unreviewed").wait_for()
    page.get_by_role("button", name="Next unreviewed").scroll_into_view_if_needed()
    page.get_by_text("ben: 0 of ").wait_for()
    shots(page, "panel")
    page.get_by_role("button", name="Reject").first.click()
    page.get_by_text("reject: ").wait_for()
    page.get_by_text("(rejected by you)").wait_for()
    shots(page, "rejected")
    add = page.locator(".jupyter-widgets select").first
    theme = add.evaluate("e => e.options[1].text")
    add.select_option(label=theme)
    page.get_by_placeholder("evidence: the sentence that states it").fill("the stated evidence")
    page.get_by_role("button", name="Add theme").click()
    page.get_by_text("add: ").wait_for()
    shots(page, "added")
    page.get_by_role("button", name="Next unreviewed").click()
    page.get_by_text("add: ").wait_for(state="hidden")  # the next work is shown
    shots(page, "next")
    page.get_by_role("button", name="Confirm").first.click()
    page.get_by_text("confirm: ").wait_for()
    shots(page, "confirmed")
    page.close()

    protocol = load_protocol(project / "protocols" / "mini.yaml")
    rows = read_table(ReviewPaths.of(protocol).coding_log, CODES)
    assert list(rows["coder"]) == ["ben"] * 3
    assert [m.split(" (")[0] for m in rows["method"]] == [
        "human: reject",
        "human: add",
        "human: confirm",
    ]
    assert rows["work_id"].iloc[0] == rows["work_id"].iloc[1] != rows["work_id"].iloc[2]
    rejected = (rows["work_id"].iloc[0], rows["theme_id"].iloc[0])
    added = (rows["work_id"].iloc[1], rows["theme_id"].iloc[1])
    assert added[1] == theme.replace("\xa0", " ").split(" · ")[0]
    _slr("run", str(protocol.path), "--run-id", "r2", "--no-report")
    now = read_run(ReviewPaths.of(protocol).run("r2").dir)["current_codes"]
    pairs = set(zip(now["work_id"], now["theme_id"], strict=True))
    assert rejected not in pairs and added in pairs


# ---------------------------------------------------------------------- helpers


def _slr(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["-q", *args])
    assert code == 0, out.getvalue()
    return code, out.getvalue()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, server: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited: {log.read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 - loopback only
                if r.status == 200:
                    return
        time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer on {url} in {seconds} s")
