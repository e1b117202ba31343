"""``cleanheat accept`` and ``cleanheat void``: acceptance (验收) and voiding of installations."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from cleanheat.cli.registry.common import (
    ACTOR,
    DB_URL,
    JSON_OUT,
    kv,
    session_scope,
)

if TYPE_CHECKING:
    pass


INSTALLATION_HELP = ("安装编号 installation id: `cleanheat ledger search NAME|ID` and `cleanheat household show "
                     "HOUSEHOLD_ID` show it.")


def accept(installation_id: int = typer.Argument(..., metavar="INSTALLATION_ID", help=INSTALLATION_HELP),
           on: str | None = typer.Option(None, "--on", metavar="YYYY-MM-DD",
                                         help="验收日期 inspection date (default: today, programme time zone)."),
           inspector: list[str] = typer.Option(["县住建局", "乡镇"], "--inspector", metavar="BODY",
                                               help="验收单位 inspecting body (repeat the option for each)."),
           heating_effect_reached: bool = typer.Option(
               True, "--heating-effect-reached/--heating-effect-not-reached",
               help="供暖效果是否达标 whether the heating effect is reached; not reached records a failed inspection "
                    "(验收不合格) and the installation stays unpaid."),
           note: str = typer.Option("", "--note", metavar="TEXT",
                                    help="检查情况 what the inspectors found (kept with a failed inspection)."),
           actor: str = ACTOR, why: str = typer.Option("", "--why", metavar="TEXT",
                                                       help="原因 why, recorded in the audit log."),
           json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Record the acceptance inspection (验收) of an installation: passed (the subsidy becomes payable) or, with
    --heating-effect-not-reached, failed (验收不合格, audited; a later passed acceptance can follow). A passed
    acceptance is refused for an unregistered enterprise's installation."""
    import datetime as dt

    from cleanheat.errors import InputError
    from cleanheat.registry.models import Acceptance
    from cleanheat.registry.services import installations

    day = None
    if on is not None:
        try:
            day = dt.date.fromisoformat(on)
        except ValueError:
            raise InputError(f"expected YYYY-MM-DD, got {on!r}", field="--on") from None
    with session_scope(database_url) as session:
        a = installations.accept(session=session, installation_id=installation_id, accepted_on=day, actor=actor,
                                 heating_effect_reached=heating_effect_reached, inspectors=inspector, why=why,
                                 note=note)
        if isinstance(a, Acceptance):
            kv({"installation_id": a.installation_id, "accepted_on": a.accepted_on.isoformat(), "result": "passed"},
               json_out, "已验收 installation accepted")
        else:
            kv({"installation_id": a.installation_id, "inspected_on": a.inspected_on.isoformat(), "result": "failed",
                "failed_inspection_id": a.id, "note": a.note}, json_out,
               "[bold yellow]验收不合格，已记录 failed inspection recorded[/] (不予补贴，可再次验收 not payable; "
               "a later acceptance can follow)")


def void_installation(installation_id: int = typer.Argument(..., metavar="INSTALLATION_ID", help=INSTALLATION_HELP),
                      actor: str = ACTOR,
                      why: str = typer.Option(..., "--why", metavar="TEXT",
                                              help="原因 why it is void, recorded in the audit log (required)."),
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
