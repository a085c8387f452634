"""Every fault case a careful tester tried on slr's files, replayed: bad names, hostile records,
two writers, forged and torn logs, odd encodings, a faulty server, kills at random points.

Each case runs in a fresh copy of the mini review (``tests/helpers.py``) and is scored on what a
user sees: a **clear error** (exit 1, one line naming the problem; for library calls, one of
slr's own errors) or the **correct result** (checked), never an internal error; and **data
lost**: a file that existed before the case and was deleted or changed without being meant to
(plus what each case checks of its own). Usage: ``python benchmarks/faults.py [--kills N]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import pandas as pd  # noqa: E402
from helpers import FIXTURES, write_mini_project  # noqa: E402
from kills import hashes, kill_after, kill_harvest, kill_import, kill_run  # noqa: E402
from replay import ReplayServer  # noqa: E402

from slr.cli import main  # noqa: E402
from slr.errors import SlrError  # noqa: E402
from slr.ingest.harvest import harvest_source  # noqa: E402
from slr.ingest.openalex import HarvestSettings  # noqa: E402
from slr.layout import ReviewPaths, head_file  # noqa: E402
from slr.protocol import load_protocol  # noqa: E402
from slr.tables.contracts import DECISIONS  # noqa: E402
from slr.tables.log import append_log, read_log  # noqa: E402
from slr.tables.schema import conform  # noqa: E402

CLEAR, CORRECT, WRONG = "clear error", "correct result", "WRONG"
HOSTILE_RIS = (
    "TY  - JOUR\nTI  - <script>alert('t')</script> Village cooperative enterprise\n"
    'AU  - =HYPERLINK("http://evil.example","x")\n'
    "AB  - &lt;img src=x onerror=alert('a')&gt; The village cooperative enterprise builds social "
    "capital and trust.\nKW  - =cmd|' /C calc'!A0\n"
    "DO  - 10.1234/x\"><script>alert('d')</script>\nPY  - 2021\nLA  - en\nER  - \n"
)


@dataclass
class Outcome:
    got: str  # CLEAR, CORRECT or WRONG
    detail: str
    lost: list[str]


class Project:
    """A fresh mini review, and what it held before the case."""

    def __init__(self, folder: Path):
        self.root = write_mini_project(folder)
        self.protocol = self.root / "protocols" / "mini.yaml"
        self.paths = ReviewPaths.of(load_protocol(self.protocol))

    def cli(self, *args: str) -> tuple[int, str]:
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(["-q", *[str(a) for a in args]])
        return code, err.getvalue().strip()

    def snapshot(self) -> dict[str, str]:
        return hashes(self.root, volatile=False)


def refused(code: int, err: str, *words: str) -> tuple[str, str]:
    """A clear error: exit 1, one line, slr's own words, the expected ones in it."""
    ok = code == 1 and err.startswith("slr: error: ") and len(err.splitlines()) == 1
    ok = ok and all(w in err for w in words)
    return (CLEAR if ok else WRONG), err[:160]


def raised(call: Callable[[], object], *words: str) -> tuple[str, str]:
    try:
        call()
    except SlrError as e:
        ok = all(w in str(e) for w in words)
        return (CLEAR if ok else WRONG), str(e)[:160]
    except Exception as e:  # an internal error is what this benchmark counts
        return WRONG, f"internal error {type(e).__name__}: {e}"[:160]
    return WRONG, "no error"


def correct(ok: bool, detail: str) -> tuple[str, str]:
    return (CORRECT if ok else WRONG), detail


def _rows(*work_ids: str) -> pd.DataFrame:
    base = {"stage": "title_abstract", "decision": "include", "reviewer": "ana",
            "decided_at": "2026-01-01T00:00:00Z", "protocol_version": "v", "reason": "IC3"}  # fmt: skip
    return conform(pd.DataFrame([{**base, "work_id": w} for w in work_ids]), DECISIONS)


def _screened(p: Project, run_id: str, n: int) -> list[str]:
    d = pd.read_csv(p.paths.run(run_id).dir / "decisions.csv")
    keep = (d["stage"] == "title_abstract") & (d["decision"] == "include")
    return list(d.loc[keep, "work_id"][:n])


def _works(n: int) -> list[dict]:
    return [{"id": f"https://openalex.org/W{100 + i}", "title": f"Village enterprise {i}",
             "publication_year": 2020, "language": "en", "type": "article"} for i in range(n)]  # fmt: skip


# ---------------------------------------------------------------------- the cases


def bad_import_id(p: Project, value: str):
    return refused(*p.cli("import", p.protocol, FIXTURES / "mini" / "records.bib", "--id", value),
                   "cannot name a file")  # fmt: skip


def bad_run_id(p: Project, value: str):
    return refused(
        *p.cli("run", p.protocol, "--no-report", "--run-id", value), "cannot name a file"
    )


def users_file_at_latest(p: Project):
    p.paths.latest.parent.mkdir(parents=True)
    p.paths.latest.write_text("my notes", encoding="utf-8")
    got = refused(*p.cli("run", p.protocol, "--no-report"), "not slr's link")
    return got if p.paths.latest.read_text(encoding="utf-8") == "my notes" else (WRONG, "replaced")


def two_writers(p: Project):
    log = p.paths.screening_log
    script = (
        "import sys; sys.path.insert(0, sys.argv[3]); from bench_writer import write; "
        "write(sys.argv[1], sys.argv[2])"
    )
    writer = Path(tempfile.mkdtemp()) / "bench_writer.py"
    writer.write_text(
        "import pandas as pd\nfrom slr.tables.log import append_log\n"
        "from slr.tables.contracts import DECISIONS\nfrom slr.tables.schema import conform\n"
        "def write(log, who):\n    for i in range(500):\n"
        "        row = {'work_id': f'{who}{i}', 'stage': 'title_abstract', 'decision': 'include',"
        " 'reviewer': who, 'decided_at': 'now', 'protocol_version': 'v'}\n"
        "        append_log(log, conform(pd.DataFrame([row]), DECISIONS))\n",
        encoding="utf-8",
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(log), who, str(writer.parent)])
             for who in ("A", "B")]  # fmt: skip
    codes = [q.wait() for q in procs]
    code, err = p.cli("verify", p.protocol)
    rows = len(read_log(log))
    return correct(codes == [0, 0] and code == 0 and rows == 1000, f"{rows} rows, verify {code}")


def harvest_malformed_page(p: Project):
    works = _works(450)
    protocol = load_protocol(p.protocol)
    with ReplayServer() as server:
        server.add_listing(filter="title.search:village enterprise", works=works)
        s = HarvestSettings(base_url=server.url, backoff_factor=0, max_retries=2)
        harvest_source(protocol.sources[0], protocol, settings=s)
    before = {f.name: f.read_bytes() for f in p.paths.harvest("oa").glob("*.json")}
    with ReplayServer() as server:
        server.add_listing(filter="title.search:village enterprise", works=works,
                           faults={2: ["malformed"] * 3})  # fmt: skip
        s = HarvestSettings(base_url=server.url, backoff_factor=0, max_retries=2)
        got = raised(lambda: harvest_source(protocol.sources[0], protocol, settings=s),
                     "is not a work")  # fmt: skip
    after = {f.name: f.read_bytes() for f in p.paths.harvest("oa").glob("*.json")}
    return got if after == before else (WRONG, "the frozen harvest was replaced")


def harvest_fault_once(p: Project, fault: str):
    protocol = load_protocol(p.protocol)
    with ReplayServer() as server:
        server.add_listing(filter="title.search:village enterprise", works=_works(450),
                           faults={2: [fault]}, trickle_seconds=0.3,
                           oversized_bytes=3 * 2**20)  # fmt: skip
        s = HarvestSettings(base_url=server.url, backoff_factor=0, deadline=1.0, max_bytes=2**20)
        m = harvest_source(protocol.sources[0], protocol, settings=s)
    return correct(m["n_unique"] == 450, f"asked again; {m['n_unique']} works frozen")


def harvest_fault_always(p: Project, fault: str, words: str):
    protocol = load_protocol(p.protocol)
    with ReplayServer() as server:
        server.add_listing(filter="title.search:village enterprise", works=_works(450),
                           faults={1: [fault] * 3}, trickle_seconds=0.3,
                           oversized_bytes=3 * 2**20)  # fmt: skip
        s = HarvestSettings(base_url=server.url, backoff_factor=0, max_retries=2, deadline=1.0,
                            max_bytes=2**20)  # fmt: skip
        got = raised(lambda: harvest_source(protocol.sources[0], protocol, settings=s), words)
    return got if not p.paths.harvest("oa").exists() else (WRONG, "a harvest was frozen")


def credentials_in_base_url(p: Project):
    protocol = load_protocol(p.protocol)
    with ReplayServer() as server:
        server.add_listing(filter="title.search:village enterprise", works=_works(10))
        host = server.url.removeprefix("http://")
        s = HarvestSettings(base_url=f"http://us3r:pa55@{host}/?api_key=K3Y", backoff_factor=0)
        harvest_source(protocol.sources[0], protocol, settings=s)
    text = "".join(f.read_text(encoding="utf-8") for f in p.paths.corpus.rglob("*.json"))
    leaked = [w for w in ("us3r", "pa55", "K3Y") if w in text]
    return correct(not leaked, f"written: {leaked or 'no credentials'}")


def email_after_redirect(p: Project):
    protocol = load_protocol(p.protocol)
    with ReplayServer() as asked, ReplayServer() as other:
        for server in (asked, other):
            server.add_listing(filter="title.search:village enterprise", works=_works(10))
        asked.state.redirect_to = other.url
        s = HarvestSettings(base_url=asked.url, backoff_factor=0, email="me@x.org", api_key="K")
        harvest_source(protocol.sources[0], protocol, settings=s)
    sent = {k for r in other.requests for k in r.headers if k in ("From", "Authorization")}
    return correct(not sent, f"sent to the other host: {sorted(sent) or 'nothing identifying'}")


def truncated_cache_entry(p: Project):
    code, _ = p.cli("run", p.protocol, "--no-report", "--run-id", "r1")
    entries = sorted((p.root / ".cache").rglob("*.npy"))
    if code != 0 or not entries:
        return WRONG, f"no cache to damage (run {code})"
    for e in entries[:5]:
        e.write_bytes(e.read_bytes()[:40])  # what a kill during the write used to leave
    code, err = p.cli("run", p.protocol, "--no-report", "--run-id", "r2")
    same = all(
        (p.paths.run("r1").dir / f).read_bytes() == (p.paths.run("r2").dir / f).read_bytes()
        for f in ("codes.csv", "decisions.csv", "works.csv")
    )
    return correct(code == 0 and same, f"rerun {code}; tables equal: {same}")


def incomplete_run(p: Project, verb: str):
    for run in ("r1", "r2"):
        p.cli("run", p.protocol, "--no-report", "--run-id", run)
    (p.paths.run("r1").dir / "manifest.json").unlink()
    r1, r2 = p.paths.run("r1").dir, p.paths.run("r2").dir
    args = {
        "reuse": ("run", p.protocol, "--no-report", "--from", "coding", "--reuse", r1),
        "diff": ("diff", r1, r2),
    }[verb]
    return refused(*p.cli(*args), "incomplete run")


def _hostile_report(p: Project) -> tuple[str, Path]:
    extra = p.root / "<img src=x onerror=alert('f')>.ris"
    extra.write_text(HOSTILE_RIS, encoding="utf-8")
    code, err = p.cli("run", p.protocol, "--add-source", extra, "--run-id", "h")
    return err if code else "", p.paths.run("h").dir


def hostile_report(p: Project, raw: str, shown: str):
    err, run = _hostile_report(p)
    if err:
        return WRONG, err
    page = (run / "report.html").read_text(encoding="utf-8")
    return correct(raw not in page and shown in page, f"{raw!r} absent, shown as {shown!r}")


def formulas_in_csvs(p: Project):
    extra = p.root / "hostile.ris"
    extra.write_text(HOSTILE_RIS, encoding="utf-8")
    p.cli("run", p.protocol, "--no-report", "--add-source", extra, "--run-id", "h")
    p.cli("export", p.protocol, p.root / "export.csv", "--run", p.paths.run("h").dir)
    files = [
        p.paths.run("h").dir / "works.csv",
        p.paths.run("h").dir / "codes.csv",
        p.root / "export.csv",
    ]
    live = []
    for f in files:
        cells = pd.read_csv(f, dtype=str, keep_default_na=False).to_numpy().ravel()
        live += [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    return correct(not live, f"formula cells in CSVs: {len(live)}")


def forged_log(p: Project, verb: str):
    p.cli("run", p.protocol, "--no-report", "--run-id", "r0")
    append_log(p.paths.screening_log, _rows(*_screened(p, "r0", 3)))
    p.cli("run", p.protocol, "--no-report", "--run-id", "r1")
    forged = read_log(p.paths.screening_log)
    forged.loc[1, "decision"], forged.loc[1, "reason"] = "exclude", "EC1"
    p.paths.screening_log.unlink()
    head_file(p.paths.screening_log).unlink()
    append_log(p.paths.screening_log, forged.drop(columns="row_hash"))
    if verb == "verify":
        code, err = p.cli("verify", p.protocol)
        return (CLEAR if code == 1 and "were rewritten" in err else WRONG), err[:160]
    return refused(*p.cli("run", p.protocol, "--no-report", "--run-id", "r2"), "were rewritten")


def missing_head(p: Project):
    p.cli("run", p.protocol, "--no-report", "--run-id", "r0")
    append_log(p.paths.screening_log, _rows(*_screened(p, "r0", 2)))
    head_file(p.paths.screening_log).unlink()
    return refused(*p.cli("run", p.protocol, "--no-report", "--run-id", "r1"), "is missing")


def torn_line(p: Project):
    p.cli("run", p.protocol, "--no-report", "--run-id", "r0")
    append_log(p.paths.screening_log, _rows(*_screened(p, "r0", 2)))
    whole = p.paths.screening_log.read_bytes()
    p.paths.screening_log.write_bytes(whole + b"R0,title_abs")
    got = refused(*p.cli("run", p.protocol, "--no-report", "--run-id", "r1"), "(line 4, row 3)")
    code, _ = p.cli("verify", p.protocol, "--repair")
    mended = code == 0 and p.paths.screening_log.read_bytes() == whole
    return got if mended else (WRONG, "not repaired")


def import_file(p: Project, name: str, data: bytes, *words: str):
    path = p.root / name
    if data:
        path.write_bytes(data)
    else:
        path.mkdir()
    code, err = p.cli("import", p.protocol, path)
    if not words:
        return correct(code == 0, err or "imported")
    return refused(code, err, *words)


def empty_add_source(p: Project):
    empty = p.root / "empty.ris"
    empty.write_text("", encoding="utf-8")
    return refused(*p.cli("run", p.protocol, "--no-report", "--add-source", empty), "no records")


def protocol_text(p: Project, data: bytes, *words: str):
    bad = p.protocol.with_name("bad.yaml")
    bad.write_bytes(data)
    start = time.monotonic()
    got = refused(*p.cli("status", bad), *words)
    took = time.monotonic() - start
    return got if took < 10 else (WRONG, f"took {took:.0f} s")


def _laughs() -> bytes:
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 13):
        prev, name = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    return ("\n".join(lines) + "\nreview: {id: x, title: *m}\n").encode()


RIS = "TY  - JOUR\nTI  - Koperasi desa caf\u00e9\nPY  - 2020\nER  - \n"
CASES: list[tuple[str, str, Callable]] = [
    ("data", "import --id ../seed", lambda p: bad_import_id(p, "../seed")),
    ("data", "import --id /abs/path", lambda p: bad_import_id(p, "/tmp/abs")),
    ("data", "run --run-id ../../../x", lambda p: bad_run_id(p, "../../../x")),
    ("data", "run --run-id latest", lambda p: bad_run_id(p, "latest")),
    ("data", "a user's file where latest goes", users_file_at_latest),
    ("data", "two writers × 500 decisions", two_writers),
    ("data", "harvest page with non-works, every time", harvest_malformed_page),
    ("data", "truncated embedding-cache entries", truncated_cache_entry),
    ("data", "killed run folder --reuse'd", lambda p: incomplete_run(p, "reuse")),
    ("data", "killed run folder diffed", lambda p: incomplete_run(p, "diff")),
    ("injection", "<script> in a title", lambda p: hostile_report(p, "<script>alert('t')", "&lt;script&gt;alert(")),
    ("injection", "escaped <img onerror> unescaped by cleaning", lambda p: hostile_report(p, "<img src=x onerror=alert('a')", "&lt;img src=x onerror=")),
    ("injection", "a DOI closing its attribute", lambda p: hostile_report(p, "\"><script>alert('d')", "10.1234/x")),
    ("injection", "an --add-source file name", lambda p: hostile_report(p, "<img src=x onerror=alert('f')", "alert")),
    ("injection", "formulas in works/codes/export CSVs", formulas_in_csvs),
    ("forgery", "log rewritten with recomputed hashes: verify", lambda p: forged_log(p, "verify")),
    ("forgery", "log rewritten with recomputed hashes: run", lambda p: forged_log(p, "run")),
    ("forgery", "log head missing", missing_head),
    ("forgery", "a line torn mid-write (+ repair)", torn_line),
    ("forgery", "credentials in --base-url", credentials_in_base_url),
    ("forgery", "e-mail header after a redirect", email_after_redirect),
    ("input", "UTF-16 JSONL with a BOM", lambda p: import_file(p, "u16.jsonl", ("\ufeff" + json.dumps({"title": "Koperasi desa"}) + "\n").encode("utf-16-le"))),
    ("input", "UTF-16 RIS without a BOM", lambda p: import_file(p, "u16.ris", RIS.encode("utf-16-le"), "UTF-16 without a byte-order mark")),
    ("input", "a Windows-1252 CSV", lambda p: import_file(p, "cp.csv", "title\ncaf\u00e9\n".encode("cp1252"), "not UTF-8 text (byte 0xe9)")),
    ("input", "a wrong field type in JSONL", lambda p: import_file(p, "t.jsonl", b'{"title": "x", "cited_by_count": "many"}\n', "field 'cited_by_count'")),
    ("input", "a folder given as the file", lambda p: import_file(p, "folder.ris", b"", "a folder, not a file")),
    ("input", "--add-source of an empty file", empty_add_source),
    ("input", "protocol: a key given twice", lambda p: protocol_text(p, p.protocol.read_bytes().replace(b"review:\n", b"review:\n  id: x\n", 1), "given twice")),
    ("input", "protocol: not UTF-8", lambda p: protocol_text(p, "review: {id: caf\u00e9}\n".encode("cp1252"), "not UTF-8")),
    ("input", "protocol: billion laughs", lambda p: protocol_text(p, _laughs(), "aliases")),
    ("harvest", "429, once", lambda p: harvest_fault_once(p, "429")),
    ("harvest", "500, once", lambda p: harvest_fault_once(p, "500")),
    ("harvest", "a connection reset mid-answer, once", lambda p: harvest_fault_once(p, "reset")),
    ("harvest", "truncated JSON, once", lambda p: harvest_fault_once(p, "truncated")),
    ("harvest", "a page with non-works, once", lambda p: harvest_fault_once(p, "malformed")),
    ("harvest", "an oversized page, once", lambda p: harvest_fault_once(p, "oversized")),
    ("harvest", "a server that trickles, once", lambda p: harvest_fault_once(p, "trickle")),
    ("harvest", "a server that trickles, always", lambda p: harvest_fault_always(p, "trickle", "no complete answer within 1 s")),
    ("harvest", "an oversized page, always", lambda p: harvest_fault_always(p, "oversized", "larger than 1 MB")),
]  # fmt: skip


def kill_cases(n: int, seed: int) -> list[tuple[str, str, Callable]]:
    """``n`` kills each of ``slr run``, ``slr import`` and ``slr harvest`` at random points."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        u = rng.uniform(0.1, 1.0)
        out += [
            ("kill", f"slr run killed at {u:.0%} of its time", lambda p, u=u: _kill_run(p, u)),
            ("kill", f"slr import killed at {u:.0%}", lambda p, u=u: _kill_import(p, u)),
            ("kill", f"slr harvest killed at {u:.0%}", lambda p, u=u: _kill_harvest(p, u)),
        ]
    return out


def _timed(args: list[str]) -> float:
    start = time.monotonic()
    kill_after(args, 600)
    return time.monotonic() - start


def _kill_run(p: Project, u: float):
    took = _timed(["run", str(p.protocol), "--no-report", "--run-id", "reference"])
    seen = kill_run(p.root, took * u, "reference")
    return correct(not seen.problems, "; ".join(seen.problems) or f"finished={seen.finished}")


def _kill_import(p: Project, u: float):
    big = p.root / "big.ris"
    big.write_text("".join(f"TY  - JOUR\nTI  - Village enterprise {i}\nPY  - 2020\nER  - \n"
                           for i in range(60_000)), encoding="utf-8")  # fmt: skip
    ref_project = Project(p.root.parent / "reference")
    took = _timed(["import", str(ref_project.protocol), str(big), "--id", "big"])
    ref = json.loads(ref_project.paths.imports_manifest.read_text(encoding="utf-8"))["imports"][0]
    seen = kill_import(p.root, big, took * u, ref)
    return correct(not seen.problems, "; ".join(seen.problems) or f"finished={seen.finished}")


def _kill_harvest(p: Project, u: float):
    clean = Project(p.root.parent / "clean")
    with ReplayServer() as server:
        server.add_listing(filter="title.search:village enterprise", works=_works(450),
                           delay_seconds=1.0)  # fmt: skip
        took = _timed(["harvest", str(clean.protocol), "--base-url", server.url])
        frozen = hashes(clean.paths.harvest("oa"))
        pages = {k: v for k, v in frozen.items() if k.startswith("page_")}
        seen = kill_harvest(p.root, server.url, took * u, pages)
    return correct(not seen.problems, "; ".join(seen.problems) or f"finished={seen.finished}")


def run_case(fn: Callable) -> tuple[Outcome, float]:
    with tempfile.TemporaryDirectory() as folder:
        p = Project(Path(folder) / "project")
        before = p.snapshot()
        start = time.monotonic()
        try:
            got, detail = fn(p)
        except Exception as e:  # an unexpected failure of the case is a result too
            got, detail = WRONG, f"internal error {type(e).__name__}: {e}"[:160]
        took = time.monotonic() - start
        after = p.snapshot()
        # a case may change the logs it writes to on purpose; nothing else it found may change
        lost = [f for f, h in before.items() if after.get(f) != h and "screening" not in f]
    return Outcome(got, detail, lost), took


def main_(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=2, help="random kill points per command")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    cases = CASES + kill_cases(args.kills, args.seed)
    rows = []
    for group, name, fn in cases:
        outcome, took = run_case(fn)
        rows.append({"group": group, "case": name, "result": outcome.got,
                     "data lost": len(outcome.lost), "s": round(took, 1),
                     "what it said": outcome.detail.replace("\n", " ")[:90]})  # fmt: skip
        sys.stderr.write(f"{outcome.got:>14}  {name}\n")
    table = pd.DataFrame(rows)
    with pd.option_context("display.max_colwidth", 90, "display.width", 250):
        sys.stdout.write(table.to_string(index=False) + "\n\n")
    counts = table["result"].value_counts()
    sys.stdout.write(
        f"{len(table)} cases: {counts.get(CLEAR, 0)} clear errors, {counts.get(CORRECT, 0)} "
        f"correct results, {counts.get(WRONG, 0)} wrong; data lost in "
        f"{int((table['data lost'] > 0).sum())} cases ({int(table['data lost'].sum())} files)\n"
    )
    return 0 if counts.get(WRONG, 0) == 0 and table["data lost"].sum() == 0 else 1


if __name__ == "__main__":
    sys.exit(main_())
