"""The audit log and its verification: ``/audit`` (filters, paging) and ``verify`` on a button press.

Readers: administrator, county officer, auditor; anyone else gets 403 (pages and API alike).

Pages
    ``GET /audit``: the entries newest first, filtered by actor, action (or family), resource and
    a date range of the programme time zone, 50 a page (the filters and pages swap the results
    with HTMX). ``POST /audit/verify``: the hash chain and the money tables checked against the
    log (:func:`cleanheat.registry.audit.verify_all`, as ``cleanheat audit verify``); it reads the
    whole log and every payment (seconds on the demo), so it runs only when asked, never on a
    page view. It writes nothing (a POST only because it is expensive).

API
    ``GET /api/v1/audit`` (the same filters, ``page``, ``per_page`` ≤ 500) and
    ``POST /api/v1/audit/verify`` (the ``cleanheat audit verify --json`` document).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from cleanheat.errors import InputError
from cleanheat.registry.services.users import Principal
from cleanheat.web.deps import ReadSession, parse_day, reading, render, require
from cleanheat.web.nav import N_

__all__ = ["ACTION_LABELS", "PER_PAGE", "READERS", "router"]

router = APIRouter()

READERS = ("admin", "officer", "auditor")
PER_PAGE = 50
ACTION_LABELS = {
    "payment.made": N_("Subsidy paid"), "payment.batch": N_("Payment run"), "payment.reversed": N_("Payment reversed"),
    "installation.recorded": N_("Installation recorded"), "installation.accepted": N_("Installation accepted"),
    "installation.inspection_failed": N_("Acceptance inspection failed"),
    "installation.acceptance_corrected": N_("Acceptance corrected"), "installation.voided": N_("Installation voided"),
    "installation.amended": N_("Installation amended"), "installation.recommitted": N_("Commitment renewed"),
    "household.created": N_("Household registered"), "household.amended": N_("Household amended"),
    "household.merged": N_("Households merged"), "household.duplicate.distinct": N_("Marked as distinct households"),
    "ledger.imported": N_("Ledger imported"), "report.monthly.filed": N_("Monthly report filed"),
    "enterprise.submitted": N_("Enterprise applied"), "enterprise.reviewed": N_("Enterprise reviewed"),
    "enterprise.registered": N_("Enterprise registered"), "enterprise.rejected": N_("Enterprise rejected"),
    "enterprise.suspended": N_("Enterprise suspended"), "enterprise.revoked": N_("Enterprise revoked"),
    "enterprise.assessed": N_("Enterprises assessed"), "ticket.opened": N_("Ticket opened"),
    "beijing.project.decided": N_("Beijing project decided"),
    "beijing.projects.recorded": N_("Beijing projects recorded"),
    "beijing.step.approved": N_("Approval step approved"), "beijing.step.refused": N_("Approval step refused"),
    "target.updated": N_("Target updated"), "demo.loaded": N_("Demo programme loaded"),
    "user.login": N_("Signed in"), "session.revoke": N_("Signed out"), "user.add": N_("User added"),
    "user.disable": N_("User disabled"), "user.set_password": N_("Password set"), "user.enable": N_("User enabled"),
    "user.set_role": N_("Role changed"),
}
"""Names of the actions the services record (an action not listed shows its code)."""



def _filters(actor: str | None, action: str | None, resource: str | None, since: str | None,
             until: str | None) -> dict[str, Any]:
    from cleanheat.registry.services.audit_log import resource_names

    r = (resource or "").strip()
    return {"actor": (actor or "").strip() or None, "action": (action or "").strip() or None,
            "resources": resource_names(r) if r else None, "since": parse_day(since, "since"),
            "until": parse_day(until, "until")}


def _local(instant: str | None) -> str:
    from cleanheat.clock import format_local

    if not instant:
        return "—"
    try:
        return format_local(dt.datetime.fromisoformat(instant), seconds=True)
    except ValueError:
        return instant


def _link(subject: str) -> str | None:
    """The page of an entry's resource, where there is one."""
    kind, _, name = subject.partition("/")
    return {"household": f"/households/{name}", "beijing": f"/beijing/{name}"}.get(kind) if name else None


def _rows(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    import orjson

    rows = []
    for e in entries:
        action = str(e.get("type", "")).removeprefix("cn.cleanheat.")
        data = orjson.dumps(e.get("data") or {}).decode()
        rows.append({"sequence": e["sequence"], "time": _local(e.get("time")), "actor": e.get("actor"),
                     "action": action, "action_label": ACTION_LABELS.get(action), "subject": e.get("subject"),
                     "link": _link(str(e.get("subject") or "")), "outcome": e.get("outcome"), "why": e.get("why"),
                     "data": data})
    return rows


Text = Annotated[str | None, Query()]


@router.get("/audit", include_in_schema=False)
def audit_page(request: Request, s: ReadSession, who: Annotated[Principal, Depends(require(*READERS))],
               actor: Text = None, action: Text = None, resource: Text = None, since: Text = None,
               until: Text = None, page: Annotated[int, Query(ge=1)] = 1) -> Response:
    from urllib.parse import urlencode

    from cleanheat.registry.services import audit_view

    form = {"actor": actor or "", "action": action or "", "resource": resource or "", "since": since or "",
            "until": until or ""}
    error = None
    try:
        found = audit_view.page(s, **_filters(actor, action, resource, since, until), page=page, per_page=PER_PAGE)
    except InputError as exc:
        error = str(exc)
        found = audit_view.AuditPage(total=0, page=1, per_page=PER_PAGE, entries=[])
    query = urlencode({k: v for k, v in form.items() if v})
    ctx = {"active": "/audit", "form": form, "found": found, "rows": _rows(found.entries), "error": error,
           "url": f"/audit?{query + '&' if query else ''}", "choices": audit_view.filter_choices(s)}
    htmx = request.headers.get("hx-request") == "true" and request.headers.get("hx-target") == "results"
    return render(request, "audit/_results.html" if htmx else "audit/log.html", ctx,
                  status_code=422 if error else 200)


def _verify(request: Request) -> tuple[Any, float]:
    from cleanheat.registry import audit

    started = time.perf_counter()
    with reading(request) as s:
        v = audit.verify_all(s)
    return v, time.perf_counter() - started


@router.post("/audit/verify", include_in_schema=False)
def audit_verify_page(request: Request, who: Annotated[Principal, Depends(require(*READERS))]) -> Response:
    v, seconds = _verify(request)
    return render(request, "audit/_verify.html", {"v": v, "doc": v.as_dict(details=200), "seconds": seconds,
                                                  "checked_at": _local(dt.datetime.now(dt.UTC).isoformat())})


@router.get("/api/v1/audit", tags=["audit"], summary="Audit log entries, newest first, paged and filtered")
def api_audit(
    s: ReadSession, who: Annotated[Principal, Depends(require(*READERS))],
    actor: Annotated[str | None, Query(description="Exactly this actor, e.g. web:officer")] = None,
    action: Annotated[str | None, Query(description="An action or its family: payment.made, payment")] = None,
    resource: Annotated[str | None, Query(description="household/YC-2022-000001, beijing/BJ-0001 … or just the id")]
    = None,
    since: Annotated[str | None, Query(description="From this date (YYYY-MM-DD, programme time zone), inclusive")]
    = None,
    until: Annotated[str | None, Query(description="Up to this date, inclusive")] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = PER_PAGE,
) -> Response:
    """The entries as CloudEvents envelopes (as `cleanheat audit log --json`), newest first, with
    `total`, `page`, `per_page`, `pages`."""
    from cleanheat.registry.services import audit_view

    found = audit_view.page(s, **_filters(actor, action, resource, since, until), page=page, per_page=per_page)
    return JSONResponse(found.as_dict())


@router.post("/api/v1/audit/verify", tags=["audit"], summary="Verify the audit chain and the money tables")
def api_audit_verify(request: Request, who: Annotated[Principal, Depends(require(*READERS))]) -> Response:
    """The `cleanheat audit verify --json` document: `intact`, `entries` (or `entries_checked` and
    `first_broken`), `money_reconciled`, `money_checked`, `money_mismatch_count`, `money_mismatches`.
    Answers 200 whatever the verdict; it reads the whole log (seconds on a large programme)."""
    v, _seconds = _verify(request)
    return JSONResponse(v.as_dict())
