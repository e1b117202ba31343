"""``cleanheat status`` and ``cleanheat report`` (monthly report, laggards, the 附件1 plan)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cleanheat.cli import render
from cleanheat.cli.io import write_json
from cleanheat.cli.registry.common import (
    DB_URL,
    JSON_OUT,
    LABELS,
    LATE,
    method_name,
    parse_date,
    session_scope,
    show,
    submission,
    write_xlsx_sheet,
)

if TYPE_CHECKING:
    from rich.console import Console


report_app = typer.Typer(help="Monthly township report and the plan table.", no_args_is_help=True)


SOURCES = {"central": "中央 central", "county": "县级 county", "household": "农户自筹 household"}


def _print_status(st: dict[str, Any]) -> None:
    from rich.table import Table

    console = render.console()
    console.print(render.kv_table("清洁取暖项目进度 programme status", [
        (k, st[k]) for k in ("households", "installations", "accepted", "paid", "central_paid_cny", "local_paid_cny",
                             "total_paid_cny") if k in st], LABELS))
    env = Table(title="资金额度 fund envelopes (CNY)", title_justify="left")
    env.add_column("资金来源 source")
    for col in ("额度 cap", "已支付 paid", "已承诺 committed", "余额 left", "扣除承诺后余额 left after commitments"):
        env.add_column(col, justify="right")
    keys = ("cap_cny", "paid_cny", "committed_cny", "left_cny", "left_after_commitments_cny")
    for source, e in st["envelopes"].items():
        short = e["left_after_commitments_cny"] < 0
        env.add_row(SOURCES.get(source, source), *[f"{e[k]:,}" for k in keys], style=LATE if short else None)
    console.print(env)
    t = Table(title="分乡镇分年度 by township and year", title_justify="left")
    for col in ("乡镇 township", "年度 year", "目标 target", "安装 installed", "验收 accepted", "已补贴 paid",
                "中央资金 central CNY", "地方资金 county CNY"):
        t.add_column(col, justify="left" if col.endswith("township") else "right")
    rows = st["by_township_year"]
    for r in rows:
        t.add_row(r["township"], str(r["year"]), render.fmt(r["target"]), f"{r['installations']:,}",
                  f"{r['accepted']:,}", f"{r['paid']:,}", f"{r['central_paid_cny']:,}", f"{r['local_paid_cny']:,}")
    if rows:
        t.add_row("合计 total", "", f"{sum(r['target'] or 0 for r in rows):,}",
                  *[f"{sum(r[k] for r in rows):,}" for k in ("installations", "accepted", "paid", "central_paid_cny",
                                                              "local_paid_cny")], style="bold")
    console.print(t)
    for w in st["warnings"]:
        console.print(f"[{LATE}]警告 warning:[/] {w}")


def status(json_out: bool = typer.Option(False, "--json", help="Print JSON."),
           database_url: str | None = DB_URL) -> None:
    """Programme status: households, installations, accepted, paid, money against each envelope."""
    from cleanheat.registry.services.reports import status as compute

    with session_scope(database_url, read_only=True) as session:
        st = compute(session=session)
    if json_out:
        write_json(st)
    else:
        _print_status(st)


@report_app.command("monthly")
def report_monthly(township: str = typer.Option(..., "--township", help="Township name, e.g. 花马池镇."),
                   month: str = typer.Option(..., "--month", help="YYYY-MM."),
                   xlsx: Path | None = typer.Option(None, "--xlsx", help="Also write the report to this XLSX file."),
                   json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """A township's monthly progress report (月报表): progress against the year's target by method,
    acceptances, payments, complaints; due by the 25th, late ones flagged."""
    from cleanheat.registry.services.reports import monthly

    with session_scope(database_url, read_only=True) as session:
        rep = monthly(session=session, township=township, month=month)
    if xlsx is not None:
        rows: list[list[Any]] = [[m, v["installed_month"], v["installed_ytd"], v["accepted_month"], v["accepted_ytd"]]
                                 for m, v in rep["by_method"].items()]
        rows.append(["合计", rep["installed_month"], rep["installed_ytd"], rep["accepted_month"], rep["accepted_ytd"]])
        rows.append([])
        for k in ("year_target_households", "progress", "paid_month", "paid_month_cny", "paid_ytd", "paid_ytd_cny",
                  "complaints_month", "tickets_open_at_month_end", "due_on", "submitted_on", "submission"):
            rows.append([k, rep[k]])
        write_xlsx_sheet(xlsx, f"{township}{month}",
                         ["取暖方式", "本月安装", "年度累计安装", "本月验收", "年度累计验收"], rows)
    show(rep, json_out, lambda c: _draw_monthly(c, rep))


def _draw_monthly(c: Console, rep: dict[str, Any]) -> None:
    from rich.table import Table

    head = {k: rep.get(k) for k in ("township", "month", "due_on", "submitted_on")}
    head["submission"] = submission(str(rep.get("submission")))
    head["year_target_households"] = rep.get("year_target_households")
    progress = rep.get("progress")
    head["progress"] = "—" if progress is None else f"{progress:.1%}"
    c.print(render.kv_table(f"{rep['township']} {rep['month']} 清洁取暖月报表 monthly report", head, LABELS))
    t = Table(title="分取暖方式 by heating method", title_justify="left")
    t.add_column("取暖方式 method")
    for col in ("本月安装 installed this month", "年度累计安装 installed YTD", "本月验收 accepted this month",
                "年度累计验收 accepted YTD"):
        t.add_column(col, justify="right")
    keys = ("installed_month", "installed_ytd", "accepted_month", "accepted_ytd")
    for m, v in rep["by_method"].items():
        t.add_row(method_name(m), *[f"{v[k]:,}" for k in keys])
    t.add_row("合计 total", *[f"{rep[k]:,}" for k in keys], style="bold")
    c.print(t)
    c.print(render.kv_table("补贴与投诉 payments and complaints", {
        k: rep[k] for k in ("paid_month", "paid_month_cny", "paid_ytd", "paid_ytd_cny", "complaints_month",
                            "tickets_open_at_month_end")}, LABELS))


@report_app.command("submit")
def report_submit(township: str = typer.Option(..., "--township"), month: str = typer.Option(..., "--month"),
                  on: str | None = typer.Option(None, "--on", help="Filing date (default today)."),
                  actor: str = typer.Option(..., "--actor"), json_out: bool = JSON_OUT,
                  database_url: str | None = DB_URL) -> None:
    """File a township's monthly report (figures from the ledger); after the 25th it is flagged late."""
    from cleanheat.registry.services.reports import submit_monthly

    with session_scope(database_url) as session:
        rep = submit_monthly(session=session, township=township, month=month, submitted_on=parse_date(on, "--on"),
                             actor=actor)
    show(rep, json_out, lambda c: _draw_monthly(c, rep))


@report_app.command("laggards")
def report_laggards(month: str = typer.Option(..., "--month"), json_out: bool = JSON_OUT,
                    database_url: str | None = DB_URL) -> None:
    """Townships whose monthly report was late or is missing (named, 盐政办发〔2022〕8号 八(三))."""
    from cleanheat.registry.services.reports import laggards

    with session_scope(database_url, read_only=True) as session:
        rows = laggards(session=session, month=month)
    shown = [{**r, "submission": submission(r["submission"])} for r in rows]
    show(rows, json_out, lambda c: c.print(render.records_table(
        f"{month} 月报迟报或未报的乡镇 townships late or missing", shown, LABELS,
        keys=["township", "month", "due_on", "submitted_on", "submission"])))


@report_app.command("plan")
def report_plan(xlsx: Path | None = typer.Option(None, "--xlsx", help="Also write the table to this XLSX file."),
                json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """附件1: township × year, households planned vs done (accepted) and paid."""
    from cleanheat.registry.services.reports import plan

    with session_scope(database_url, read_only=True) as session:
        rows = plan(session=session)
    if xlsx is not None:
        header = ["乡镇"] + [f"{y}年{w}" for y in (2021, 2022, 2023) for w in ("计划", "完成", "已补贴")] + ["计划合计",
                                                                                                   "完成合计"]
        keys = [f"{w}_{y}" for y in (2021, 2022, 2023) for w in ("planned", "done", "paid")]
        write_xlsx_sheet(xlsx, "附件1 年度任务计划表", header,
              [[r["township"], *[r[k] for k in keys], r["planned_total"], r["done_total"]] for r in rows])
    show(rows, json_out, lambda c: _draw_plan(c, rows))


PLAN_YEARS = (2021, 2022, 2023)


def _draw_plan(c: Console, rows: list[dict[str, Any]]) -> None:
    """附件1's layout: one row per township, per year planned / done (accepted) / paid, then the totals."""
    from rich.table import Table

    t = Table(title="附件1 盐池县冬季清洁取暖年度任务计划表 annual plan by township (households)", title_justify="left",
              caption="完成 = 已验收 done = accepted; 已补贴 = paid", caption_justify="left")
    t.add_column("乡镇\ntownship", no_wrap=True)
    for y in PLAN_YEARS:
        for w in ("计划\nplanned", "完成\ndone", "已补贴\npaid"):
            t.add_column(f"{y}年\n{w}", justify="right", no_wrap=True)
    t.add_column("合计\n计划\nplanned", justify="right", no_wrap=True)
    t.add_column("合计\n完成\ndone", justify="right", no_wrap=True)
    t.add_column("完成率\ndone %", justify="right", no_wrap=True)
    for r in rows:
        total = r["township"] == "合计"
        done_share = r["done_total"] / r["planned_total"] if r["planned_total"] else None
        t.add_row("合计" if total else r["township"],
                  *[f"{r.get(f'{w}_{y}') or 0:,}" for y in PLAN_YEARS for w in ("planned", "done", "paid")],
                  f"{r['planned_total']:,}", f"{r['done_total']:,}",
                  "—" if done_share is None else f"{done_share:.1%}",
                  style="bold" if total else None, end_section=total)
    c.print(t)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``cleanheat`` app."""
    app.add_typer(report_app, name="report")
    app.command("status")(status)
