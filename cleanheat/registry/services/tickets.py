"""After-sales tickets and complaints: a staged workflow with a response-time limit, within the 5-year
service period (盐政办发〔2022〕8号 八(四): 不低于5年的售后保证体系).

Stages: ``opened`` → ``assigned`` → ``responded`` → ``resolved`` → ``closed``. A ticket not responded to
within :data:`RESPONSE_LIMIT_HOURS` of opening is overdue; a ticket may be opened only within
:data:`SERVICE_YEARS` years of the installation's acceptance.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from cleanheat.errors import Conflict, InputError, NotFound
from cleanheat.registry import audit
from cleanheat.registry.models import Acceptance, Installation, Ticket, TicketEvent
from cleanheat.registry.services.households import get_household

__all__ = ["CATEGORIES", "CATEGORY_NAMES", "KINDS", "KIND_NAMES", "RESPONSE_LIMIT_HOURS", "SERVICE_YEARS", "STAGES",
           "STAGE_NAMES", "advance", "get_ticket", "list_tickets", "open_ticket", "overdue", "ticket_code"]

KINDS = ("complaint", "service")
CATEGORIES = ("quality", "service", "heating_effect", "not_in_use", "other")
STAGES = ("opened", "assigned", "responded", "resolved", "closed")
NEXT = {"opened": ("assigned", "responded"), "assigned": ("responded",), "responded": ("resolved",),
        "resolved": ("closed",), "closed": ()}
RESPONSE_LIMIT_HOURS = 48
"""Response-time limit of a ticket. The plan sets none; 48 h is our decision (a parameter of the registry)."""
SERVICE_YEARS = 5
"""After-sales service period from acceptance, 盐政办发〔2022〕8号 八(四)."""


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def open_ticket(
    *, session: Session, household_id: str, kind: str, category: str, description: str, actor: str,
    opened_at: dt.datetime | None = None,
) -> Ticket:
    """Open an after-sales ticket or complaint on the household's accepted installation (audited).

    Raises
    ------
    InputError
        Unknown kind or category.
    Conflict
        The household has no accepted installation, or the 5-year service period has ended.
    """
    if kind not in KINDS:
        raise InputError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}", field="kind")
    if category not in CATEGORIES:
        raise InputError(f"unknown category {category!r}; one of {', '.join(CATEGORIES)}", field="category")
    opened_at = _aware(opened_at or dt.datetime.now(dt.UTC))
    hh = get_household(session=session, household_id=household_id)
    row = session.execute(
        select(Installation, Acceptance.accepted_on).join(Acceptance, Acceptance.installation_id == Installation.id)
        .where(Installation.household_id == hh.id, Installation.void.is_(False))
        .order_by(Acceptance.accepted_on.desc()).limit(1)
    ).first()
    if row is None:
        raise Conflict(f"household {household_id} has no accepted installation to service")
    inst, accepted_on = row
    end = accepted_on.replace(year=accepted_on.year + SERVICE_YEARS)
    if opened_at.date() > end:
        raise Conflict(f"household {household_id}: the {SERVICE_YEARS}-year service period ended on {end}")
    t = Ticket(kind=kind, category=category, household_id=hh.id, installation_id=inst.id,
               enterprise_id=inst.enterprise_id, stage="opened", description=description, opened_at=opened_at,
               respond_by=opened_at + dt.timedelta(hours=RESPONSE_LIMIT_HOURS), responded_at=None, closed_at=None,
               overdue=False)
    session.add(t)
    session.flush()
    session.add(TicketEvent(ticket_id=t.id, stage="opened", at=opened_at, actor=actor, note=description))
    audit.record(session, actor=actor, action="ticket.opened", resource=f"ticket/{t.id}",
                 data={"household_id": household_id, "kind": kind, "category": category})
    return t


def advance(*, session: Session, ticket_id: int, to: str, actor: str, at: dt.datetime | None = None,
            note: str = "") -> Ticket:
    """Move a ticket to its next stage (audited); a response after the limit marks it overdue."""
    t = session.get(Ticket, ticket_id)
    if t is None:
        raise NotFound(f"no ticket {ticket_id}")
    if to not in NEXT[t.stage]:
        raise Conflict(f"ticket {ticket_id} is {t.stage}; next stage is one of {', '.join(NEXT[t.stage]) or 'none'}")
    at = _aware(at or dt.datetime.now(dt.UTC))
    if at < _aware(t.opened_at):
        raise InputError(f"{at} is before the ticket was opened", record=f"ticket {ticket_id}", field="at")
    if to == "responded":
        t.responded_at = at
        t.overdue = at > _aware(t.respond_by)
    if to == "closed":
        t.closed_at = at
    t.stage = to
    session.add(TicketEvent(ticket_id=t.id, stage=to, at=at, actor=actor, note=note))
    audit.record(session, actor=actor, action=f"ticket.{to}", resource=f"ticket/{t.id}", why=note,
                 data={"overdue": t.overdue})
    session.flush()
    return t


def demo_tickets(*, session: Session, rng: np.random.Generator, actor: str, share: float = 0.05) -> int:
    """Synthetic tickets and complaints on accepted installations (for ``demo load``)."""
    rows = session.execute(
        select(Installation.id, Installation.household_id, Installation.enterprise_id, Acceptance.accepted_on)
        .join(Acceptance, Acceptance.installation_id == Installation.id).order_by(Installation.id)
    ).all()
    if not rows:
        return 0
    n = int(len(rows) * share)
    picks = np.sort(rng.choice(len(rows), size=n, replace=False))
    end = dt.datetime(2024, 1, 31, tzinfo=dt.UTC)
    tickets: list[dict[str, Any]] = []
    for k in picks.tolist():
        iid, hpk, eid, acc = rows[k]
        opened = dt.datetime.combine(acc, dt.time(9), dt.UTC) + dt.timedelta(days=int(rng.integers(5, 200)),
                                                                             hours=int(rng.integers(0, 9)))
        if opened > end:
            opened = end - dt.timedelta(days=int(rng.integers(1, 25)))
        # one enterprise with poor service and quality, to show the assessment rule
        bad = eid is not None and eid % 30 == 12
        kind = "complaint" if rng.random() < (0.7 if bad else 0.35) else "service"
        cat = str(rng.choice(CATEGORIES, p=[.35, .2, .25, .1, .1] if bad else [.25, .15, .2, .15, .25]))
        lag_h = float(rng.exponential(60 if bad else 8))
        responded = opened + dt.timedelta(hours=lag_h) if rng.random() < (0.9 if bad else 0.99) else None
        closed = responded + dt.timedelta(days=int(rng.integers(1, 10))) if responded and rng.random() < 0.8 else None
        if responded and responded > end:
            responded, closed = None, None
        if closed and closed > end:
            closed = None
        stage = "closed" if closed else ("responded" if responded else "opened")
        respond_by = opened + dt.timedelta(hours=RESPONSE_LIMIT_HOURS)
        tickets.append({"kind": kind, "category": cat, "household_id": hpk, "installation_id": iid,
                        "enterprise_id": eid, "stage": stage, "description": f"demo {cat}",
                        "opened_at": opened, "respond_by": respond_by, "responded_at": responded,
                        "closed_at": closed, "overdue": bool(responded is not None and responded > respond_by)})
    if tickets:
        session.execute(insert(Ticket), tickets)
    audit.record(session, actor=actor, action="ticket.demo_loaded", resource="programme/yanchi",
                 data={"tickets": len(tickets)})
    return len(tickets)


def overdue(*, session: Session, at: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Tickets not responded to by their deadline (as of ``at``, default now), oldest first."""
    from cleanheat.registry.models import Enterprise, Household

    at = _aware(at or dt.datetime.now(dt.UTC))
    rows = session.execute(
        select(Ticket, Household.household_id, Enterprise.code)
        .join(Household, Ticket.household_id == Household.id)
        .outerjoin(Enterprise, Ticket.enterprise_id == Enterprise.id)
        .where(Ticket.responded_at.is_(None), Ticket.stage.in_(("opened", "assigned")))
        .order_by(Ticket.respond_by)
    ).all()
    out = []
    for t, hid, code in rows:
        due = _aware(t.respond_by)
        if due < at:
            out.append({"ticket": t.id, "household_id": hid, "enterprise": code, "kind": t.kind,
                        "category": t.category, "stage": t.stage, "respond_by": due.isoformat(),
                        "hours_late": round((at - due).total_seconds() / 3600, 1)})
    return out


KIND_NAMES = {"complaint": "投诉 complaint", "service": "服务 service"}
CATEGORY_NAMES = {"quality": "质量 quality", "service": "服务 service", "heating_effect": "供暖效果 heating effect",
                  "not_in_use": "未使用 not in use", "other": "其他 other"}
STAGE_NAMES = {"opened": "已受理 opened", "assigned": "已派单 assigned", "responded": "已响应 responded",
               "resolved": "已解决 resolved", "closed": "已关闭 closed"}
"""Chinese-first names of the ticket codes; :func:`ticket_code` takes either the Chinese name or the code."""


def ticket_code(value: str, names: dict[str, str], field: str) -> str:
    """The code of a kind, category or stage given as the code (``complaint``) or its Chinese name (``投诉``).

    Raises
    ------
    InputError
        Neither a code nor a Chinese name; the accepted names are listed.
    """
    v = value.strip()
    if v in names:
        return v
    for code, name in names.items():
        chinese, _, english = name.partition(" ")
        if v in (chinese, english, name):
            return code
    accepted = "、".join(f"{n.partition(' ')[0]}（{c}）" for c, n in names.items())
    raise InputError(f"unknown {field.lstrip('-')} {value!r}; one of {accepted}", field=field)


def _ticket_row(t: Ticket, household: str, enterprise: str | None, at: dt.datetime) -> dict[str, Any]:
    due = _aware(t.respond_by)
    answered = _aware(t.responded_at) if t.responded_at is not None else None
    late_s = ((answered or at) - due).total_seconds()
    return {"ticket": t.id, "household_id": household, "enterprise": enterprise, "kind": t.kind,
            "category": t.category, "stage": t.stage, "opened_at": _aware(t.opened_at).isoformat(),
            "respond_by": due.isoformat(), "responded_at": answered.isoformat() if answered else None,
            "closed_at": _aware(t.closed_at).isoformat() if t.closed_at is not None else None,
            "overdue": bool(t.overdue) or (answered is None and t.stage in ("opened", "assigned") and late_s > 0),
            "late_s": max(0.0, late_s), "description": t.description}


def list_tickets(
    *, session: Session, open_only: bool = False, enterprise: str | None = None, township: str | None = None,
    household: str | None = None, at: dt.datetime | None = None, limit: int | None = None,
) -> list[dict[str, Any]]:
    """Tickets (newest first) with stage, deadline and lateness: ``late_s`` is seconds past ``respond_by``
    until the response, or until ``at`` (default now) while unanswered; 0 when on time.

    Raises
    ------
    NotFound
        An unknown enterprise, township or household.
    """
    from cleanheat.registry.models import Enterprise, Household, Village
    from cleanheat.registry.services.enterprises import get_enterprise
    from cleanheat.registry.services.places import get_township

    at = _aware(at or dt.datetime.now(dt.UTC))
    stmt = (select(Ticket, Household.household_id, Enterprise.code)
            .join(Household, Ticket.household_id == Household.id)
            .outerjoin(Enterprise, Ticket.enterprise_id == Enterprise.id)
            .order_by(Ticket.id.desc()))
    if open_only:
        stmt = stmt.where(Ticket.stage.not_in(("resolved", "closed")))
    if enterprise is not None:
        stmt = stmt.where(Ticket.enterprise_id == get_enterprise(session=session, code=enterprise).id)
    if township is not None:
        tid = get_township(session=session, name=township).id
        stmt = stmt.where(Household.village_id.in_(select(Village.id).where(Village.township_id == tid)))
    if household is not None:
        stmt = stmt.where(Ticket.household_id == get_household(session=session, household_id=household).id)
    if limit is not None:
        if limit < 1:
            raise InputError(f"must be at least 1, got {limit}", field="--limit")
        stmt = stmt.limit(limit)
    return [_ticket_row(t, hid, code, at) for t, hid, code in session.execute(stmt)]


def get_ticket(*, session: Session, ticket_id: int, at: dt.datetime | None = None) -> dict[str, Any]:
    """One ticket with its events (oldest first) and lateness (see :func:`list_tickets`).

    Raises
    ------
    NotFound
        No such ticket.
    """
    from cleanheat.registry.models import Enterprise, Household

    at = _aware(at or dt.datetime.now(dt.UTC))
    row = session.execute(
        select(Ticket, Household.household_id, Enterprise.code).join(Household, Ticket.household_id == Household.id)
        .outerjoin(Enterprise, Ticket.enterprise_id == Enterprise.id).where(Ticket.id == ticket_id)).first()
    if row is None:
        raise NotFound(f"no ticket {ticket_id}")
    t, hid, code = row
    doc = _ticket_row(t, hid, code, at)
    doc["installation_id"] = t.installation_id
    doc["events"] = [{"stage": ev.stage, "at": _aware(ev.at).isoformat(), "actor": ev.actor, "note": ev.note}
                     for ev in session.execute(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
                                               .order_by(TicketEvent.at, TicketEvent.id)).scalars()]
    return doc
