"""``cleanheat audit``: verify the hash chain and the money tables against it, read the log."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

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
