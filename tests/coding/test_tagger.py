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

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from slr.coding.evaluate import evaluate_codes  # noqa: E402
from slr.coding.panel import verdict_rows  # noqa: E402
from slr.errors import SlrError  # noqa: E402
from slr.layout import ReviewPaths  # noqa: E402
from slr.tables.decisions import current_codes  # noqa: E402
from slr.text import sentence_language  # noqa: E402


def _codes_with(embedder=None, threshold=None, **rec):
    works = make_works({"work_id": "W", "title": "A study", **rec})
    codes = code_works(
        works,
        PROTOCOL,
        coded_at="2026-01-01T00:00:00Z",
        embedder=embedder,
        threshold=threshold,
        semantic=embedder is not None,
    )
    return {r.theme_id: r for r in codes.itertuples()}


def test_a_challenge_cue_needs_a_problem_word_next_to_it_in_either_language():
    en = _codes_with(abstract="The managers lacked the skills to keep accounts of the enterprise.")
    assert en["C04"].method.startswith("cue+problem")
    ok = _codes_with(abstract="The cooperative's management meets every month to plan sales.")
    assert "C04" not in ok  # management named, but no problem: no challenge
    id_ = _codes_with(
        abstract="Penelitian ini menemukan bahwa pengurus kurang memahami administrasi kelompok."
    )
    assert id_["C04"].method.startswith("cue+problem")
    assert id_["C04"].evidence.startswith("Penelitian ini menemukan")


def test_method_sentences_are_not_evidence():
    codes = _codes_with(
        abstract="Data were collected by interviewing the village head and ten members. "
        "The group sells cassava chips."
    )
    assert "P04" not in codes  # the village head is an informant, not a theme
    codes = _codes_with(abstract="Informan penelitian ini adalah kepala desa dan pengurus.")
    assert "P04" not in codes


def test_excluded_terms_keep_social_capital_out_of_access_to_capital():
    codes = _codes_with(abstract="Weak social capital limited the group's growth.")
    assert "C02" not in codes and "P01" in codes
    assert "C02" in _codes_with(abstract="Members lack working capital to buy raw materials.")


class FakeEmbedder:
    """Unit vectors from a lookup: a theme's prototypes (definition, examples) point along the
    theme's own axis; a sentence points there when it holds a fragment mapped to that theme,
    else along an axis no theme uses."""

    def __init__(self, near: dict[str, str]):
        self.near = near  # sentence fragment → theme ID it should be close to
        self.axis = {t.id: i for i, t in enumerate(PROTOCOL.codebook)}
        self.protos = {
            p: t.id for t in PROTOCOL.codebook for p in (f"{t.label}. {t.definition}", *t.examples)
        }
        self.calls: list[list[str]] = []

    def __call__(self, texts):
        self.calls.append(list(texts))
        out = np.zeros((len(texts), len(self.axis) + 1), dtype=np.float32)
        for i, t in enumerate(texts):
            theme = self.protos.get(t) or next(
                (tid for frag, tid in self.near.items() if frag in t), None
            )
            out[i, self.axis[theme] if theme else -1] = 1.0
        return out


def test_a_cue_in_an_english_sentence_is_kept_when_the_sentence_is_close_to_the_theme():
    sentence = "Villagers joined a producer group to press palm sugar."
    close = FakeEmbedder({"producer group": "S03"})
    codes = _codes_with(embedder=close, threshold=0.5, abstract=sentence)
    assert codes["S03"].method.startswith("terms")  # "producer group*" is a term
    sentence = "The villagers formed a group to press palm sugar."  # "group" is only a cue
    codes = _codes_with(
        embedder=FakeEmbedder({"formed a group": "S03"}), threshold=0.5, abstract=sentence
    )
    assert codes["S03"].method.startswith("cue+semantic") and codes["S03"].score == 1.0
    far = _codes_with(embedder=FakeEmbedder({}), threshold=0.5, abstract=sentence)
    assert "S03" not in far


def test_indonesian_sentences_are_never_embedded():
    emb = FakeEmbedder({})
    _codes_with(
        embedder=emb,
        threshold=0.5,
        abstract="Masyarakat membentuk kelompok untuk mengolah gula aren.",
    )
    embedded = [t for call in emb.calls for t in call]
    assert not any("Masyarakat" in t for t in embedded)
    words = PROTOCOL.function_words()
    assert (
        sentence_language("Masyarakat membentuk kelompok untuk mengolah gula aren.", words) == "id"
    )
    assert sentence_language("The villagers formed a group.", words) == "en"


def test_semantic_method_with_the_packaged_model():
    pytest.importorskip("sentence_transformers", reason="slr[embeddings] is not installed")
    works = make_works(
        {
            "work_id": "W",
            "title": "A study",
            "abstract": "Farmers organised themselves into a cooperative to sell milk.",
        }
    )
    codes = code_works(works, PROTOCOL, coded_at="2026-01-01T00:00:00Z")
    assert "S01" in set(codes["theme_id"])


def test_a_missing_embedding_dependency_names_the_install_command(monkeypatch):
    import sys

    import slr.embed as emb

    monkeypatch.setattr(emb, "_MODEL", None)
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(SlrError, match=r"pip install 'slr\[embeddings\]'"):
        emb.load_model()


# ---------------------------------------------------------------- evaluation


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


# ---------------------------------------------------------------- people's verdicts


def _machine():
    works = make_works(
        {"work_id": "W1", "title": "Koperasi wanita dan arisan di desa"},
        {"work_id": "W2", "title": "Desa wisata berbasis masyarakat"},
    )
    return code_works(works, PROTOCOL, coded_at="2026-01-01T00:00:00Z", semantic=False)


def test_verdicts_are_new_rows_and_the_latest_one_counts():
    codes = _machine()
    assert {("W1", "S01"), ("W1", "S05"), ("W2", "P06")} <= set(
        zip(codes["work_id"], codes["theme_id"], strict=True)
    )
    reject = verdict_rows(
        codes,
        PROTOCOL,
        work_id="W1",
        theme_id="S05",
        verdict="reject",
        coder="ana",
        note="arisan is social here",
    )
    add = verdict_rows(
        codes,
        PROTOCOL,
        work_id="W2",
        theme_id="S08",
        verdict="add",
        coder="ana",
        evidence="women run the homestays",
    )
    all_rows = pd.concat([codes, reject, add], ignore_index=True)
    assert len(all_rows) == len(codes) + 2  # nothing edited
    now = set(zip(*current_codes(all_rows)[["work_id", "theme_id"]].T.values, strict=True))
    assert ("W1", "S05") not in now and ("W2", "S08") in now and ("W1", "S01") in now
    again = verdict_rows(
        all_rows, PROTOCOL, work_id="W1", theme_id="S05", verdict="confirm", coder="budi"
    )
    now = current_codes(pd.concat([all_rows, again], ignore_index=True))
    assert ("W1", "S05") in set(zip(now["work_id"], now["theme_id"], strict=True))
    assert reject.iloc[0]["method"] == "human: reject (arisan is social here)"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"verdict": "maybe"}, "valid options: confirm, reject, add"),
        ({"theme_id": "X01"}, "unknown theme 'X01'"),
        ({"coder": " "}, "coder's name"),
        ({"theme_id": "C01"}, "no C01 tag to reject"),
        ({"verdict": "add", "theme_id": "C01"}, "needs its evidence"),
    ],
)
def test_bad_verdicts_are_refused(kwargs, message):
    args = {"work_id": "W1", "theme_id": "S05", "verdict": "reject", "coder": "ana", **kwargs}
    with pytest.raises(SlrError, match=message):
        verdict_rows(_machine(), PROTOCOL, **args)


def test_the_coding_panel_appends_a_row_per_click(tmp_path):
    pytest.importorskip("ipywidgets")
    from slr.coding.panel import CodingSession, build_coding_panel
    from slr.tables.io import read_table
    from slr.tables.schema import CODES

    log = tmp_path / "verdicts.csv"
    session = CodingSession(PROTOCOL, _machine(), "ana", log_path=log)
    panel = build_coding_panel(session)
    panel.pick.value = ("W1", "S05")
    panel.buttons["reject"].click()
    panel.pick.value = ("W2", "P06")
    panel.buttons["confirm"].click()
    rows = read_table(log, CODES)
    assert list(rows["method"]) == ["human: reject", "human: confirm"]
    assert list(rows["coder"]) == ["ana", "ana"]
    # a new session reads the log: the rejected tag is gone
    again = CodingSession(PROTOCOL, _machine(), "budi", log_path=log)
    assert ("W1", "S05") not in set(
        zip(again.tags()["work_id"], again.tags()["theme_id"], strict=True)
    )
