"""Dated parameters: numbers with a unit, a source and the dates they apply from.

Policy parameters and engineering defaults (tariffs, prices, emission factors, climate
normals) share one schema, OpenFisca's (STYLE §4)::

    description: County (local) one-time subsidy per household
    metadata:
      unit: currency-CNY
      reference: 盐政办发〔2022〕8号 六(二)2
    documentation: |
      ……地方资金补贴标准为1800元/户
    values:
      2021-01-01:
        value: 1800

A parameter's dotted name is its path below its root (``yanchi.subsidy.local_cny``). A value
applies from its date until the next one; ``null`` means *not in force*. Read per record on a
date array (:meth:`Parameter.values_at`), a parameter not in force reads as the neutral value
of its kind (0, ``False``, no date, the empty list).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml

from cleanheat.errors import ParameterError

__all__ = ["NAT", "DatedValue", "Parameter", "ParameterTree", "jsonable"]

NAT = np.datetime64("NaT", "D")


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
            "value": jsonable(dv.value),
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


def jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, frozenset | tuple | list):
        return sorted(value) if isinstance(value, frozenset) else list(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
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
        for root in roots:
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


