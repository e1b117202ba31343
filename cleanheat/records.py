"""Records in: validating JSON-like records field by field into numpy columns.

Every JSON-in command validates its records here, so that a bad record always gets the same
kind of message: ``record 17 (household_id=YC-0042), field 'heated_area_m2': must be ≥ 0, got -60``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cleanheat.errors import InputError
from cleanheat.parameters import NAT

__all__ = ["Field", "to_columns"]


@dataclass(frozen=True)
class Field:
    """One input field of a jurisdiction's records.

    ``kind`` is one of ``str``, ``code`` (one of ``choices``), ``bool``, ``int`` (non-negative
    unless ``negative``), ``number``, ``date``, ``mapping`` (keys in ``choices``, values of
    ``item_kind``: non-negative whole ``int`` or ``bool``).
    """

    name: str
    kind: str
    required: bool = True
    nullable: bool = False
    choices: tuple[str, ...] = ()
    default: Any = None
    negative: bool = False
    item_kind: str = "int"



def _record_label(rec: Any, i: int, id_field: str) -> str:
    rid = rec.get(id_field) if isinstance(rec, Mapping) else None
    if isinstance(rid, str) and rid:
        return f"record {i} ({id_field}={rid})"
    return f"record {i}"


def to_columns(records: Sequence[Any], fields: Sequence[Field], id_field: str) -> dict[str, np.ndarray]:
    """Validate records field by field and return one numpy array per field.

    A fast path checks each whole column at once (types, codes, signs, ISO dates); only when a
    column fails does the slow path walk the records to name the first bad one. Both accept and
    refuse exactly the same records.

    Raises
    ------
    InputError
        On the first record with a missing, ill-typed or out-of-range field, naming the record
        (its id, or its position when the id is missing) and the field.
    """
    if not all(type(rec) is dict for rec in records):
        return _to_columns_slow(records, fields, id_field)
    out: dict[str, np.ndarray] = {}
    for f in fields:
        column = _fast_column(records, f)
        if column is None:
            return _to_columns_slow(records, fields, id_field)
        out[f.name] = column
    return out


_MISSING = object()


def _fast_column(records: Sequence[dict[str, Any]], f: Field) -> np.ndarray | None:
    """The column as an array when every value is plainly valid, else None (the slow path decides)."""
    name = f.name
    values = [r.get(name, _MISSING) for r in records]
    kinds = {type(v) for v in values}
    if _MISSING.__class__ in kinds or (type(None) in kinds and not f.nullable):
        return None
    try:
        if f.kind == "bool":
            if not kinds <= ({bool, type(None)} if f.nullable else {bool}):
                return None
            return np.array([v is True for v in values], dtype=bool)
        if f.kind in ("int", "number"):
            if not kinds <= ({int} if f.kind == "int" else {int, float}):
                return None
            arr = np.array(values, dtype=np.int64 if f.kind == "int" else np.float64)
            if (not f.negative and np.any(arr < 0)) or (f.kind == "number" and not np.all(np.isfinite(arr))):
                return None
            return arr
        if f.kind == "date":
            if not kinds <= {str, type(None)}:
                return None
            # few distinct days among many records: parse each distinct string once
            distinct = list(set(values))
            if any(v is not None and len(v) != 10 for v in distinct):
                return None
            parsed = np.array(["NaT" if v is None else v for v in distinct], dtype="datetime64[D]")
            position = {v: k for k, v in enumerate(distinct)}
            return parsed[np.fromiter((position[v] for v in values), dtype=np.int64, count=len(values))]
        if f.kind == "code":
            position = {c: k for k, c in enumerate(f.choices)}
            if not kinds <= {str} or not set(values) <= position.keys():
                return None
            table = np.array(f.choices, dtype=str)
            return table[np.fromiter((position[v] for v in values), dtype=np.int64, count=len(values))]
        if f.kind == "str":
            if not kinds <= {str}:
                return None
            return np.array(values, dtype=object)
    except (ValueError, OverflowError):
        return None
    return None  # mappings always take the slow path


def _to_columns_slow(records: Sequence[Any], fields: Sequence[Field], id_field: str) -> dict[str, np.ndarray]:
    n = len(records)
    cols: dict[str, list[Any]] = {f.name: [None] * n for f in fields}
    for i, rec in enumerate(records):
        if not isinstance(rec, Mapping):
            raise InputError(f"a record must be a JSON object, got {type(rec).__name__}", record=f"record {i}")
        label = _record_label(rec, i, id_field)
        for f in fields:
            cols[f.name][i] = _check_value(rec, f, label)
    out: dict[str, np.ndarray] = {}
    for f in fields:
        values = cols[f.name]
        if f.kind == "bool":
            out[f.name] = np.array(values, dtype=bool)
        elif f.kind == "int":
            out[f.name] = np.array(values, dtype=np.int64)
        elif f.kind == "number":
            out[f.name] = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        elif f.kind == "date":
            out[f.name] = np.array([NAT if v is None else np.datetime64(v, "D") for v in values],
                                   dtype="datetime64[D]")
        elif f.kind == "code":
            out[f.name] = np.array(["" if v is None else v for v in values], dtype=str)
        else:  # str, mapping: kept as Python objects
            arr = np.empty(n, dtype=object)
            arr[:] = values
            out[f.name] = arr
    return out


def _check_value(rec: Mapping[str, Any], f: Field, label: str) -> Any:
    if f.name not in rec:
        if f.required:
            raise InputError("required field is missing", record=label, field=f.name)
        return f.default
    v = rec[f.name]
    if v is None:
        if f.nullable or not f.required:
            return f.default if not f.nullable else None
        raise InputError("must not be null", record=label, field=f.name)
    kind = f.kind
    if kind == "bool":
        if not isinstance(v, bool):
            raise InputError(f"must be true or false, got {v!r}", record=label, field=f.name)
        return v
    if kind in ("int", "number"):
        if isinstance(v, bool) or not isinstance(v, int | float) or v != v or v in (float("inf"), float("-inf")):
            raise InputError(f"must be a number, got {v!r}", record=label, field=f.name)
        if kind == "int" and float(v) != int(v):
            raise InputError(f"must be a whole number of yuan, got {v!r}", record=label, field=f.name)
        if v < 0 and not f.negative:
            raise InputError(f"must be ≥ 0, got {v!r}", record=label, field=f.name)
        return int(v) if kind == "int" else float(v)
    if kind == "date":
        if isinstance(v, dt.date):
            return v
        if not isinstance(v, str):
            raise InputError(f"must be an ISO date (YYYY-MM-DD), got {v!r}", record=label, field=f.name)
        try:
            return dt.date.fromisoformat(v)
        except ValueError:
            raise InputError(f"is not a valid date (YYYY-MM-DD): {v!r}", record=label, field=f.name) from None
    if kind == "code":
        if not isinstance(v, str) or v not in f.choices:
            raise InputError(f"unknown code {v!r}; expected one of {', '.join(f.choices)}", record=label,
                             field=f.name)
        return v
    if kind == "str":
        if not isinstance(v, str):
            raise InputError(f"must be a string, got {v!r}", record=label, field=f.name)
        return v
    if kind == "mapping":
        if not isinstance(v, Mapping):
            raise InputError(f"must be an object, got {v!r}", record=label, field=f.name)
        clean: dict[str, Any] = {}
        for key, item in v.items():
            path = f"{f.name}.{key}"
            if f.choices and key not in f.choices:
                raise InputError(f"unknown item {key!r}; expected one of {', '.join(f.choices)}", record=label,
                                 field=path)
            if f.item_kind == "bool":
                if not isinstance(item, bool):
                    raise InputError(f"must be true or false, got {item!r}", record=label, field=path)
            elif isinstance(item, bool) or not isinstance(item, int | float) or float(item) != int(item):
                raise InputError(f"must be a whole number of yuan, got {item!r}", record=label, field=path)
            elif item < 0:
                raise InputError(f"must be ≥ 0, got {item!r}", record=label, field=path)
            clean[key] = item if f.item_kind == "bool" else int(item)
        return clean
    raise AssertionError(f"unknown field kind {kind}")  # pragma: no cover


