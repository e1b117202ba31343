"""Monthly township reports (月报表, due by the 25th, 盐政办发〔2022〕8号 八(三)) and the annual plan (附件1).

A clerk generates the own township's report of a month (figures from the ledger,
:func:`cleanheat.registry.services.reports.monthly`), reviews it and submits it: the filing date is
the programme's civil date today (never typed in, so a report cannot be back-dated); after the due
day it is marked late, as :func:`~cleanheat.registry.services.reports.submit_monthly` decides. The
officer sees every township's reports, the late and missing ones (laggards) and the plan table. The
XLSX of a report and of the plan are the CLI's (``cleanheat report monthly|plan --xlsx``): both are written
by :mod:`cleanheat.registry.services.report_workbooks`, the same cells in the same formats.

Pages: ``/reports``, ``/reports/{township}/{month}``, ``POST /reports/{township}/{month}/submit``,
``/reports/{township}/{month}/xlsx``, ``/reports/plan`` (附件1, also the fragment the reports page loads),
``/reports/plan/xlsx``. API: ``GET /api/v1/reports``,
``GET /api/v1/reports/laggards``, ``GET /api/v1/reports/{township}/{month}``,
``POST /api/v1/reports/{township}/{month}/submit``.

Roles: officer and clerk (own township only; another township is 404) generate and submit; the
administrator and the auditor read; enterprises and inspectors get 403.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from cleanheat.clock import today as programme_today
from cleanheat.errors import Conflict, InputError
from cleanheat.registry.services import report_workbooks, reports, reports_view
from cleanheat.registry.services.places import programme_years
from cleanheat.registry.services.users import Principal
from cleanheat.web.deps import ReadSession, check_township, reading, render, require, township_scope, writing
from cleanheat.web.nav import N_
from cleanheat.web.public import TECHNOLOGY_LABELS

__all__ = ["SUBMISSION_NAMES", "router"]

router = APIRouter()

READERS = ("officer", "admin", "auditor", "clerk")
WRITERS = ("officer", "clerk")
SUBMISSION_NAMES = {"on_time": N_("On time"), "late": N_("Filed late"), "missing": N_("Missing"),
                    "pending": N_("Not yet due"), "not_due": N_("No report due")}
"""Submission states as the pages name them (按时, 迟报, 未报, 未到期, 不需报送)."""
SUBMISSION_BADGES = {"on_time": "success", "late": "warning", "missing": "danger", "pending": "secondary",
                     "not_due": "light"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _base(**extra: Any) -> dict[str, Any]:
    return {"active": "/reports", "submission_names": SUBMISSION_NAMES, "submission_badges": SUBMISSION_BADGES,
            "method_labels": TECHNOLOGY_LABELS, **extra}


def _xlsx(filename: str, write: Any) -> Response:
    """A workbook written by ``write(path)`` into a temporary folder, sent as a download."""
    with tempfile.TemporaryDirectory(prefix="cleanheat-web-") as folder:
        path = Path(folder) / "report.xlsx"
        write(path)
        data = path.read_bytes()
    return Response(data, media_type=XLSX_TYPE,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})


# ----------------------------------------------------------------------------------------------- pages


@router.get("/reports", include_in_schema=False)
def report_index(request: Request, s: ReadSession, who: Annotated[Principal, Depends(require(*READERS))],
                 month: str | None = None, township: str | None = None) -> Response:
    scope = township_scope(who)
    if scope is not None:
        check_township(who, township or scope)
        book = reports_view.report_book(session=s, township=scope)
        return render(request, "reports/township.html", _base(township=scope, book=book, today=programme_today()))
    months = reports_view.programme_months()
    today = programme_today()
    past = [m for m in months if (reports.due_on(m) or today) < today]
    month = month or (past[-1] if past else (months[-1] if months else None))
    book = reports_view.report_book(session=s, township=township or None)
    towns = list(dict.fromkeys(r["township"] for r in book))
    grid: dict[str, dict[str, dict[str, Any]]] = {}
    for r in book:
        grid.setdefault(r["month"], {})[r["township"]] = r
    late = reports.laggards(session=s, month=month) if month else []
    tally = {k: sum(1 for r in book if r["submission"] == k) for k in SUBMISSION_NAMES}
    return render(request, "reports/index.html", _base(
        months=months, month=month, towns=towns, grid=grid, laggards=late,
        tally=tally, township=township))


@router.get("/reports/plan", include_in_schema=False)
def plan_table(request: Request, s: ReadSession,
               who: Annotated[Principal, Depends(require("officer", "admin", "auditor"))]) -> Response:
    """The 附件1 table (a fragment the reports page loads after it is shown: it reads the whole ledger)."""
    page = "reports/_plan.html" if request.headers.get("hx-request") == "true" else "reports/plan.html"
    return render(request, page, _base(plan=reports.plan(session=s), years=programme_years()))


@router.get("/reports/plan/xlsx", include_in_schema=False)
def plan_xlsx(request: Request, s: ReadSession,
              who: Annotated[Principal, Depends(require("officer", "admin", "auditor"))]) -> Response:
    rows = reports.plan(session=s)
    years = programme_years()
    return _xlsx("附件1年度任务计划表.xlsx", lambda path: report_workbooks.write_plan_xlsx(path, rows, years))


def _report_context(request: Request, who: Principal, township: str, month: str, **extra: Any) -> dict[str, Any]:
    check_township(who, township)
    with reading(request) as s:
        rep = reports.monthly(session=s, township=township, month=month)
    can_submit = who.role in WRITERS and rep["submission"] in ("missing", "pending")
    return _base(rep=rep, township=township, month=month, can_submit=can_submit, today=programme_today(), **extra)


@router.get("/reports/{township}/{month}", include_in_schema=False)
def report_page(request: Request, township: str, month: str, who: Annotated[Principal, Depends(require(*READERS))],
                done: str | None = None) -> Response:
    return render(request, "reports/report.html", _report_context(request, who, township, month, done=done,
                                                                  error=None))


@router.post("/reports/{township}/{month}/submit", include_in_schema=False)
def report_submit(request: Request, township: str, month: str,
                  who: Annotated[Principal, Depends(require(*WRITERS))]) -> Response:
    check_township(who, township)
    try:
        with writing(request) as s:
            reports.submit_monthly(session=s, township=township, month=month, submitted_on=programme_today(),
                                   actor=who.actor)
    except (InputError, Conflict) as exc:
        status = 409 if isinstance(exc, Conflict) else 422
        return render(request, "reports/report.html", _report_context(request, who, township, month, done=None,
                                                                      error=str(exc)), status_code=status)
    return RedirectResponse(f"/reports/{quote(township)}/{quote(month)}?done=submitted", status_code=303)


@router.get("/reports/{township}/{month}/xlsx", include_in_schema=False)
def report_xlsx(request: Request, township: str, month: str,
                who: Annotated[Principal, Depends(require(*READERS))]) -> Response:
    check_township(who, township)
    with reading(request) as s:
        rep = reports.monthly(session=s, township=township, month=month)
    return _xlsx(f"{township}{month}月报表.xlsx", lambda path: report_workbooks.write_monthly_xlsx(path, rep))


# ----------------------------------------------------------------------------------------------- API


@router.get("/api/v1/reports", tags=["reports"], summary="Monthly reports: due day and submission")
def api_reports(s: ReadSession, who: Annotated[Principal, Depends(require(*READERS))], township: str | None = None,
                month: str | None = None, submission: str | None = None) -> list[dict[str, Any]]:
    """Every township's monthly report of every programme month (or the ``township`` / ``month`` /
    ``submission`` asked): ``due_on``, ``submitted_on``, ``late``, ``submission`` (``on_time``, ``late``,
    ``missing``, ``pending``). A clerk sees the own township only (another one is 404)."""
    scope = township_scope(who)
    if scope is not None:
        check_township(who, township or scope)
        township = scope
    return reports_view.report_book(session=s, township=township, month=month, submission=submission)


@router.get("/api/v1/reports/laggards", tags=["reports"], summary="Townships late or missing for a month")
def api_laggards(month: str, s: ReadSession, who: Annotated[Principal, Depends(require("officer", "admin",
                                                                                        "auditor"))]
                 ) -> list[dict[str, Any]]:
    """As ``cleanheat report laggards --month M --json``: townships whose report was late or is missing."""
    return reports.laggards(session=s, month=month)


@router.get("/api/v1/reports/{township}/{month}", tags=["reports"], summary="One monthly report")
def api_report(township: str, month: str, s: ReadSession, who: Annotated[Principal, Depends(require(*READERS))]
               ) -> dict[str, Any]:
    """A township's monthly report as ``cleanheat report monthly --json`` gives it: figures by method,
    payments, complaints, due day and submission."""
    check_township(who, township)
    return reports.monthly(session=s, township=township, month=month)


@router.post("/api/v1/reports/{township}/{month}/submit", tags=["reports"], summary="File a monthly report",
             status_code=201)
def api_submit(request: Request, township: str, month: str, who: Annotated[Principal, Depends(require(*WRITERS))]
               ) -> JSONResponse:
    """File the township's report of ``month`` today (programme date), as ``cleanheat report submit``; after
    the due day it is marked late. 409 when already filed, 422 for a month outside the programme."""
    check_township(who, township)
    with writing(request) as s:
        doc = reports.submit_monthly(session=s, township=township, month=month, submitted_on=programme_today(),
                                     actor=who.actor)
    return JSONResponse(doc, status_code=201)
