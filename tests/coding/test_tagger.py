"""The codebook tagger: terms in every language, cues in context, method sentences, the
semantic gate, evidence kept."""

import numpy as np
import pytest
from helpers import ROOT, make_works, shared

from slr.coding.tagger import code_works
from slr.errors import SlrError
from slr.protocol import all_terms, load_protocol
from slr.text import (
    TermIndex,
    compile_term,
    compile_terms,
    find_terms,
    sentence_language,
    split_sentences,
)

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


def test_a_term_set_finds_what_its_terms_find_one_by_one():
    """One union search rules out the texts with no term; the hits are the same terms, same
    first matches, same order as searching term by term (every theme's terms and cues)."""
    texts = [
        "Koperasi wanita di desa dan kelompok usaha bersama.",
        "Self help groups of women weavers; micro-enterprises in rural Java.",
        "Stock market volatility of listed firms.",
        "Kurangnya modal dan akses pasar digital bagi UMKM.",
        "",
    ]
    hits = 0
    for theme in PROTOCOL.codebook:
        for terms in (all_terms(theme.terms), all_terms(theme.cues)):
            compiled = compile_terms(terms)
            assert compiled.union is not None and compiled is compile_terms(terms)  # cached
            for text in texts:
                one_by_one = [(t.text, m.span()) for t, m in find_terms(tuple(compiled), text)]
                at_once = [(t.text, m.span()) for t, m in find_terms(compiled, text)]
                assert at_once == one_by_one
                hits += len(at_once)
    assert hits > 10
    # the characters case-insensitive matching equates with ASCII letters are not skipped
    odd = compile_terms(["ikan*", "small business"])
    assert [t.text for t, _ in find_terms(odd, "İkan asin dan ſmall buſineſs")] == [
        "ikan*",
        "small business",
    ]


def test_one_index_finds_what_each_term_set_finds():
    """The tagger searches each span once, with one index of every term of the codebook and
    the protocol's problem, method and role terms: for every set, the terms it finds in a text
    are the ones the set finds by itself, on real abstracts and on awkward texts (case folds,
    hyphens, apostrophes, a term inside a longer word, a first word that is not ASCII)."""
    import json

    c = PROTOCOL.coding
    lists = [c.problem_terms, c.method_terms, c.purpose_terms, c.result_terms, c.definition_terms]
    sets = [compile_terms(all_terms(t)) for t in lists]
    for theme in PROTOCOL.codebook:
        sets += [compile_terms(all_terms(theme.terms)), compile_terms(all_terms(theme.cues))]
        sets.append(compile_terms(theme.exclude_terms))
    sets.append(compile_terms(["small business", "ikan*", "women's group*", "évaluation", "e-kur"]))
    index = TermIndex(sets)
    records = shared("rural-corpus", "records.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [
        "İkan asin dan ſmall buſineſs of WOMEN'S GROUPS; an évaluation of e-KUR loans.",
        "Selfhelp groups, self--help groups and micro-enterprises; kurang modal; UMKMs.",
        "",
    ]
    for line in records[:120]:
        rec = json.loads(line)
        texts += [rec["title"] or "", *rec["keywords"], *split_sentences(rec["abstract"])]
    found_any = 0
    for text in texts:
        found = index.found(text)
        for terms in sets:
            assert found & terms.texts == {t.text for t, _ in find_terms(terms, text)}, text
        found_any += bool(found)
    assert found_any > len(texts) / 2
    assert set(index.found(texts[0])) >= {
        "small business",
        "ikan*",
        "women's group*",
        "évaluation",
        "e-kur",
    }


def test_codes_carry_coder_time_and_protocol_version():
    works = make_works({"work_id": "W", "title": "Koperasi wanita di desa"})
    codes = code_works(works, PROTOCOL, coder="tester", coded_at="2026-01-01T00:00:00Z")
    assert set(codes["coder"]) == {"tester"}
    assert set(codes["protocol_version"]) == {PROTOCOL.version}


# ---------------------------------------------------------------- cues, context, semantic


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


# ---------------------------------------------------------------- people's verdicts


# ---------------------------------------------------------------- sentence roles, evidence


def test_terms_only_in_background_or_a_definition_make_no_tag():
    background = (
        "Cooperatives are common across the developing world. This study aims to describe "
        "a fishing village. The results show that catches fell."
    )
    assert "S01" not in _codes_with(abstract=background)
    definition = "A cooperative is defined as an association of persons. The results show little."
    assert "S01" not in _codes_with(abstract=definition)
    stated = (
        "This study aims to describe a fishing village. The results show that the cooperative grew."
    )
    assert _codes_with(abstract=stated)["S01"].evidence.endswith("the cooperative grew.")


def test_an_abstract_without_purpose_or_results_has_no_background():
    codes = _codes_with(abstract="Villagers sell cassava chips. Members run a cooperative.")
    assert codes["S01"].evidence == "Members run a cooperative."


def test_evidence_is_a_stating_sentence_before_the_title():
    codes = _codes_with(
        title="Women's cooperatives in Bali",
        abstract="This study aims to describe them. The results show that the cooperatives lend "
        "to members.",
    )
    assert codes["S01"].source_field == "abstract"
    only_title = _codes_with(title="Women's cooperatives in Bali", abstract="No more is said.")
    assert only_title["S01"].source_field == "title"  # a title-only tag says so


def test_a_cue_in_the_title_needs_the_abstract_to_speak_of_the_theme():
    # "program*" is a cue of S06 (government programmes), in_title
    bare = _codes_with(
        title="A programme for village crafts",
        abstract="This study aims to describe weaving. The results show more sales.",
        embedder=FakeEmbedder({}),
    )
    assert "S06" not in bare
    supported = _codes_with(
        title="A programme for village crafts",
        abstract="This study aims to describe weaving. The results show the ministry raised sales.",
        embedder=FakeEmbedder({}),
    )
    assert supported["S06"].method.startswith("cue+title")
