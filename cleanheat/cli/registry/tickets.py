"""``cleanheat ticket``: after-sales tickets and complaints (5-year service, 盐政办发〔2022〕8号 八(四)).

Kind, category and stage are taken as the code or its Chinese name: 投诉 complaint, 服务 service;
质量 quality, 服务 service, 供暖效果 heating_effect, 未使用 not_in_use, 其他 other; 已受理 opened,
已派单 assigned, 已响应 responded, 已解决 resolved, 已关闭 closed. Times are shown in the programme
time zone; lateness runs from the response deadline to the response, or to now while unanswered.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cleanheat.cli import render
from cleanheat.cli.registry.common import (
    ACTOR,
    DB_URL,
    JSON_OUT,
    LABELS,
    LATE,
    XLSX_OUT,
    kv,
    late_text,
    local,
    local_instant,
    parse_instant,
    session_scope,
    show,
    tz_label,
    write_table_xlsx,
)

if TYPE_CHECKING:
    from rich.console import Console


ticket_app = typer.Typer(help="售后工单 After-sales tickets and complaints (5-year service, "
                              "盐政办发〔2022〕8号 八(四)).", no_args_is_help=True)


def _names() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    from cleanheat.registry.services.tickets import CATEGORY_NAMES, KIND_NAMES, STAGE_NAMES

    return KIND_NAMES, CATEGORY_NAMES, STAGE_NAMES


@ticket_app.command("open")
def ticket_open(household_id: str = typer.Argument(..., metavar="HOUSEHOLD_ID", help="农户编号 ledger id."),
                kind: str = typer.Option("service", "--kind", metavar="KIND",
                                         help="投诉 complaint | 服务 service"),
                category: str = typer.Option(..., "--category", metavar="CATEGORY",
                                             help="质量 quality | 服务 service | 供暖效果 heating_effect | "
                                                  "未使用 not_in_use | 其他 other"),
                description: str = typer.Option("", "--description", metavar="TEXT",
                                                help="描述 what the household reports."),
                on: str | None = typer.Option(None, "--on", metavar="'YYYY-MM-DD [HH:MM]'",
                                              help="受理时间 when the household raised it, in programme time: "
                                                   "YYYY-MM-DD (09:00) or 'YYYY-MM-DD HH:MM'; default now."),
                actor: str = ACTOR, json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Open an after-sales ticket or complaint on the household's accepted installation."""
    from cleanheat.registry.services import tickets

    kinds, categories, stages = _names()
    opened_at = parse_instant(on, "--on")
    with session_scope(database_url) as session:
        t = tickets.open_ticket(session=session, household_id=household_id,
                                kind=tickets.ticket_code(kind, kinds, "--kind"),
                                category=tickets.ticket_code(category, categories, "--category"),
                                description=description, actor=actor, opened_at=opened_at)
        doc = {"ticket": t.id, "stage": t.stage, "opened_at": t.opened_at.isoformat(),
               "respond_by": t.respond_by.isoformat()}
    kv(doc, json_out, "工单已创建 ticket opened", shown={
        "ticket": doc["ticket"], "stage": stages.get(t.stage, t.stage), "opened_at": local(t.opened_at),
        "respond_by": local(t.respond_by)})


@ticket_app.command("advance")
def ticket_advance(ticket_id: int = typer.Argument(..., metavar="TICKET", help="工单号 ticket number."),
                   to: str = typer.Argument(..., metavar="STAGE",
                                            help="已派单 assigned | 已响应 responded | 已解决 resolved | "
                                                 "已关闭 closed"),
                   note: str = typer.Option("", "--note", metavar="TEXT", help="备注 note, recorded with the step."),
                   actor: str = ACTOR, json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Move a ticket to its next stage (audited); a response after the deadline marks it overdue."""
    from cleanheat.registry.services import tickets

    _, _, stages = _names()
    with session_scope(database_url) as session:
        t = tickets.advance(session=session, ticket_id=ticket_id, to=tickets.ticket_code(to, stages, "STAGE"),
                            actor=actor, note=note)
        doc = {"ticket": t.id, "stage": t.stage, "overdue": t.overdue}
    kv(doc, json_out, "工单已推进 ticket advanced", shown={**doc, "stage": stages.get(t.stage, t.stage)})


def _shown(rows: list[dict[str, Any]], *, markup: bool = True) -> list[dict[str, Any]]:
    kinds, categories, stages = _names()
    out = []
    for r in rows:
        late = late_text(r["late_s"])
        out.append({**r, "kind": kinds.get(r["kind"], r["kind"]), "category": categories.get(r["category"],
                                                                                            r["category"]),
                    "stage": stages.get(r["stage"], r["stage"]),
                    **{k: local_instant(r.get(k)) for k in ("opened_at", "respond_by", "responded_at", "closed_at")},
                    "late_by": f"[{LATE}]{late}[/]" if markup and r["late_s"] > 0 else late})
    return out


TIME_KEYS = ("opened_at", "respond_by", "responded_at", "closed_at")


def _labels() -> dict[str, str]:
    zone = tz_label()
    return {**LABELS, **{k: f"{LABELS[k]} ({zone})" for k in TIME_KEYS}}


@ticket_app.command("list")
def ticket_list(open_only: bool = typer.Option(False, "--open", help="Only tickets not yet resolved or closed."),
                enterprise: str | None = typer.Option(None, "--enterprise", metavar="CODE",
                                                      help="Only this enterprise's tickets, e.g. ENT-12."),
                township: str | None = typer.Option(None, "--township", metavar="NAME",
                                                    help="Only this township's, e.g. 花马池镇."),
                household: str | None = typer.Option(None, "--household", metavar="HOUSEHOLD_ID",
                                                     help="Only this household's."),
                limit: int | None = typer.Option(None, "--limit", metavar="N", min=1,
                                                 help="At most N tickets (the newest)."),
                xlsx: Path | None = XLSX_OUT, json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Tickets, newest first: kind, category, stage, response deadline and how late."""
    from cleanheat.registry.services.tickets import list_tickets

    with session_scope(database_url, read_only=True) as session:
        rows = list_tickets(session=session, open_only=open_only, enterprise=enterprise, township=township,
                            household=household, limit=limit)
    keys = ["ticket", "household_id", "enterprise", "kind", "category", "stage", "opened_at", "respond_by",
            "responded_at", "late_by"]
    if xlsx is not None:
        write_table_xlsx(xlsx, "工单 tickets", _shown(rows, markup=False), keys, labels=_labels())

    def draw(c: Console) -> None:
        if not rows:
            c.print("没有符合条件的工单 no matching tickets")
            return
        c.print(render.records_table(f"售后工单 tickets ({len(rows):,})", _shown(rows), _labels(), keys=keys,
                                     style=lambda r: LATE if r["overdue"] else None))

    show(rows, json_out, draw)


@ticket_app.command("show")
def ticket_show(ticket_id: int = typer.Argument(..., metavar="TICKET", help="工单号 ticket number."),
                json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """One ticket: household, installation, enterprise, stage, deadline, how late, and every step."""
    from cleanheat.registry.services.tickets import get_ticket

    with session_scope(database_url, read_only=True) as session:
        doc = get_ticket(session=session, ticket_id=ticket_id)
    _, _, stages = _names()

    def draw(c: Console) -> None:
        (head,) = _shown([doc])
        keys = ["ticket", "household_id", "installation_id", "enterprise", "kind", "category", "stage", "opened_at",
                "respond_by", "responded_at", "closed_at", "late_by", "description"]
        labels = _labels()
        c.print(render.kv_table(f"工单 ticket {doc['ticket']}", [(labels.get(k, k), head.get(k)) for k in keys]))
        events = [{**e, "stage": stages.get(e["stage"], e["stage"]), "at": local_instant(e["at"])}
                  for e in doc["events"]]
        c.print(render.records_table("处理经过 steps", events, {**LABELS, "at": f"时间 time ({tz_label()})"},
                                     keys=["at", "stage", "actor", "note"]))

    show(doc, json_out, draw)


@ticket_app.command("overdue")
def ticket_overdue(xlsx: Path | None = XLSX_OUT, json_out: bool = JSON_OUT,
                   database_url: str | None = DB_URL) -> None:
    """Tickets not responded to within the response-time limit, with how late (days and hours)."""
    from cleanheat.registry.services import tickets

    with session_scope(database_url, read_only=True) as session:
        late = tickets.overdue(session=session)
    kinds, categories, stages = _names()
    shown = [{**r, "kind": kinds.get(r["kind"], r["kind"]), "category": categories.get(r["category"], r["category"]),
              "stage": stages.get(r["stage"], r["stage"]), "respond_by": local_instant(r["respond_by"]),
              "late_by": late_text(r["hours_late"] * 3600)} for r in late]
    keys = ["ticket", "household_id", "enterprise", "kind", "category", "stage", "respond_by", "late_by",
            "days_late"]
    labels = _labels()
    if xlsx is not None:
        write_table_xlsx(xlsx, "超时工单 overdue", shown, [*keys, "hours_late"], labels=labels)

    def draw(c: Console) -> None:
        if not late:
            c.print("没有超时未响应的工单 no overdue tickets")
            return
        c.print(render.records_table(f"超时未响应工单 tickets overdue ({len(late):,})", shown, labels, keys=keys,
                                     style=lambda r: LATE))

    show(late, json_out, draw)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``cleanheat`` app."""
    app.add_typer(ticket_app, name="ticket")
