"""PRISMA 2020 counts computed from the tables, and checked to add up."""

import pandas as pd
import pytest
import yaml
from helpers import MINI_PROTOCOL, make_works

from slr.errors import SlrError
from slr.protocol import parse_protocol
from slr.report.prisma import check_prisma, prisma_counts
from slr.run import code_tables, screen_tables


def test_prisma_boxes_add_up_on_a_fixture_review():
    protocol = parse_protocol(yaml.safe_load(MINI_PROTOCOL))
    works = make_works(
        {
            "title": "Koperasi desa dan modal sosial",
            "abstract": "Koperasi desa tumbuh karena kepercayaan anggota.",
            "publication_year": 2020,
            "language": "id",
            "doi": "10.9/a",
        },
        {"title": "KOPERASI DESA DAN MODAL SOSIAL", "doi": "10.9/a", "publication_year": 2020},
        {"title": "Village enterprise in 1980", "publication_year": 1980},
        {
            "title": "Listed firms and stock returns",
            "abstract": "Returns of listed firms.",
            "publication_year": 2020,
        },
        {"title": "Village business registry", "publication_year": 2021},
        {
            "title": "Rural enterprise premises",
            "abstract": "We map premises with satellite images.",
            "publication_year": 2021,
        },
        {
            "title": "Training for village enterprise members",
            "abstract": "A training programme for members.",
            "publication_year": 2022,
        },
    )
    at = "2026-01-01T00:00:00Z"
    works, decisions = screen_tables(protocol, works, decided_at=at)
    tables = code_tables(protocol, works, decisions, decided_at=at)
    n = prisma_counts(tables["prisma"])
    assert n["identified"] == 7 and n["identified:test"] == 7
    assert n["duplicates"] == 1
    assert n["automation_excluded"] == 1 and n["automation_excluded:IC1"] == 1
    assert n["screened"] == n["identified"] - n["duplicates"] - n["automation_excluded"] == 5
    assert n["screening_excluded"] == 1
    assert n["reports_sought"] == 4
    assert n["reports_not_retrieved"] == 1  # the registry record has only a title
    assert n["reports_assessed"] == 3
    assert n["reports_excluded"] == 1 and n["reports_excluded:IC4"] == 1
    assert n["included"] == 2


def test_check_prisma_refuses_counts_that_do_not_add_up():
    rows = [("identification", "identified:x", "x", 10), ("identification", "identified", "all", 10),
            ("identification", "duplicates", "d", 2), ("identification", "automation_excluded", "a", 0),
            ("screening", "screened", "s", 9), ("screening", "screening_excluded", "e", 0),
            ("screening", "stopped", "s", 0), ("screening", "awaiting_screening", "w", 0),
            ("screening", "reports_sought", "r", 9),
            ("screening", "reports_not_retrieved", "n", 0), ("screening", "reports_assessed", "a", 9),
            ("screening", "reports_excluded", "x", 0), ("screening", "awaiting_eligibility", "w", 0),
            ("included", "included", "i", 9)]  # fmt: skip
    table = pd.DataFrame(rows, columns=["section", "box", "label", "n"])
    with pytest.raises(
        SlrError, match="identified − duplicates − automation = screened \\(8 ≠ 9\\)"
    ):
        check_prisma(table)
