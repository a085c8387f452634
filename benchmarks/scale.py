"""Scale: how every stage of ``slr run`` grows with the corpus, 1k to 100k records.

Corpora are generated from the real records in ../shared/data (skipped with a message when
absent): on-topic records from the rural corpus (``rural-corpus/records.jsonl``), off-topic ones
from the labelled screening sets (``screening/*.csv``). Each generated record takes a real
record's language and vocabulary and varies it, with the seed:

- its title keeps the base title's first words and draws the rest from another title of the
  same kind and language, so titles differ as real ones do;
- its abstract is the base record's first sentence followed by sentences of two other records
  of the same kind and language;
- its year is the base year moved by up to three years (2 % of records before 2000, which the
  year criterion excludes); 70 % get a DOI of their own;
- a known share are on-topic (``--on-topic``, 10 %) and a known share are planted duplicates
  (``--duplicates``, 5 %): an earlier record again, its title re-cased and punctuated, its DOI
  kept or dropped (half each).

Each size runs the whole review (``slr.run.run_review``: the protocol of this review with the
generated file as its only source, report included) in a child process of its own, so peak
memory is that size's. Stages are timed where the run reports them (its ``progress`` messages);
peak RSS is sampled every 50 ms within each stage. After the run, the child also times the
screening model at that size: features once, then one retrain and scoring on 500 labels; and
the tagger's own throughput (rules only) on the corpus's first 20,000 records.

The table gives seconds and peak RSS per stage and size, records per second, and the growth
exponent between consecutive sizes (log time ratio / log size ratio; 1 = linear). A size whose
run is predicted (from the previous size and the largest exponent seen) to exceed ``--budget``
seconds is not run and is listed with its prediction.

The snapshot ingest (``slr ingest-snapshot``) is measured on generated snapshots (``--snapshot``,
default 100k and 1M works in 20 partitions): seconds, records/s and peak RSS, this review's two
OpenAlex sources in one pass.

Usage: ``python benchmarks/scale.py [--sizes 1000 10000 50000 100000] [--budget 1800]
[--cache DIR] [--snapshot 100000 1000000]`` (``make bench-scale``); ``--cache`` keeps the
embedding cache, so a second run measures with it warm.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
PROTOCOL = ROOT / "protocols" / "rural-community-business.yaml"
TAGGER_WORKS = 20_000  # works the tagger's own throughput is measured on (the first, at most)
SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


# ---------------------------------------------------------------- the generated corpus
def _pool(data: Path) -> pd.DataFrame:
    """Real records: title, abstract, year, language, keywords, authors, on_topic."""
    rural = pd.read_json(data / "rural-corpus" / "records.jsonl", lines=True)
    rural = rural.assign(on_topic=True)
    frames = [rural[["title", "abstract", "year", "language", "keywords", "authors", "on_topic"]]]
    for path in sorted((data / "screening").glob("*.csv")):
        d = pd.read_csv(path, dtype=str)
        frames.append(
            pd.DataFrame(
                {
                    "title": d.get("title"),
                    "abstract": d.get("abstract"),
                    "year": pd.to_numeric(d.get("year"), errors="coerce"),
                    "language": "en",
                    "keywords": None,
                    "authors": d.get("authors"),
                    "on_topic": False,
                }
            )  # fmt: skip
        )
    pool = pd.concat(frames, ignore_index=True)
    pool = pool[pool["title"].notna() & (pool["title"].str.len() > 10)]
    pool["language"] = pool["language"].fillna("en")
    return pool.reset_index(drop=True)


def generate(
    n: int, *, seed: int, on_topic: float, duplicates: float, data: Path = DATA
) -> pd.DataFrame:
    """``n`` records in slr's CSV import format (see the module docstring for how)."""
    rng = np.random.default_rng(seed)
    pool = _pool(data)
    groups = {key: g.index.to_numpy() for key, g in pool.groupby(["on_topic", "language"])}
    topical = rng.random(n) < on_topic
    rows = []
    n_dup = 0
    for i in range(n):
        if i > 10 and rng.random() < duplicates:
            rows.append(_duplicate(rows[rng.integers(len(rows))], rng))
            n_dup += 1
            continue
        keys = [k for k in groups if k[0] == bool(topical[i])]
        weights = np.array([len(groups[k]) for k in keys], dtype=float)
        key = keys[rng.choice(len(keys), p=weights / weights.sum())]
        base, other, third = pool.loc[rng.choice(groups[key], 3)].to_dict("records")
        rows.append(_vary(base, other, third, i, rng))
    out = pd.DataFrame(rows)
    out.attrs["planted_duplicates"] = n_dup
    return out


def _vary(base: dict, other: dict, third: dict, i: int, rng) -> dict:
    words, more = str(base["title"]).split(), str(other["title"]).split()
    keep = max(2, len(words) // 2)
    title = " ".join(words[:keep] + more[len(more) // 2 :] or words[keep:])
    sentences = [s for r in (other, third) for s in SENTENCE.split(str(r["abstract"] or "")) if s]
    first = SENTENCE.split(str(base["abstract"] or ""))[:1]
    picked = [sentences[j] for j in rng.permutation(len(sentences))[: rng.integers(2, 7)]]
    abstract = " ".join(s for s in first + picked if s and s != "None")
    year = base["year"] if pd.notna(base["year"]) else 2015
    year = int(np.clip(year + rng.integers(-3, 4), 2000, 2026))
    if rng.random() < 0.02:
        year = int(rng.integers(1985, 2000))
    kw = base["keywords"] if isinstance(base["keywords"], list) else []
    authors = base["authors"] if isinstance(base["authors"], list) else [str(base["authors"] or "")]
    return {
        "title": title,
        "abstract": abstract or None,
        "authors": "; ".join(a for a in authors if a and a != "nan"),
        "year": year,
        "doi": f"10.55555/scale.{i}" if rng.random() < 0.7 else None,
        "keywords": "; ".join(kw),
        "language": base["language"],
    }


def _duplicate(row: dict, rng) -> dict:
    dup = dict(row)
    dup["title"] = row["title"].upper() if rng.random() < 0.5 else row["title"] + "."
    if rng.random() < 0.5:
        dup["doi"] = None
    return dup


def write_project(folder: Path, n: int, args) -> tuple[Path, int]:
    """A project folder holding this review's protocol with the generated file as its only
    source (no validation samples: their works are not in a generated corpus)."""
    records = generate(n, seed=args.seed, on_topic=args.on_topic, duplicates=args.duplicates)
    (folder / "corpus").mkdir(parents=True)
    (folder / "protocols" / "places").mkdir(parents=True)
    records.to_csv(folder / "corpus" / "scale.csv", index=False)
    spec = yaml.safe_load(PROTOCOL.read_text(encoding="utf-8"))
    spec["sources"] = [{"id": "scale", "type": "file", "path": "corpus/scale.csv",
                        "format": "asreview-csv", "prisma_group": "databases"}]  # fmt: skip
    spec["screening"]["validation"] = None
    spec["coding"]["validation"] = None
    places = ROOT / spec["places"]
    (folder / spec["places"]).write_text(places.read_text(encoding="utf-8"), encoding="utf-8")
    protocol = folder / "protocols" / "scale.yaml"
    protocol.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return protocol, int(records.attrs["planted_duplicates"])


# ---------------------------------------------------------------- one size, in a child process
class _Stages:
    """Wall seconds and peak RSS (sampled) of each stage the run reports."""

    def __init__(self) -> None:
        self.proc = psutil.Process()
        self.rows: list[dict] = []
        self.name: str | None = None
        self.start = 0.0
        self.peak = 0
        self._stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self.proc.memory_info().rss)

    def enter(self, name: str | None) -> None:
        now = time.perf_counter()
        if self.name is not None:
            self.peak = max(self.peak, self.proc.memory_info().rss)
            self.rows.append({"stage": self.name, "seconds": now - self.start, "rss": self.peak})
        self.name, self.start, self.peak = name, now, self.proc.memory_info().rss

    def close(self) -> list[dict]:
        self.enter(None)
        self._stop.set()
        return self.rows


def _stage_of(message: str) -> str:
    for prefix, stage in (
        ("reading", "import"),
        ("marking duplicates", "dedup"),
        ("rule screening", "rules"),
        ("codebook tagging", "tagging"),
        ("fitting topics", "topics"),
        ("checking the seed", "synthesis"),
        ("writing tables", "tables"),
        ("drawing figures", "figures"),
        ("executing the report", "report"),
    ):
        if message.startswith(prefix):
            return stage
    return message


def child(protocol_path: Path) -> dict:
    from slr.coding.tagger import tag_candidates
    from slr.protocol import load_protocol
    from slr.run import run_review
    from slr.screen.model import Ranker
    from slr.tables import io

    protocol = load_protocol(protocol_path)
    stages = _Stages()
    result = run_review(protocol, progress=lambda m: stages.enter(_stage_of(m)))
    stages.enter("screening model")
    works = io.read_run(result.run_dir)["works"]
    texts = (works["title"].fillna("") + " " + works["abstract"].fillna("")).tolist()
    ranker = Ranker(model=protocol.screening.model, seed=protocol.seed)
    views = ranker.features(texts)
    stages.enter("retrain + score")
    rng = np.random.default_rng(0)
    labelled = rng.choice(len(texts), min(500, len(texts)), replace=False)
    y = (np.arange(len(labelled)) % 10 == 0).astype(int)
    ranker.fit(views, labelled, y).score(views)
    rows = stages.close()
    # the tagger's own throughput, on every kind of record (not only the included few)
    tagged = works["work_id"].iloc[:TAGGER_WORKS]
    t0 = time.perf_counter()
    tag_candidates(works, protocol, work_ids=tagged, semantic=False)
    tagger = {"works": len(tagged), "seconds": time.perf_counter() - t0}
    report = result.report
    size = report.stat().st_size if report and report.exists() else 0
    return {"stages": rows, "report_bytes": size, "counts": result.counts,
            "duplicates_marked": int(works["duplicate_of"].notna().sum()),
            "tagger": tagger}  # fmt: skip


# ---------------------------------------------------------------- the snapshot ingest
def write_snapshot(folder: Path, n: int, *, seed: int, partitions: int = 20) -> None:
    """A generated OpenAlex snapshot of ``n`` works (the real layout: data/works/manifest and
    updated_date=…/part_000.gz partitions, gzipped JSON Lines), varied from the real records as
    the corpora above are, each work carrying an id, title, year, language, type and
    abstract_inverted_index."""
    import gzip

    pool = _pool(DATA)
    records = pool.to_dict("records")
    rng = np.random.default_rng(seed)
    groups = [g.index.to_numpy() for _, g in pool.groupby(["on_topic", "language"])]
    weights = np.array([len(g) for g in groups], dtype=float)
    which = rng.choice(len(groups), n, p=weights / weights.sum())  # each work's kind, at once
    works = folder / "data" / "works"
    entries, i = [], 0
    for p in range(partitions):
        part = works / f"updated_date=2024-{1 + p // 28:02d}-{1 + p % 28:02d}" / "part_000.gz"
        part.parent.mkdir(parents=True)
        count = n // partitions + (p < n % partitions)
        with gzip.open(part, "wt", encoding="utf-8", compresslevel=1) as fh:
            for _ in range(count):
                base, other, third = (records[j] for j in rng.choice(groups[which[i]], 3))
                rec = _vary(base, other, third, i, rng)
                index: dict[str, list[int]] = {}
                for pos, word in enumerate(str(rec["abstract"] or "").split()):
                    index.setdefault(word, []).append(pos)
                work = {"id": f"https://openalex.org/W{9_000_000_000 + i}", "doi": None,
                        "display_name": rec["title"], "title": rec["title"],
                        "publication_year": rec["year"], "language": rec["language"],
                        "type": "article", "is_retracted": False, "is_paratext": False,
                        "abstract_inverted_index": index or None}  # fmt: skip
                fh.write(json.dumps(work) + "\n")
                i += 1
        entries.append({"url": f"s3://openalex/data/works/{part.parent.name}/part_000.gz",
                        "meta": {"content_length": part.stat().st_size, "record_count": count}})  # fmt: skip
    (works / "manifest").write_text(json.dumps({"entries": entries}), encoding="utf-8")


def snapshot_child(snapshot: Path) -> dict:
    """This review's OpenAlex sources over ``snapshot``: seconds, peak RSS, works found."""
    from slr.ingest.snapshot import ingest_snapshot
    from slr.protocol import load_protocol

    stages = _Stages()
    with tempfile.TemporaryDirectory() as t:
        project = Path(t)  # the ingest freezes its pages in the project: a copy, not this one
        shutil.copytree(ROOT / "protocols", project / "protocols")
        protocol = project / "protocols" / PROTOCOL.name
        stages.enter("snapshot ingest")
        manifests = ingest_snapshot(load_protocol(protocol), snapshot, threads=2)
        row = stages.close()[0]
    return {**row, "found": {m["source_id"]: m["n_unique"] for m in manifests}}


def run_snapshots(sizes: list[int], seed: int) -> list[dict]:
    out = []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="slr-snapshot-") as t:
            t0 = time.perf_counter()
            write_snapshot(Path(t), n, seed=seed)
            made = time.perf_counter() - t0
            size = sum(p.stat().st_size for p in Path(t).rglob("*.gz"))
            proc = subprocess.run([sys.executable, __file__, "--snapshot-child", t],
                                  capture_output=True, text=True, check=False)  # fmt: skip
        if proc.returncode != 0:
            raise SystemExit(f"snapshot ingest of {n} records failed: {proc.stderr[-800:]}")
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        out.append({"size": n, "gz_bytes": size, "generated_s": made, **r})
        print(f"  snapshot {n} records: {r['seconds']:.0f} s", file=sys.stderr, flush=True)
    return out


def _print_snapshots(rows: list[dict]) -> None:
    print("\nOpenAlex snapshot ingest (DuckDB; this review's two OpenAlex sources over a generated "
          "snapshot, 20 partitions):")  # fmt: skip
    head = f"{'records':>10}{'gz MB':>8}{'seconds':>9}{'records/s':>11}{'peak RSS MB':>13}  found"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['size']:>10,}{r['gz_bytes'] / 2**20:>8.0f}{r['seconds']:>9.1f}"
              f"{r['size'] / r['seconds']:>11,.0f}{r['rss'] / 2**20:>13.0f}  {r['found']}")  # fmt: skip


# ---------------------------------------------------------------- the table
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000, 50000, 100000])
    ap.add_argument("--budget", type=float, default=1800, help="seconds a size may take")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--on-topic", type=float, default=0.10)
    ap.add_argument("--duplicates", type=float, default=0.05)
    ap.add_argument(
        "--cache",
        type=Path,
        help="the embedding cache to use and keep (default: a new one, cold); run twice with "
        "the same folder to measure with a warm cache",
    )
    ap.add_argument(
        "--snapshot",
        type=int,
        nargs="*",
        default=[100000, 1000000],
        help="generated snapshot sizes for the DuckDB ingest (none: skip it)",
    )
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--snapshot-child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help="also write the per-stage rows to this CSV")
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child)))
        return 0
    if args.snapshot_child:
        print(json.dumps(snapshot_child(args.snapshot_child)))
        return 0
    if not DATA.is_dir():
        print(f"skipped: {DATA} not found (the benchmark reads ../shared/data)")
        return 0
    cache = args.cache or Path(tempfile.mkdtemp(prefix="slr-scale-cache-"))
    warm = sum(1 for _ in (cache / "embeddings").rglob("*.npy")) if cache.is_dir() else 0
    env = {**os.environ, "SLR_CACHE": str(cache)}
    results, exponent, previous = [], 1.0, None
    for n in sorted(args.sizes):
        if previous is not None:
            predicted = previous[1] * (n / previous[0]) ** max(exponent, 1.0)
            if predicted > args.budget:
                print(f"  {n} records: not run, predicted {predicted:.0f} s > budget {args.budget:.0f} s",
                      file=sys.stderr)  # fmt: skip
                results.append({"size": n, "predicted": predicted})
                continue
        with tempfile.TemporaryDirectory(prefix="slr-scale-") as t:
            protocol, planted = write_project(Path(t), n, args)
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, __file__, "--child", str(protocol)],
                                  capture_output=True, text=True, check=False, env=env)  # fmt: skip
            wall = time.perf_counter() - t0
        if proc.returncode != 0:
            print(f"  {n} records: the run failed: {proc.stderr.strip()[-800:]}", file=sys.stderr)
            results.append({"size": n, "failed": True})
            break
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        out.update(size=n, wall=wall, planted=planted)
        if previous is not None:
            exponent = max(exponent, math.log(wall / previous[1]) / math.log(n / previous[0]))
        previous = (n, wall)
        results.append(out)
        print(f"  {n} records: {wall:.0f} s", file=sys.stderr, flush=True)
    args.cache_note = f"embedding cache {cache}: {warm:,} entries at the start" + (
        " (cold)" if not warm else " (warm)"
    )
    _print(results, args)
    if args.snapshot:
        _print_snapshots(run_snapshots(sorted(args.snapshot), args.seed))
    return 0


def _print(results: list[dict], args) -> None:
    ran = [r for r in results if "stages" in r]
    rows = pd.DataFrame([{"size": r["size"], **s} for r in ran for s in r["stages"]])
    if args.out and len(rows):
        rows.to_csv(args.out, index=False)
    print(f"\nslr run at scale (generated from ../shared/data, seed {args.seed}; "
          f"{args.on_topic:.0%} on-topic, {args.duplicates:.0%} planted duplicates):")  # fmt: skip
    if not len(rows):
        print("  no size ran")
        return
    sizes = [r["size"] for r in ran]
    secs = rows.pivot_table(index="stage", columns="size", values="seconds", sort=False)
    rss = rows.pivot_table(index="stage", columns="size", values="rss", sort=False) / 2**20
    head = f"{'stage':<18}" + "".join(f"{f'{n:,} s':>12}{'MB':>7}" for n in sizes)
    head += "".join(f"{f'rec/s @{sizes[-1]:,}':>16}" for _ in sizes[-1:])
    head += "".join(f"{f'exp {a // 1000}k→{b // 1000}k':>14}" for a, b in pairwise(sizes))
    print(head)
    print("-" * len(head))
    for stage in secs.index:
        line = f"{stage:<18}"
        for n in sizes:
            line += f"{secs.loc[stage, n]:>12.1f}{rss.loc[stage, n]:>7.0f}"
        line += f"{sizes[-1] / max(secs.loc[stage, sizes[-1]], 1e-9):>16,.0f}"
        for a, b in pairwise(sizes):
            ta, tb = secs.loc[stage, a], secs.loc[stage, b]
            line += (
                f"{math.log(tb / ta) / math.log(b / a):>14.2f}"
                if ta > 0.05
                else f"{'(<0.05 s)':>14}"
            )
        print(line)
    print("-" * len(head))
    total = rows.groupby("size")["seconds"].sum()
    print(f"{'whole run':<18}" + "".join(f"{total[n]:>12.1f}{rss[n].max():>7.0f}" for n in sizes))
    for r in ran:
        print(f"  {r['size']:,} records: report.html {r['report_bytes'] / 2**20:.1f} MB; "
              f"duplicates marked {r['duplicates_marked']:,} (planted {r['planted']:,}); "
              f"included {r['counts'].get('included', '?')}")  # fmt: skip
    print("tagger, rules only, on the corpus's first records (every kind, not only the included):")
    for r in ran:
        t = r["tagger"]
        print(f"  {r['size']:,} records: {t['works']:,} works in {t['seconds']:.1f} s, "
              f"{t['works'] / t['seconds']:,.0f} works/s")  # fmt: skip
    for r in results:
        if "predicted" in r:
            print(f"  {r['size']:,} records: not run (predicted {r['predicted']:.0f} s, over the "
                  f"{args.budget:.0f} s budget)")  # fmt: skip
    print(args.cache_note)
    print(
        "exp: growth exponent of the stage's seconds between two sizes (1 = linear). "
        "Wall seconds on this machine; RSS = the stage's sampled peak."
    )


if __name__ == "__main__":
    sys.exit(main())
