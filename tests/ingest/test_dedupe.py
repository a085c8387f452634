"""Duplicates marked (never dropped), the hard cases kept apart, and the labelled real sets."""

import csv
import json

import pytest
from helpers import make_works, shared

from slr.ingest.dedupe import duplicate_pairs, mark_duplicates, split_duplicates
from slr.ingest.normalise import assign_work_ids, normalise_source
from slr.ingest.sources import read_source


def _groups(works):
    return {frozenset(p) for p in duplicate_pairs(works)}


def test_doi_duplicates_are_marked_never_dropped_and_canonical_is_filled():
    works = make_works(
        {
            "work_id": "A",
            "title": "Village cooperatives",
            "doi": "10.1/x",
            "publication_year": 2019,
        },
        {
            "work_id": "B",
            "title": "VILLAGE COOPERATIVES",
            "doi": "10.1/x",
            "abstract": "Long text.",
            "keywords": ["koperasi"],
            "venue": "J",
        },
    )
    out = mark_duplicates(works)
    assert len(out) == 2
    canon = out.set_index("work_id")
    # B is more complete (abstract, keywords, venue), so it is canonical and takes A's year
    assert canon.loc["A", "duplicate_of"] == "B"
    assert canon.loc["A", "duplicate_rule"] == "doi"
    assert canon.loc["B", "publication_year"] == 2019
    assert json.loads(canon.loc["B", "filled_from"]) == {"publication_year": "A"}
    kept, removed = split_duplicates(out)
    assert list(kept["work_id"]) == ["B"] and list(removed["work_id"]) == ["A"]


def test_other_language_version_fills_alternate_title_and_abstract():
    works = make_works(
        {
            "work_id": "EN",
            "title": "Strategy of village-owned enterprises in realising independent villages",
            "authors": ["Siti Aminah", "Budi Santoso"],
            "publication_year": 2020,
            "language": "en",
            "type": "article",
            "abstract": "English abstract.",
            "doi": "10.2/y",
        },
        {
            "work_id": "ID",
            "title": "Strategi badan usaha milik desa dalam mewujudkan desa mandiri",
            "authors": ["Siti Aminah", "Budi Santoso"],
            "publication_year": 2020,
            "language": "id",
            "type": "article",
            "abstract": "Abstrak bahasa Indonesia.",
        },
    )
    out = mark_duplicates(works).set_index("work_id")
    assert out.loc["ID", "duplicate_of"] == "EN"
    assert out.loc["ID", "duplicate_rule"] == "translation"
    assert out.loc["EN", "title_alt"].startswith("Strategi badan usaha")
    assert out.loc["EN", "abstract_alt"] == "Abstrak bahasa Indonesia."
    assert out.loc["EN", "abstract"] == "English abstract."


def test_same_authors_same_language_are_not_translations():
    works = make_works(
        {
            "work_id": "A",
            "title": "Cooperatives in Lombok",
            "authors": ["Hasan L"],
            "publication_year": 2020,
            "language": "en",
            "type": "article",
        },
        {
            "work_id": "B",
            "title": "Tourism villages in Bali",
            "authors": ["Hasan L"],
            "publication_year": 2020,
            "language": "en",
            "type": "article",
        },
    )
    assert _groups(mark_duplicates(works)) == set()


def test_subtitle_lost_is_found_but_companion_papers_are_not():
    works = make_works(
        {
            "work_id": "FULL",
            "title": "Community enterprise in depleted places: evidence from Italy",
            "authors": ["Buratti N"],
            "publication_year": 2022,
        },
        {
            "work_id": "CUT",
            "title": "Community enterprise in depleted places",
            "authors": ["Buratti, N."],
        },
        {
            "work_id": "T1",
            "title": "A randomised trial of village savings groups for rural women",
            "abstract": "We randomised 40 villages to savings groups and followed incomes for two years in Kenya.",
        },
        {
            "work_id": "T2",
            "title": "A randomised trial of village savings groups for rural women: economic evaluation",
            "abstract": "A cost-effectiveness analysis alongside the trial, using societal costs and QALYs over 24 months.",
        },
    )
    groups = _groups(mark_duplicates(works))
    assert groups == {frozenset({"FULL", "CUT"})}


def test_numbered_parts_errata_and_distant_years_are_not_merged():
    works = make_works(
        {"work_id": "P1", "title": "Canadian rural enterprise consensus (Part 1 of 4)"},
        {"work_id": "P2", "title": "Canadian rural enterprise consensus (Part 2 of 4)"},
        {
            "work_id": "A",
            "title": "Towards a common framework for village enterprise support programmes",
        },
        {
            "work_id": "E",
            "title": "Erratum to: Towards a common framework for village enterprise support programmes",
        },
        {"work_id": "Y1", "title": "Annual review", "publication_year": 2001},
        {"work_id": "Y2", "title": "Annual review", "publication_year": 2011},
    )
    assert _groups(mark_duplicates(works)) == set()


def test_a_short_title_does_not_chain_different_works():
    works = make_works(
        {"work_id": "S", "title": "Rural entrepreneurship"},
        {
            "work_id": "L1",
            "title": "Rural entrepreneurship: a systematic review",
            "authors": ["Ekure M"],
        },
        {
            "work_id": "L2",
            "title": "Rural entrepreneurship: challenges in Malaysia",
            "authors": ["Salleh M"],
        },
    )
    assert _groups(mark_duplicates(works)) == set()


def test_different_dois_never_join_one_group():
    works = make_works(
        {
            "work_id": "A",
            "title": "Micro-enterprise growth in coastal villages of Sulawesi",
            "doi": "10.1/a",
        },
        {
            "work_id": "B",
            "title": "Micro-enterprise growth in coastal villages of Sulawesi",
            "doi": "10.1/b",
        },
    )
    assert _groups(mark_duplicates(works)) == set()


def test_unknown_rule_is_refused():
    with pytest.raises(
        ValueError, match="unknown dedupe rules \\['soundex'\\]; valid options: openalex"
    ):
        mark_duplicates(make_works({"title": "x"}), rules=["soundex"])


# ---------------------------------------------------------------- real labelled data
def _truth_groups(links):
    parent = {}

    def find(x):
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for a, b in links:
        parent[find(a)] = find(b)
    groups = {}
    for x in {x for ab in links for x in ab}:
        groups.setdefault(find(x), set()).add(x)
    return {frozenset((a, b)) for g in groups.values() for a in g for b in g if a < b}


def _run(path, fmt):
    src = read_source(path, fmt)
    works = assign_work_ids(normalise_source(src, source_id="t"))
    ids = dict(zip(works["work_id"], (str(r.data["record_id"]) for r in src.records), strict=True))
    pred = {frozenset(ids[w] for w in p) for p in duplicate_pairs(mark_duplicates(works))}
    return src, pred


@pytest.mark.parametrize("name", ["Nagtegaal_2019.csv", "Kitchenham_2010.csv"])
def test_labelled_exact_title_duplicates_are_all_found(name):
    src, pred = _run(shared("screening", name), "asreview-csv")
    truth = _truth_groups(
        [
            (str(r.data["record_id"]), r.data["duplicate_record_id"].strip())
            for r in src.records
            if r.data.get("duplicate_record_id", "").strip()
        ]
    )
    assert truth <= pred  # recall 1.0


def test_hard_duplicates_f1_and_no_wrong_merges():
    folder = shared("dedup")
    src, pred = _run(folder / "records.jsonl", "records-jsonl")
    with open(folder / "truth.csv", encoding="utf-8") as fh:
        truth = _truth_groups([(r["record_id"], r["duplicate_of"]) for r in csv.DictReader(fh)])
    tp = len(pred & truth)
    precision, recall = tp / len(pred), tp / len(truth)
    f1 = 2 * precision * recall / (precision + recall)
    assert pred - truth == set(), "a wrong merge loses a study"
    assert f1 >= 0.95


def _near_titles():
    """Realistic near-duplicate titles: one-character typos (in rare words too), British and
    American spellings, a dropped word, and many unrelated titles sharing common words."""
    base = [
        "Community-based tourism and the livelihoods of rural households in Bali",
        "Village-owned enterprises and local economic development in Central Java",
        "The organisation of labour in women's weaving cooperatives in Lombok",
        "Digital marketing adoption by micro enterprises in rural West Sumatra",
        "Social capital and access to microfinance among smallholder farmers",
    ]
    variants = [
        "Community-based tourism and the livelihods of rural households in Bali",
        "Village-owned enterprises and local economic developement in Central Java",
        "The organization of labor in women's weaving cooperatives in Lombok",
        "Digital marketing adoption by micro enterprises in rural West Sumatera",
        "Social capital and access to micro-finance among smallholder farmers",
    ]
    filler = [
        f"Rural {w} and community development in {p}"
        for w in ("enterprises", "households", "cooperatives", "tourism", "markets", "women")
        for p in ("Java", "Bali", "Lombok", "Sumatra", "Sulawesi", "Papua", "Kalimantan")
    ]
    titles = base + variants + filler
    return make_works(*({"title": t, "publication_year": 2020} for t in titles))


def test_blocked_fuzzy_matching_finds_what_comparing_all_pairs_finds():
    from slr.ingest.match import FUZZY_MIN, all_fuzzy_pairs, fuzzy_pairs, records

    recs = records(_near_titles())
    found = list(fuzzy_pairs(recs, FUZZY_MIN))
    every = all_fuzzy_pairs(recs, FUZZY_MIN)
    assert set(found) == every and len(found) == len(set(found))
    assert {(0, 5), (1, 6), (3, 8)} <= every  # typos and a spelling variant, found
    assert found == sorted(found)  # the order all pairs gave: links are made the same way


def test_blocked_fuzzy_matching_on_real_records():
    from slr.ingest.match import FUZZY_MIN, all_fuzzy_pairs, fuzzy_pairs, records

    for path, fmt in (
        (shared("dedup") / "records.jsonl", "records-jsonl"),
        (shared("screening", "Nagtegaal_2019.csv"), "asreview-csv"),
    ):
        works = assign_work_ids(normalise_source(read_source(path, fmt), source_id="t"))
        recs = records(works)
        assert set(fuzzy_pairs(recs, FUZZY_MIN)) == all_fuzzy_pairs(recs, FUZZY_MIN)


def test_character_count_bound_never_exceeds_the_edit_distance():
    """The bound that drops candidates before scoring must lose no pair: for titles in many
    scripts (more characters than the bound has columns) it stays at most the Indel distance."""
    import random

    from rapidfuzz.distance import Indel

    from slr.ingest.match import _char_counts

    rng = random.Random(7)
    alphabet = (
        "abcdefghijklmnopqrstuvwxyz éüçñ"
        + "αβγδεζηθ"
        + "муниципальный"
        + "農村企業開発"
        + "0123456789"
    )
    titles = ["".join(rng.choice(alphabet) for _ in range(rng.randint(20, 90))) for _ in range(300)]
    titles += [t[:-1] + rng.choice(alphabet) for t in titles[:100]]  # near copies
    counts = _char_counts(titles)
    assert counts.shape == (len(titles), 64) and len(set(alphabet)) > 64
    for _ in range(3000):
        a, b = rng.randrange(len(titles)), rng.randrange(len(titles))
        assert abs(counts[a] - counts[b]).sum() <= Indel.distance(titles[a], titles[b])
    for k in range(100):
        assert abs(counts[k] - counts[300 + k]).sum() <= Indel.distance(titles[k], titles[300 + k])
