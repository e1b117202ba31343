"""One enterprise as the programme office reads it: registration history, assessments against the
revocation rule, its installations page by page (read only).

The figures come from the stored half-year assessments (:mod:`cleanheat.registry.services.assessments`,
盐政办发〔2022〕8号 八(三)); each is shown with the thresholds in force on the last day of its half and
which criterion it breaks (:func:`~cleanheat.registry.services.assessments.breaches`). Installations are
paged in the database (LIMIT/OFFSET), never loaded whole.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from cleanheat.errors import InputError
from cleanheat.registry.models import (
    Acceptance,
    Enterprise,
    EnterpriseAssessment,
    EnterpriseStatus,
    Household,
    Installation,
    Payment,
    Ticket,
    Township,
    Village,
)
from cleanheat.registry.services import assessments
from cleanheat.registry.services.enterprises import TRANSITIONS, get_enterprise
from cleanheat.registry.services.payments import standing

__all__ = ["assessment_halves", "enterprise_installations", "enterprise_summary", "figures_with_rule",
           "stored_assessments"]


def enterprise_summary(*, session: Session, code: str) -> dict[str, Any]:
    """An enterprise's head: code, name, status, the next states allowed, registered since, counts and history.

    Counts as :func:`cleanheat.registry.services.enterprises.list_enterprises` gives them (live
    installations, accepted, paid, complaints, open tickets), for this enterprise only.

    Raises
    ------
    NotFound
        No enterprise ``code``.
    """
    e = get_enterprise(session=session, code=code)
    live = and_(Installation.enterprise_id == e.id, Installation.void.is_(False))

    def count(stmt: Any) -> int:
        return int(session.execute(stmt).scalar_one())

    installed = count(select(func.count()).select_from(Installation).where(live))
    accepted = count(select(func.count()).select_from(Installation)
                     .join(Acceptance, Acceptance.installation_id == Installation.id).where(live))
    paid = count(select(func.count()).select_from(Installation)
                 .join(Payment, Payment.installation_id == Installation.id).where(live))
    complaints = count(select(func.count()).select_from(Ticket)
                       .where(Ticket.enterprise_id == e.id, Ticket.kind == "complaint"))
    open_tickets = count(select(func.count()).select_from(Ticket)
                         .where(Ticket.enterprise_id == e.id, Ticket.stage.not_in(("resolved", "closed"))))
    history = [{"status": h.status, "effective_on": h.effective_on.isoformat(), "actor": h.actor, "why": h.why}
               for h in session.execute(select(EnterpriseStatus).where(EnterpriseStatus.enterprise_id == e.id)
                                        .order_by(EnterpriseStatus.effective_on, EnterpriseStatus.id)).scalars()]
    since = None
    if e.status == "registered":
        since = [h["effective_on"] for h in history if h["status"] == "registered"][-1]
    return {"code": e.code, "name": e.name, "status": e.status, "next_states": list(TRANSITIONS[e.status]),
            "registered_since": since, "installations": installed, "accepted": accepted, "paid": paid,
            "complaints": complaints, "open_tickets": open_tickets, "history": history}


def figures_with_rule(row: dict[str, Any]) -> dict[str, Any]:
    """An assessment row (as :func:`~cleanheat.registry.services.assessments.assess` gives it) with the rule:
    ``limits`` (the thresholds in force on the half's last day), ``breaches`` (figure → breaks it)
    and ``clause``."""
    _start, end = assessments.parse_half(str(row["half"]))
    limits = assessments.thresholds(end)
    figures = {k: float(row[k]) for k in assessments.CRITERIA}
    return {**row, "limits": limits, "breaches": assessments.breaches(figures, limits),
            "clause": assessments.CLAUSE}


def stored_assessments(*, session: Session, code: str | None = None, half: str | None = None
                       ) -> list[dict[str, Any]]:
    """The stored half-year assessments (newest half first, then by enterprise), with the rule's figures.

    Each row has the fields of :func:`~cleanheat.registry.services.assessments.assess` (``enterprise``,
    ``name``, ``half``, ``installations``, ``usage_rate``, ``product_quality``, ``heating_effect``,
    ``service``, ``complaints``, ``complaints_per_100``, ``outcome``, ``why``) plus those of
    :func:`figures_with_rule`. ``complaints_per_100`` is recomputed as the assessment computes it.

    Raises
    ------
    NotFound
        An unknown enterprise ``code``.
    InputError
        ``half`` is not ``YYYY-H1`` / ``YYYY-H2``.
    """
    stmt = (select(EnterpriseAssessment, Enterprise.code, Enterprise.name)
            .join(Enterprise, Enterprise.id == EnterpriseAssessment.enterprise_id)
            .order_by(EnterpriseAssessment.half.desc(), Enterprise.code))
    if code is not None:
        stmt = stmt.where(EnterpriseAssessment.enterprise_id == get_enterprise(session=session, code=code).id)
    if half is not None:
        assessments.parse_half(half)
        stmt = stmt.where(EnterpriseAssessment.half == half.upper())
    out = []
    for a, ecode, name in session.execute(stmt):
        n = int(a.installations)
        details = a.details or {}
        out.append(figures_with_rule({
            "enterprise": ecode, "name": name, "half": a.half, "installations": n, "usage_rate": a.usage_rate,
            "product_quality": a.product_quality, "heating_effect": a.heating_effect,
            "service": float(details.get("service", 1.0)), "complaints": int(a.complaints),
            "complaints_per_100": round(100 * a.complaints / n, 2) if n else 0.0, "outcome": a.outcome,
            "why": list(details.get("why", []))}))
    return out


def assessment_halves(*, session: Session, today: dt.date) -> list[str]:
    """The half-years one may assess: from the first enterprise application's half to the last half ended by
    ``today``, newest first (``2023-H2``, ``2023-H1``, …)."""
    first = session.execute(select(func.min(EnterpriseStatus.effective_on))).scalar_one()
    if first is None:
        return []
    halves = []
    year, h = first.year, 1 if first.month <= 6 else 2
    while True:
        _s, end = assessments.parse_half(f"{year}-H{h}")
        if end >= today:
            break
        halves.append(f"{year}-H{h}")
        year, h = (year, 2) if h == 1 else (year + 1, 1)
    return halves[::-1]


def enterprise_installations(*, session: Session, code: str, page: int = 1, per_page: int = 50
                             ) -> dict[str, Any]:
    """One page of an enterprise's live installations, newest first: ``rows`` (installation id, household id,
    township, village, method, installed on, accepted on, paid on, paid CNY), ``total``, ``page``, ``pages``.

    Raises
    ------
    NotFound
        No enterprise ``code``.
    InputError
        ``page`` or ``per_page`` below 1.
    """
    if page < 1:
        raise InputError(f"must be at least 1, got {page}", field="page")
    if not 1 <= per_page <= 500:
        raise InputError(f"must be between 1 and 500, got {per_page}", field="per_page")
    e = get_enterprise(session=session, code=code)
    live = and_(Installation.enterprise_id == e.id, Installation.void.is_(False))
    total = int(session.execute(select(func.count()).select_from(Installation).where(live)).scalar_one())
    pages = max(1, -(-total // per_page))
    rows = session.execute(
        select(Installation.id, Household.household_id, Township.name, Village.name, Installation.technology,
               Installation.installed_on, Acceptance.accepted_on, Payment.paid_on, Payment.total_cny)
        .join(Household, Installation.household_id == Household.id)
        .join(Village, Household.village_id == Village.id)
        .join(Township, Village.township_id == Township.id)
        .outerjoin(Acceptance, Acceptance.installation_id == Installation.id)
        .outerjoin(Payment, and_(Payment.installation_id == Installation.id, standing()))
        .where(live)
        .order_by(Installation.installed_on.desc(), Installation.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return {"total": total, "page": page, "pages": pages, "per_page": per_page, "rows": [
        {"installation_id": iid, "household_id": hid, "township": town, "village": village, "technology": tech,
         "installed_on": inst_on.isoformat(), "accepted_on": acc_on.isoformat() if acc_on else None,
         "paid_on": paid_on.isoformat() if paid_on else None, "paid_cny": int(total_cny) if total_cny else None}
        for iid, hid, town, village, tech, inst_on, acc_on, paid_on, total_cny in rows]}
