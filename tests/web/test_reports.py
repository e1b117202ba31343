"""Monthly report pages and API: a clerk's own township only, submission marks lateness as the service does,
the XLSX is the CLI's workbook cell for cell, the officer's laggards and plan, and every role's boundary."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any
from urllib.parse import quote

import openpyxl
import pytest
from sqlalchemy import delete, func, select

import cleanheat.clock
from cleanheat.cli import main
from cleanheat.registry import db
from cleanheat.registry.models import AuditEvent, MonthlyReport, Township
from cleanheat.registry.services import reports, reports_view
from tests.web.conftest import csrf_of

HAB, HMC = "惠安堡镇", "花马池镇"


def _read(path: Path, fn: Any) -> Any:
    engine = db.open_database(f"sqlite:///{path}")
    try:
        with db.session_scope(engine, read_only=True) as s:
            return fn(s)
    finally:
        engine.dispose()


def _unfile(path: Path, township: str, month: str) -> None:
    """Remove a filed report from the test's copy, so that it can be submitted again (no service withdraws one)."""
    engine = db.open_database(f"sqlite:///{path}")
    try:
        with db.session_scope(engine) as s:
            tid = s.execute(select(Township.id).where(Township.name == township)).scalar_one()
            s.execute(delete(MonthlyReport).where(MonthlyReport.township_id == tid, MonthlyReport.month == month))
    finally:
        engine.dispose()


def _filed(path: Path, township: str, month: str) -> MonthlyReport | None:
    def get(s: Any) -> Any:
        r = s.execute(select(MonthlyReport).join(Township, Township.id == MonthlyReport.township_id)
                      .where(Township.name == township, MonthlyReport.month == month)).scalar_one_or_none()
        if r is not None:
            s.expunge(r)
        return r
    return _read(path, get)


def _audit_count(path: Path) -> int:
    return int(_read(path, lambda s: s.execute(select(func.count()).select_from(AuditEvent)).scalar_one()))


def _url(township: str, month: str, tail: str = "") -> str:
    return f"/reports/{quote(township)}/{month}{tail}"


# ----------------------------------------------------------------------------------------------- reading


def test_clerk_sees_the_own_townships_reports_only(app_ro, client_for, web_demo_file):
    c = client_for(app_ro, "clerk_hab")
    page = c.get("/reports")
    assert page.status_code == 200
    book = _read(web_demo_file, lambda s: reports_view.report_book(session=s, township=HAB))
    assert len(book) == len(reports_view.programme_months()) == 31  # 2021-06 … 2023-12
    assert page.text.count("data-month=") == len(book) and HMC not in page.text
    api = c.get("/api/v1/reports").json()
    assert {r["township"] for r in api} == {HAB} and api == book
    assert c.get(_url(HAB, "2022-11")).status_code == 200
    for path in (_url(HMC, "2022-11"), _url(HMC, "2022-11", "/xlsx"), f"/api/v1/reports/{quote(HMC)}/2022-11",
                 f"/api/v1/reports?township={quote(HMC)}", f"/reports?township={quote(HMC)}"):
        assert c.get(path).status_code == 404, path


def test_report_page_and_api_show_the_service_figures(app_ro, client_for, web_demo_file):
    rep = _read(web_demo_file, lambda s: reports.monthly(session=s, township=HMC, month="2022-11"))
    c = client_for(app_ro, "officer")
    assert c.get(f"/api/v1/reports/{quote(HMC)}/2022-11").json() == rep
    page = c.get(_url(HMC, "2022-11"))
    assert page.status_code == 200
    assert f'data-total="installed_month">{rep["installed_month"]:,}<' in page.text
    assert f'data-total="accepted_month">{rep["accepted_month"]:,}<' in page.text
    assert f'data-submission="{rep["submission"]}"' in page.text
    assert 'data-testid="submit-form"' not in page.text  # filed already
    assert "清洁取暖月报表" in page.text


def test_officer_sees_every_township_and_the_laggards(app_ro, client_for, web_demo_file):
    late = _read(web_demo_file, lambda s: reports.laggards(session=s, month="2022-09"))
    assert late  # the demo has late filers that month
    c = client_for(app_ro, "officer")
    assert c.get("/api/v1/reports/laggards?month=2022-09").json() == late
    page = c.get("/reports?month=2022-09")
    assert page.status_code == 200
    table = page.text.split('data-testid="laggards"')[1].split("</table>")[0]
    assert table.count("data-township=") == len(late)
    for r in late:
        assert f'data-township="{r["township"]}"' in table
    book = c.get("/api/v1/reports").json()
    assert len({r["township"] for r in book}) == 8
    late_all = sum(1 for r in book if r["submission"] == "late")
    assert f'data-tally="late">{late_all:,}<' in page.text
    assert "附件1" in page.text and 'hx-get="/reports/plan"' in page.text
    plan = _read(web_demo_file, lambda s: reports.plan(session=s))
    table = c.get("/reports/plan", headers={"HX-Request": "true"})
    assert table.status_code == 200 and "<html" not in table.text
    assert f"<td class=\"num\">{plan[-1]['done_total']:,}</td>" in table.text  # 合计 done (accepted)


def _cells(workbook: Any) -> dict[str, list[list[tuple[Any, str]]]]:
    """Every sheet's cells as (value, number format), row by row."""
    return {ws.title: [[(c.value, c.number_format) for c in row] for row in ws.iter_rows()] for ws in workbook}


def _cli_xlsx(args: list[str], path: Path, web_demo_file: Path, capsys: Any) -> Any:
    with pytest.raises(SystemExit) as exc:
        main([*args, "--xlsx", str(path), "--json", "--database-url", f"sqlite:///{web_demo_file}"])
    assert exc.value.code == 0
    capsys.readouterr()
    return openpyxl.load_workbook(path)


def test_the_xlsx_is_the_clis_workbook(app_ro, client_for, web_demo_file, tmp_path, capsys):
    """The web's monthly report workbook and ``cleanheat report monthly --xlsx`` of the same report have the
    same sheets and the same cells in the same number formats (one builder:
    :func:`cleanheat.registry.services.report_workbooks.write_monthly_xlsx`)."""
    cli = _cli_xlsx(["report", "monthly", "--township", HMC, "--month", "2022-11"], tmp_path / "cli.xlsx",
                    web_demo_file, capsys)
    r = client_for(app_ro, "clerk_hmc").get(_url(HMC, "2022-11", "/xlsx"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    web = openpyxl.load_workbook(io.BytesIO(r.content))
    assert web.sheetnames == cli.sheetnames == [f"{HMC}2022-11月报"]
    cells = _cells(web)
    assert cells == _cells(cli)
    sheet = cells[f"{HMC}2022-11月报"]
    assert sheet[0][0][0].startswith("盐池县冬季清洁取暖 花马池镇 2022-11 月报表")
    progress = next(row for row in sheet if row[0][0] == "完成率 progress")
    assert progress[1][1] == "0.0%"


def test_the_plan_xlsx_is_the_clis_workbook(app_ro, client_for, web_demo_file, tmp_path, capsys):
    """``/reports/plan/xlsx`` and ``cleanheat report plan --xlsx`` give the same 附件1 cells and formats; its
    rows are the service's plan (townships in order, the 合计 row's planned total)."""
    cli = _cli_xlsx(["report", "plan"], tmp_path / "plan.xlsx", web_demo_file, capsys)
    r = client_for(app_ro, "auditor").get("/reports/plan/xlsx")
    assert r.status_code == 200
    web = openpyxl.load_workbook(io.BytesIO(r.content))
    assert web.sheetnames == cli.sheetnames == ["附件1 年度任务计划表"]
    assert _cells(web) == _cells(cli)
    rows = [[c.value for c in row] for row in web["附件1 年度任务计划表"].iter_rows()]
    plan = _read(web_demo_file, lambda s: reports.plan(session=s))
    body = [r for r in rows if r and r[0] in {p["township"] for p in plan}]
    assert [r[0] for r in body] == [p["township"] for p in plan]
    assert body[-1][-3] == plan[-1]["planned_total"]
    assert body[-1][-1] == pytest.approx(plan[-1]["done_total"] / plan[-1]["planned_total"])


# ----------------------------------------------------------------------------------------------- submitting


def test_a_clerk_submits_after_the_due_day_and_it_is_marked_late(app_rw, client_for, web_copy):
    _unfile(web_copy, HAB, "2023-12")
    office = client_for(app_rw, "officer").get("/reports?month=2023-12")
    assert office.status_code == 200
    lag = office.text.split('data-testid="laggards"')[1].split("</table>")[0]
    assert f'data-township="{HAB}"' in lag and 'data-submission="missing"' in lag
    c = client_for(app_rw, "clerk_hab")
    page = c.get(_url(HAB, "2023-12"))
    assert 'data-submission="missing"' in page.text and 'data-testid="submit-form"' in page.text
    token = csrf_of(page.text.split('data-testid="submit-form"')[1])  # the form's own token
    r = c.post(_url(HAB, "2023-12", "/submit"), data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    filed = _filed(web_copy, HAB, "2023-12")
    assert filed is not None
    due = reports.due_on("2023-12")
    assert due == dt.date(2023, 12, 25)
    assert filed.submitted_on == cleanheat.clock.today()
    assert filed.late is (filed.submitted_on > due) is True  # what submit_monthly decides
    e = _read(web_copy, lambda s: s.execute(select(AuditEvent.actor, AuditEvent.outcome, AuditEvent.subject)
                                            .order_by(AuditEvent.seq.desc()).limit(1)).one())
    assert tuple(e) == ("web:clerk_hab", "late", f"township/{HAB}")
    shown = c.get(r.headers["location"])
    assert 'data-submission="late"' in shown.text and "迟报" in shown.text
    again = c.post(_url(HAB, "2023-12", "/submit"), data={"csrf_token": c.csrf})
    assert again.status_code == 409 and "already filed" in again.text


def test_a_report_filed_by_the_25th_is_on_time(app_rw, client_for, web_copy, monkeypatch):
    _unfile(web_copy, HAB, "2023-11")
    c = client_for(app_rw, "clerk_hab")
    # the programme's clock on 2023-11-25 at 23:30 in Yanchi: the due day itself is on time
    monkeypatch.setattr(cleanheat.clock, "now_utc", lambda: dt.datetime(2023, 11, 25, 15, 30, tzinfo=dt.UTC))
    r = c.post(f"/api/v1/reports/{quote(HAB)}/2023-11/submit", headers={"X-CSRF-Token": c.csrf})
    assert r.status_code == 201
    doc = r.json()
    assert (doc["submitted_on"], doc["late"], doc["submission"]) == ("2023-11-25", False, "on_time")
    filed = _filed(web_copy, HAB, "2023-11")
    assert filed is not None and filed.late is False


def test_a_month_outside_the_programme_cannot_be_submitted(app_rw, client_for, web_copy):
    c = client_for(app_rw, "officer")
    before = _audit_count(web_copy)
    r = c.post(f"/api/v1/reports/{quote(HMC)}/2024-01/submit", headers={"X-CSRF-Token": c.csrf})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "month"
    assert _audit_count(web_copy) == before


@pytest.mark.parametrize("who", ["clerk_hmc", "auditor", "admin1", "ent01", "inspector"])
def test_only_the_townships_clerk_or_the_officer_submits(app_rw, client_for, web_copy, who):
    _unfile(web_copy, HAB, "2023-12")
    c = client_for(app_rw, who)
    before = _audit_count(web_copy)
    expected = 404 if who == "clerk_hmc" else 403
    assert c.post(_url(HAB, "2023-12", "/submit"), data={"csrf_token": c.csrf}).status_code == expected
    assert c.post(f"/api/v1/reports/{quote(HAB)}/2023-12/submit",
                  headers={"X-CSRF-Token": c.csrf}).status_code == expected
    assert _audit_count(web_copy) == before and _filed(web_copy, HAB, "2023-12") is None


# ----------------------------------------------------------------------------------------------- boundaries


@pytest.mark.parametrize("who", ["ent01", "inspector"])
def test_enterprises_and_inspectors_get_403(app_ro, client_for, who):
    c = client_for(app_ro, who)
    for path in ("/reports", _url(HAB, "2022-11"), _url(HAB, "2022-11", "/xlsx"), "/api/v1/reports",
                 "/reports/plan/xlsx", "/api/v1/reports/laggards?month=2022-09"):
        assert c.get(path).status_code == 403, path


def test_clerks_do_not_get_the_county_laggards_or_plan(app_ro, client_for):
    c = client_for(app_ro, "clerk_hab")
    assert c.get("/reports/plan").status_code == 403
    assert c.get("/api/v1/reports/laggards?month=2022-09").status_code == 403
    assert c.get("/reports/plan/xlsx").status_code == 403


def test_anonymous_gets_login_or_401(app_ro, client_for):
    c = client_for(app_ro)
    assert c.get("/reports", follow_redirects=False).status_code == 303
    assert c.get("/api/v1/reports").status_code == 401
    assert c.post(f"/api/v1/reports/{quote(HAB)}/2023-12/submit").status_code == 401


def test_auditor_and_admin_read_every_township(app_ro, client_for):
    for who in ("auditor", "admin1"):
        c = client_for(app_ro, who)
        assert c.get(_url(HMC, "2022-11")).status_code == 200
        assert 'data-testid="submit-form"' not in c.get(_url(HMC, "2022-11")).text
        assert len(c.get("/api/v1/reports?month=2022-11").json()) == 8
