"""Beijing heat-pump projects as the web pages show them: a filtered page of projects, and one project whole.

Read only. The decision is the one the rules engine gave when the project was recorded
(:func:`cleanheat.registry.services.beijing.record_projects` stores ``decide_beijing``'s output
with its parameter trace); the steps and obligations are those stored beside it; the history is
the project's audit entries (who decided each step, when, why). Changes go through
:func:`cleanheat.registry.services.beijing.decide_step`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cleanheat.errors import InputError, NotFound
from cleanheat.registry.audit import event_envelope
from cleanheat.registry.models import AuditEvent, BeijingApprovalStep, BeijingObligation, BeijingProject

__all__ = ["MAX_PER_PAGE", "PROJECT_STATUSES", "ProjectPage", "project", "projects_page"]

MAX_PER_PAGE = 200
PROJECT_STATUSES = ("funded", "approved", "self_funded", "refused")
"""The statuses a project has (:data:`cleanheat.registry.services.beijing.PROJECT_STATUS_NAMES`)."""


@dataclass(frozen=True)
class ProjectPage:
    """One page of projects (by project id) and how many match in all."""

    total: int
    page: int
    per_page: int
    projects: list[dict[str, Any]]

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "page": self.page, "per_page": self.per_page, "pages": self.pages,
                "projects": self.projects}


def _steps(session: Session, pks: list[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {pk: [] for pk in pks}
    if not pks:
        return out
    rows = session.execute(select(BeijingApprovalStep).where(BeijingApprovalStep.project_id.in_(pks))
                           .order_by(BeijingApprovalStep.project_id, BeijingApprovalStep.seq)).scalars()
    for st in rows:
        out[st.project_id].append({"seq": st.seq, "step": st.step, "authority": st.authority, "status": st.status,
                                   "decided_on": st.decided_on.isoformat() if st.decided_on else None})
    return out


def _with_next(steps: list[dict[str, Any]], project_status: str) -> list[dict[str, Any]]:
    """Mark the one step that can be decided now: the first pending one, all before it approved."""
    nxt = None
    if project_status != "refused":
        for s in steps:
            if s["status"] == "pending":
                nxt = s["seq"]
                break
            if s["status"] != "approved":
                break
    return [{**s, "next": s["seq"] == nxt} for s in steps]


def projects_page(session: Session, *, zone: str | None = None, status: str | None = None, q: str | None = None,
                  page: int = 1, per_page: int = 50) -> ProjectPage:
    """Projects matching the filters, by project id, one page of them with their approval steps.

    Parameters
    ----------
    zone : str, optional
        A zone code (``plain_new_towns``).
    status : str, optional
        One of :data:`PROJECT_STATUSES`.
    q : str, optional
        Part of the project id or name.
    page, per_page : int
        Which page (1-based) and its size (1 – :data:`MAX_PER_PAGE`).

    Raises
    ------
    InputError
        An unknown status, or a page or page size out of range.
    """
    if status and status not in PROJECT_STATUSES:
        raise InputError(f"unknown status {status!r}; one of {', '.join(PROJECT_STATUSES)}", field="status")
    if page < 1:
        raise InputError(f"must be at least 1, got {page}", field="page")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InputError(f"must be 1–{MAX_PER_PAGE}, got {per_page}", field="per_page")
    conds = []
    if zone:
        conds.append(BeijingProject.zone == zone)
    if status:
        conds.append(BeijingProject.status == status)
    if q and q.strip():
        like = f"%{q.strip()}%"
        conds.append(BeijingProject.project_id.like(like) | BeijingProject.name.like(like))
    total = int(session.execute(select(func.count()).select_from(BeijingProject).where(*conds)).scalar_one())
    rows = list(session.execute(select(BeijingProject).where(*conds).order_by(BeijingProject.project_id)
                                .limit(per_page).offset((page - 1) * per_page)).scalars())
    steps = _steps(session, [p.id for p in rows])
    projects = [{
        "project_id": p.project_id, "name": p.name, "zone": p.zone, "source": p.source, "kind": p.kind,
        "heated_area_m2": p.heated_area_m2, "applied_on": p.applied_on.isoformat(), "status": p.status,
        "eligible": p.eligible, "support_ratio": p.support_ratio, "eligible_investment_cny": p.eligible_investment_cny,
        "support_cny": p.support_cny, "approval_steps": _with_next(steps[p.id], p.status),
    } for p in rows]
    return ProjectPage(total=total, page=page, per_page=per_page, projects=projects)


def project(session: Session, *, project_id: str) -> dict[str, Any]:
    """One project: its inputs, the stored funding decision (reasons, approval route, obligations), its
    approval steps (``next`` marks the one that can be decided now), obligations and audit history.

    Raises
    ------
    NotFound
        No project of that id.
    """
    p = session.execute(select(BeijingProject).where(BeijingProject.project_id == project_id)).scalar_one_or_none()
    if p is None:
        raise NotFound(f"no Beijing project {project_id!r}")
    steps = _steps(session, [p.id])[p.id]
    obligations = [{"code": o.code, "detail": o.detail, "status": o.status} for o in session.execute(
        select(BeijingObligation).where(BeijingObligation.project_id == p.id).order_by(BeijingObligation.id)).scalars()]
    history = [event_envelope(e) for e in session.execute(
        select(AuditEvent).where(AuditEvent.subject == f"beijing/{p.project_id}").order_by(AuditEvent.seq)).scalars()]
    return {
        "project_id": p.project_id, "name": p.name, "zone": p.zone, "source": p.source, "kind": p.kind,
        "heated_area_m2": p.heated_area_m2, "applied_on": p.applied_on.isoformat(), "status": p.status,
        "eligible": p.eligible, "support_ratio": p.support_ratio, "eligible_investment_cny": p.eligible_investment_cny,
        "support_cny": p.support_cny, "inputs": dict(p.inputs or {}), "decision": dict(p.decision or {}),
        "approval_steps": _with_next(steps, p.status), "obligations": obligations, "history": history,
    }
