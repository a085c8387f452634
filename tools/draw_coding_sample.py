"""Draw the coding test sample of the default review (issue 11): a seeded random sample of the
works that reach eligibility with an abstract and are not in the coding validation sample (the
records the tagger's term lists were tuned on), stratified by language. Each drawn work is then
coded by reading its title, keywords and abstract against the codebook, before the tagger is
changed, and lands in ``coding-validation.csv`` with ``split = test``: the tagger is never tuned
on it.

A second draw (``--second``, seed 113) took 60 works from the works reaching eligibility or
awaiting a person at title/abstract, with an abstract, in no earlier sample; the 33 of them we
judged eligible on reading were coded the same way and joined the ``test`` split (the others —
macro-economic, farm-productivity or city-wide studies — were left out). The 30 works of the
``dev`` split were drawn at random (seed 112, not stratified) from the works reaching
eligibility that remained after the first draw.

Usage: ``python tools/draw_coding_sample.py RUN_DIR [--second]`` (a run of the default review
as it was when drawn; later runs change the pools) → prints the sample as CSV (work_id,
language, title).
"""

from __future__ import annotations

import random
import sys

import pandas as pd

from slr.tables.io import read_run

SEED = 111
SIZES = {"en": 25, "id": 25}
SECOND_SEED, SECOND_SIZE = 113, 60
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


def draw_second(run_dir: str) -> pd.DataFrame:
    run = read_run(run_dir)
    works = run["works"].set_index("work_id")
    status = run["status"]
    used = set(pd.read_csv(TUNED, dtype=str)["work_id"])
    reached = (status["stage"].fillna("") == "eligibility") | (status["status"] == "unsure")
    pool = sorted(
        w
        for w in status.loc[reached, "work_id"]
        if w not in used and isinstance(works.loc[w, "abstract"], str)
    )
    chosen = random.Random(SECOND_SEED).sample(pool, min(SECOND_SIZE, len(pool)))
    return pd.DataFrame(
        {"work_id": chosen, "language": [works.loc[w, "language"] for w in chosen],
         "title": [works.loc[w, "title"] for w in chosen]}
    )  # fmt: skip


if __name__ == "__main__":
    pick = draw_second if "--second" in sys.argv[2:] else draw
    pick(sys.argv[1]).to_csv(sys.stdout, index=False, lineterminator="\n")
