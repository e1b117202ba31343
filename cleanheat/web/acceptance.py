"""Acceptance (验收): the installations awaiting acceptance, one installation with its inspection form, and
the acceptance API.

- ``GET /acceptance``: installations by acceptance state (awaiting, failed inspection, accepted, all),
  filtered by township, enterprise and household id, paged in the database; each row says whether a
  passed acceptance would be refused, and why.
- ``GET /acceptance/installations/{id}``: the installation, its enterprise's registration state on the
  install date, its acceptance or failed inspections (验收不合格), the refusal reasons in Chinese with the
  clause, the subsidy the acceptance would make payable, and (inspector, officer) the form.
- ``POST /acceptance/installations/{id}``: record the inspection through
  :func:`cleanheat.registry.services.installations.accept` — heating effect reached: a passed acceptance;
  not reached: a failed inspection; audited with the user as actor.
  A passed acceptance of an installation whose stored equipment record fails a mandatory requirement of the
  technical guide (附件2) is refused unless the inspector ticks the override and gives a reason (audited).
- API: ``POST /api/v1/installations/{id}/accept`` (JSON ``date``, ``heating_effect_ok``, ``notes``,
  ``override_equipment``, ``why``), ``GET /api/v1/installations/{id}/acceptance``,
  ``GET /api/v1/acceptance/installations``, ``PUT|GET /api/v1/installations/{id}/equipment`` (the equipment
  record, and its check against the guide).

Who: inspectors and officers record; the auditor reads; a township clerk reads its own township's
installations only (another township's: 404); an enterprise reads its own installations only (another
enterprise's: 404), may record the equipment of its own installations and never records an acceptance (403).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from cleanheat.errors import Conflict, InputError
from cleanheat.registry.services import acceptance_view, equipment, installations
from cleanheat.registry.services.users import Principal
from cleanheat.web.deps import ReadSession, RecordId, check_township, reading, render, require, township_scope, writing
from cleanheat.web.nav import N_

__all__ = ["EQUIPMENT_RECORDERS", "READERS", "RECORDERS", "AcceptBody", "router"]

router = APIRouter()

READERS = ("officer", "inspector", "enterprise", "clerk", "auditor")
"""Who may see the acceptance list and an installation's acceptance state (each within its scope)."""
RECORDERS = ("officer", "inspector")
"""Who may record an acceptance or a failed inspection."""
EQUIPMENT_RECORDERS = ("officer", "inspector", "enterprise")
"""Who may record an installation's equipment (an enterprise for its own installations only)."""
PER_PAGE = 50
VERDICT_NAMES = {"compliant": N_("compliant"), "non_compliant": N_("non-compliant"), "incomplete": N_("incomplete"),
                 "not_covered": N_("not covered by the guide"), "no_record": N_("no record")}
"""The equipment check's verdicts as the page shows them (translated in the template)."""
RESULT_NAMES = {"pass": N_("pass"), "fail": N_("fail"), "not_shown": N_("not shown"),
                "not_applicable": N_("not applicable")}
DEFAULT_INSPECTORS = "县住建局、乡镇"


def _enterprise_scope(who: Principal) -> str | None:
    return who.enterprise_code if who.role == "enterprise" else None


def _check_scope(who: Principal, detail: dict[str, Any]) -> None:
    """404 for a record outside the user's township (clerk) or enterprise (enterprise user)."""
    check_township(who, detail["township"])
    if who.role == "enterprise" and detail["enterprise_code"] != who.enterprise_code:
        raise HTTPException(404, "not found")


def _inspectors(text: str) -> tuple[str, ...]:
    parts = [p.strip() for p in text.replace("，", "、").replace(",", "、").split("、")]
    return tuple(p for p in parts if p) or ("县住建局", "乡镇")


def _list_context(request: Request, s: Any, who: Principal, *, township: str | None, enterprise: str | None,
                  state: str, q: str | None, page: int) -> dict[str, Any]:
    scope_town = township_scope(who)
    scope_ent = _enterprise_scope(who)
    town = scope_town or (township or None)
    ent = scope_ent or (enterprise or None)
    result = acceptance_view.awaiting_acceptance(session=s, township=town, enterprise_code=ent, state=state,
                                                 household=q or None, page=page, per_page=PER_PAGE)
    params = {"township": None if scope_town else town, "enterprise": None if scope_ent else ent, "state": state,
              "q": q}
    query = urlencode({k: v for k, v in params.items() if v})
    return {"active": "/acceptance", "result": result, "township": town, "enterprise": ent, "state": state,
            "q": q or "", "scope_town": scope_town, "scope_ent": scope_ent,
            "townships": acceptance_view.township_names(session=s),
            "enterprises": acceptance_view.enterprise_codes(session=s),
            "states": acceptance_view.ACCEPTANCE_STATES,
            "page_url": f"/acceptance?{query}&" if query else "/acceptance?",
            "can_record": who.role in RECORDERS}


@router.get("/acceptance", include_in_schema=False)
def acceptance_list(request: Request, s: ReadSession, who: Annotated[Principal, Depends(require(*READERS))],
                    township: str | None = None, enterprise: str | None = None, state: str = "awaiting",
                    q: str | None = None, page: Annotated[int, Query(ge=1)] = 1) -> Response:
    ctx = _list_context(request, s, who, township=township, enterprise=enterprise, state=state, q=q, page=page)
    template = "acceptance/_results.html" if request.headers.get("hx-request") == "true" else "acceptance/list.html"
    return render(request, template, ctx)


def _detail_page(request: Request, who: Principal, installation_id: RecordId, *, status_code: int = 200,
                 errors: dict[str, str] | None = None, form: dict[str, Any] | None = None,
                 message: str | None = None, recorded: str | None = None) -> Response:
    with reading(request) as s:
        detail = acceptance_view.installation_acceptance(session=s, installation_id=installation_id)
        _check_scope(who, detail)
    today: dt.date = detail["today"]
    values = {"accepted_on": today.isoformat(), "heating_effect": "yes", "inspectors": DEFAULT_INSPECTORS, "note": "",
              "override_equipment": False, "why": ""}
    values.update(form or {})
    return render(request, "acceptance/installation.html", {
        "active": "/acceptance", "d": detail, "errors": errors or {}, "form": values, "message": message,
        "recorded": recorded, "can_record": who.role in RECORDERS, "verdict_names": VERDICT_NAMES,
        "result_names": RESULT_NAMES}, status_code=status_code)


@router.get("/acceptance/installations/{installation_id}", include_in_schema=False)
def installation_page(request: Request, installation_id: RecordId,
                      who: Annotated[Principal, Depends(require(*READERS))], recorded: str | None = None) -> Response:
    return _detail_page(request, who, installation_id, recorded=recorded if recorded in ("passed", "failed") else None)


@router.post("/acceptance/installations/{installation_id}", include_in_schema=False)
def record_acceptance(request: Request, installation_id: RecordId,
                      who: Annotated[Principal, Depends(require(*RECORDERS))],
                      accepted_on: Annotated[str, Form()] = "", heating_effect: Annotated[str, Form()] = "",
                      inspectors: Annotated[str, Form()] = DEFAULT_INSPECTORS,
                      note: Annotated[str, Form()] = "", override_equipment: Annotated[str, Form()] = "",
                      why: Annotated[str, Form()] = "") -> Response:
    override = override_equipment in ("yes", "on", "true", "1")
    form = {"accepted_on": accepted_on, "heating_effect": heating_effect, "inspectors": inspectors, "note": note,
            "override_equipment": override, "why": why}
    errors: dict[str, str] = {}
    day: dt.date | None = None
    try:
        day = dt.date.fromisoformat(accepted_on.strip())
    except ValueError:
        errors["accepted_on"] = f"YYYY-MM-DD: {accepted_on!r}"
    if heating_effect not in ("yes", "no"):
        errors["heating_effect"] = "yes / no"
    if errors or day is None:
        return _detail_page(request, who, installation_id, status_code=422, errors=errors, form=form)
    reached = heating_effect == "yes"
    try:
        with writing(request) as s:
            installations.accept(session=s, installation_id=installation_id, accepted_on=day, actor=who.actor,
                                 heating_effect_reached=reached, inspectors=_inspectors(inspectors), note=note.strip(),
                                 override_equipment=override, why=why.strip())
    except InputError as exc:
        field = "accepted_on" if exc.field in ("accepted_on", None) else str(exc.field)
        return _detail_page(request, who, installation_id, status_code=422, errors={field: exc.reason}, form=form)
    except Conflict as exc:
        return _detail_page(request, who, installation_id, status_code=409, form=form, message=str(exc))
    result = "passed" if reached else "failed"
    return RedirectResponse(f"/acceptance/installations/{installation_id}?recorded={result}", status_code=303)


# --------------------------------------------------------------------------------------------
# API
# --------------------------------------------------------------------------------------------


class AcceptBody(BaseModel):
    """An acceptance inspection (验收) of one installation."""

    model_config = ConfigDict(extra="forbid")

    date: dt.date = Field(description="验收日期 inspection date (YYYY-MM-DD, not in the future, not before the "
                                      "installation)")
    heating_effect_ok: bool = Field(description="供暖效果是否达标: true records a passed acceptance (the subsidy "
                                                "becomes payable); false a failed inspection (验收不合格)")
    notes: str = Field("", max_length=2000, description="检查情况 what the inspectors found")
    inspectors: list[str] = Field(default_factory=lambda: ["县住建局", "乡镇"], max_length=10,
                                  description="验收单位 inspecting bodies")
    override_equipment: bool = Field(False, description="强制验收 accept although the stored equipment record fails a "
                                                        "mandatory requirement of the technical guide (附件2); needs "
                                                        "``why``")
    why: str = Field("", max_length=2000, description="原因 why (required with ``override_equipment``), recorded in "
                                                      "the audit log")


def _json_dates(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json_dates(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_dates(v) for v in value]
    return value


@router.post("/api/v1/installations/{installation_id}/accept", tags=["acceptance"], status_code=201,
             summary="Record an acceptance inspection (验收)")
def api_accept(request: Request, installation_id: RecordId, body: AcceptBody,
               who: Annotated[Principal, Depends(require(*RECORDERS))]) -> Response:
    """Record the acceptance inspection of an installation: heating effect reached → a passed acceptance;
    not reached → a failed inspection. Refused (409, with the reasons in Chinese and English and their
    clause) for an installation already accepted or installed on or after 2022-03-01 by an enterprise not
    registered on its install date, or whose stored equipment fails a mandatory requirement of the technical
    guide (附件2) without ``override_equipment``; 422 names the field (``date``; ``why`` for an override
    without a reason)."""
    try:
        with writing(request) as s:
            row = installations.accept(session=s, installation_id=installation_id, accepted_on=body.date,
                                       actor=who.actor, heating_effect_reached=body.heating_effect_ok,
                                       inspectors=tuple(i.strip() for i in body.inspectors if i.strip())
                                       or ("县住建局", "乡镇"), note=body.notes.strip(),
                                       override_equipment=body.override_equipment, why=body.why.strip())
            row_id = row.id
    except InputError as exc:
        field = "date" if exc.field in ("accepted_on", None) else exc.field
        return JSONResponse({"detail": [{"message": exc.reason, "record": exc.record or f"installation "
                                         f"{installation_id}", "field": field}]}, status_code=422)
    except Conflict as exc:
        with reading(request) as s:
            reasons = acceptance_view.refusal_reasons(session=s, installation_ids=[installation_id])
        return JSONResponse({"detail": str(exc), "reasons": reasons.get(installation_id, [])}, status_code=409)
    out: dict[str, Any] = {"installation_id": installation_id, "result": "passed" if body.heating_effect_ok
                           else "failed", "date": body.date.isoformat(), "actor": who.actor}
    out["acceptance_id" if body.heating_effect_ok else "failed_inspection_id"] = row_id
    return JSONResponse(out, status_code=201)


@router.get("/api/v1/installations/{installation_id}/acceptance", tags=["acceptance"],
            summary="An installation's acceptance state")
def api_installation(installation_id: RecordId, s: ReadSession,
                     who: Annotated[Principal, Depends(require(*READERS))]) -> dict[str, Any]:
    """The installation with its acceptance or failed inspections, why a passed acceptance would be refused,
    and the rules engine's decision on it."""
    detail = acceptance_view.installation_acceptance(session=s, installation_id=installation_id)
    _check_scope(who, detail)
    out = {k: v for k, v in detail.items() if k not in ("enterprise_status_names",)}
    return dict(_json_dates(out))


@router.get("/api/v1/acceptance/installations", tags=["acceptance"],
            summary="Installations by acceptance state (paged)")
def api_list(s: ReadSession, who: Annotated[Principal, Depends(require(*READERS))],
             state: str = "awaiting", township: str | None = None, enterprise: str | None = None,
             q: str | None = None, page: Annotated[int, Query(ge=1)] = 1,
             per_page: Annotated[int, Query(ge=1, le=500)] = PER_PAGE) -> dict[str, Any]:
    """Live installations awaiting acceptance (``state=awaiting``), with a failed inspection (``failed``),
    accepted, or ``all``; a clerk gets the own township's, an enterprise its own."""
    town = township_scope(who) or township
    ent = _enterprise_scope(who) or enterprise
    result = acceptance_view.awaiting_acceptance(session=s, township=town, enterprise_code=ent, state=state,
                                                 household=q, page=page, per_page=per_page)
    return {"total": result.total, "page": result.page, "per_page": result.per_page, "pages": result.pages,
            "items": [_json_dates(dict(r.__dict__)) for r in result.rows]}


def _scoped(request: Request, who: Principal, installation_id: int) -> None:
    with reading(request) as s:
        _check_scope(who, acceptance_view.installation_acceptance(session=s, installation_id=installation_id))


@router.put("/api/v1/installations/{installation_id}/equipment", tags=["acceptance"],
            summary="Record an installation's equipment (设备信息)")
def api_record_equipment(request: Request, installation_id: RecordId, body: dict[str, Any],
                         who: Annotated[Principal, Depends(require(*EQUIPMENT_RECORDERS))],
                         why: Annotated[str, Query(max_length=2000)] = "") -> dict[str, Any]:
    """Store the equipment record of an installation (JSON object: the fields of ``cleanheat check-equipment``;
    ``technology`` and ``heated_area_m2`` are the installation's), replacing the current one (audited), and
    return its check against the technical guide (附件2): per requirement the result, clause and value, and
    the verdict. An enterprise records its own installations only (another's: 404). 422 names the field."""
    _scoped(request, who, installation_id)
    try:
        with writing(request) as s:
            out = equipment.record_equipment(s, installation_id, body, who.actor, why.strip())
    except InputError as exc:
        errors = getattr(exc, "errors", None) or [exc]
        return JSONResponse({"detail": [{"message": e.reason, "record": e.record or f"installation {installation_id}",
                                         "field": e.field} for e in errors]}, status_code=422)  # type: ignore[return-value]
    return dict(_json_dates(out))


@router.get("/api/v1/installations/{installation_id}/equipment", tags=["acceptance"],
            summary="An installation's equipment check (附件2)")
def api_equipment(request: Request, installation_id: RecordId,
                  who: Annotated[Principal, Depends(require(*READERS))]) -> dict[str, Any]:
    """The check of the installation's stored equipment record against the technical guide (附件2);
    ``verdict`` ``no_record`` without a record."""
    _scoped(request, who, installation_id)
    with reading(request) as s:
        return dict(_json_dates(equipment.equipment_check(s, installation_id)))
