"""Human screening: the panel's session, the tamper-evident log, agreement, ASReview interop."""

import pandas as pd
import pytest
import yaml
from helpers import MINI_PROTOCOL, make_works

from slr.cli import main
from slr.errors import SchemaError, SlrError
from slr.layout import ReviewPaths
from slr.protocol import parse_protocol
from slr.screen.agree import compute_agreement, compute_conflicts
from slr.screen.interop import asreview_ris, labels_to_decisions, read_asreview_labels, to_asreview
from slr.screen.panel import ScreeningSession, build_panel, highlight
from slr.tables import io
from slr.tables.log import append_log, verify_log
from slr.tables.schema import DECISIONS, conform


@pytest.fixture
def protocol(tmp_path):
    path = tmp_path / "protocols" / "mini.yaml"
    path.parent.mkdir()
    path.write_text(MINI_PROTOCOL, encoding="utf-8")
    return parse_protocol(yaml.safe_load(MINI_PROTOCOL), path=path)


def _works():
    rel = [
        {
            "work_id": f"R{i}",
            "title": f"Village cooperative enterprise study {i}",
            "abstract": "Koperasi desa and trust.",
        }
        for i in range(6)
    ]
    irr = [
        {
            "work_id": f"X{i}",
            "title": f"Listed firms stock volatility {i}",
            "abstract": "Market returns.",
        }
        for i in range(14)
    ]
    return make_works(*rel, *irr)


# ---------------------------------------------------------------- the session
def test_decisions_are_appended_with_reviewer_model_rank_and_version(protocol):
    s = ScreeningSession(protocol, _works(), reviewer="ana")
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
    s = ScreeningSession(protocol, _works(), reviewer="ana")
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
    s = ScreeningSession(protocol, _works(), reviewer="ana")
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
    works = _works()
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
    s = ScreeningSession(protocol, _works(), reviewer="ana")
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


# ---------------------------------------------------------------- the hash chain
def _rows(*work_ids):
    base = {"stage": "title_abstract", "decision": "include", "reviewer": "ana",
            "decided_at": "2026-01-01T00:00:00Z", "protocol_version": "v"}  # fmt: skip
    return conform(pd.DataFrame([{**base, "work_id": w} for w in work_ids]), DECISIONS)


def test_hash_chain_detects_an_edited_row(tmp_path):
    log = tmp_path / "decisions.csv"
    append_log(log, _rows("W1", "W2"))
    append_log(log, _rows("W3"))
    assert verify_log(log) == []
    text = log.read_text(encoding="utf-8").replace(
        "W2,title_abstract,include", "W2,title_abstract,exclude"
    )
    log.write_text(text, encoding="utf-8")
    problems = verify_log(log)
    assert len(problems) == 1 and problems[0].startswith("row 2 (work W2): the hash does not match")
    with pytest.raises(SchemaError, match="damaged, nothing appended"):
        append_log(log, _rows("W4"))


def test_hash_chain_detects_deleted_rows(tmp_path):
    log = tmp_path / "decisions.csv"
    append_log(log, _rows("W1", "W2", "W3"))
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    log.write_text("".join(lines[:2] + lines[3:]), encoding="utf-8")  # delete W2
    problems = verify_log(log)
    assert any("row 2 (work W3)" in p for p in problems)
    assert any("the log has 2 rows but its head records 3" in p for p in problems)
    log.write_text("".join(lines[:3]), encoding="utf-8")  # delete the last row
    assert any("rows were deleted from the end" in p for p in verify_log(log))


def test_verify_cli(protocol, capsys):
    s = ScreeningSession(protocol, _works(), reviewer="ana")
    s.decide("R1", "include")
    assert main(["verify", str(protocol.path)]) == 0
    assert "intact" in capsys.readouterr().out
    path = ReviewPaths.of(protocol).screening_log
    path.write_text(
        path.read_text(encoding="utf-8").replace(",include,", ",exclude,"), encoding="utf-8"
    )
    assert main(["verify", str(protocol.path)]) == 1
    assert "row 1 (work R1): the hash does not match" in capsys.readouterr().err


# ---------------------------------------------------------------- agreement
def test_agreement_on_records_both_screened_and_conflicts(protocol):
    works = _works()
    ana = ScreeningSession(protocol, works, reviewer="ana")
    ben = ScreeningSession(protocol, works, reviewer="ben")
    for w in ("R0", "R1", "R2", "X0"):
        ana.decide(
            w,
            "include" if w.startswith("R") else "exclude",
            criterion_id=None if w.startswith("R") else "IC3",
        )
    for w, d in (("R0", "include"), ("R1", "exclude"), ("X0", "exclude"), ("X1", "exclude")):
        ben.decide(w, d, criterion_id="IC3" if d == "exclude" else None)
    log = ana.log()
    ag = compute_agreement(log, "ana", "ben")
    assert (ag.n_both, ag.n_only_a, ag.n_only_b) == (3, 1, 1)
    assert ag.percent == pytest.approx(2 / 3)
    conflicts = compute_conflicts(log, "ana", "ben")
    assert list(conflicts["work_id"]) == ["R1"] and not conflicts["resolved"].iloc[0]
    carla = ScreeningSession(protocol, works, reviewer="carla", blind=False)
    carla.decide("R1", "include", note="resolved in consensus meeting")
    conflicts = compute_conflicts(carla.log(), "ana", "ben")
    assert conflicts["resolved"].iloc[0] and conflicts["current"].iloc[0] == "include"
    with pytest.raises(SlrError, match="unknown reviewer 'zoe'"):
        compute_agreement(log, "ana", "zoe")


# ---------------------------------------------------------------- ASReview interop
def test_round_trip_with_asreview_formats(protocol, tmp_path):
    works = _works()
    s = ScreeningSession(protocol, works, reviewer="ana")
    s.decide("R0", "include")
    s.decide("X0", "exclude", criterion_id="IC3")
    frame = to_asreview(works, s.log())
    assert frame.set_index("record_id").loc["R0", "asreview_label"] == 1
    assert pd.isna(frame.set_index("record_id").loc["R1", "asreview_label"])
    csv_path, ris_path = tmp_path / "export.csv", tmp_path / "export.ris"
    io.write_csv_frame(frame, csv_path)
    io.write_text(ris_path, asreview_ris(works, s.log()))
    for path in (csv_path, ris_path):
        labels = read_asreview_labels(path).set_index("record_id")["label"].to_dict()
        assert labels == {"R0": 1, "X0": 0}
    rows = labels_to_decisions(
        read_asreview_labels(ris_path), works, protocol, reviewer="asreview:ana"
    )
    assert set(rows["reviewer"]) == {"asreview:ana"} and list(rows["decision"]) == [
        "include",
        "exclude",
    ]


def test_import_of_an_asreview_export_and_unknown_ids(protocol, tmp_path):
    f = tmp_path / "asreview_export.csv"
    f.write_text(
        "record_id,title,abstract,asreview_label,asreview_time\nR2,a,b,1,2026\nX5,c,d,0,2026\nX6,e,f,,\n",
        encoding="utf-8",
    )
    labels = read_asreview_labels(f)
    assert labels.to_dict("records") == [
        {"record_id": "R2", "label": 1},
        {"record_id": "X5", "label": 0},
    ]
    f.write_text("record_id,title,asreview_label\nZZ9,a,1\n", encoding="utf-8")
    with pytest.raises(SlrError, match="name no work of this review, e.g. record_id 'ZZ9'"):
        labels_to_decisions(read_asreview_labels(f), _works(), protocol, reviewer="x")


def test_screening_notebook_executes(mini_project):
    """The screening notebook runs headless (papermill) and builds the panel."""
    import nbformat

    from slr.layout import notebooks_dir
    from slr.report.notebooks import execute_notebook

    protocol = mini_project / "protocols" / "mini.yaml"
    assert main(["-q", "run", str(protocol), "--run-id", "r", "--no-report"]) == 0
    out = mini_project / "screening.ipynb"
    execute_notebook(
        notebooks_dir() / "02_screening.py",
        out,
        {
            "protocol_path": str(protocol),
            "run_dir": str(mini_project / "outputs" / "mini" / "r"),
            "reviewer": "ana",
        },
        cwd=mini_project,
    )
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)


def test_human_decisions_flow_into_the_run(mini_project):
    from slr.protocol import load_protocol
    from slr.tables.io import read_run

    path = mini_project / "protocols" / "mini.yaml"
    assert main(["-q", "run", str(path), "--run-id", "before", "--no-report"]) == 0
    before = read_run(mini_project / "outputs" / "mini" / "before")
    protocol = load_protocol(path)
    s = ScreeningSession(protocol, before["works"], reviewer="ana")
    stock = before["works"].loc[before["works"]["title"].str.startswith("Stock"), "work_id"].iloc[0]
    village = (
        before["works"]
        .loc[before["works"]["title"].str.startswith("Village business"), "work_id"]
        .iloc[0]
    )
    s.decide(stock, "include", note="actually relevant")  # overrides the rule's IC3 exclusion
    s.decide(village, "exclude", criterion_id="EC1")
    assert main(["-q", "run", str(path), "--run-id", "after", "--no-report"]) == 0
    after = read_run(mini_project / "outputs" / "mini" / "after")
    n0, n1 = before["meta"]["prisma"], after["meta"]["prisma"]
    assert n1["screening_excluded"] == n0["screening_excluded"]  # one out (stock), one in (village)
    assert n1["screening_excluded:EC1"] == 1 and "screening_excluded:IC3" not in n1
    assert (after["decisions"]["reviewer"] == "ana").sum() == 2


def test_export_import_labels_and_agree_from_the_command_line(mini_project, tmp_path, capsys):
    from slr.protocol import load_protocol
    from slr.tables.io import read_run

    path = mini_project / "protocols" / "mini.yaml"
    assert main(["-q", "run", str(path), "--run-id", "r", "--no-report"]) == 0
    works = read_run(mini_project / "outputs" / "mini" / "r")["works"]
    ids = works.loc[works["duplicate_of"].isna(), "work_id"].tolist()
    ana = ScreeningSession(load_protocol(path), works, reviewer="ana")
    ana.decide(ids[0], "include")
    ana.decide(ids[1], "exclude", criterion_id="IC3")
    export = tmp_path / "for_asreview.csv"
    assert main(["export", str(path), str(export)]) == 0
    assert "exported 10 works" in capsys.readouterr().out
    frame = pd.read_csv(export)
    assert frame["asreview_label"].notna().sum() >= 2  # ana's labels (and the rules' TA labels)
    # a second reviewer screened the export in ASReview and exported labels back
    back = tmp_path / "asreview_export.csv"
    back.write_text(
        f"record_id,title,asreview_label\n{ids[0]},x,1\n{ids[1]},y,1\n", encoding="utf-8"
    )
    assert main(["import-labels", str(path), str(back), "--reviewer", "asreview:ben"]) == 0
    assert main(["agree", str(path), "ana", "asreview:ben"]) == 0
    out = capsys.readouterr().out
    assert "2 records decided by both" in out and "1 conflicts (0 resolved)" in out
    assert main(["verify", str(path)]) == 0
