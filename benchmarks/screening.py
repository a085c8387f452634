"""Screening side by side: slr's default model vs ASReview LAB 3's default (ELAS u4) vs random.

On every dataset in ../shared/data/screening/ and every seed, both tools get the same prior
records (one relevant, one irrelevant, drawn with the seed by ``slr.screen.simulate.
choose_priors``) and run as subprocesses measured the same way (CPU seconds of the child
process, start-up included): ``slr simulate --json --curve`` and ``asreview simulate
--prior-idx … --seed …`` (in its own virtual environment: it needs pandas < 3). Both screen until
every relevant record is found. Metrics for both come from the same code
(``slr.screen.simulate.compute_metrics``) applied to each tool's screening order: ASReview's
order is read from the ``results`` table of its project file.

Records with neither title nor abstract (24 in Cohen_2006_ADHD, one of them relevant; 10 in
Cohen_2006_Antihistamines) are kept, for both tools alike: a text model can only find them late.

The stopping rule (recall target 95 %, confidence 95 %) is evaluated on slr's orders: where it
first says stop, the recall reached and the share of records not screened.

Usage: ``python benchmarks/screening.py --asreview PATH/TO/asreview [--seeds 1 2 3 4 5]``
(``make bench-screening`` creates .venv-asreview and passes it).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from slr.screen.simulate import choose_priors, compute_metrics, read_labelled_dataset
from slr.screen.stop import first_stop

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "screening"
SLR = Path(sys.executable).parent / "slr"
METRICS = ("wss95", "recall_at_10", "loss")


def _child_cpu(cmd: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=cwd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed: {proc.stderr.strip()[-500:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), proc


def run_slr(path: Path, seed: int, priors: list[int], tmp: Path) -> dict:
    curve = tmp / "curve.csv"
    cmd = [str(SLR), "-q", "simulate", str(path), "--seed", str(seed), "--json", "--curve", str(curve),
           "--prior-idx", *map(str, priors)]  # fmt: skip
    cpu, proc = _child_cpu(cmd, tmp)
    out = json.loads(proc.stdout)
    order = pd.read_csv(curve)["row"].tolist()
    return {"order": order, "cpu": cpu, "reported": out}


def run_asreview(asreview: str, path: Path, seed: int, priors: list[int], tmp: Path) -> dict:
    project = tmp / "sim.asreview"
    cmd = [
        asreview,
        "simulate",
        str(path),
        "--prior-idx",
        *map(str, priors),
        "--seed",
        str(seed),
        "-o",
        str(project),
    ]
    cpu, _ = _child_cpu(cmd, tmp)  # in tmp: asreview writes a cache file where it runs
    with zipfile.ZipFile(project) as z:
        z.extract("results.db", tmp)
    con = sqlite3.connect(tmp / "results.db")
    rows = [r[0] for r in con.execute("SELECT record_id FROM results ORDER BY rowid")]
    con.close()
    # record_id is the row number; the priors are labelled first
    return {"order": [r for r in rows if r not in set(priors)], "cpu": cpu}


def run_random(labels: np.ndarray, seed: int, priors: list[int]) -> dict:
    rng = np.random.default_rng(seed + 10_000)
    rest = np.setdiff1d(np.arange(len(labels)), priors)
    return {"order": rng.permutation(rest).tolist(), "cpu": 0.0}


def _metrics(labels: np.ndarray, priors: list[int], order: list[int]) -> dict:
    n = len(labels) - len(priors)
    r = int(labels.sum() - labels[priors].sum())
    return compute_metrics(labels[order], n_records=n, n_relevant=r)


def _stop(labels: np.ndarray, priors: list[int], order: list[int]) -> tuple[float, float] | None:
    """(recall at the stop, share of records not screened) for the stopping rule."""
    seen = np.concatenate([labels[priors], labels[order]])
    rest = len(labels) - len(seen)
    full = np.concatenate(
        [seen, np.zeros(rest, int)]
    )  # everything after the last relevant is irrelevant
    at = first_stop(full, len(labels), recall_target=0.95, confidence=0.95, every=5)
    if at is None:
        return None
    return full[:at].sum() / labels.sum(), 1 - at / len(labels)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--asreview", required=True, help="the asreview executable (its own venv)")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--out", type=Path, help="also write every run's metrics to this CSV")
    args = ap.parse_args(argv)
    found = shutil.which(args.asreview)
    if found is None:
        raise SystemExit(
            f"asreview not found at {args.asreview!r}: `make bench-screening` installs it"
        )
    args.asreview = str(Path(found).resolve())
    if not args.data.is_dir():
        print(f"skipped: {args.data} not found (the benchmark reads ../shared/data)")
        return 0
    rows, stops = [], []
    for path in sorted(args.data.glob("*.csv")):
        data = read_labelled_dataset(path)
        for seed in args.seeds:
            priors = choose_priors(data.labels, seed)
            with tempfile.TemporaryDirectory() as t:
                tmp = Path(t)
                runs = {
                    "slr": run_slr(path, seed, priors, tmp),
                    "asreview": run_asreview(args.asreview, path, seed, priors, tmp),
                    "random": run_random(data.labels, seed, priors),
                }
            for tool, run in runs.items():
                m = _metrics(data.labels, priors, run["order"])
                if tool == "slr" and abs(m["wss95"] - run["reported"]["wss95"]) > 1e-5:
                    raise RuntimeError(
                        f"{path.stem} seed {seed}: slr reported {run['reported']} but its order gives {m}"
                    )
                rows.append(
                    {"dataset": path.stem, "seed": seed, "tool": tool, **m, "cpu": run["cpu"]}
                )
            stop = _stop(data.labels, priors, runs["slr"]["order"])
            stops.append({"dataset": path.stem, "seed": seed, "stopped": stop is not None,
                          "recall": stop[0] if stop else np.nan, "saved": stop[1] if stop else 0.0})  # fmt: skip
            print(f"  {path.stem} seed {seed}: " + ", ".join(
                f"{r['tool']} wss95 {r['wss95']:.3f} cpu {r['cpu']:.1f}s" for r in rows[-3:]), file=sys.stderr, flush=True)  # fmt: skip
    df = pd.DataFrame(rows)
    if args.out:
        df.to_csv(args.out, index=False)
    _print_table(df, args.seeds)
    _print_stops(pd.DataFrame(stops))
    return 0


def _print_table(df: pd.DataFrame, seeds: list[int]) -> None:
    mean = df.groupby(["dataset", "tool"])[[*METRICS, "cpu"]].mean().unstack("tool")
    print(
        f"\nScreening simulation, mean over seeds {seeds}: slr default vs ASReview LAB 3 default (ELAS u4) vs random"
    )
    head = (
        f"{'dataset':<46}{'WSS@95 slr':>11}{'asr':>7}{'rand':>7}{'Δ':>7} |{'rec@10 slr':>11}{'asr':>7}"
        f" |{'loss slr':>9}{'asr':>7} |{'CPU s slr':>10}{'asr':>7}{'ratio':>7}"
    )
    print(head)
    print("-" * len(head))
    for name, r in mean.iterrows():
        print(
            f"{name[:45]:<46}{r[('wss95', 'slr')]:>11.3f}{r[('wss95', 'asreview')]:>7.3f}{r[('wss95', 'random')]:>7.3f}"
            f"{100 * (r[('wss95', 'slr')] - r[('wss95', 'asreview')]):>+7.1f} |"
            f"{r[('recall_at_10', 'slr')]:>11.3f}{r[('recall_at_10', 'asreview')]:>7.3f} |"
            f"{r[('loss', 'slr')]:>9.3f}{r[('loss', 'asreview')]:>7.3f} |"
            f"{r[('cpu', 'slr')]:>10.1f}{r[('cpu', 'asreview')]:>7.1f}{r[('cpu', 'slr')] / r[('cpu', 'asreview')]:>7.2f}"
        )
    avg = mean.mean()
    print("-" * len(head))
    print(
        f"{'mean of datasets':<46}{avg[('wss95', 'slr')]:>11.3f}{avg[('wss95', 'asreview')]:>7.3f}"
        f"{avg[('wss95', 'random')]:>7.3f}{100 * (avg[('wss95', 'slr')] - avg[('wss95', 'asreview')]):>+7.1f} |"
        f"{avg[('recall_at_10', 'slr')]:>11.3f}{avg[('recall_at_10', 'asreview')]:>7.3f} |"
        f"{avg[('loss', 'slr')]:>9.3f}{avg[('loss', 'asreview')]:>7.3f} |"
        f"{avg[('cpu', 'slr')]:>10.1f}{avg[('cpu', 'asreview')]:>7.1f}{avg[('cpu', 'slr')] / avg[('cpu', 'asreview')]:>7.2f}"
    )
    worse = [n for n, r in mean.iterrows() if r[("wss95", "slr")] < r[("wss95", "asreview")]]
    print(
        f"Δ = WSS@95 points, slr − ASReview. Datasets where slr is worse: {', '.join(worse) or 'none'}."
    )
    print("CPU: child-process user+system seconds, start-up included, both tools measured alike.")


def _print_stops(stops: pd.DataFrame) -> None:
    ok = stops["stopped"] & (stops["recall"] >= 0.95)
    print(
        f"\nStopping rule (recall target 95 %, confidence 95 %) on slr's {len(stops)} orders: stopped in "
        f"{int(stops['stopped'].sum())}, at recall ≥ 95 % in {int(ok.sum())} ({ok.mean():.0%}); "
        f"records left unscreened {stops['saved'].mean():.1%} on average "
        f"(min {stops['saved'].min():.1%}, max {stops['saved'].max():.1%})."
    )
    per = stops.groupby("dataset").agg(recall=("recall", "mean"), saved=("saved", "mean"))
    for name, r in per.iterrows():
        print(f"  {name:<48} recall at stop {r['recall']:.3f}, unscreened {r['saved']:.1%}")


if __name__ == "__main__":
    sys.exit(main())
