"""``cleanheat audit``: verify the hash chain, read the log."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cleanheat.cli import render
from cleanheat.cli.registry.common import (
    DB_URL,
    JSON_OUT,
    LABELS,
    LATE,
    XLSX_OUT,
    local_instant,
    parse_date,
    session_scope,
    show,
    tz_label,
    write_table_xlsx,
)

if TYPE_CHECKING:
    from rich.console import Console


audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Check the hash chain: exit 0 when intact, 1 naming the first broken entry otherwise."""
    from cleanheat.registry import audit

    with session_scope(database_url, read_only=True) as session:
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
def audit_log(resource: str | None = typer.Option(None, "--resource", metavar="RESOURCE",
                                                  help="Only entries about this resource: household/YC-2022-000001, "
                                                       "installation/17, ticket/5 … or just YC-2022-000001."),
              actor: str | None = typer.Option(None, "--actor", metavar="NAME", help="Only this actor's entries."),
              action: str | None = typer.Option(None, "--action", metavar="ACTION",
                                                help="Only this action or family, e.g. payment.made or payment."),
              since: str | None = typer.Option(None, "--since", metavar="YYYY-MM-DD",
                                               help="From this date (programme time zone), inclusive."),
              until: str | None = typer.Option(None, "--until", metavar="YYYY-MM-DD",
                                               help="Up to this date (programme time zone), inclusive."),
              limit: int | None = typer.Option(None, "--limit", metavar="N",
                                               help="Only the last N matching entries (N ≥ 1)."),
              xlsx: Path | None = XLSX_OUT, json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Audit entries, oldest first, times in the programme time zone (with --json: CloudEvents JSON, UTC)."""
    from cleanheat.registry.services.audit_log import entries, resource_names

    day_from = parse_date(since, "--since") if since else None
    day_to = parse_date(until, "--until") if until else None
    with session_scope(database_url, read_only=True) as session:
        events = entries(session, resources=resource_names(resource) if resource else None, actor=actor,
                         action=action, since=day_from, until=day_to, limit=limit)
    rows = [{"sequence": e.get("sequence"), "time": local_instant(e.get("time")), "actor": e.get("actor"),
             "action": str(e.get("type", "")).removeprefix("cn.cleanheat."), "subject": e.get("subject"),
             "outcome": e.get("outcome"), "why": e.get("why"), "data": render.fmt(e.get("data") or "")}
            for e in events]
    labels = {**LABELS, "time": f"时间 time ({tz_label()})"}
    if xlsx is not None:
        import datetime as dt

        from cleanheat.clock import local_time

        cells = [{**r, "time": local_time(dt.datetime.fromisoformat(str(e["time"]))).replace(tzinfo=None,
                                                                                              microsecond=0)}
                 for r, e in zip(rows, events, strict=True)]
        write_table_xlsx(xlsx, "审计日志 audit log", cells, list(AUDIT_KEYS), labels=labels)
    filters = [f for f in (resource, actor, action, since and f"≥ {since}", until and f"≤ {until}") if f]

    def draw(c: Console) -> None:
        if not rows:
            c.print("没有符合条件的审计记录 no matching entries")
            return
        c.print(render.records_table(
            f"审计日志 audit log{' · ' + ' · '.join(filters) if filters else ''} ({len(rows):,} 条 entries)", rows,
            labels, keys=list(AUDIT_KEYS), style=lambda r: None if r["outcome"] == "success" else LATE))

    show(events, json_out, draw)


AUDIT_KEYS = ("sequence", "time", "actor", "action", "subject", "outcome", "why", "data")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``cleanheat`` app."""
    app.add_typer(audit_app, name="audit")
