"""Draw the screening validation sample of the default review (issue 11): a seeded random sample
of the works the automation decided, stratified by its title/abstract decision (or its automation
exclusion) and by language, each row put in the ``tune`` or ``test`` half. The decisions are then
made by reading each record against the protocol's criteria, before any rule is changed.

Usage: ``python tools/draw_screening_sample.py RUN_DIR`` (a run of the default review) → prints
the sample as CSV (work_id, stratum, split); the screened file is
``corpus/rural-community-business/screening-validation.csv``.
"""

from __future__ import annotations

import random
import sys

import pandas as pd

from slr.tables.decisions import latest_decisions
from slr.tables.io import read_run

SEED = 11
SIZES = {  # stratum → records drawn
    ("title_abstract", "exclude", "en"): 20,
    ("title_abstract", "exclude", "id"): 20,
    ("title_abstract", "include", "en"): 15,
    ("title_abstract", "include", "id"): 15,
    ("automation", "exclude", "any"): 6,
}


def draw(run_dir: str) -> pd.DataFrame:
    run = read_run(run_dir)
    works = run["works"].set_index("work_id")
    d = latest_decisions(run["decisions"])
    d = d[d["stage"].isin(["automation", "title_abstract"])]
    last = d.groupby("work_id").tail(1).set_index("work_id")
    last = last[~last.index.isin(works.index[works["duplicate_of"].notna()])]
    rng = random.Random(SEED)
    rows = []
    for (stage, decision, lang), n in SIZES.items():
        pool = last[(last["stage"] == stage) & (last["decision"] == decision)].index
        if lang != "any":
            pool = [w for w in pool if works.loc[w, "language"] == lang]
        chosen = rng.sample(sorted(pool), min(n, len(pool)))
        for i, w in enumerate(chosen):
            rows.append({"work_id": w, "stratum": f"{stage}:{decision}:{lang}",
                         "stratum_size": len(pool), "split": "tune" if i % 2 else "test"})  # fmt: skip
    return pd.DataFrame(rows)


if __name__ == "__main__":
    draw(sys.argv[1]).to_csv(sys.stdout, index=False, lineterminator="\n")
