"""What ``cleanheat params`` shows: a parameter's dated values, unit, reference and original text."""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Any

from cleanheat.errors import InputError
from cleanheat.parameters import ParameterTree, all_parameters, jsonable

__all__ = ["describe", "load_all_parameters"]


def load_all_parameters() -> ParameterTree:
    """Policy parameters and engineering defaults in one tree (:func:`cleanheat.parameters.all_parameters`)."""
    return all_parameters()


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
        folders = {".".join(n.split(".")[:k]) for n in tree.names() for k in range(1, n.count(".") + 1)}
        close = difflib.get_close_matches(path, [*tree.names(), *folders], n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise InputError(f"no parameter or folder named {path!r}{hint} (try `cleanheat params` for the tree)",
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
        if p.kind in ("int", "float"):
            lo, hi = p.bounds()
            entry["range"] = {"min": lo, "max": hi, "whole": p.whole}
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
