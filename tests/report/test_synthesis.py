"""How the report cites a work: authors and year as the source gives them, never its venue as an
author."""

import pandas as pd

from slr.report.synthesis import cite


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
