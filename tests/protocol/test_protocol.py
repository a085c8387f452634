"""The protocol: the default one loads; every error names the field, the value and the
valid options; the hash covers the content and the included files."""

import pytest
import yaml
from helpers import ROOT

from slr.errors import ProtocolError
from slr.layout import ReviewPaths
from slr.protocol import load_protocol, parse_protocol

DEFAULT = ROOT / "protocols" / "rural-community-business.yaml"


def _default_data() -> dict:
    data = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    data["places"] = str(ROOT / data["places"])  # resolved without the protocol's own path
    return data


def test_default_protocol_loads_with_questions_criteria_and_codebook():
    p = load_protocol(DEFAULT)
    assert p.review.id == "rural-community-business"
    assert set(p.review.questions) == {"RQ1", "RQ2", "RQ3"}
    assert {c.id for c in p.criteria} >= {"IC1", "IC2", "IC3", "IC4", "EC1", "EC2"}
    assert [(g.id, g.question) for g in p.groups] == [
        ("potential", "RQ1"),
        ("challenge", "RQ2"),
        ("strategy", "RQ3"),
    ]
    assert {t.group for t in p.codebook} == {"potential", "challenge", "strategy"}
    # every theme carries English and Indonesian indicator terms
    assert set(p.languages) == {"en", "id"}
    assert all(t.terms.get("en") and t.terms.get("id") for t in p.codebook)
    # the review's words are data: problem and method words, the gazetteer (an included file)
    assert "kendala*" in p.coding.problem_terms["id"] and "wawancara" in p.coding.method_terms["id"]
    assert "Yogyakarta" in p.places.regions and p.places.region_country == "Indonesia"
    assert p.includes == (ROOT / "protocols" / "places" / "indonesia.yaml",)
    labels = " ".join(t.label.lower() for t in p.codebook)
    for theme in ("social capital", "gotong royong", "cooperatives", "bumdes", "microfinance",
                  "digital literacy", "access to capital", "women and youth", "external aid",
                  "conflict", "training", "tourism", "informality"):  # fmt: skip
        assert theme in labels
    paths = ReviewPaths.of(p)
    assert paths.root == ROOT
    assert paths.corpus == ROOT / "corpus" / "rural-community-business"


def test_hash_ignores_comments_and_layout_but_not_content(tmp_path):
    p = load_protocol(DEFAULT)
    copy = tmp_path / "protocols" / "copy.yaml"
    (tmp_path / "protocols" / "places").mkdir(parents=True)
    copy.write_text("# a comment\n" + DEFAULT.read_text(encoding="utf-8"), encoding="utf-8")
    gazetteer = tmp_path / "protocols" / "places" / "indonesia.yaml"
    gazetteer.write_bytes((ROOT / "protocols" / "places" / "indonesia.yaml").read_bytes())
    assert load_protocol(copy).hash == p.hash
    # an included file is part of the protocol: its content is in the hash
    gazetteer.write_text(gazetteer.read_text(encoding="utf-8") + "  Atlantis: [atlantis]\n")
    assert load_protocol(copy).hash != p.hash
    gazetteer.unlink()
    with pytest.raises(ProtocolError, match="places: file not found: .*indonesia.yaml"):
        load_protocol(copy)
    data = _default_data()
    data["criteria"][0]["rule"]["min"] = 2001
    changed = parse_protocol(data)
    assert changed.hash != p.hash
    assert p.version.startswith("1.0.0+") and len(p.version.split("+")[1]) == 12


def test_broken_yaml_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("review:\n  id: x\n  title: [unclosed\n", encoding="utf-8")
    with pytest.raises(ProtocolError, match=r"bad\.yaml: line \d+, column \d+: not valid YAML"):
        load_protocol(bad)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ProtocolError, match="protocol file not found"):
        load_protocol(tmp_path / "nope.yaml")


def test_unknown_key_lists_the_valid_keys():
    data = _default_data()
    data["sources"][0]["serach"] = "typo"
    with pytest.raises(ProtocolError) as e:
        parse_protocol(data)
    msg = str(e.value)
    assert "sources[0].serach: unknown key" in msg
    assert "valid keys: id, type, description, search, filter" in msg


def test_wrong_type_names_the_field_and_value():
    data = _default_data()
    data["criteria"][0]["rule"]["min"] = "twenty"
    with pytest.raises(ProtocolError, match=r"criteria\[0\]\.rule\.min: .*'twenty'"):
        parse_protocol(data)


def test_unknown_rule_kind_lists_valid_kinds():
    data = _default_data()
    data["criteria"][0]["rule"]["kind"] = "yeer"
    with pytest.raises(ProtocolError) as e:
        parse_protocol(data)
    assert "criteria[0].rule: kind 'yeer' is not valid" in str(e.value)
    assert "year, language, type, retracted, topic, codebook" in str(e.value)


def test_unknown_criterion_in_automate_lists_the_criteria():
    data = _default_data()
    data["screening"]["automate"] = ["IC1", "IC9"]
    with pytest.raises(ProtocolError) as e:
        parse_protocol(data)
    assert "screening.automate[1]: unknown criterion 'IC9'" in str(e.value)
    assert "valid options: IC1, IC2, EC1" in str(e.value)


def test_criterion_without_rule_cannot_be_automated():
    data = _default_data()
    data["screening"]["automate"] = ["EC3"]
    with pytest.raises(ProtocolError, match="EC3 has no `rule`"):
        parse_protocol(data)


def test_bad_ids_group_and_duplicates_are_reported():
    data = _default_data()
    data["criteria"][0]["id"] = "C1"
    with pytest.raises(ProtocolError, match="'C1' is not a valid id; expected IC1"):
        parse_protocol(data)
    data = _default_data()
    data["codebook"][0]["group"] = "potentials"
    with pytest.raises(
        ProtocolError,
        match="codebook\\[0\\] \\(P01\\).group: unknown group\\(s\\) potentials; valid options: "
        "potential, challenge, strategy",
    ):
        parse_protocol(data)
    data = _default_data()
    data["codebook"][0]["terms"]["es"] = ["capital social"]
    with pytest.raises(
        ProtocolError,
        match="codebook\\[0\\] \\(P01\\).terms: unknown language\\(s\\) es; valid options: en, id",
    ):
        parse_protocol(data)
    data = _default_data()
    data["codebook"][1]["id"] = data["codebook"][0]["id"]
    with pytest.raises(ProtocolError, match="codebook\\[1\\]: id 'P01' is used twice"):
        parse_protocol(data)


def test_unknown_source_type_and_question_reference():
    data = _default_data()
    data["sources"][0]["type"] = "scopus"
    with pytest.raises(
        ProtocolError,
        match="sources\\[0\\]: type 'scopus' is not valid; valid options: openalex, file",
    ):
        parse_protocol(data)
    data = _default_data()
    data["groups"][2]["question"] = "RQ7"
    with pytest.raises(
        ProtocolError,
        match="groups\\[2\\].question: unknown question\\(s\\) RQ7; valid options: RQ1, RQ2, RQ3",
    ):
        parse_protocol(data)
    data = _default_data()
    data["seed_article"]["claims"][0]["places"] = ["Atlantis"]
    with pytest.raises(ProtocolError, match="SC1: unknown place\\(s\\) Atlantis; valid options:"):
        parse_protocol(data)


def test_criterion_lookup_names_valid_options():
    p = load_protocol(DEFAULT)
    assert p.criterion("IC1").kind == "inclusion"
    assert p.criterion("EC1").kind == "exclusion"
    with pytest.raises(ProtocolError, match="unknown criterion 'EC99'; valid options: IC1"):
        p.criterion("EC99")


# ---------------------------------------------------------------- hostile protocol files


def test_a_key_given_twice_is_refused_with_both_lines(tmp_path):
    text = DEFAULT.read_text(encoding="utf-8")
    bad = tmp_path / "protocols" / "twice.yaml"
    bad.parent.mkdir()
    bad.write_text(text.replace("review:\n", "review:\n  id: other-review\n", 1), encoding="utf-8")
    with pytest.raises(ProtocolError, match=r"twice.yaml: line \d+, column 3: not valid YAML: key "
                       r"'id' is given twice in this mapping \(also on line \d+\)"):  # fmt: skip
        load_protocol(bad)


def test_a_protocol_not_in_utf8_is_refused_naming_the_byte(tmp_path):
    bad = tmp_path / "latin.yaml"
    bad.write_bytes("review: {id: caf\u00e9}\n".encode("cp1252"))
    with pytest.raises(ProtocolError, match=r"latin.yaml: line 1: not UTF-8 text \(byte 0xe9\)"):
        load_protocol(bad)
    # UTF-16 with a byte-order mark is read (as Windows editors save it)
    utf16 = tmp_path / "protocols" / "utf16.yaml"
    utf16.parent.mkdir()
    utf16.write_bytes(DEFAULT.read_text(encoding="utf-8").encode("utf-16"))
    (tmp_path / "protocols" / "places").mkdir()
    places = DEFAULT.parent / "places" / "indonesia.yaml"
    (tmp_path / "protocols" / "places" / places.name).write_bytes(places.read_bytes())
    assert load_protocol(utf16).hash == load_protocol(DEFAULT).hash


def test_billion_laughs_is_refused_at_once_and_big_values_are_cut_in_messages(tmp_path):
    laughs = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 13):
        prev = chr(ord("a") + i - 1)
        name = chr(ord("a") + i)
        laughs.append(f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(laughs) + "\nreview: {id: x, title: *m}\n", encoding="utf-8")
    with pytest.raises(ProtocolError, match="more than 100 aliases"):
        load_protocol(bomb)
    # a few aliases are allowed; a huge bad value is shown cut, not whole
    data = _default_data()
    data["review"]["title"] = [["x" * 10_000] * 50] * 50
    with pytest.raises(ProtocolError) as e:
        parse_protocol(data)
    assert len(str(e.value)) < 2_000 and "review.title" in str(e.value)
