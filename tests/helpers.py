"""What the tests share: where the real data and the fixtures are, a tiny protocol, and small
works tables and protocols built from dicts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from slr.ingest.normalise import assign_work_ids
from slr.protocol import Protocol, parse_protocol
from slr.tables.contracts import WORKS
from slr.tables.schema import conform

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared" / "data"


def shared(*parts: str) -> Path:
    """A path under ../shared/data; skips the test with a clear reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs the real data at {path} (../shared/data is not beside this clone)")
    return path


MINI_PROTOCOL = """
review:
  id: mini
  title: Mini review of village enterprise
  version: 0.1.0
  questions: {RQ1: "Potentials?", RQ2: "Challenges?", RQ3: "Strategies?"}
languages:
  en: {name: English, function_words: [the, and, of, in, is, for, with]}
  id: {name: Indonesian, function_words: [yang, dan, di, dengan, untuk, ini, dalam]}
groups:
  - {id: potential, label: potentials, question: RQ1, colour: "#2a9d8f"}
  - {id: challenge, label: challenges, question: RQ2, colour: "#e76f51", cues: near_problem}
  - {id: strategy, label: strategies, question: RQ3, colour: "#264653"}
sources:
  - id: oa
    type: openalex
    filter: {title.search: village enterprise}
    prisma_group: databases
  - id: ris
    type: file
    path: corpus/mini/records.ris
    prisma_group: databases
  - id: bib
    type: file
    path: corpus/mini/records.bib
    prisma_group: other
  - id: csv
    type: file
    path: corpus/mini/records.csv
    prisma_group: websites
criteria:
  - {id: IC1, label: 2000 or later, stage: automation, rule: {kind: year, min: 2000}}
  - {id: IC2, label: English or Indonesian, stage: automation, rule: {kind: language, allowed: [en, id]}}
  - {id: EC1, label: Not scholarly, stage: automation, rule: {kind: type, excluded: [editorial, erratum, other]}}
  - id: IC3
    label: Village enterprise topic
    stage: title_abstract
    rule: {kind: topic, all_of: {setting: [village*, desa, rural, communit*], enterprise: [enterprise*, usaha, umkm, business*, cooperative*, koperasi]}}
  - {id: IC4, label: Evidence on a theme, stage: eligibility, rule: {kind: codebook, min_themes: 1}}
codebook:
  - {id: P01, group: potential, label: Social capital, definition: Trust and norms., terms: {en: [social capital, trust], id: [modal sosial, kepercayaan]}}
  - {id: C01, group: challenge, label: Access to capital, definition: Finance constraints., terms: {en: [access to capital, lack of capital, collateral], id: [keterbatasan modal, akses permodalan]}}
  - {id: S01, group: strategy, label: Cooperatives, definition: Cooperatives., terms: {en: [cooperative*], id: [koperasi]}}
  - {id: S02, group: strategy, label: Training, definition: Training and mentoring., terms: {en: [training, mentoring], id: [pelatihan, pendampingan]}}
"""


def make_works(*records: dict, source_id: str = "test") -> pd.DataFrame:
    rows = []
    for n, rec in enumerate(records, start=1):
        row = {
            "source_id": source_id,
            "source_format": "records-jsonl",
            "source_record": f"line {n}",
            "work_id": "",
        }
        row.update(rec)
        rows.append(row)
    works = conform(pd.DataFrame(rows), WORKS)
    if all(r.get("work_id") for r in records):
        return works
    return assign_work_ids(works)


def make_protocol(folder, *, review_id: str = "h", **openalex_source) -> Protocol:
    """A minimal valid protocol at ``folder/protocols/`` with one OpenAlex source ``oa``."""
    data = {
        "review": {
            "id": review_id,
            "title": "t",
            "questions": {"RQ1": "a", "RQ2": "b", "RQ3": "c"},
        },
        "languages": {"en": {"name": "English"}},
        "groups": [{"id": "potential", "label": "potentials", "question": "RQ1"}],
        "sources": [{"id": "oa", "type": "openalex", **openalex_source}],
        "criteria": [{"id": "IC1", "label": "x"}],
        "codebook": [
            {
                "id": "P01",
                "group": "potential",
                "label": "l",
                "definition": "d",
                "terms": {"en": ["x"]},
            }
        ],
    }
    (folder / "protocols").mkdir(exist_ok=True)
    return parse_protocol(data, path=folder / "protocols" / f"{review_id}.yaml")


# the mini review's seed article (claims, references) and its gazetteer
SEED_ARTICLE = """
screening: {validation: corpus/mini/screening-validation.csv}
coding: {validation: corpus/mini/coding-validation.csv}
places:
  countries: {Indonesia: [indonesia]}
  regions: {Bali: [bali]}
  region_kind: province
  region_country: Indonesia
seed_article:
  citation: Someone (2025)
  min_works: 2
  min_share: 0.25
  claims:
    - {id: SC1, text: "Cooperatives and training both matter.", themes: [S01, S02]}
    - {id: SC2, text: "Social capital matters.", themes: [P01]}
    - {id: SC3, text: "Access to capital is central.", themes: [C01]}
    - {id: SC4, text: "Best practice in Bali.", places: [Bali]}
  references:
    - {id: R1, authors: "Chambers, R.", year: 1994, title: "Participatory Rural Appraisal (PRA): Analysis of Experience", venue: World Development}
    - {id: R2, authors: World Bank, year: 2019, title: "Localizing Development: Does Participation Work?", venue: World Bank}
    - {id: R3, authors: "Nobody, A.", year: 2021, title: A Study That Does Not Exist, venue: Nowhere}
"""


# people's screening of a sample of the mini review (its works' IDs), in two strata
SCREENING_SAMPLE = """work_id,language,stratum,stratum_size,split,decision,criterion_id,reason
Rdd67df8e99f5,en,title_abstract:include,7,test,include,IC3,village cooperatives and trust
R0e1bba268b82,id,title_abstract:include,7,tune,include,IC3,entrepreneurship training in villages
Re56d909020f1,en,title_abstract:include,7,test,exclude,EC3,maps of business premises only
R19cb2af1e510,en,title_abstract:exclude,1,test,exclude,IC3,stock markets of listed firms
"""


# people's coding of some of the mini review's works: tune and test halves
CODING_SAMPLE = """work_id,language,themes,split
Rdd67df8e99f5,en,S01 P01,test
R0e1bba268b82,id,S02,test
Re56d909020f1,en,,tune
"""


def write_mini_project(folder: Path, *, seed_article: bool = False) -> Path:
    """A tiny review project in ``folder``: the mini protocol (with its seed article, gazetteer
    and screening validation sample when asked) and its RIS/BibTeX/CSV sources, written for
    these tests."""
    (folder / "protocols").mkdir(parents=True)
    text = MINI_PROTOCOL + (SEED_ARTICLE if seed_article else "")
    (folder / "protocols" / "mini.yaml").write_text(text, encoding="utf-8")
    corpus = folder / "corpus" / "mini"
    corpus.mkdir(parents=True)
    for name in ("records.ris", "records.bib", "records.csv"):
        shutil.copy(FIXTURES / "mini" / name, corpus / name)
    if seed_article:
        (corpus / "screening-validation.csv").write_text(SCREENING_SAMPLE, encoding="utf-8")
        (corpus / "coding-validation.csv").write_text(CODING_SAMPLE, encoding="utf-8")
    return folder


def screening_works() -> pd.DataFrame:
    """Six on-topic works (R0–R5) and fourteen off-topic ones (X0–X13), for screening."""
    rel = [
        {
            "work_id": f"R{i}",
            "title": f"Village cooperative enterprise study {i}",
            "abstract": "Koperasi desa and trust.",
        }
        for i in range(6)
    ]
    irr = [
        {
            "work_id": f"X{i}",
            "title": f"Listed firms stock volatility {i}",
            "abstract": "Market returns.",
        }
        for i in range(14)
    ]
    return make_works(*rel, *irr)
