"""The seed article: claims checked against the coded corpus; references audited against the
corpus and (online, through a replay server here) OpenAlex."""

import json
from urllib.parse import parse_qsl, urlsplit

import pandas as pd
import pytest
from helpers import ROOT, SEED_ARTICLE, make_works
from replay import ReplayServer

from slr.errors import ProtocolError
from slr.ingest.harvest import lookup_references
from slr.ingest.openalex import HarvestSettings
from slr.layout import ReviewPaths
from slr.protocol import load_protocol, parse_protocol
from slr.report.seed import claim_margin, compute_claim_check, compute_reference_audit
from slr.tables.decisions import compute_status


@pytest.fixture
def seeded(mini_project):
    path = mini_project / "protocols" / "mini.yaml"
    path.write_text(path.read_text(encoding="utf-8") + SEED_ARTICLE, encoding="utf-8")
    return load_protocol(path)


def _tables(ids):
    works = make_works(*({"work_id": w, "title": f"Work {w}"} for w in ids))
    decisions = pd.DataFrame(
        {"work_id": ids, "stage": "eligibility", "decision": "include", "criterion_id": "IC4",
         "reason": "", "reviewer": "r", "decided_at": "run", "protocol_version": "1"}
    )  # fmt: skip
    return works, compute_status(works, decisions)


def test_claim_status_follows_the_parts_found(seeded):
    works, status = _tables(["a", "b", "c", "d"])  # need max(2, 25 % of 4) = 2 works
    codes = pd.DataFrame(
        {"work_id": ["a", "b", "a", "c"], "theme_id": ["S01", "S01", "P01", "C01"],
         "evidence": "e", "source_field": "abstract", "method": "terms: x", "score": 1.0,
         "coder": "c", "coded_at": "run", "protocol_version": "1"}
    )  # fmt: skip
    places = pd.DataFrame({"work_id": ["a", "b"], "kind": "province", "place": ["Bali", "Bali"]})
    t = compute_claim_check(works, status, codes, seeded, places).set_index("claim_id")
    assert t.loc["SC1", "status"] == "mixed"  # S01 in 2 works, S02 in none
    assert t.loc["SC1", "parts"] == "S01 Cooperatives: 2; S02 Training: 0"
    assert t.loc["SC2", "status"] == "not found"  # P01 in one work only
    assert t.loc["SC3", "status"] == "not found"
    assert t.loc["SC4", "status"] == "supported" and t.loc["SC4", "works"] == 2
    assert set(t["needed"]) == {2}
    # SC1 mixed: S02 needs 2 more works (→ supported), S01 loses 1 (→ not found): the nearer
    assert (t.loc["SC1", "margin"], t.loc["SC1", "flip"]) == (
        1,
        "1 fewer works with S01 → not found",
    )
    assert t.loc["SC2", "flip"] == "1 more works with P01 → supported"
    assert t.loc["SC4", "margin"] == 1


def test_claim_margin_counts_the_nearest_change():
    assert claim_margin({"A": 10, "B": 9}, 5) == (5, "5 fewer works with B → mixed")
    assert claim_margin({"A": 10, "B": 1}, 5) == (4, "4 more works with B → supported")
    assert claim_margin({"A": 7, "B": 7, "C": 1}, 5) == (4, "4 more works with C → supported")
    assert claim_margin({"A": 5, "B": 5, "C": 1}, 5) == (
        2,
        "2 fewer works with A and B → not found",
    )
    assert claim_margin({"A": 0, "B": 3}, 5) == (2, "2 more works with B → mixed")
    assert claim_margin({"A": 5}, 5) == (1, "1 fewer works with A → not found")


def test_claims_naming_unknown_themes_are_refused(seeded):
    data = seeded.model_dump(mode="json", exclude={"path"})
    data["seed_article"]["claims"][0]["themes"] = ["Z09"]
    with pytest.raises(ProtocolError, match="unknown theme"):
        parse_protocol(data)


def _openalex_work(title, year, venue, doi):
    return {"id": f"https://openalex.org/W{abs(hash(title)) % 10**8}", "title": title,
            "publication_year": year, "doi": doi,
            "primary_location": {"source": {"display_name": venue}}}  # fmt: skip


def test_references_are_audited_offline_then_online(seeded, loopback_only):
    works = make_works(
        {"work_id": "x", "title": "Participatory rural appraisal (PRA): analysis of experience"}
    )
    offline = compute_reference_audit(works, seeded).set_index("ref_id")
    assert offline.loc["R1", "in_corpus"] == "yes (x)" and offline.loc["R2", "in_corpus"] == "no"
    assert offline["openalex"].str.startswith("not checked (offline").all()

    answers = {
        "R1": _openalex_work("Participatory rural appraisal (PRA): Analysis of experience", 1994,
                             "World Development", "https://doi.org/10.1016/0305-750x(94)90003-5"),
        "R2": _openalex_work("Localizing Development: Does Participation Work?", 2013,
                             "World Bank eBooks", "https://doi.org/10.1596/978-0-8213-8256-1"),
    }  # fmt: skip
    with ReplayServer() as server:
        for ref in seeded.seed_article.references:
            from pyalex import Works

            flt = dict(parse_qsl(urlsplit(Works().search_filter(title=ref.title).url).query))
            hit = answers.get(ref.id)
            server.add_listing(filter=flt["filter"], works=[hit] if hit else [])
        record = lookup_references(seeded, settings=HarvestSettings(base_url=server.url))
    assert all(r.client == "127.0.0.1" for r in server.requests)
    saved = json.loads(ReviewPaths.of(seeded).reference_lookup.read_text())
    assert saved["results"] == record["results"] and record["results"]["R3"] is None
    online = compute_reference_audit(works, seeded, online=record["results"]).set_index("ref_id")
    assert "DOI https://doi.org/10.1016/0305-750x(94)90003-5" in online.loc["R1", "findings"]
    assert "year printed 2019, OpenAlex 2013" in online.loc["R2", "findings"]
    assert online.loc["R3", "openalex"] == "not found"


def test_an_outcome_counts_works_whose_result_sentences_name_it():
    protocol = load_protocol(ROOT / "protocols" / "rural-community-business.yaml")
    ids = ["a", "b", "c", "d"]
    works = make_works(
        *(
            {"work_id": w, "title": f"Work {w}",
             "abstract": "This study aims to describe a village. The results show that "
             "household income rose."}
            for w in ids[:3]
        ),
        {"work_id": "d", "title": "Work d",
         "abstract": "Income is a goal of many programmes. This study aims to map them."},
    )  # fmt: skip
    _, status = _tables(ids)
    codes = pd.DataFrame(columns=["work_id", "theme_id", "evidence", "score"])
    t = compute_claim_check(works, status, codes, protocol).set_index("claim_id")
    sc = t.loc["SC18"]  # income, jobs, social capacity; 3 works needed
    assert sc["parts"] == "outcome income: 3; outcome jobs: 0; outcome social capacity: 0"
    assert sc["status"] == "mixed" and "household income rose" in sc["evidence"]
