"""The rules engine: dated parameters, the rule registry and the trace.

The design follows OpenFisca's (parameters as dated YAML files, one function per legal
quantity, vectorised over all records) without depending on openfisca-core. The engine knows
nothing of any jurisdiction: a jurisdiction is a parameter folder plus a rules module that
declares its input fields (:class:`Field`), its rules (:func:`rule`) and its reasons
(:class:`Reason`). See ``tests/policy/test_third_jurisdiction.py`` for one added from outside.

Dated parameters (:mod:`cleanheat.parameters`) and record validation (:mod:`cleanheat.records`)
live below the engine, since the engineering defaults use them too; they are re-exported here.
A parameter read at a date where it is not in force reads as the neutral value of its kind and
the trace says so; rules never branch on dates, they read dated parameters.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt

from cleanheat.errors import ParameterError
from cleanheat.parameters import POLICY_ROOT, DatedValue, Parameter, ParameterTree, jsonable
from cleanheat.records import Field, to_columns

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
    "jsonable",
    "to_columns",
    "default_tree",
    "PARAMETERS_ROOT",
]

PARAMETERS_ROOT = POLICY_ROOT
"""The policy parameters' root (:data:`cleanheat.parameters.POLICY_ROOT`)."""


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

    def first_true(self, name: str) -> np.datetime64:
        """The first day on which a window parameter is true (``NaT`` if never), for every record alike."""
        start, _ = self._tree[name].true_span()
        return np.datetime64("NaT", "D") if start is None else np.datetime64(start, "D")

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
class Reason:
    """How one rule explains itself: a code per outcome with a line in Chinese and English.

    The templates name parameters in braces, never a number or date of their own, so that a
    reform's values show in its reasons:

    * ``{yanchi.subsidy.central_cny}`` — the value the record read;
    * ``{yanchi.self_install.eligible:from}`` — the first day the parameter is true;
    * ``{yanchi.programme.open:span}`` — the window over which it is true
      (``2021年1月1日至2023年12月31日`` / ``2021-01-01 to 2023-12-31``, or ``…起`` / ``from …``
      when open-ended).

    ``fails`` are the codes that are a failed condition (``passed: false`` in the output);
    every other code is a condition met or information (``passed: true``).
    """

    rule: str
    clause: str
    details: Mapping[int, tuple[str, str]]
    fails: frozenset[int] = frozenset()

    def passed(self, code: int) -> bool:
        """Whether the outcome ``code`` is a condition met (or information) rather than a failure."""
        return code not in self.fails


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


_TOKEN = re.compile(r"\{([A-Za-z0-9_.]+)(?::(from|span))?\}")


def reason_texts(reason: Reason, code: int, values: Mapping[str, Any],
                 tree: ParameterTree | None = None) -> tuple[str, str]:
    """Fill a reason's templates: ``{a.b.c}`` → the value read; ``{a.b.c:from}``, ``{a.b.c:span}`` → its dates.

    Dates come from ``tree`` (the run's parameters, a reform's included); a token that cannot
    be filled is left as it is (a test then sees it).
    """
    zh, en = reason.details[code]
    return _fill(zh, values, tree, "zh"), _fill(en, values, tree, "en")


def _fill(text: str, values: Mapping[str, Any], tree: ParameterTree | None, lang: str) -> str:
    def one(m: re.Match[str]) -> str:
        name, form = m.group(1), m.group(2)
        if form is None:
            return _format_value(values[name], lang) if name in values else m.group(0)
        if tree is None or name not in tree:
            return m.group(0)
        start, end = tree[name].true_span()
        if start is None:
            return "—"
        if form == "from":
            return _format_date(start, lang)
        if end is None:
            return f"{_format_date(start, lang)}起" if lang == "zh" else f"from {_format_date(start, lang)}"
        joiner = "至" if lang == "zh" else " to "
        return f"{_format_date(start, lang)}{joiner}{_format_date(end, lang)}"

    return _TOKEN.sub(one, text) if "{" in text else text


def _format_date(d: dt.date, lang: str) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if lang == "zh" else d.isoformat()


def _format_value(value: Any, lang: str = "en") -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value < 1:
        return f"{value:.0%}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.date):
        return _format_date(value, lang)
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
    ignored_fields : tuple of str
        Fields a record may carry for other uses (the ledger's name, phone…): neither read nor
        refused. Any other unknown field is an input error.
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
    ignored_fields: tuple[str, ...] = ()
