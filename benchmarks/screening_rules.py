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
from slr.screen.validate import automation_accuracy, rules_kept  # noqa: E402


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
    kept = rules_kept(screen_rules(mark_duplicates(works), protocol, decided_at="run"))
    rows = []
    for label, part in (
        ("all", sample),
        ("test half", sample[sample["split"] == "test"]),
    ):
        acc = automation_accuracy(part, kept)
        rows.append({
            "records": label, "n": acc.n_sample, "people include": acc.n_includes,
            "recall [95% CI]": str(acc.recall), "precision [95% CI]": str(acc.precision),
            "includes among automated exclusions": f"{acc.missed_includes.value:.0f} "
            f"[{acc.missed_includes.low:.0f}, {acc.missed_includes.high:.0f}] of "
            f"~{acc.rule_excluded:.0f}",
        })  # fmt: skip
    sys.stdout.write(
        f"Automated screening ({', '.join(protocol.screening.automate or ())}) vs people's "
        f"screening of {protocol.screening.validation}\n(estimates for the whole corpus: each "
        "stratum's shares scaled to its size; 95 % intervals from their Dirichlet posterior)\n\n"
    )
    sys.stdout.write(pd.DataFrame(rows).to_string(index=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(*(Path(a) for a in sys.argv[1:2])))
