"""The 附件1 workbooks of :mod:`cleanheat.registry.services.report_workbooks` (the CLI's and the web's one
builder): layout, cell types and number formats, read back with openpyxl."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from cleanheat.errors import InputError
from cleanheat.registry.services import report_workbooks as rw

REP = {
    "township": "花马池镇", "month": "2022-11",
    "by_method": {"ashp_water": {"installed_month": 3, "installed_ytd": 1200, "accepted_month": 2,
                                 "accepted_ytd": 1100},
                  "gshp": {"installed_month": 0, "installed_ytd": 40, "accepted_month": 1, "accepted_ytd": 38}},
    "installed_month": 3, "installed_ytd": 1240, "accepted_month": 3, "accepted_ytd": 1138,
    "year_target_households": 1500, "progress": 1138 / 1500, "paid_month": 90, "paid_month_cny": 1_215_000,
    "paid_ytd": 1000, "paid_ytd_cny": 13_500_000, "complaints_month": 4, "tickets_open_at_month_end": 7,
    "due_on": "2022-12-25", "submitted_on": None, "submission": "pending",
}
"""A monthly report document as :func:`cleanheat.registry.services.reports.monthly` returns it (figures made up)."""


def _rows(path: Path) -> list[list[tuple[object, str]]]:
    ws = openpyxl.load_workbook(path).active
    return [[(c.value, c.number_format) for c in row] for row in ws.iter_rows()]


def test_the_monthly_workbook_has_the_title_the_table_and_the_summary(tmp_path: Path) -> None:
    """Title on row 1, township and month, a row per method with the plan's Chinese name, the total, then
    the summary: the progress cell is the fraction 1138/1500 shown as 0.0% (75.9%), the due day a date,
    the submission state in Chinese."""
    path = tmp_path / "m.xlsx"
    rw.write_monthly_xlsx(path, REP)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["花马池镇2022-11月报"]
    rows = _rows(path)
    values = [[v for v, _ in r] for r in rows]
    assert values[0][0] == "盐池县冬季清洁取暖 花马池镇 2022-11 月报表 monthly report"
    assert values[1][:2] == ["乡镇 township", "花马池镇"] and values[2][:2] == ["月份 month", "2022-11"]
    methods = {r[0]: r[1:5] for r in values if r and isinstance(r[0], str) and r[0].endswith(("ashp_water", "gshp"))}
    assert methods == {"空气源热泵热水机 ashp_water": [3, 1200, 2, 1100], "地源热泵 gshp": [0, 40, 1, 38]}
    assert next(r for r in values if r[0] == "合计 total")[1:5] == [3, 1240, 3, 1138]
    summary = {r[0][0]: r[1] for r in rows if r and r[0][0] in {rw.MONTHLY_LABELS[k] for k in rw.MONTHLY_SUMMARY}}
    assert summary["完成率 progress"] == (pytest.approx(1138 / 1500), "0.0%")
    assert summary["截止日期 due"][0] == dt.datetime(2022, 12, 25)  # a date cell, not the text
    assert summary["报送状态 submission"][0] == "未到期 not yet due"
    assert summary["本月补贴金额 paid this month CNY"] == (1_215_000, "#,##0")


def test_the_plan_workbook_has_three_figures_per_year_and_the_share_done(tmp_path: Path) -> None:
    """附件1: township, (planned, done, paid) per year, the totals and the share done 90/120 = 75% as 0.0%;
    a township with nothing planned has no share (an empty cell, not a division by zero)."""
    rows = [{"township": "青山乡", "planned_2022": 100, "done_2022": 80, "paid_2022": 70, "planned_2023": 20,
             "done_2023": 10, "paid_2023": 5, "planned_total": 120, "done_total": 90},
            {"township": "合计", "planned_2022": 0, "done_2022": 0, "paid_2022": 0, "planned_2023": 0,
             "done_2023": 0, "paid_2023": 0, "planned_total": 0, "done_total": 0}]
    path = tmp_path / "p.xlsx"
    rw.write_plan_xlsx(path, rows, (2022, 2023))
    assert openpyxl.load_workbook(path).sheetnames == [rw.PLAN_SHEET]
    got = _rows(path)
    assert [v for v, _ in got[0]] == rw.plan_header((2022, 2023)) == [
        "乡镇 township", "2022年计划", "2022年完成", "2022年已补贴", "2023年计划", "2023年完成", "2023年已补贴",
        "计划合计", "完成合计", "完成率"]
    assert [v for v, _ in got[1][:-1]] == ["青山乡", 100, 80, 70, 20, 10, 5, 120, 90]
    assert got[1][-1] == (pytest.approx(0.75), "0.0%")
    assert got[2][-1][0] is None


def test_a_workbook_is_written_to_an_xlsx_name_only(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        rw.write_monthly_xlsx(tmp_path / "m.csv", REP)
