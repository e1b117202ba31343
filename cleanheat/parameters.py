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
import difflib
import functools
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml

from cleanheat.errors import ParameterError

__all__ = [
    "DEFAULTS_ROOT",
    "NAT",
    "POLICY_ROOT",
    "DatedValue",
    "Parameter",
    "ParameterTree",
    "all_parameters",
    "defaults_tree",
    "jsonable",
    "values_under",
]

PACKAGE_ROOT = Path(__file__).resolve().parent
POLICY_ROOT = PACKAGE_ROOT / "policy" / "parameters"
"""Policy parameters (``yanchi.*``, ``beijing.*``): every number of the programmes' documents."""

DEFAULTS_ROOT = PACKAGE_ROOT / "data" / "defaults"
"""Engineering defaults (``technologies.*``, ``building.*``, ``climate.*``, ``tariffs.*``, ``prices.*`` …)."""

NAT = np.datetime64("NaT", "D")

WHOLE_UNITS = frozenset({"currency-CNY", "household", "day"})
"""Units whose values are whole numbers: yuan (STYLE §2), households, days."""

FRACTION_UNITS = frozenset({"ratio"})
"""Units whose values lie in 0–1 (a support ratio)."""

NON_NEGATIVE_UNITS = frozenset({"m2", "m", "kW", "kWh", "hour", "L", "a", "currency-CNY/kWh", "currency-CNY/kg",
                                "currency-CNY/m3"})
"""Units of quantities that cannot be negative (areas, lengths, powers, energies, durations, prices)."""


def _num(x: float) -> str:
    return f"{int(x)}" if float(x).is_integer() else f"{x:g}"


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
    minimum: float | None = None
    maximum: float | None = None

    @property
    def whole(self) -> bool:
        """Whether values are whole numbers (yuan, households, days): a reform may not give 2500.5."""
        return self.unit in WHOLE_UNITS or (self.unit is None and self.kind == "int")

    def bounds(self) -> tuple[float | None, float | None]:
        """The valid range of a numeric value: ``metadata.min``/``max``, else by unit (ratio 0–1, amounts ≥ 0)."""
        lo, hi = self.minimum, self.maximum
        if self.unit in FRACTION_UNITS:
            lo = 0.0 if lo is None else lo
            hi = 1.0 if hi is None else hi
        if self.unit in NON_NEGATIVE_UNITS or self.unit in WHOLE_UNITS:
            lo = 0.0 if lo is None else lo
        return lo, hi

    def check_value(self, value: Any) -> Any:
        """A reform value checked against the parameter's kind, unit and range, never converted lossily.

        An area (m²) takes 59.5; a whole-yuan amount refuses 2500.5; a boolean takes only
        true/false; a number outside :meth:`bounds` (a Carnot fraction of 5) is refused.

        Raises
        ------
        ParameterError
            The value does not fit, with the reason.
        """
        kind = self.kind
        unit = f" ({self.unit})" if self.unit not in (None, "", "1") else ""
        if value is None:
            return None
        if kind == "bool":
            if not isinstance(value, bool):
                raise ParameterError(f"{self.name} takes true or false, got {value!r}")
            return value
        if kind in ("int", "float"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ParameterError(f"{self.name} takes a number{unit}, got {value!r}")
            if not math.isfinite(value):
                raise ParameterError(f"{self.name} takes a finite number, got {value!r}")
            if self.whole:
                if float(value) != int(value):
                    raise ParameterError(f"{self.name} takes a whole number{unit}, got {value!r} "
                                         "(it would not be rounded)")
                value = int(value)
            lo, hi = self.bounds()
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                rng = f"{_num(lo) if lo is not None else '−∞'}–{_num(hi) if hi is not None else '∞'}"
                raise ParameterError(f"{self.name} must be within {rng}{unit}, got {value!r}")
            return value
        if kind == "date":
            if isinstance(value, dt.date):
                return value
            return _as_date(value, self.name)
        if kind == "list":
            if not isinstance(value, list | tuple | frozenset):
                raise ParameterError(f"{self.name} takes a list, got {value!r}")
            return list(value)
        if kind == "str" and not isinstance(value, str):
            raise ParameterError(f"{self.name} takes a text value, got {value!r}")
        if kind == "dict" and not isinstance(value, Mapping):
            raise ParameterError(f"{self.name} takes a mapping, got {value!r}")
        return value

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

    def true_span(self) -> tuple[dt.date | None, dt.date | None]:
        """The first span of dates over which the value is true (a window such as the programme's).

        Returns ``(first day, last day)``; the last day is ``None`` when the span is open-ended,
        and both are ``None`` when the value is never true. For a number, "true" is non-zero.
        """
        start: dt.date | None = None
        for dv in self.values:
            if dv.value and start is None:
                start = dv.start
            elif not dv.value and start is not None:
                return start, dv.start - dt.timedelta(days=1)
        return start, None

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
    for bound in ("min", "max"):
        if bound in meta and (isinstance(meta[bound], bool) or not isinstance(meta[bound], int | float)):
            raise ParameterError(f"{source}: metadata.{bound} must be a number, got {meta[bound]!r}")
    return Parameter(
        name=name,
        description=str(raw.get("description", "")),
        unit=meta.get("unit"),
        reference=str(meta["reference"]),
        documentation=str(raw.get("documentation", "")).strip(),
        values=tuple(values),
        source_file=source,
        minimum=meta.get("min"),
        maximum=meta.get("max"),
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

    def get_suggesting(self, name: str) -> Parameter:
        """The parameter of that name; the error names the nearest one (``did you mean …``)."""
        if name in self._parameters:
            return self._parameters[name]
        close = difflib.get_close_matches(name, list(self._parameters), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ParameterError(f"no parameter named {name!r}{hint}")

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
        parameter is not in force stay so); with ``start`` it applies from that date on. Each
        value is checked by :meth:`Parameter.check_value` (kind, whole units, range): a value of
        the wrong type is refused, never truncated.

        Raises
        ------
        ParameterError
            An unknown parameter (with the nearest name) or a value that does not fit it.
        """
        params = dict(self._parameters)
        for name, value in overrides.items():
            old = self.get_suggesting(name)
            value = old.check_value(value)
            if start is None:
                vals = tuple(DatedValue(v.start, None if v.value is None else value) for v in old.values)
            else:
                vals = tuple(v for v in old.values if v.start < start) + (DatedValue(start, value),)
            params[name] = replace(old, values=vals, overridden=True)
        return ParameterTree(params)




# --------------------------------------------------------------------------------------------
# The one namespace: every parameter by the name `cleanheat params` shows
# --------------------------------------------------------------------------------------------


@functools.cache
def defaults_tree() -> ParameterTree:
    """The engineering defaults (``cleanheat/data/defaults``), loaded once; names from that root.

    The one loader of the defaults: the technology catalogue, the building envelope classes,
    the sites and the tariffs all read this tree, so a default has one name everywhere —
    the name ``cleanheat params`` lists and ``simulate --param`` takes
    (``technologies.gshp.borehole_length_m``).
    """
    return ParameterTree.load(DEFAULTS_ROOT)


@functools.cache
def all_parameters() -> ParameterTree:
    """Policy parameters and engineering defaults in one tree (what ``cleanheat params`` browses)."""
    return ParameterTree.load(POLICY_ROOT, DEFAULTS_ROOT)


def values_under(tree: ParameterTree, prefix: str, on: dt.date) -> dict[str, Any]:
    """The values on a date of every parameter below ``prefix``, by their name below it.

    ``values_under(defaults_tree(), "technologies", d)["gshp.eta_carnot"]`` is the value of
    ``technologies.gshp.eta_carnot``.
    """
    cut = len(prefix) + 1
    return {name[cut:]: tree[name].at(on) for name in tree.names(prefix)}
