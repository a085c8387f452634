"""Table contracts: every table slr writes or reads, its columns and their types, in one place.

A contract is checked where a table is written and where it is read (:func:`validate`), and
:func:`conform` turns a freshly built frame into the contract's dtypes. In memory, ``str``
columns are pandas strings with ``NA`` for missing, ``int`` columns are ``Int64``, ``list``
columns hold Python lists of strings (never ``None``: an empty list means "none").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import pandas as pd
import pyarrow as pa

from slr.errors import SchemaError

Kind = Literal["str", "int", "float", "bool", "list"]

_ARROW: dict[str, pa.DataType] = {
    "str": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "list": pa.list_(pa.string()),
}
_PANDAS: dict[str, str] = {"str": "string", "int": "Int64", "float": "Float64", "bool": "boolean"}


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = False  # no missing values allowed
    doc: str = ""


@dataclass(frozen=True)
class Contract:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  # columns that together identify a row (unique)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema(
            [pa.field(c.name, _ARROW[c.kind], nullable=not c.required) for c in self.columns]
        )

    def empty(self) -> pd.DataFrame:
        return conform(pd.DataFrame({c.name: [] for c in self.columns}), self)


def is_missing(value: object) -> bool:
    """``None``, ``pd.NA`` or NaN: the ways a table cell says "no value"."""
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def field_texts(work, fields: Iterable[str]) -> dict[str, str]:
    """The text of each of ``fields`` that one work (a row or a mapping) has: strings as they
    are, lists (keywords, topics) joined with ``"; "``; empty fields are left out."""
    out = {}
    for f in fields:
        value = work.get(f)
        text = (
            "; ".join(value)
            if isinstance(value, list)
            else None
            if is_missing(value)
            else str(value)
        )
        if text and text.strip():
            out[f] = text
    return out


def as_list(value: object) -> list[str]:
    """A list cell's strings: ``[]`` for no value, ``[s]`` for one string, else its items as
    strings; empty and blank items are left out."""
    if is_missing(value):
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    return [str(x) for x in value if not is_missing(x) and str(x).strip()]  # type: ignore[union-attr]


def conform(df: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    """Return ``df`` with exactly the contract's columns, in order, in the contract's dtypes.

    Missing optional columns are added empty; extra columns raise (nothing is dropped silently).
    """
    extra = [c for c in df.columns if c not in contract.names]
    if extra:
        raise SchemaError(
            f"{contract.name}: unexpected columns {extra}; the contract has {contract.names}"
        )
    out = {}
    n = len(df)
    for col in contract.columns:
        if col.name not in df.columns:
            if col.required:
                raise SchemaError(f"{contract.name}: required column {col.name!r} is missing")
            values: object = [[] for _ in range(n)] if col.kind == "list" else [None] * n
        else:
            values = df[col.name]
        if col.kind == "list":
            out[col.name] = pd.Series([as_list(v) for v in values], dtype=object, index=df.index)
        else:
            s = pd.Series(values, index=df.index)
            if col.kind == "str":
                s = s.astype(object).where(pd.notna(s), None)
                s = s.map(lambda v: v if v is None else str(v))
            out[col.name] = s.astype(_PANDAS[col.kind])
    return pd.DataFrame(out, index=df.index).reset_index(drop=True)


def validate(df: pd.DataFrame, contract: Contract, *, where: str = "") -> pd.DataFrame:
    """Check ``df`` against ``contract``: columns, dtypes, required values and key uniqueness.

    Returns ``df`` unchanged; raises :class:`SchemaError` naming the table, the column and the
    first offending row.
    """
    label = f"{contract.name}{f' ({where})' if where else ''}"
    if list(df.columns) != contract.names:
        missing = [c for c in contract.names if c not in df.columns]
        extra = [c for c in df.columns if c not in contract.names]
        raise SchemaError(
            f"{label}: columns do not match the contract (missing {missing}, unexpected {extra})"
        )
    for col in contract.columns:
        s = df[col.name]
        if col.kind == "list":
            bad = s.map(lambda v: not isinstance(v, list))
            if bad.any():
                i = int(bad.to_numpy().nonzero()[0][0])
                raise SchemaError(
                    f"{label}: column {col.name!r} row {i} is not a list: {s.iloc[i]!r}"
                )
        elif str(s.dtype) != _PANDAS[col.kind]:
            raise SchemaError(
                f"{label}: column {col.name!r} has dtype {s.dtype}, the contract says {_PANDAS[col.kind]}"
            )
        if col.required:
            missing_rows = s.isna() if col.kind != "list" else s.map(lambda v: v is None)
            if missing_rows.any():
                i = int(missing_rows.to_numpy().nonzero()[0][0])
                raise SchemaError(f"{label}: required column {col.name!r} is empty in row {i}")
    if contract.key and len(df):
        dup = df.duplicated(list(contract.key), keep=False)
        if dup.any():
            first = df.loc[dup, list(contract.key)].iloc[0].to_dict()
            raise SchemaError(f"{label}: key {contract.key} is not unique, e.g. {first}")
    return df
