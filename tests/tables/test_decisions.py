"""The decision log's current state: latest decisions, each work's status, checks."""

import pandas as pd
import pytest
from helpers import ROOT, make_works

from slr.errors import SlrError
from slr.protocol import load_protocol
from slr.tables.contracts import DECISIONS
from slr.tables.decisions import check_decisions, compute_status, latest_decisions
from slr.tables.schema import conform


def _rows(*rows):
    base = {"reviewer": "r", "decided_at": "2026-01-01T00:00:00Z", "protocol_version": "v"}
    return conform(pd.DataFrame([{**base, **r} for r in rows]), DECISIONS)


def test_latest_decision_is_the_last_row_per_work_and_stage():
    log = _rows(
        {"work_id": "A", "stage": "title_abstract", "decision": "exclude", "criterion_id": "IC3"},
        {"work_id": "A", "stage": "title_abstract", "decision": "include"},
        {"work_id": "B", "stage": "title_abstract", "decision": "unsure"},
    )
    current = latest_decisions(log)
    assert len(log) == 3  # the log keeps every row
    assert dict(zip(current["work_id"], current["decision"], strict=True)) == {
        "A": "include",
        "B": "unsure",
    }


def test_status_per_work():
    works = make_works(
        {"work_id": "A", "title": "a"},
        {"work_id": "B", "title": "b"},
        {"work_id": "C", "title": "c"},
        {"work_id": "D", "title": "d", "duplicate_of": "A"},
        {"work_id": "E", "title": "e"},
    )
    log = _rows(
        {"work_id": "A", "stage": "automation", "decision": "include"},
        {"work_id": "A", "stage": "title_abstract", "decision": "include"},
        {"work_id": "A", "stage": "eligibility", "decision": "include"},
        {"work_id": "B", "stage": "automation", "decision": "include"},
        {"work_id": "B", "stage": "title_abstract", "decision": "exclude", "criterion_id": "IC3"},
        {"work_id": "C", "stage": "automation", "decision": "include"},
        {"work_id": "C", "stage": "title_abstract", "decision": "include"},
    )
    status = compute_status(works, log).set_index("work_id")
    assert status.loc["A", "status"] == "included"
    assert status.loc["B", "status"] == "excluded" and status.loc["B", "criterion_id"] == "IC3"
    assert status.loc["C", "status"] == "awaiting" and status.loc["C", "stage"] == "title_abstract"
    assert status.loc["D", "status"] == "duplicate"
    assert status.loc["E", "status"] == "unscreened"


def test_check_decisions_names_unknown_work_and_criterion():
    protocol = load_protocol(ROOT / "protocols" / "rural-community-business.yaml")
    works = make_works({"work_id": "A", "title": "a"})
    with pytest.raises(SlrError, match="unknown work_id 'ZZZ'"):
        check_decisions(
            _rows({"work_id": "ZZZ", "stage": "title_abstract", "decision": "include"}),
            works,
            protocol,
        )
    with pytest.raises(SlrError, match="unknown criterion 'EC42'"):
        check_decisions(
            _rows(
                {
                    "work_id": "A",
                    "stage": "title_abstract",
                    "decision": "exclude",
                    "criterion_id": "EC42",
                }
            ),
            works,
            protocol,
        )
    with pytest.raises(SlrError, match="unknown decision 'maybe'; valid options: include, exclude"):
        check_decisions(
            _rows({"work_id": "A", "stage": "title_abstract", "decision": "maybe"}), works, protocol
        )
