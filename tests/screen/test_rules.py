"""Rule screening: each automated criterion decides its stage with its reason."""

import pandas as pd
import pytest
from helpers import MINI_PROTOCOL, make_works

from slr.protocol import parse_protocol
from slr.screen.rules import screen_eligibility, screen_rules


@pytest.fixture
def mini():
    import yaml

    return parse_protocol(yaml.safe_load(MINI_PROTOCOL))


def test_rules_decide_each_stage_with_criterion_and_reason(mini):
    works = make_works(
        {"work_id": "OLD", "title": "Village enterprise history", "publication_year": 1990},
        {"work_id": "NOYEAR", "title": "Village enterprise today", "language": "en"},
        {
            "work_id": "FR",
            "title": "Entreprises de village",
            "language": "fr",
            "publication_year": 2020,
        },
        {"work_id": "ED", "title": "Editorial on village enterprise", "type": "editorial"},
        {"work_id": "OFF", "title": "Stock returns of listed firms", "publication_year": 2020},
        {"work_id": "KW", "title": "A case study", "keywords": ["desa", "UMKM"]},
    )
    d = screen_rules(works, mini, decided_at="2026-01-01T00:00:00Z")
    by = {(r.work_id, r.stage): r for r in d.itertuples()}
    assert by[("OLD", "automation")].decision == "exclude"
    assert by[("OLD", "automation")].criterion_id == "IC1"
    assert "published 1990, before 2000" in by[("OLD", "automation")].reason
    assert ("OLD", "title_abstract") not in by
    # a missing year is not a reason to exclude: it is noted and the record goes on
    assert by[("NOYEAR", "automation")].decision == "include"
    assert "year unknown (not assessed)" in by[("NOYEAR", "automation")].reason
    assert by[("NOYEAR", "title_abstract")].decision == "include"
    assert by[("FR", "automation")].criterion_id == "IC2"
    assert by[("ED", "automation")].criterion_id == "EC1"
    assert by[("OFF", "title_abstract")].decision == "exclude"
    assert by[("OFF", "title_abstract")].criterion_id == "IC3"
    assert "no setting or enterprise term" in by[("OFF", "title_abstract")].reason
    assert by[("KW", "title_abstract")].decision == "include"  # keywords count as text
    assert set(d["reviewer"]) == {"slr-rules"}
    assert set(d["protocol_version"]) == {mini.version}


def test_duplicates_are_not_screened(mini):
    works = make_works(
        {"work_id": "A", "title": "Village enterprise"},
        {"work_id": "B", "title": "Village enterprise", "duplicate_of": "A"},
    )
    assert set(screen_rules(works, mini)["work_id"]) == {"A"}


def test_a_work_with_only_some_topic_blocks_goes_to_people_not_out(mini):
    """Where the topic rule is not sure (terms of one block, none of the other), the work gets
    an ``unsure`` decision and waits for a person; PRISMA counts it as awaiting screening."""
    from slr.report.prisma import compute_prisma, prisma_counts
    from slr.tables.decisions import compute_status

    works = make_works(
        {"work_id": "SET", "title": "Village head leadership and development", "publication_year": 2020},
        {"work_id": "ENT", "title": "Digital marketing of UMKM", "publication_year": 2020},
        {"work_id": "OFF", "title": "Stock returns of listed firms", "publication_year": 2020},
        {"work_id": "OLD", "title": "Village leadership", "publication_year": 1990},
    )  # fmt: skip
    d = screen_rules(works, mini, decided_at="2026-01-01T00:00:00Z")
    ta = d[d["stage"] == "title_abstract"].set_index("work_id")
    assert ta.loc["SET", "decision"] == "unsure" and ta.loc["ENT", "decision"] == "unsure"
    assert ta.loc["SET", "reason"] == (
        "IC3 Village enterprise topic: setting: 'Village' (title), but no enterprise term in "
        "title: needs a person"
    )
    assert ta.loc["OFF", "decision"] == "exclude"  # no term of any block: off topic
    # another criterion that excludes wins over "unsure"
    assert "OLD" not in ta.index
    counts = prisma_counts(compute_prisma(works, d, compute_status(works, d), mini))
    assert counts["awaiting_screening"] == 2 and counts["screening_excluded"] == 1
    # a protocol may keep the strict rule
    import yaml

    strict = yaml.safe_load(MINI_PROTOCOL)
    strict["criteria"][3]["rule"]["partial"] = "exclude"
    d = screen_rules(works, parse_protocol(strict))
    assert set(d.loc[d["stage"] == "title_abstract", "decision"]) == {"exclude"}


def test_a_work_with_too_few_themes_waits_for_a_person_when_the_rule_says_so(mini):
    works = make_works(
        {"work_id": "A", "title": "Village cooperative enterprise", "language": "en",
         "publication_year": 2020, "type": "article", "abstract": "Weather records only."},
    )  # fmt: skip
    decisions = screen_rules(works, mini, decided_at="t")
    no_codes = pd.DataFrame(columns=["work_id", "theme_id"])
    ic4 = next(c for c in mini.criteria if c.id == "IC4")
    for too_few in ("exclude", "unsure"):
        rule = ic4.rule.model_copy(update={"too_few": too_few})
        criteria = tuple(
            c.model_copy(update={"rule": rule}) if c.id == "IC4" else c for c in mini.criteria
        )
        protocol = mini.model_copy(update={"criteria": criteria})
        rows = screen_eligibility(works, decisions, no_codes, protocol, decided_at="t")
        assert rows["decision"].tolist() == [too_few] and rows["criterion_id"].tolist() == ["IC4"]
        assert ("a person decides" in rows["reason"].iloc[0]) == (too_few == "unsure")
