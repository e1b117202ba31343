"""The audit log a page at a time: filters, the number of matching entries, and the filters' choices.

Read only; the web's audit pages use it (``/audit``, ``GET /api/v1/audit``). The filters mean what
they mean for ``cleanheat audit log`` (:func:`cleanheat.registry.services.audit_log.entries`):
exact resource names, an exact actor, an action or its family, civil dates of the programme time
zone (both inclusive). Entries come newest first (the latest work at the top of the page); counting
and paging happen in the database.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from cleanheat.errors import InputError
from cleanheat.registry.audit import event_envelope
from cleanheat.registry.models import AuditEvent, AuditHead

__all__ = ["MAX_PER_PAGE", "TYPE_PREFIX", "AuditPage", "filter_choices", "head_seq", "page"]

TYPE_PREFIX = "cn.cleanheat."
MAX_PER_PAGE = 500
"""The most entries one page (or one API call) returns."""


@dataclass(frozen=True)
class AuditPage:
    """One page of matching entries (CloudEvents envelopes, newest first) and how many match in all."""

    total: int
    page: int
    per_page: int
    entries: list[dict[str, Any]]

    @property
    def pages(self) -> int:
        """Number of pages (at least 1, so that "page 1 of 1" reads right with no entries)."""
        return max(1, math.ceil(self.total / self.per_page))

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "page": self.page, "per_page": self.per_page, "pages": self.pages,
                "entries": self.entries}


def _instant(day: dt.date, *, end: bool = False) -> str:
    """The UTC ISO text of local midnight starting ``day`` (or the next day, for an inclusive end)."""
    from cleanheat.clock import programme_tz

    start = dt.datetime.combine(day + dt.timedelta(days=1) if end else day, dt.time(0), programme_tz())
    return start.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _filtered(stmt: Select[Any], *, resources: Sequence[str] | None, actor: str | None, action: str | None,
              since: dt.date | None, until: dt.date | None) -> Select[Any]:
    if resources:
        stmt = stmt.where(AuditEvent.subject.in_(list(resources)))
    if actor:
        stmt = stmt.where(AuditEvent.actor == actor)
    if action:
        a = action.strip().removeprefix(TYPE_PREFIX)
        stmt = stmt.where(or_(AuditEvent.type == TYPE_PREFIX + a, AuditEvent.type.startswith(TYPE_PREFIX + a + ".")))
    if since is not None:
        stmt = stmt.where(AuditEvent.time >= _instant(since))
    if until is not None:
        stmt = stmt.where(AuditEvent.time < _instant(until, end=True))
    return stmt


def page(
    session: Session, *, resources: Sequence[str] | None = None, actor: str | None = None,
    action: str | None = None, since: dt.date | None = None, until: dt.date | None = None,
    page: int = 1, per_page: int = 50,
) -> AuditPage:
    """Page ``page`` (1-based) of the entries matching every filter given, newest first.

    Parameters
    ----------
    resources : sequence of str, optional
        Exact resource names (:func:`cleanheat.registry.services.audit_log.resource_names` expands
        ``YC-2022-000001`` to its kinds); any of them matches.
    actor : str, optional
        Exactly this actor (``web:officer``, ``县住建局财务`` …).
    action : str, optional
        An action or its family: ``payment`` matches ``payment.made`` and ``payment.batch``.
    since, until : date, optional
        Civil dates of the programme time zone, both inclusive.
    page, per_page : int
        Which page, and how many entries a page holds (1 – :data:`MAX_PER_PAGE`).

    Raises
    ------
    InputError
        ``page`` below 1, ``per_page`` outside 1 – :data:`MAX_PER_PAGE`, or ``until`` before ``since``.
    """
    if page < 1:
        raise InputError(f"must be at least 1, got {page}", field="page")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InputError(f"must be 1–{MAX_PER_PAGE}, got {per_page}", field="per_page")
    if since is not None and until is not None and until < since:
        raise InputError(f"until {until} is before since {since}", field="until")
    def where(stmt: Select[Any]) -> Select[Any]:
        return _filtered(stmt, resources=resources, actor=actor, action=action, since=since, until=until)

    total = int(session.execute(where(select(func.count()).select_from(AuditEvent))).scalar_one())
    rows = session.execute(where(select(AuditEvent)).order_by(AuditEvent.seq.desc())
                           .limit(per_page).offset((page - 1) * per_page)).scalars()
    return AuditPage(total=total, page=page, per_page=per_page, entries=[event_envelope(e) for e in rows])


def head_seq(session: Session) -> int:
    """The sequence number of the last audit entry (0 for an empty log): every state change advances it."""
    seq = session.execute(select(AuditHead.seq).limit(1)).scalar()
    return int(seq or 0)


_choices_lock = threading.Lock()
_choices_cache: dict[tuple[str, int, str], dict[str, list[str]]] = {}


def filter_choices(session: Session) -> dict[str, list[str]]:
    """The actors and the actions (without the ``cn.cleanheat.`` prefix) that occur in the log, sorted.

    Both are distinct-value scans of the whole log; the answer is kept per database and chain head
    (:func:`head_seq` and its hash), so it is recomputed after any new entry and never stale.
    """
    bind = session.get_bind()
    head = session.execute(select(AuditHead.seq, AuditHead.hash).limit(1)).first()
    key = (bind.engine.url.render_as_string(hide_password=True), int(head[0]) if head else 0,
           str(head[1]) if head else "")
    with _choices_lock:
        hit = _choices_cache.get(key)
    if hit is not None:
        return hit
    actors = sorted(session.execute(select(AuditEvent.actor).distinct()).scalars())
    types = sorted(str(t).removeprefix(TYPE_PREFIX) for t in session.execute(select(AuditEvent.type).distinct())
                   .scalars())
    found = {"actors": actors, "actions": types}
    with _choices_lock:
        _choices_cache.clear()  # one entry per database is all a process needs
        _choices_cache[key] = found
    return found
