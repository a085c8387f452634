"""Duplicate detection: pairwise precision / recall / F1 of slr.dedupe on real labelled data.

Runs on ../shared/data (skipped with a message when absent):
- screening/Nagtegaal_2019.csv and Kitchenham_2010.csv (``duplicate_record_id``: exact titles)
- dedup/records.jsonl + truth.csv (other-language versions, truncated subtitles, mirror slugs,
  export quirks), with wrong merges and missed pairs reported per kind.

Each dataset is also scored with exact normalised-title matching as the baseline, in the same
run. Usage: ``python benchmarks/dedup.py [--data ../shared/data]``.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import pandas as pd

from slr.ingest.dedupe import duplicate_pairs, mark_duplicates, pairs_within
from slr.ingest.fields import normalise_title
from slr.ingest.match import same_text
from slr.ingest.normalise import assign_work_ids, normalise_source
from slr.ingest.sources import read_source

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data"


def _truth_pairs(links: list[tuple[str, str]]) -> set[frozenset[str]]:
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for a, b in links:
        parent[find(a)] = find(b)
    groups: dict[str, list[str]] = defaultdict(list)
    for x in {x for ab in links for x in ab}:
        groups[find(x)].append(x)
    return pairs_within(groups.values())


def _exact_title_pairs(works: pd.DataFrame, ids: list[str]) -> set[frozenset[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for rid, title in zip(ids, works["title"], strict=True):
        t = normalise_title(title) if isinstance(title, str) else ""
        if t:
            groups[t].append(rid)
    return pairs_within(groups.values())


def _score(pred: set, truth: set) -> tuple[float, float, float]:
    tp = len(pred & truth)
    p = tp / len(pred) if pred else 1.0
    r = tp / len(truth) if truth else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def _same_abstract(works: pd.DataFrame, ids: list[str], pairs: set) -> int:
    """How many of ``pairs`` carry the same abstract text on both sides (unlabelled duplicates)."""
    pos = {rid: i for i, rid in enumerate(ids)}
    n = 0
    for p in pairs:
        a, b = (works["abstract"].iloc[pos[x]] for x in p)
        if isinstance(a, str) and isinstance(b, str):
            n += same_text(normalise_title(a)[:1000], normalise_title(b)[:1000])
    return n


def _load(path: Path, fmt: str, id_column: str):
    src = read_source(path, fmt)
    works = assign_work_ids(normalise_source(src, source_id="bench"))
    ids = [str(r.data[id_column]) for r in src.records]
    return src, works, ids


def _evaluate(name: str, works: pd.DataFrame, ids: list[str], truth: set) -> tuple[dict, set]:
    """Mark duplicates, score them against ``truth`` and exact-title matching, time the marking."""
    t0 = time.process_time()
    marked = mark_duplicates(works)
    cpu = time.process_time() - t0
    wid_to_rid = dict(zip(works["work_id"], ids, strict=True))
    pred = {frozenset(wid_to_rid[w] for w in p) for p in duplicate_pairs(marked)}
    result = {
        "dataset": name,
        "records": len(works),
        "true pairs": len(truth),
        "slr": _score(pred, truth),
        "exact title": _score(_exact_title_pairs(works, ids), truth),
        "cpu s": cpu,
        "wrong": len(pred - truth),
        "same abstract": _same_abstract(works, ids, pred - truth),
    }
    return result, pred


def run_screening_set(path: Path) -> dict:
    src, works, ids = _load(path, "asreview-csv", "record_id")
    links = [
        (str(r.data["record_id"]), str(r.data["duplicate_record_id"]))
        for r in src.records
        if r.data.get("duplicate_record_id", "").strip()
    ]
    return _evaluate(path.stem, works, ids, _truth_pairs(links))[0]


def run_dedup_set(folder: Path) -> tuple[dict, list[str]]:
    src, works, ids = _load(folder / "records.jsonl", "records-jsonl", "record_id")
    with open(folder / "truth.csv", encoding="utf-8") as fh:
        truth_rows = list(csv.DictReader(fh))
    kind = {t["record_id"]: t["kind"] for t in truth_rows}
    truth = _truth_pairs([(t["record_id"], t["duplicate_of"]) for t in truth_rows])
    result, pred = _evaluate("dedup (rural, hard)", works, ids, truth)

    def pair_kind(p: frozenset) -> str:
        ks = sorted({kind[x] for x in p if x in kind})
        return "+".join(ks) or "none"

    per_kind: dict[str, Counter] = defaultdict(Counter)
    for p in truth:
        per_kind[pair_kind(p)]["true"] += 1
        per_kind[pair_kind(p)]["found" if p in pred else "missed"] += 1
    for p in pred - truth:
        per_kind[pair_kind(p)]["wrong merges"] += 1
    lines = [f"{'kind':<8}{'true pairs':>11}{'found':>7}{'missed':>8}{'wrong merges':>14}"]
    for k in sorted(per_kind):
        c = per_kind[k]
        lines.append(f"{k:<8}{c['true']:>11}{c['found']:>7}{c['missed']:>8}{c['wrong merges']:>14}")
    return result, lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = ap.parse_args(argv)
    if not (args.data / "dedup").is_dir():
        print(f"skipped: {args.data} not found (the benchmark reads ../shared/data)")
        return 0
    results = []
    for name in ("Nagtegaal_2019.csv", "Kitchenham_2010.csv"):
        results.append(run_screening_set(args.data / "screening" / name))
    hard, kind_lines = run_dedup_set(args.data / "dedup")
    results.append(hard)
    head = (
        f"{'dataset':<22}{'records':>8}{'pairs':>7} | {'slr P':>6}{'R':>6}{'F1':>6}"
        f"{'unlab.':>7}{'same-abs':>9} | {'exact-title P':>13}{'R':>6}{'F1':>6} | {'F1 ratio':>8}"
        f"{'cpu s':>7}"
    )
    print("Pairwise duplicate detection, slr.dedupe vs exact normalised title (same run)")
    print(head)
    print("-" * len(head))
    for r in results:
        p, rec, f = r["slr"]
        bp, br, bf = r["exact title"]
        ratio = f / bf if bf else float("inf")
        print(
            f"{r['dataset']:<22}{r['records']:>8}{r['true pairs']:>7} | {p:>6.3f}{rec:>6.3f}{f:>6.3f}"
            f"{r['wrong']:>7}{r['same abstract']:>9} | {bp:>13.3f}{br:>6.3f}{bf:>6.3f} | {ratio:>8.2f}"
            f"{r['cpu s']:>7.2f}"
        )
    print(
        "unlab. = pairs slr links that the labels do not; same-abs = of those, pairs whose two "
        "abstracts are the same text\n(duplicates the labels missed; the rest are possible wrong "
        "merges). F1 ratio = slr F1 / exact-title F1."
    )
    print()
    print(
        "dedup/ per kind (X other-language, T truncated subtitle, S mirror slug, E export quirks):"
    )
    print("\n".join(kind_lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
