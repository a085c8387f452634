from pathlib import Path

from helpers import make_works

from slr.coding import code_works
from slr.protocol import load_protocol
from slr.text import compile_term, split_sentences

ROOT = Path(__file__).resolve().parent.parent
PROTOCOL = load_protocol(ROOT / "protocols" / "rural-community-business.yaml")


def _codes(**rec):
    works = make_works({"work_id": "W", "title": "A study", **rec})
    codes = code_works(works, PROTOCOL, coded_at="2026-01-01T00:00:00Z")
    return {r.theme_id: r for r in codes.itertuples()}


def test_english_evidence_sentence_is_kept():
    codes = _codes(
        abstract="We studied 40 craft villages in Java. Members pooled savings in an arisan and a "
        "revolving fund. Trust among members was high."
    )
    assert codes["S05"].evidence == "Members pooled savings in an arisan and a revolving fund."
    assert codes["S05"].source_field == "abstract"
    assert "arisan" in codes["S05"].method and "revolving fund*" in codes["S05"].method
    assert codes["P01"].evidence == "Trust among members was high."


def test_indonesian_terms_and_fields():
    codes = _codes(
        title="Peran BUMDes dalam pemberdayaan ekonomi desa",
        keywords=["gotong royong", "literasi digital"],
        abstract="Penelitian ini menemukan bahwa keterbatasan modal menjadi kendala utama. Pelatihan "
        "pemasaran digital meningkatkan penjualan.",
    )
    assert codes["S02"].source_field == "title"
    assert codes["P03"].evidence == "gotong royong" and codes["P03"].source_field == "keywords"
    assert codes["C01"].source_field == "keywords"
    assert (
        codes["C02"].evidence
        == "Penelitian ini menemukan bahwa keterbatasan modal menjadi kendala utama."
    )
    assert "S04" in codes and "P07" in codes


def test_a_theme_without_matching_text_gets_no_tag():
    codes = _codes(abstract="The weather in the highlands was recorded for ten years.")
    assert codes == {}


def test_terms_match_at_word_starts_with_wildcards_and_phrases():
    assert compile_term("cooperative*").search("Women's Cooperatives grew")
    assert not compile_term("kur").search("kurang modal")  # a whole word, not a prefix
    assert compile_term("micro enterprise").search("a rural micro-enterprise sector")
    assert not compile_term("micro enterprise").search("rural micro-enterprises")  # no wildcard
    assert compile_term("self-help group*").search("self help groups")
    assert split_sentences("One. Two! 3 items? yes.") == ["One.", "Two!", "3 items? yes."]


def test_codes_carry_coder_time_and_protocol_version():
    works = make_works({"work_id": "W", "title": "Koperasi wanita di desa"})
    codes = code_works(works, PROTOCOL, coder="tester", coded_at="2026-01-01T00:00:00Z")
    assert set(codes["coder"]) == {"tester"}
    assert set(codes["protocol_version"]) == {PROTOCOL.version}
