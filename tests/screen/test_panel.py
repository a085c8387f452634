"""Human screening: a reviewer's session (ranking, decisions, undo, blind mode, the stopping
rule) and the panel's buttons."""

from importlib.metadata import version

import pandas as pd
import pytest
from helpers import make_works, screening_works

from slr.cli import main
from slr.errors import SlrError
from slr.layout import ReviewPaths
from slr.screen.panel import build_panel, screening_panel
from slr.screen.session import ScreeningSession, highlight


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
        f"elas-u4 (slr {version('slr')})",
        1,
        "clear case",
    )
    assert r["protocol_version"] == protocol.version and r["row_hash"] == row["row_hash"].iloc[0]
    s.decide("X3", "exclude", criterion_id="IC3")
    assert s.log().iloc[1]["criterion_id"] == "IC3"
    assert s.next_work().work_id not in {shown.work_id, "X3"}


def test_bad_decisions_name_the_valid_options(protocol):
    s = ScreeningSession(protocol, screening_works(), reviewer="ana")
    with pytest.raises(
        SlrError,
        match="an exclusion needs a reason: choose the criterion it fails; valid options: IC1",
    ):
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
    assert panel.note.value == "" and panel.criterion.value == ""  # reset for every work
    panel.buttons["exclude"].click()  # no reason chosen: refused, nothing written
    assert len(s.log()) == 1 and "Choose the reason to exclude first" in panel.status.value
    panel.criterion.value = "IC3"
    panel.buttons["exclude"].click()
    row = s.log().iloc[1]
    assert (row["criterion_id"], row["reason"]) == (
        "IC3",
        "fails IC3: " + protocol.criterion("IC3").label,
    )
    assert panel.criterion.value == ""
    panel.buttons["undo"].click()
    assert s.log().iloc[2]["decision"] == "undo"
    n = len(screening_works())
    assert f"ana: 1 / {n} screened · 1 relevant found · stopping p = " in panel.progress.value


def test_reasons_are_exclusion_criteria_then_failed_inclusion_criteria(protocol):
    s = ScreeningSession(protocol, screening_works(), reviewer="ana")
    labels = [label for label, _ in s.reasons()]
    kinds = [cid[:2] for _, cid in s.reasons()]
    assert kinds == sorted(kinds, key=lambda k: k != "EC")  # exclusions first
    assert all(
        label.startswith("fails IC") for label, cid in s.reasons() if cid.startswith("IC")
    ), labels
    options = build_panel(s).criterion.options
    assert options[0][1] == "" and options[1][0].startswith("1. ")


def test_keyboard_shortcuts_decide_and_pick_a_reason(protocol):
    s = ScreeningSession(protocol, screening_works(), reviewer="ana")
    panel = build_panel(s)
    first = s.next_work().work_id
    panel.on_key({"type": "keydown", "key": "i"})
    assert list(s.log()["work_id"]) == [first]
    panel.on_key({"type": "keydown", "key": "e"})  # no reason yet
    assert len(s.log()) == 1
    index = [cid for _, cid in s.reasons()].index("IC3") + 1
    panel.on_key({"type": "keydown", "key": str(index)})
    assert panel.criterion.value == "IC3"
    panel.on_key({"type": "keydown", "key": "e"})
    panel.on_key({"type": "keydown", "key": "u"})
    panel.on_key({"type": "keydown", "key": "z"})
    assert list(s.log()["decision"]) == ["include", "exclude", "unsure", "undo"]


def test_the_logged_rank_is_the_works_rank_among_all_candidates_when_shown(protocol):
    s = ScreeningSession(protocol, screening_works(), reviewer="ana")
    ranks = []
    for _ in range(5):
        shown = s.next_work()
        order = s.ranking()
        assert shown.work_id == order[0]
        s.decide(
            shown.work_id,
            "include" if shown.work_id.startswith("R") else "exclude",
            criterion_id=None if shown.work_id.startswith("R") else "IC3",
        )
        ranks.append(int(s.log().iloc[-1]["rank"]))
        assert ranks[-1] == shown.rank
    assert ranks[0] == 1 and max(ranks) > 1  # later works rank below those already screened


def test_the_reviewer_name_comes_from_the_environment_or_the_name_box(protocol, monkeypatch):
    works = screening_works()
    status = pd.DataFrame({"work_id": works["work_id"], "status": "unscreened", "stage": None})
    status.loc[0, ["status", "stage"]] = ["excluded", "automation"]  # not offered to people
    run = {"works": works, "status": status}
    monkeypatch.delenv("SLR_REVIEWER", raising=False)
    box = screening_panel(protocol, run)
    assert box.name.value == "" and not hasattr(box, "panel")
    box.start.click()
    assert "a reviewer name is needed" in box.message.value
    box.name.value = "ana"
    box.start.click()
    box.panel.buttons["include"].click()
    assert list(box.panel.buttons) and set(
        ScreeningSession(protocol, works, reviewer="x").log()["reviewer"]
    ) == {"ana"}
    monkeypatch.setenv("SLR_REVIEWER", "ben")
    started = screening_panel(protocol, run)  # started at once, as ben
    assert started.session.reviewer == "ben"
    assert works["work_id"][0] not in started.session.index and len(started.session.works) == 19
    assert len(ScreeningSession(protocol, works, reviewer="x").log()) == 1


def test_a_third_reviewer_resolves_the_open_conflicts_in_the_panel(protocol):
    works = screening_works()
    ana = ScreeningSession(protocol, works, reviewer="ana")
    ben = ScreeningSession(protocol, works, reviewer="ben")
    ana.decide("R1", "include")
    ben.decide("R1", "exclude", criterion_id="IC3")
    ana.decide("R2", "include")
    ben.decide("R2", "include")
    carla = ScreeningSession(protocol, works, reviewer="carla", resolve=True)
    assert carla.ranking() == ["R1"]
    panel = build_panel(carla)
    assert "ana: include; ben: exclude" in panel.card.value
    panel.buttons["include"].click()
    row = carla.log().iloc[-1]
    assert (row["reviewer"], row["decision"]) == ("carla", "include")
    assert row["note"].startswith("resolves ana: include; ben: exclude")
    assert ScreeningSession(protocol, works, reviewer="carla", resolve=True).ranking() == []


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


def test_a_decision_changed_after_everything_is_screened_gets_a_rank(protocol):
    works = screening_works()
    s = ScreeningSession(protocol, works, reviewer="ana")
    for w in works["work_id"]:
        s.decide(w, "include" if w.startswith("R") else "exclude",
                 criterion_id=None if w.startswith("R") else "IC3")  # fmt: skip
    again = ScreeningSession(protocol, works, reviewer="ana")  # a new session, nothing left
    assert again.ranking() == []
    row = again.decide("X1", "include", note="changed my mind")
    assert 1 <= int(row["rank"].iloc[0]) <= len(works)


def test_the_review_question_as_a_relevant_record_lets_the_model_learn_from_one_decision(
    protocol,
):
    asked = protocol.model_copy(
        update={"screening": protocol.screening.model_copy(update={"question_prior": True})}
    )
    assert "village enterprise" in asked.question_text()
    with_q = ScreeningSession(asked, screening_works(), reviewer="ana")
    without = ScreeningSession(protocol, screening_works(), reviewer="ben")
    for s in (with_q, without):
        s.decide("X0", "exclude", criterion_id="IC3")
        s.ranking()
    assert with_q.ranker.estimators_ and not without.ranker.estimators_
    order = with_q.ranking()
    assert len(order) == 19 and set(order) == set(screening_works()["work_id"]) - {"X0"}
    assert all(w.startswith("R") for w in order[:6])  # the question's words come first
    assert max(with_q.rank_of(w) for w in order) == 20  # ranks among the 20 works only
