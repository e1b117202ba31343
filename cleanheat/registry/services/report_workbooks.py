"""The 附件1 workbooks: a township's monthly report (月报表) and the annual plan table (年度任务计划表).

One builder per workbook, called by ``cleanheat report monthly --xlsx`` / ``cleanheat report plan --xlsx``
and by the web's downloads (``/reports/{township}/{month}/xlsx``, ``/reports/plan/xlsx``), so that the CLI
and the browser hand the office the same cells in the same number formats. The figures come from
:func:`cleanheat.registry.services.reports.monthly` and :func:`~cleanheat.registry.services.reports.plan`;
the files are written by :func:`cleanheat.spreadsheets.write_workbook` (atomically, frozen header, filter,
CJK widths). Headers are Chinese first, as the plan (盐政办发〔2022〕8号 附件1) names them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cleanheat.codes import technology_label
from cleanheat.spreadsheets import Column, Sheet, write_workbook

__all__ = ["MONTHLY_LABELS", "MONTHLY_SUMMARY", "PLAN_SHEET", "SUBMISSION_NAMES", "monthly_sheet", "plan_header",
           "plan_sheet", "write_monthly_xlsx", "write_plan_xlsx"]

MONTHLY_METHOD_KEYS = ("installed_month", "installed_ytd", "accepted_month", "accepted_ytd")
"""The monthly report's columns by heating method."""
MONTHLY_SUMMARY = ("year_target_households", "progress", "paid_month", "paid_month_cny", "paid_ytd", "paid_ytd_cny",
                   "complaints_month", "tickets_open_at_month_end", "due_on", "submitted_on", "submission")
"""The monthly report's summary lines below the table, in order."""
MONTHLY_LABELS = {
    "township": "乡镇 township", "month": "月份 month", "method": "取暖方式 method",
    "installed_month": "本月安装 installed this month", "installed_ytd": "年度累计安装 installed YTD",
    "accepted_month": "本月验收 accepted this month", "accepted_ytd": "年度累计验收 accepted YTD",
    "year_target_households": "年度目标 year target", "progress": "完成率 progress",
    "paid_month": "本月补贴户数 paid this month", "paid_month_cny": "本月补贴金额 paid this month CNY",
    "paid_ytd": "年度累计补贴户数 paid YTD", "paid_ytd_cny": "年度累计补贴金额 paid YTD CNY",
    "complaints_month": "本月投诉 complaints this month",
    "tickets_open_at_month_end": "月末未结工单 tickets open at month end", "due_on": "截止日期 due",
    "submitted_on": "报送日期 submitted", "submission": "报送状态 submission", "total": "合计 total",
}
"""Chinese-first labels of the monthly workbook, by the report's keys."""
SUBMISSION_NAMES = {"on_time": "按时 on time", "late": "迟报 late", "missing": "未报 missing",
                    "pending": "未到期 not yet due", "not_due": "不需报送 no report due"}
"""A report's submission state as the workbook writes it."""
PLAN_SHEET = "附件1 年度任务计划表"
PLAN_WHAT = (("planned", "计划"), ("done", "完成"), ("paid", "已补贴"))
"""The plan's three figures per year: planned, done (accepted) and paid households."""


def _cell(value: Any) -> Any:
    """A value as a workbook cell: numbers and dates stay, ISO dates become dates, yes/no becomes 是/否."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str) and len(value) == 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def monthly_sheet(rep: dict[str, Any]) -> Sheet:
    """The monthly report as one sheet: a title line, township and month, the table by method (with its
    total), then the summary lines (:data:`MONTHLY_SUMMARY`; the progress cell formatted ``0.0%``).

    Parameters
    ----------
    rep : dict
        :func:`cleanheat.registry.services.reports.monthly`'s document.
    """
    lab = MONTHLY_LABELS
    rows: list[list[Any]] = [
        [lab["township"], rep["township"]], [lab["month"], rep["month"]], [],
        [lab["method"], *[lab[k] for k in MONTHLY_METHOD_KEYS]],
        *[[technology_label(m), *[v[k] for k in MONTHLY_METHOD_KEYS]] for m, v in rep["by_method"].items()],
        [lab["total"], *[rep[k] for k in MONTHLY_METHOD_KEYS]], [],
    ]
    first_summary = len(rows) + 2  # spreadsheet row of the first summary line (the title is row 1)
    for k in MONTHLY_SUMMARY:
        value = rep.get(k)
        if k == "submission":
            value = SUBMISSION_NAMES.get(str(value), value)
        rows.append([lab[k], value])
    progress_row = first_summary + MONTHLY_SUMMARY.index("progress")
    title = f"盐池县冬季清洁取暖 {rep['township']} {rep['month']} 月报表 monthly report"
    return Sheet(f"{rep['township']}{rep['month']}月报"[:31], [Column(title, "auto")],
                 [[_cell(v) for v in r] for r in rows], cell_formats={(progress_row, 2): "0.0%"})


def plan_header(years: Sequence[int]) -> list[str]:
    """The plan table's header: township, then per year planned / done / paid, then the totals and the share."""
    return ["乡镇 township", *[f"{y}年{w}" for y in years for _, w in PLAN_WHAT], "计划合计", "完成合计", "完成率"]


def plan_sheet(rows: list[dict[str, Any]], years: Sequence[int] | None = None) -> Sheet:
    """附件1 as one sheet: a row per township (and the 合计 row), the share done as ``0.0%``.

    Parameters
    ----------
    rows : list of dict
        :func:`cleanheat.registry.services.reports.plan`'s rows.
    years : sequence of int, optional
        The year columns; default the programme years of the dated parameters
        (:func:`cleanheat.registry.services.places.programme_years`).
    """
    if years is None:
        from cleanheat.registry.services.places import programme_years

        years = programme_years()
    header = plan_header(years)
    keys = [f"{what}_{y}" for y in years for what, _ in PLAN_WHAT]
    body = [[r["township"], *[r[k] for k in keys], r["planned_total"], r["done_total"],
             r["done_total"] / r["planned_total"] if r["planned_total"] else None] for r in rows]
    share = len(header) - 1
    cols = [Column(h, "percent" if k == share else "auto") for k, h in enumerate(header)]
    return Sheet(PLAN_SHEET, cols, [[_cell(v) for v in r] for r in body])


def write_monthly_xlsx(path: Path, rep: dict[str, Any]) -> None:
    """Write :func:`monthly_sheet` of ``rep`` to ``path`` (``.xlsx``).

    Raises
    ------
    InputError
        ``path`` is a folder, does not end in ``.xlsx``, or cannot be written (an old file is kept).
    """
    write_workbook(path, [monthly_sheet(rep)])


def write_plan_xlsx(path: Path, rows: list[dict[str, Any]], years: Sequence[int] | None = None) -> None:
    """Write :func:`plan_sheet` of ``rows`` to ``path`` (``.xlsx``).

    Raises
    ------
    InputError
        ``path`` is a folder, does not end in ``.xlsx``, or cannot be written (an old file is kept).
    """
    write_workbook(path, [plan_sheet(rows, years)])
