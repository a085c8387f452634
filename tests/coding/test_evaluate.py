"""The tagger measured against a coded sample."""

from helpers import ROOT, make_works

from slr.coding.tagger import code_works
from slr.protocol import load_protocol
from slr.text import compile_term, split_sentences

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


# ---------------------------------------------------------------- cues, context, semantic

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from slr.coding.evaluate import evaluate_codes  # noqa: E402
from slr.errors import SlrError  # noqa: E402
from slr.layout import ReviewPaths  # noqa: E402


def test_evaluate_codes_against_hand_computed_values():
    ref = pd.DataFrame({"work_id": ["a", "b", "c", "d"], "themes": ["P01 S01", "P01", "", "S01"]})
    codes = pd.DataFrame(
        {"work_id": ["a", "a", "c", "d", "x"], "theme_id": ["P01", "S02", "P01", "S01", "P01"]}
    )
    table, s = evaluate_codes(codes, ref, ["P01", "S01", "S02"])
    t = table.set_index("theme_id")
    # P01: truth {a,b}, tagged {a,c}: P 1/2, R 1/2; S01: truth {a,d}, tagged {d}: P 1, R 1/2
    assert t.loc["P01", "precision"] == 0.5 and t.loc["P01", "recall"] == 0.5
    assert t.loc["S01", "precision"] == 1.0 and t.loc["S01", "recall"] == 0.5
    assert t.loc["S02", "f1"] == 0.0  # tagged once, never true
    assert s["macro_f1"] == pytest.approx((0.5 + 2 / 3 + 0) / 3)
    # 12 cells: truth 4 positives, tagged 4 (x is outside the sample); agree on 2 positives
    # and 6 negatives → po 8/12; pe = (4/12)(4/12) + (8/12)(8/12) = 80/144
    po, pe = 8 / 12, 80 / 144
    assert s["kappa"] == pytest.approx((po - pe) / (1 - pe))
    # Krippendorff: n = 24 values, 8 ones, 16 zeros, 4 disagreeing cells
    assert s["alpha"] == pytest.approx(1 - 23 * 4 / (16 * 8))
    assert s["micro_f1"] == pytest.approx(2 * 2 / 8)


def test_evaluate_codes_names_unknown_themes():
    ref = pd.DataFrame({"work_id": ["a"], "themes": ["Z99"]})
    with pytest.raises(SlrError, match="Z99"):
        evaluate_codes(pd.DataFrame({"work_id": [], "theme_id": []}), ref, ["P01"])


def test_the_committed_validation_sample_uses_codebook_themes_only():
    from slr.coding.evaluate import read_validation_sample

    ref = read_validation_sample(ReviewPaths.of(PROTOCOL).resolve(PROTOCOL.coding.validation))
    themes = {t.id for t in PROTOCOL.codebook}
    assert len(ref) >= 80 and ref["work_id"].is_unique
    assert {t for ts in ref["themes"] for t in ts.split()} <= themes
    assert set(ref["language"]) == {"en", "id"}
    assert "abstract" not in ref.columns  # facts only
