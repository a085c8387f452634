"""Draw the coding test sample of the default review (issue 11): a seeded random sample of the
works that reach eligibility with an abstract and are not in the coding validation sample (the
records the tagger's term lists were tuned on), stratified by language. Each drawn work is then
coded by reading its title, keywords and abstract against the codebook, before the tagger is
changed, and lands in ``coding-validation.csv`` with ``split = test``: the tagger is never tuned
on it.

Usage: ``python tools/draw_coding_sample.py RUN_DIR`` (a run of the default review) → prints the
sample as CSV (work_id, language, title).
"""

from __future__ import annotations

import random
import sys

import pandas as pd

from slr.tables.io import read_run

SEED = 111
SIZES = {"en": 25, "id": 25}
TUNED = "corpus/rural-community-business/coding-validation.csv"


def draw(run_dir: str) -> pd.DataFrame:
    run = read_run(run_dir)
    works = run["works"].set_index("work_id")
    status = run["status"]
    tuned = set(pd.read_csv(TUNED, dtype=str)["work_id"])
    pool = sorted(
        w
        for w in status.loc[status["stage"] == "eligibility", "work_id"]
        if w not in tuned and isinstance(works.loc[w, "abstract"], str)
    )
    rng = random.Random(SEED)
    rows = []
    for lang, n in SIZES.items():
        candidates = [w for w in pool if works.loc[w, "language"] == lang]
        for w in rng.sample(candidates, min(n, len(candidates))):
            rows.append({"work_id": w, "language": lang, "title": works.loc[w, "title"]})
    return pd.DataFrame(rows)


if __name__ == "__main__":
    draw(sys.argv[1]).to_csv(sys.stdout, index=False, lineterminator="\n")
