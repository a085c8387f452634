"""Shared test fixtures: the real data beside the project, a tiny review project, a replay server."""

from __future__ import annotations

import json
import shutil
import socket
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(Path(__file__).resolve().parent))


def shared(*parts: str) -> Path:
    """A path under ../shared/data; skips the test with a clear reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs the real data at {path} (../shared/data is not beside this clone)")
    return path


@pytest.fixture
def works_351() -> list[dict]:
    path = shared("openalex", "works", "works_351.jsonl")
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()
    ]


MINI_PROTOCOL = """
review:
  id: mini
  title: Mini review of village enterprise
  version: 0.1.0
  questions: {RQ1: "Potentials?", RQ2: "Challenges?", RQ3: "Strategies?"}
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


@pytest.fixture
def mini_project(tmp_path: Path) -> Path:
    """A tiny review project (protocol + RIS/BibTeX/CSV sources written for these tests)."""
    (tmp_path / "protocols").mkdir()
    (tmp_path / "protocols" / "mini.yaml").write_text(MINI_PROTOCOL, encoding="utf-8")
    corpus = tmp_path / "corpus" / "mini"
    corpus.mkdir(parents=True)
    for name in ("records.ris", "records.bib", "records.csv"):
        shutil.copy(FIXTURES / "mini" / name, corpus / name)
    return tmp_path


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Fail any socket connection that is not to 127.0.0.1; return the addresses connected to."""
    seen: list[tuple] = []
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address):  # type: ignore[no-untyped-def]
        if isinstance(address, tuple):
            seen.append(address)
            if address[0] not in ("127.0.0.1", "::1", "localhost"):
                raise AssertionError(f"a test tried to reach {address}, not 127.0.0.1")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    return seen
