"""Records in: validating JSON-like records field by field into numpy columns.

Every JSON-in command validates its records here, so that a bad record always gets the same
kind of message: ``record 17 (household_id=YC-0042), field 'heated_area_m2': must be ≥ 0, got -60``.

Every fault of a batch is reported in one run, as the ledger import does: all missing fields of
a record and all bad records, in one :class:`RecordErrors` (an :class:`InputError`) listing them.
A field the jurisdiction does not know is refused with the nearest known name (a misspelt
``previously_subsidized`` would otherwise silently leave a household payable). Numbers are
finite, within the field's plausibility bound (``maximum``), booleans are never numbers, and a
date marked ``not_future`` may not lie after :func:`cleanheat.clock.today`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cleanheat.errors import InputError
from cleanheat.parameters import NAT

__all__ = ["Field", "RecordErrors", "raise_all", "record_label", "suggest", "to_columns"]

MAX_LISTED_ERRORS = 50
"""How many faults one :class:`RecordErrors` message lists (the rest are counted)."""


@dataclass(frozen=True)
class Field:
    """One input field of a jurisdiction's records.

    ``kind`` is one of ``str``, ``code`` (one of ``choices``), ``bool``, ``int`` (non-negative
    unless ``negative``), ``number``, ``date``, ``mapping`` (keys in ``choices``, values of
    ``item_kind``: non-negative whole ``int`` or ``bool``).

    ``maximum`` bounds a number, an int or the items of a mapping (a plausibility bound: above
    it the value cannot be real, e.g. a rural house of 80,000 m²); ``not_future`` refuses a
    date after the programme's today; ``aliases`` maps other spellings of a code (Chinese
    names) to the code; ``labels`` gives a code's name shown beside it in an error.
    """

    name: str
    kind: str
    required: bool = True
    nullable: bool = False
    choices: tuple[str, ...] = ()
    default: Any = None
    negative: bool = False
    item_kind: str = "int"
    maximum: float | None = None
    not_future: bool = False
    aliases: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)


class RecordErrors(InputError):
    """Several bad records or fields at once; ``errors`` holds each as an :class:`InputError`.

    ``record`` and ``field`` are those of the first fault, so that a caller looking at one
    fault still finds it.
    """

    def __init__(self, errors: Sequence[InputError]) -> None:
        self.errors = tuple(errors)
        shown = "; ".join(str(e) for e in self.errors[:MAX_LISTED_ERRORS])
        more = len(self.errors) - MAX_LISTED_ERRORS
        message = f"{len(self.errors)} errors: {shown}" + (f"; … and {more} more" if more > 0 else "")
        first = self.errors[0]
        Exception.__init__(self, message)
        self.record = first.record
        self.field = first.field
        self.reason = message


def raise_all(errors: Sequence[InputError]) -> None:
    """Raise nothing for no fault, the fault itself for one, a :class:`RecordErrors` for several."""
    if not errors:
        return
    if len(errors) == 1:
        raise errors[0]
    raise RecordErrors(errors)


def suggest(name: str, known: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the nearest known name, or ``""`` when none is near."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def record_label(rec: Any, i: int, id_field: str) -> str:
    """``record 3 (household_id=YC-0042)``, or ``record 3`` without an id."""
    rid = rec.get(id_field) if isinstance(rec, Mapping) else None
    if isinstance(rid, str) and rid:
        return f"record {i} ({id_field}={rid})"
    return f"record {i}"


_record_label = record_label


def to_columns(records: Sequence[Any], fields: Sequence[Field], id_field: str,
               ignored: Collection[str] = ()) -> dict[str, np.ndarray]:
    """Validate records field by field and return one numpy array per field.

    ``ignored`` names fields that records may carry for other uses (the ledger's name, phone,
    address…) and that are neither read nor refused; any other field not in ``fields`` is an
    error.

    A fast path checks each whole column at once (types, codes, signs, bounds, ISO dates); only
    when a column fails does the slow path walk the records to name every bad one. Both accept
    and refuse exactly the same records.

    Raises
    ------
    InputError
        A missing, unknown, ill-typed or out-of-range field, naming the record (its id, or its
        position when the id is missing) and the field; :class:`RecordErrors` when there are
        several, listing them all.
    """
    if not all(type(rec) is dict for rec in records):
        return _to_columns_slow(records, fields, id_field, ignored)
    known = {f.name for f in fields} | set(ignored)
    if not set().union(*(rec.keys() for rec in records)) <= known:
        return _to_columns_slow(records, fields, id_field, ignored)
    today = _today() if any(f.not_future for f in fields) else None
    out: dict[str, np.ndarray] = {}
    for f in fields:
        column = _fast_column(records, f, today)
        if column is None:
            return _to_columns_slow(records, fields, id_field, ignored)
        out[f.name] = column
    return out


def _today() -> np.datetime64:
    from cleanheat.clock import today

    return np.datetime64(today(), "D")


_MISSING = object()


def _fast_column(records: Sequence[dict[str, Any]], f: Field, today: np.datetime64 | None) -> np.ndarray | None:
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
            if f.maximum is not None and np.any(arr > f.maximum):
                return None
            return arr
        if f.kind == "date":
            if not kinds <= {str, dt.date, type(None)}:  # a datetime (a subclass) takes the slow path
                return None
            # few distinct days among many records: parse each distinct string (or date) once
            distinct = list(set(values))
            if any(type(v) is str and len(v) != 10 for v in distinct):
                return None
            parsed = np.array(["NaT" if v is None else v if type(v) is str else v.isoformat() for v in distinct],
                              dtype="datetime64[D]")
            if f.not_future and today is not None and np.any(parsed[~np.isnat(parsed)] > today):
                return None
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


def _to_columns_slow(records: Sequence[Any], fields: Sequence[Field], id_field: str,
                     ignored: Collection[str] = ()) -> dict[str, np.ndarray]:
    n = len(records)
    cols: dict[str, list[Any]] = {f.name: [None] * n for f in fields}
    known = [f.name for f in fields]
    errors: list[InputError] = []
    today = _today().astype(dt.date) if any(f.not_future for f in fields) else None
    for i, rec in enumerate(records):
        if not isinstance(rec, Mapping):
            errors.append(InputError(f"a record must be a JSON object, got {type(rec).__name__}",
                                     record=f"record {i}"))
            continue
        label = record_label(rec, i, id_field)
        for f in fields:
            try:
                cols[f.name][i] = _check_value(rec, f, label, today)
            except RecordErrors as exc:
                errors.extend(exc.errors)
            except InputError as exc:
                errors.append(exc)
        for key in rec:
            if key not in cols and key not in ignored:
                errors.append(InputError(f"unknown field{suggest(str(key), known)}", record=label, field=str(key)))
    raise_all(errors)
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


def _fmt_bound(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:,}"


def _check_number(v: Any, f: Field, label: str, path: str, whole: bool) -> int | float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise InputError(f"must be a number, got {v!r}", record=label, field=path)
    if isinstance(v, float) and not math.isfinite(v):
        raise InputError(f"must be a finite number, got {v!r}", record=label, field=path)
    if whole and float(v) != int(v):
        raise InputError(f"must be a whole number of yuan, got {v!r}", record=label, field=path)
    if v < 0 and not f.negative:
        raise InputError(f"must be ≥ 0, got {v!r}", record=label, field=path)
    if f.maximum is not None and v > f.maximum:
        raise InputError(f"must be at most {_fmt_bound(f.maximum)} (beyond any real case), got {v!r}",
                         record=label, field=path)
    return int(v) if whole else float(v)


def _code_list(f: Field) -> str:
    return ", ".join(f"{c} {f.labels[c]}" if c in f.labels else c for c in f.choices)


def _check_value(rec: Mapping[str, Any], f: Field, label: str, today: dt.date | None = None) -> Any:
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
        return _check_number(v, f, label, f.name, whole=kind == "int")
    if kind == "date":
        if isinstance(v, dt.datetime):
            v = v.date()
        if not isinstance(v, dt.date):
            if not isinstance(v, str):
                raise InputError(f"must be an ISO date (YYYY-MM-DD), got {v!r}", record=label, field=f.name)
            try:
                v = dt.date.fromisoformat(v)
            except ValueError:
                raise InputError(f"is not a valid date (YYYY-MM-DD): {v!r}", record=label, field=f.name) from None
        if f.not_future and today is not None and v > today:
            raise InputError(f"{v.isoformat()} is in the future (today is {today.isoformat()})", record=label,
                             field=f.name)
        return v
    if kind == "code":
        if isinstance(v, str) and v not in f.choices and v.strip() in f.aliases:
            return f.aliases[v.strip()]
        if not isinstance(v, str) or v not in f.choices:
            hint = suggest(v, [*f.choices, *f.aliases]) if isinstance(v, str) else ""
            raise InputError(f"unknown code {v!r}{hint}; expected one of {_code_list(f)}", record=label,
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
        errors: list[InputError] = []
        for key, item in v.items():
            path = f"{f.name}.{key}"
            try:
                if f.choices and key not in f.choices:
                    raise InputError(f"unknown item {key!r}{suggest(str(key), f.choices)}; expected one of "
                                     f"{', '.join(f.choices)}", record=label, field=path)
                if f.item_kind == "bool":
                    if not isinstance(item, bool):
                        raise InputError(f"must be true or false, got {item!r}", record=label, field=path)
                    clean[key] = item
                else:
                    clean[key] = _check_number(item, f, label, path, whole=True)
            except InputError as exc:
                errors.append(exc)
        raise_all(errors)
        return clean
    raise AssertionError(f"unknown field kind {kind}")  # pragma: no cover
