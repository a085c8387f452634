"""The report's figures, drawn from small tables (the whole run's figures: tests/e2e)."""

import pandas as pd
import yaml
from helpers import MINI_PROTOCOL, ROOT, SEED_ARTICLE

from slr.protocol import load_protocol, parse_protocol
from slr.report.figures import places_chart, theme_network
from slr.tables.contracts import CODES
from slr.tables.schema import conform

PLACES = pd.DataFrame(
    {"work_id": ["a", "a", "b"], "kind": ["country", "province", "country"],
     "place": ["Indonesia", "Bali", "not stated"]}
)  # fmt: skip


def test_the_places_chart_has_a_panel_for_regions_only_when_the_gazetteer_has_them():
    gazetteer = load_protocol(ROOT / "protocols" / "rural-community-business.yaml").places
    with_regions = places_chart(PLACES, gazetteer)
    assert [ax.get_title(loc="left") for ax in with_regions.axes] == [
        "Countries named (works)",
        "Indonesian provinces named (works)",
    ]
    countries_only = gazetteer.model_copy(update={"regions": {}})
    assert [ax.get_title(loc="left") for ax in places_chart(PLACES, countries_only).axes] == [
        "Countries named (works)"
    ]
    assert len(places_chart(PLACES, None).axes) == 1


def test_the_theme_network_colours_themes_by_the_protocols_groups():
    protocol = parse_protocol(yaml.safe_load(MINI_PROTOCOL + SEED_ARTICLE))
    codes = conform(
        pd.DataFrame(
            {"work_id": ["a", "a", "b", "b", "c", "c"],
             "theme_id": ["P01", "S01", "P01", "S01", "P01", "S01"]}
        ).assign(evidence="e", source_field="title", method="terms: x", coder="c",
                 coded_at="run", protocol_version="v"),
        CODES,
    )  # fmt: skip
    fig = theme_network(protocol, codes, ["a", "b", "c"])
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [g.label for g in protocol.groups]
    colours = {tuple(round(c, 3) for c in h.get_facecolor()[:3]) for h in legend.legend_handles}
    assert len(colours) == len(protocol.groups)
