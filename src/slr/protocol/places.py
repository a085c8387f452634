"""The gazetteer: the places a work's text may name, so that the report can say where the
studies took place."""

from __future__ import annotations

from pydantic import Field, model_validator

from slr.protocol.base import Frozen


class Gazetteer(Frozen):
    """Countries and, within one country, its regions (states, districts …), each with the
    names and aliases texts use for it (matched as whole words, case-insensitive)."""

    countries: dict[str, tuple[str, ...]]
    regions: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    region_kind: str = "region"  # the places table's kind for a region, e.g. "state"
    region_label: str = "Regions"  # how the report names them, e.g. "US states"
    region_country: str | None = None  # the regions' country: a named region implies it

    @model_validator(mode="after")
    def _region_country_is_a_country(self) -> Gazetteer:
        if self.region_country is not None and self.region_country not in self.countries:
            raise ValueError(
                f"region_country {self.region_country!r} is not one of the countries; valid "
                f"options: {', '.join(self.countries)}"
            )
        return self

    @property
    def names(self) -> set[str]:
        return set(self.countries) | set(self.regions)
