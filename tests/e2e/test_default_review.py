"""The default review (rural community business) end to end, tables only: on the committed
bibliographic facts alone, and with the full records beside the project."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from helpers import ROOT, shared

from slr.cli import main
from slr.tables.io import read_run


def test_default_review_runs_on_the_committed_corpus_alone(tmp_path):
    """The committed bibliographic facts alone (no ../shared): the run works and says so."""
    for part in ("protocols", "corpus"):
        shutil.copytree(ROOT / part, tmp_path / part)
    path = tmp_path / "protocols" / "rural-community-business.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["sources"][2]["enrich_from"] = "missing/records.jsonl"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert main(["-q", "run", str(path), "--run-id", "facts", "--no-report"]) == 0
    run = read_run(tmp_path / "outputs" / "rural-community-business" / "facts")
    assert run["works"]["abstract"].isna().all()
    note = run["sources"].set_index("source_id").loc["hand-search", "note"]
    assert "full records not found" in note and "no abstracts" in note
    assert all(
        v > 0
        for k, v in run["meta"]["prisma"].items()
        if k in ("identified", "duplicates", "screened", "included")
    )


def _full_project(folder: Path) -> Path:
    """A copy of the default review whose hand-search reads the full records in ../shared
    (its own embedding cache, in the copy); its protocol."""
    shared("rural-corpus", "records.jsonl")
    for part in ("protocols", "corpus"):
        shutil.copytree(ROOT / part, folder / part)
    path = folder / "protocols" / "rural-community-business.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["sources"][2]["enrich_from"] = str(
        ROOT.parent / "shared" / "data" / "rural-corpus" / "records.jsonl"
    )
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default review with its full records, tables only, in this process, from a cold
    embedding cache of its own (as a fresh clone runs it)."""
    folder = tmp_path_factory.mktemp("default-full")
    argv = ["-q", "run", str(_full_project(folder)), "--run-id", "full", "--no-report"]
    with pytest.MonkeyPatch.context() as m:
        m.delenv("SLR_CACHE", raising=False)
        assert main(argv) == 0
    return folder / "outputs" / "rural-community-business" / "full"


def _hashes(run_dir: Path) -> dict[str, str]:
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    return {o["path"]: o["sha256"] for o in manifest["outputs"]}


def test_default_review_uses_abstracts_when_the_full_records_are_present(full_run):
    run = read_run(full_run)
    n = run["meta"]["prisma"]
    assert n["identified"] == 373 and n["duplicates"] == 18  # 355 works found by 373 query hits
    for box in ("automation_excluded", "screened", "screening_excluded", "reports_sought",
                "reports_not_retrieved", "reports_assessed", "awaiting_eligibility", "included"):  # fmt: skip
        assert n[box] > 0, box
    # a work the tagger finds no theme in waits for a person (IC4 too_few: unsure)
    assert n["reports_excluded"] == 0
    canonical = run["works"][run["works"]["duplicate_of"].isna()]
    assert canonical["abstract"].notna().sum() > 250
    assert isinstance(run["works"], pd.DataFrame)
    # the automation is measured on people's screening of the validation sample, both halves
    acc = run["screening_accuracy"].set_index("records")
    assert list(acc.index) == ["validation sample", "its test half"]
    assert list(acc["n"]) == [76, 39] and (acc["missed"] <= acc["excluded"]).all()
    for k in ("recall", "precision"):
        assert ((acc[f"{k}_low"] <= acc[k]) & (acc[k] <= acc[f"{k}_high"])).all()
    # the tagger is measured on the coded sample's test split (works never used to tune it)
    coded = run["coding_accuracy"].set_index("theme_id")
    assert set(coded["records"]) == {"test split"} and set(coded["works"]) == {83}
    macro = coded.loc["all themes (macro)"]
    assert macro["f1_low"] <= macro["f1"] <= macro["f1_high"]
    assert set(coded["reliability"]) <= {"measured", "low", "not measured"}
    assert len(run["studies"]) == n["included"]
    # works the topic rule is not sure of wait for people instead of being excluded
    ta = run["decisions"][run["decisions"]["stage"] == "title_abstract"]
    assert (ta["decision"] == "unsure").sum() == n["awaiting_screening"] > 0


def test_default_review_on_a_dask_cluster_writes_the_same_bytes(full_run, tmp_path, monkeypatch):
    """Embedding, tagging and topics on a LocalCluster of 2 worker processes, from a cold
    cache of its own: every output file equals the single-process run's, byte for byte."""
    pytest.importorskip("distributed", reason="slr[dask] is not installed")
    monkeypatch.delenv("SLR_CACHE", raising=False)  # each project computes its embeddings
    path = _full_project(tmp_path)
    argv = ["-q", "run", str(path), "--run-id", "full", "--no-report", "--dask", "local"]
    assert main(argv) == 0
    on_dask = _hashes(tmp_path / "outputs" / "rural-community-business" / "full")
    here = _hashes(full_run)
    assert len(here) > 20 and {"works.parquet", "codes.csv", "topics.csv"} <= set(here)
    assert on_dask == here
    assert (tmp_path / ".cache").is_dir()  # the cache is where slr runs, not on the workers
