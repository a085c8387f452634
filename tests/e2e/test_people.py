"""People's decisions and verdicts flow into the next run: a coder's rejection, a reviewer's
screening, labels exchanged with ASReview (each in a project of its own, tables only)."""

import pandas as pd

from slr.cli import main
from slr.coding.review import CodingSession
from slr.protocol import load_protocol
from slr.screen.session import ScreeningSession
from slr.tables.io import read_run


def test_a_coders_rejection_is_applied_by_the_next_run(mini_project):
    path = mini_project / "protocols" / "mini.yaml"
    assert main(["-q", "run", str(path), "--run-id", "r1", "--no-report"]) == 0
    protocol = load_protocol(path)
    run = read_run(mini_project / "outputs" / "mini" / "r1")
    per_work = run["codes"].groupby("work_id")["theme_id"].nunique()
    work = sorted(per_work[per_work == 1].index)[0]  # its one tag keeps it in (IC4)
    theme = run["codes"].set_index("work_id").loc[work, "theme_id"]
    CodingSession(protocol, run["codes"], "ana").verdict(work, theme, "reject", note="off topic")
    assert main(["-q", "run", str(path), "--run-id", "r2", "--no-report"]) == 0
    again = read_run(mini_project / "outputs" / "mini" / "r2")
    human = again["codes"][again["codes"]["coder"] == "ana"]
    assert list(human["method"]) == ["human: reject (off topic)"]
    last = again["decisions"][again["decisions"]["work_id"] == work].iloc[-1]
    assert (last["stage"], last["decision"], last["criterion_id"]) == (
        "eligibility",
        "exclude",
        "IC4",
    )


def test_human_decisions_flow_into_the_run(mini_project):
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
