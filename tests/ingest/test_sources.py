"""Source files read into raw records, the real exports among them; malformed files named."""

import gzip
import json

import pytest
from helpers import FIXTURES, shared

from slr.errors import SourceError
from slr.ingest.sources import detect_format, read_source


# ---------------------------------------------------------------- RIS
@pytest.mark.parametrize(
    "name",
    [
        "AIscreenR_incl_tutorial.ris",
        "AIscreenR_excl_tutorial.ris",
        "ECEC_child_ratio_qual_included_on_title_abstract.ris",
        "ECEC_child_ratio_qual_excluded_on_title_abstract.ris",
    ],
)
def test_real_ris_exports_read_every_record(name):
    path = shared("screening", "ris", name)
    text = path.read_bytes().decode("utf-8")
    expected = sum(1 for line in text.splitlines() if line.startswith("TY  - "))
    src = read_source(path)
    assert src.format == "ris"
    assert len(src.records) == expected
    # CR CR LF line ends (EPPI) leave no carriage returns in values
    assert not any("\r" in str(v) for r in src.records for v in r.data.values())
    assert src.records[0].locator == "record 1 (line 1)"


def test_ris_multiline_values_and_quirks():
    src = read_source(FIXTURES / "mini" / "records.ris")
    assert len(src.records) == 5
    first = src.records[0].data
    assert first["abstract"].endswith("regular meetings grew faster.")  # continuation line kept
    assert first["authors"] == ["Wibowo, Adi", "Lestari, Sri"]


def test_ris_missing_er_names_the_record_and_line(tmp_path):
    bad = tmp_path / "bad.ris"
    bad.write_text(
        "TY  - JOUR\nTI  - One\nER  - \n\nTY  - JOUR\nTI  - Two\n\nTY  - JOUR\nTI  - Three\nER  - \n",
        encoding="utf-8",
    )
    with pytest.raises(
        SourceError, match=r"bad\.ris: line 8: record 3 starts before record 2 \(line 5\) has ended"
    ):
        read_source(bad)


def test_ris_truncated_last_record(tmp_path):
    bad = tmp_path / "cut.ris"
    bad.write_text("TY  - JOUR\nTI  - One\nER  - \nTY  - JOUR\nTI  - Tw", encoding="utf-8")
    with pytest.raises(
        SourceError, match=r"line 4: record 2 has no `ER  - ` line \(the file may be truncated\)"
    ):
        read_source(bad)


def test_ris_text_outside_a_record(tmp_path):
    bad = tmp_path / "junk.ris"
    bad.write_text("Exported by a tool\nTY  - JOUR\nTI  - One\nER  - \n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"junk\.ris: line 1: text outside a record"):
        read_source(bad)


# ---------------------------------------------------------------- BibTeX
def test_bibtex_entries_with_latex_and_fields():
    src = read_source(FIXTURES / "mini" / "records.bib")
    assert src.format == "bibtex"
    assert [r.data["ID"] for r in src.records] == ["wibowo2019", "sari2017", "hasan2022"]
    assert src.records[1].data["ENTRYTYPE"] == "article"
    assert src.records[2].data["booktitle"] == "Prosiding Seminar Ekonomi Desa"


def test_bibtex_latex_is_decoded(tmp_path):
    f = tmp_path / "x.bib"
    f.write_text(
        "@article{m1, title={M{\\\"u}ller and the {\\'e}cole}, year={2020}}\n", encoding="utf-8"
    )
    assert read_source(f).records[0].data["title"] == "Müller and the école"


def test_bibtex_malformed_entry_names_its_line(tmp_path):
    f = tmp_path / "bad.bib"
    f.write_text(
        "@article{ok1, title={Fine}, year={2020}}\n\n@article{broken,\n  title={Never closed\n  year=2020,\n}\n"
        "@misc{ok2, title={Also fine}}\n",
        encoding="utf-8",
    )
    with pytest.raises(SourceError, match=r"bad\.bib: line 3: cannot parse this BibTeX entry"):
        read_source(f)


# ---------------------------------------------------------------- CSV (ASReview)
@pytest.mark.parametrize(
    "name,n",
    [
        ("Nagtegaal_2019.csv", 2019),
        ("Kitchenham_2010.csv", 1704),
        ("Cohen_2006_ADHD.csv", 851),
        ("Dalgaard2022_ECEC_child_ratio_qualitative_TA.csv", 1166),
    ],
)
def test_real_asreview_csvs(name, n):
    src = read_source(shared("screening", name))
    assert src.format == "asreview-csv"
    assert len(src.records) == n
    assert "label_included" in src.records[0].data


def test_csv_with_a_short_row_names_the_line(tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text('title,abstract,year\nA,"x",2020\nB,2021\n', encoding="utf-8")
    with pytest.raises(SourceError, match=r"bad\.csv: line 3: 2 fields where the header has 3"):
        read_source(f)


def test_csv_without_title_or_abstract_column(tmp_path):
    f = tmp_path / "nocols.csv"
    f.write_text("name,value\na,1\n", encoding="utf-8")
    with pytest.raises(SourceError, match="no title, abstract or doi column"):
        read_source(f)


def test_csv_with_unclosed_quote(tmp_path):
    f = tmp_path / "quote.csv"
    f.write_text('title,abstract\n"A,"x\nB,y\n', encoding="utf-8")
    with pytest.raises(SourceError, match=r"quote\.csv: line \d+"):
        read_source(f)


# ---------------------------------------------------------------- OpenAlex
def test_openalex_list_page_single_work_and_jsonl():
    page = read_source(
        shared(
            "openalex", "recorded-api", "pipeline_doi_chunks", "json_chunk_1_results_page_1.json"
        )
    )
    assert page.format == "openalex-json" and len(page.records) == 50
    assert page.records[3].locator == "results[3]"
    single = read_source(shared("openalex", "single-work", "W2741809807.json"))
    assert len(single.records) == 1 and single.records[0].data["id"].endswith("W2741809807")
    lines = read_source(shared("openalex", "works", "works_351.jsonl"))
    assert lines.format == "openalex-jsonl" and len(lines.records) == 351


def test_terminal_cursor_page_has_no_records():
    page = read_source(
        shared(
            "openalex", "recorded-api", "pipeline_doi_chunks", "json_chunk_1_results_page_2.json"
        )
    )
    assert page.records == []


def test_truncated_json_page_names_line_and_column(tmp_path):
    src = shared(
        "openalex", "recorded-api", "pipeline_doi_chunks", "json_chunk_1_results_page_1.json"
    )
    cut = tmp_path / "cut.json"
    cut.write_bytes(src.read_bytes()[:5000])
    with pytest.raises(
        SourceError, match=r"cut\.json: line \d+, column \d+: not valid JSON .*truncated"
    ):
        read_source(cut)


def test_jsonl_bad_line_is_named(tmp_path):
    f = tmp_path / "w.jsonl"
    f.write_text(
        '{"id": "https://openalex.org/W1", "title": "a"}\n{"id": "W2", \n', encoding="utf-8"
    )
    with pytest.raises(SourceError, match=r"w\.jsonl: line 2, column \d+: not valid JSON"):
        read_source(f)


def test_snapshot_part_file():
    part = shared(
        "openalex", "snapshot-sample", "data", "works", "updated_date=2023-05-16", "part_000.gz"
    )
    src = read_source(part)
    assert src.format == "openalex-snapshot"
    assert len(src.records) == 27


def test_truncated_snapshot_is_an_error(tmp_path):
    part = shared(
        "openalex", "snapshot-sample", "data", "works", "updated_date=2023-05-16", "part_000.gz"
    )
    cut = tmp_path / "part_cut.gz"
    cut.write_bytes(part.read_bytes()[: part.stat().st_size // 2])
    with pytest.raises(SourceError, match=r"part_cut\.gz: the gzip stream is damaged or truncated"):
        read_source(cut)


def test_snapshot_bad_json_line(tmp_path):
    f = tmp_path / "part_001.gz"
    with gzip.open(f, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "https://openalex.org/W1"}) + "\n{not json\n")
    with pytest.raises(SourceError, match=r"line 2"):
        read_source(f)


def test_records_jsonl_is_told_from_openalex_jsonl(tmp_path):
    f = tmp_path / "r.jsonl"
    f.write_text(json.dumps({"title": "x", "found_by": ["q"]}) + "\n", encoding="utf-8")
    assert detect_format(f) == "records-jsonl"


def test_unknown_format_and_missing_file(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("hello", encoding="utf-8")
    with pytest.raises(SourceError, match="cannot tell the file's format"):
        read_source(f)
    with pytest.raises(SourceError, match="file not found"):
        read_source(tmp_path / "nope.ris")
    with pytest.raises(SourceError, match="unknown format 'endnote'; valid options: ris, bibtex"):
        read_source(FIXTURES / "mini" / "records.ris", "endnote")


# ---------------------------------------------------------------- encodings and odd inputs
RIS = "TY  - JOUR\nTI  - Koperasi desa \u2014 caf\u00e9 owners\nPY  - 2020\nER  - \n"


@pytest.mark.parametrize(
    "codec", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le-bom", "utf-16-be-bom"]
)
@pytest.mark.parametrize("suffix", [".ris", ".jsonl", ".csv"])
def test_utf8_and_utf16_with_a_byte_order_mark_are_read_alike(tmp_path, codec, suffix):
    text = {
        ".ris": RIS,
        ".jsonl": json.dumps({"title": "Koperasi desa \u2014 caf\u00e9 owners", "year": 2020},
                             ensure_ascii=False) + "\n",
        ".csv": "title,year\nKoperasi desa \u2014 caf\u00e9 owners,2020\n",
    }[suffix]  # fmt: skip
    boms = {"utf-16-le-bom": ("\ufeff", "utf-16-le"), "utf-16-be-bom": ("\ufeff", "utf-16-be")}
    bom, encoding = boms.get(codec, ("", codec))
    path = tmp_path / f"records{suffix}"
    path.write_bytes((bom + text).encode(encoding))
    records = read_source(path).records
    assert len(records) == 1
    assert "Koperasi desa \u2014 caf\u00e9 owners" in json.dumps(
        records[0].data, ensure_ascii=False
    )


@pytest.mark.parametrize("suffix", [".ris", ".jsonl", ".csv"])
def test_other_encodings_are_refused_naming_the_file_line_and_byte(tmp_path, suffix):
    path = tmp_path / f"records{suffix}"
    path.write_bytes(("title\n" + "caf\u00e9\n").encode("cp1252"))
    with pytest.raises(
        SourceError, match=rf"records\{suffix}: line 2: not UTF-8 text \(byte 0xe9\)"
    ):
        read_source(path)
    bare = tmp_path / f"bare{suffix}"
    bare.write_bytes(RIS.encode("utf-16-le"))  # UTF-16 without its byte-order mark
    with pytest.raises(SourceError, match="looks like UTF-16 without a byte-order mark"):
        read_source(bare)


def test_a_folder_is_not_a_file(tmp_path):
    with pytest.raises(SourceError, match="a folder, not a file"):
        read_source(tmp_path)
