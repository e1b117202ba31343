"""The dated parameter tree: every policy number and engineering default with its values over time,
unit, clause and original text (what ``cleanheat params`` shows).

The pages are readable by everyone, signed in or not: the parameters are the published rules (盐政办发〔2022〕8号,
京热泵实施意见(2019)) and the engineering defaults' public sources, and the public calculators
rest on them. Nobody edits them here, the administrator included: they are dated YAML files shipped
in the package (``cleanheat/policy/parameters/``, ``cleanheat/data/defaults/``); a change of policy is a
new dated value in a file, reviewed and released with the package, so that every decision can name
the version it used.

Pages
    ``GET /parameters`` (search ``q``, folder, value on a date ``on``; the table swaps with HTMX),
    ``GET /parameters?name=NAME`` (one parameter: dated values, unit, reference, valid range, original
    text). Both open to anonymous visitors.

API
    ``GET /api/v1/parameters?path=&on=``: the ``cleanheat params [PATH] [--on DATE] --json`` document,
    for signed-in users (the anonymous API is only the calculators').
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from cleanheat.errors import InputError
from cleanheat.registry.services.users import Principal
from cleanheat.web.deps import language, render, require
from cleanheat.web.nav import N_

if TYPE_CHECKING:
    from cleanheat.parameters import ParameterTree

__all__ = ["UNIT_LABELS", "describe_all", "router", "search", "show_value", "unit_text"]

router = APIRouter()

UNIT_LABELS = {
    "currency-CNY": N_("CNY"), "currency-CNY/kWh": N_("CNY/kWh"), "currency-CNY/kg": N_("CNY/kg"),
    "currency-CNY/m3": N_("CNY/m³"), "ratio": N_("ratio"), "household": N_("households"), "boolean": N_("yes/no"),
    "bool": N_("yes/no"), "day": N_("days"), "hour": N_("hours"), "a": N_("years"), "year": N_("year"),
    "date": N_("date"), "code": N_("code"), "list of investment items": N_("list of investment items"),
    "list of project kinds": N_("list of project kinds"), "list of technology codes": N_("list of heating methods"),
    "complaint-per-100-installations": N_("complaints per 100 installations"), "day-of-month": N_("day of the month"),
}
"""Units people read differently from their code; the others are shown as written (m2 → m², degC → °C)."""


def unit_text(unit: str | None, gettext: Any = str) -> str:
    """A parameter's unit as a table shows it: ``currency-CNY`` → 元 (CNY), ``1`` → —, ``W/(m2 K)`` → W/(m² K)."""
    if unit is None or unit in ("", "1"):
        return "—"
    if unit in UNIT_LABELS:
        return str(gettext(UNIT_LABELS[unit]))
    return unit.replace("m2", "m²").replace("m3", "m³").replace("degC", "°C")


def show_value(value: Any, gettext: Any = str) -> str:
    """A parameter value as text: lists joined, mappings as ``key: value``, ``None`` as not in force."""
    if value is None:
        return "— " + str(gettext(N_("(not in force)")))
    if isinstance(value, bool):
        return str(gettext(N_("yes") if value else N_("no")))
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        return ", ".join(show_value(v, gettext) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {show_value(v, gettext)}" for k, v in value.items())
    return str(value)


@functools.cache
def _tree() -> ParameterTree:
    from cleanheat.policy.params_view import load_all_parameters

    return load_all_parameters()


def describe_all(path: str = "", on: dt.date | None = None) -> dict[str, Any]:
    """``cleanheat params PATH --on DATE --json`` (the files are read once per process: they ship in the package)."""
    from cleanheat.policy.params_view import describe

    return describe(_tree(), path, on)


def search(params: list[dict[str, Any]], q: str) -> list[dict[str, Any]]:
    """The parameters whose name, description, reference or original text holds every word of ``q``."""
    words = [w.casefold() for w in q.split()]
    if not words:
        return params

    def text(p: dict[str, Any]) -> str:
        return " ".join(str(p.get(k) or "") for k in ("name", "description", "reference", "documentation")).casefold()

    return [p for p in params if all(w in text(p) for w in words)]


def _day(value: str | None) -> dt.date | None:
    if value is None or not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"not a date (YYYY-MM-DD): {value!r}", field="on") from None


def _rows(params: list[dict[str, Any]], on: dt.date | None, gettext: Any) -> list[dict[str, Any]]:
    rows = []
    for p in params:
        if on is not None:
            value, since = p["on"]["value"], p["on"]["effective_from"]
        else:
            last = p["values"][-1] if p["values"] else {"value": None, "from": None}
            value, since = last["value"], last["from"]
        rows.append({"name": p["name"], "folder": p["name"].split(".")[0], "description": p["description"],
                     "value": show_value(value, gettext), "since": since, "unit": unit_text(p["unit"], gettext),
                     "reference": p["reference"], "dated_values": len(p["values"])})
    return rows


@router.get("/parameters", include_in_schema=False)
def parameters_page(request: Request, q: Annotated[str | None, Query()] = None,
                    folder: Annotated[str | None, Query()] = None, on: Annotated[str | None, Query()] = None,
                    name: Annotated[str | None, Query()] = None) -> Response:
    from urllib.parse import urlencode

    from cleanheat.web.i18n import translations

    if name:
        return _parameter_page(request, name, on)
    gettext = translations(language(request)).gettext
    error = None
    try:
        day = _day(on)
    except InputError as exc:
        error, day = str(exc), None
    view = describe_all("", day)
    folders = sorted({p["name"].split(".")[0] for p in view["parameters"]})
    params = view["parameters"]
    if folder in folders:
        params = [p for p in params if p["name"].split(".")[0] == folder]
    params = search(params, q or "")
    form = {"q": q or "", "folder": folder if folder in folders else "", "on": day.isoformat() if day else ""}
    ctx = {"active": "/parameters", "rows": _rows(params, day, gettext), "total": len(view["parameters"]),
           "folders": folders, "form": form, "error": error, "query": urlencode({k: v for k, v in form.items() if v})}
    htmx = request.headers.get("hx-request") == "true" and request.headers.get("hx-target") == "results"
    return render(request, "parameters/_table.html" if htmx else "parameters/list.html", ctx,
                  status_code=422 if error else 200)


def _parameter_page(request: Request, name: str, on: str | None) -> Response:
    from urllib.parse import quote

    from fastapi.responses import RedirectResponse

    from cleanheat.web.i18n import translations

    gettext = translations(language(request)).gettext
    day = _day(on)
    view = describe_all(name, day)  # InputError (no such parameter or folder, with a suggestion) → 422
    exact = [p for p in view["parameters"] if p["name"] == view["path"]]
    if not exact:
        return RedirectResponse(f"/parameters?q={quote(view['path'])}", status_code=303)
    p = exact[0]
    values = [{"from": v["from"], "value": show_value(v["value"], gettext), "in_force": v["value"] is not None}
              for v in p["values"]]
    ctx = {"active": "/parameters", "p": p, "values": values, "unit": unit_text(p["unit"], gettext),
           "on": day.isoformat() if day else "",
           "on_value": show_value(p["on"]["value"], gettext) if day is not None else None}
    return render(request, "parameters/detail.html", ctx)


@router.get("/api/v1/parameters", tags=["parameters"], summary="The dated parameters (= cleanheat params --json)")
def api_parameters(
    who: Annotated[Principal, Depends(require())],
    path: Annotated[str, Query(description="A parameter or folder, dotted (yanchi.subsidy.local_cny); empty: all")]
    = "",
    on: Annotated[dt.date | None, Query(description="Also give the value in force on this date")] = None,
) -> Response:
    """Every parameter at or below `path`: `name`, `description`, `unit`, `reference`, `documentation` (the
    original text), `values` (each `from` a date), `range`, and with `on` the value in force that day.
    For signed-in users (any role); anonymous visitors read the same on the page `/parameters`."""
    return JSONResponse(describe_all(path, on))
