"""``cleanheat audit``: verify the hash chain and the money tables against it, read the log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from cleanheat.cli import render
from cleanheat.cli.registry.common import (
    DB_URL,
    JSON_OUT,
    LABELS,
    LATE,
    session_scope,
    show,
)

if TYPE_CHECKING:
    from rich.console import Console


audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Check the hash chain and that the money tables (payments, reversals, fund ledger, envelopes) agree with
    the log: exit 0 when both hold, 1 naming the first broken entry and every money row that differs."""
    from cleanheat.registry import audit

    with session_scope(database_url, read_only=True) as session:
        v = audit.verify_all(session)
    out = v.as_dict()
    show(out, json_out, lambda c: _draw(c, v))
    if v.intact and v.reconciled:
        return
    from cleanheat.errors import RegistryError

    problems = []
    if v.first_break is not None:
        brk = v.first_break
        problems.append(f"audit chain broken at entry {brk.seq}" + (f" (id {brk.event_id})" if brk.event_id else "")
                        + f": {brk.problem}")
    if v.mismatches:
        problems.append(f"{len(v.mismatches):,} money row(s) differ from the audit log, first: "
                        f"{v.mismatches[0].message}")
    raise RegistryError("; ".join(problems))


def _draw(c: Console, v: Any) -> None:
    checked = "，".join(f"{table} {n:,}" for table, n in v.checked.items())
    if v.first_break is None:
        c.print(f"[bold green]审计链完整 audit chain intact[/]: {v.entries:,} 条 entries")
    else:
        brk = v.first_break
        c.print(render.kv_table(f"[{LATE}]审计链被破坏 audit chain broken[/]", [
            ("已检查 entries checked", v.entries), ("首个损坏条目 first broken entry", str(brk.seq)),
            ("编号 id", brk.event_id), ("问题 problem", brk.problem)]))
    if v.reconciled:
        c.print(f"[bold green]资金记录与日志一致 money tables agree with the log[/]: {checked}")
        return
    rows = [{"table": m.table, "row_id": m.row_id, "household_id": m.household_id, "voucher_no": m.voucher_no,
             "problem": PROBLEM_NAMES.get(m.problem, m.problem), "field": m.field, "logged": m.logged,
             "stored": m.stored} for m in v.mismatches[:200]]
    labels = {**LABELS, "row_id": "行号 row id", "problem": "问题 problem", "field": "字段 field",
              "logged": "日志记录值 logged", "stored": "库中值 stored"}
    c.print(render.records_table(
        f"[{LATE}]资金记录与日志不符 money rows that differ from the log[/] ({len(v.mismatches):,}"
        + (", first 200" if len(v.mismatches) > 200 else "") + f"; 已核对 checked: {checked})",
        rows, labels, style=lambda r: LATE))


PROBLEM_NAMES = {"changed": "被修改 changed", "not_logged": "无日志（应用外写入） not logged",
                 "deleted": "被删除 deleted"}


@audit_app.command("log")
def audit_log(resource: str | None = typer.Option(None, "--resource", help="Only entries about this resource, "
                                                  "e.g. household/YC-2022-000001 or installation/17."),
              limit: int | None = typer.Option(None, "--limit", help="Only the last N entries."),
              json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Audit entries, oldest first (with --json: CloudEvents JSON)."""
    from cleanheat.registry import audit

    with session_scope(database_url, read_only=True) as session:
        events = audit.log(session, resource=resource, limit=limit)
    rows = [{"sequence": e.get("sequence"), "time": _local_time(e.get("time")),
             "actor": e.get("actor"), "action": str(e.get("type", "")).removeprefix("cn.cleanheat."),
             "subject": e.get("subject"), "outcome": e.get("outcome"), "why": e.get("why"),
             "data": render.fmt(e.get("data") or "")} for e in events]
    labels = {**LABELS, "sequence": "序号 seq", "time": "时间 time (programme time)", "action": "事件 action",
              "subject": "对象 resource", "outcome": "结果 outcome", "data": "数据 data"}
    show(events, json_out, lambda c: c.print(render.records_table(
        f"审计日志 audit log{' · ' + resource if resource else ''} ({len(rows):,} 条 entries)", rows, labels,
        style=lambda r: None if r["outcome"] == "success" else LATE)))


def _local_time(value: Any) -> str:
    """An audit entry's ISO 8601 UTC time as programme time: ``2022-08-01 17:00 (UTC+8)``."""
    import datetime as dt

    from cleanheat.clock import format_local

    try:
        return format_local(dt.datetime.fromisoformat(str(value)), seconds=True)
    except ValueError:
        return str(value or "")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``cleanheat`` app."""
    app.add_typer(audit_app, name="audit")
