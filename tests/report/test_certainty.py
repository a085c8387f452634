"""Each finding's certainty follows the stated rules."""

import pandas as pd
from helpers import ROOT

from slr.protocol import load_protocol
from slr.report.certainty import certainty_table

PROTOCOL = load_protocol(ROOT / "protocols" / "rural-community-business.yaml")


def _run(tags: dict[str, list[tuple[str, str]]], reliability: dict[str, str], high=()):
    """``tags``: theme → [(work, source_field)]; every tagged work is included."""
    rows = [
        {"work_id": w, "theme_id": t, "source_field": f, "evidence": "e", "score": 1.0}
        for t, ws in tags.items()
        for w, f in ws
    ]
    works = sorted({r["work_id"] for r in rows})
    status = pd.DataFrame({"work_id": works, "status": "included"})
    accuracy = pd.DataFrame(
        {"theme_id": list(reliability), "reliability": list(reliability.values())}
    )
    studies = pd.DataFrame(
        {"work_id": works, "concern": ["high" if w in high else "low" for w in works]}
    )
    return {"current_codes": pd.DataFrame(rows), "status": status,
            "coding_accuracy": accuracy, "studies": studies}  # fmt: skip


def test_certainty_drops_one_level_per_concern():
    many = [(f"w{i}", "abstract") for i in range(12)]
    run = _run(
        {
            "P06": many,  # 12 works, measured, from abstracts: high
            "P01": [(f"w{i}", "abstract") for i in range(7)],  # 5-9 works: moderate
            "C02": [(f"w{i}", "abstract") for i in range(12)],  # tagger low: moderate
            "S04": [(f"w{i}", "title" if i < 5 else "abstract") for i in range(12)],  # 5/12 titles
            "C06": [("w1", "abstract"), ("w2", "title")],  # 2 works, not measured, 1/2 title
        },
        {"P06": "measured", "P01": "measured", "C02": "low", "S04": "measured"},
    )
    t = certainty_table(PROTOCOL, run).set_index("theme_id")
    assert t.loc["P06", "certainty"] == "high" and t.loc["P06", "concerns"] == "none"
    assert t.loc["P01", "certainty"] == "moderate" and t.loc["P01", "concerns"] == "7 works"
    assert t.loc["C02", "certainty"] == "moderate" and t.loc["C02", "concerns"] == "tagger low"
    assert (
        t.loc["S04", "certainty"] == "moderate"
        and "5 of 12 from titles alone" in t.loc["S04", "concerns"]
    )
    assert t.loc["C06", "certainty"] == "very low"  # 2 works (-2), not measured, titles: floor
    assert t.loc["S08", "works"] == 0 and t.loc["S08", "certainty"] == "very low"


def test_works_of_high_concern_lower_certainty():
    run = _run({"P06": [(f"w{i}", "abstract") for i in range(10)]}, {"P06": "measured"},
               high={"w0", "w1", "w2", "w3"})  # fmt: skip
    t = certainty_table(PROTOCOL, run).set_index("theme_id")
    assert t.loc["P06", "certainty"] == "moderate" and t.loc["P06", "high concern"] == 4
