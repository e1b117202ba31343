"""Beijing heat-pump projects: the funding decision of the rules engine, approval steps, obligations and
zone targets (京热泵实施意见(2019) 二, 三, 四, 五; SPEC §5)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from cleanheat.errors import Conflict
from cleanheat.registry import audit
from cleanheat.registry.models import BeijingApprovalStep, BeijingObligation, BeijingProject, BeijingZoneTarget

__all__ = ["KIND_NAMES", "PROJECT_STATUS_NAMES", "SOURCE_NAMES", "STEP_STATUS_NAMES", "ZONE_NAMES", "decide_step",
           "ensure_zone_targets", "list_projects", "record_projects", "zone_progress", "zone_code", "zone_targets"]

ZONE_NAMES = {
    "city_sub_center": "北京城市副中心", "daxing_airport": "大兴国际机场及临空经济区", "expo_2019": "2019年北京世园会",
    "huairou_science_city": "怀柔科学城", "future_science_city": "未来科学城",
    "zhongguancun_etdz": "中关村科学城和北京经济技术开发区", "plain_new_towns": "平原新城",
    "ecological_conservation": "生态涵养区",
}
"""Key zones of 京热泵实施意见(2019) 三(一)–(四), by code."""
SOURCE_NAMES = {"shallow_ground": "浅层地源", "reclaimed_water": "再生水源", "sewage": "污水源", "waste_heat": "余热",
                "deep_geothermal": "中深层地热"}
KIND_NAMES = {"new_build": "新建", "expansion": "改扩建", "coal_boiler_retrofit": "燃煤锅炉改造",
              "oil_boiler_retrofit": "燃油锅炉改造", "rural_whole_village_coal": "村镇整村煤改",
              "urban_community_coal": "城镇社区煤改"}
PROJECT_STATUS_NAMES = {"funded": "获资金支持", "self_funded": "自筹资金", "refused": "不予支持", "approved": "已批复"}
STEP_STATUS_NAMES = {"pending": "待审批", "approved": "已批准", "refused": "未批准"}


def _status(d: Mapping[str, Any], rec: Mapping[str, Any]) -> str:
    if not d["eligible"]:
        return "refused"
    if rec.get("self_funded") or not d["support_cny"]:
        return "self_funded"
    return "funded"


def record_projects(
    *, session: Session, records: Sequence[Mapping[str, Any]], actor: str, audit_each: bool = True
) -> int:
    """Decide and record Beijing projects (SPEC §7 ``funding beijing`` input); returns how many.

    Raises
    ------
    InputError
        A bad record (from the rules engine, naming record and field).
    Conflict
        A project id already recorded.
    """
    from cleanheat.policy.decide import decide_beijing

    if not records:
        return 0
    decisions = decide_beijing(records, trace=True)
    ids = [str(r["project_id"]) for r in records]
    clash = session.execute(select(BeijingProject.project_id).where(BeijingProject.project_id.in_(ids))).scalars()
    taken = list(clash)
    if taken:
        raise Conflict(f"Beijing project {taken[0]} is already recorded")
    rows = []
    for rec, d in zip(records, decisions, strict=True):
        rows.append({
            "project_id": str(rec["project_id"]), "name": str(rec.get("name") or f"热泵项目 {rec['project_id']}"),
            "zone": rec["zone"], "source": rec["source"], "kind": rec["kind"],
            "heated_area_m2": float(rec["heated_area_m2"]), "applied_on": dt.date.fromisoformat(str(rec["applied_on"])),
            "inputs": dict(rec), "eligible": bool(d["eligible"]), "support_ratio": float(d["support_ratio"]),
            "eligible_investment_cny": int(d["eligible_investment_cny"]), "support_cny": int(d["support_cny"]),
            "decision": d, "status": _status(d, rec),
        })
    res = session.execute(insert(BeijingProject).returning(BeijingProject.id, sort_by_parameter_order=True), rows)
    pks = list(res.scalars())
    steps, obligations = [], []
    for pk, d in zip(pks, decisions, strict=True):
        appr = d.get("approval") or {}
        seq = 0
        if appr.get("project_approved_by"):
            seq += 1
            steps.append({"project_id": pk, "seq": seq, "step": appr.get("project_document") or "approval",
                          "authority": appr["project_approved_by"], "status": "pending", "decided_on": None})
        if appr.get("fund_report_approved_by"):
            seq += 1
            steps.append({"project_id": pk, "seq": seq, "step": "fund_application_report",
                          "authority": appr["fund_report_approved_by"], "status": "pending", "decided_on": None})
        for ob in d.get("obligations") or []:
            obligations.append({"project_id": pk, "code": ob["obligation"], "detail": ob.get("detail", ""),
                                "status": "open"})
    if steps:
        session.execute(insert(BeijingApprovalStep), steps)
    if obligations:
        session.execute(insert(BeijingObligation), obligations)
    if audit_each:
        audit.record_many(session, [
            audit.AuditRecord(actor=actor, action="beijing.project.decided", resource=f"beijing/{r['project_id']}",
                              data={"status": r["status"], "support_cny": r["support_cny"]})
            for r in rows
        ])
    else:
        audit.record(session, actor=actor, action="beijing.projects.recorded", resource="programme/beijing",
                     data={"projects": len(rows), "support_cny": sum(r["support_cny"] for r in rows)})
    return len(rows)


def zone_targets() -> list[dict[str, Any]]:
    """Zone targets from the dated parameter ``beijing.targets.zone_new_area_m2`` (by 2022; 世园会 by 2019)."""
    from cleanheat.policy.engine import default_tree

    targets = default_tree()["beijing.targets.zone_new_area_m2"].at(dt.date(2019, 6, 1)) or {}
    return [{"zone": z, "by_year": 2019 if z == "expo_2019" else 2022, "target_m2": float(v)}
            for z, v in targets.items()]


def ensure_zone_targets(*, session: Session) -> None:
    """Store the zone targets (:func:`zone_targets`) if none are stored; called when projects are recorded."""
    if session.execute(select(BeijingZoneTarget.id).limit(1)).first():
        return
    session.execute(insert(BeijingZoneTarget), zone_targets())


def zone_progress(*, session: Session) -> list[dict[str, Any]]:
    """Per zone: target and heated area of funded or self-funded projects recorded (read only).

    The stored targets when there are any, else those of the dated parameter (nothing is written).
    """
    done = dict(session.execute(
        select(BeijingProject.zone, func.sum(BeijingProject.heated_area_m2))
        .where(BeijingProject.status != "refused").group_by(BeijingProject.zone)
    ).all())
    stored: list[dict[str, Any]] = [
        {"zone": t.zone, "by_year": t.by_year, "target_m2": t.target_m2}
        for t in session.execute(select(BeijingZoneTarget).order_by(BeijingZoneTarget.id)).scalars()]
    return [{**t, "recorded_m2": float(done.get(t["zone"]) or 0.0)} for t in (stored or zone_targets())]


def zone_code(value: str) -> str:
    """A zone's code from its code, its Chinese name or an unambiguous part of it (城市副中心).

    Raises
    ------
    InputError
        Unknown zone; the zones are listed with their Chinese names.
    """
    from cleanheat.errors import InputError

    v = value.strip()
    if v in ZONE_NAMES:
        return v
    for code, name in ZONE_NAMES.items():
        if v == name:
            return code
    partial = [code for code, name in ZONE_NAMES.items() if len(v) >= 2 and v in name]
    if len(partial) == 1:  # 城市副中心 for 北京城市副中心
        return partial[0]
    known = "、".join(f"{name}（{code}）" for code, name in ZONE_NAMES.items())
    raise InputError(f"unknown zone {value!r}; one of {known}", field="--zone")


def list_projects(*, session: Session, zone: str | None = None) -> list[dict[str, Any]]:
    """Recorded projects with their decision summary, approval steps and obligations."""
    stmt = select(BeijingProject).order_by(BeijingProject.project_id)
    if zone is not None:
        stmt = stmt.where(BeijingProject.zone == zone)
    projects = list(session.execute(stmt).scalars())
    steps: dict[int, list[dict[str, Any]]] = {}
    for st in session.execute(select(BeijingApprovalStep).order_by(BeijingApprovalStep.project_id,
                                                                   BeijingApprovalStep.seq)).scalars():
        steps.setdefault(st.project_id, []).append({
            "seq": st.seq, "step": st.step, "authority": st.authority, "status": st.status,
            "decided_on": st.decided_on.isoformat() if st.decided_on else None})
    obligations: dict[int, list[str]] = {}
    for ob in session.execute(select(BeijingObligation)).scalars():
        obligations.setdefault(ob.project_id, []).append(ob.code)
    return [{
        "project_id": p.project_id, "zone": p.zone, "source": p.source, "kind": p.kind,
        "heated_area_m2": p.heated_area_m2, "status": p.status, "support_ratio": p.support_ratio,
        "eligible_investment_cny": p.eligible_investment_cny, "support_cny": p.support_cny,
        "approval_steps": steps.get(p.id, []), "obligations": obligations.get(p.id, []),
    } for p in projects]


def decide_step(*, session: Session, project_id: str, seq: int, approved: bool, on: dt.date, actor: str,
                why: str = "") -> dict[str, Any]:
    """Record the authority's decision on one approval step (in order; audited)."""
    from cleanheat.errors import NotFound

    p = session.execute(select(BeijingProject).where(BeijingProject.project_id == project_id)).scalar_one_or_none()
    if p is None:
        raise NotFound(f"no Beijing project {project_id!r}")
    steps = list(session.execute(select(BeijingApprovalStep).where(BeijingApprovalStep.project_id == p.id)
                                 .order_by(BeijingApprovalStep.seq)).scalars())
    step = next((s for s in steps if s.seq == seq), None)
    if step is None:
        raise NotFound(f"project {project_id} has no approval step {seq}")
    if step.status != "pending":
        raise Conflict(f"project {project_id} step {seq} ({step.step}) is already {step.status}")
    before = [s for s in steps if s.seq < seq and s.status != "approved"]
    if before:
        raise Conflict(f"project {project_id}: step {before[0].seq} ({before[0].step}) must be approved first")
    step.status, step.decided_on = ("approved" if approved else "refused"), on
    if not approved:
        p.status = "refused"
    elif all(s.status == "approved" for s in steps) and p.status == "funded":
        p.status = "approved"
    audit.record(session, actor=actor, action=f"beijing.step.{step.status}", resource=f"beijing/{project_id}",
                 why=why, data={"seq": seq, "step": step.step, "authority": step.authority, "on": on.isoformat()})
    session.flush()
    return {"project_id": project_id, "seq": seq, "step": step.step, "status": step.status,
            "project_status": p.status}
