"""``cleanheat accept``, ``cleanheat void`` and ``cleanheat installation equipment|check``: acceptance (验收),
voiding and the equipment record of installations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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

installation_app = typer.Typer(help="安装 One installation: its equipment record and the check against the technical "
                                    "guide (附件2).", no_args_is_help=True)


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
           override_equipment: bool = typer.Option(
               False, "--override-equipment",
               help="强制验收 accept although the stored equipment record fails a mandatory requirement of the "
                    "technical guide (附件2); needs --why, recorded in the audit log."),
           actor: str = ACTOR, why: str = typer.Option("", "--why", metavar="TEXT",
                                                       help="原因 why, recorded in the audit log."),
           json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Record the acceptance inspection (验收) of an installation: passed (the subsidy becomes payable) or, with
    --heating-effect-not-reached, failed (验收不合格, audited; a later passed acceptance can follow). A passed
    acceptance is refused for an unregistered enterprise's installation, and for equipment that fails a mandatory
    requirement of the guide (附件2) unless --override-equipment --why TEXT."""
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
                                 note=note, override_equipment=override_equipment)
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


@installation_app.command("equipment")
def record_equipment(installation_id: int = typer.Argument(..., metavar="INSTALLATION_ID", help=INSTALLATION_HELP),
                     file: str = typer.Argument(..., metavar="FILE|-",
                                                help="JSON file with one equipment record (the fields of "
                                                     "`cleanheat check-equipment`; technology and area are the "
                                                     "installation's); '-' reads stdin."),
                     actor: str = ACTOR,
                     why: str = typer.Option("", "--why", metavar="TEXT", help="原因 why, recorded in the audit log."),
                     table: bool = typer.Option(False, "--table", help="Print the check as a table instead of JSON."),
                     database_url: str | None = DB_URL) -> None:
    """Record the equipment of an installation (replacing the current record; audited) and print its check
    against the technical guide (附件2), which a passed acceptance then uses."""
    from cleanheat.cli.io import read_json_records
    from cleanheat.errors import InputError
    from cleanheat.registry.services import equipment

    records, was_list = read_json_records(file)
    if was_list and len(records) != 1:
        raise InputError(f"one equipment record per installation, got a list of {len(records)}", record=file)
    with session_scope(database_url) as session:
        out = equipment.record_equipment(session, installation_id, records[0], actor, why)
    _print(out, table)


@installation_app.command("check")
def check_installation(installation_id: int = typer.Argument(..., metavar="INSTALLATION_ID", help=INSTALLATION_HELP),
                       table: bool = typer.Option(False, "--table", help="Print a table instead of JSON."),
                       database_url: str | None = DB_URL) -> None:
    """The check of an installation's stored equipment record against the technical guide (附件2): per
    requirement pass / fail / not shown with its clause, and the verdict (no_record without a record)."""
    from cleanheat.registry.services import equipment

    with session_scope(database_url, read_only=True) as session:
        out = equipment.equipment_check(session, installation_id)
    _print(out, table)


def _print(out: dict[str, Any], table: bool) -> None:
    from cleanheat.cli.engineering import _print_checks
    from cleanheat.cli.io import write_json

    if table and out.get("recorded"):
        _print_checks([{"equipment_id": f"安装 installation {out['installation_id']}", **out}])
    elif table:
        typer.echo(f"{out['note']} — {out['note_en']}")
    else:
        write_json(out)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``cleanheat`` app."""
    app.command("accept")(accept)
    app.command("void")(void_installation)
    app.add_typer(installation_app, name="installation")
