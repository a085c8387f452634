"""The places a work's text names, from the protocol's gazetteer."""

import pandas as pd
from helpers import ROOT

from slr.protocol import load_protocol
from slr.report.places import find_places, places_table


def test_places_are_found_in_either_language_and_imply_the_regions_country():
    gazetteer = load_protocol(ROOT / "protocols" / "rural-community-business.yaml").places
    w = {"title": "Koperasi wanita di Kabupaten Sleman", "abstract": "A case in rural Kenya.",
         "keywords": ["Lombok"]}  # fmt: skip
    found = find_places(w, gazetteer)
    assert found["regions"] == ["Yogyakarta", "West Nusa Tenggara"]
    assert found["countries"][0] == "Indonesia" and "Kenya" in found["countries"]
    assert find_places({"title": "Rumah makan Padang dan batu bata"}, gazetteer) == {
        "countries": [],
        "regions": [],
    }  # fmt: skip  (a cuisine and "stone", not places)
    works = pd.DataFrame([{"work_id": "a", **w}, {"work_id": "b", "title": "No place here"}])
    t = places_table(works, ["a", "b"], gazetteer)
    assert t[t["work_id"] == "b"]["place"].tolist() == ["not stated"]
    assert set(t[t["work_id"] == "a"]["kind"]) == {"country", "province"}
    # without a gazetteer every work's place is "not stated"
    assert set(places_table(works, ["a", "b"], None)["place"]) == {"not stated"}
