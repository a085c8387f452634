"""Fuzzing every reader and the protocol loader (hypothesis): whatever the bytes, slr either
reads them or raises its own error naming the file, never an internal one."""

import gzip
import json
import tempfile
from pathlib import Path

import pytest
from helpers import FIXTURES, MINI_PROTOCOL
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slr.errors import SlrError
from slr.ingest.normalise import assign_work_ids, normalise_source
from slr.ingest.sources import read_source
from slr.protocol import load_protocol
from slr.tables.contracts import WORKS
from slr.tables.io import write_parquet

FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
SEEDS = {
    ".ris": (FIXTURES / "mini" / "records.ris").read_text(encoding="utf-8"),
    ".bib": (FIXTURES / "mini" / "records.bib").read_text(encoding="utf-8"),
    ".csv": (FIXTURES / "mini" / "records.csv").read_text(encoding="utf-8"),
    ".jsonl": json.dumps({"title": "Koperasi desa", "year": 2020, "authors": ["A B"]}) + "\n",
    ".json": json.dumps({"meta": {"count": 1}, "results": [{"id": "https://openalex.org/W1",
                         "title": "Village enterprise", "publication_year": 2020}]}),
    ".yaml": MINI_PROTOCOL,
}  # fmt: skip

# JSON values of every shape, for the fields readers map (wrong types included)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
RECORD_FIELDS = ["title", "abstract", "year", "publication_year", "doi", "authors", "keywords",
                 "language", "type", "venue", "url", "cited_by_count", "is_retracted",
                 "institution_countries", "found_by", "openalex_id", "publication_date"]  # fmt: skip
OPENALEX_FIELDS = ["title", "display_name", "publication_year", "doi", "authorships", "keywords",
                   "language", "type", "primary_location", "abstract_inverted_index",
                   "cited_by_count", "is_retracted", "concepts", "ids", "locations"]  # fmt: skip


def _mutated(seed: str):
    """``seed`` with a few random edits: text inserted, cut out or repeated."""

    @st.composite
    def build(draw):
        text = seed
        for _ in range(draw(st.integers(1, 4))):
            at = draw(st.integers(0, len(text)))
            kind = draw(st.sampled_from(["insert", "cut", "repeat"]))
            if kind == "insert":
                text = text[:at] + draw(st.text(max_size=20)) + text[at:]
            elif kind == "cut":
                text = text[:at] + text[at + draw(st.integers(1, 40)) :]
            else:
                text = text[:at] + text[max(0, at - 30) : at] + text[at:]
        return text

    return build()


def _read(name: str, data: bytes) -> None:
    """Read ``data`` as the file ``name`` all the way to a works table written as parquet;
    any failure must be slr's own error, naming the file."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            if path.suffix == ".yaml":
                load_protocol(path)
                return
            df = assign_work_ids(normalise_source(read_source(path), source_id="fuzz"))
            write_parquet(df, Path(folder) / "works.parquet", WORKS)
        except SlrError as e:
            assert name in str(e), f"the error does not name the file: {e}"


@pytest.mark.parametrize("suffix", sorted(SEEDS))
@FUZZ
@given(data=st.data())
def test_mutated_files_give_slr_errors_only(suffix, data):
    text = data.draw(_mutated(SEEDS[suffix]))
    encoding = data.draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
    _read(f"records{suffix}", text.encode(encoding, errors="surrogatepass"))


@pytest.mark.parametrize("suffix", [".ris", ".bib", ".csv", ".jsonl", ".json", ".yaml", ".gz"])
@FUZZ
@given(raw=st.binary(max_size=600))
def test_random_bytes_give_slr_errors_only(suffix, raw):
    _read(f"records{suffix}", gzip.compress(raw) if suffix == ".gz" else raw)


@FUZZ
@given(
    records=st.lists(st.dictionaries(st.sampled_from(RECORD_FIELDS), JSON), min_size=1, max_size=3)
)
def test_records_with_fields_of_any_type_give_slr_errors_only(records):
    _read("records.jsonl", "\n".join(json.dumps(r) for r in records).encode())


@FUZZ
@given(
    works=st.lists(st.dictionaries(st.sampled_from(OPENALEX_FIELDS), JSON), min_size=1, max_size=3)
)
def test_openalex_works_with_fields_of_any_type_give_slr_errors_only(works):
    page = {
        "meta": {"count": len(works)},
        "results": [{"id": "https://openalex.org/W9", **w} for w in works],
    }
    _read("page.json", json.dumps(page).encode())
