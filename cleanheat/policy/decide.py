"""Records in, decisions with reasons out: the one place that runs a jurisdiction's rules.

:func:`decide` validates the records, evaluates the rules once over all of them (vectorised),
and returns a :class:`Decisions` holding one array per output field, the reason codes and the
trace. :meth:`Decisions.to_records` turns them into the JSON objects of SPEC §7; reason lists
and traces are built once per distinct outcome and shared between records, so a million
decisions cost about as much as their amounts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from cleanheat import __version__
from cleanheat.errors import InputError
from cleanheat.policy.engine import (
    Entity,
    Jurisdiction,
    ParameterAccess,
    ParameterTree,
    Trace,
    default_tree,
    group_rows,
    param_values_for,
    reason_texts,
    to_columns,
)

__all__ = ["Decisions", "decide", "decide_beijing", "decide_yanchi", "jurisdiction", "JURISDICTIONS"]


@functools.cache
def jurisdiction(name: str) -> Jurisdiction:
    """The jurisdiction of that name (``yanchi``, ``beijing``)."""
    if name == "yanchi":
        from cleanheat.policy.rules import yanchi as y

        return Jurisdiction(
            name="yanchi", fields=y.FIELDS, id_field="household_id", period_field="installed_on", rules=y.RULES,
            reasons=y.REASONS, reason_codes=y.reason_codes, outputs=y.outputs, check=y.check_records,
            ignored_fields=y.LEDGER_FIELDS,
        )
    if name == "beijing":
        from cleanheat.policy.rules import beijing as b

        return Jurisdiction(
            name="beijing", fields=b.FIELDS, id_field="project_id", period_field="applied_on", rules=b.RULES,
            reasons=b.REASONS, reason_codes=b.reason_codes, outputs=b.outputs, check=b.check_records,
        )
    raise InputError(f"unknown jurisdiction {name!r}; expected one of {', '.join(JURISDICTIONS)}")


JURISDICTIONS = ("yanchi", "beijing")


@dataclass
class Decisions:
    """The decisions of one run: output arrays, reason codes and the parameter trace."""

    jurisdiction: Jurisdiction
    tree: ParameterTree
    entity: Entity
    outputs: dict[str, np.ndarray]
    codes: npt.NDArray[np.int64]  # (n records, n reasons)
    trace: Trace

    def __len__(self) -> int:
        return int(self.codes.shape[0])

    def to_records(self, *, trace: bool = False) -> list[dict[str, Any]]:
        """The decisions as JSON-able dicts, in input order (SPEC §7 field names)."""
        with _gc_paused():
            return self._to_records(trace)

    def _to_records(self, trace: bool) -> list[dict[str, Any]]:
        n = len(self)
        if n == 0:
            return []
        version, first = self.trace.versions(n)
        # one reason list per distinct (reason codes, parameter version) row, shared by its records
        inverse, first_of_key = group_rows(np.concatenate([self.codes, version[:, None]], axis=1))
        lists = [self._reason_list(self.codes[int(i)], int(i)) for i in first_of_key]
        reasons = [lists[k] for k in inverse.tolist()]
        columns = {name: _tolist(arr) for name, arr in self.outputs.items()}
        columns["reasons"] = reasons
        names = list(columns)
        rows = [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]
        if trace:
            traces = {int(v): self._trace_record(int(first[v])) for v in np.unique(version)}
            for row, v in zip(rows, version.tolist(), strict=True):
                row["trace"] = traces[v]
        return rows

    def _reason_list(self, codes: np.ndarray, i: int) -> list[dict[str, Any]]:
        values = param_values_for(self.tree, self.trace, i)
        out = []
        for reason, code in zip(self.jurisdiction.reasons, codes.tolist(), strict=True):
            if code < 0:
                continue
            zh, en = reason_texts(reason, code, values, self.tree)
            out.append({"rule": reason.rule, "clause": reason.clause, "detail": zh, "detail_en": en,
                        "passed": reason.passed(code)})
        return out

    def _trace_record(self, i: int) -> dict[str, Any]:
        return {
            "package": "cleanheat",
            "package_version": __version__,
            "jurisdiction": self.jurisdiction.name,
            "decided_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "parameters": self.trace.for_record(self.tree, i),
        }


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a million acyclic dicts are built.

    Each collection would walk every live container (the input records too); building the
    output creates no reference cycles, so pausing it changes nothing but the time (about half).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _tolist(arr: np.ndarray) -> list[Any]:
    if arr.dtype.kind == "M":
        return [None if np.isnat(v) else str(v) for v in arr]
    values: list[Any] = arr.tolist()
    return values


def decide(
    juris: Jurisdiction | str,
    records: Sequence[Any],
    *,
    tree: ParameterTree | None = None,
    columns: Mapping[str, np.ndarray] | None = None,
) -> Decisions:
    """Decide all records of one jurisdiction at once.

    Parameters
    ----------
    juris : Jurisdiction or str
        The jurisdiction, or its name.
    records : sequence of mappings
        Input records (JSON objects with the jurisdiction's fields).
    tree : ParameterTree, optional
        The parameters (default: those shipped with the package); pass a reform's tree to
        decide under changed parameters.
    columns : mapping of arrays, optional
        Already validated columns (skips validation; for benchmarks and bulk callers).

    Raises
    ------
    InputError
        The first bad record, naming it and the field.
    """
    j = jurisdiction(juris) if isinstance(juris, str) else juris
    if tree is None:
        tree = default_tree() if j.parameter_root is None else ParameterTree.load(j.parameter_root)
    records = list(records)
    if columns is None:
        cols = to_columns(records, j.fields, j.id_field, j.ignored_fields)
        if j.check is not None:
            j.check(cols, records)
    else:
        cols = dict(columns)
    trace = Trace()
    params = ParameterAccess(tree, cols[j.period_field], j.period_field, trace)
    entity = Entity(cols, j.rules, params)
    outputs = j.outputs(entity)
    code_list = j.reason_codes(entity)
    n = entity.n
    codes = np.stack(code_list, axis=1).astype(np.int64) if code_list else np.zeros((n, 0), dtype=np.int64)
    return Decisions(j, tree, entity, outputs, codes, trace)


def decide_yanchi(
    records: Sequence[Mapping[str, Any]], *, trace: bool = False, tree: ParameterTree | None = None
) -> list[dict[str, Any]]:
    """Yanchi household subsidies (SPEC §2, §7 ``subsidy yanchi``) for a batch of records."""
    return decide("yanchi", records, tree=tree).to_records(trace=trace)


def decide_beijing(
    records: Sequence[Mapping[str, Any]], *, trace: bool = False, tree: ParameterTree | None = None
) -> list[dict[str, Any]]:
    """Beijing heat-pump funding decisions (SPEC §5, §7 ``funding beijing``) for a batch of records."""
    return decide("beijing", records, tree=tree).to_records(trace=trace)
