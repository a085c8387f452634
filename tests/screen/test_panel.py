"""Human screening: a reviewer's session (ranking, decisions, undo, blind mode, the stopping
rule) and the panel's buttons."""

import pytest
from helpers import make_works, screening_works

from slr.cli import main
from slr.errors import SlrError
from slr.layout import ReviewPaths
from slr.screen.panel import ScreeningSession, build_panel, highlight


# ---------------------------------------------------------------- the session
def test_decisions_are_appended_with_reviewer_model_rank_and_version(protocol):
    s = ScreeningSession(protocol, screening_works(), reviewer="ana")
    shown = s.next_work()
    assert shown.work_id.startswith("R")  # the keyword prior puts on-topic works first
    assert "village" in shown.terms
    row = s.decide(shown.work_id, "include", note="clear case", rank=shown.rank)
    log = s.log()
    assert len(log) == 1
    r = log.iloc[0]
    assert (r["reviewer"], r["decision"], r["model"], r["rank"], r["note"]) == (
        "ana",
        "include",
        "slr",
        1,
        "clear case",
    )
    assert r["protocol_version"] == protocol.version and r["row_hash"] == row["row_hash"].iloc[0]
    s.decide("X3", "exclude", criterion_id="IC3")
    assert s.log().iloc[1]["criterion_id"] == "IC3"
    assert s.next_work().work_id not in {shown.work_id, "X3"}


def test_bad_decisions_name_the_valid_options(protocol):
    s = ScreeningSession(protocol, screening_works(), reviewer="ana")
    with pytest.raises(SlrError, match="an exclusion needs a criterion; valid options: IC1"):
        s.decide("X1", "exclude")
    with pytest.raises(SlrError, match="unknown criterion 'EC9'"):
        s.decide("X1", "exclude", criterion_id="EC9")
    with pytest.raises(SlrError, match="unknown work_id 'NOPE'"):
        s.decide("NOPE", "include")
    with pytest.raises(SlrError, match="decision 'maybe' is not valid"):
        s.decide("X1", "maybe")
    assert len(s.log()) == 0


def test_undo_is_a_new_row_and_restores_the_previous_state(protocol):
    s = ScreeningSession(protocol, screening_works(), reviewer="ana")
    s.decide("R1", "include")
    s.decide("R2", "exclude", criterion_id="IC3")
    s.undo()
    log = s.log()
    assert list(log["decision"]) == ["include", "exclude", "undo"]  # nothing edited
    current = s.visible_decisions()
    assert list(current["work_id"]) == ["R1"]
    s.undo()
    assert len(s.visible_decisions()) == 0 and s.undo() is None


def test_blind_second_reviewer_sees_only_their_own(protocol):
    works = screening_works()
    ana = ScreeningSession(protocol, works, reviewer="ana")
    for w in ("R0", "R1", "R2"):
        ana.decide(w, "include")
    ben = ScreeningSession(protocol, works, reviewer="ben", blind=True)
    assert len(ben.visible_decisions()) == 0
    assert "R0" in ben.ranking()  # ana's decisions neither hide works nor train ben's model
    open_ben = ScreeningSession(protocol, works, reviewer="ben", blind=False)
    assert "R0" not in open_ben.ranking()


def test_stopping_rule_is_shown_refused_early_and_recorded(protocol):
    rel = [{"work_id": f"R{i}", "title": f"Village cooperative enterprise {i}"} for i in range(6)]
    irr = [
        {"work_id": f"X{i:03d}", "title": f"Listed firms stock volatility {i}"} for i in range(200)
    ]
    s = ScreeningSession(protocol, make_works(*rel, *irr), reviewer="ana")
    with pytest.raises(SlrError, match="nothing screened yet"):
        s.stopping()
    s.decide("R0", "include", rank=1)
    with pytest.raises(SlrError, match="not safe to stop yet"):
        s.stop()
    for i in range(1, 6):
        s.decide(f"R{i}", "include", rank=1)
    for i in range(150):
        s.decide(f"X{i:03d}", "exclude", criterion_id="IC3", rank=1)
    # with 6 relevant records, missing 1 breaks 95 % recall: p = unscreened / (sample + unscreened)
    assert s.stopping().p_value == pytest.approx(50 / 200)
    for i in range(150, 195):
        s.decide(f"X{i:03d}", "exclude", criterion_id="IC3", rank=1)
    check = s.stopping()
    assert check.safe_to_stop and check.p_value == pytest.approx(5 / 200), check.describe()
    rows = s.stop()
    assert len(rows) == 5 and set(rows["work_id"]) == {f"X{i:03d}" for i in range(195, 200)}
    assert (
        set(rows["decision"]) == {"stopped"}
        and rows["reason"].str.contains("stopping rule: p =").all()
    )


def test_panel_buttons_append_rows(protocol):
    s = ScreeningSession(protocol, screening_works(), reviewer="ana")
    panel = build_panel(s)
    first = s.next_work().work_id
    assert first in panel.card.value
    panel.note.value = "looks relevant"
    panel.buttons["include"].click()
    log = s.log()
    assert list(log["decision"]) == ["include"] and log.iloc[0]["note"] == "looks relevant"
    panel.criterion.value = "IC3"
    panel.buttons["exclude"].click()
    assert s.log().iloc[1]["criterion_id"] == "IC3"
    panel.buttons["undo"].click()
    assert s.log().iloc[2]["decision"] == "undo"


def test_highlight_marks_terms():
    assert (
        highlight("Village <b> cooperatives", ["village"])
        == "<mark>Village</mark> &lt;b&gt; cooperatives"
    )


def test_verify_cli(protocol, capsys):
    s = ScreeningSession(protocol, screening_works(), reviewer="ana")
    s.decide("R1", "include")
    assert main(["verify", str(protocol.path)]) == 0
    assert "intact" in capsys.readouterr().out
    path = ReviewPaths.of(protocol).screening_log
    path.write_text(
        path.read_text(encoding="utf-8").replace(",include,", ",exclude,"), encoding="utf-8"
    )
    assert main(["verify", str(protocol.path)]) == 1
    assert "row 1 (work R1): the hash does not match" in capsys.readouterr().err
