"""``cleanheat project``: Beijing heat-pump projects — funding decision, approval steps, zone targets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from cleanheat.cli import render
from cleanheat.cli.registry.common import (
    ACTOR,
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
    from rich.console import Console


project_app = typer.Typer(help="北京热泵项目 Beijing heat-pump projects: funding decision, approval steps, zone "
                               "targets (京热泵实施意见(2019)).", no_args_is_help=True)


def _names() -> dict[str, dict[str, str]]:
    from cleanheat.registry.services import beijing

    return {"zone": beijing.ZONE_NAMES, "source": beijing.SOURCE_NAMES, "kind": beijing.KIND_NAMES,
            "status": beijing.PROJECT_STATUS_NAMES}


def _chinese(code: str, names: dict[str, str]) -> str:
    """``平原新城 plain_new_towns``: the Chinese name beside the code."""
    return f"{names[code]} {code}" if code in names else code


PROJECT_KEYS = ["project_id", "zone", "source", "kind", "heated_area_m2", "status", "support_ratio",
                "eligible_investment_cny", "support_cny", "approval_steps", "obligations"]


def _shown(p: dict[str, Any]) -> dict[str, Any]:
    from cleanheat.registry.services.beijing import STEP_STATUS_NAMES

    names = _names()
    return {**p, **{k: _chinese(str(p[k]), names[k]) for k in ("zone", "source", "kind", "status")},
            "approval_steps": " ".join(f"{s['seq']}:{STEP_STATUS_NAMES.get(s['status'], s['status'])}"
                                       for s in p["approval_steps"]) or "—",
            "obligations": len(p["obligations"])}


@project_app.command("add")
def project_add(file: str = typer.Argument(..., metavar="FILE",
                                           help="JSON project record(s) as `funding beijing` takes, or - for stdin."),
                actor: str = ACTOR, json_out: bool = JSON_OUT,
                database_url: str | None = DB_URL) -> None:
    """Decide and record Beijing projects (rules engine, 京热泵实施意见(2019)), with their approval steps and
    obligations; prints the support decided for each."""
    from cleanheat.cli.io import read_json_records
    from cleanheat.registry.services import beijing

    records, _ = read_json_records(file)
    ids = [str(r.get("project_id")) for r in records]
    with session_scope(database_url) as session:
        n = beijing.record_projects(session=session, records=records, actor=actor)
        beijing.ensure_zone_targets(session=session)
        decided = [p for p in beijing.list_projects(session=session) if p["project_id"] in ids]
    if json_out:
        kv({"recorded": n}, json_out, "北京项目已记录 Beijing projects recorded")
        return
    c = render.console()
    c.print(render.kv_table("北京项目已记录 Beijing projects recorded", {"recorded": n}, LABELS))
    c.print(render.records_table("资金支持决定 support decided", [_shown(p) for p in decided], PROJECT_LABELS,
                                 keys=PROJECT_KEYS, style=lambda r: LATE if r["status"].endswith("refused") else None))


PROJECT_LABELS = {**LABELS, "obligations": "义务项 obligations", "status": "项目状态 status"}


@project_app.command("list")
def project_list(zone: str | None = typer.Option(None, "--zone", metavar="ZONE",
                                                 help="Only this zone, by code or Chinese name (e.g. plain_new_towns "
                                                      "or 平原新城); `cleanheat project zones` lists them."),
                 json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Recorded Beijing projects with zone, heat source, kind, status, support and approval steps."""
    from cleanheat.registry.services import beijing

    code = beijing.zone_code(zone) if zone is not None else None
    with session_scope(database_url, read_only=True) as session:
        projects = beijing.list_projects(session=session, zone=code)

    def draw(c: Console) -> None:
        if not projects:
            where = f"（{_chinese(code, beijing.ZONE_NAMES)}）" if code else ""
            c.print(f"没有已记录的北京项目{where} no Beijing projects recorded" + (f" in {code}" if code else ""))
            return
        c.print(render.records_table(f"北京热泵项目 Beijing heat-pump projects ({len(projects):,})",
                                     [_shown(p) for p in projects], PROJECT_LABELS, keys=PROJECT_KEYS,
                                     style=lambda r: LATE if r["status"].endswith("refused") else None))

    show(projects, json_out, draw)


@project_app.command("approve")
def project_approve(project_id: str = typer.Argument(..., metavar="PROJECT_ID", help="项目编号 project id."),
                    step: int = typer.Option(..., "--step", metavar="N",
                                             help="审批步骤 the approval step number (1, 2 …; in order)."),
                    refuse: bool = typer.Option(False, "--refuse", help="Record a refusal instead of an approval."),
                    on: str | None = typer.Option(None, "--on", metavar="YYYY-MM-DD",
                                                  help="决定日期 decision date (default: today, programme time zone)."),
                    actor: str = ACTOR,
                    why: str = typer.Option("", "--why", metavar="TEXT",
                                            help="原因 reason, recorded in the audit log."),
                    json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Record the authority's decision on an approval step (steps in order)."""
    from cleanheat.registry.services import beijing

    with session_scope(database_url) as session:
        decided = beijing.decide_step(session=session, project_id=project_id, seq=step, approved=not refuse,
                                      on=parse_date(on, "--on"), actor=actor, why=why)
    kv(decided, json_out, "审批步骤已决定 approval step decided", shown={
        **decided, "status": _chinese(decided["status"], beijing.STEP_STATUS_NAMES),
        "project_status": _chinese(decided["project_status"], beijing.PROJECT_STATUS_NAMES)})


@project_app.command("zones")
def project_zones(json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Zone targets (new heat-pump area by 2022, 京热泵实施意见(2019) 三) against the area of recorded projects."""
    from cleanheat.registry.services import beijing

    with session_scope(database_url, read_only=True) as session:
        zones = beijing.zone_progress(session=session)
    shown = [{**z, "zone": _chinese(z["zone"], beijing.ZONE_NAMES),
              "share": f"{z['recorded_m2'] / z['target_m2']:.0%}" if z.get("target_m2") else "—"} for z in zones]
    show(zones, json_out, lambda c: c.print(render.records_table(
        "重点区域热泵供暖目标 zone targets", shown, {**LABELS, "share": "完成率 share"}, numbers=("share",),
        style=lambda r: LATE if r["recorded_m2"] < r["target_m2"] else None)))


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``cleanheat`` app."""
    app.add_typer(project_app, name="project")
