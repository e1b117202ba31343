"""The household ledger (台账) in the browser: search and filters over 27,000 households, a household's page
(timeline, the subsidy decision with every reason and clause, duplicate flags), the duplicates list with
merge / distinct, and the API ``/api/v1/households``.

Who sees what: the county (officer, admin, auditor, inspector) sees every household; a township clerk
only the own township (another township's household is 404, by page and by API); an enterprise none.
Merging and marking distinct is the county officer's (:func:`cleanheat.registry.services.households.merge`,
``mark_distinct``), with a reason, audited as ``web:<name>``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from cleanheat.errors import Conflict, InputError, NotFound
from cleanheat.registry.services import ledger_view
from cleanheat.registry.services.users import Principal
from cleanheat.web.deps import ReadSession, check_township, language, render, require, township_scope, writing
from cleanheat.web.nav import N_
from cleanheat.web.public import DWELLING_LABELS, TECHNOLOGY_LABELS
from cleanheat.web.public import STATUS_LABELS as DECISION_LABELS

__all__ = ["DECISION_LABELS", "DUPLICATE_REASONS", "EVENT_LABELS", "STATUS_LABELS", "TECHNOLOGY_LABELS", "VIEWERS",
           "filters_from", "router"]

router = APIRouter()

VIEWERS = ("admin", "officer", "clerk", "inspector", "auditor")
"""Who may read the ledger: the county, the clerks (own township), the inspectors (to find installations)."""
DUPLICATE_VIEWERS = ("admin", "officer", "auditor")
"""Who sees the county's list of suspected duplicates (it pairs households of different townships)."""
MERGERS = ("officer",)
"""Who merges duplicates or marks them distinct: the county officer."""
PER_PAGE = 50

STATUS_LABELS = {
    "no_installation": N_("No installation"),
    "pending": N_("Awaiting acceptance"),
    "failed_inspection": N_("Failed inspection"),
    "accepted": N_("Accepted, to be paid"),
    "not_payable": N_("Not payable"),
    "paid": N_("Paid"),
    "reversed": N_("Subsidy recovered"),
    "merged": N_("Merged into another record"),
    "void": N_("Installation void"),
}
"""A household's status (:data:`cleanheat.registry.services.household_view.STATUS_NAMES`; 已补贴, 待验收 …)."""
STATUS_STYLES = {"paid": "success", "accepted": "primary", "pending": "warning", "not_payable": "danger",
                 "failed_inspection": "danger", "void": "secondary", "merged": "secondary",
                 "no_installation": "light", "reversed": "secondary"}
DUPLICATE_REASONS = {"id_number": N_("Same identity number"), "phone": N_("Same phone number"),
                     "fuzzy_name_address": N_("Similar name and address")}
EVENT_LABELS = {"registered": N_("Recorded in the ledger"), "installed": N_("Installed"),
                "inspection_failed": N_("Failed acceptance inspection"), "accepted": N_("Accepted"),
                "paid": N_("Subsidy paid"), "ticket_opened": N_("Ticket opened"),
                "ticket_assigned": N_("Ticket assigned"), "ticket_responded": N_("Ticket answered"),
                "ticket_resolved": N_("Ticket resolved"), "ticket_closed": N_("Ticket closed")}
TICKET_KINDS = {"service": N_("After-sales service"), "complaint": N_("Complaint")}
TICKET_CATEGORIES = {"quality": N_("Quality"), "service": N_("Service"), "heating_effect": N_("Heating effect"),
                     "not_in_use": N_("Not in use"), "other": N_("Other")}
TICKET_STAGES = {"opened": N_("Opened"), "assigned": N_("Assigned"), "responded": N_("Responded"),
                 "resolved": N_("Resolved"), "closed": N_("Closed")}
"""The tickets' codes (:data:`cleanheat.registry.services.tickets.KIND_NAMES`, ``CATEGORY_NAMES``, ``STAGE_NAMES``)."""

_LABELS = {"status_labels": STATUS_LABELS, "decision_labels": DECISION_LABELS,
           "technology_labels": TECHNOLOGY_LABELS, "dwelling_labels": DWELLING_LABELS,
           "duplicate_reasons": DUPLICATE_REASONS, "event_labels": EVENT_LABELS, "ticket_kinds": TICKET_KINDS,
           "ticket_categories": TICKET_CATEGORIES, "ticket_stages": TICKET_STAGES}


@functools.cache
def _labels_in(lang: str) -> dict[str, Any]:
    """The code labels of the pages in one language, translated once (a page of 50 rows would otherwise
    look each up 50 times)."""
    from cleanheat.web.i18n import translations

    tr = translations(lang).gettext
    return {"status_styles": STATUS_STYLES,
            **{name: {code: tr(text) for code, text in table.items()} for name, table in _LABELS.items()}}


def _labels(request: Request) -> dict[str, Any]:
    return _labels_in(language(request))

Viewer = Annotated[Principal, Depends(require(*VIEWERS))]


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def filters_from(*, q: str | None = None, township: str | None = None, village: str | None = None,
                 status: str | None = None, method: str | None = None, enterprise: str | None = None,
                 year: str | None = None) -> ledger_view.LedgerFilter:
    """The ledger filter of a page's or the API's query parameters (empty ones do not filter).

    Raises
    ------
    InputError
        A year that is not a number, an unknown status.
    """
    year_text = _text(year)
    try:
        year_value = int(year_text) if year_text else None
    except ValueError:
        raise InputError(f"not a year: {year_text!r}", field="year") from None
    return ledger_view.LedgerFilter(query=(q or "").strip(), township=_text(township), village=_text(village),
                                    status=_text(status), method=_text(method), enterprise=_text(enterprise),
                                    year=year_value)


def _page_number(value: str | None, field: str, default: int) -> int:
    text = _text(value)
    if text is None:
        return default
    try:
        return int(text)
    except ValueError:
        raise InputError(f"not a number: {text!r}", field=field) from None


def _query_of(f: ledger_view.LedgerFilter) -> dict[str, str]:
    """The filter as query parameters (what the URL keeps, so a link or a reload shows the same page)."""
    pairs = {"q": f.query, "township": f.township, "village": f.village, "status": f.status, "method": f.method,
             "enterprise": f.enterprise, "year": None if f.year is None else str(f.year)}
    return {k: str(v) for k, v in pairs.items() if v}


def _fragment(request: Request) -> bool:
    """An HTMX request for the results only (not a history restore, which wants the whole page)."""
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-history-restore-request") != "true"


@router.get("/households", include_in_schema=False)
def households_page(request: Request, s: ReadSession, who: Viewer, q: str | None = None,
                    township: str | None = None, village: str | None = None, status: str | None = None,
                    method: str | None = None, enterprise: str | None = None, year: str | None = None,
                    page: str | None = None) -> Response:
    """The ledger: search and filters, one page of 50 households; an HTMX request gets the results only."""
    f = filters_from(q=q, township=township, village=village, status=status, method=method, enterprise=enterprise,
                     year=year)
    scope = township_scope(who)
    number = _page_number(page, "page", 1)
    result = ledger_view.ledger_page(session=s, filters=f, page=number, per_page=PER_PAGE, township=scope)
    for h in result.items:  # the columns of the live installations (filtering them in Jinja2 was half the table)
        h["live"] = [i for i in h["installations"] if not i["void"]]
    query = _query_of(f)
    context = {"active": "/households", "f": f, "result": result, "scope": scope,
               "choices": ledger_view.filter_choices(session=s, township=scope),
               "base_url": "/households?" + (urlencode(query) + "&" if query else ""),
               "export_url": "/ledger/export.xlsx", **_labels(request)}
    template = "households/_results.html" if _fragment(request) else "households/list.html"
    return render(request, template, context, headers={"Vary": "HX-Request"})


@router.get("/households/duplicates", include_in_schema=False)
def duplicates_page(request: Request, s: ReadSession,
                    who: Annotated[Principal, Depends(require(*DUPLICATE_VIEWERS))]) -> Response:
    """Suspected duplicate households of the county, with merge / distinct for the county officer."""
    return _duplicates(request, s, who)


def _duplicates(request: Request, s: Any, who: Principal, *, message: str | None = None,
                status_code: int = 200, form: dict[str, str] | None = None) -> Response:
    pairs = ledger_view.suspected_duplicates(session=s)
    return render(request, "households/duplicates.html",
                  {"active": "/households", "pairs": pairs, "can_merge": who.role in MERGERS, "message": message,
                   "form": form or {}, **_labels(request)}, status_code=status_code)


@router.get("/households/{household_id}", include_in_schema=False)
def household_page(request: Request, s: ReadSession, who: Viewer, household_id: str,
                   done: str | None = None) -> Response:
    """One household: fields, status, installations, payment, the decision with its reasons, timeline,
    tickets, suspected duplicates (merge / distinct for the county officer)."""
    return _household(request, s, who, household_id, done=done)


def _household(request: Request, s: Any, who: Principal, household_id: str, *, done: str | None = None,
               message: str | None = None, status_code: int = 200, form: dict[str, str] | None = None) -> Response:
    page = ledger_view.household_page(session=s, household_id=household_id, township=township_scope(who))
    check_township(who, page["view"]["township"])  # before anything of it is shown
    return render(request, "households/show.html",
                  {"active": "/households", "h": page["view"], "page": page, "can_merge": who.role in MERGERS,
                   "done": done if done in ("merged", "distinct") else None, "message": message, "form": form or {},
                   **_labels(request)}, status_code=status_code)


def _other(request: Request, who: Principal, origin: str, a: str, message: str, status_code: int,
           form: dict[str, str]) -> Response:
    """The page the merge / distinct form came from, again, with the message (nothing was changed)."""
    from cleanheat.web.deps import reading

    with reading(request) as s:
        if origin == "duplicates":
            return _duplicates(request, s, who, message=message, status_code=status_code, form=form)
        try:
            return _household(request, s, who, a, message=message, status_code=status_code, form=form)
        except NotFound:
            return _duplicates(request, s, who, message=message, status_code=status_code, form=form)


def _reason(why: str) -> str:
    why = why.strip()
    if not why:
        raise InputError("请说明原因 say why (the reason is recorded in the audit log)", field="why")
    return why


def _review(request: Request, who: Principal, *, form: dict[str, str], origin: str, change: Callable[[Any], None],
            done: str) -> Response:
    """Apply a duplicate review (``change(session)`` in one audited transaction) and go to ``done`` (the
    duplicates list when the form came from it); a refused one (422 bad input, 409 conflict) shows the page
    the form came from again with the message, nothing changed."""
    try:
        with writing(request) as s:
            change(s)
    except (InputError, Conflict) as exc:
        return _other(request, who, origin, form["a"], str(exc), 409 if isinstance(exc, Conflict) else 422, form)
    return RedirectResponse("/households/duplicates" if origin == "duplicates" else done, status_code=303)


@router.post("/households/merge", include_in_schema=False)
def merge_households(request: Request, who: Annotated[Principal, Depends(require(*MERGERS))],
                     a: Annotated[str, Form()], b: Annotated[str, Form()], keep: Annotated[str, Form()],
                     why: Annotated[str, Form()] = "", origin: Annotated[str, Form()] = "household") -> Response:
    """Merge one of two suspected records into the other (the one in ``keep`` stands)."""
    from cleanheat.registry.services import households

    def change(s: Any) -> None:
        if keep not in (a, b):
            raise InputError(f"keep must be {a} or {b}, got {keep!r}", field="keep")
        households.merge(session=s, keep=keep, drop=b if keep == a else a, actor=who.actor, why=_reason(why))

    return _review(request, who, form={"a": a, "b": b, "keep": keep, "why": why, "action": "merge"}, origin=origin,
                   change=change, done=f"/households/{keep}?done=merged")


@router.post("/households/distinct", include_in_schema=False)
def mark_distinct(request: Request, who: Annotated[Principal, Depends(require(*MERGERS))],
                  a: Annotated[str, Form()], b: Annotated[str, Form()], why: Annotated[str, Form()] = "",
                  origin: Annotated[str, Form()] = "household") -> Response:
    """Record that two suspected records are different households."""
    from cleanheat.registry.services import households

    def change(s: Any) -> None:
        households.mark_distinct(session=s, a=a, b=b, actor=who.actor, why=_reason(why))

    return _review(request, who, form={"a": a, "b": b, "why": why, "action": "distinct"}, origin=origin,
                   change=change, done=f"/households/{a}?done=distinct")


# --------------------------------------------------------------------------------------------
# API
# --------------------------------------------------------------------------------------------


def _json(doc: Any, status_code: int = 200) -> Response:
    """JSON as the CLI writes it (orjson: Chinese as is, ISO dates)."""
    return Response(orjson.dumps(doc, option=orjson.OPT_NON_STR_KEYS), status_code=status_code,
                    media_type="application/json")


@router.get("/api/v1/households", tags=["households"], summary="Households of the ledger (paged, filtered)")
def api_households(s: ReadSession, who: Viewer, page: int = 1, per_page: int = PER_PAGE, q: str | None = None,
                   township: str | None = None, village: str | None = None, status: str | None = None,
                   method: str | None = None, enterprise: str | None = None, year: str | None = None) -> Response:
    """Households matching the filters, by ledger id: ``{"total", "page", "per_page", "pages", "items"}``.

    ``q`` finds a ledger id (or its beginning), an identity number, a phone, the beginning of a name or a
    village; ``township``, ``village`` (names), ``status`` (``paid``, ``accepted``, ``pending``,
    ``not_payable``, ``failed_inspection``, ``no_installation``, ``void``, ``merged``), ``method`` (a
    method code), ``enterprise`` (a code) and ``year`` (programme year) filter. ``per_page`` ≤ 200.
    A township clerk gets the own township's households only.
    """
    f = filters_from(q=q, township=township, village=village, status=status, method=method, enterprise=enterprise,
                     year=year)
    result = ledger_view.ledger_page(session=s, filters=f, page=page, per_page=per_page, township=township_scope(who))
    return _json(result.as_dict())


@router.get("/api/v1/households/{household_id}", tags=["households"], summary="One household")
def api_household(s: ReadSession, who: Viewer, household_id: str) -> Response:
    """A household as ``cleanheat household show --json`` gives it: fields, status, installations, payment,
    the rules decision with its reasons (and the failed ones picked out), and its audit timeline."""
    from cleanheat.registry.services.household_view import household_view

    check_township(who, ledger_view.household_township(session=s, household_id=household_id))
    return _json(household_view(session=s, household_id=household_id))
