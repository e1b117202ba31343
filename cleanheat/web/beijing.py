"""Beijing heat-pump projects: the list, one project's funding decision, approval steps and obligations, zone progress.

Readers: administrator, county officer, auditor; only the county officer decides approval steps
(an administrator or auditor who posts gets 403; everyone else 403 on every page).

Pages
    ``GET /beijing``: zone targets against the area of recorded projects (an ECharts bar chart and
    a table), and the projects, filtered by zone, status and id, 50 a page.
    ``GET /beijing/{project_id}``: the stored funding decision with every reason and clause, the
    approval route and its steps, the obligations, the inputs and the project's audit history.
    ``POST /beijing/{project_id}/steps/{seq}``: the officer approves or refuses the next step, with a
    reason (:func:`cleanheat.registry.services.beijing.decide_step`, audited with ``web:<user>``).

API
    ``GET /api/v1/beijing/projects``, ``GET /api/v1/beijing/projects/{project_id}``,
    ``POST /api/v1/beijing/projects/{project_id}/steps/{seq}`` (officer), ``GET /api/v1/beijing/zones``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from cleanheat.errors import Conflict, InputError
from cleanheat.registry.services.users import Principal
from cleanheat.web.deps import ReadSession, language, render, require, writing
from cleanheat.web.nav import N_
from cleanheat.web.public import (
    AUTHORITY_LABELS,
    DOCUMENT_LABELS,
    INVESTMENT_LABELS,
    KIND_LABELS,
    SOURCE_LABELS,
    ZONE_LABELS,
)

__all__ = ["DECIDERS", "READERS", "StepDecision", "router", "zone_chart"]

router = APIRouter()

READERS = ("admin", "officer", "auditor")
DECIDERS = ("officer",)
PER_PAGE = 50
STATUS_LABELS = {"funded": N_("Funded"), "approved": N_("Approved"), "self_funded": N_("Self-funded"),
                 "refused": N_("Not supported")}
STEP_LABELS = {"approval": N_("Project approval"),
               "project_proposal": N_("Project proposal (in place of the feasibility study)"),
               "fund_application_report": N_("Fund application report")}
STEP_STATUS_LABELS = {"pending": N_("Pending"), "approved": N_("Approved"), "refused": N_("Refused")}
OBLIGATION_STATUS_LABELS = {"open": N_("Open"), "met": N_("Met"), "breached": N_("Breached")}


def zone_chart(progress: Sequence[Mapping[str, Any]], *, labels: Mapping[str, str], target: str, achieved: str,
               unit: str) -> dict[str, Any]:
    """The ECharts option of the zone progress: per zone, the target and the area recorded, in 10,000 m².

    Parameters
    ----------
    progress : sequence of mapping
        :func:`cleanheat.registry.services.beijing.zone_progress` rows (``zone``, ``target_m2``,
        ``recorded_m2``).
    labels : mapping
        The zones' names, already in the visitor's language.
    target, achieved, unit : str
        The series' names and the axis unit, already translated.

    Returns
    -------
    dict
        A horizontal bar chart (zones down the side, so long Chinese names fit a phone).
    """
    zones = [labels.get(str(z["zone"]), str(z["zone"])) for z in progress]
    to_wan = 1e-4  # 1 万 m² = 10,000 m²
    return {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"data": [target, achieved], "top": 0},
        "grid": {"left": 8, "right": 24, "top": 32, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value", "name": unit, "nameLocation": "end"},
        "yAxis": {"type": "category", "data": zones, "inverse": True,
                  "axisLabel": {"width": 140, "overflow": "break"}},
        "series": [
            {"name": target, "type": "bar", "data": [round(float(z["target_m2"]) * to_wan, 1) for z in progress]},
            {"name": achieved, "type": "bar",
             "data": [round(float(z["recorded_m2"]) * to_wan, 1) for z in progress]},
        ],
    }


def _labels() -> dict[str, Mapping[str, str]]:
    return {"zone": ZONE_LABELS, "source": SOURCE_LABELS, "kind": KIND_LABELS, "status": STATUS_LABELS,
            "step": STEP_LABELS, "step_status": STEP_STATUS_LABELS, "authority": AUTHORITY_LABELS,
            "document": DOCUMENT_LABELS, "obligation_status": OBLIGATION_STATUS_LABELS,
            "investment": INVESTMENT_LABELS}


def _local(instant: str | None) -> str:
    from cleanheat.clock import format_local

    try:
        return format_local(dt.datetime.fromisoformat(instant)) if instant else "—"
    except ValueError:
        return str(instant)


@router.get("/beijing", include_in_schema=False)
def projects_page(request: Request, s: ReadSession, who: Annotated[Principal, Depends(require(*READERS))],
                  zone: Annotated[str | None, Query()] = None, status: Annotated[str | None, Query()] = None,
                  q: Annotated[str | None, Query()] = None, page: Annotated[int, Query(ge=1)] = 1) -> Response:
    from urllib.parse import urlencode

    from cleanheat.registry.services import beijing, beijing_view
    from cleanheat.web.i18n import translations

    zone = zone if zone in ZONE_LABELS else None
    status = status if status in STATUS_LABELS else None
    found = beijing_view.projects_page(s, zone=zone, status=status, q=q, page=page, per_page=PER_PAGE)
    progress = beijing.zone_progress(session=s)
    t = translations(language(request)).gettext
    chart = zone_chart(progress, labels={k: t(v) for k, v in ZONE_LABELS.items()}, target=t(N_("Target")),
                       achieved=t(N_("Recorded projects")), unit=t(N_("10,000 m²")))
    form = {"zone": zone or "", "status": status or "", "q": q or ""}
    query = urlencode({k: v for k, v in form.items() if v})
    ctx = {"active": "/beijing", "found": found, "progress": progress, "chart": chart, "form": form,
           "labels": _labels(), "url": f"/beijing?{query + '&' if query else ''}"}
    htmx = request.headers.get("hx-request") == "true" and request.headers.get("hx-target") == "results"
    return render(request, "beijing/_projects.html" if htmx else "beijing/list.html", ctx)


def _project_page(request: Request, s: Any, project_id: str, who: Principal, *,
                  message: tuple[str, str] | None = None, status_code: int = 200) -> Response:
    from cleanheat.clock import today
    from cleanheat.registry.services import beijing_view

    p = beijing_view.project(s, project_id=project_id)
    for e in p["history"]:
        e["time_local"] = _local(e.get("time"))
    obligations = {o["obligation"]: o for o in p["decision"].get("obligations") or []}
    ctx = {"active": "/beijing", "p": p, "result": p["decision"], "obligations": obligations,
           "labels": _labels(), "can_decide": who.role in DECIDERS,
           "today": today().isoformat(), "messages": [message] if message else []}
    return render(request, "beijing/project.html", ctx, status_code=status_code)


@router.get("/beijing/{project_id}", include_in_schema=False)
def project_page(request: Request, project_id: str, s: ReadSession,
                 who: Annotated[Principal, Depends(require(*READERS))], done: str | None = None) -> Response:
    from cleanheat.web.i18n import translations

    t = translations(language(request)).gettext
    message = None
    if done == "approved":
        message = ("success", t(N_("The step is approved and recorded in the audit log.")))
    elif done == "refused":
        message = ("warning", t(N_("The step is refused and recorded in the audit log; the project is not supported.")))
    return _project_page(request, s, project_id, who, message=message)


def _decide(request: Request, who: Principal, project_id: str, seq: int, approved: bool, on: dt.date,
            why: str) -> dict[str, Any]:
    from cleanheat.registry.services import beijing

    if not why.strip():
        raise InputError("give the reason for the decision (it goes into the audit log)", field="why")
    with writing(request) as s:
        return beijing.decide_step(session=s, project_id=project_id, seq=seq, approved=approved, on=on,
                                   actor=who.actor, why=why.strip())


@router.post("/beijing/{project_id}/steps/{seq}", include_in_schema=False)
def decide_step_form(request: Request, project_id: str, seq: int,
                     who: Annotated[Principal, Depends(require(*DECIDERS))],
                     decision: Annotated[str, Form()], why: Annotated[str, Form()] = "",
                     on: Annotated[str, Form()] = "") -> Response:
    from cleanheat.clock import today
    from cleanheat.web.deps import reading

    try:
        if decision not in ("approve", "refuse"):
            raise InputError(f"must be approve or refuse, got {decision!r}", field="decision")
        try:
            day = dt.date.fromisoformat(on) if on.strip() else today()
        except ValueError:
            raise InputError(f"not a date (YYYY-MM-DD): {on!r}", field="on") from None
        done = _decide(request, who, project_id, seq, decision == "approve", day, why)
    except (InputError, Conflict) as exc:
        with reading(request) as s:
            return _project_page(request, s, project_id, who, message=("danger", str(exc)),
                                 status_code=409 if isinstance(exc, Conflict) else 422)
    return RedirectResponse(f"/beijing/{project_id}?done={done['status']}#steps", status_code=303)


# --------------------------------------------------------------------------------------------
# API
# --------------------------------------------------------------------------------------------


class StepDecision(BaseModel):
    """An authority's decision on one approval step."""

    approved: bool = Field(description="true: approved; false: refused (the project is then refused)")
    on: dt.date | None = Field(None, description="Decision date (default: today, programme time zone)")
    why: str = Field(min_length=1, max_length=2000, description="The reason, recorded in the audit log")


@router.get("/api/v1/beijing/projects", tags=["beijing"], summary="Beijing projects, paged and filtered")
def api_projects(s: ReadSession, who: Annotated[Principal, Depends(require(*READERS))],
                 zone: Annotated[str | None, Query(description="Zone code, e.g. plain_new_towns")] = None,
                 status: Annotated[str | None, Query(description="funded, approved, self_funded, refused")] = None,
                 q: Annotated[str | None, Query(description="Part of the project id or name")] = None,
                 page: Annotated[int, Query(ge=1)] = 1,
                 per_page: Annotated[int, Query(ge=1, le=200)] = PER_PAGE) -> Response:
    from cleanheat.registry.services import beijing_view

    return JSONResponse(beijing_view.projects_page(s, zone=zone, status=status, q=q, page=page,
                                                   per_page=per_page).as_dict())


@router.get("/api/v1/beijing/projects/{project_id}", tags=["beijing"], summary="One Beijing project")
def api_project(project_id: str, s: ReadSession, who: Annotated[Principal, Depends(require(*READERS))]) -> Response:
    """Inputs, the stored funding decision (as `funding beijing --trace` gave it), steps, obligations, history."""
    from cleanheat.registry.services import beijing_view

    return JSONResponse(beijing_view.project(s, project_id=project_id))


@router.post("/api/v1/beijing/projects/{project_id}/steps/{seq}", tags=["beijing"],
             summary="Approve or refuse an approval step (= cleanheat project approve)")
def api_decide_step(request: Request, project_id: str, seq: int, body: StepDecision,
                    who: Annotated[Principal, Depends(require(*DECIDERS))]) -> Response:
    from cleanheat.clock import today

    done = _decide(request, who, project_id, seq, body.approved, body.on or today(), body.why)
    return JSONResponse(done)


@router.get("/api/v1/beijing/zones", tags=["beijing"], summary="Zone targets against recorded area")
def api_zones(s: ReadSession, who: Annotated[Principal, Depends(require(*READERS))]) -> Response:
    """As `cleanheat project zones --json`: `zone`, `by_year`, `target_m2`, `recorded_m2`."""
    from cleanheat.registry.services import beijing

    return JSONResponse(beijing.zone_progress(session=s))

