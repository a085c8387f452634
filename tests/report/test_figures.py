"""Figures drawn from the run's tables, and the places named in a work's text."""

import pandas as pd
from helpers import ROOT

from slr.cli import main
from slr.protocol import load_protocol
from slr.report.places import find_places, places_table
from slr.tables.io import read_run


def test_the_run_draws_every_figure_from_its_tables(mini_project):
    path = mini_project / "protocols" / "mini.yaml"
    assert main(["-q", "run", str(path), "--run-id", "r1"]) == 0
    run_dir = mini_project / "outputs" / "mini" / "r1"
    for name in ("prisma", "works_per_year", "themes_over_time", "places", "themes"):
        for ext in ("svg", "png"):
            assert (run_dir / "figures" / f"{name}.{ext}").stat().st_size > 1000, (name, ext)
    svg = (run_dir / "figures" / "prisma.svg").read_text(encoding="utf-8")
    n = read_run(run_dir)["meta"]["prisma"]
    for label, box in (("Records screened", "screened"), ("Duplicate records", "duplicates"),
                       ("Reports assessed for eligibility", "reports_assessed"),
                       ("Studies included in review", "included")):  # fmt: skip
        assert f"{label} (n = {n[box]})" in svg, label
    assert "<dc:date>" not in svg  # no timestamp
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert 'alt="PRISMA 2020 flow diagram' in html and "data:image/svg+xml;base64," in html


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
