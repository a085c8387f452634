"""What every part of the protocol shares: frozen models, id patterns, uniqueness."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

CRITERION_ID = r"^(IC|EC)[1-9][0-9]*$"
THEME_ID = r"^[A-Z][A-Z0-9]{0,3}[0-9]{2}$"
SLUG = r"^[a-z0-9][a-z0-9-]*$"
LANGUAGE = r"^[a-z]{2}$"  # ISO 639-1, as the works table records languages
COLOUR = r"^#[0-9a-fA-F]{6}$"


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def check_unique(field: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for i, x in enumerate(ids):
        if x in seen:
            raise ValueError(f"{field}[{i}]: id {x!r} is used twice; ids must be unique")
        seen.add(x)
