"""What ``cleanheat params`` shows: a parameter's dated values, unit, reference and original text."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

from cleanheat.errors import InputError
from cleanheat.parameters import ParameterTree, jsonable
from cleanheat.policy.engine import PARAMETERS_ROOT

__all__ = ["DEFAULTS_ROOT", "describe", "load_all_parameters"]

DEFAULTS_ROOT = Path(__file__).resolve().parent.parent / "data" / "defaults"
"""Engineering defaults (tariffs, prices, emission factors, climate normals), same schema."""


@functools.cache
def load_all_parameters() -> ParameterTree:
    """Policy parameters and engineering defaults in one tree."""
    roots = [PARAMETERS_ROOT] + ([DEFAULTS_ROOT] if DEFAULTS_ROOT.is_dir() else [])
    return ParameterTree.load(*roots)


def describe(tree: ParameterTree, path: str, on: dt.date | None) -> dict[str, Any]:
    """The parameters at or below ``path``, each with its values (and the value on ``on``).

    Raises
    ------
    InputError
        No parameter or folder of that name.
    """
    path = path.strip().strip(".").replace("/", ".")
    names = tree.names(path)
    if not names:
        raise InputError(f"no parameter or folder named {path!r} (try `cleanheat params` for the tree)",
                         field="PATH")
    out = []
    for name in names:
        p = tree[name]
        entry: dict[str, Any] = {
            "name": name,
            "description": p.description,
            "unit": p.unit,
            "reference": p.reference,
            "documentation": p.documentation,
            "values": [{"from": v.start.isoformat(), "value": jsonable(v.value)} for v in p.values],
        }
        if on is not None:
            dv = p.effective(on)
            entry["on"] = {
                "date": on.isoformat(),
                "value": None if dv is None else jsonable(dv.value),
                "effective_from": None if dv is None else dv.start.isoformat(),
                "in_force": dv is not None and dv.value is not None,
            }
        out.append(entry)
    return {"path": path, "on": on.isoformat() if on else None, "parameters": out}
