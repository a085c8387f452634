"""A coder's verdicts on tags: new rows, the latest counts, the panel."""

import pandas as pd
import pytest
from helpers import ROOT, make_works

from slr.coding.review import verdict_rows
from slr.coding.tagger import code_works
from slr.errors import SlrError
from slr.protocol import load_protocol
from slr.tables.decisions import current_codes

PROTOCOL = load_protocol(ROOT / "protocols" / "rural-community-business.yaml")


def _machine():
    works = make_works(
        {"work_id": "W1", "title": "Koperasi wanita dan arisan di desa"},
        {"work_id": "W2", "title": "Desa wisata berbasis masyarakat"},
    )
    return code_works(works, PROTOCOL, coded_at="2026-01-01T00:00:00Z", semantic=False)


def test_verdicts_are_new_rows_and_the_latest_one_counts():
    codes = _machine()
    assert {("W1", "S01"), ("W1", "S05"), ("W2", "P06")} <= set(
        zip(codes["work_id"], codes["theme_id"], strict=True)
    )
    reject = verdict_rows(
        codes,
        PROTOCOL,
        work_id="W1",
        theme_id="S05",
        verdict="reject",
        coder="ana",
        note="arisan is social here",
    )
    add = verdict_rows(
        codes,
        PROTOCOL,
        work_id="W2",
        theme_id="S08",
        verdict="add",
        coder="ana",
        evidence="women run the homestays",
    )
    all_rows = pd.concat([codes, reject, add], ignore_index=True)
    assert len(all_rows) == len(codes) + 2  # nothing edited
    now = set(zip(*current_codes(all_rows)[["work_id", "theme_id"]].T.values, strict=True))
    assert ("W1", "S05") not in now and ("W2", "S08") in now and ("W1", "S01") in now
    again = verdict_rows(
        all_rows, PROTOCOL, work_id="W1", theme_id="S05", verdict="confirm", coder="budi"
    )
    now = current_codes(pd.concat([all_rows, again], ignore_index=True))
    assert ("W1", "S05") in set(zip(now["work_id"], now["theme_id"], strict=True))
    assert reject.iloc[0]["method"] == "human: reject (arisan is social here)"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"verdict": "maybe"}, "valid options: confirm, reject, add"),
        ({"theme_id": "X01"}, "unknown theme 'X01'"),
        ({"coder": " "}, "coder's name"),
        ({"theme_id": "C01"}, "no C01 tag to reject"),
        ({"verdict": "add", "theme_id": "C01"}, "needs its evidence"),
    ],
)
def test_bad_verdicts_are_refused(kwargs, message):
    args = {"work_id": "W1", "theme_id": "S05", "verdict": "reject", "coder": "ana", **kwargs}
    with pytest.raises(SlrError, match=message):
        verdict_rows(_machine(), PROTOCOL, **args)


def _works():
    return make_works(
        {"work_id": "W1", "title": "Koperasi wanita dan arisan di desa"},
        {"work_id": "W2", "title": "Desa wisata berbasis masyarakat"},
        {"work_id": "W3", "title": "Desa wisata dan koperasi"},
    )


def test_the_coding_panel_goes_work_by_work_and_appends_a_row_per_click(tmp_path):
    from slr.coding.panel import build_coding_panel
    from slr.coding.review import CodingSession
    from slr.tables.contracts import CODES
    from slr.tables.io import read_table

    log = tmp_path / "verdicts.csv"
    machine = code_works(_works(), PROTOCOL, coded_at="2026-01-01T00:00:00Z", semantic=False)
    # W3 is tagged but not included: never offered
    session = CodingSession(
        PROTOCOL, machine, "ana", log_path=log, works=_works(), included=["W1", "W2"]
    )
    assert session.queue() == ["W1", "W2"] and session.counts() == (0, 2)
    panel = build_coding_panel(session)
    assert panel.state["work"] == "W1" and "Koperasi wanita" in panel.card.value
    assert "0 of 2 tagged works reviewed, 2 remaining" in panel.header.value
    tags = set(panel.state["buttons"])
    assert {"S01", "S05"} <= tags
    panel.state["buttons"]["S05"]["reject"].click()
    assert panel.state["work"] == "W1"  # stays on the work after a verdict
    assert "rejected by you" in panel.card.value + str(
        [c.children[0].value for c in panel.children[2].children]
    )
    panel.add.click()  # no theme chosen: refused
    assert "Choose the theme" in panel.status.value
    missed = panel.add_theme.options[1][1]
    assert missed not in tags
    panel.add_theme.value = missed
    panel.add.click()  # no evidence: refused, nothing written
    assert "needs its evidence" in panel.status.value
    panel.add_theme.value = missed
    panel.add_evidence.value = "women run the arisan"
    panel.add.click()
    for theme in sorted(tags - {"S05"}):
        panel.state["buttons"][theme]["confirm"].click()
    assert session.reviewed("W1") and session.counts() == (1, 2)
    panel.next.click()
    assert panel.state["work"] == "W2"
    rows = read_table(log, CODES)
    assert list(rows["method"][:2]) == ["human: reject", "human: add"]
    assert set(rows["coder"]) == {"ana"} and set(rows["work_id"]) == {"W1"}
    with pytest.raises(SlrError, match="'W3' is not among the included works"):
        session.verdict("W3", "P06", "confirm")
    # a new session reads the log: the rejected tag is gone, the added one is there
    again = CodingSession(PROTOCOL, machine, "budi", log_path=log)
    now = set(zip(again.tags()["work_id"], again.tags()["theme_id"], strict=True))
    assert ("W1", "S05") not in now and ("W1", missed) in now
    assert not again.reviewed("W1")  # budi has not reviewed it
