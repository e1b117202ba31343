"""Funds (``/funds``): the three envelopes, commitments and payments by township and month, the fund ledger.

- ``GET /funds``: envelopes (cap, paid, outstanding commitments, what is left; the warnings of
  :func:`cleanheat.registry.services.payments.envelope_warnings`), paid and committed per township,
  money paid per month, and the first page of the fund ledger;
- ``GET /funds/ledger``: the fund ledger, paged in the database and filtered by envelope, kind,
  township and booking dates (a whole page, or under HTMX the table alone);
- ``GET /funds/ledger.xlsx``: the filtered ledger as a workbook;
- ``GET /api/v1/funds`` and ``GET /api/v1/funds/ledger``: the same as JSON.

Officers, administrators and auditors read them (nobody writes here: money moves only through
payments and reversals); a clerk, an inspector and an enterprise get 403.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from cleanheat.clock import today as programme_today
from cleanheat.errors import InputError
from cleanheat.registry.services import dashboard_view
from cleanheat.registry.services.users import Principal
from cleanheat.spreadsheets import Column, Sheet, write_workbook
from cleanheat.web.dashboard import ENVELOPE_LABELS, cache_of, envelope_chart, wan
from cleanheat.web.deps import ReadSession, language, render, require
from cleanheat.web.i18n import translations
from cleanheat.web.nav import N_

__all__ = ["FUNDS_ROLES", "KIND_LABELS", "LedgerFilter", "ledger_filter", "monthly_chart", "router"]

router = APIRouter()

FUNDS_ROLES = ("admin", "officer", "auditor")
"""Roles that read the funds pages."""
KIND_LABELS = {"commit": N_("Commitment"), "pay": N_("Payment"), "recover": N_("Recovery")}
"""Kinds of fund-ledger entries as the page names them (承诺, 发放, 追回)."""
KIND_NAMES_ZH = {"commit": "承诺", "pay": "发放", "recover": "追回"}
ENVELOPE_NAMES_ZH = {"central": "中央资金", "county": "地方资金", "household": "农户自筹"}
PER_PAGE = 50
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_T_PAID = N_("Paid")
_T_WAN_CNY = N_("10,000 CNY")

Reader = Annotated[Principal, Depends(require(*FUNDS_ROLES))]


class LedgerFilter:
    """The fund ledger's filters as the form and the URL carry them (an empty field: no filter)."""

    def __init__(self, envelope: str | None = None, kind: str | None = None, township: str | None = None,
                 date_from: dt.date | None = None, date_to: dt.date | None = None) -> None:
        self.envelope = envelope
        self.kind = kind
        self.township = township
        self.date_from = date_from
        self.date_to = date_to

    def service_args(self) -> dict[str, Any]:
        return {"envelope": self.envelope, "kind": self.kind, "township": self.township,
                "date_from": self.date_from, "date_to": self.date_to}

    def query(self) -> str:
        """The filters as a query string (without the page), empty fields left out."""
        pairs = {"envelope": self.envelope, "kind": self.kind, "township": self.township,
                 "date_from": self.date_from.isoformat() if self.date_from else None,
                 "date_to": self.date_to.isoformat() if self.date_to else None}
        return urlencode({k: v for k, v in pairs.items() if v})


def _date(value: str | None, field: str) -> dt.date | None:
    if value is None or not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"expected a date YYYY-MM-DD, got {value!r}", field=field) from None


def _blank(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def ledger_filter(envelope: str | None = None, kind: str | None = None, township: str | None = None,
                  date_from: str | None = None, date_to: str | None = None) -> LedgerFilter:
    """The filters of a ledger request (query parameters ``envelope``, ``kind``, ``township``,
    ``date_from``, ``date_to``; empty ones ignored). A bad date is an InputError (422) naming the field."""
    return LedgerFilter(envelope=_blank(envelope), kind=_blank(kind), township=_blank(township),
                        date_from=_date(date_from, "date_from"), date_to=_date(date_to, "date_to"))


Filters = Annotated[LedgerFilter, Depends(ledger_filter)]


def monthly_chart(by_month: list[dict[str, Any]], lang: str) -> dict[str, Any]:
    """Money paid out per month (payments less recoveries), central and county stacked [万元]."""
    t = translations(lang).gettext
    months = [r["month"] for r in by_month]
    return {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}}, "legend": {"top": 0},
        "grid": {"left": 8, "right": 8, "top": 56, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": months},
        "yAxis": {"type": "value", "name": t(_T_WAN_CNY), "nameTextStyle": {"align": "left"}},
        "series": [{"name": t(ENVELOPE_LABELS[s]), "type": "bar", "stack": t(_T_PAID),
                    "data": [wan(r["paid_cny"].get(s, 0)) for r in by_month]} for s in ("central", "county")],
    }


def _figures(request: Request, s: ReadSession) -> dict[str, Any]:
    return cache_of(request).get(s, ("funds",), lambda: dashboard_view.funds(session=s))


def _ledger_context(s: ReadSession, f: LedgerFilter, page: int) -> dict[str, Any]:
    found = dashboard_view.fund_ledger_page(session=s, page=page, per_page=PER_PAGE, **f.service_args())
    q = f.query()
    return {"ledger": found, "filters": f, "query": q, "page_url": f"/funds/ledger?{q + '&' if q else ''}",
            "townships": dashboard_view.township_names(session=s), "kind_labels": KIND_LABELS,
            "envelope_labels": ENVELOPE_LABELS, "kinds": dashboard_view.LEDGER_KINDS}


@router.get("/funds", include_in_schema=False)
def funds_page(request: Request, s: ReadSession, who: Reader, f: Filters, page: int = 1) -> Response:
    fig = _figures(request, s)
    lang = language(request)
    return render(request, "funds/funds.html", {
        "active": "/funds", "fig": fig, "envelope_chart": envelope_chart(fig["envelopes"], lang),
        "monthly_chart": monthly_chart(fig["by_month"], lang), **_ledger_context(s, f, page)})


@router.get("/funds/ledger", include_in_schema=False)
def ledger_page(request: Request, s: ReadSession, who: Reader, f: Filters, page: int = 1) -> Response:
    ctx = {"active": "/funds", **_ledger_context(s, f, page)}
    if request.headers.get("hx-request") == "true":
        return render(request, "funds/_ledger.html", ctx)
    return render(request, "funds/ledger.html", ctx)


def _ledger_sheet(rows: list[list[Any]], f: LedgerFilter) -> Sheet:
    cols = [Column("记账日期 booked on", "date"), Column("资金来源 envelope"), Column("类型 kind"),
            Column("金额(元) amount CNY", "money", total=True), Column("凭证号 voucher", "text"),
            Column("农户编号 household", "text"), Column("乡镇 township"), Column("安装编号 installation", "int")]
    said = [f"{k}={v}" for k, v in f.service_args().items() if v is not None]
    title = "盐池县清洁取暖资金台账 fund ledger" + (f"（{'，'.join(str(x) for x in said)}）" if said else "")
    return Sheet("资金台账 fund ledger", cols, rows, title=title, totals="合计 total")


@router.get("/funds/ledger.xlsx", include_in_schema=False)
def ledger_xlsx(request: Request, s: ReadSession, who: Reader, f: Filters) -> Response:
    """The filtered fund ledger as an Excel workbook (every matching entry, newest first, with a total)."""
    rows = [[r["booked_on"], ENVELOPE_NAMES_ZH.get(r["envelope"], r["envelope"]),
             KIND_NAMES_ZH.get(r["kind"], r["kind"]), r["amount_cny"], r["voucher_no"], r["household_id"],
             r["township"], r["installation_id"]]
            for r in dashboard_view.fund_ledger_rows(session=s, **f.service_args())]
    with tempfile.TemporaryDirectory(prefix="cleanheat-funds-") as tmp:
        path = Path(tmp) / "fund-ledger.xlsx"
        write_workbook(path, [_ledger_sheet(rows, f)])
        body = path.read_bytes()
    name = f"资金台账-{programme_today():%Y%m%d}.xlsx"
    return Response(body, media_type=XLSX_TYPE, headers={
        "Content-Disposition": f"attachment; filename=\"fund-ledger.xlsx\"; filename*=UTF-8''{quote(name)}"})


@router.get("/api/v1/funds", tags=["funds"], summary="Fund envelopes, by township and by month")
def funds_api(request: Request, s: ReadSession, who: Reader) -> dict[str, Any]:
    """Per envelope: cap, paid, outstanding commitments, left (CNY) and the warnings; paid and committed
    per township; paid per month (payments less recoveries)."""
    return _figures(request, s)


@router.get("/api/v1/funds/ledger", tags=["funds"], summary="The fund ledger, filtered and paged")
def ledger_api(s: ReadSession, who: Reader, f: Filters, page: int = 1, per_page: int = PER_PAGE) -> dict[str, Any]:
    """Fund-ledger entries, newest booking first: filters ``envelope`` (central, county, household),
    ``kind`` (commit, pay, recover), ``township``, ``date_from`` / ``date_to`` (inclusive); with the
    number of entries matching and their sum."""
    return dashboard_view.fund_ledger_page(session=s, page=page, per_page=per_page, **f.service_args())
