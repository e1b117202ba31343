"""Installing enterprises and their registration review (盐政办发〔2022〕8号 一(二)3, 四, 八(三)).

States: ``submitted`` → ``reviewed`` (by the expert panel) → ``registered``, or ``rejected``; a
registered enterprise may later be ``suspended`` (and reinstated) or ``revoked``. Every change is a
dated row of ``enterprise_status``, so the status on any date can be asked.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from cleanheat.errors import Conflict, InputError, NotFound
from cleanheat.registry import audit
from cleanheat.registry.models import Enterprise, EnterpriseStatus

__all__ = ["STATES", "TRANSITIONS", "StatusBook", "create", "get_enterprise", "list_enterprises", "status_book",
           "status_on", "transition"]

STATES = ("submitted", "reviewed", "registered", "rejected", "suspended", "revoked")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "submitted": ("reviewed", "rejected"),
    "reviewed": ("registered", "rejected"),
    "registered": ("suspended", "revoked"),
    "suspended": ("registered", "revoked"),
    "rejected": (),
    "revoked": (),
}
"""Allowed next states."""


def get_enterprise(*, session: Session, code: str) -> Enterprise:
    e = session.execute(select(Enterprise).where(Enterprise.code == code)).scalar_one_or_none()
    if e is None:
        raise NotFound(f"no enterprise {code!r}")
    return e


def create(*, session: Session, code: str, name: str, submitted_on: dt.date, actor: str) -> Enterprise:
    """An enterprise's application for registration (state ``submitted``)."""
    if session.execute(select(Enterprise.id).where(Enterprise.code == code)).first():
        raise Conflict(f"enterprise {code} already exists")
    e = Enterprise(code=code, name=name, status="submitted")
    session.add(e)
    session.flush()
    session.add(EnterpriseStatus(enterprise_id=e.id, status="submitted", effective_on=submitted_on, actor=actor))
    audit.record(session, actor=actor, action="enterprise.submitted", resource=f"enterprise/{code}",
                 data={"name": name, "effective_on": submitted_on.isoformat()})
    session.flush()
    return e


def transition(*, session: Session, code: str, to: str, effective_on: dt.date, actor: str, why: str = "") -> Enterprise:
    """Move an enterprise to state ``to`` from ``effective_on`` (audited).

    Raises
    ------
    Conflict
        If the transition is not allowed from the current state, or dated before the last change.
    """
    if to not in STATES:
        raise InputError(f"unknown state {to!r}; one of {', '.join(STATES)}", field="status")
    e = get_enterprise(session=session, code=code)
    if to not in TRANSITIONS[e.status]:
        allowed = ", ".join(TRANSITIONS[e.status]) or "none"
        raise Conflict(f"enterprise {code} is {e.status}; cannot become {to} (allowed: {allowed})")
    last = session.execute(
        select(EnterpriseStatus.effective_on).where(EnterpriseStatus.enterprise_id == e.id)
        .order_by(EnterpriseStatus.effective_on.desc(), EnterpriseStatus.id.desc()).limit(1)
    ).scalar_one()
    if effective_on < last:
        raise Conflict(f"enterprise {code}: {to} dated {effective_on} is before its last change on {last}")
    session.add(EnterpriseStatus(enterprise_id=e.id, status=to, effective_on=effective_on, actor=actor, why=why))
    previous, e.status = e.status, to
    audit.record(session, actor=actor, action=f"enterprise.{to}", resource=f"enterprise/{code}", why=why,
                 data={"from": previous, "effective_on": effective_on.isoformat()})
    session.flush()
    return e


class StatusBook:
    """Every enterprise's status history in memory, to ask the status on a date for many installations."""

    def __init__(self, rows: list[tuple[int, dt.date, int, str]]) -> None:
        hist: dict[int, list[tuple[dt.date, int, str]]] = defaultdict(list)
        for eid, on, rid, status in rows:
            hist[eid].append((on, rid, status))
        self._dates: dict[int, list[dt.date]] = {}
        self._states: dict[int, list[str]] = {}
        for eid, items in hist.items():
            items.sort()
            self._dates[eid] = [d for d, _, _ in items]
            self._states[eid] = [s for _, _, s in items]

    def status_on(self, enterprise_id: int, on: dt.date) -> str | None:
        """State in force on ``on`` (the last change on or before it); ``None`` before the application."""
        dates = self._dates.get(enterprise_id)
        if not dates:
            return None
        k = bisect_right(dates, on)
        return self._states[enterprise_id][k - 1] if k else None

    def registered_on(self, enterprise_id: int, on: dt.date) -> bool:
        return self.status_on(enterprise_id, on) == "registered"


def status_book(*, session: Session) -> StatusBook:
    rows = session.execute(
        select(EnterpriseStatus.enterprise_id, EnterpriseStatus.effective_on, EnterpriseStatus.id,
               EnterpriseStatus.status)
    ).all()
    return StatusBook([(a, b, c, d) for a, b, c, d in rows])


def status_on(*, session: Session, code: str, on: dt.date) -> str | None:
    """Registration state of enterprise ``code`` on date ``on`` (``None``: not yet applied)."""
    e = get_enterprise(session=session, code=code)
    return status_book(session=session).status_on(e.id, on)


def list_enterprises(*, session: Session) -> list[dict[str, object]]:
    """Every enterprise: code, name, status, registered since, installations, accepted, paid, complaints, open tickets.

    ``registered_since`` is the start of the current registration (the last change to ``registered``),
    ``None`` when the enterprise is not registered now. Void installations are not counted.
    """
    from sqlalchemy import func

    from cleanheat.registry.models import Acceptance, Installation, Payment, Ticket

    def per_enterprise(stmt: object) -> dict[int, int]:
        return {eid: int(n) for eid, n in session.execute(stmt)}  # type: ignore[call-overload]

    live = Installation.void.is_(False)
    installed = per_enterprise(select(Installation.enterprise_id, func.count()).where(live)
                               .group_by(Installation.enterprise_id))
    accepted = per_enterprise(select(Installation.enterprise_id, func.count())
                              .join(Acceptance, Acceptance.installation_id == Installation.id).where(live)
                              .group_by(Installation.enterprise_id))
    paid = per_enterprise(select(Installation.enterprise_id, func.count())
                          .join(Payment, Payment.installation_id == Installation.id).where(live)
                          .group_by(Installation.enterprise_id))
    complaints = per_enterprise(select(Ticket.enterprise_id, func.count()).where(Ticket.kind == "complaint")
                                .group_by(Ticket.enterprise_id))
    open_tickets = per_enterprise(select(Ticket.enterprise_id, func.count())
                                  .where(Ticket.stage.not_in(("resolved", "closed"))).group_by(Ticket.enterprise_id))
    history: dict[int, list[tuple[dt.date, int, str]]] = defaultdict(list)
    for eid, on, rid, status in session.execute(select(EnterpriseStatus.enterprise_id, EnterpriseStatus.effective_on,
                                                       EnterpriseStatus.id, EnterpriseStatus.status)):
        history[eid].append((on, rid, status))
    out: list[dict[str, object]] = []
    for e in session.execute(select(Enterprise).order_by(Enterprise.id)).scalars():
        since = None
        if e.status == "registered":
            for on, _rid, status in sorted(history[e.id]):
                if status == "registered":
                    since = on
        out.append({"code": e.code, "name": e.name, "status": e.status,
                    "registered_since": since.isoformat() if since else None,
                    "installations": installed.get(e.id, 0), "accepted": accepted.get(e.id, 0),
                    "paid": paid.get(e.id, 0), "complaints": complaints.get(e.id, 0),
                    "open_tickets": open_tickets.get(e.id, 0)})
    return out
