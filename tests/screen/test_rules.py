import pandas as pd
import pytest
from helpers import MINI_PROTOCOL, ROOT, make_works

from slr.errors import SlrError
from slr.protocol import load_protocol, parse_protocol
from slr.screen.rules import screen_rules
from slr.tables.decisions import check_decisions, compute_status, latest_decisions
from slr.tables.schema import DECISIONS, conform


@pytest.fixture
def mini():
    import yaml

    return parse_protocol(yaml.safe_load(MINI_PROTOCOL))


def test_rules_decide_each_stage_with_criterion_and_reason(mini):
    works = make_works(
        {"work_id": "OLD", "title": "Village enterprise history", "publication_year": 1990},
        {"work_id": "NOYEAR", "title": "Village enterprise today", "language": "en"},
        {
            "work_id": "FR",
            "title": "Entreprises de village",
            "language": "fr",
            "publication_year": 2020,
        },
        {"work_id": "ED", "title": "Editorial on village enterprise", "type": "editorial"},
        {"work_id": "OFF", "title": "Stock returns of listed firms", "publication_year": 2020},
        {"work_id": "KW", "title": "A case study", "keywords": ["desa", "UMKM"]},
    )
    d = screen_rules(works, mini, decided_at="2026-01-01T00:00:00Z")
    by = {(r.work_id, r.stage): r for r in d.itertuples()}
    assert by[("OLD", "automation")].decision == "exclude"
    assert by[("OLD", "automation")].criterion_id == "IC1"
    assert "published 1990, before 2000" in by[("OLD", "automation")].reason
    assert ("OLD", "title_abstract") not in by
    # a missing year is not a reason to exclude: it is noted and the record goes on
    assert by[("NOYEAR", "automation")].decision == "include"
    assert "year unknown (not assessed)" in by[("NOYEAR", "automation")].reason
    assert by[("NOYEAR", "title_abstract")].decision == "include"
    assert by[("FR", "automation")].criterion_id == "IC2"
    assert by[("ED", "automation")].criterion_id == "EC1"
    assert by[("OFF", "title_abstract")].decision == "exclude"
    assert by[("OFF", "title_abstract")].criterion_id == "IC3"
    assert "no setting or enterprise term" in by[("OFF", "title_abstract")].reason
    assert by[("KW", "title_abstract")].decision == "include"  # keywords count as text
    assert set(d["reviewer"]) == {"slr-rules"}
    assert set(d["protocol_version"]) == {mini.version}


def test_duplicates_are_not_screened(mini):
    works = make_works(
        {"work_id": "A", "title": "Village enterprise"},
        {"work_id": "B", "title": "Village enterprise", "duplicate_of": "A"},
    )
    assert set(screen_rules(works, mini)["work_id"]) == {"A"}


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
