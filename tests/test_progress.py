"""Progress of the long loops: reported only where a caller asks, with totals that add up."""

import pandas as pd
import yaml
from helpers import MINI_PROTOCOL, make_works

from slr.cli.commands import _bars
from slr.ingest.dedupe import mark_duplicates
from slr.progress import reporting, track
from slr.protocol import parse_protocol
from slr.screen.rules import screen_rules


def test_nothing_is_reported_unless_asked():
    items = [1, 2, 3]
    assert track(items, total=3, desc="x") is items
    assert _bars(quiet=True) is None


def test_the_stages_report_each_record_with_its_total(tmp_path):
    seen: list[dict] = []

    def reporter(items, total, desc, unit):
        entry = {"desc": desc, "total": total, "unit": unit, "n": 0}
        seen.append(entry)
        for item in items:
            entry["n"] += 1
            yield item

    protocol = parse_protocol(yaml.safe_load(MINI_PROTOCOL), path=tmp_path / "mini.yaml")
    works = make_works(
        *({"title": f"Village cooperative study {i}", "publication_year": 2020} for i in range(5)),
        {"title": "Village cooperative study 0", "publication_year": 2020},  # a duplicate
    )
    with reporting(reporter):
        marked = mark_duplicates(works)
        decisions = screen_rules(marked, protocol, decided_at="2026-01-01T00:00:00Z")
    assert [(e["desc"], e["total"], e["n"], e["unit"]) for e in seen] == [
        ("deduplicating", 6, 6, "records"),
        ("rule screening", 5, 5, "records"),  # the duplicate is not screened
    ]
    assert isinstance(decisions, pd.DataFrame) and marked["duplicate_of"].notna().sum() == 1


def test_the_command_line_shows_bars_with_records_per_second(capsys):
    reporter = _bars(quiet=False)
    assert list(reporter(iter(range(4)), 4, "tagging", "works")) == [0, 1, 2, 3]
