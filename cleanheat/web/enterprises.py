"""Enterprises (登记企业): the registry and its review, status history, half-year assessments with the
revocation rule's figures, each enterprise's installations and tickets (盐政办发〔2022〕8号 四, 八(三)).

Pages: ``/enterprises`` (list), ``/enterprises/new`` (add), ``/enterprises/{code}`` (one enterprise),
``POST /enterprises/{code}/status`` (a status change, reason required), ``/assessments`` (preview a
half-year assessment) and ``POST /assessments/{half}/apply``. API: ``GET /api/v1/enterprises``,
``GET /api/v1/enterprises/{code}``, ``GET /api/v1/assessments/{half}`` (the preview).

Roles: the officer reads and changes everything here; the administrator and the auditor read; an
enterprise sees only its own page (another enterprise's is 404) and never changes its status or
assessment; clerks and inspectors get 403.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from cleanheat.clock import today as programme_today
from cleanheat.errors import Conflict, InputError
from cleanheat.registry.services import assessments, enterprises, enterprises_view, tickets_view
from cleanheat.registry.services.users import Principal
from cleanheat.web.deps import ReadSession, parse_day, reading, render, require, writing
from cleanheat.web.nav import N_
from cleanheat.web.public import TECHNOLOGY_LABELS
from cleanheat.web.tickets import CATEGORY_LABELS, KIND_LABELS, STAGE_LABELS, local_for_page

__all__ = ["INSTALLATIONS_PER_PAGE", "STATE_NAMES", "router"]

router = APIRouter()

READERS = ("officer", "admin", "auditor", "enterprise")
"""Who may read enterprise pages (an enterprise: only its own)."""
OFFICE_READERS = ("officer", "admin", "auditor")
"""Who may read the registry as a whole and the assessments."""

STATE_NAMES = {
    "submitted": N_("Applied"), "reviewed": N_("Reviewed"), "registered": N_("Registered"),
    "rejected": N_("Rejected"), "suspended": N_("Suspended"), "revoked": N_("Revoked"),
}
"""Registration states as the pages name them (Chinese in the catalog: 已申请, 已评审, 已登记, 未通过, 暂停, 已撤销)."""
STATE_BADGES = {"submitted": "secondary", "reviewed": "info", "registered": "success", "rejected": "danger",
                "suspended": "warning", "revoked": "danger"}
PageNo = Annotated[int, Query(ge=1, le=1_000_000)]
PerPage = Annotated[int, Query(ge=1, le=500)]
INSTALLATIONS_PER_PAGE = 25
"""Installations per page on an enterprise's page."""
FIGURES = {
    "usage_rate": N_("Usage rate"), "product_quality": N_("Product quality"), "heating_effect": N_("Heating effect"),
    "service": N_("Service (answered in time)"), "complaints_per_100": N_("Complaints per 100 installations"),
}


def _own_only(who: Principal, code: str) -> None:
    """An enterprise user sees only its own enterprise: another one is 404, as if it did not exist."""
    if who.role == "enterprise" and (who.enterprise_code or "") != code:
        raise HTTPException(404, "not found")


def _date(value: str | None, field: str) -> dt.date:
    """A form date (:func:`~cleanheat.web.deps.parse_day`); empty: today in the programme time zone."""
    return parse_day(value, field) or programme_today()


def _base(**extra: Any) -> dict[str, Any]:
    return {"active": "/enterprises", "state_names": STATE_NAMES, "state_badges": STATE_BADGES, "figures": FIGURES,
            "clause": assessments.CLAUSE, "method_labels": TECHNOLOGY_LABELS, "kinds": KIND_LABELS,
            "categories": CATEGORY_LABELS, "stages": STAGE_LABELS, "local": local_for_page(), **extra}


# ----------------------------------------------------------------------------------------------- list


@router.get("/enterprises", include_in_schema=False)
def enterprise_list(request: Request, s: ReadSession, who: Annotated[Principal, Depends(require(*READERS))],
                    status: str | None = None) -> Response:
    if who.role == "enterprise":
        if not who.enterprise_code:
            raise HTTPException(404, "not found")
        return RedirectResponse(f"/enterprises/{quote(who.enterprise_code)}", status_code=303)
    rows = enterprises.list_enterprises(session=s)
    counts: dict[str, int] = {}
    for r in rows:
        counts[str(r["status"])] = counts.get(str(r["status"]), 0) + 1
    shown = [r for r in rows if status in (None, "", r["status"])]
    totals = {k: sum(int(r[k]) for r in shown)  # type: ignore[call-overload]
              for k in ("installations", "accepted", "paid", "complaints", "open_tickets")}
    return render(request, "enterprises/list.html", _base(rows=shown, totals=totals, counts=counts, status=status,
                                                          states=enterprises.STATES))


@router.get("/enterprises/new", include_in_schema=False)
def enterprise_new(request: Request, who: Annotated[Principal, Depends(require("officer"))]) -> Response:
    return render(request, "enterprises/new.html", _base(form={"submitted_on": programme_today().isoformat()},
                                                         error=None))


@router.post("/enterprises", include_in_schema=False)
def enterprise_create(request: Request, who: Annotated[Principal, Depends(require("officer"))],
                      code: Annotated[str, Form()] = "", name: Annotated[str, Form()] = "",
                      submitted_on: Annotated[str, Form()] = "") -> Response:
    form = {"code": code.strip(), "name": name.strip(), "submitted_on": submitted_on}
    try:
        if not form["code"]:
            raise InputError("an enterprise code is required (e.g. ENT-34)", field="code")
        if not form["name"]:
            raise InputError("the registered name is required", field="name")
        day = _date(submitted_on, "submitted_on")
        with writing(request) as s:
            enterprises.create(session=s, code=form["code"], name=form["name"], submitted_on=day, actor=who.actor)
    except (InputError, Conflict) as exc:
        status = 409 if isinstance(exc, Conflict) else 422
        return render(request, "enterprises/new.html", _base(form=form, error=str(exc)), status_code=status)
    return RedirectResponse(f"/enterprises/{quote(form['code'])}?done=created", status_code=303)


# ----------------------------------------------------------------------------------------------- one enterprise


def _page_context(request: Request, code: str, page: int, **extra: Any) -> dict[str, Any]:
    with reading(request) as s:
        summary = enterprises_view.enterprise_summary(session=s, code=code)
        installed = enterprises_view.enterprise_installations(session=s, code=code, page=page,
                                                             per_page=INSTALLATIONS_PER_PAGE)
        rated = enterprises_view.stored_assessments(session=s, code=code)
        recent = tickets_view.ticket_page(session=s, enterprise=code, per_page=10)
    return _base(e=summary, installations=installed, assessed=rated, tickets=recent,
                 today=programme_today().isoformat(), **extra)


@router.get("/enterprises/{code}", include_in_schema=False)
def enterprise_page(request: Request, code: str, who: Annotated[Principal, Depends(require(*READERS))],
                    page: PageNo = 1, done: str | None = None) -> Response:
    _own_only(who, code)
    ctx = _page_context(request, code, page, done=done, error=None, form={})
    if request.headers.get("hx-request") == "true" and request.headers.get("hx-target") == "installations":
        return render(request, "enterprises/_installations.html", ctx)
    return render(request, "enterprises/page.html", ctx)


@router.post("/enterprises/{code}/status", include_in_schema=False)
def enterprise_status(request: Request, code: str, who: Annotated[Principal, Depends(require("officer"))],
                      to: Annotated[str, Form()] = "", effective_on: Annotated[str, Form()] = "",
                      why: Annotated[str, Form()] = "") -> Response:
    form = {"to": to, "effective_on": effective_on, "why": why}
    try:
        if not why.strip():
            raise InputError("a reason is required for a status change (recorded in the audit log)",
                             record=f"enterprise {code}", field="why")
        day = _date(effective_on, "effective_on")
        with writing(request) as s:
            enterprises.transition(session=s, code=code, to=to, effective_on=day, actor=who.actor, why=why.strip())
    except (InputError, Conflict) as exc:
        status = 409 if isinstance(exc, Conflict) else 422
        return render(request, "enterprises/page.html", _page_context(request, code, 1, error=str(exc), form=form,
                                                                      done=None), status_code=status)
    return RedirectResponse(f"/enterprises/{quote(code)}?done=status", status_code=303)


# ----------------------------------------------------------------------------------------------- assessment


@router.get("/assessments", include_in_schema=False)
def assessment_page(request: Request, s: ReadSession, who: Annotated[Principal, Depends(require(*OFFICE_READERS))],
                    half: str | None = None, done: str | None = None) -> Response:
    halves = enterprises_view.assessment_halves(session=s, today=programme_today())
    half = (half or (halves[0] if halves else "")).upper()
    rows: list[dict[str, Any]] = []
    stored: list[dict[str, Any]] = []
    if half:
        rows = [enterprises_view.figures_with_rule(r)
                for r in assessments.assess(session=s, half=half, actor=who.actor, apply=False)]
        stored = enterprises_view.stored_assessments(session=s, half=half)
    return render(request, "enterprises/assessment.html", _base(
        half=half, halves=halves, rows=rows, stored=len(stored), done=done,
        revoke=[r for r in rows if r["outcome"] == "revoke"]))


@router.post("/assessments/{half}/apply", include_in_schema=False)
def assessment_apply(request: Request, half: str, who: Annotated[Principal, Depends(require("officer"))]) -> Response:
    with writing(request) as s:
        assessments.assess(session=s, half=half, actor=who.actor, apply=True)
    return RedirectResponse(f"/assessments?half={quote(half.upper())}&done=applied", status_code=303)


# ----------------------------------------------------------------------------------------------- API


@router.get("/api/v1/enterprises", tags=["enterprises"], summary="Enterprises with status and counts")
def api_enterprises(s: ReadSession, who: Annotated[Principal, Depends(require(*READERS))]) -> list[dict[str, Any]]:
    """Every enterprise (``cleanheat enterprise list --json``): code, name, status, registered since,
    installations, accepted, paid, complaints, open tickets. An enterprise user gets its own row only."""
    rows = enterprises.list_enterprises(session=s)
    if who.role == "enterprise":
        rows = [r for r in rows if r["code"] == who.enterprise_code]
    return rows


@router.get("/api/v1/enterprises/{code}", tags=["enterprises"], summary="One enterprise")
def api_enterprise(code: str, s: ReadSession, who: Annotated[Principal, Depends(require(*READERS))],
                   page: PageNo = 1, per_page: PerPage = 50) -> dict[str, Any]:
    """One enterprise: status, counts, status history, stored assessments with the rule's thresholds,
    and one page of its installations (``page``, ``per_page``)."""
    _own_only(who, code)
    doc = enterprises_view.enterprise_summary(session=s, code=code)
    doc["assessments"] = enterprises_view.stored_assessments(session=s, code=code)
    doc["installation_page"] = enterprises_view.enterprise_installations(session=s, code=code, page=page,
                                                                         per_page=per_page)
    return doc


@router.get("/api/v1/assessments/{half}", tags=["enterprises"], summary="Half-year assessment (preview)")
def api_assessment(half: str, s: ReadSession, who: Annotated[Principal, Depends(require(*OFFICE_READERS))]
                   ) -> list[dict[str, Any]]:
    """The half-year assessment of every enterprise as ``cleanheat assess enterprises --half H --json``
    previews it (nothing stored), each row with the thresholds and the criteria it breaks."""
    return [enterprises_view.figures_with_rule(r)
            for r in assessments.assess(session=s, half=half.upper(), actor=who.actor, apply=False)]
