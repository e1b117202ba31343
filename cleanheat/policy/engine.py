"""The rules engine: dated parameters, the rule registry and the trace.

The design follows OpenFisca's (parameters as dated YAML files, one function per legal
quantity, vectorised over all records) without depending on openfisca-core. The engine knows
nothing of any jurisdiction: a jurisdiction is a parameter folder plus a rules module that
declares its input fields (:class:`Field`), its rules (:func:`rule`) and its reasons
(:class:`Reason`). See ``tests/policy/test_third_jurisdiction.py`` for one added from outside.

Parameters
----------
A parameter file holds one legal or engineering number::

    description: County (local) one-time subsidy per household
    metadata:
      unit: currency-CNY
      reference: 盐政办发〔2022〕8号 六(二)2
    documentation: |
      ……地方资金补贴标准为1800元/户
    values:
      2021-01-01:
        value: 1800

Its dotted name is its path below the parameter root (``yanchi.subsidy.local_cny``). A value
applies from its date until the next one; ``null`` means *not in force*. A parameter read at a
date where it is not in force reads as the neutral value of its kind (0, ``False``, no date,
the empty list) and the trace says so; rules never branch on dates, they read dated parameters.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt
import yaml

from cleanheat.errors import InputError, ParameterError

__all__ = [
    "DatedValue",
    "Entity",
    "Field",
    "Jurisdiction",
    "Parameter",
    "ParameterAccess",
    "ParameterList",
    "ParameterTree",
    "Reason",
    "Rule",
    "RuleSet",
    "Trace",
    "rule",
    "group_rows",
]

NAT = np.datetime64("NaT", "D")
PARAMETERS_ROOT = Path(__file__).parent / "parameters"


# --------------------------------------------------------------------------------------------
# Dated parameters
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatedValue:
    """One value of a parameter and the date from which it applies (``None``: not in force)."""

    start: dt.date
    value: Any


@dataclass(frozen=True)
class Parameter:
    """A dated parameter: what it is, its unit, its legal source and its values over time."""

    name: str
    description: str
    unit: str | None
    reference: str
    documentation: str
    values: tuple[DatedValue, ...]
    source_file: str = ""
    overridden: bool = False

    @property
    def kind(self) -> str:
        """The kind of the values: ``bool``, ``int``, ``float``, ``date``, ``list``, ``str`` or ``dict``."""
        kinds = {_kind_of(v.value) for v in self.values if v.value is not None}
        if not kinds:
            return "float"
        if kinds == {"int", "float"}:
            return "float"
        if len(kinds) > 1:
            raise ParameterError(f"parameter {self.name}: values of mixed kinds {sorted(kinds)}")
        return kinds.pop()

    def effective(self, on: dt.date) -> DatedValue | None:
        """The dated value in force on a date, or ``None`` before the first date."""
        found = None
        for dv in self.values:
            if dv.start <= on:
                found = dv
            else:
                break
        return found

    def at(self, on: dt.date) -> Any:
        """The value on a date.

        Raises
        ------
        ParameterError
            If the parameter has no value in force on that date.
        """
        dv = self.effective(on)
        if dv is None or dv.value is None:
            raise ParameterError(f"parameter {self.name} has no value in force on {on.isoformat()}")
        return dv.value

    def neutral(self) -> Any:
        """What the parameter reads as where it is not in force."""
        return {"bool": False, "int": 0, "float": 0.0, "date": None, "list": (), "str": "", "dict": {}}[self.kind]

    @functools.cached_property
    def _starts(self) -> npt.NDArray[np.datetime64]:
        return np.array([np.datetime64(v.start, "D") for v in self.values], dtype="datetime64[D]")

    @functools.cached_property
    def _table(self) -> np.ndarray:
        """Values as an array, the neutral value appended last (index -1 = not in force)."""
        kind = self.kind
        neutral = self.neutral()
        raw = [neutral if v.value is None else v.value for v in self.values] + [neutral]
        if kind == "bool":
            return np.array(raw, dtype=bool)
        if kind == "int":
            return np.array(raw, dtype=np.int64)
        if kind == "float":
            return np.array(raw, dtype=np.float64)
        if kind == "date":
            return np.array([NAT if v is None else np.datetime64(v, "D") for v in raw], dtype="datetime64[D]")
        table = np.empty(len(raw), dtype=object)
        for i, v in enumerate(raw):
            table[i] = frozenset(v) if kind == "list" else v
        return table

    def index_at(self, dates: npt.NDArray[np.datetime64]) -> npt.NDArray[np.int64]:
        """Index of the dated value in force on each date; -1 where none is (or where the date is NaT)."""
        idx = np.searchsorted(self._starts, dates, side="right").astype(np.int64) - 1
        idx[np.isnat(dates)] = -1
        nulls = [i for i, v in enumerate(self.values) if v.value is None]
        if nulls:
            idx[np.isin(idx, nulls)] = -1
        return idx

    def values_at(self, dates: npt.NDArray[np.datetime64]) -> tuple[np.ndarray, npt.NDArray[np.int64]]:
        """Vectorised lookup: (values, indices) on each date; neutral where not in force."""
        idx = self.index_at(dates)
        return self._table[idx], idx

    def describe_value(self, index: int) -> dict[str, Any]:
        """A JSON-able description of one dated value (``index`` -1: not in force)."""
        if index < 0:
            return {"parameter": self.name, "value": None, "effective_from": None, "in_force": False}
        dv = self.values[index]
        return {
            "parameter": self.name,
            "value": _jsonable(dv.value),
            "effective_from": dv.start.isoformat(),
            "in_force": True,
            **({"overridden": True} if self.overridden else {}),
        }


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, list | tuple | frozenset):
        return "list"
    if isinstance(value, str):
        return "str"
    if isinstance(value, Mapping):
        return "dict"
    raise ParameterError(f"unsupported parameter value {value!r}")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, frozenset | tuple | list):
        return sorted(value) if isinstance(value, frozenset) else list(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _as_date(key: Any, where: str) -> dt.date:
    if isinstance(key, dt.datetime):
        return key.date()
    if isinstance(key, dt.date):
        return key
    try:
        return dt.date.fromisoformat(str(key))
    except ValueError as exc:
        raise ParameterError(f"{where}: {key!r} is not an ISO date") from exc


def _parse_parameter(name: str, raw: Mapping[str, Any], source: str) -> Parameter:
    if not isinstance(raw, Mapping) or "values" not in raw:
        raise ParameterError(f"{source}: a parameter file needs 'values'")
    meta = raw.get("metadata") or {}
    values = []
    for key, entry in (raw["values"] or {}).items():
        start = _as_date(key, source)
        value = entry.get("value") if isinstance(entry, Mapping) else entry
        if isinstance(value, str) and name.endswith("_on"):
            value = _as_date(value, source)
        values.append(DatedValue(start, value))
    values.sort(key=lambda v: v.start)
    if "reference" not in meta:
        raise ParameterError(f"{source}: metadata.reference is required (document + clause)")
    return Parameter(
        name=name,
        description=str(raw.get("description", "")),
        unit=meta.get("unit"),
        reference=str(meta["reference"]),
        documentation=str(raw.get("documentation", "")).strip(),
        values=tuple(values),
        source_file=source,
    )


class ParameterTree:
    """All parameters of one or more roots, by dotted name; the folder tree is the namespace."""

    def __init__(self, parameters: Mapping[str, Parameter]) -> None:
        self._parameters = dict(sorted(parameters.items()))

    @classmethod
    def load(cls, *roots: Path) -> ParameterTree:
        """Load every ``*.yaml`` below each root; a file ``a/b/c.yaml`` is parameter ``a.b.c``."""
        params: dict[str, Parameter] = {}
        for root in roots or (PARAMETERS_ROOT,):
            for path in sorted(Path(root).rglob("*.yaml")):
                rel = path.relative_to(root).with_suffix("")
                name = ".".join(rel.parts)
                with path.open(encoding="utf-8") as f:
                    raw = yaml.safe_load(f)
                if name in params:
                    raise ParameterError(f"parameter {name} defined twice ({path})")
                params[name] = _parse_parameter(name, raw, str(path))
        return cls(params)

    def __getitem__(self, name: str) -> Parameter:
        try:
            return self._parameters[name]
        except KeyError:
            raise ParameterError(f"no parameter named {name!r}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._parameters

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self._parameters.values())

    def __len__(self) -> int:
        return len(self._parameters)

    def names(self, prefix: str = "") -> list[str]:
        """Names of the parameters at or below a dotted prefix."""
        if not prefix:
            return list(self._parameters)
        return [n for n in self._parameters if n == prefix or n.startswith(prefix + ".")]

    def is_folder(self, prefix: str) -> bool:
        return any(n.startswith(prefix + ".") for n in self._parameters)

    def with_overrides(self, overrides: Mapping[str, Any], start: dt.date | None = None) -> ParameterTree:
        """A reform: the same tree with some values replaced.

        Without ``start`` the new value replaces every value in force (dates where the
        parameter is not in force stay so); with ``start`` it applies from that date on.
        """
        params = dict(self._parameters)
        for name, value in overrides.items():
            old = self[name]
            if old.kind in ("int", "float") and isinstance(value, int | float) and not isinstance(value, bool):
                value = type(old.values[-1].value if old.values[-1].value is not None else value)(value)
            if start is None:
                vals = tuple(DatedValue(v.start, None if v.value is None else value) for v in old.values)
            else:
                vals = tuple(v for v in old.values if v.start < start) + (DatedValue(start, value),)
            params[name] = replace(old, values=vals, overridden=True)
        return ParameterTree(params)


@functools.cache
def default_tree() -> ParameterTree:
    """The parameters shipped with the package (loaded once per process)."""
    return ParameterTree.load(PARAMETERS_ROOT)


# --------------------------------------------------------------------------------------------
# Reading parameters from rules, with a trace
# --------------------------------------------------------------------------------------------


@dataclass
class Trace:
    """Every parameter a decision read: per (parameter, date basis) the index of the value used."""

    reads: dict[tuple[str, str], npt.NDArray[np.int64]] = field(default_factory=dict)

    def record(self, name: str, basis: str, idx: npt.NDArray[np.int64]) -> None:
        self.reads[(name, basis)] = idx

    def versions(self, n: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Group records that read the same dated values: (group of each record, one record per group)."""
        if not self.reads or n == 0:
            return np.zeros(n, dtype=np.int64), np.zeros(min(n, 1), dtype=np.int64)
        return group_rows(np.stack([idx for idx in self.reads.values()], axis=1))

    def for_record(self, tree: ParameterTree, i: int) -> list[dict[str, Any]]:
        """The parameters record ``i`` read, each with its value, effective date and reference."""
        out = []
        for (name, basis), idx in sorted(self.reads.items()):
            param = tree[name]
            entry = param.describe_value(int(idx[i]))
            entry["read_on"] = basis
            entry["reference"] = param.reference
            out.append(entry)
        return out


def group_rows(matrix: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Number the distinct rows of a small-valued integer matrix: (group of each row, first row of each group).

    Columns are folded into one int64 key (mixed radix, re-numbered whenever the key would grow
    past 2**40), so that grouping a million rows is a 1-D sort rather than a row-wise one.
    """
    n = matrix.shape[0]
    key = np.zeros(n, dtype=np.int64)
    span = 1
    for j in range(matrix.shape[1]):
        col = matrix[:, j].astype(np.int64)
        col = col - col.min()
        radix = int(col.max()) + 1
        if span * radix > 2**40:
            _, key = np.unique(key, return_inverse=True)
            key = key.reshape(-1).astype(np.int64)
            span = int(key.max()) + 1
        key = key * radix + col
        span *= radix
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64), first.astype(np.int64)


class ParameterList:
    """A list-valued parameter read per record: test membership with :meth:`contains`."""

    def __init__(self, table: np.ndarray, idx: npt.NDArray[np.int64]) -> None:
        self._table = table
        self._idx = idx

    def contains(self, values: np.ndarray) -> npt.NDArray[np.bool_]:
        """Whether each record's value is in the list in force on that record's date."""
        out = np.zeros(len(values), dtype=bool)
        for k in np.unique(self._idx):
            members = list(self._table[k])
            sel = self._idx == k
            if members:
                out[sel] = np.isin(values[sel], members)
        return out


class ParameterAccess:
    """Attribute access to parameters resolved per record on a date array (``p.yanchi.subsidy.local_cny``).

    ``p.on(other_dates, "accepted_on")`` reads the same tree on another date of each record.
    """

    def __init__(self, tree: ParameterTree, dates: npt.NDArray[np.datetime64], basis: str, trace: Trace,
                 prefix: str = "") -> None:
        self._tree = tree
        self._dates = dates
        self._basis = basis
        self._trace = trace
        self._prefix = prefix

    def on(self, dates: npt.NDArray[np.datetime64], basis: str) -> ParameterAccess:
        return ParameterAccess(self._tree, dates, basis, self._trace)

    def get(self, name: str) -> Any:
        param = self._tree[name]
        table_values, idx = param.values_at(self._dates)
        self._trace.record(name, self._basis, idx)
        if param.kind == "list":
            return ParameterList(param._table, idx)
        return table_values

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):
            raise AttributeError(attr)
        name = f"{self._prefix}.{attr}" if self._prefix else attr
        if name in self._tree:
            return self.get(name)
        if self._tree.is_folder(name):
            return ParameterAccess(self._tree, self._dates, self._basis, self._trace, name)
        raise ParameterError(f"no parameter or folder named {name!r}")


# --------------------------------------------------------------------------------------------
# Input fields, entities, rules and reasons
# --------------------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class Reason:
    """How one rule explains itself: a code per outcome with a line in Chinese and English.

    The templates may name parameters in braces (``{yanchi.subsidy.central_cny}``); they are
    filled from the values the record read.
    """

    rule: str
    clause: str
    details: Mapping[int, tuple[str, str]]


R = TypeVar("R")


@dataclass(frozen=True)
class Rule(Generic[R]):
    """A legal quantity: a function of the records and the parameters, with its clause."""

    name: str
    reference: str
    func: Callable[..., R]
    doc: str


class RuleSet:
    """The rules of one jurisdiction, registered by :meth:`rule`."""

    def __init__(self, jurisdiction: str) -> None:
        self.jurisdiction = jurisdiction
        self.rules: dict[str, Rule[Any]] = {}

    def rule(self, reference: str) -> Callable[[Callable[..., R]], Callable[..., R]]:
        """Register a rule under its function's name, with its legal reference."""

        def register(func: Callable[..., R]) -> Callable[..., R]:
            self.rules[func.__name__] = Rule(func.__name__, reference, func, (func.__doc__ or "").strip())
            func.reference = reference  # type: ignore[attr-defined]
            return func

        return register


def rule(ruleset: RuleSet, reference: str) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Decorator form: ``@rule(RULES, reference="盐政办发〔2022〕8号 六(二)1")``."""
    return ruleset.rule(reference)


class Entity:
    """The records of one decision run: input fields as arrays, rules computed on demand and cached.

    ``h.heated_area_m2`` is the input array; ``h.eligible`` calls the rule ``eligible(h, p)``
    once. Rules read parameters through ``p``, dated on the record's period field.
    """

    def __init__(self, columns: Mapping[str, np.ndarray], rules: RuleSet, params: ParameterAccess) -> None:
        self._columns = dict(columns)
        self._rules = rules
        self._params = params
        self._cache: dict[str, Any] = {}
        self._stack: list[str] = []
        self.n = len(next(iter(self._columns.values()))) if self._columns else 0

    @property
    def params(self) -> ParameterAccess:
        return self._params

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._columns:
            return self._columns[name]
        if name in self._cache:
            return self._cache[name]
        r = self._rules.rules.get(name)
        if r is None:
            raise AttributeError(f"{self._rules.jurisdiction}: no input field or rule named {name!r}")
        if name in self._stack:
            raise RuntimeError(f"rule cycle: {' → '.join([*self._stack, name])}")
        self._stack.append(name)
        try:
            value = r.func(self, self._params)
        finally:
            self._stack.pop()
        self._cache[name] = value
        return value

    def computed(self) -> list[str]:
        """Names of the rules computed so far."""
        return list(self._cache)


# --------------------------------------------------------------------------------------------
# Record validation: JSON-like dicts → column arrays
# --------------------------------------------------------------------------------------------


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


def reason_texts(reason: Reason, code: int, values: Mapping[str, Any]) -> tuple[str, str]:
    """Fill a reason's templates with parameter values (``{a.b.c}`` → the value read)."""
    zh, en = reason.details[code]
    for name, value in values.items():
        token = "{" + name + "}"
        if token in zh or token in en:
            text = _format_value(value)
            zh, en = zh.replace(token, text), en.replace(token, text)
    return zh, en


def _format_value(value: Any) -> str:
    if isinstance(value, float) and value < 1:
        return f"{value:.0%}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, frozenset | list | tuple):
        return "、".join(sorted(value))
    return str(value)


def param_values_for(tree: ParameterTree, trace: Trace, i: int) -> dict[str, Any]:
    """The parameter values record ``i`` read, by name (for filling reason templates)."""
    out: dict[str, Any] = {}
    for (name, _basis), idx in trace.reads.items():
        k = int(idx[i])
        out[name] = tree[name].values[k].value if k >= 0 else tree[name].neutral()
    return out


def iter_dates(values: Iterable[Any]) -> npt.NDArray[np.datetime64]:
    """Convenience: ISO strings / dates / None → a datetime64[D] array."""
    return np.array([NAT if v is None else np.datetime64(v, "D") for v in values], dtype="datetime64[D]")


# --------------------------------------------------------------------------------------------
# A jurisdiction: what the engine needs to decide its records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Jurisdiction:
    """Everything the engine needs to decide one jurisdiction's records.

    Parameters
    ----------
    name : str
        Its name, also the top folder of its parameters (``yanchi``).
    fields : sequence of Field
        The input fields of a record.
    id_field : str
        The field that names a record in error messages and outputs.
    period_field : str
        The date field on which parameters are read by default.
    rules : RuleSet
        Its rules.
    reasons : sequence of Reason
        The reasons a decision lists, in order.
    reason_codes : callable
        ``(Entity) -> list of int arrays``, one per reason (−1: not shown for that record).
    outputs : callable
        ``(Entity) -> {output field: array}``: the decision's fields.
    check : callable, optional
        ``(columns, records) -> None``: cross-field checks raising :class:`InputError`;
        may add or replace columns.
    parameter_root : Path, optional
        Where its parameter folder lives, when not inside the package's.
    """

    name: str
    fields: tuple[Field, ...]
    id_field: str
    period_field: str
    rules: RuleSet
    reasons: tuple[Reason, ...]
    reason_codes: Callable[[Entity], list[npt.NDArray[np.int64]]]
    outputs: Callable[[Entity], dict[str, np.ndarray]]
    check: Callable[[dict[str, np.ndarray], list[Any]], None] | None = None
    parameter_root: Path | None = None
