"""The automated screening of the default review against people's screening of a validation
sample: recall, precision and the expected includes among automated exclusions, with 95 %
intervals, for the whole sample and its ``test`` half (the half no rule change may be tuned on).

Reads the corpus's full records from ``../shared/data`` (abstracts); the sample is the protocol's
``screening.validation``. Usage: ``python benchmarks/screening_rules.py [PROTOCOL]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
PROTOCOL = ROOT / "protocols" / "rural-community-business.yaml"

from slr.ingest.corpus import collect_sources, read_sources  # noqa: E402
from slr.ingest.dedupe import mark_duplicates  # noqa: E402
from slr.layout import ReviewPaths  # noqa: E402
from slr.protocol import load_protocol  # noqa: E402
from slr.screen.rules import screen_rules  # noqa: E402
from slr.screen.validate import accuracy_table, interval_text  # noqa: E402


def main(path: Path = PROTOCOL) -> int:
    protocol = load_protocol(path)
    if protocol.screening.validation is None:
        sys.stderr.write(f"{path}: the protocol names no screening.validation sample\n")
        return 1
    sample = pd.read_csv(ReviewPaths.of(protocol).resolve(protocol.screening.validation))
    works, sources = read_sources(protocol, collect_sources(protocol))
    notes = "; ".join(str(n) for n in sources["note"].dropna())
    if "abstracts added" not in notes:
        sys.stderr.write("the full records in ../shared/data are absent: rules without abstracts\n")
    decisions = screen_rules(mark_duplicates(works), protocol, decided_at="run")
    table = accuracy_table(sample, decisions)

    ci = interval_text
    rows = [
        {"records": r["records"], "n": r["n"], "people include": r["includes"],
         "recall [95% CI]": ci(r, "recall"), "precision [95% CI]": ci(r, "precision"),
         "includes among automated exclusions": f"{ci(r, 'missed', '{:.0f}')} of {r['excluded']:.0f}"}
        for _, r in table.iterrows()
    ]  # fmt: skip
    sys.stdout.write(
        f"Automated screening ({', '.join(protocol.screening.automate or ())}) vs people's "
        f"screening of {protocol.screening.validation}\n(estimates for the whole corpus: the rules' "
        "counts, and the share of includes among what they kept and excluded, weighted by "
        "stratum; 95 % intervals)\n\n"
    )
    sys.stdout.write(pd.DataFrame(rows).to_string(index=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(*(Path(a) for a in sys.argv[1:2])))
