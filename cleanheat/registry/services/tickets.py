"""After-sales tickets and complaints: a staged workflow with a response-time limit, within the 5-year
service period (盐政办发〔2022〕8号 八(四): 不低于5年的售后保证体系).

Stages: ``opened`` → ``assigned`` → ``responded`` → ``resolved`` → ``closed``. A ticket not responded to
within the response limit (``yanchi.after_sales.response_limit_hours``, read on the opening date) is
overdue; a ticket may be opened only within the service period from the installation's acceptance
(``yanchi.after_sales.service_years``, read on the acceptance date): from the acceptance date to the
same day that many years later, that day included, an acceptance on 29 February ending on 28 February
(:func:`cleanheat.clock.add_years`). The opening date is the programme's civil date of ``opened_at``.
Times are instants (aware UTC); a ticket raised earlier is recorded with its own ``opened_at``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cleanheat.clock import add_years, as_utc, format_local, local_date, now_utc
from cleanheat.errors import Conflict, InputError, NotFound
from cleanheat.parameters import ParameterTree
from cleanheat.policy.programme import value_on
from cleanheat.registry import audit
from cleanheat.registry.bulk import insert_rows
from cleanheat.registry.models import Acceptance, Household, Installation, Ticket, TicketEvent
from cleanheat.registry.services.households import get_household

__all__ = ["CATEGORIES", "CATEGORY_NAMES", "KINDS", "KIND_NAMES", "RESPONSE_LIMIT_PARAMETER", "SERVICE_YEARS_PARAMETER",
           "STAGES", "STAGE_NAMES", "History", "Step", "advance", "get_ticket", "list_tickets", "open_ticket",
           "overdue", "record_histories", "response_limit", "service_end", "ticket_code", "ticket_row"]

KINDS = ("complaint", "service")
CATEGORIES = ("quality", "service", "heating_effect", "not_in_use", "other")
STAGES = ("opened", "assigned", "responded", "resolved", "closed")
NEXT = {"opened": ("assigned", "responded"), "assigned": ("responded",), "responded": ("resolved",),
        "resolved": ("closed",), "closed": ()}
RESPONSE_LIMIT_PARAMETER = "yanchi.after_sales.response_limit_hours"
"""Response-time limit of a ticket (48 h). The plan sets none; the number is our decision, a dated parameter."""
SERVICE_YEARS_PARAMETER = "yanchi.after_sales.service_years"
"""After-sales service period from acceptance (5 years), 盐政办发〔2022〕8号 八(四)."""


def _instant(at: dt.datetime | None, field: str) -> dt.datetime:
    if at is None:
        return now_utc()
    if at.tzinfo is None:
        raise InputError(f"{at.isoformat()} has no time zone; give an instant (e.g. with clock.at_local)",
                         field=field)
    return at.astimezone(dt.UTC)


def response_limit(opened_at: dt.datetime, tree: ParameterTree | None = None) -> dt.timedelta:
    """The response-time limit of a ticket opened at ``opened_at`` (the parameter in force on its civil date)."""
    hours = value_on(RESPONSE_LIMIT_PARAMETER, local_date(opened_at), tree)
    if hours is None:
        raise Conflict(f"no response limit ({RESPONSE_LIMIT_PARAMETER}) in force on {local_date(opened_at)}")
    return dt.timedelta(hours=float(hours))


def service_end(accepted_on: dt.date, tree: ParameterTree | None = None) -> dt.date:
    """The last day of the after-sales service period of an installation accepted on ``accepted_on``.

    2022-07-01 + 5 years → 2027-07-01; 2024-02-29 + 5 years → 2029-02-28.
    """
    years = value_on(SERVICE_YEARS_PARAMETER, accepted_on, tree)
    if years is None:
        raise Conflict(f"no after-sales service period ({SERVICE_YEARS_PARAMETER}) in force on {accepted_on}")
    return add_years(accepted_on, int(years))


def _check_codes(kind: str, category: str) -> None:
    if kind not in KINDS:
        raise InputError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}", field="kind")
    if category not in CATEGORIES:
        raise InputError(f"unknown category {category!r}; one of {', '.join(CATEGORIES)}", field="category")


def _check_service_period(household_id: str, accepted_on: dt.date, opened_at: dt.datetime,
                          tree: ParameterTree | None) -> None:
    """InputError for a ticket opened before the acceptance, Conflict after the service period."""
    opened_on = local_date(opened_at)
    if opened_on < accepted_on:
        raise InputError(f"opened on {opened_on}, before the installation was accepted on {accepted_on}",
                         record=f"household {household_id}", field="opened_at")
    end = service_end(accepted_on, tree)
    if opened_on > end:
        years = value_on(SERVICE_YEARS_PARAMETER, accepted_on, tree)
        raise Conflict(
            f"household {household_id}: 售后服务期已于{end}结束 the {years}-year service period ended on {end} "
            f"(accepted on {accepted_on}; a ticket opened on {opened_on} is after it). A ticket raised within the "
            "period is recorded with the date it was raised (`ticket open --on`, opened_at)")


def _check_step(ticket: str, stage: str, to: str, at: dt.datetime, opened_at: dt.datetime) -> None:
    """Conflict unless ``to`` follows ``stage`` (:data:`NEXT`); InputError for an instant before the opening."""
    if to not in NEXT.get(stage, ()):
        raise Conflict(f"ticket {ticket} is {stage}; next stage is one of {', '.join(NEXT.get(stage, ())) or 'none'}")
    if at < opened_at:
        raise InputError(f"{format_local(at)} is before the ticket was opened ({format_local(opened_at)})",
                         record=f"ticket {ticket}", field="at")


def open_ticket(
    *, session: Session, household_id: str, kind: str, category: str, description: str, actor: str,
    opened_at: dt.datetime | None = None, tree: ParameterTree | None = None,
) -> Ticket:
    """Open an after-sales ticket or complaint on the household's accepted installation (audited).

    ``opened_at`` (an aware instant, default now) back-dates a ticket raised earlier; its civil date
    in the programme time zone must fall within the service period.

    Raises
    ------
    InputError
        Unknown kind or category; ``opened_at`` without a time zone, or before the acceptance.
    Conflict
        The household has no accepted installation, or the service period had ended on that date.
    """
    _check_codes(kind, category)
    opened_at = _instant(opened_at, "opened_at")
    hh = get_household(session=session, household_id=household_id)
    row = session.execute(
        select(Installation, Acceptance.accepted_on).join(Acceptance, Acceptance.installation_id == Installation.id)
        .where(Installation.household_id == hh.id, Installation.void.is_(False))
        .order_by(Acceptance.accepted_on.desc()).limit(1)
    ).first()
    if row is None:
        raise Conflict(f"household {household_id} has no accepted installation to service")
    inst, accepted_on = row
    _check_service_period(household_id, accepted_on, opened_at, tree)
    t = Ticket(kind=kind, category=category, household_id=hh.id, installation_id=inst.id,
               enterprise_id=inst.enterprise_id, stage="opened", description=description, opened_at=opened_at,
               respond_by=opened_at + response_limit(opened_at, tree), responded_at=None, closed_at=None,
               overdue=False)
    session.add(t)
    session.flush()
    session.add(TicketEvent(ticket_id=t.id, stage="opened", at=opened_at, actor=actor, note=description))
    audit.record(session, actor=actor, action="ticket.opened", resource=f"ticket/{t.id}",
                 data={"household_id": household_id, "kind": kind, "category": category,
                       "opened_at": opened_at.isoformat()})
    return t


def advance(*, session: Session, ticket_id: int, to: str, actor: str, at: dt.datetime | None = None,
            note: str = "") -> Ticket:
    """Move a ticket to its next stage (audited); a response after the limit marks it overdue."""
    t = session.get(Ticket, ticket_id)
    if t is None:
        raise NotFound(f"no ticket {ticket_id}")
    at = _instant(at, "at")
    _check_step(str(ticket_id), t.stage, to, at, as_utc(t.opened_at))
    if to == "responded":
        t.responded_at = at
        t.overdue = at > t.respond_by
    if to == "closed":
        t.closed_at = at
    t.stage = to
    session.add(TicketEvent(ticket_id=t.id, stage=to, at=at, actor=actor, note=note))
    audit.record(session, actor=actor, action=f"ticket.{to}", resource=f"ticket/{t.id}", why=note,
                 data={"overdue": t.overdue})
    session.flush()
    return t


@dataclass(frozen=True)
class Step:
    """One stage change of a ticket's history: the stage reached, when (an aware instant), by whom, a note."""

    stage: str
    at: dt.datetime
    actor: str
    note: str = ""


@dataclass(frozen=True)
class History:
    """A ticket raised on an accepted installation and the stage changes it went through since (oldest first):
    what :func:`open_ticket` and then :func:`advance`, step by step, would record."""

    installation_id: int
    kind: str
    category: str
    description: str
    opened_at: dt.datetime
    opened_by: str
    steps: Sequence[Step] = ()


def record_histories(*, session: Session, items: Sequence[History], tree: ParameterTree | None = None) -> list[int]:
    """Open many tickets and advance each through its stages, in one go; returns the new ticket ids.

    The bulk form of :func:`open_ticket` followed by :func:`advance` for each step (a programme's back-log,
    the demo): the same rules — known kind and category; an accepted, not void installation; opened within
    its service period; each stage the next of the one before (:data:`NEXT`), never before the opening; a
    response after the limit marks the ticket overdue — and the same audit entries (``ticket.opened``, then
    ``ticket.<stage>`` per step, by each step's actor), appended to the chain in one write. Nothing is
    written if any item breaks a rule.

    Raises
    ------
    InputError
        Unknown kind or category; an instant without a time zone, before the acceptance or the opening.
    Conflict
        An installation not accepted (or void), a ticket opened after the service period, a stage out of order.
    """
    if not items:
        return []
    wanted = sorted({it.installation_id for it in items})
    known: dict[int, tuple[int, str, int | None, dt.date]] = {}
    for start in range(0, len(wanted), 5000):
        for iid, hpk, code, eid, accepted_on in session.execute(
                select(Installation.id, Installation.household_id, Household.household_id, Installation.enterprise_id,
                       Acceptance.accepted_on)
                .join(Acceptance, Acceptance.installation_id == Installation.id)
                .join(Household, Household.id == Installation.household_id)
                .where(Installation.id.in_(wanted[start:start + 5000]), Installation.void.is_(False))):
            known[iid] = (hpk, code, eid, accepted_on)
    rows: list[dict[str, Any]] = []
    for it in items:
        _check_codes(it.kind, it.category)
        if it.installation_id not in known:
            raise Conflict(f"installation {it.installation_id} is not an accepted installation to service")
        hpk, code, eid, accepted_on = known[it.installation_id]
        opened = _instant(it.opened_at, "opened_at")
        _check_service_period(code, accepted_on, opened, tree)
        respond_by = opened + response_limit(opened, tree)
        stage, responded, closed = "opened", None, None
        for step in it.steps:
            at = _instant(step.at, "at")
            _check_step(f"of household {code} opened {format_local(opened)}", stage, step.stage, at, opened)
            stage = step.stage
            responded = at if stage == "responded" else responded
            closed = at if stage == "closed" else closed
        rows.append({"kind": it.kind, "category": it.category, "household_id": hpk,
                     "installation_id": it.installation_id, "enterprise_id": eid, "stage": stage,
                     "description": it.description, "opened_at": opened, "respond_by": respond_by,
                     "responded_at": responded, "closed_at": closed,
                     "overdue": responded is not None and responded > respond_by})
    from cleanheat.registry.services.installations import insert_returning_ids

    ids = insert_returning_ids(session, Ticket, rows)
    events: list[dict[str, Any]] = []
    records: list[audit.AuditRecord] = []
    for tid, it, row in zip(ids, items, rows, strict=True):
        code = known[it.installation_id][1]
        events.append({"ticket_id": tid, "stage": "opened", "at": row["opened_at"], "actor": it.opened_by,
                       "note": it.description})
        records.append(audit.AuditRecord(actor=it.opened_by, action="ticket.opened", resource=f"ticket/{tid}",
                                         data={"household_id": code, "kind": it.kind, "category": it.category,
                                               "opened_at": row["opened_at"].isoformat()}))
        responded = None
        for step in it.steps:
            at = _instant(step.at, "at")
            if step.stage == "responded":
                responded = at
            events.append({"ticket_id": tid, "stage": step.stage, "at": at, "actor": step.actor, "note": step.note})
            records.append(audit.AuditRecord(
                actor=step.actor, action=f"ticket.{step.stage}", resource=f"ticket/{tid}", why=step.note,
                data={"overdue": responded is not None and responded > row["respond_by"]}))
    insert_rows(session.connection(), TicketEvent.__table__, events)
    audit.record_many(session, records)
    return ids


def overdue(*, session: Session, at: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Tickets not responded to by their deadline (as of the instant ``at``, default now), oldest first.

    Times are given as instants (ISO 8601, UTC) and as the programme's wall-clock time
    (``respond_by_local``: ``2022-12-03 17:00 (UTC+8)``).
    """
    from cleanheat.registry.models import Enterprise

    at = _instant(at, "at")
    rows = session.execute(
        select(Ticket, Household.household_id, Enterprise.code)
        .join(Household, Ticket.household_id == Household.id)
        .outerjoin(Enterprise, Ticket.enterprise_id == Enterprise.id)
        .where(Ticket.responded_at.is_(None), Ticket.stage.in_(("opened", "assigned")))
        .order_by(Ticket.respond_by)
    ).all()
    out = []
    for t, hid, code in rows:
        due = t.respond_by
        if due < at:
            late_h = (at - due).total_seconds() / 3600
            out.append({"ticket": t.id, "household_id": hid, "enterprise": code, "kind": t.kind,
                        "category": t.category, "stage": t.stage, "opened_at": t.opened_at.isoformat(),
                        "opened_local": format_local(t.opened_at), "respond_by": due.isoformat(),
                        "respond_by_local": format_local(due), "hours_late": round(late_h, 1),
                        "days_late": round(late_h / 24, 1)})
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


def ticket_row(t: Ticket, household: str, enterprise: str | None, at: dt.datetime) -> dict[str, Any]:
    """One ticket as the lists show it: codes, instants in UTC (ISO 8601), ``overdue`` (answered late,
    or unanswered past ``respond_by`` at ``at``) and ``late_s`` (seconds past the deadline, 0 when on time)."""
    due = as_utc(t.respond_by)
    answered = as_utc(t.responded_at) if t.responded_at is not None else None
    late_s = ((answered or at) - due).total_seconds()
    return {"ticket": t.id, "household_id": household, "enterprise": enterprise, "kind": t.kind,
            "category": t.category, "stage": t.stage, "opened_at": as_utc(t.opened_at).isoformat(),
            "respond_by": due.isoformat(), "responded_at": answered.isoformat() if answered else None,
            "closed_at": as_utc(t.closed_at).isoformat() if t.closed_at is not None else None,
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
    from cleanheat.registry.models import Enterprise, Village
    from cleanheat.registry.services.enterprises import get_enterprise
    from cleanheat.registry.services.places import get_township

    at = _instant(at, "at")
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
    return [ticket_row(t, hid, code, at) for t, hid, code in session.execute(stmt)]


def get_ticket(*, session: Session, ticket_id: int, at: dt.datetime | None = None) -> dict[str, Any]:
    """One ticket with its events (oldest first) and lateness (see :func:`list_tickets`).

    Raises
    ------
    NotFound
        No such ticket.
    """
    from cleanheat.registry.models import Enterprise

    at = _instant(at, "at")
    row = session.execute(
        select(Ticket, Household.household_id, Enterprise.code).join(Household, Ticket.household_id == Household.id)
        .outerjoin(Enterprise, Ticket.enterprise_id == Enterprise.id).where(Ticket.id == ticket_id)).first()
    if row is None:
        raise NotFound(f"no ticket {ticket_id}")
    t, hid, code = row
    doc = ticket_row(t, hid, code, at)
    doc["installation_id"] = t.installation_id
    doc["events"] = [{"stage": ev.stage, "at": as_utc(ev.at).isoformat(), "actor": ev.actor, "note": ev.note}
                     for ev in session.execute(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
                                               .order_by(TicketEvent.at, TicketEvent.id)).scalars()]
    return doc
