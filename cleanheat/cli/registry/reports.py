"""``cleanheat status`` and ``cleanheat report`` (monthly report, laggards, the 附件1 plan)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cleanheat.cli import render
from cleanheat.cli.io import write_json
from cleanheat.cli.registry.common import (
    ACTOR,
    DB_URL,
    JSON_OUT,
    LABELS,
    LATE,
    XLSX_OUT,
    method_name,
    parse_date,
    session_scope,
    show,
    submission,
    write_sheets_xlsx,
)

if TYPE_CHECKING:
    from rich.console import Console


report_app = typer.Typer(help="报表 Monthly township report (月报表), late filers and the plan table (附件1).",
                         no_args_is_help=True)


SOURCES = {"central": "中央资金 central", "county": "地方资金 county", "household": "农户自筹 household"}
"""Fund envelopes by source, named as the plan names them (盐政办发〔2022〕8号 二(一))."""

ENVELOPE_KEYS = ["source", "cap_cny", "paid_cny", "committed_cny", "left_cny", "left_after_commitments_cny"]
ENVELOPE_LABELS = {"source": "资金来源 source", "cap_cny": "额度 cap", "paid_cny": "已支付 paid",
                   "committed_cny": "已承诺 committed", "left_cny": "余额 left",
                   "left_after_commitments_cny": "扣除承诺后余额 left after commitments"}
TOWNSHIP_KEYS = ["township", "year", "target", "installations", "accepted", "paid", "central_paid_cny",
                 "local_paid_cny"]
TOWNSHIP_LABELS = {**LABELS, "installations": "安装 installed"}
HEADLINE_KEYS = ("households", "installations", "accepted", "paid", "central_paid_cny", "local_paid_cny",
                 "total_paid_cny")


def _status_tables(st: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any] | None]:
    envelopes = [{"source": SOURCES.get(source, source), **e} for source, e in st["envelopes"].items()]
    rows = st["by_township_year"]
    totals = None
    if rows:
        totals = {"township": "合计 total", "target": sum(r["target"] or 0 for r in rows),
                  **{k: sum(r[k] for r in rows) for k in TOWNSHIP_KEYS[3:]}}
    return envelopes, rows, totals


def _print_status(st: dict[str, Any]) -> None:
    console = render.console()
    if not st["households"]:
        console.print("[yellow]项目中还没有农户 the programme has no households yet.[/] 开始 To start: "
                      "`cleanheat ledger template 台账.xlsx`, fill it in, then `cleanheat ledger import 台账.xlsx "
                      "--actor NAME`; or try the synthetic programme with `cleanheat demo load`.")
    console.print(render.kv_table("清洁取暖项目进度 programme status", [(k, st[k]) for k in HEADLINE_KEYS if k in st],
                                  LABELS))
    envelopes, rows, totals = _status_tables(st)
    console.print(render.records_table("资金额度 fund envelopes (CNY)", envelopes, ENVELOPE_LABELS,
                                       keys=ENVELOPE_KEYS,
                                       style=lambda e: LATE if e["left_after_commitments_cny"] < 0 else None))
    console.print(render.records_table("分乡镇分年度 by township and year", rows, TOWNSHIP_LABELS, keys=TOWNSHIP_KEYS,
                                       totals=totals, keep=2))
    for w in st["warnings"]:
        console.print(f"[{LATE}]警告 warning:[/] {w}")


def status(xlsx: Path | None = XLSX_OUT, json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Programme status: households, installations, accepted, paid, money against each envelope, per township
    and year."""
    from cleanheat.registry.services.reports import status as compute

    with session_scope(database_url, read_only=True) as session:
        st = compute(session=session)
    if xlsx is not None:
        envelopes, rows, totals = _status_tables(st)
        headline = [[LABELS.get(k, k), st[k]] for k in HEADLINE_KEYS]
        body = [[r.get(k) for k in TOWNSHIP_KEYS] for r in rows]
        if totals:
            body.append([totals.get(k) for k in TOWNSHIP_KEYS])
        write_sheets_xlsx(xlsx, {
            "项目进度 status": (["项目 item", "值 value"], headline),
            "资金额度 envelopes": ([ENVELOPE_LABELS[k] for k in ENVELOPE_KEYS],
                                  [[e[k] for k in ENVELOPE_KEYS] for e in envelopes]),
            "分乡镇分年度 by township": ([TOWNSHIP_LABELS.get(k, k) for k in TOWNSHIP_KEYS], body),
        }, plain={"分乡镇分年度 by township": {1}})
    if json_out:
        write_json(st)
    else:
        _print_status(st)


@report_app.command("monthly")
def report_monthly(township: str = typer.Option(..., "--township", metavar="NAME",
                                                help="乡镇 township, e.g. 花马池镇."),
                   month: str = typer.Option(..., "--month", metavar="YYYY-MM", help="月份 month, e.g. 2022-11."),
                   xlsx: Path | None = typer.Option(None, "--xlsx", metavar="FILE.xlsx",
                                                    help="Also write the report (附件1 layout) to this Excel file."),
                   json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """A township's monthly progress report (月报表): progress against the year's target by method,
    acceptances, payments, complaints; due by the 25th (盐政办发〔2022〕8号 八(三)), late ones flagged."""
    from cleanheat.registry.services.reports import monthly

    with session_scope(database_url, read_only=True) as session:
        rep = monthly(session=session, township=township, month=month)
    if xlsx is not None:
        from cleanheat.registry.services.report_workbooks import write_monthly_xlsx

        write_monthly_xlsx(xlsx, rep)
    show(rep, json_out, lambda c: _draw_monthly(c, rep))


def _draw_monthly(c: Console, rep: dict[str, Any]) -> None:
    head = {k: rep.get(k) for k in ("township", "month", "due_on", "submitted_on")}
    head["submission"] = submission(str(rep.get("submission")))
    head["year_target_households"] = rep.get("year_target_households")
    progress = rep.get("progress")
    head["progress"] = "—" if progress is None else f"{progress:.1%}"
    c.print(render.kv_table(f"{rep['township']} {rep['month']} 清洁取暖月报表 monthly report", head, LABELS))
    keys = ["method", "installed_month", "installed_ytd", "accepted_month", "accepted_ytd"]
    rows = [{"method": method_name(m), **v} for m, v in rep["by_method"].items()]
    c.print(render.records_table("分取暖方式 by heating method", rows, LABELS, keys=keys,
                                 totals={"method": "合计 total", **{k: rep[k] for k in keys[1:]}}))
    c.print(render.kv_table("补贴与投诉 payments and complaints", {
        k: rep[k] for k in ("paid_month", "paid_month_cny", "paid_ytd", "paid_ytd_cny", "complaints_month",
                            "tickets_open_at_month_end")}, LABELS))


@report_app.command("submit")
def report_submit(township: str = typer.Option(..., "--township", metavar="NAME", help="乡镇 township, e.g. 花马池镇."),
                  month: str = typer.Option(..., "--month", metavar="YYYY-MM", help="月份 the month reported."),
                  on: str | None = typer.Option(None, "--on", metavar="YYYY-MM-DD",
                                                help="报送日期 filing date (default: today, programme time zone)."),
                  actor: str = ACTOR, json_out: bool = JSON_OUT,
                  database_url: str | None = DB_URL) -> None:
    """File a township's monthly report (figures from the ledger); after the 25th it is flagged late."""
    from cleanheat.registry.services.reports import submit_monthly

    with session_scope(database_url) as session:
        rep = submit_monthly(session=session, township=township, month=month, submitted_on=parse_date(on, "--on"),
                             actor=actor)
    show(rep, json_out, lambda c: _draw_monthly(c, rep))


@report_app.command("laggards")
def report_laggards(month: str = typer.Option(..., "--month", metavar="YYYY-MM", help="月份 the month asked about."),
                    json_out: bool = JSON_OUT,
                    database_url: str | None = DB_URL) -> None:
    """Townships whose monthly report was late or is missing (named, 盐政办发〔2022〕8号 八(三))."""
    from cleanheat.registry.services.reports import laggards

    with session_scope(database_url, read_only=True) as session:
        rows = laggards(session=session, month=month)
    shown = [{**r, "submission": submission(r["submission"])} for r in rows]

    def draw(c: Console) -> None:
        if not rows:
            c.print(f"{month} 没有迟报或未报的乡镇 every township filed its {month} report on time")
            return
        c.print(render.records_table(f"{month} 月报迟报或未报的乡镇 townships late or missing", shown, LABELS,
                                     keys=["township", "month", "due_on", "submitted_on", "submission"]))

    show(rows, json_out, draw)


@report_app.command("plan")
def report_plan(xlsx: Path | None = XLSX_OUT,
                json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """附件1: township × year, households planned vs done (accepted) and paid."""
    from cleanheat.registry.services.reports import plan

    with session_scope(database_url, read_only=True) as session:
        rows = plan(session=session)
    if xlsx is not None:
        from cleanheat.registry.services.report_workbooks import write_plan_xlsx

        write_plan_xlsx(xlsx, rows, _plan_years())
    show(rows, json_out, lambda c: _draw_plan(c, rows))


def _plan_years() -> tuple[int, ...]:
    """The plan's year columns: the programme years of the dated parameters (``yanchi.programme.open``)."""
    from cleanheat.registry.services.places import programme_years

    return programme_years()


def _draw_plan(c: Console, rows: list[dict[str, Any]]) -> None:
    """附件1's layout: one row per township, per year planned / done (accepted) / paid, then the totals."""
    cols = [render.Col("乡镇\ntownship")]
    for y in _plan_years():
        for w in ("计划\nplanned", "完成\ndone", "已补贴\npaid"):
            cols.append(render.Col(f"{y}年\n{w}", number=True))
    cols += [render.Col("合计\n计划\nplanned", number=True), render.Col("合计\n完成\ndone", number=True),
             render.Col("完成率\ndone %", number=True)]
    t = render.grid("附件1 盐池县冬季清洁取暖年度任务计划表 annual plan by township (households)", cols,
                    caption="完成 = 已验收 done = accepted; 已补贴 = paid")
    for r in rows:
        total = r["township"] == "合计"
        done_share = r["done_total"] / r["planned_total"] if r["planned_total"] else None
        t.add_row("合计" if total else r["township"],
                  *[f"{r.get(f'{w}_{y}') or 0:,}" for y in _plan_years() for w in ("planned", "done", "paid")],
                  f"{r['planned_total']:,}", f"{r['done_total']:,}",
                  "—" if done_share is None else f"{done_share:.1%}",
                  style="bold" if total else None, end_section=total)
    c.print(t)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``cleanheat`` app."""
    app.add_typer(report_app, name="report")
    app.command("status")(status)
