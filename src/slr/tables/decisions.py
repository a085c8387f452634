"""The decision log's current state: which decision is in force for each work and stage, the
status of each work, the included studies, and the codebook tags in force.

Decisions and codes are rows, appended, never edited (``slr.tables.contracts.DECISIONS`` and
``CODES``); these pure functions derive the state from them. An ``undo`` row withdraws its
reviewer's latest decision on that work and stage; a person's verdict on a tag is a row whose
``method`` starts with ``human:``.
"""

from __future__ import annotations

import pandas as pd

from slr.errors import SlrError
from slr.protocol import STAGES, Protocol
from slr.tables.contracts import CODES, STATUS
from slr.tables.schema import conform

DECISION_VALUES = ("include", "exclude", "unsure", "not_retrieved", "stopped", "undo")
# "stopped": not screened because the stopping rule was met (counted apart in PRISMA);
# "undo": withdraws the same reviewer's last decision on that work and stage
STAGE_ORDER = STAGES  # automation → title_abstract → eligibility


def check_decisions(decisions: pd.DataFrame, works: pd.DataFrame, protocol: Protocol) -> None:
    """Raise if a decision names an unknown work, stage, decision value or criterion."""
    known_works = set(works["work_id"])
    known_criteria = {c.id for c in protocol.criteria}
    for i, row in enumerate(decisions.itertuples(index=False)):
        if row.work_id not in known_works:
            raise SlrError(f"decisions row {i}: unknown work_id {row.work_id!r}")
        if row.stage not in STAGE_ORDER:
            raise SlrError(
                f"decisions row {i}: unknown stage {row.stage!r}; valid options: {', '.join(STAGE_ORDER)}"
            )
        if row.decision not in DECISION_VALUES:
            raise SlrError(
                f"decisions row {i}: unknown decision {row.decision!r}; "
                f"valid options: {', '.join(DECISION_VALUES)}"
            )
        if pd.notna(row.criterion_id):
            for cid in str(row.criterion_id).split("+"):
                if cid not in known_criteria:
                    raise SlrError(
                        f"decisions row {i}: unknown criterion {cid!r}; "
                        f"valid options: {', '.join(sorted(known_criteria))}"
                    )


def by_people(decisions: pd.DataFrame) -> pd.Series:
    """Which rows are people's decisions: the rows of the review's screening log, each carrying
    its chain hash (``row_hash``); the rules' rows, remade by every run, carry none."""
    return decisions["row_hash"].notna()


def active_rows(decisions: pd.DataFrame) -> list[int]:
    """Positions of the rows in force: for each (work, stage), the rows not withdrawn by an
    ``undo`` of the same reviewer, in log order."""
    active: dict[tuple[str, str], list[int]] = {}
    reviewers = decisions["reviewer"].tolist()
    for i, row in enumerate(decisions[["work_id", "stage", "decision"]].itertuples(index=False)):
        rows = active.setdefault((row.work_id, row.stage), [])
        if row.decision != "undo":
            rows.append(i)
            continue
        for j in range(len(rows) - 1, -1, -1):
            if reviewers[rows[j]] == reviewers[i]:
                del rows[j]
                break
    return sorted(i for rows in active.values() for i in rows)


def latest_decisions(decisions: pd.DataFrame) -> pd.DataFrame:
    """The current decision per (work, stage): the last row of the log for each pair.

    An ``undo`` row withdraws its reviewer's latest decision on that work and stage (the one
    before it then counts again); the ``undo`` row itself is never a current decision.
    """
    if not len(decisions):
        return decisions.copy()
    if (decisions["decision"] == "undo").any():
        decisions = decisions.iloc[active_rows(decisions)]
    return decisions.drop_duplicates(["work_id", "stage"], keep="last").reset_index(drop=True)


def compute_status(works: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """The ``status`` table: one row per work, from the current decisions.

    ``status`` is one of ``duplicate``, ``unscreened``, ``excluded``, ``stopped``
    (excluded by the stopping rule, unscreened), ``not_retrieved``, ``unsure``, ``awaiting``
    (included at a stage, next stage not yet decided) or ``included``. ``stage``,
    ``criterion_id`` and ``reason`` are those of the decision that set it (for a duplicate,
    ``reason`` names the work it duplicates and the rule).
    """
    current = latest_decisions(decisions)
    # one pass over the rows (per-work pandas operations made this the slowest step of a
    # report); a work's current decisions in stage order
    by_work: dict[str, list] = {}
    for row in current.itertuples(index=False):
        by_work.setdefault(row.work_id, []).append(row)
    rows = []
    columns = ("work_id", "duplicate_of", "duplicate_rule")
    for wid, dup, rule in zip(*(works[c] for c in columns), strict=True):
        if pd.notna(dup):
            rows.append((wid, "duplicate", None, None, f"duplicate of {dup} ({rule})"))
            continue
        g = by_work.get(wid)
        if g is None:
            rows.append((wid, "unscreened", None, None, None))
            continue
        status, deciding = "included", None
        for row in sorted(g, key=lambda r: STAGE_ORDER.index(r.stage)):
            deciding = row
            if row.decision != "include":
                status = {"exclude": "excluded"}.get(row.decision, row.decision)
                break
        else:
            if deciding.stage != STAGE_ORDER[-1]:
                status = "awaiting"
        rows.append((wid, status, deciding.stage, deciding.criterion_id, deciding.reason))
    return conform(pd.DataFrame(rows, columns=STATUS.names), STATUS)


def included_ids(status: pd.DataFrame) -> list[str]:
    """The included studies' work IDs (from the ``status`` table), sorted: a stable order for
    topic models and exports."""
    return sorted(status.loc[status["status"] == "included", "work_id"])


def current_codes(codes: pd.DataFrame) -> pd.DataFrame:
    """The tags in force: each (work, theme)'s machine tag unless a person's latest verdict
    rejected it; tags people added. One row per (work, theme), the machine's evidence kept."""
    if codes.empty:
        return codes
    is_human = codes["method"].astype(str).str.startswith("human:")
    machine = codes[~is_human].drop_duplicates(["work_id", "theme_id"], keep="last")
    human = codes[is_human].drop_duplicates(["work_id", "theme_id"], keep="last")
    verdict = human.set_index(["work_id", "theme_id"])["method"].str.extract(
        r"^human: (\w+)", expand=False
    )
    keys = pd.MultiIndex.from_frame(machine[["work_id", "theme_id"]])
    rejected = keys.isin(verdict[verdict == "reject"].index)
    kept = machine[~rejected]
    added_keys = verdict[verdict == "add"].index.difference(keys)
    added = human.set_index(["work_id", "theme_id"]).loc[added_keys].reset_index()
    return conform(pd.concat([kept, added], ignore_index=True), CODES)
