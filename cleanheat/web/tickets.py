"""After-sales tickets and complaints (售后工单, 5-year service, 盐政办发〔2022〕8号 八(四)): open one from a
household, advance it stage by stage with notes, and the overdue tickets per enterprise with how late.

Pages: ``/tickets`` (filtered, paged), ``/tickets/new`` and ``POST /tickets`` (open, by household id),
``/tickets/overdue``, ``/tickets/{id}`` and ``POST /tickets/{id}/advance``. API: ``GET /api/v1/tickets``
(filters, paging), ``POST /api/v1/tickets``, ``GET /api/v1/tickets/overdue``, ``GET /api/v1/tickets/{id}``,
``POST /api/v1/tickets/{id}/advance``. Every change goes through
:mod:`cleanheat.registry.services.tickets` (audited, the user as actor).

Roles: the officer opens and advances every ticket; a clerk those of the own township's households
(another township's are 404); an enterprise sees its own tickets only (another's are 404) and may
answer them (``responded``, ``resolved``), never assign or close; the administrator and the auditor
read; inspectors get 403.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from cleanheat.clock import as_utc, at_local, format_local, now_utc, programme_tz
from cleanheat.errors import Conflict, InputError
from cleanheat.registry.services import tickets, tickets_view
from cleanheat.registry.services.users import Principal
from cleanheat.web.deps import (
    ReadSession,
    RecordId,
    check_township,
    parse_day,
    reading,
    render,
    require,
    township_scope,
    writing,
)
from cleanheat.web.nav import N_

__all__ = ["AdvanceIn", "CATEGORY_LABELS", "ENTERPRISE_STAGES", "KIND_LABELS", "STAGE_LABELS", "TicketIn",
           "late_parts", "local_for_page", "local_instant", "router"]

router = APIRouter()

READERS = ("officer", "admin", "auditor", "clerk", "enterprise")
OPENERS = ("officer", "clerk")
ADVANCERS = ("officer", "clerk", "enterprise")
ENTERPRISE_STAGES = ("responded", "resolved")
"""The stages an enterprise may move its own tickets to: it answers and resolves; the office assigns and closes."""

KIND_LABELS = {"complaint": N_("Complaint"), "service": N_("Service request")}
CATEGORY_LABELS = {"quality": N_("Quality"), "service": N_("Service"), "heating_effect": N_("Heating effect"),
                   "not_in_use": N_("Not in use"), "other": N_("Other")}
STAGE_LABELS = {"opened": N_("Opened"), "assigned": N_("Assigned"), "responded": N_("Responded"),
                "resolved": N_("Resolved"), "closed": N_("Closed")}
"""The codes of :mod:`cleanheat.registry.services.tickets` as the pages name them (投诉/服务; 质量, 服务, 供暖效果,
未使用, 其他; 已受理, 已派单, 已响应, 已解决, 已关闭)."""
PageNo = Annotated[int, Query(ge=1, le=1_000_000)]
PerPage = Annotated[int, Query(ge=1, le=500)]
STAGE_BADGES = {"opened": "danger", "assigned": "warning", "responded": "info", "resolved": "success",
                "closed": "secondary"}


class TicketIn(BaseModel):
    """A ticket to open (``cleanheat ticket open``): kind and category by code or Chinese name."""

    household_id: str = Field(min_length=1, max_length=32, description="农户编号 ledger id")
    kind: str = Field("service", description="complaint | service (投诉 | 服务)")
    category: str = Field(description="quality | service | heating_effect | not_in_use | other")
    description: str = Field("", max_length=2000)
    opened_at: dt.datetime | None = Field(None, description="when the household raised it (with a time zone); "
                                                            "default now")


class AdvanceIn(BaseModel):
    """The next stage of a ticket (``cleanheat ticket advance``), by code or Chinese name, with a note."""

    to: str = Field(description="assigned | responded | resolved | closed")
    note: str = Field("", max_length=2000)


def late_parts(seconds: float) -> dict[str, int] | None:
    """A lateness as ``{"days", "hours", "minutes"}``; ``None`` when not late."""
    if seconds <= 0:
        return None
    minutes = int(seconds // 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return {"days": days, "hours": hours, "minutes": minutes}


def local_instant(value: str | None, tz: dt.tzinfo | None = None) -> str:
    """An ISO instant as the programme's wall-clock time ``YYYY-MM-DD HH:MM``; ``—`` for none.

    ``tz`` is the programme time zone (:func:`cleanheat.clock.programme_tz`), read once per page
    by the caller: reading it per value would cost more than the page.
    """
    if not value:
        return "—"
    at = as_utc(dt.datetime.fromisoformat(value))
    return at.astimezone(tz or programme_tz()).strftime("%Y-%m-%d %H:%M")


def local_for_page() -> Any:
    """:func:`local_instant` in the programme time zone read once (what the templates call ``local``)."""
    tz = programme_tz()
    return lambda value: local_instant(value, tz)


def zone_label() -> str:
    """The programme time zone as the pages name it, e.g. ``UTC+8``."""
    return format_local(now_utc()).rpartition("(")[2].rstrip(")")


def _base(**extra: Any) -> dict[str, Any]:
    return {"active": "/tickets", "kinds": KIND_LABELS, "categories": CATEGORY_LABELS, "stages": STAGE_LABELS,
            "stage_badges": STAGE_BADGES, "late_parts": late_parts, "local": local_for_page(), "zone": zone_label(),
            **extra}


def _scope_filters(who: Principal, township: str | None, enterprise: str | None) -> tuple[str | None, str | None]:
    """The township and enterprise filters a user may ask (a clerk: the own township; an enterprise: itself)."""
    scope = township_scope(who)
    if scope is not None:
        check_township(who, township or scope)
        township = scope
    if who.role == "enterprise":
        if enterprise not in (None, "", who.enterprise_code) or not who.enterprise_code:
            raise HTTPException(404, "not found")
        enterprise = who.enterprise_code
    return township or None, enterprise or None


def _check_ticket(who: Principal, township: str, enterprise: str | None) -> None:
    """404 for a ticket outside the user's scope (another township's, another enterprise's)."""
    check_township(who, township)
    if who.role == "enterprise" and (enterprise is None or enterprise != who.enterprise_code):
        raise HTTPException(404, "not found")


def _allowed_next(who: Principal, stage: str) -> list[str]:
    nxt = list(tickets.NEXT.get(stage, ()))
    if who.role == "enterprise":
        return [s for s in nxt if s in ENTERPRISE_STAGES]
    return nxt if who.role in ADVANCERS else []


def _opened_at(on: str, time: str) -> dt.datetime:
    """The instant of a ticket raised on ``on`` at ``time`` (programme wall-clock, 09:00 without one); both
    empty: now."""
    day = parse_day(on, "opened_on")
    if day is None:
        if time:
            raise InputError("give the date with the time", field="opened_on")
        return now_utc()
    try:
        clock = dt.time.fromisoformat(time) if time else dt.time(9)
    except ValueError:
        raise InputError(f"expected HH:MM, got {time!r}", field="opened_time") from None
    return at_local(day, clock)


# ----------------------------------------------------------------------------------------------- list


def _filters(request: Request) -> dict[str, str]:
    keys = ("enterprise", "township", "household", "stage", "kind", "category", "open", "overdue")
    return {k: request.query_params[k] for k in keys if request.query_params.get(k)}


@router.get("/tickets", include_in_schema=False)
def ticket_list(request: Request, s: ReadSession, who: Annotated[Principal, Depends(require(*READERS))],
                page: PageNo = 1) -> Response:
    f = _filters(request)
    township, enterprise = _scope_filters(who, f.get("township"), f.get("enterprise"))
    result = tickets_view.ticket_page(
        session=s, enterprise=enterprise, township=township, household=f.get("household"), stage=f.get("stage"),
        kind=f.get("kind"), category=f.get("category"), open_only=bool(f.get("open")),
        overdue_only=bool(f.get("overdue")), page=page, per_page=50)
    url = "/tickets?" + (urlencode(f) + "&" if f else "")
    ctx = _base(result=result, f=f, url=url, scope_township=township_scope(who),
                scope_enterprise=who.enterprise_code if who.role == "enterprise" else None,
                can_open=who.role in OPENERS)
    # an HTMX request for the results gets them only (a history restore gets the whole page), and the answer
    # varies with HX-Request, so that a reload of the pushed URL is never answered from a cached fragment
    fragment = (request.headers.get("hx-request") == "true" and request.headers.get("hx-target") == "results"
                and request.headers.get("hx-history-restore-request") != "true")
    return render(request, "tickets/_results.html" if fragment else "tickets/list.html", ctx,
                  headers={"Vary": "HX-Request"})


@router.get("/tickets/overdue", include_in_schema=False)
def overdue_page(request: Request, s: ReadSession, who: Annotated[Principal, Depends(require(*READERS))],
                 page: PageNo = 1) -> Response:
    township, enterprise = _scope_filters(who, request.query_params.get("township"),
                                          request.query_params.get("enterprise"))
    now = now_utc()
    groups = tickets_view.overdue_by_enterprise(session=s, at=now, township=township, enterprise=enterprise)
    late = tickets_view.ticket_page(session=s, township=township, enterprise=enterprise, unanswered_late=True,
                                    at=now, page=page, per_page=50)
    f = {k: v for k, v in (("township", township), ("enterprise", enterprise)) if v}
    url = "/tickets/overdue?" + (urlencode(f) + "&" if f else "")
    return render(request, "tickets/overdue.html", _base(groups=groups, result=late, township=township,
                                                         enterprise=enterprise, url=url))


# ----------------------------------------------------------------------------------------------- open


@router.get("/tickets/new", include_in_schema=False)
def ticket_new(request: Request, who: Annotated[Principal, Depends(require(*OPENERS))],
               household: str | None = None) -> Response:
    return render(request, "tickets/new.html", _base(form={"household_id": household or "", "kind": "service"},
                                                     error=None))


@router.post("/tickets", include_in_schema=False)
def ticket_create(request: Request, who: Annotated[Principal, Depends(require(*OPENERS))],
                  household_id: Annotated[str, Form()] = "", kind: Annotated[str, Form()] = "service",
                  category: Annotated[str, Form()] = "", description: Annotated[str, Form()] = "",
                  opened_on: Annotated[str, Form()] = "", opened_time: Annotated[str, Form()] = "") -> Response:
    form = {"household_id": household_id.strip(), "kind": kind, "category": category, "description": description,
            "opened_on": opened_on, "opened_time": opened_time}
    try:
        if not form["household_id"]:
            raise InputError("the household id (农户编号) is required", field="household_id")
        at = _opened_at(opened_on.strip(), opened_time.strip())
        with writing(request) as s:
            check_township(who, tickets_view.household_township(session=s, household_id=form["household_id"]))
            t = tickets.open_ticket(session=s, household_id=form["household_id"],
                                    kind=tickets.ticket_code(kind, tickets.KIND_NAMES, "kind"),
                                    category=tickets.ticket_code(category, tickets.CATEGORY_NAMES, "category"),
                                    description=description.strip(), actor=who.actor, opened_at=at)
            ticket_id = t.id
    except (InputError, Conflict) as exc:
        status = 409 if isinstance(exc, Conflict) else 422
        return render(request, "tickets/new.html", _base(form=form, error=str(exc)), status_code=status)
    return RedirectResponse(f"/tickets/{ticket_id}?done=opened", status_code=303)


# ----------------------------------------------------------------------------------------------- one ticket


def _ticket_context(request: Request, who: Principal, ticket_id: int, **extra: Any) -> dict[str, Any]:
    with reading(request) as s:
        township, enterprise = tickets_view.ticket_scope(session=s, ticket_id=ticket_id)
        _check_ticket(who, township, enterprise)
        doc = tickets.get_ticket(session=s, ticket_id=ticket_id)
    return _base(t=doc, township=township, next_stages=_allowed_next(who, doc["stage"]), **extra)


@router.get("/tickets/{ticket_id}", include_in_schema=False)
def ticket_page(request: Request, ticket_id: RecordId, who: Annotated[Principal, Depends(require(*READERS))],
                done: str | None = None) -> Response:
    return render(request, "tickets/ticket.html", _ticket_context(request, who, ticket_id, done=done, error=None,
                                                                  form={}))


def _advance(request: Request, who: Principal, ticket_id: int, to: str, note: str) -> None:
    """Check the user's scope and stage, then advance (raises the service's errors, 403 / 404 for the scope)."""
    code = tickets.ticket_code(to, tickets.STAGE_NAMES, "to")
    with writing(request) as s:
        township, enterprise = tickets_view.ticket_scope(session=s, ticket_id=ticket_id)
        _check_ticket(who, township, enterprise)
        if who.role == "enterprise" and code not in ENTERPRISE_STAGES:
            raise HTTPException(403, f"an enterprise may move its tickets to {' or '.join(ENTERPRISE_STAGES)} "
                                     f"only, not {code!r}")
        tickets.advance(session=s, ticket_id=ticket_id, to=code, actor=who.actor, note=note.strip())


@router.post("/tickets/{ticket_id}/advance", include_in_schema=False)
def ticket_advance(request: Request, ticket_id: RecordId, who: Annotated[Principal, Depends(require(*ADVANCERS))],
                   to: Annotated[str, Form()] = "", note: Annotated[str, Form()] = "") -> Response:
    try:
        _advance(request, who, ticket_id, to, note)
    except (InputError, Conflict) as exc:
        status = 409 if isinstance(exc, Conflict) else 422
        return render(request, "tickets/ticket.html", _ticket_context(
            request, who, ticket_id, done=None, error=str(exc), form={"to": to, "note": note}), status_code=status)
    return RedirectResponse(f"/tickets/{ticket_id}?done=advanced", status_code=303)


# ----------------------------------------------------------------------------------------------- API


@router.get("/api/v1/tickets", tags=["tickets"], summary="Tickets, filtered and paged")
def api_tickets(request: Request, s: ReadSession, who: Annotated[Principal, Depends(require(*READERS))],
                enterprise: str | None = None, township: str | None = None, household: str | None = None,
                stage: str | None = None, kind: str | None = None, category: str | None = None,
                open: bool = False, overdue: bool = False, page: PageNo = 1, per_page: PerPage = 50) -> dict[str, Any]:
    """Tickets newest first (``cleanheat ticket list --json`` rows plus ``township``): ``items``, ``total``,
    ``page``, ``pages``. A clerk sees the own township's, an enterprise its own (other filters: 404)."""
    township, enterprise = _scope_filters(who, township, enterprise)
    result = tickets_view.ticket_page(session=s, enterprise=enterprise, township=township, household=household,
                                      stage=stage, kind=kind, category=category, open_only=open,
                                      overdue_only=overdue, page=page, per_page=per_page)
    return {"items": result["rows"], "total": result["total"], "page": result["page"],
            "per_page": result["per_page"], "pages": result["pages"]}


@router.get("/api/v1/tickets/overdue", tags=["tickets"], summary="Overdue tickets per enterprise")
def api_overdue(s: ReadSession, who: Annotated[Principal, Depends(require(*READERS))],
                township: str | None = None, enterprise: str | None = None) -> list[dict[str, Any]]:
    """Per enterprise, the tickets not responded to by their deadline (count, oldest deadline, how late)."""
    township, enterprise = _scope_filters(who, township, enterprise)
    return tickets_view.overdue_by_enterprise(session=s, township=township, enterprise=enterprise)


@router.post("/api/v1/tickets", tags=["tickets"], summary="Open a ticket", status_code=201)
def api_open(request: Request, body: TicketIn, who: Annotated[Principal, Depends(require(*OPENERS))]
             ) -> JSONResponse:
    """Open a ticket on the household's accepted installation (``cleanheat ticket open``); 409 without one
    or after the service period. A clerk opens tickets of the own township's households only."""
    with writing(request) as s:
        check_township(who, tickets_view.household_township(session=s, household_id=body.household_id))
        t = tickets.open_ticket(session=s, household_id=body.household_id,
                                kind=tickets.ticket_code(body.kind, tickets.KIND_NAMES, "kind"),
                                category=tickets.ticket_code(body.category, tickets.CATEGORY_NAMES, "category"),
                                description=body.description, actor=who.actor, opened_at=body.opened_at)
        doc = tickets.get_ticket(session=s, ticket_id=t.id)
    return JSONResponse(doc, status_code=201)


@router.get("/api/v1/tickets/{ticket_id}", tags=["tickets"], summary="One ticket with its steps")
def api_ticket(ticket_id: RecordId, s: ReadSession, who: Annotated[Principal, Depends(require(*READERS))]
               ) -> dict[str, Any]:
    """One ticket (``cleanheat ticket show --json``): stage, deadline, lateness and every step."""
    township, enterprise = tickets_view.ticket_scope(session=s, ticket_id=ticket_id)
    _check_ticket(who, township, enterprise)
    return tickets.get_ticket(session=s, ticket_id=ticket_id)


@router.post("/api/v1/tickets/{ticket_id}/advance", tags=["tickets"], summary="Advance a ticket")
def api_advance(request: Request, ticket_id: RecordId, body: AdvanceIn,
                who: Annotated[Principal, Depends(require(*ADVANCERS))]) -> dict[str, Any]:
    """Move a ticket to its next stage (``cleanheat ticket advance``); a response after the deadline marks it
    overdue. An enterprise may answer (``responded``) and resolve its own tickets only."""
    _advance(request, who, ticket_id, body.to, body.note)
    with reading(request) as s:
        return tickets.get_ticket(session=s, ticket_id=ticket_id)
