"""Registry commands: ``db``, ``demo``, ``status``, ``pay``, ``ledger``, ``report``, ``assess``, ``audit``.

SQLAlchemy and the services are imported inside the commands, so other commands start fast.
"""

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

__all__ = ["register"]

DB_URL = typer.Option(None, "--database-url", help="Database URL (default: CLEANHEAT_DATABASE_URL or the "
                      "SQLite file in the user data folder).", show_default=False)

db_app = typer.Typer(help="Registry database: migrate, inspect, back up, restore.", no_args_is_help=True)
demo_app = typer.Typer(help="Synthetic demonstration programme.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
ledger_app = typer.Typer(help="The township household ledger (台账): template, import, export.", no_args_is_help=True)
report_app = typer.Typer(help="Monthly township report and the plan table.", no_args_is_help=True)
assess_app = typer.Typer(help="Half-yearly enterprise assessment.", no_args_is_help=True)
enterprise_app = typer.Typer(help="Installing enterprises and their registration review.", no_args_is_help=True)
duplicates_app = typer.Typer(help="Suspected duplicate households: list, merge, mark distinct.", no_args_is_help=True)
ticket_app = typer.Typer(help="After-sales tickets and complaints (5-year service).", no_args_is_help=True)
payment_app = typer.Typer(help="Subsidy payments.", no_args_is_help=True)
project_app = typer.Typer(help="Beijing heat-pump projects: funding decision, approval steps, zone targets.",
                          no_args_is_help=True)

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
    "voucher_no": "凭证号 voucher", "household_share_cny": "农户自付 household share CNY", "actor": "操作人 actor",
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


def _show(obj: Any, json_out: bool, draw: Callable[[Console], None], *, pretty: bool = False) -> None:
    """``--json``: the object as JSON (the scripts' contract); otherwise ``draw`` it on the console."""
    if json_out:
        write_json(obj, pretty=pretty)
    else:
        draw(render.console())


def _kv(obj: dict[str, Any], json_out: bool, title: str, *, keys: list[str] | None = None,
        pretty: bool = False) -> None:
    """A flat JSON object, or a two-column table of its fields."""
    shown = obj if keys is None else {k: obj[k] for k in keys}
    _show(obj, json_out, lambda c: c.print(render.kv_table(title, shown, LABELS)), pretty=pretty)


def _records(rows: list[dict[str, Any]], json_out: bool, title: str, *, keys: list[str] | None = None,
             style: Callable[[dict[str, Any]], str | None] | None = None) -> None:
    """A JSON list of objects, or a table of them."""
    _show(rows, json_out, lambda c: c.print(render.records_table(title, rows, LABELS, keys=keys, style=style)))


def _submission(value: str) -> str:
    return {"on_time": "[green]按时 on time[/]", "late": f"[{LATE}]迟报 late[/]",
            "missing": f"[{MISSING}]未报 missing[/]"}.get(value, value)


def _tables_table(title: str, tables: dict[str, int]) -> Any:
    from rich.table import Table

    t = Table(title=title, title_justify="left")
    t.add_column(LABELS["table"])
    t.add_column(LABELS["rows"], justify="right")
    for name, n in sorted(tables.items()):
        t.add_row(name, f"{n:,}")
    t.add_row("合计 total", f"{sum(tables.values()):,}", style="bold")
    return t


def _url(database_url: str | None) -> str:
    if database_url:
        return database_url
    from cleanheat.config import Settings

    return Settings().database_url


@contextmanager
def _engine(database_url: str | None, *, migrate: bool = True) -> Iterator[Engine]:
    from cleanheat.registry import db

    engine = db.open_database(_url(database_url), migrate=migrate)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _session(database_url: str | None) -> Iterator[Session]:
    from cleanheat.registry import db

    with _engine(database_url) as engine, db.session_scope(engine) as session:
        yield session


def _err(message: str) -> None:
    print(message, file=sys.stderr)


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Turn a failure to write ``path`` into an InputError (exit 2, no traceback)."""
    from cleanheat.errors import InputError

    try:
        yield
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}", field="file") from None


# --------------------------------------------------------------------------------------------
# db
# --------------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Create or migrate the schema to the newest revision."""
    from cleanheat.registry import db

    with _engine(database_url, migrate=False) as engine:
        before = db.current_revision(engine)
        after = db.upgrade(engine)
        _kv({"database_url": engine.url.render_as_string(hide_password=True), "from_revision": before,
             "revision": after}, json_out, "数据库已升级 database upgraded")


@db_app.command("info")
def db_info(json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Where the database is, its schema revision and rows per table."""
    from cleanheat.registry import db

    with _engine(database_url, migrate=False) as engine:
        info = db.info(engine)

    def draw(c: Console) -> None:
        fields = {k: v for k, v in info.items() if k != "tables"}
        if fields.get("up_to_date") is False:
            fields["up_to_date"] = f"[{LATE}]否 no — run `cleanheat db upgrade`[/]"
        c.print(render.kv_table("数据库 database", fields, LABELS))
        c.print(_tables_table("各表行数 rows per table", info.get("tables") or {}))

    _show(info, json_out, draw, pretty=True)


@db_app.command("backup")
def db_backup(file: Path = typer.Argument(..., help="Backup file to write (gzip'd JSON)."),
              json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Write every row to FILE (restorable into SQLite or PostgreSQL)."""
    from cleanheat.registry import db

    with _engine(database_url, migrate=False) as engine, _writing(file):
        counts = db.backup(engine, file)
    _show({"file": str(file), "rows": sum(counts.values()), "tables": counts}, json_out,
          lambda c: c.print(_tables_table(f"已备份到 backed up to {file}", counts)))


@db_app.command("restore")
def db_restore(file: Path = typer.Argument(..., help="Backup file written by `cleanheat db backup`."),
               force: bool = typer.Option(False, "--force", help="Replace the content of a non-empty database."),
               json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Restore FILE into the database (refuses a non-empty database without --force)."""
    from cleanheat.registry import db

    with _engine(database_url, migrate=False) as engine:
        counts = db.restore(engine, file, force=force)
    _show({"file": str(file), "rows": sum(counts.values()), "tables": counts}, json_out,
          lambda c: c.print(_tables_table(f"已从 {file} 恢复 restored", counts)))


# --------------------------------------------------------------------------------------------
# demo, status, pay
# --------------------------------------------------------------------------------------------


@demo_app.command("load")
def demo_load(seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same programme)."),
              json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Fill an EMPTY database with the synthetic 2021–2023 programme (27,000 households)."""
    from cleanheat.errors import Conflict
    from cleanheat.registry import db
    from cleanheat.registry.services.demo import load_demo

    with _engine(database_url) as engine:
        if not db.is_empty(engine):
            raise Conflict(f"{engine.url.render_as_string(hide_password=True)} is not empty; "
                           "`demo load` fills an empty database only")
        with db.session_scope(engine) as session:
            summary = load_demo(session=session, seed=seed)
    _kv(summary, json_out, "演示项目已载入 demo programme loaded")


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

    with _session(database_url) as session:
        st = compute(session=session)
    if json_out:
        write_json(st)
    else:
        _print_status(st)


def pay(
    accepted: bool = typer.Option(False, "--accepted", help="Pay every accepted, unpaid installation."),
    township: str | None = typer.Option(None, "--township", help="Only this township."),
    actor: str = typer.Option(..., "--actor", help="Who pays (recorded in the audit log)."),
    paid_on: str | None = typer.Option(None, "--paid-on", help="Payment date YYYY-MM-DD (default today)."),
    why: str = typer.Option("", "--why", help="Reason recorded in the audit log."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
    database_url: str | None = DB_URL,
) -> None:
    """Pay the one-time subsidy of every accepted, unpaid installation, in one transaction (idempotent)."""
    import datetime as dt

    from cleanheat.errors import InputError
    from cleanheat.registry.services.payments import pay_accepted

    if not accepted:
        raise InputError("say what to pay: --accepted pays every accepted, unpaid installation", field="--accepted")
    day = None
    if paid_on:
        try:
            day = dt.date.fromisoformat(paid_on)
        except ValueError:
            raise InputError(f"expected YYYY-MM-DD, got {paid_on!r}", field="--paid-on") from None
    with _session(database_url) as session:
        result = pay_accepted(session=session, actor=actor, township=township, paid_on=day, why=why)
    out = result.as_dict()
    if json_out:
        write_json(out)
    else:
        _print_paid(out)


def _print_paid(out: dict[str, Any]) -> None:
    console = render.console()
    fields: dict[str, Any] = {k: out[k] for k in ("paid", "total_cny", "central_cny", "local_cny", "paid_on",
                                                  "already_paid", "held_duplicates", "not_payable")}
    for k in ("held_duplicates", "not_payable"):
        if fields[k]:
            fields[k] = f"[bold yellow]{fields[k]:,}[/]"
    console.print(render.kv_table("一次性补贴发放 one-time subsidy payment", fields, LABELS))
    if out["held_duplicate_details"]:
        console.print(render.records_table(
            f"疑似重复暂缓发放 held as suspected duplicates (first {len(out['held_duplicate_details'])})",
            out["held_duplicate_details"], LABELS, style=lambda r: "yellow"))
    if out["not_payable_details"]:
        console.print(render.records_table(
            f"不予补贴 not payable (first {len(out['not_payable_details'])})", out["not_payable_details"], LABELS,
            style=lambda r: "yellow"))
    for w in out["warnings"]:
        console.print(f"[{LATE}]警告 warning:[/] {w}")


# --------------------------------------------------------------------------------------------
# audit
# --------------------------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify(json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Check the hash chain: exit 0 when intact, 1 naming the first broken entry otherwise."""
    from cleanheat.registry import audit

    with _session(database_url) as session:
        n, brk = audit.verify(session)
    if brk is None:
        _show({"intact": True, "entries": n}, json_out,
              lambda c: c.print(f"[bold green]审计链完整 audit chain intact[/]: {n:,} 条 entries"))
        return
    from cleanheat.errors import RegistryError

    broken = {"sequence": brk.seq, "id": brk.event_id, "problem": brk.problem}
    _show({"intact": False, "entries_checked": n, "first_broken": broken}, json_out, lambda c: c.print(
        render.kv_table(f"[{LATE}]审计链被破坏 audit chain broken[/]", [
            ("已检查 entries checked", n), ("首个损坏条目 first broken entry", str(brk.seq)),
            ("编号 id", brk.event_id), ("问题 problem", brk.problem)])))
    raise RegistryError(f"audit chain broken at entry {brk.seq}" + (f" (id {brk.event_id})" if brk.event_id else "")
                        + f": {brk.problem}")


@audit_app.command("log")
def audit_log(resource: str | None = typer.Option(None, "--resource", help="Only entries about this resource, "
                                                  "e.g. household/YC-2022-000001 or installation/17."),
              limit: int | None = typer.Option(None, "--limit", help="Only the last N entries."),
              json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Audit entries, oldest first (with --json: CloudEvents JSON)."""
    from cleanheat.registry import audit

    with _session(database_url) as session:
        events = audit.log(session, resource=resource, limit=limit)
    rows = [{"sequence": e.get("sequence"), "time": str(e.get("time", ""))[:19].replace("T", " "),
             "actor": e.get("actor"), "action": str(e.get("type", "")).removeprefix("cn.cleanheat."),
             "subject": e.get("subject"), "outcome": e.get("outcome"), "why": e.get("why"),
             "data": render.fmt(e.get("data") or "")} for e in events]
    labels = {**LABELS, "sequence": "序号 seq", "time": "时间 time (UTC)", "action": "事件 action",
              "subject": "对象 resource", "outcome": "结果 outcome", "data": "数据 data"}
    _show(events, json_out, lambda c: c.print(render.records_table(
        f"审计日志 audit log{' · ' + resource if resource else ''} ({len(rows):,} 条 entries)", rows, labels,
        style=lambda r: None if r["outcome"] == "success" else LATE)))


def register(app: typer.Typer) -> None:
    """Add the registry command groups to the ``cleanheat`` app."""
    app.add_typer(db_app, name="db")
    app.add_typer(demo_app, name="demo")
    app.add_typer(audit_app, name="audit")
    app.add_typer(ledger_app, name="ledger")
    app.add_typer(report_app, name="report")
    app.add_typer(assess_app, name="assess")
    app.add_typer(enterprise_app, name="enterprise")
    app.add_typer(duplicates_app, name="duplicates")
    app.add_typer(ticket_app, name="ticket")
    app.add_typer(payment_app, name="payment")
    app.add_typer(project_app, name="project")
    app.command("status")(status)
    app.command("pay")(pay)
    app.command("accept")(accept)
    app.command("void")(void_installation)


# --------------------------------------------------------------------------------------------
# ledger
# --------------------------------------------------------------------------------------------


@ledger_app.command("template")
def ledger_template(file: Path = typer.Argument(..., help="XLSX file to write."),
                    json_out: bool = JSON_OUT) -> None:
    """Write an empty ledger template (Chinese headers, an example row, a sheet explaining the columns)."""
    from cleanheat.registry.services.ledger import write_template

    with _writing(file):
        write_template(file)
    _kv({"file": str(file)}, json_out, "台账模板已写出 ledger template written")


@ledger_app.command("import")
def ledger_import(file: Path = typer.Argument(..., help="Ledger file, .xlsx or .csv."),
                  actor: str = typer.Option(..., "--actor", help="Who imports (recorded in the audit log)."),
                  json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Import a township ledger: every row validated; any error and nothing changes (exit 2)."""
    from cleanheat.registry import db
    from cleanheat.registry.services.ledger import LedgerImportError, import_file

    try:
        with _engine(database_url) as engine, db.session_scope(engine) as session:
            summary = import_file(session=session, path=file, actor=actor)
    except LedgerImportError as exc:
        errors = [e.as_dict() for e in exc.errors]
        if not json_out:
            render.console().print(render.records_table(
                f"[{LATE}]台账有 {len(errors):,} 处错误，未导入任何记录 {len(errors):,} error(s), nothing imported[/]",
                errors, {**LABELS, "row": "行 row", "column": "列 column", "reason": "原因 reason"}))
            raise
        write_json({"imported": False, "errors": errors})
        for e in exc.errors[:20]:
            _err(f"row {e.row}, column {e.column}: {e.reason}")
        if len(exc.errors) > 20:
            _err(f"… and {len(exc.errors) - 20} more (see the JSON report on stdout)")
        raise
    _kv({"imported": True, **summary}, json_out, f"台账已导入 ledger imported: {file.name}")


@ledger_app.command("export")
def ledger_export(file: Path = typer.Argument(..., help="XLSX file to write."),
                  json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Export the whole ledger (template columns plus payment) to XLSX."""
    from cleanheat.registry.services.ledger import export_xlsx

    with _session(database_url) as session, _writing(file):
        n = export_xlsx(session=session, path=file)
    _kv({"file": str(file), "rows": n}, json_out, "台账已导出 ledger exported")


@ledger_app.command("search")
def ledger_search(query: str = typer.Argument(..., help="Ledger id, identity number, phone or start of a name."),
                  limit: int = typer.Option(20, "--limit"), json_out: bool = JSON_OUT,
                  database_url: str | None = DB_URL) -> None:
    """Find households by ledger id, identity number, phone or name."""
    from cleanheat.registry.services.households import search

    with _session(database_url) as session:
        found = search(session=session, query=query, limit=limit)
    _records(found, json_out, f"台账查询 ledger search: {query}")


# --------------------------------------------------------------------------------------------
# reports, assessment
# --------------------------------------------------------------------------------------------


def _xlsx(path: Path, sheet: str, header: list[str], rows: list[list[Any]]) -> None:
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
    with _writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        wb.save(path)


@report_app.command("monthly")
def report_monthly(township: str = typer.Option(..., "--township", help="Township name, e.g. 花马池镇."),
                   month: str = typer.Option(..., "--month", help="YYYY-MM."),
                   xlsx: Path | None = typer.Option(None, "--xlsx", help="Also write the report to this XLSX file."),
                   json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """A township's monthly progress report (月报表): progress against the year's target by method,
    acceptances, payments, complaints; due by the 25th, late ones flagged."""
    from cleanheat.registry.services.reports import monthly

    with _session(database_url) as session:
        rep = monthly(session=session, township=township, month=month)
    if xlsx is not None:
        rows: list[list[Any]] = [[m, v["installed_month"], v["installed_ytd"], v["accepted_month"], v["accepted_ytd"]]
                                 for m, v in rep["by_method"].items()]
        rows.append(["合计", rep["installed_month"], rep["installed_ytd"], rep["accepted_month"], rep["accepted_ytd"]])
        rows.append([])
        for k in ("year_target_households", "progress", "paid_month", "paid_month_cny", "paid_ytd", "paid_ytd_cny",
                  "complaints_month", "tickets_open_at_month_end", "due_on", "submitted_on", "submission"):
            rows.append([k, rep[k]])
        _xlsx(xlsx, f"{township}{month}", ["取暖方式", "本月安装", "年度累计安装", "本月验收", "年度累计验收"], rows)
    _show(rep, json_out, lambda c: _draw_monthly(c, rep))


def _method_name(code: str) -> str:
    from cleanheat.registry.services.ledger import TECH_NAMES

    names = {v: k for k, v in TECH_NAMES.items()}
    return f"{names[code]} {code}" if code in names else code


def _draw_monthly(c: Console, rep: dict[str, Any]) -> None:
    from rich.table import Table

    head = {k: rep.get(k) for k in ("township", "month", "due_on", "submitted_on")}
    head["submission"] = _submission(str(rep.get("submission")))
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
        t.add_row(_method_name(m), *[f"{v[k]:,}" for k in keys])
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

    with _session(database_url) as session:
        rep = submit_monthly(session=session, township=township, month=month, submitted_on=_date(on, "--on"),
                             actor=actor)
    _show(rep, json_out, lambda c: _draw_monthly(c, rep))


@report_app.command("laggards")
def report_laggards(month: str = typer.Option(..., "--month"), json_out: bool = JSON_OUT,
                    database_url: str | None = DB_URL) -> None:
    """Townships whose monthly report was late or is missing (named, 盐政办发〔2022〕8号 八(三))."""
    from cleanheat.registry.services.reports import laggards

    with _session(database_url) as session:
        rows = laggards(session=session, month=month)
    shown = [{**r, "submission": _submission(r["submission"])} for r in rows]
    _show(rows, json_out, lambda c: c.print(render.records_table(
        f"{month} 月报迟报或未报的乡镇 townships late or missing", shown, LABELS,
        keys=["township", "month", "due_on", "submitted_on", "submission"])))


@report_app.command("plan")
def report_plan(xlsx: Path | None = typer.Option(None, "--xlsx", help="Also write the table to this XLSX file."),
                json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """附件1: township × year, households planned vs done (accepted) and paid."""
    from cleanheat.registry.services.reports import plan

    with _session(database_url) as session:
        rows = plan(session=session)
    if xlsx is not None:
        header = ["乡镇"] + [f"{y}年{w}" for y in (2021, 2022, 2023) for w in ("计划", "完成", "已补贴")] + ["计划合计",
                                                                                                   "完成合计"]
        keys = [f"{w}_{y}" for y in (2021, 2022, 2023) for w in ("planned", "done", "paid")]
        _xlsx(xlsx, "附件1 年度任务计划表", header,
              [[r["township"], *[r[k] for k in keys], r["planned_total"], r["done_total"]] for r in rows])
    _show(rows, json_out, lambda c: _draw_plan(c, rows))


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


@assess_app.command("enterprises")
def assess_enterprises(half: str = typer.Option(..., "--half", help="YYYY-H1 or YYYY-H2."),
                       apply: bool = typer.Option(False, "--apply", help="Store the assessment and revoke the "
                                                  "registrations the rule names."),
                       actor: str = typer.Option("县清洁取暖领导小组", "--actor", help="Who assesses."),
                       json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Half-year assessment of each enterprise: usage rate, product quality, heating effect, complaints."""
    from cleanheat.registry.services.assessments import assess

    with _session(database_url) as session:
        rows = assess(session=session, half=half, actor=actor, apply=apply)
    _show(rows, json_out, lambda c: _draw_assessment(c, rows, half, applied=apply))


STATUS_NAMES = {"submitted": "已申请 submitted", "reviewed": "已评审 reviewed", "registered": "已登记 registered",
                "rejected": "未通过 rejected", "suspended": "暂停 suspended", "revoked": "已撤销 revoked"}


def _draw_assessment(c: Console, rows: list[dict[str, Any]], half: str, *, applied: bool) -> None:
    from rich.table import Table

    t = Table(title=f"{half} 企业半年考核 half-year enterprise assessment", title_justify="left",
              caption=("已保存，撤销已生效 stored; revocations applied" if applied else
                       "预览，未保存 preview only; --apply stores it and revokes"), caption_justify="left")
    t.add_column("企业\nenterprise", no_wrap=True)
    t.add_column("名称\nname", no_wrap=True)
    t.add_column("登记状态\nstatus", no_wrap=True)
    for col in ("安装户数\ninstallations", "使用率\nusage", "产品质量\nquality", "供暖效果\nheating effect",
                "服务及时率\nservice", "投诉\ncomplaints", "每百户投诉\nper 100"):
        t.add_column(col, justify="right", no_wrap=True)
    t.add_column("考核结论\noutcome", no_wrap=True)
    t.add_column("撤销原因\nreasons for revocation")
    for r in rows:
        revoke = r["outcome"] == "revoke"
        status = STATUS_NAMES.get(r["status"], r["status"])
        if r["status"] in ("revoked", "rejected", "suspended"):
            status = f"[{LATE}]{status}[/]"
        t.add_row(r["enterprise"], r["name"], status, f"{r['installations']:,}",
                  *[f"{r[k]:.1%}" for k in ("usage_rate", "product_quality", "heating_effect", "service")],
                  f"{r['complaints']:,}", f"{r['complaints_per_100']:.2f}",
                  f"[{LATE}]撤销登记 revoke[/]" if revoke else "[green]合格 pass[/]", "; ".join(r["why"]),
                  style="red" if revoke else None)
    if rows:
        n = sum(r["installations"] for r in rows)
        complaints = sum(r["complaints"] for r in rows)
        revoked = sum(r["outcome"] == "revoke" for r in rows)
        t.add_row("合计 total", f"{len(rows):,} 家 enterprises", "", f"{n:,}", "", "", "", "", f"{complaints:,}",
                  f"{100 * complaints / n:.2f}" if n else "—", f"{revoked:,} 家撤销 revoked", "", style="bold")
    c.print(t)


# --------------------------------------------------------------------------------------------
# enterprises, acceptance, duplicates, tickets, payments
# --------------------------------------------------------------------------------------------


def _date(value: str | None, field: str) -> Any:
    import datetime as dt

    from cleanheat.errors import InputError

    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"expected YYYY-MM-DD, got {value!r}", field=field) from None


@enterprise_app.command("add")
def enterprise_add(code: str = typer.Argument(..., help="Enterprise code, e.g. ENT-34."),
                   name: str = typer.Option(..., "--name"),
                   submitted_on: str | None = typer.Option(None, "--on", help="Application date (default today)."),
                   actor: str = typer.Option(..., "--actor"), json_out: bool = JSON_OUT,
                   database_url: str | None = DB_URL) -> None:
    """Record an enterprise's application for registration (state submitted)."""
    from cleanheat.registry.services import enterprises

    with _session(database_url) as session:
        e = enterprises.create(session=session, code=code, name=name, submitted_on=_date(submitted_on, "--on"),
                               actor=actor)
        _kv({"code": e.code, "name": e.name, "status": e.status}, json_out, "企业登记申请 enterprise application")


@enterprise_app.command("set")
def enterprise_set(code: str = typer.Argument(...),
                   to: str = typer.Argument(..., help="reviewed | registered | rejected | suspended | revoked"),
                   on: str | None = typer.Option(None, "--on", help="Effective date (default today)."),
                   actor: str = typer.Option(..., "--actor"), why: str = typer.Option("", "--why"),
                   json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Move an enterprise to its next registration state (audited)."""
    from cleanheat.registry.services import enterprises

    with _session(database_url) as session:
        e = enterprises.transition(session=session, code=code, to=to, effective_on=_date(on, "--on"), actor=actor,
                                   why=why)
        _kv({"code": e.code, "status": e.status}, json_out, "企业登记状态已变更 enterprise status changed")


@enterprise_app.command("status")
def enterprise_status(code: str = typer.Argument(...), on: str | None = typer.Option(None, "--on"),
                      json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """An enterprise's registration state on a date, and its history."""
    from cleanheat.registry.services import enterprises

    with _session(database_url) as session:
        e = enterprises.get_enterprise(session=session, code=code)
        day = _date(on, "--on")
        doc = {"code": e.code, "name": e.name, "on": day.isoformat(),
               "status": enterprises.status_on(session=session, code=code, on=day),
               "history": [{"status": h.status, "effective_on": h.effective_on.isoformat(), "actor": h.actor,
                            "why": h.why} for h in e.history]}

    def draw(c: Console) -> None:
        head = {k: doc[k] for k in ("code", "name", "on")}
        status = STATUS_NAMES.get(doc["status"], doc["status"])
        head["status"] = f"[{LATE}]{status}[/]" if doc["status"] in ("revoked", "rejected", "suspended") else status
        c.print(render.kv_table("企业登记状态 enterprise registration", head, LABELS))
        c.print(render.records_table("登记历史 history", [{**h, "status": STATUS_NAMES.get(h["status"], h["status"])}
                                                        for h in doc["history"]], LABELS,
                                     style=lambda h: LATE if h["status"].endswith(("revoked", "rejected", "suspended"))
                                     else None))

    _show(doc, json_out, draw)


def accept(installation_id: int = typer.Argument(..., help="Installation id."),
           on: str | None = typer.Option(None, "--on", help="Acceptance date (default today)."),
           inspector: list[str] = typer.Option(["县住建局", "乡镇"], "--inspector", help="Inspecting body (repeat)."),
           heating_effect_reached: bool = typer.Option(True, "--heating-effect-reached/--heating-effect-not-reached"),
           actor: str = typer.Option(..., "--actor"), json_out: bool = JSON_OUT,
           database_url: str | None = DB_URL) -> None:
    """Record acceptance (验收) of an installation; refused for an unregistered enterprise's installation."""
    from cleanheat.registry.services import installations

    with _session(database_url) as session:
        a = installations.accept(session=session, installation_id=installation_id, accepted_on=_date(on, "--on"),
                                 actor=actor, heating_effect_reached=heating_effect_reached, inspectors=inspector)
        _kv({"installation_id": a.installation_id, "accepted_on": a.accepted_on.isoformat()}, json_out,
            "已验收 installation accepted")


def void_installation(installation_id: int = typer.Argument(..., help="Installation id."),
                      actor: str = typer.Option(..., "--actor"), why: str = typer.Option(..., "--why"),
                      json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Void an installation recorded in error (not once paid); audited."""
    from cleanheat.registry.services import installations

    with _session(database_url) as session:
        inst = installations.void(session=session, installation_id=installation_id, actor=actor, why=why)
        _kv({"installation_id": inst.id, "void": inst.void}, json_out, "安装记录已作废 installation voided")


@duplicates_app.command("list")
def duplicates_list(json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Suspected duplicates (same identity number, same phone, fuzzy name + address), not yet decided."""
    from cleanheat.registry.services.households import find_duplicates

    with _session(database_url) as session:
        pairs = [{"a": p.a, "b": p.b, "reason": p.reason, "score": p.score} for p in find_duplicates(session=session)]
    _records(pairs, json_out, f"疑似重复农户 suspected duplicate households ({len(pairs):,} 对 pairs)",
             style=lambda r: "yellow")


@duplicates_app.command("merge")
def duplicates_merge(keep: str = typer.Argument(..., help="household_id of the record that stands."),
                     drop: str = typer.Argument(..., help="household_id of the duplicate."),
                     actor: str = typer.Option(..., "--actor"), why: str = typer.Option(..., "--why"),
                     json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Merge a duplicate into the record that stands (audited)."""
    from cleanheat.registry.services.households import merge

    with _session(database_url) as session:
        h = merge(session=session, keep=keep, drop=drop, actor=actor, why=why)
        _kv({"kept": h.household_id, "merged": drop}, json_out, "重复农户已合并 duplicate merged")


@duplicates_app.command("distinct")
def duplicates_distinct(a: str = typer.Argument(...), b: str = typer.Argument(...),
                        actor: str = typer.Option(..., "--actor"), why: str = typer.Option(..., "--why"),
                        json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Record that two suspected records are different households (audited)."""
    from cleanheat.registry.services.households import mark_distinct

    with _session(database_url) as session:
        mark_distinct(session=session, a=a, b=b, actor=actor, why=why)
        _kv({"distinct": [a, b]}, json_out, "已确认为不同农户 recorded as different households")


@ticket_app.command("open")
def ticket_open(household_id: str = typer.Argument(...),
                kind: str = typer.Option("service", "--kind", help="complaint | service"),
                category: str = typer.Option(..., "--category",
                                             help="quality | service | heating_effect | not_in_use | other"),
                description: str = typer.Option("", "--description"), actor: str = typer.Option(..., "--actor"),
                json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Open an after-sales ticket or complaint on the household's accepted installation."""
    from cleanheat.registry.services import tickets

    with _session(database_url) as session:
        t = tickets.open_ticket(session=session, household_id=household_id, kind=kind, category=category,
                                description=description, actor=actor)
        _kv({"ticket": t.id, "stage": t.stage, "respond_by": t.respond_by.isoformat()}, json_out,
            "工单已创建 ticket opened")


@ticket_app.command("advance")
def ticket_advance(ticket_id: int = typer.Argument(...),
                   to: str = typer.Argument(..., help="assigned | responded | resolved | closed"),
                   note: str = typer.Option("", "--note"), actor: str = typer.Option(..., "--actor"),
                   json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Move a ticket to its next stage."""
    from cleanheat.registry.services import tickets

    with _session(database_url) as session:
        t = tickets.advance(session=session, ticket_id=ticket_id, to=to, actor=actor, note=note)
        _kv({"ticket": t.id, "stage": t.stage, "overdue": t.overdue}, json_out, "工单已推进 ticket advanced")


@ticket_app.command("overdue")
def ticket_overdue(json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Tickets not responded to within the response-time limit."""
    from cleanheat.registry.services import tickets

    with _session(database_url) as session:
        late = tickets.overdue(session=session)
    _records(late, json_out, f"超时未响应工单 tickets overdue ({len(late):,})", style=lambda r: LATE)


@payment_app.command("show")
def payment_show(household_id: str = typer.Argument(...), json_out: bool = JSON_OUT,
                 database_url: str | None = DB_URL) -> None:
    """A household's payment with the rules engine's reasons and trace."""
    from cleanheat.registry.services.payments import get_payment

    with _session(database_url) as session:
        doc = get_payment(session=session, household_id=household_id)

    def draw(c: Console) -> None:
        c.print(render.kv_table(f"补贴发放记录 payment of {household_id}",
                                {k: v for k, v in doc.items() if k not in ("reasons", "trace")}, LABELS))
        c.print(render.records_table("依据 reasons", doc["reasons"], {
            "rule": "规则 rule", "clause": "条款 clause", "detail": "说明 detail",
            "detail_en": "说明（英文） detail (English)"}))
        params = doc["trace"].get("parameters") if isinstance(doc["trace"], dict) else None
        if params:
            c.print(render.records_table("参数 parameters read", params, {
                "parameter": "参数 parameter", "value": "值 value", "effective_from": "生效 from",
                "in_force": "有效 in force", "read_on": "按日期 read on", "reference": "依据 reference"}))

    _show(doc, json_out, draw)


@project_app.command("add")
def project_add(file: str = typer.Argument(..., help="JSON project record(s) as `funding beijing` takes, or -."),
                actor: str = typer.Option(..., "--actor"), json_out: bool = JSON_OUT,
                database_url: str | None = DB_URL) -> None:
    """Decide and record Beijing projects (rules engine), with their approval steps and obligations."""
    from cleanheat.cli.io import read_json_records
    from cleanheat.registry.services import beijing

    records, _ = read_json_records(file)
    with _session(database_url) as session:
        n = beijing.record_projects(session=session, records=records, actor=actor)
        beijing.ensure_zone_targets(session=session)
        _kv({"recorded": n}, json_out, "北京项目已记录 Beijing projects recorded")


@project_app.command("list")
def project_list(zone: str | None = typer.Option(None, "--zone"), json_out: bool = JSON_OUT,
                 database_url: str | None = DB_URL) -> None:
    """Recorded Beijing projects."""
    from cleanheat.registry.services import beijing

    with _session(database_url) as session:
        projects = beijing.list_projects(session=session, zone=zone)
    shown = [{**p, "approval_steps": " ".join(f"{s['seq']}:{s['status']}" for s in p["approval_steps"]),
              "obligations": len(p["obligations"])} for p in projects]
    _show(projects, json_out, lambda c: c.print(render.records_table(
        f"北京热泵项目 Beijing heat-pump projects ({len(projects):,})", shown,
        {**LABELS, "obligations": "义务项 obligations"},
        style=lambda r: None if r.get("status") != "refused" else LATE)))


@project_app.command("approve")
def project_approve(project_id: str = typer.Argument(...), step: int = typer.Option(..., "--step"),
                    refuse: bool = typer.Option(False, "--refuse"), on: str | None = typer.Option(None, "--on"),
                    actor: str = typer.Option(..., "--actor"), why: str = typer.Option("", "--why"),
                    json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Record the authority's decision on an approval step (steps in order)."""
    from cleanheat.registry.services import beijing

    with _session(database_url) as session:
        decided = beijing.decide_step(session=session, project_id=project_id, seq=step, approved=not refuse,
                                      on=_date(on, "--on"), actor=actor, why=why)
    _kv(decided, json_out, "审批步骤已决定 approval step decided")


@project_app.command("zones")
def project_zones(json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Zone targets (new heat-pump area by 2022) against the area of recorded projects."""
    from cleanheat.registry.services import beijing

    with _session(database_url) as session:
        beijing.ensure_zone_targets(session=session)
        zones = beijing.zone_progress(session=session)
    shown = [{**z, "share": f"{z['recorded_m2'] / z['target_m2']:.0%}" if z.get("target_m2") else "—"} for z in zones]
    _show(zones, json_out, lambda c: c.print(render.records_table(
        "重点区域热泵供暖目标 zone targets", shown, {**LABELS, "share": "完成率 share"},
        style=lambda r: LATE if r["recorded_m2"] < r["target_m2"] else None)))
