"""Study characteristics and the reporting appraisal of included works."""

import pandas as pd
from helpers import ROOT, make_works

from slr.coding.studies import concern, study_table
from slr.protocol import load_protocol
from slr.tables.contracts import STUDIES
from slr.tables.schema import validate

PROTOCOL = load_protocol(ROOT / "protocols" / "rural-community-business.yaml")


def test_design_is_the_first_the_protocol_lists_and_the_checks_are_what_the_record_says():
    works = make_works(
        {"work_id": "a", "title": "Koperasi wanita di Bali", "type": "article",
         "abstract": "Penelitian ini bertujuan menganalisis koperasi. Data dikumpulkan dengan "
         "wawancara dan kuesioner kepada 40 responden. Hasil penelitian menunjukkan omzet naik."},
        {"work_id": "b", "title": "A literature review of rural cooperatives", "type": "other",
         "abstract": "Cooperatives matter."},
        {"work_id": "c", "title": "Village crafts", "type": "report"},
    )  # fmt: skip
    places = pd.DataFrame(
        {"work_id": ["a", "b"], "kind": "country", "place": ["Indonesia", "not stated"]}
    )
    t = study_table(works, PROTOCOL, ["a", "b", "c"], places).set_index("work_id")
    validate(t.reset_index(), STUDIES)
    # "kuesioner"/"responden" (survey) come before "wawancara" (qualitative) in the protocol
    assert t.loc["a", "design"] == "survey" and t.loc["a", "design_term"].lower() == "kuesioner"
    assert t.loc["a"][["method_stated", "setting_stated", "results_stated"]].all()
    assert t.loc["a", "score"] == 6 and t.loc["a", "concern"] == "low"
    assert t.loc["b", "design"] == "review" and not t.loc["b", "setting_stated"]
    assert t.loc["c", "design"] == "not stated" and not t.loc["c", "has_abstract"]
    assert t.loc["c", "score"] == 0 and t.loc["c", "concern"] == "high"


def test_concern_levels():
    assert [concern(s) for s in range(7)] == ["high"] * 3 + ["some"] * 2 + ["low"] * 2
