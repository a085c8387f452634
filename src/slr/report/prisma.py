"""PRISMA 2020 flow counts, computed from the tables (never typed).

:func:`compute_prisma` returns the ``prisma`` table: one row per box, with a stable ``box`` key.
The flow adds up by construction, and :func:`check_prisma` proves it:

    identified − duplicates − marked ineligible by automation = screened
    screened − excluded at screening − excluded by the stopping rule − awaiting = reports sought
    sought − not retrieved = assessed;   assessed − excluded − awaiting = included
"""

from __future__ import annotations

import pandas as pd

from slr.errors import SlrError
from slr.protocol import Protocol
from slr.tables.contracts import PRISMA
from slr.tables.decisions import latest_decisions
from slr.tables.schema import conform


def compute_prisma(
    works: pd.DataFrame, decisions: pd.DataFrame, status: pd.DataFrame, protocol: Protocol
) -> pd.DataFrame:
    """Count every PRISMA 2020 box from the works (with ``duplicate_of``), the decision log and
    the status of each work (:func:`slr.tables.decisions.compute_status`)."""
    rows: list[tuple[str, str, str, int]] = []

    def add(section: str, box: str, label: str, n: int) -> None:
        rows.append((section, box, label, int(n)))

    groups = {s.id: s.prisma_group for s in protocol.sources}
    per_source = works.groupby("source_id", sort=False).size()
    for source_id, n in per_source.items():
        group = groups.get(str(source_id), "other")
        add("identification", f"identified:{source_id}", f"Records from {source_id} ({group})", n)
    by_group: dict[str, int] = {}
    for source_id, n in per_source.items():
        g = groups.get(str(source_id), "other")
        by_group[g] = by_group.get(g, 0) + int(n)
    for g, n in by_group.items():
        add("identification", f"identified_group:{g}", f"Records identified from {g}", n)
    add("identification", "identified", "Records identified", len(works))

    current = latest_decisions(decisions)

    def count(stage: str, decision: str) -> pd.DataFrame:
        return current[(current["stage"] == stage) & (current["decision"] == decision)]

    n_dup = int((status["status"] == "duplicate").sum())
    add("identification", "duplicates", "Duplicate records removed", n_dup)
    auto_ex = count("automation", "exclude")
    add(
        "identification",
        "automation_excluded",
        "Records marked as ineligible by automation tools",
        len(auto_ex),
    )
    for cid, n in auto_ex.groupby("criterion_id").size().items():
        add("identification", f"automation_excluded:{cid}", f"… by {_label(protocol, cid)}", n)

    screened = len(works) - n_dup - len(auto_ex)
    add("screening", "screened", "Records screened", screened)
    ta_ex = count("title_abstract", "exclude")
    add("screening", "screening_excluded", "Records excluded", len(ta_ex))
    for cid, n in ta_ex.groupby("criterion_id").size().items():
        add("screening", f"screening_excluded:{cid}", f"… by {_label(protocol, cid)}", n)

    def n_status(state: str, stages: tuple[str, ...]) -> int:
        return int(((status["status"] == state) & status["stage"].isin(stages)).sum())

    stopped = count("title_abstract", "stopped")
    add(
        "screening", "stopped", "Records excluded by the stopping rule (not screened)", len(stopped)
    )
    awaiting_screening = (
        int((status["status"] == "unscreened").sum())
        + n_status("awaiting", ("automation",))
        + n_status("unsure", ("automation", "title_abstract"))
    )
    add(
        "screening",
        "awaiting_screening",
        "Records awaiting screening or unsure",
        awaiting_screening,
    )
    sought = len(count("title_abstract", "include"))
    add("screening", "reports_sought", "Reports sought for retrieval", sought)
    not_retrieved = len(count("eligibility", "not_retrieved"))
    add("screening", "reports_not_retrieved", "Reports not retrieved", not_retrieved)
    assessed = sought - not_retrieved
    add("screening", "reports_assessed", "Reports assessed for eligibility", assessed)
    el_ex = count("eligibility", "exclude")
    add("screening", "reports_excluded", "Reports excluded", len(el_ex))
    for cid, n in el_ex.groupby("criterion_id").size().items():
        add("screening", f"reports_excluded:{cid}", f"… by {_label(protocol, cid)}", n)
    awaiting = n_status("awaiting", ("title_abstract",)) + n_status("unsure", ("eligibility",))
    add("screening", "awaiting_eligibility", "Reports awaiting assessment or unsure", awaiting)
    included = int((status["status"] == "included").sum())
    add("included", "included", "Studies included in review", included)
    table = conform(pd.DataFrame(rows, columns=PRISMA.names), PRISMA)
    check_prisma(table)
    return table


def _label(protocol: Protocol, criterion_id: str) -> str:
    ids = str(criterion_id).split("+")
    labels = []
    for cid in ids:
        try:
            labels.append(f"{cid} ({protocol.criterion(cid).label})")
        except SlrError:
            labels.append(cid)
    return ", ".join(labels)


def prisma_counts(prisma: pd.DataFrame) -> dict[str, int]:
    return dict(zip(prisma["box"], prisma["n"].astype(int), strict=True))


def check_prisma(prisma: pd.DataFrame) -> None:
    """Raise :class:`SlrError` if the flow does not add up."""
    n = prisma_counts(prisma)
    checks = [
        ("identified − duplicates − automation = screened",
         n["identified"] - n["duplicates"] - n["automation_excluded"], n["screened"]),
        ("screened − excluded − stopped − awaiting = sought",
         n["screened"] - n["screening_excluded"] - n["stopped"] - n["awaiting_screening"], n["reports_sought"]),
        ("sought − not retrieved = assessed",
         n["reports_sought"] - n["reports_not_retrieved"], n["reports_assessed"]),
        ("assessed − excluded − awaiting = included",
         n["reports_assessed"] - n["reports_excluded"] - n["awaiting_eligibility"], n["included"]),
        ("sources add up", sum(v for k, v in n.items() if k.startswith("identified:")), n["identified"]),
    ]  # fmt: skip
    for what, left, right in checks:
        if left != right:
            raise SlrError(f"PRISMA counts do not add up: {what} ({left} ≠ {right})")
