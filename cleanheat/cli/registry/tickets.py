"""``cleanheat ticket``: after-sales tickets and complaints (5-year service)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from cleanheat.cli.registry.common import (
    DB_URL,
    JSON_OUT,
    LATE,
    kv,
    local,
    parse_instant,
    records,
    session_scope,
)

if TYPE_CHECKING:
    pass


ticket_app = typer.Typer(help="After-sales tickets and complaints (5-year service).", no_args_is_help=True)


@ticket_app.command("open")
def ticket_open(household_id: str = typer.Argument(...),
                kind: str = typer.Option("service", "--kind", help="complaint | service"),
                category: str = typer.Option(..., "--category",
                                             help="quality | service | heating_effect | not_in_use | other"),
                description: str = typer.Option("", "--description"), actor: str = typer.Option(..., "--actor"),
                on: str | None = typer.Option(None, "--on", help="When the household raised it, in programme time: "
                                              "YYYY-MM-DD (09:00) or 'YYYY-MM-DD HH:MM'; default now."),
                json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Open an after-sales ticket or complaint on the household's accepted installation."""
    from cleanheat.registry.services import tickets

    opened_at = parse_instant(on, "--on")
    with session_scope(database_url) as session:
        t = tickets.open_ticket(session=session, household_id=household_id, kind=kind, category=category,
                                description=description, actor=actor, opened_at=opened_at)
        out = {"ticket": t.id, "stage": t.stage, "opened_at": t.opened_at.isoformat(),
               "respond_by": t.respond_by.isoformat()}
        shown = {**out, "opened_at": local(t.opened_at), "respond_by": local(t.respond_by)}
        kv(out if json_out else shown, json_out, "工单已创建 ticket opened")


@ticket_app.command("advance")
def ticket_advance(ticket_id: int = typer.Argument(...),
                   to: str = typer.Argument(..., help="assigned | responded | resolved | closed"),
                   note: str = typer.Option("", "--note"), actor: str = typer.Option(..., "--actor"),
                   json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Move a ticket to its next stage."""
    from cleanheat.registry.services import tickets

    with session_scope(database_url) as session:
        t = tickets.advance(session=session, ticket_id=ticket_id, to=to, actor=actor, note=note)
        kv({"ticket": t.id, "stage": t.stage, "overdue": t.overdue}, json_out, "工单已推进 ticket advanced")


@ticket_app.command("overdue")
def ticket_overdue(json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Tickets not responded to within the response-time limit."""
    from cleanheat.registry.services import tickets

    with session_scope(database_url, read_only=True) as session:
        late = tickets.overdue(session=session)
    if json_out:
        records(late, json_out, "")
        return
    shown = [{**r, "respond_by": r["respond_by_local"]} for r in late]
    records(shown, json_out, f"超时未响应工单 tickets overdue ({len(late):,})", style=lambda r: LATE,
            keys=["ticket", "household_id", "enterprise", "kind", "category", "stage", "respond_by", "days_late"])


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``cleanheat`` app."""
    app.add_typer(ticket_app, name="ticket")
