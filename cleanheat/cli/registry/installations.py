"""``cleanheat accept`` and ``cleanheat void``: acceptance (验收) and voiding of installations."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from cleanheat.cli.registry.common import (
    DB_URL,
    JSON_OUT,
    kv,
    parse_date,
    session_scope,
)

if TYPE_CHECKING:
    pass


def accept(installation_id: int = typer.Argument(..., help="Installation id."),
           on: str | None = typer.Option(None, "--on", help="Acceptance date (default today)."),
           inspector: list[str] = typer.Option(["县住建局", "乡镇"], "--inspector", help="Inspecting body (repeat)."),
           heating_effect_reached: bool = typer.Option(True, "--heating-effect-reached/--heating-effect-not-reached"),
           actor: str = typer.Option(..., "--actor"), json_out: bool = JSON_OUT,
           database_url: str | None = DB_URL) -> None:
    """Record acceptance (验收) of an installation; refused for an unregistered enterprise's installation."""
    from cleanheat.registry.services import installations

    with session_scope(database_url) as session:
        a = installations.accept(session=session, installation_id=installation_id, accepted_on=parse_date(on, "--on"),
                                 actor=actor, heating_effect_reached=heating_effect_reached, inspectors=inspector)
        kv({"installation_id": a.installation_id, "accepted_on": a.accepted_on.isoformat()}, json_out,
            "已验收 installation accepted")


def void_installation(installation_id: int = typer.Argument(..., help="Installation id."),
                      actor: str = typer.Option(..., "--actor"), why: str = typer.Option(..., "--why"),
                      json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Void an installation recorded in error (not once paid); audited."""
    from cleanheat.registry.services import installations

    with session_scope(database_url) as session:
        inst = installations.void(session=session, installation_id=installation_id, actor=actor, why=why)
        kv({"installation_id": inst.id, "void": inst.void}, json_out, "安装记录已作废 installation voided")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``cleanheat`` app."""
    app.command("accept")(accept)
    app.command("void")(void_installation)
