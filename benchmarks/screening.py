"""Screening side by side: slr's ranking variants vs ASReview LAB 3's default (ELAS u4) vs
random, with a leave-one-dataset-out choice of variant.

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

Two stopping rules (recall target 95 %, confidence 95 %, checked every 5 records) are evaluated
on every tool's order: slr's hypergeometric test (Callaghan & Müller-Hansen) and, for
comparison, the inhomogeneous Poisson process of Sneyd & Stevenson with its published settings
(``slr.screen.stop.point_process_bound``): where each first says stop, the recall reached (how
often at or above the target, with a Clopper-Pearson interval) and the share of records not
screened.

Variants (``VARIANTS``): slr's default (``elas-u4``, ASReview's model re-implemented, retrained
on slr's schedule), the same retrained after every record, the earlier default (``slr``: words +
LSA), ``minilm`` (words + MiniLM embeddings), ``semantic`` (MiniLM embeddings + SVM, ELAS
h3's shape) and ``elas-u4 query`` (the default, with the review's question trained on as a
pseudo-relevant record: the published review's title for the shared sets, ``QUESTIONS``,
written down before any run with them; the protocol's ``question_text`` for this review). Embeddings are cached by text hash in a cache of the benchmark's own, empty at the
start: the first embedding run on a dataset pays for them (cold), later ones read them (warm);
CPU is reported both ways.

A variant is judged only on datasets it was not chosen on: for each dataset in turn, the variant
with the best mean WSS@95 gain over ASReview on the *other* datasets is chosen and its gain on
the held-out one recorded; the mean held-out gain gets a 95 % bootstrap interval (datasets
resampled, then seeds within each). A variant would be promoted to the default only if that
interval lies above zero. Variants tuned on these very datasets (``TUNED_HERE``: ``slr``) are
left out of that choice: leaving a dataset out does not hold out what they were tuned on. Per
variant, the paired gain over ASReview (same priors) gets the same interval.

Datasets: every labelled CSV in ../shared/data/screening/, and this review's own screening
validation sample (76 works read by people, abstracts from ../shared/data/rural-corpus; written
to a temporary file, never committed) when the rural corpus is there.

Usage: ``python benchmarks/screening.py --asreview PATH/TO/asreview [--seeds 1 2 3 4 5]
[--out runs.csv]`` (``make bench-screening`` creates .venv-asreview and passes it; the stops go
to ``runs-stops.csv`` beside it); ``--tables runs.csv`` prints the variant, leave-one-out and
stopping tables again from a saved ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
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
from scipy.stats import binomtest

from slr.screen.simulate import choose_priors, compute_metrics, read_labelled_dataset
from slr.screen.stop import first_point_process_stop, first_stop

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "screening"
SLR = Path(sys.executable).parent / "slr"
METRICS = ("wss95", "recall_at_10", "loss")
DEFAULT = "elas-u4"
# benchmark name → (model, retrain schedule, whether the review's question is a pseudo-relevant
# record) of `slr simulate`
VARIANTS = {
    "elas-u4": ("elas-u4", "auto", False),
    "elas-u4 every": ("elas-u4", "1", False),
    "elas-u4 query": ("elas-u4", "auto", True),
    "slr": ("slr", "auto", False),
    "minilm": ("minilm", "auto", False),
    "semantic": ("semantic", "auto", False),
}
# each dataset's review question: the published review's title (a bibliographic fact, written
# down before any run with it); this review's own comes from its protocol (question_text)
QUESTIONS = {
    "Cohen_2006_ADHD": "Drug class review: pharmacologic treatments for attention deficit "
    "hyperactivity disorder (ADHD)",
    "Cohen_2006_Antihistamines": "Drug class review: newer antihistamines",
    "Dalgaard2022_ECEC_child_ratio_qualitative_TA": "Adult/child ratio and group size in early "
    "childhood education or care to promote the development of children aged 0-5 years",
    "Filges2015_FFT_AIscreenR_tutorial_TA": "Functional Family Therapy (FFT) for young people in "
    "treatment for non-opioid drug use",
    "Kitchenham_2010": "Systematic literature reviews in software engineering: a tertiary study",
    "Nagtegaal_2019": "Nudging healthcare professionals towards evidence-based medicine: a "
    "systematic scoping review",
}
STOP_RULES = ("hypergeometric", "point process")
RECALL_TARGET = CONFIDENCE = 0.95
EMBEDDING_MODELS = ("minilm", "semantic")
# variants whose settings were chosen on the shared sets: leaving one of those sets out does not
# hold out what they were tuned on, so their figures here are optimistic and never promote them
TUNED_HERE = {
    "slr": "its LSA view, class weight and retraining cadence were chosen on the six shared sets; "
    "on six other sets (not here) it trailed ASReview by 2.4 points",
}
BOOTSTRAP = 2000


def _child_cpu(cmd: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=cwd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed: {proc.stderr.strip()[-500:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), proc


def run_slr(
    path: Path,
    seed: int,
    priors: list[int],
    tmp: Path,
    model: str = DEFAULT,
    retrain: str = "auto",
    query: str | None = None,
) -> dict:
    curve = tmp / f"curve-{model}-{retrain}-{query is not None}.csv"
    cmd = [str(SLR), "-q", "simulate", str(path), "--seed", str(seed), "--json", "--curve", str(curve),
           "--model", model, "--retrain", retrain, "--prior-idx", *map(str, priors)]  # fmt: skip
    if query:
        cmd += ["--query", query]
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


def _stops(labels: np.ndarray, priors: list[int], order: list[int]) -> dict[str, tuple | None]:
    """Per stopping rule: (recall at the stop, share of records not screened), or None when
    it never says stop. Both rules are checked every 5 records."""
    seen = np.concatenate([labels[priors], labels[order]])
    rest = len(labels) - len(seen)
    full = np.concatenate(
        [seen, np.zeros(rest, int)]
    )  # everything after the last relevant is irrelevant
    kw = {"recall_target": RECALL_TARGET, "confidence": CONFIDENCE, "every": 5}
    out = {}
    for rule, at in (
        ("hypergeometric", first_stop(full, len(labels), **kw)),
        ("point process", first_point_process_stop(full, len(labels), **kw)),
    ):
        out[rule] = None if at is None else (full[:at].sum() / labels.sum(), 1 - at / len(labels))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--asreview", help="the asreview executable (its own venv)")
    ap.add_argument("--tables", type=Path, help="print the tables from a saved --out CSV")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--out", type=Path, help="also write every run's metrics to this CSV")
    args = ap.parse_args(argv)
    if args.tables:
        saved = pd.read_csv(args.tables)
        _print_variants(saved)
        _print_lodo(saved)
        if _stops_path(args.tables).exists():
            _print_stops(pd.read_csv(_stops_path(args.tables)))
        return 0
    found = shutil.which(args.asreview or "")
    if found is None:
        raise SystemExit(
            f"asreview not found at {args.asreview!r}: `make bench-screening` installs it"
        )
    args.asreview = str(Path(found).resolve())
    if not args.data.is_dir():
        print(f"skipped: {args.data} not found (the benchmark reads ../shared/data)")
        return 0
    os.environ["SLR_CACHE"] = tempfile.mkdtemp(prefix="slr-bench-cache-")  # cold at start
    rows, stops = [], []
    questions = dict(QUESTIONS)
    with tempfile.TemporaryDirectory() as extra:
        paths = sorted(args.data.glob("*.csv"))
        sample = _review_sample(Path(extra))
        if sample is not None:
            paths.append(sample[0])
            questions[sample[0].stem] = sample[1]
        for path in paths:
            _one_dataset(path, questions.get(path.stem), args, rows, stops)
    df, stops = pd.DataFrame(rows), pd.DataFrame(stops)
    if args.out:
        df.to_csv(args.out, index=False)
        stops.to_csv(_stops_path(args.out), index=False)
    _print_table(df[df["tool"].isin([DEFAULT, "asreview", "random"])], args.seeds)
    _print_variants(df)
    _print_lodo(df)
    _print_stops(stops)
    return 0


def _stops_path(out: Path) -> Path:
    return out.with_name(f"{out.stem}-stops.csv")


def _one_dataset(path: Path, question: str | None, args, rows: list, stops: list) -> None:
    data = read_labelled_dataset(path)
    embedded = False
    for seed in args.seeds:
        priors = choose_priors(data.labels, seed)
        with tempfile.TemporaryDirectory() as t:
            tmp = Path(t)
            runs = {}
            for name, (model, retrain, with_query) in VARIANTS.items():
                if with_query and not question:
                    continue  # no question written down for this dataset
                query = question if with_query else None
                runs[name] = run_slr(path, seed, priors, tmp, model, retrain, query)
                runs[name]["cold"] = model in EMBEDDING_MODELS and not embedded
                embedded = embedded or model in EMBEDDING_MODELS
            runs["asreview"] = run_asreview(args.asreview, path, seed, priors, tmp)
            runs["random"] = run_random(data.labels, seed, priors)
        for tool, run in runs.items():
            m = _metrics(data.labels, priors, run["order"])
            if "reported" in run and abs(m["wss95"] - run["reported"]["wss95"]) > 1e-5:
                raise RuntimeError(
                    f"{path.stem} seed {seed}: {tool} reported {run['reported']} but its order gives {m}"
                )
            rows.append({"dataset": path.stem, "seed": seed, "tool": tool, **m,
                         "cpu": run["cpu"], "cold": run.get("cold", False)})  # fmt: skip
        for tool in runs.keys() - {"random"}:  # every ranked order, both rules
            for rule, stop in _stops(data.labels, priors, runs[tool]["order"]).items():
                stops.append({"dataset": path.stem, "seed": seed, "tool": tool, "rule": rule,
                              "stopped": stop is not None, "recall": stop[0] if stop else np.nan,
                              "saved": stop[1] if stop else 0.0})  # fmt: skip
        print(f"  {path.stem} seed {seed}: " + ", ".join(
            f"{r['tool']} {r['wss95']:.3f}" for r in rows[-len(runs):]), file=sys.stderr, flush=True)  # fmt: skip


def _review_sample(folder: Path) -> tuple[Path, str] | None:
    """This review's screening validation sample as a labelled CSV (title, abstract, label)
    in ``folder``, with the review's question from its protocol; None when the rural corpus's
    abstracts are not there."""
    from slr.ingest.corpus import collect_sources, read_sources
    from slr.layout import ReviewPaths
    from slr.protocol import load_protocol

    protocol = load_protocol(ROOT / "protocols" / "rural-community-business.yaml")
    paths = ReviewPaths.of(protocol)
    sample = pd.read_csv(paths.resolve(protocol.screening.validation), dtype=str)
    try:
        works, _ = read_sources(protocol, collect_sources(protocol, ()))
    except Exception as e:  # noqa: BLE001 - the benchmark goes on without this dataset
        print(f"  (this review's sample left out: {e})", file=sys.stderr)
        return None
    works = works.drop_duplicates("work_id").set_index("work_id")
    texts = works.loc[sample["work_id"]]
    if texts["abstract"].isna().all():
        return None
    out = pd.DataFrame({
        "title": texts["title"].fillna("").to_numpy(),
        "abstract": texts["abstract"].fillna("").to_numpy(),
        "label_included": (sample["decision"] == "include").astype(int).to_numpy(),
    })  # fmt: skip
    path = folder / "rural-community-business-sample.csv"
    out.to_csv(path, index=False)
    return path, protocol.question_text()


def _gains(df: pd.DataFrame) -> pd.DataFrame:
    """WSS@95 gain over ASReview per (dataset, seed, variant), same priors."""
    wide = df.pivot_table(index=["dataset", "seed"], columns="tool", values="wss95")
    variants = [v for v in VARIANTS if v in wide.columns]
    return wide[variants].sub(wide["asreview"], axis=0)


def _boot(per_seed: pd.Series) -> tuple[float, float, float]:
    """Mean over datasets of the mean over seeds, with a 95 % interval: datasets resampled,
    then seeds within each (``per_seed``: indexed by dataset, seed); the same draws for every
    series, so one series always gets one interval."""
    rng = np.random.default_rng(0)
    groups = [g.to_numpy() for _, g in per_seed.groupby(level="dataset")]
    est = float(np.mean([g.mean() for g in groups]))
    boots = np.empty(BOOTSTRAP)
    for b in range(BOOTSTRAP):
        pick = rng.integers(len(groups), size=len(groups))
        boots[b] = np.mean([rng.choice(groups[i], size=len(groups[i])).mean() for i in pick])
    low, high = np.percentile(boots, [2.5, 97.5])
    return est, float(low), float(high)


def _print_variants(df: pd.DataFrame) -> None:
    gains = _gains(df)
    print("\nEvery variant vs ASReview LAB 3 (WSS@95 points, paired by priors; 95 % bootstrap "
          "interval over datasets, then seeds):")  # fmt: skip
    cpu = df.groupby(["tool", "cold"])["cpu"].mean()
    head = f"{'variant':<16}{'gain':>7}{'95% interval':>18}{'ahead on':>10}{'CPU s':>8}{'cold':>7}"
    print(head)
    print("-" * len(head))
    for name in gains.columns:
        est, low, high = _boot(gains[name])
        ahead = int((gains[name].groupby(level="dataset").mean() > 0).sum())
        n = gains[name].index.get_level_values("dataset").nunique()
        warm = cpu.get((name, False), np.nan)
        cold = cpu.get((name, True), np.nan)
        print(f"{name:<16}{100 * est:>+7.1f}  [{100 * low:>+6.1f}, {100 * high:>+6.1f}]"
              f"{f'{ahead}/{n}':>10}{warm:>8.1f}{'' if cold != cold else f'{cold:.1f}':>7}")  # fmt: skip
    print(
        "CPU: mean child-process seconds per simulation; 'cold' for the embedding variants' "
        "first run on a dataset (embeddings computed), the rest read the cache (warm)."
    )


def _print_lodo(df: pd.DataFrame) -> None:
    gains = _gains(df)
    eligible = [v for v in gains.columns if v not in TUNED_HERE]
    per_dataset = gains[eligible].groupby(level="dataset").mean()
    datasets = list(per_dataset.index)
    print("\nLeave one dataset out: of the variants not tuned on these datasets ("
          + ", ".join(eligible) + "), the one with the best mean gain on the other datasets, "
          "scored on the held-out one (WSS@95 points vs ASReview):")  # fmt: skip
    held = []
    for d in datasets:
        others = per_dataset.drop(index=d).mean()
        chosen = others.idxmax()
        held.append(gains.loc[d, chosen].rename(lambda s, d=d: (d, s)))
        print(f"  {d[:44]:<46}chosen {chosen:<14}(gain on the others {100 * others.max():+.1f}) "
              f"held out {100 * per_dataset.loc[d, chosen]:+.1f}")  # fmt: skip
    series = pd.concat(held)
    series.index = pd.MultiIndex.from_tuples(series.index, names=["dataset", "seed"])
    est, low, high = _boot(series)
    d_est, d_low, d_high = _boot(gains[DEFAULT])
    print(f"Mean held-out gain of the chosen variant: {100 * est:+.1f} [{100 * low:+.1f}, "
          f"{100 * high:+.1f}]; of the default ({DEFAULT}): {100 * d_est:+.1f} "
          f"[{100 * d_low:+.1f}, {100 * d_high:+.1f}].")  # fmt: skip
    verdict = (
        "its interval lies above zero: a candidate for the default"
        if low > 0
        else f"its interval does not lie above zero: the default stays {DEFAULT}"
    )
    print(f"Promotion rule: a variant replaces the default only if its held-out gain's interval "
          f"lies above zero; {verdict}.")  # fmt: skip
    for name, why in TUNED_HERE.items():
        t_est, t_low, t_high = _boot(gains[name])
        print(f"Not eligible: {name} ({why}); its gain here, optimistic: {100 * t_est:+.1f} "
              f"[{100 * t_low:+.1f}, {100 * t_high:+.1f}].")  # fmt: skip


def _print_table(df: pd.DataFrame, seeds: list[int]) -> None:
    df = df.replace({"tool": {DEFAULT: "slr"}})
    mean = df.groupby(["dataset", "tool"])[[*METRICS, "cpu"]].mean().unstack("tool")
    print(
        f"\nScreening simulation, mean over seeds {seeds}: slr default ({DEFAULT}) vs ASReview LAB 3 default (ELAS u4) vs random"
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
    """Per stopping rule, on the default's orders and on every tool's: how often it stopped,
    how many of its stops reached the recall target (with a 95 % Clopper-Pearson interval),
    the lowest recall at a stop, and the share of records left unscreened (0 where it never
    stopped; bootstrap interval as above)."""
    print(f"\nStopping rules (recall target {RECALL_TARGET:.0%}, confidence {CONFIDENCE:.0%}, "
          "checked every 5 records), on the default's orders and on every tool's:")  # fmt: skip
    head = (f"{'rule':<16}{'orders':<9}{'n':>5}{'stopped':>9}{'stops ≥ target':>16}"
            f"{'95% interval':>16}{'min recall':>12}{'unscreened':>12}{'95% interval':>18}")  # fmt: skip
    print(head)
    print("-" * len(head))
    for rule in STOP_RULES:
        for label, part in (("default", stops[stops["tool"] == DEFAULT]), ("all", stops)):
            part = part[part["rule"] == rule]
            if part.empty:
                continue
            stopped = int(part["stopped"].sum())
            ok = int((part["stopped"] & (part["recall"] >= RECALL_TARGET)).sum())
            ci = binomtest(ok, stopped).proportion_ci(0.95) if stopped else None
            share = f"{ok}/{stopped}" if stopped else "-"
            interval = f"[{ci.low:.3f}, {ci.high:.3f}]" if ci else ""
            saved = part.groupby(["dataset", "seed"])["saved"].mean()
            est, low, high = _boot(saved)
            print(f"{rule:<16}{label:<9}{len(part):>5}{stopped:>9}{share:>16}{interval:>16}"
                  f"{part['recall'].min():>12.3f}{est:>12.1%}  [{low:>6.1%}, {high:>6.1%}]")  # fmt: skip
    per = stops[stops["tool"] == DEFAULT].pivot_table(
        index="dataset", columns="rule", values=["recall", "saved"], aggfunc="mean"
    )
    print("Per dataset, the default's orders (mean over seeds; recall over the stops only):")
    for name, r in per.iterrows():
        print(f"  {name[:46]:<48}" + "  ".join(
            f"{rule}: recall {r[('recall', rule)]:.3f}, unscreened {r[('saved', rule)]:.1%}"
            for rule in STOP_RULES if ("recall", rule) in r.index))  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
