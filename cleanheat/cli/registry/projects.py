"""``cleanheat project``: Beijing heat-pump projects — funding decision, approval steps, zone targets."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from cleanheat.cli import render
from cleanheat.cli.registry.common import (
    DB_URL,
    JSON_OUT,
    LABELS,
    LATE,
    kv,
    parse_date,
    session_scope,
    show,
)

if TYPE_CHECKING:
    pass


project_app = typer.Typer(help="Beijing heat-pump projects: funding decision, approval steps, zone targets.",
                          no_args_is_help=True)


@project_app.command("add")
def project_add(file: str = typer.Argument(..., help="JSON project record(s) as `funding beijing` takes, or -."),
                actor: str = typer.Option(..., "--actor"), json_out: bool = JSON_OUT,
                database_url: str | None = DB_URL) -> None:
    """Decide and record Beijing projects (rules engine), with their approval steps and obligations."""
    from cleanheat.cli.io import read_json_records
    from cleanheat.registry.services import beijing

    records, _ = read_json_records(file)
    with session_scope(database_url) as session:
        n = beijing.record_projects(session=session, records=records, actor=actor)
        beijing.ensure_zone_targets(session=session)
        kv({"recorded": n}, json_out, "北京项目已记录 Beijing projects recorded")


@project_app.command("list")
def project_list(zone: str | None = typer.Option(None, "--zone"), json_out: bool = JSON_OUT,
                 database_url: str | None = DB_URL) -> None:
    """Recorded Beijing projects."""
    from cleanheat.registry.services import beijing

    with session_scope(database_url, read_only=True) as session:
        projects = beijing.list_projects(session=session, zone=zone)
    shown = [{**p, "approval_steps": " ".join(f"{s['seq']}:{s['status']}" for s in p["approval_steps"]),
              "obligations": len(p["obligations"])} for p in projects]
    show(projects, json_out, lambda c: c.print(render.records_table(
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

    with session_scope(database_url) as session:
        decided = beijing.decide_step(session=session, project_id=project_id, seq=step, approved=not refuse,
                                      on=parse_date(on, "--on"), actor=actor, why=why)
    kv(decided, json_out, "审批步骤已决定 approval step decided")


@project_app.command("zones")
def project_zones(json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Zone targets (new heat-pump area by 2022) against the area of recorded projects."""
    from cleanheat.registry.services import beijing

    with session_scope(database_url) as session:
        beijing.ensure_zone_targets(session=session)
        zones = beijing.zone_progress(session=session)
    shown = [{**z, "share": f"{z['recorded_m2'] / z['target_m2']:.0%}" if z.get("target_m2") else "—"} for z in zones]
    show(zones, json_out, lambda c: c.print(render.records_table(
        "重点区域热泵供暖目标 zone targets", shown, {**LABELS, "share": "完成率 share"},
        style=lambda r: LATE if r["recorded_m2"] < r["target_m2"] else None)))


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``cleanheat`` app."""
    app.add_typer(project_app, name="project")
