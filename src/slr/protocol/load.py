"""Read a protocol file (YAML) and validate it; errors name the field, the bad value and the
valid options."""

from __future__ import annotations

import reprlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from slr.errors import ProtocolError, shorten
from slr.layout import in_project, project_root
from slr.protocol.base import CRITERION_ID, SLUG, THEME_ID
from slr.protocol.model import (
    CodebookRule,
    FileSource,
    LanguageRule,
    OpenAlexSource,
    Protocol,
    RetractedRule,
    TopicRule,
    TypeRule,
    YearRule,
)
from slr.text import decode_text

# parts of the protocol that may be given as the name of a YAML file holding them
INCLUDABLE = ("places",)
MAX_ALIASES = 100  # YAML aliases (*name) a protocol may use: enough for any, too few to explode


class _Loader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (YAML would keep the last
    silently) and more than :data:`MAX_ALIASES` aliases (a "billion laughs" file)."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.aliases = 0

    def compose_node(self, parent, index):  # PyYAML's hook: one node, alias or not
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"more than {MAX_ALIASES} aliases (*name); a protocol needs few",
                    self.peek_event().start_mark,
                )
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, str | int | float | bool) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {shorten(repr(key), 80)} is given twice in this mapping (also on line "
                    f"{seen[key].line + 1}); YAML would keep only the last",
                    key_node.start_mark,
                )
            if isinstance(key, str | int | float | bool):
                seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


_SHOWN = reprlib.Repr()  # (Python 3.11's takes no arguments)
_SHOWN.maxstring = _SHOWN.maxother = 200
_SHOWN.maxlist = _SHOWN.maxdict = 4
_SHOWN.maxlevel = 2


def _shown(value: Any) -> str:
    """A bad value for an error message: bounded however big or deep it is."""
    return shorten(_SHOWN.repr(value))


def load_protocol(path: str | Path) -> Protocol:
    """Read, parse and validate a protocol file.

    Raises
    ------
    ProtocolError
        The file is missing, is not YAML, or does not validate. The message names the file,
        the field path (``criteria[2].rule.min``), the bad value and the valid options.
    """
    path = Path(path)
    if not path.is_file():
        raise ProtocolError(f"protocol file not found: {path}")
    return parse_protocol(_read_yaml(path), path=path)


def _read_yaml(path: Path) -> Any:
    text = decode_text(path.read_bytes(), path, ProtocolError)
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ProtocolError(f"{path}:{where}: not valid YAML: {problem}") from e


def parse_protocol(data: Any, *, path: Path | None = None) -> Protocol:
    """Validate an already-parsed protocol mapping (see :func:`load_protocol`).

    A part given as a file name (``places: protocols/places/<country>.yaml``, relative to the
    project folder) is read from that file; the protocol's hash covers its content.
    """
    where = str(path) if path else "protocol"
    if not isinstance(data, dict):
        raise ProtocolError(
            f"{where}: expected a mapping with keys {', '.join(_keys(Protocol))}, "
            f"got {type(data).__name__}"
        )
    data, includes = _include_files(data, path)
    try:
        protocol = Protocol.model_validate(data)
    except ValidationError as e:
        raise ProtocolError(f"{where}: " + "; ".join(_describe(err) for err in e.errors())) from e
    return protocol.model_copy(
        update={"path": path.resolve() if path else None, "includes": tuple(includes)}
    )


def _include_files(data: dict, path: Path | None) -> tuple[dict, list[Path]]:
    """``data`` with each part given as a file name replaced by that file's content."""
    includes = []
    for key in INCLUDABLE:
        name = data.get(key)
        if not isinstance(name, str):
            continue
        file = in_project(project_root(path), name)
        if not file.is_file():
            raise ProtocolError(f"{path or 'protocol'}: {key}: file not found: {file}")
        data = {**data, key: _read_yaml(file)}
        includes.append(file.resolve())
    return data, includes


def _keys(model: type[BaseModel]) -> list[str]:
    return [k for k, f in model.model_fields.items() if not f.exclude]


_UNION_MODELS: dict[str, dict[str, type[BaseModel]]] = {
    "type": {"openalex": OpenAlexSource, "file": FileSource},
    "kind": {
        "year": YearRule,
        "language": LanguageRule,
        "type": TypeRule,
        "retracted": RetractedRule,
        "topic": TopicRule,
        "codebook": CodebookRule,
    },
}


def _model_at(loc: tuple[Any, ...]) -> tuple[type[BaseModel] | None, str]:
    """Walk ``loc`` from Protocol down; return the model holding the last key and a dotted path."""
    model: type[BaseModel] | None = Protocol
    parts: list[str] = []
    for i, key in enumerate(loc):
        if isinstance(key, int):
            parts[-1] = f"{parts[-1]}[{key}]" if parts else f"[{key}]"
            continue
        if model is None:
            parts.append(str(key))
            continue
        if key not in model.model_fields:
            # a discriminated-union tag (e.g. 'openalex') sits in loc between list index and field
            for table in _UNION_MODELS.values():
                if key in table:
                    model = table[key]
                    break
            else:
                if i == len(loc) - 1:
                    parts.append(str(key))
                    return model, ".".join(parts)
                model = None
                parts.append(str(key))
            continue
        parts.append(str(key))
        if i == len(loc) - 1:
            return model, ".".join(parts)
        model = _inner_model(model.model_fields[key].annotation)
    return model, ".".join(parts)


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _describe(err: dict[str, Any]) -> str:
    loc = tuple(err.get("loc", ()))
    kind = err.get("type", "")
    model, dotted = _model_at(loc)
    dotted = dotted or "(top level)"
    value = err.get("input")
    if kind == "extra_forbidden":
        valid = ", ".join(_keys(model)) if model else "see the documentation"
        return f"{dotted}: unknown key; valid keys: {valid}"
    if kind == "missing":
        return f"{dotted}: required field is missing"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        ctx = err.get("ctx", {})
        tag = ctx.get("discriminator", "").strip("'")
        options = ", ".join(_UNION_MODELS.get(tag, {})) or ctx.get("expected_tags", "")
        bad = ctx.get("tag")
        what = f"{tag} {_shown(bad)} is not valid" if bad is not None else f"`{tag}` is missing"
        return f"{dotted}: {what}; valid options: {options}"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return f"{dotted}: {_shown(value)} is not valid; valid options: {expected}"
    if kind == "string_pattern_mismatch":
        pattern = err.get("ctx", {}).get("pattern", "")
        hint = {
            CRITERION_ID: "IC1, IC2 … for inclusion, EC1, EC2 … for exclusion",
            THEME_ID: "an upper-case prefix and two digits, e.g. P01, C03, S12",
            SLUG: "lower-case letters, digits and dashes",
        }.get(pattern, f"pattern {pattern}")
        return f"{dotted}: {_shown(value)} is not a valid id; expected {hint}"
    if kind == "value_error":
        msg = str(err.get("msg", "")).removeprefix("Value error, ")
        return f"{dotted}: {msg}" if dotted != "(top level)" else msg
    return f"{dotted}: {err.get('msg')} (got {_shown(value)})"
