"""Shared pieces of the registry command groups: options, labels, database sessions, output."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cleanheat.cli import render
from cleanheat.cli.io import write_json

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session


DB_URL = typer.Option(None, "--database-url", help="Database URL (default: CLEANHEAT_DATABASE_URL or the "
                      "SQLite file in the user data folder).", show_default=False)


JSON_OUT = typer.Option(False, "--json", help="Print JSON (for scripts) instead of tables.")


ACTOR = typer.Option(..., "--actor", metavar="NAME", help="Who does this (person or office), recorded in the "
                     "audit log.")


LABELS: dict[str, str] = {
    # programme and ledger
    "households": "农户 households", "installations": "安装 installations", "accepted": "验收 accepted",
    "paid": "已补贴 paid", "central_paid_cny": "中央资金 central CNY", "local_paid_cny": "地方资金 county CNY",
    "total_paid_cny": "合计 total CNY", "paid_cny": "补贴金额 paid CNY", "township": "乡镇 township",
    "townships": "乡镇 townships", "village": "村 village", "year": "年度 year", "target": "目标 target",
    "household_id": "农户编号 household", "name": "姓名 name", "id_number": "身份证号 identity no.",
    "phone": "电话 phone", "address": "地址 address", "installation_id": "安装编号 installation",
    "installation_ids": "安装编号 installations", "method": "取暖方式 method", "state": "状态 state",
    "enterprises": "企业 enterprises", "enterprise": "企业 enterprise", "tickets": "工单 tickets",
    "monthly_reports": "月报 monthly reports", "beijing_projects": "北京项目 Beijing projects", "seed": "随机种子 seed",
    "acceptance_refused_unregistered": "未登记企业拒绝验收 refused (unregistered)",
    "heated_area_m2": "供暖面积 area m²", "dwelling": "房屋类型 dwelling", "programme_year": "年度 programme year",
    "previously_subsidised": "此前已享受补贴 subsidised before", "merged_into": "已并入 merged into",
    "installed_on": "安装日期 installed on", "invoice_cny": "发票金额 invoice CNY",
    "self_install": "自行安装 self-install", "with_rooftop_pv": "屋顶光伏 rooftop PV",
    "inspectors": "验收单位 inspectors",
    "heating_effect_reached": "供暖效果达标 heating effect reached", "decision": "补贴结论 decision",
    # payments
    "total_cny": "合计 total CNY", "central_cny": "中央资金 central CNY", "local_cny": "地方资金 county CNY",
    "paid_on": "发放日期 paid on", "already_paid": "此前已补贴 already paid",
    "held_duplicates": "疑似重复暂缓 held (suspected duplicates)", "not_payable": "不予补贴 not payable",
    "voucher_no": "凭证号 voucher", "household_share_cny": "农户自筹 household share CNY", "actor": "操作人 actor",
    "suspected": "疑似重复 suspected", "reasons": "原因 reasons",
    # database
    "database_url": "数据库 database", "backend": "类型 backend", "revision": "版本 revision",
    "from_revision": "原版本 from revision", "head_revision": "最新版本 head revision",
    "up_to_date": "已是最新 up to date", "file": "文件 file", "rows": "行数 rows", "table": "表 table",
    # reports and the ledger import
    "month": "月份 month", "due_on": "截止日期 due", "submitted_on": "报送日期 submitted",
    "submission": "报送状态 submission", "late": "迟报 late", "year_target_households": "年度目标 year target",
    "progress": "完成率 progress", "paid_month": "本月补贴户数 paid this month",
    "paid_month_cny": "本月补贴金额 paid this month CNY", "paid_ytd": "年度累计补贴户数 paid YTD",
    "paid_ytd_cny": "年度累计补贴金额 paid YTD CNY", "complaints_month": "本月投诉 complaints this month",
    "tickets_open_at_month_end": "月末未结工单 tickets open at month end",
    "installed_month": "本月安装 installed this month", "installed_ytd": "年度累计安装 installed YTD",
    "accepted_month": "本月验收 accepted this month", "accepted_ytd": "年度累计验收 accepted YTD",
    "imported": "已导入 imported", "households_created": "新增农户 households created",
    "households_updated": "更新农户 households updated", "households_unchanged": "未变农户 households unchanged",
    "installations_created": "新增安装 installations created",
    "acceptances_recorded": "新增验收 acceptances recorded", "ignored_columns": "未使用的列 columns ignored",
    # enterprises, tickets, projects
    "code": "企业编号 code", "status": "状态 status", "on": "日期 on", "effective_on": "生效日期 effective",
    "why": "原因 why", "accepted_on": "验收日期 accepted on", "void": "作废 void", "kept": "保留 kept",
    "merged": "并入 merged", "distinct": "不同农户 distinct", "a": "农户 A", "b": "农户 B", "reason": "依据 reason",
    "score": "相似度 score", "ticket": "工单 ticket", "stage": "阶段 stage", "respond_by": "响应期限 respond by",
    "overdue": "超时 overdue", "kind": "类型 kind", "category": "类别 category", "hours_late": "超时小时 hours late",
    "late_by": "超时 late by", "opened_at": "受理时间 opened", "responded_at": "响应时间 responded",
    "closed_at": "关闭时间 closed", "description": "描述 description", "note": "备注 note", "at": "时间 time",
    "registered_since": "登记日期 registered since", "complaints": "投诉 complaints",
    "open_tickets": "未结工单 open tickets",
    "days_late": "超时天数 days late", "exists": "存在 exists", "hint": "提示 hint",
    "recorded": "已记录 recorded", "project_id": "项目 project", "zone": "区域 zone", "source": "热源 source",
    "support_ratio": "支持比例 support ratio",
    "eligible_investment_cny": "核定投资 eligible investment CNY", "support_cny": "支持资金 support CNY",
    "approval_steps": "审批步骤 approval steps", "obligations": "义务 obligations", "seq": "步骤 step no.",
    "step": "步骤 step", "project_status": "项目状态 project status", "by_year": "目标年份 by year",
    "target_m2": "目标面积 target m²", "recorded_m2": "已记录面积 recorded m²", "eligible": "符合条件 eligible",
    # audit
    "sequence": "序号 seq", "action": "事件 action", "subject": "对象 resource", "outcome": "结果 outcome",
    "data": "数据 data",
}
"""Chinese-first bilingual headers of the tables, by JSON key."""


LATE = "bold red"


MISSING = "bold red"


DECISION_NAMES = {"payable": "可补贴 payable", "ineligible": "不予补贴 ineligible",
                  "pending_acceptance": "待验收 pending acceptance"}
"""The rules engine's status of a Yanchi household, Chinese first."""


DWELLING_NAMES = {"brick": "砖房 brick", "cave": "窑洞 cave", "other": "其他 other"}


STATUS_NAMES = {"submitted": "已申请 submitted", "reviewed": "已评审 reviewed", "registered": "已登记 registered",
                "rejected": "未通过 rejected", "suspended": "暂停 suspended", "revoked": "已撤销 revoked"}


def show(obj: Any, json_out: bool, draw: Callable[[Console], None], *, pretty: bool = False) -> None:
    """``--json``: the object as JSON (the scripts' contract); otherwise ``draw`` it on the console."""
    if json_out:
        write_json(obj, pretty=pretty)
    else:
        draw(render.console())


def kv(obj: dict[str, Any], json_out: bool, title: str, *, keys: list[str] | None = None,
       pretty: bool = False, shown: dict[str, Any] | None = None, labels: dict[str, str] | None = None) -> None:
    """A flat JSON object, or a two-column table of its fields (``shown``: the values as the table shows them)."""
    table = obj if shown is None else shown
    table = table if keys is None else {k: table[k] for k in keys}
    show(obj, json_out, lambda c: c.print(render.kv_table(title, table, labels or LABELS)), pretty=pretty)


def records(rows: list[dict[str, Any]], json_out: bool, title: str, *, keys: list[str] | None = None,
            style: Callable[[dict[str, Any]], str | None] | None = None, shown: list[dict[str, Any]] | None = None,
            labels: dict[str, str] | None = None, xlsx: Path | None = None, sheet: str | None = None) -> None:
    """A JSON list of objects, or a table of them; with ``xlsx`` also that table as a workbook."""
    table = rows if shown is None else shown
    if xlsx is not None:
        write_table_xlsx(xlsx, sheet or title, table, list(keys or (table[0].keys() if table else [])),
                         labels=labels)
    show(rows, json_out, lambda c: c.print(render.records_table(title, table, labels or LABELS, keys=keys,
                                                                style=style)))


def submission(value: str) -> str:
    return {"on_time": "[green]按时 on time[/]", "late": f"[{LATE}]迟报 late[/]",
            "missing": f"[{MISSING}]未报 missing[/]", "pending": "未到期 not yet due",
            "not_due": "不需报送 no report due (outside the programme)"}.get(value, value)


def tables_table(title: str, tables: dict[str, int]) -> Any:
    t = render.grid(title, [LABELS["table"], render.Col(LABELS["rows"], number=True)])
    for name, n in sorted(tables.items()):
        t.add_row(name, f"{n:,}")
    if t.rows:
        t.rows[-1].end_section = True
    t.add_row("合计 total", f"{sum(tables.values()):,}", style="bold")
    return t


def database_url_of(database_url: str | None) -> str:
    if database_url:
        return database_url
    from cleanheat.config import Settings

    return Settings().database_url


@contextmanager
def engine_scope(database_url: str | None, *, create: bool = False, check: bool = True) -> Iterator[Engine]:
    """An engine on the registry (:func:`cleanheat.registry.db.open_database`).

    Only ``db upgrade``, ``db restore`` and ``demo load`` pass ``create`` (they may make a new
    database); no command migrates on the way (``db upgrade`` migrates on purpose), so every other
    command on a mistyped path or an older schema stops with the hint to run ``cleanheat db upgrade``.
    ``check=False`` opens a database at any revision (``db info``, ``db backup``, ``db upgrade``).
    """
    from cleanheat.registry import db

    engine = db.open_database(database_url_of(database_url), create=create, check=check)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def session_scope(database_url: str | None, *, read_only: bool = False) -> Iterator[Session]:
    """One transaction on the registry; ``read_only`` for commands that only read (they never write,
    and on SQLite they do not queue behind a writer to start)."""
    from cleanheat.registry import db

    with engine_scope(database_url) as engine, db.session_scope(engine, read_only=read_only) as session:
        yield session


def err(message: str) -> None:
    print(message, file=sys.stderr)


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """Turn a failure to write ``path`` into an InputError (exit 2, no traceback)."""
    from cleanheat.errors import InputError

    try:
        yield
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}", field="file") from None


def xlsx_value(value: Any, key: str = "") -> Any:
    """A value as a workbook cell: numbers stay numbers, ISO dates become dates, yes/no and lists become text."""
    import datetime as dt

    if value is None or (isinstance(value, int | float | dt.date) and not isinstance(value, bool)):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):
        if len(value) == 10 and value[4:5] == "-" and value[7:8] == "-":
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                return value
        return value
    return render.fmt(value, key)


def write_sheets_xlsx(path: Path, sheets: dict[str, tuple[list[str], list[list[Any]]]], *,
                      percent: dict[str, set[int]] | None = None,
                      plain: dict[str, set[int]] | None = None,
                      cells: dict[str, dict[tuple[int, int], str]] | None = None) -> None:
    """THE one place the registry commands write a workbook: sheets of (header row, rows).

    Written by the package's spreadsheet writer (:func:`cleanheat.spreadsheets.write_workbook`:
    atomically, frozen header, filter, CJK widths): whole numbers get a thousands format ``#,##0``
    (except the 0-based column indexes in ``plain``, e.g. years and ids), the columns in ``percent``
    ``0.0%`` and dates ``yyyy-mm-dd``; ``cells`` sets the number format of single cells, by sheet and
    (row, column), both 1-based.
    """
    from cleanheat.errors import InputError
    from cleanheat.spreadsheets import Column, Sheet, write_workbook

    if path.suffix.lower() != ".xlsx":
        raise InputError(f"{path.name}: an Excel workbook is written; give the file a .xlsx name", field="--xlsx")
    out = []
    for name, (header, rows) in sheets.items():
        pct = (percent or {}).get(name[:31], set())
        keep = (plain or {}).get(name[:31], set())
        cols = [Column(str(h), "percent" if k in pct else "general" if k in keep else "auto")
                for k, h in enumerate(header)]
        out.append(Sheet(name[:31], cols, [[xlsx_value(v) for v in r] for r in rows],
                         cell_formats=(cells or {}).get(name[:31], {})))
    write_workbook(path, out)


def write_table_xlsx(path: Path, sheet: str, rows: list[dict[str, Any]], keys: list[str], *,
                     labels: dict[str, str] | None = None, totals: dict[str, Any] | None = None,
                     percent: tuple[str, ...] = ()) -> None:
    """A table of records as one sheet: Chinese-first labels as headers, one row per record, numbers as numbers.

    ``totals`` is a last row (e.g. ``{"township": "合计 total", "paid": 123}``); ``percent`` names
    columns holding fractions (0.805 shown 80.5%).
    """
    labels = {**LABELS, **(labels or {})}
    header = [labels.get(k, k) for k in keys]
    body = [[r.get(k) for k in keys] for r in rows]
    if totals is not None:
        body.append([totals.get(k) for k in keys])
    plain = {k for k, key in enumerate(keys) if key in render.NO_SEPARATOR}
    write_sheets_xlsx(path, {sheet: (header, body)}, percent={sheet[:31]: {k for k, key in enumerate(keys)
                                                                           if key in percent}},
                      plain={sheet[:31]: plain})


def write_xlsx_sheet(path: Path, sheet: str, header: list[str], rows: list[list[Any]]) -> None:
    """One sheet of a header row and rows (kept for callers of the old name; see :func:`write_sheets_xlsx`)."""
    write_sheets_xlsx(path, {sheet: (header, rows)})


XLSX_OUT = typer.Option(None, "--xlsx", metavar="FILE.xlsx", help="Also write the table to this Excel file "
                        "(Chinese headers, numbers as numbers).", show_default=False)


def parse_date(value: str | None, field: str) -> Any:
    """A ``--on`` date; without one, today in the programme time zone (:func:`cleanheat.clock.today`)."""
    import datetime as dt

    from cleanheat.clock import today
    from cleanheat.errors import InputError

    if value is None:
        return today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"expected YYYY-MM-DD, got {value!r}", field=field) from None


def parse_instant(value: str | None, field: str) -> Any:
    """A ``--on`` instant given as the programme's wall-clock time: ``2027-06-30 14:30`` or a date alone
    (``2027-06-30``: 09:00, the office's opening); without one, now. Returns an aware UTC datetime."""
    import datetime as dt

    from cleanheat.clock import at_local, now_utc
    from cleanheat.errors import InputError

    if value is None:
        return now_utc()
    text = value.strip().replace("T", " ")
    try:
        if " " not in text:
            return at_local(dt.date.fromisoformat(text), dt.time(9))
        day, clock_time = text.split(" ", 1)
        return at_local(dt.date.fromisoformat(day), dt.time.fromisoformat(clock_time))
    except ValueError:
        raise InputError(f"expected YYYY-MM-DD or 'YYYY-MM-DD HH:MM' (programme time), got {value!r}",
                         field=field) from None


def local(at: Any) -> str:
    """An instant as the programme's wall-clock time with its offset: ``2022-08-01 17:00 (UTC+8)``."""
    from cleanheat.clock import format_local

    return format_local(at)


def method_chinese(code: str) -> str:
    """The plan's Chinese name of a heating method code (the first name of the ledger's table), or the code."""
    from cleanheat.registry.services.ledger import TECH_NAMES

    names: dict[str, str] = {}
    for name, c in TECH_NAMES.items():
        names.setdefault(c, name)
    return names.get(code, code)


def method_name(code: str) -> str:
    """``空气源热泵热水机 ashp_water``: the Chinese name beside the code."""
    chinese = method_chinese(code)
    return code if chinese == code else f"{chinese} {code}"


def tz_label() -> str:
    """The programme time zone as a header shows it, e.g. ``UTC+8``."""
    from cleanheat.clock import now_utc, programme_tz

    offset = now_utc().astimezone(programme_tz()).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    h, m = divmod(abs(minutes), 60)
    return f"UTC{sign}{h}" + (f":{m:02d}" if m else "")


def local_instant(value: Any) -> str:
    """An instant (ISO text or datetime) as programme civil time ``YYYY-MM-DD HH:MM``; — for nothing."""
    import datetime as dt

    from cleanheat.clock import local_time

    if value is None or value == "":
        return "—"
    at = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return local_time(at).strftime("%Y-%m-%d %H:%M")


def late_text(seconds: float) -> str:
    """A lateness as days and hours: ``3天4小时 3 d 4 h``, ``5小时 5 h``; — when not late."""
    if seconds <= 0:
        return "—"
    hours = int(seconds // 3600)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days:,}天{hours}小时 {days:,} d {hours} h"
    minutes = int(seconds // 60) % 60
    return f"{hours}小时{minutes}分 {hours} h {minutes} min"


LABELS.update({
    "households_updated": "更新农户 households updated", "households_unchanged": "未变农户 households unchanged",
    "installations_created": "新增安装 installations created",
    "installations_updated": "更正安装 installations corrected",
    "acceptances_recorded": "新增验收 acceptances recorded",
    "acceptances_corrected": "更正验收日期 acceptances corrected",
    "warnings": "提示 warnings", "field": "字段 field", "old": "原值 old", "new": "新值 new",
})


PROGRESS = typer.Option(True, "--progress/--no-progress",
                        help="Show a progress bar on a terminal (never with --json or when stderr is not a terminal).")


@contextmanager
def progress_bar(label: str, show_bar: bool, json_out: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A ``progress(done, total)`` callback (:func:`cleanheat.cli.render.progress`: a bar on stderr, only on a
    terminal), or ``None`` (no bar) when ``--no-progress`` or ``--json`` is given or stderr is not a terminal."""
    if not show_bar or json_out or not sys.stderr.isatty():
        yield None
        return
    with render.progress(label) as advance:
        yield advance


def warnings_table(warnings: list[dict[str, Any]], *, limit: int = 50) -> None:
    """Print an import's warnings (row, column, reason), at most ``limit`` of them, on the console."""
    if not warnings:
        return
    shown = warnings[:limit]
    more = f"; first {limit} shown, all with --json" if len(warnings) > limit else ""
    render.console().print(render.records_table(
        f"[yellow]{len(warnings):,} 条提示 warning(s): read but not applied, or to check{more}[/]", shown,
        {**LABELS, "row": "行 row", "column": "列 column", "reason": "原因 reason"}))
