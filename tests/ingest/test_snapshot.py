"""The OpenAlex snapshot ingest: the boolean search, a source's filters as DuckDB predicates,
and the real snapshot layout frozen like a harvest and read by a run."""

from pathlib import Path

import pytest
import yaml
from helpers import MINI_PROTOCOL, shared

from slr.cli import main
from slr.errors import HarvestError
from slr.ingest.corpus import collect_sources, read_sources
from slr.ingest.harvest import read_frozen
from slr.ingest.snapshot import parse_search, snapshot_query
from slr.protocol import parse_protocol

QUERY = 'quantum OR (heritage AND crete) OR "wind turbine"'


def _words(text: str) -> str:
    return " " + " ".join(text.lower().replace("-", " ").split()) + " "


def test_the_boolean_search_and_or_not_phrases_and_precedence():
    s = parse_search('(village OR desa) AND "micro enterprise" NOT urban')
    assert s.matches(_words("Village micro-enterprise growth"))
    assert not s.matches(_words("Village micro-enterprise in an urban fringe"))
    assert not s.matches(_words("Village enterprise micro finance"))  # the phrase is in order
    implicit = parse_search("rural tourism OR homestay")  # AND binds tighter than OR
    assert implicit.matches(_words("homestay")) and not implicit.matches(_words("rural"))
    assert parse_search(QUERY).prefilter() == (
        "(contains(low, 'quantum') OR (contains(low, 'heritage') AND contains(low, 'crete')) OR "
        "(contains(low, 'wind') AND contains(low, 'turbine')))"
    )
    assert parse_search("rural OR NOT urban").prefilter() is None  # anything may match
    for bad, message in (("(rural", "not closed"), ("rural AND", "missing"), ("", "empty")):
        with pytest.raises(HarvestError, match=message):
            parse_search(bad)


def _project(tmp_path: Path, flt: dict) -> Path:
    spec = yaml.safe_load(MINI_PROTOCOL)
    spec["sources"] = [{"id": "snap", "type": "openalex", "filter": flt}]
    path = tmp_path / "protocols" / "mini.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def test_filters_the_snapshot_cannot_apply_are_refused_by_name(tmp_path):
    protocol = parse_protocol(
        yaml.safe_load(_project(tmp_path, {"cited_by_count": ">10"}).read_text()), path=tmp_path
    )
    with pytest.raises(HarvestError, match="'cited_by_count' cannot be applied.*publication_year"):
        snapshot_query(protocol.sources[0])
    where = snapshot_query(
        protocol.sources[0].model_copy(
            update={"filter": {"language": "!en", "type": "article|review"}}
        )
    ).where
    assert "NOT (lower(json_extract_string(raw, '$.language')) = 'en')" in where
    assert " OR " in where


def test_the_real_snapshot_is_ingested_frozen_and_read_by_a_run(tmp_path, capsys):
    snapshot = shared("openalex", "snapshot-sample")
    path = _project(
        tmp_path,
        {"title_and_abstract.search": QUERY, "publication_year": "2000-2026", "language": "en"},
    )
    assert main(["-q", "ingest-snapshot", str(path), str(snapshot)]) == 0
    out = capsys.readouterr().out
    assert "snap: 4 works from 1 part files of the 465 its manifest lists" in out
    protocol = parse_protocol(yaml.safe_load(path.read_text()), path=path)
    folder = path.parent.parent / "corpus" / "mini" / "openalex" / "snap"
    records, manifest = read_frozen(folder)
    titles = [r.data["display_name"] for r in records]
    assert titles == [
        "Anderson Transition in a Quantum Gas Signatures and Characterization",
        "House Architecture and Heritage in modern Crete",
        "Excited and exotic hadron resonances from Quantum Chromodynamics",
        "Closed-Loop Flow Control to Enhance Aerodynamic and Aeroacoustic Performance of "
        "Wind-Turbine Blades",
    ]
    # a harvest's manifest fields, and the snapshot's partitions read
    for key in ("source_id", "query", "url", "per_page", "meta_count", "n_results", "n_unique",
                "pages", "started_at", "finished_at", "complete", "slr_version", "protocol_hash"):  # fmt: skip
        assert key in manifest, key
    assert manifest["complete"] and manifest["n_unique"] == 4
    assert manifest["snapshot"]["parts_read"] == [
        {"partition": "updated_date=2023-05-16", "file": "part_000.gz", "bytes": 6937}
    ]
    works, sources = read_sources(protocol, collect_sources(protocol))
    assert len(works) == 4 and set(works["publication_year"]) <= set(range(2000, 2027))
    assert sources.set_index("source_id").loc["snap", "n_records"] == 4


def test_a_folder_that_is_not_a_snapshot_is_refused(tmp_path, capsys):
    path = _project(tmp_path, {"title.search": "quantum"})
    assert main(["-q", "ingest-snapshot", str(path), str(tmp_path)]) == 1
    assert "not an OpenAlex snapshot (no data/works/ folder" in capsys.readouterr().err


def test_too_little_memory_for_duckdb_is_one_clear_error_and_nothing_is_frozen(tmp_path, capsys):
    path = _project(tmp_path, {"title.search": "quantum"})
    snapshot = shared("openalex", "snapshot-sample")
    assert main(["-q", "ingest-snapshot", str(path), str(snapshot), "--memory-limit", "1MB"]) == 1
    err = capsys.readouterr().err
    assert "ran out of its 1MB memory limit; give it more (--memory-limit)" in err
    assert not (path.parent.parent / "corpus" / "mini" / "openalex" / "snap").exists()
