"""What the tests share: where the real data and the fixtures are, a tiny protocol, and small
works tables and protocols built from dicts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from slr.ingest.normalise import assign_work_ids
from slr.protocol import Protocol, parse_protocol
from slr.tables.schema import WORKS, conform

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
