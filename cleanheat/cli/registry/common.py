"""Shared pieces of the registry command groups: options, labels, database sessions, output."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cleanheat.cli import render
from cleanheat.cli.io import write_json

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session


DB_URL = typer.Option(None, "--database-url", help="Database URL (default: CLEANHEAT_DATABASE_URL or the "
                      "SQLite file in the user data folder).", show_default=False)


JSON_OUT = typer.Option(False, "--json", help="Print JSON (for scripts) instead of tables.")


LABELS: dict[str, str] = {
    # programme and ledger
    "households": "农户 households", "installations": "安装 installations", "accepted": "验收 accepted",
    "paid": "已补贴 paid", "central_paid_cny": "中央资金 central CNY", "local_paid_cny": "地方资金 county CNY",
    "total_paid_cny": "合计 total CNY", "paid_cny": "补贴金额 paid CNY", "township": "乡镇 township",
    "townships": "乡镇 townships", "village": "村 village", "year": "年度 year", "target": "目标 target",
    "household_id": "农户编号 household", "name": "姓名/名称 name", "id_number": "身份证号 identity no.",
    "phone": "电话 phone", "address": "地址 address", "installation_id": "安装编号 installation",
    "enterprises": "企业 enterprises", "enterprise": "企业 enterprise", "tickets": "工单 tickets",
    "monthly_reports": "月报 monthly reports", "beijing_projects": "北京项目 Beijing projects", "seed": "随机种子 seed",
    "acceptance_refused_unregistered": "未登记企业拒绝验收 refused (unregistered)",
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
    # reports
    "month": "月份 month", "due_on": "截止日期 due", "submitted_on": "报送日期 submitted",
    "submission": "报送状态 submission", "late": "迟报 late", "year_target_households": "年度目标 year target",
    "progress": "完成率 progress", "paid_month": "本月补贴户数 paid this month",
    "paid_month_cny": "本月补贴金额 paid this month CNY", "paid_ytd": "年度累计补贴户数 paid YTD",
    "paid_ytd_cny": "年度累计补贴金额 paid YTD CNY", "complaints_month": "本月投诉 complaints this month",
    "tickets_open_at_month_end": "月末未结工单 tickets open at month end",
    "imported": "已导入 imported", "households_created": "新增农户 households created",
    # enterprises, tickets, projects
    "code": "企业编号 code", "status": "状态 status", "on": "日期 on", "effective_on": "生效日期 effective",
    "why": "原因 why", "accepted_on": "验收日期 accepted on", "void": "作废 void", "kept": "保留 kept",
    "merged": "并入 merged", "distinct": "不同农户 distinct", "a": "农户 A", "b": "农户 B", "reason": "依据 reason",
    "score": "相似度 score", "ticket": "工单 ticket", "stage": "阶段 stage", "respond_by": "响应期限 respond by",
    "overdue": "超时 overdue", "kind": "类型 kind", "category": "类别 category", "hours_late": "超时小时 hours late",
    "days_late": "超时天数 days late", "opened_at": "受理时间 opened", "exists": "存在 exists", "hint": "提示 hint",
    "recorded": "已记录 recorded", "project_id": "项目 project", "zone": "区域 zone", "source": "热源 source",
    "heated_area_m2": "供暖面积 area m²", "support_ratio": "支持比例 support ratio",
    "eligible_investment_cny": "核定投资 eligible investment CNY", "support_cny": "支持资金 support CNY",
    "approval_steps": "审批步骤 approval steps", "obligations": "义务 obligations", "seq": "步骤 step no.",
    "step": "步骤 step", "project_status": "项目状态 project status", "by_year": "目标年份 by year",
    "target_m2": "目标面积 target m²", "recorded_m2": "已记录面积 recorded m²",
}
"""Chinese-first bilingual headers of the tables, by JSON key."""


LATE = "bold red"


MISSING = "bold red"


STATUS_NAMES = {"submitted": "已申请 submitted", "reviewed": "已评审 reviewed", "registered": "已登记 registered",
                "rejected": "未通过 rejected", "suspended": "暂停 suspended", "revoked": "已撤销 revoked"}


def show(obj: Any, json_out: bool, draw: Callable[[Console], None], *, pretty: bool = False) -> None:
    """``--json``: the object as JSON (the scripts' contract); otherwise ``draw`` it on the console."""
    if json_out:
        write_json(obj, pretty=pretty)
    else:
        draw(render.console())


def kv(obj: dict[str, Any], json_out: bool, title: str, *, keys: list[str] | None = None,
        pretty: bool = False) -> None:
    """A flat JSON object, or a two-column table of its fields."""
    shown = obj if keys is None else {k: obj[k] for k in keys}
    show(obj, json_out, lambda c: c.print(render.kv_table(title, shown, LABELS)), pretty=pretty)


def records(rows: list[dict[str, Any]], json_out: bool, title: str, *, keys: list[str] | None = None,
             style: Callable[[dict[str, Any]], str | None] | None = None) -> None:
    """A JSON list of objects, or a table of them."""
    show(rows, json_out, lambda c: c.print(render.records_table(title, rows, LABELS, keys=keys, style=style)))


def submission(value: str) -> str:
    return {"on_time": "[green]按时 on time[/]", "late": f"[{LATE}]迟报 late[/]",
            "missing": f"[{MISSING}]未报 missing[/]", "pending": "未到期 not yet due",
            "not_due": "不需报送 no report due (outside the programme)"}.get(value, value)


def tables_table(title: str, tables: dict[str, int]) -> Any:
    from rich.table import Table

    t = Table(title=title, title_justify="left")
    t.add_column(LABELS["table"])
    t.add_column(LABELS["rows"], justify="right")
    for name, n in sorted(tables.items()):
        t.add_row(name, f"{n:,}")
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


def write_xlsx_sheet(path: Path, sheet: str, header: list[str], rows: list[list[Any]]) -> None:
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet[:31]
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append(r)
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        wb.save(path)


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


def method_name(code: str) -> str:
    from cleanheat.registry.services.ledger import TECH_NAMES

    names = {v: k for k, v in TECH_NAMES.items()}
    return f"{names[code]} {code}" if code in names else code
