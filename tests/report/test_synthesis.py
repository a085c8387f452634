"""How the report cites a work: authors and year as the source gives them, never its venue as an
author."""

import pandas as pd
from helpers import make_works

from slr.report.synthesis import cite, compute_study_characteristics


def _work(**fields):
    base = {"authors": [], "title": None, "venue": None, "publication_year": pd.NA}
    return pd.Series({**base, **fields})


def test_a_work_is_cited_by_its_authors_and_year():
    assert cite(_work(authors=["Wibowo, A."], publication_year=2019)) == "Wibowo (2019)"
    assert cite(_work(authors=["Wibowo, A.", "Lestari, S."], publication_year=2019)) == (
        "Wibowo & Lestari (2019)"
    )
    assert cite(_work(authors=["A B", "C D", "E F"])) == "B et al. (n.d.)"


def test_without_authors_the_title_stands_in_and_the_venue_never_does():
    work = _work(title="The Role of BUMDES in the Economic Empowerment of Villages",
                 venue="Universitas Sumatera Utara", publication_year=2021)  # fmt: skip
    assert cite(work) == "“The Role of BUMDES in…” (2021)"
    assert "Universitas" not in cite(work)
    assert cite(_work(title="Koperasi desa")) == "“Koperasi desa” (n.d.)"
    assert cite(_work()) == "Anon. (n.d.)"  # only when the source gives neither


def test_study_characteristics_carry_year_and_countries_named():
    works = make_works(
        {"work_id": "a", "title": "A", "publication_year": 2020, "authors": ["Sari, D."]},
        {"work_id": "b", "title": "B"},
    )
    studies = pd.DataFrame({"work_id": ["a", "b"], "design": ["survey", "not stated"]})
    places = pd.DataFrame(
        {"work_id": ["a", "a", "b"], "kind": ["country", "province", "country"],
         "place": ["Indonesia", "Bali", "not stated"]}
    )  # fmt: skip
    t = compute_study_characteristics(works, studies, places).set_index("citation")
    assert t.loc["Sari (2020)", "country"] == "Indonesia" and t.loc["Sari (2020)", "year"] == "2020"
    assert (
        t.iloc[0]["design"] == "not stated"
        and t.iloc[0]["year"] == ""
        and t.iloc[0]["country"] == ""
    )
