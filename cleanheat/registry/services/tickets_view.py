"""After-sales tickets as the web pages list them: filtered and paged in the database, the township and
enterprise a ticket belongs to (for the role boundaries), and the overdue tickets per enterprise (read only).

Rows are those of :func:`cleanheat.registry.services.tickets.ticket_row` plus ``township``; "overdue"
in :func:`overdue_by_enterprise` means what :func:`cleanheat.registry.services.tickets.overdue` means:
not responded to and past the response deadline at the instant asked.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from cleanheat.clock import as_utc, now_utc
from cleanheat.errors import InputError, NotFound
from cleanheat.registry.models import Enterprise, Household, Ticket, Township, Village
from cleanheat.registry.services.enterprises import get_enterprise
from cleanheat.registry.services.places import get_township
from cleanheat.registry.services.tickets import CATEGORIES, KINDS, STAGES, ticket_row

__all__ = ["household_township", "overdue_by_enterprise", "ticket_page", "ticket_scope"]


def _unanswered_late(at: dt.datetime) -> ColumnElement[bool]:
    return and_(Ticket.responded_at.is_(None), Ticket.stage.in_(("opened", "assigned")), Ticket.respond_by < at)


def ticket_page(
    *, session: Session, enterprise: str | None = None, township: str | None = None, household: str | None = None,
    stage: str | None = None, kind: str | None = None, category: str | None = None, open_only: bool = False,
    overdue_only: bool = False, unanswered_late: bool = False, at: dt.datetime | None = None, page: int = 1,
    per_page: int = 50,
) -> dict[str, Any]:
    """One page of tickets, newest first, with ``total``, ``page``, ``pages``; each row as
    :func:`~cleanheat.registry.services.tickets.ticket_row` plus ``township``.

    ``overdue_only`` keeps the tickets whose ``overdue`` flag is set: answered late, or unanswered
    past the deadline at ``at`` (default now); ``unanswered_late`` only the latter (the tickets
    :func:`~cleanheat.registry.services.tickets.overdue` lists).

    Raises
    ------
    NotFound
        An unknown enterprise, township or household.
    InputError
        An unknown stage, kind or category; ``page`` / ``per_page`` out of range.
    """
    if page < 1:
        raise InputError(f"must be at least 1, got {page}", field="page")
    if not 1 <= per_page <= 500:
        raise InputError(f"must be between 1 and 500, got {per_page}", field="per_page")
    for value, allowed, field in ((stage, STAGES, "stage"), (kind, KINDS, "kind"), (category, CATEGORIES,
                                                                                   "category")):
        if value is not None and value not in allowed:
            raise InputError(f"unknown {field} {value!r}; one of {', '.join(allowed)}", field=field)
    at = as_utc(at) if at is not None else now_utc()
    conds: list[ColumnElement[bool]] = []
    if enterprise is not None:
        conds.append(Ticket.enterprise_id == get_enterprise(session=session, code=enterprise).id)
    if township is not None:
        tid = get_township(session=session, name=township).id
        conds.append(Village.township_id == tid)
    if household is not None:
        hid = session.execute(select(Household.id).where(Household.household_id == household)).scalar_one_or_none()
        if hid is None:
            raise NotFound(f"no household {household!r}")
        conds.append(Ticket.household_id == hid)
    if stage is not None:
        conds.append(Ticket.stage == stage)
    if kind is not None:
        conds.append(Ticket.kind == kind)
    if category is not None:
        conds.append(Ticket.category == category)
    if open_only:
        conds.append(Ticket.stage.not_in(("resolved", "closed")))
    if overdue_only:
        conds.append(or_(Ticket.overdue.is_(True), _unanswered_late(at)))
    if unanswered_late:
        conds.append(_unanswered_late(at))
    base = (select(Ticket.id).join(Household, Ticket.household_id == Household.id)
            .join(Village, Household.village_id == Village.id).where(*conds))
    total = int(session.execute(select(func.count()).select_from(base.subquery())).scalar_one())
    rows = session.execute(
        select(Ticket, Household.household_id, Enterprise.code, Township.name)
        .join(Household, Ticket.household_id == Household.id)
        .join(Village, Household.village_id == Village.id)
        .join(Township, Village.township_id == Township.id)
        .outerjoin(Enterprise, Ticket.enterprise_id == Enterprise.id)
        .where(*conds).order_by(Ticket.id.desc()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return {"total": total, "page": page, "per_page": per_page, "pages": max(1, -(-total // per_page)),
            "rows": [{**ticket_row(t, hid, code, at), "township": town} for t, hid, code, town in rows]}


def ticket_scope(*, session: Session, ticket_id: int) -> tuple[str, str | None]:
    """``(township, enterprise code)`` of a ticket, for the role boundaries.

    Raises
    ------
    NotFound
        No such ticket.
    """
    row = session.execute(
        select(Township.name, Enterprise.code).select_from(Ticket)
        .join(Household, Ticket.household_id == Household.id)
        .join(Village, Household.village_id == Village.id)
        .join(Township, Village.township_id == Township.id)
        .outerjoin(Enterprise, Ticket.enterprise_id == Enterprise.id)
        .where(Ticket.id == ticket_id)).first()
    if row is None:
        raise NotFound(f"no ticket {ticket_id}")
    return str(row[0]), row[1]


def household_township(*, session: Session, household_id: str) -> str:
    """The township of a household (by its ledger id).

    Raises
    ------
    NotFound
        No such household.
    """
    town = session.execute(
        select(Township.name).select_from(Household).join(Village, Household.village_id == Village.id)
        .join(Township, Village.township_id == Township.id).where(Household.household_id == household_id)
    ).scalar_one_or_none()
    if town is None:
        raise NotFound(f"no household {household_id!r}")
    return str(town)


def overdue_by_enterprise(*, session: Session, at: dt.datetime | None = None, township: str | None = None,
                          enterprise: str | None = None) -> list[dict[str, Any]]:
    """Per enterprise, its tickets not responded to by their deadline at ``at`` (default now): ``enterprise``,
    ``name``, ``overdue`` (count), ``oldest_respond_by`` (ISO instant), ``max_late_s`` (seconds past the
    oldest deadline); most overdue first. Tickets without an enterprise are grouped under ``None``.

    Raises
    ------
    NotFound
        An unknown township or enterprise.
    """
    at = as_utc(at) if at is not None else now_utc()
    conds = [_unanswered_late(at)]
    if township is not None:
        conds.append(Village.township_id == get_township(session=session, name=township).id)
    if enterprise is not None:
        conds.append(Ticket.enterprise_id == get_enterprise(session=session, code=enterprise).id)
    rows = session.execute(
        select(Enterprise.code, Enterprise.name, func.count(Ticket.id), func.min(Ticket.respond_by))
        .select_from(Ticket)
        .join(Household, Ticket.household_id == Household.id)
        .join(Village, Household.village_id == Village.id)
        .outerjoin(Enterprise, Ticket.enterprise_id == Enterprise.id)
        .where(*conds).group_by(Enterprise.code, Enterprise.name)
    ).all()
    out: list[dict[str, Any]] = []
    for code, name, n, oldest in rows:
        oldest_at = as_utc(oldest) if isinstance(oldest, dt.datetime) else as_utc(
            dt.datetime.fromisoformat(str(oldest)))
        out.append({"enterprise": code, "name": name, "overdue": int(n), "oldest_respond_by": oldest_at.isoformat(),
                    "max_late_s": max(0.0, (at - oldest_at).total_seconds())})
    out.sort(key=lambda r: (-r["overdue"], -r["max_late_s"], r["enterprise"] or ""))
    return out
