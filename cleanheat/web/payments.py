"""Payments (一次性补贴发放): envelopes and runs, a run's preview and its confirmation, the vouchers, one
voucher with its recovery (追回), the XLSX of a run, and the payments API.

The preview (``GET /payments/preview``) is the payment service's dry run
(:func:`cleanheat.registry.services.payment_runs.preview_run`): who would be paid, the amounts, who is
held or not payable and why, the effect on each envelope, and a fingerprint of exactly what would be paid.
The confirmation (``POST /payments/runs``) carries the fingerprint;
:func:`~cleanheat.registry.services.payment_runs.pay_run` pays in one transaction and, if what it paid is
not what was previewed, rolls back and answers 409 ("the programme changed since the preview"). A household
is paid once even when two officers confirm at the same moment (the payment service's guarantee).

Who: officers preview, pay and recover; the auditor reads runs and vouchers (403 on every write); no one
else sees payments.

API: ``POST /api/v1/payment-runs/preview``, ``POST /api/v1/payment-runs`` (pay, same fingerprint rule),
``GET /api/v1/payment-runs``, ``GET /api/v1/payment-runs/{seq}``, ``GET /api/v1/payments`` (paged),
``GET /api/v1/payments/{voucher}``, ``POST /api/v1/payments/{voucher}/reversal``.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from cleanheat import clock
from cleanheat.errors import Conflict, InputError
from cleanheat.registry.services import acceptance_view, payment_runs
from cleanheat.registry.services.payment_runs import RunPreview, StalePreview
from cleanheat.registry.services.payments import envelope_spending, envelope_warnings
from cleanheat.registry.services.users import Principal
from cleanheat.web.deps import ReadSession, RecordId, language, parse_day, reading, render, require, writing
from cleanheat.web.i18n import translations
from cleanheat.web.nav import N_

__all__ = ["PAYERS", "READERS", "PayBody", "PreviewBody", "ReversalBody", "envelope_chart", "preview_workbook",
           "router", "run_workbook"]

router = APIRouter()

READERS = ("officer", "auditor")
"""Who may read payment runs and vouchers."""
PAYERS = ("officer",)
"""Who may preview and pay a run, and recover a payment."""
SHOWN = 100
"""Rows of each list a preview page shows (the XLSX has them all)."""
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ENVELOPE_LABELS = {"central": N_("Central funds"), "county": N_("County funds"), "household": N_("Household share")}



def envelope_chart(envelopes: list[dict[str, Any]], gettext: Any) -> dict[str, Any]:
    """ECharts option: per envelope (central, county) a stacked bar of what was paid before the run, the
    run, the outstanding commitments after it and what is left, against the cap (CNY)."""
    rows = [e for e in envelopes if e["source"] in ("central", "county")]
    names = [gettext(ENVELOPE_LABELS[e["source"]]) for e in rows]
    series = [
        (gettext(N_("Paid before")), [e["paid_before_cny"] for e in rows], "#6c757d"),
        (gettext(N_("This run")), [e["run_cny"] for e in rows], "#0d6efd"),
        (gettext(N_("Committed, not yet paid")), [e["committed_after_cny"] for e in rows], "#ffc107"),
        (gettext(N_("Left")), [max(0, e["left_after_commitments_cny"]) for e in rows], "#d1e7dd"),
    ]
    return {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 16, "bottom": 8, "top": 40, "containLabel": True},
        "xAxis": {"type": "value", "name": "CNY"},
        "yAxis": {"type": "category", "data": names},
        "series": [{"name": n, "type": "bar", "stack": "cap", "data": d, "itemStyle": {"color": c}}
                   for n, d, c in series],
    }


# --------------------------------------------------------------------------------------------
# Workbooks
# --------------------------------------------------------------------------------------------

PAYMENT_COLUMNS = [
    ("voucher_no", "凭证号 voucher", "text"), ("household_id", "农户编号 household", "text"),
    ("name", "姓名 name", "general"), ("township", "乡镇 township", "general"), ("village", "村 village", "general"),
    ("installation_id", "安装编号 installation", "general"), ("central_cny", "中央资金 central CNY", "money"),
    ("local_cny", "地方资金 county CNY", "money"), ("total_cny", "合计 total CNY", "money"),
    ("household_share_cny", "农户自筹 household share CNY", "money"), ("paid_on", "发放日期 paid on", "date"),
    ("state", "状态 state", "general"),
]


def _workbook(sheets: list[Any]) -> bytes:
    from cleanheat.spreadsheets import write_workbook

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "run.xlsx"
        write_workbook(path, sheets)
        return path.read_bytes()


def _payments_sheet(name: str, rows: list[dict[str, Any]]) -> Any:
    from cleanheat.spreadsheets import Column, Sheet

    cols = [Column(h, kind, total=kind == "money") for _, h, kind in PAYMENT_COLUMNS]
    data = [[r.get(k) if k != "state" else ("已追回 recovered" if r.get("standing") is False else "已发放 paid")
             for k, _, _ in PAYMENT_COLUMNS] for r in rows]
    return Sheet(name, cols, data, totals="合计 total")


def _summary_sheet(pairs: list[tuple[str, Any]]) -> Any:
    from cleanheat.spreadsheets import Column, Sheet

    return Sheet("汇总 summary", [Column("项目 item"), Column("值 value", "auto")], [[k, v] for k, v in pairs],
                 freeze=False)


def run_workbook(run: dict[str, Any]) -> bytes:
    """The XLSX of a payment run made: a summary and every payment it made (with a totals row)."""
    summary = [("发放批次 run (audit seq)", run["seq"]), ("发放日期 paid on", run["paid_on"]),
               ("乡镇 township", run["township"] or "全县 whole county"), ("操作人 actor", run["actor"]),
               ("时间 time", run["time"]), ("补贴户数 households paid", run["paid"]),
               ("中央资金 central CNY", run["central_cny"]), ("地方资金 county CNY", run["local_cny"]),
               ("合计 total CNY", run["total_cny"]),
               ("疑似重复暂缓 held (suspected duplicates)", run["held_duplicates"]),
               ("不予补贴 not payable", run["not_payable"]), ("原因 why", run["why"])]
    return _workbook([_summary_sheet(summary), _payments_sheet("已发放 paid", run["payments"])])


def preview_workbook(preview: RunPreview) -> bytes:
    """The XLSX of a preview: a summary with the fingerprint, who would be paid, who is held and who is not
    payable with the failing rules (every row)."""
    from cleanheat.spreadsheets import Column, Sheet

    r = preview.result
    summary = [("预览（未发放） preview (nothing paid)", preview.fingerprint), ("发放日期 paid on", preview.paid_on),
               ("乡镇 township", preview.township or "全县 whole county"), ("将补贴户数 would pay", r.paid),
               ("中央资金 central CNY", r.central_cny), ("地方资金 county CNY", r.local_cny),
               ("合计 total CNY", r.total_cny), ("此前已补贴 already paid", r.already_paid),
               ("疑似重复暂缓 held (suspected duplicates)", len(r.held_duplicates)),
               ("已追回暂缓 held (reversed)", len(r.held_reversed)), ("不予补贴 not payable", len(r.not_payable)),
               ("将被拒绝 would be refused", r.refused or "")]
    rows = [{**p, "paid_on": preview.paid_on, "standing": True} for p in r.payments]
    sheets = [_summary_sheet(summary), _payments_sheet("将发放 would be paid", rows)]
    held = [[h["household_id"], h["installation_id"],
             "、".join(f"{s['other']} ({s['reason']})" for s in h["suspected"])] for h in r.held_duplicates]
    held += [[h["household_id"], h["installation_id"], h["detail"]] for h in r.held_reversed]
    sheets.append(Sheet("暂缓 held", [Column("农户编号 household", "text"), Column("安装编号 installation"),
                                     Column("原因 reason")], held))
    sheets.append(Sheet("不予补贴 not payable", [Column("农户编号 household", "text"), Column("安装编号 installation"),
                                             Column("状态 status"), Column("未满足的规则 failing rules"),
                                             Column("说明 detail"), Column("说明（英文） detail (English)")],
                        [[n["household_id"], n["installation_id"], n["status"], "; ".join(n["reasons"]), n["detail"],
                          n["detail_en"]] for n in r.not_payable]))
    return _workbook(sheets)


def _xlsx(content: bytes, filename: str) -> Response:
    return Response(content, media_type=XLSX,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})


# --------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------


@router.get("/payments", include_in_schema=False)
def payments_home(request: Request, s: ReadSession, who: Annotated[Principal, Depends(require(*READERS))],
                  page: Annotated[int, Query(ge=1)] = 1, nothing: int = 0) -> Response:
    spending = envelope_spending(session=s)
    runs = payment_runs.payment_runs(session=s, page=page, per_page=20)
    template = "payments/_runs.html" if request.headers.get("hx-request") == "true" else "payments/index.html"
    return render(request, template, {
        "active": "/payments", "spending": spending, "warnings": envelope_warnings(spending), "runs": runs,
        "townships": acceptance_view.township_names(session=s), "today": clock.today(),
        "can_pay": who.role in PAYERS, "nothing": bool(nothing), "labels": ENVELOPE_LABELS})


def _preview_args(township: str | None, paid_on: str | None) -> tuple[str | None, dt.date | None]:
    return (township or None), parse_day(paid_on, "paid_on")


@router.get("/payments/preview.xlsx", include_in_schema=False)
def preview_xlsx(s: ReadSession, who: Annotated[Principal, Depends(require(*PAYERS))],
                 township: str | None = None, paid_on: str | None = None) -> Response:
    town, day = _preview_args(township, paid_on)
    preview = payment_runs.preview_run(session=s, township=town, paid_on=day, actor=who.actor)
    return _xlsx(preview_workbook(preview), f"payment-preview-{preview.paid_on.isoformat()}.xlsx")


def _preview_page(request: Request, preview: RunPreview, *, status_code: int = 200, message: str | None = None,
                  why: str = "") -> Response:
    gettext = translations(language(request)).gettext
    query = urlencode({k: v for k, v in (("township", preview.township), ("paid_on", preview.paid_on.isoformat()))
                       if v})
    return render(request, "payments/preview.html", {
        "active": "/payments", "p": preview, "r": preview.result, "shown": SHOWN, "message": message, "why": why,
        "chart": envelope_chart(preview.envelopes, gettext), "query": query, "labels": ENVELOPE_LABELS},
        status_code=status_code)


@router.get("/payments/preview", include_in_schema=False)
def preview_page(request: Request, s: ReadSession, who: Annotated[Principal, Depends(require(*PAYERS))],
                 township: str | None = None, paid_on: str | None = None) -> Response:
    town, day = _preview_args(township, paid_on)
    preview = payment_runs.preview_run(session=s, township=town, paid_on=day, actor=who.actor)
    return _preview_page(request, preview)


@router.post("/payments/runs", include_in_schema=False)
def pay_page(request: Request, who: Annotated[Principal, Depends(require(*PAYERS))],
             fingerprint: Annotated[str, Form()] = "", paid_on: Annotated[str, Form()] = "",
             township: Annotated[str, Form()] = "", why: Annotated[str, Form()] = "") -> Response:
    town = township or None
    try:
        day = parse_day(paid_on, "paid_on")
        if day is None:
            raise InputError("the payment date of the preview is missing: preview again", field="paid_on")
        with writing(request) as s:
            run = payment_runs.pay_run(session=s, actor=who.actor, expected_fingerprint=fingerprint, township=town,
                                       paid_on=day, why=why.strip())
    except (StalePreview, Conflict, InputError) as exc:
        status = 422 if isinstance(exc, InputError) else 409
        with reading(request) as s:
            try:
                fresh = payment_runs.preview_run(session=s, township=town, paid_on=parse_day(paid_on, "paid_on"),
                                                 actor=who.actor)
            except InputError:
                fresh = payment_runs.preview_run(session=s, township=None, actor=who.actor)
        return _preview_page(request, fresh, status_code=status, message=str(exc), why=why)
    if run.seq is None:
        return RedirectResponse("/payments?nothing=1", status_code=303)
    return RedirectResponse(f"/payments/runs/{run.seq}", status_code=303)


@router.get("/payments/runs/{seq:int}.xlsx", include_in_schema=False)
def run_xlsx(s: ReadSession, who: Annotated[Principal, Depends(require(*READERS))], seq: RecordId) -> Response:
    run = payment_runs.payment_run(session=s, seq=seq)
    return _xlsx(run_workbook(run), f"payment-run-{seq}-{run['paid_on'] or ''}.xlsx")


@router.get("/payments/runs/{seq:int}", include_in_schema=False)
def run_page(request: Request, s: ReadSession, who: Annotated[Principal, Depends(require(*READERS))], seq: int,
             page: Annotated[int, Query(ge=1)] = 1) -> Response:
    run = payment_runs.payment_run(session=s, seq=seq)
    per_page = 100
    pages = max(1, -(-len(run["payments"]) // per_page))
    rows = run["payments"][(page - 1) * per_page:page * per_page]
    return render(request, "payments/run.html", {
        "active": "/payments", "run": run, "rows": rows, "page": page, "pages": pages,
        "page_url": f"/payments/runs/{seq}?", "labels": ENVELOPE_LABELS})


@router.get("/payments/vouchers", include_in_schema=False)
def vouchers_page(request: Request, s: ReadSession, who: Annotated[Principal, Depends(require(*READERS))],
                  township: str | None = None, q: str | None = None, state: str = "all",
                  paid_from: str | None = None, paid_to: str | None = None,
                  page: Annotated[int, Query(ge=1)] = 1) -> Response:
    found = payment_runs.list_payments(session=s, township=township or None, q=q, state=state,
                                       paid_from=parse_day(paid_from, "paid_from"),
                                       paid_to=parse_day(paid_to, "paid_to"),
                                       page=page, per_page=50)
    params = {k: v for k, v in (("township", township), ("q", q), ("state", state if state != "all" else None),
                                ("paid_from", paid_from), ("paid_to", paid_to)) if v}
    query = urlencode(params)
    ctx = {"active": "/payments", "found": found, "township": township or "", "q": q or "", "state": state,
           "paid_from": paid_from or "", "paid_to": paid_to or "", "states": payment_runs.PAYMENT_STATES,
           "townships": acceptance_view.township_names(session=s),
           "page_url": f"/payments/vouchers?{query}&" if query else "/payments/vouchers?"}
    template = "payments/_vouchers.html" if request.headers.get("hx-request") == "true" else "payments/vouchers.html"
    return render(request, template, ctx)


def _voucher_page(request: Request, who: Principal, voucher_no: str, *, status_code: int = 200,
                  errors: dict[str, str] | None = None, form: dict[str, str] | None = None,
                  message: str | None = None, reversed_now: bool = False) -> Response:
    with reading(request) as s:
        v = payment_runs.get_voucher(session=s, voucher_no=voucher_no)
    return render(request, "payments/voucher.html", {
        "active": "/payments", "v": v, "can_reverse": who.role in PAYERS and v["standing"], "errors": errors or {},
        "form": {"why": "", "on": clock.today().isoformat(), **(form or {})}, "message": message,
        "reversed_now": reversed_now, "today": clock.today()}, status_code=status_code)


@router.get("/payments/vouchers/{voucher_no}", include_in_schema=False)
def voucher_page(request: Request, voucher_no: str, who: Annotated[Principal, Depends(require(*READERS))],
                 reversed: int = 0) -> Response:
    return _voucher_page(request, who, voucher_no, reversed_now=bool(reversed))


@router.post("/payments/vouchers/{voucher_no}/reverse", include_in_schema=False)
def reverse_page(request: Request, voucher_no: str, who: Annotated[Principal, Depends(require(*PAYERS))],
                 why: Annotated[str, Form()] = "", on: Annotated[str, Form()] = "") -> Response:
    form = {"why": why, "on": on}
    try:
        day = parse_day(on, "on")
        with writing(request) as s:
            payment_runs.reverse_voucher(session=s, voucher_no=voucher_no, actor=who.actor, why=why.strip(), on=day)
    except InputError as exc:
        return _voucher_page(request, who, voucher_no, status_code=422, errors={exc.field or "why": exc.reason},
                             form=form)
    except Conflict as exc:
        return _voucher_page(request, who, voucher_no, status_code=409, message=str(exc), form=form)
    return RedirectResponse(f"/payments/vouchers/{quote(voucher_no)}?reversed=1", status_code=303)


# --------------------------------------------------------------------------------------------
# API
# --------------------------------------------------------------------------------------------


class PreviewBody(BaseModel):
    """A payment run to preview: every accepted, unpaid installation of one township (or of the county)."""

    model_config = ConfigDict(extra="forbid")

    township: str | None = Field(None, description="乡镇 one township (default: the whole county)")
    paid_on: dt.date | None = Field(None, description="发放日期 payment date (default today; not in the future)")
    details: int = Field(100, ge=0, le=100_000, description="how many held / not-payable records to list")


class PayBody(BaseModel):
    """The confirmation of a previewed run: the same township and date, and the preview's fingerprint."""

    model_config = ConfigDict(extra="forbid")

    fingerprint: str = Field(min_length=64, max_length=64, description="the preview's fingerprint")
    paid_on: dt.date = Field(description="发放日期: the preview's payment date")
    township: str | None = Field(None, description="乡镇: the preview's township")
    why: str = Field("", max_length=2000, description="原因 recorded in the audit log")


class ReversalBody(BaseModel):
    """A recovery (追回) of one payment."""

    model_config = ConfigDict(extra="forbid")

    why: str = Field(min_length=1, max_length=2000, description="追回原因 why the subsidy is recovered (required)")
    on: dt.date | None = Field(None, description="追回日期 booking date (default today)")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _preview_json(p: RunPreview, details: int) -> dict[str, Any]:
    out = p.result.as_dict(details=details)
    out.pop("payment_details", None)
    return {**out, "fingerprint": p.fingerprint, "township": p.township, "paid_on": p.paid_on.isoformat(),
            "seq": p.seq, "payments": p.result.payments, "envelopes": p.envelopes}


def _input_422(exc: InputError) -> JSONResponse:
    return JSONResponse({"detail": [{"message": exc.reason, "record": exc.record, "field": exc.field}]},
                        status_code=422)


@router.post("/api/v1/payment-runs/preview", tags=["payments"], summary="Preview a payment run (nothing paid)")
def api_preview(s: ReadSession, who: Annotated[Principal, Depends(require(*PAYERS))], body: PreviewBody) -> Response:
    """Who would be paid, the amounts, who is held or not payable (with the failing rules), the effect on each
    envelope, and the ``fingerprint`` that ``POST /api/v1/payment-runs`` must carry."""
    try:
        p = payment_runs.preview_run(session=s, township=body.township, paid_on=body.paid_on, actor=who.actor)
    except InputError as exc:
        return _input_422(exc)
    return JSONResponse(_jsonable(_preview_json(p, body.details)))


@router.post("/api/v1/payment-runs", tags=["payments"], status_code=201, summary="Pay a previewed run")
def api_pay(request: Request, who: Annotated[Principal, Depends(require(*PAYERS))], body: PayBody) -> Response:
    """Pay exactly what the preview with this ``fingerprint`` showed, in one transaction, or nothing: 409 with
    ``stale: true`` when the programme changed since the preview (preview again), 409 when the run would pass
    an envelope or another officer paid at the same moment."""
    try:
        with writing(request) as s:
            run = payment_runs.pay_run(session=s, actor=who.actor, expected_fingerprint=body.fingerprint,
                                       township=body.township, paid_on=body.paid_on, why=body.why.strip())
    except InputError as exc:
        return _input_422(exc)
    except StalePreview as exc:
        return JSONResponse({"detail": str(exc), "stale": True, "previewed": exc.expected, "now": exc.found},
                            status_code=409)
    except Conflict as exc:
        return JSONResponse({"detail": str(exc), "stale": False}, status_code=409)
    return JSONResponse(_jsonable(_preview_json(run, 100)), status_code=201)


@router.get("/api/v1/payment-runs", tags=["payments"], summary="Payment runs made (paged)")
def api_runs(s: ReadSession, who: Annotated[Principal, Depends(require(*READERS))],
             page: Annotated[int, Query(ge=1)] = 1,
             per_page: Annotated[int, Query(ge=1, le=500)] = 20) -> dict[str, Any]:
    """The runs made, newest first, by their audit entry ``seq``."""
    found = payment_runs.payment_runs(session=s, page=page, per_page=per_page)
    return {"total": found.total, "page": found.page, "per_page": found.per_page, "pages": found.pages,
            "items": _jsonable(found.rows)}


@router.get("/api/v1/payment-runs/{seq}", tags=["payments"], summary="One payment run and its payments")
def api_run(s: ReadSession, who: Annotated[Principal, Depends(require(*READERS))], seq: RecordId) -> dict[str, Any]:
    return dict(_jsonable(payment_runs.payment_run(session=s, seq=seq)))


@router.get("/api/v1/payments", tags=["payments"], summary="Payments (vouchers), paged")
def api_payments(s: ReadSession, who: Annotated[Principal, Depends(require(*READERS))],
                 township: str | None = None, q: str | None = None, state: str = "all",
                 paid_from: dt.date | None = None, paid_to: dt.date | None = None,
                 page: Annotated[int, Query(ge=1)] = 1,
                 per_page: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    """Payments newest first: of one township, voucher or household id starting with ``q``, ``state``
    all / standing / reversed, paid within dates."""
    found = payment_runs.list_payments(session=s, township=township, q=q, state=state, paid_from=paid_from,
                                       paid_to=paid_to, page=page, per_page=per_page)
    return {"total": found.total, "page": found.page, "per_page": found.per_page, "pages": found.pages,
            "items": _jsonable(found.rows)}


@router.get("/api/v1/payments/{voucher_no}", tags=["payments"], summary="One payment by its voucher")
def api_voucher(s: ReadSession, who: Annotated[Principal, Depends(require(*READERS))],
                voucher_no: str) -> dict[str, Any]:
    return dict(_jsonable(payment_runs.get_voucher(session=s, voucher_no=voucher_no)))


@router.post("/api/v1/payments/{voucher_no}/reversal", tags=["payments"], status_code=201,
             summary="Recover (追回) one payment")
def api_reverse(request: Request, voucher_no: str, who: Annotated[Principal, Depends(require(*PAYERS))],
                body: ReversalBody) -> Response:
    """An audited recovery of the payment of ``voucher_no`` (the payment row stays; the envelopes follow)."""
    try:
        with writing(request) as s:
            rev = payment_runs.reverse_voucher(session=s, voucher_no=voucher_no, actor=who.actor,
                                               why=body.why.strip(), on=body.on)
            out = {"voucher_no": rev.voucher_no, "payment_voucher_no": voucher_no, "reversed_on": rev.reversed_on,
                   "central_cny": rev.central_cny, "local_cny": rev.local_cny, "total_cny": rev.total_cny,
                   "actor": rev.actor, "why": rev.why}
    except InputError as exc:
        return _input_422(exc)
    except Conflict as exc:
        return JSONResponse({"detail": str(exc)}, status_code=409)
    return JSONResponse(_jsonable(out), status_code=201)
