"""``cleanheat audit``: verify the hash chain, read the log."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
    pass


audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Check the hash chain: exit 0 when intact, 1 naming the first broken entry otherwise."""
    from cleanheat.registry import audit

    with session_scope(database_url) as session:
        n, brk = audit.verify(session)
    if brk is None:
        show({"intact": True, "entries": n}, json_out,
              lambda c: c.print(f"[bold green]审计链完整 audit chain intact[/]: {n:,} 条 entries"))
        return
    from cleanheat.errors import RegistryError

    broken = {"sequence": brk.seq, "id": brk.event_id, "problem": brk.problem}
    show({"intact": False, "entries_checked": n, "first_broken": broken}, json_out, lambda c: c.print(
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

    with session_scope(database_url) as session:
        events = audit.log(session, resource=resource, limit=limit)
    rows = [{"sequence": e.get("sequence"), "time": str(e.get("time", ""))[:19].replace("T", " "),
             "actor": e.get("actor"), "action": str(e.get("type", "")).removeprefix("cn.cleanheat."),
             "subject": e.get("subject"), "outcome": e.get("outcome"), "why": e.get("why"),
             "data": render.fmt(e.get("data") or "")} for e in events]
    labels = {**LABELS, "sequence": "序号 seq", "time": "时间 time (UTC)", "action": "事件 action",
              "subject": "对象 resource", "outcome": "结果 outcome", "data": "数据 data"}
    show(events, json_out, lambda c: c.print(render.records_table(
        f"审计日志 audit log{' · ' + resource if resource else ''} ({len(rows):,} 条 entries)", rows, labels,
        style=lambda r: None if r["outcome"] == "success" else LATE)))


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``cleanheat`` app."""
    app.add_typer(audit_app, name="audit")
