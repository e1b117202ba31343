"""Reading the audit log the way a clerk or an auditor asks: by resource, actor, action and date range.

Read only. Entry times are stored as UTC instants (ISO text, the hash chain's form); a date range
is a range of civil dates of the programme time zone (:func:`cleanheat.clock.programme_tz`), so
``--since 2022-11-01`` means from midnight Beijing time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cleanheat.errors import InputError
from cleanheat.registry.audit import event_envelope
from cleanheat.registry.models import AuditEvent

__all__ = ["RESOURCE_KINDS", "entries", "resource_names"]

RESOURCE_KINDS = ("household", "installation", "ticket", "enterprise", "township", "beijing", "ledger",
                  "assessment", "programme")
"""Prefixes of the audit log's resource names (``household/YC-2022-000001``, ``installation/17`` …)."""

TYPE_PREFIX = "cn.cleanheat."


def resource_names(resource: str) -> list[str]:
    """The resource names a clerk's ``--resource`` may mean: as given, and with each kind prefix when it has none.

    ``YC-2022-000001`` → ``YC-2022-000001``, ``household/YC-2022-000001``, ``installation/YC-2022-000001`` …
    """
    r = resource.strip()
    if not r:
        raise InputError("empty resource", field="--resource")
    if "/" in r:
        return [r]
    return [r, *(f"{kind}/{r}" for kind in RESOURCE_KINDS)]


def _instant(day: dt.date, *, end: bool = False) -> str:
    """The UTC ISO text of local midnight starting ``day`` (or the next day, for an inclusive end)."""
    from cleanheat.clock import programme_tz

    start = dt.datetime.combine(day + dt.timedelta(days=1) if end else day, dt.time(0), programme_tz())
    return start.astimezone(dt.UTC).isoformat(timespec="microseconds")


def entries(
    session: Session, *, resources: Sequence[str] | None = None, actor: str | None = None, action: str | None = None,
    since: dt.date | None = None, until: dt.date | None = None, limit: int | None = None,
) -> list[dict[str, Any]]:
    """Audit entries (CloudEvents envelopes), oldest first, that match every filter given.

    Parameters
    ----------
    resources : sequence of str, optional
        Exact resource names (see :func:`resource_names`); any of them matches.
    actor : str, optional
        Exactly this actor.
    action : str, optional
        An action or its start: ``payment`` matches ``payment.made`` and ``payment.batch``.
    since, until : date, optional
        Civil dates of the programme time zone, both inclusive.
    limit : int, optional
        Only the last ``limit`` matching entries (≥ 1).

    Raises
    ------
    InputError
        ``limit`` below 1, or ``until`` before ``since``.
    """
    if limit is not None and limit < 1:
        raise InputError(f"must be at least 1, got {limit}", field="--limit")
    if since is not None and until is not None and until < since:
        raise InputError(f"--until {until} is before --since {since}", field="--until")
    stmt = select(AuditEvent)
    if resources:
        stmt = stmt.where(AuditEvent.subject.in_(list(resources)))
    if actor is not None:
        stmt = stmt.where(AuditEvent.actor == actor)
    if action is not None:
        a = action.strip().removeprefix(TYPE_PREFIX)
        stmt = stmt.where(or_(AuditEvent.type == TYPE_PREFIX + a, AuditEvent.type.startswith(TYPE_PREFIX + a + ".")))
    if since is not None:
        stmt = stmt.where(AuditEvent.time >= _instant(since))
    if until is not None:
        stmt = stmt.where(AuditEvent.time < _instant(until, end=True))
    if limit is None:
        events = list(session.execute(stmt.order_by(AuditEvent.seq)).scalars())
    else:
        events = list(session.execute(stmt.order_by(AuditEvent.seq.desc()).limit(limit)).scalars())
        events.reverse()
    return [event_envelope(e) for e in events]
