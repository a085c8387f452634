"""Harvest cost against the local replay server: requests per 1,000 works, against the floor.

The floor is 1,000 / per_page = 5 requests per 1,000 works at ``per_page=200``. Listings are
built from the 351 recorded OpenAlex works (repeated with new IDs to reach larger sizes), served
by ``tests/replay.py`` on 127.0.0.1. A second row per size injects one 429 and one 500 per ten
pages to show what retries cost. Usage: ``python benchmarks/harvest.py``.
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from helpers import make_protocol  # noqa: E402
from replay import ReplayServer  # noqa: E402

from slr.ingest.harvest import harvest_source  # noqa: E402
from slr.ingest.openalex import HarvestSettings  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "openalex" / "works" / "works_351.jsonl"


def _works(n: int) -> list[dict]:
    base = [
        json.loads(line) for line in DATA.read_text(encoding="utf-8").split("\n") if line.strip()
    ]
    out = []
    for i in range(n):
        w = dict(base[i % len(base)])
        w["id"] = f"https://openalex.org/W{9_000_000_000 + i}"
        out.append(w)
    return out


def run(n: int, faults: bool) -> dict:
    works = _works(n)
    with tempfile.TemporaryDirectory() as tmp, ReplayServer() as server:
        p = make_protocol(Path(tmp), review_id="bench", filter={"publication_year": 2020})
        pages = math.ceil(n / 200)
        fail = {page: [429, 500] for page in range(2, pages + 1, 10)} if faults else {}
        server.add_listing(filter="publication_year:2020", works=works, fail_pages=fail)
        t0 = time.perf_counter()
        manifest = harvest_source(
            p.sources[0], p, settings=HarvestSettings(base_url=server.url, backoff_factor=0)
        )
        wall = time.perf_counter() - t0
        assert manifest["n_unique"] == n and manifest["count_matches"]
        return {"works": n, "faults": faults, "requests": len(server.requests), "wall": wall}


def main() -> int:
    if not DATA.is_file():
        print(f"skipped: {DATA} not found (the benchmark reads ../shared/data)")
        return 0
    floor = 1000 / 200
    head = f"{'works':>7} {'faults':>7} {'requests':>9} {'per 1,000':>10} {'floor':>6} {'ratio':>6} {'wall s':>7} {'works/s':>8}"
    print("slr harvest against the replay server (per_page=200, cursor paging)")
    print(head)
    print("-" * len(head))
    for n in (1_000, 5_000, 10_250):
        for faults in (False, True):
            r = run(n, faults)
            per = r["requests"] / n * 1000
            print(
                f"{n:>7} {'yes' if faults else 'no':>7} {r['requests']:>9} {per:>10.2f} {floor:>6.1f}"
                f" {per / floor:>6.2f} {r['wall']:>7.2f} {n / r['wall']:>8.0f}"
            )
    print("\nfaults: one 429 and one 500 before every tenth page, retried (Retry-After: 0).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
