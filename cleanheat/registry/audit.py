"""The append-only audit log: CloudEvents-shaped entries chained by SHA-256 hashes.

Each entry's ``hash`` is ``sha256(prev_hash || canonical JSON of the entry)``; the chain head
(sequence number and hash of the last entry) lives in ``audit_head``, which an appender locks
(``SELECT … FOR UPDATE``) so two transactions never fork the chain. An edited, deleted or
inserted row breaks the chain at that entry, which :func:`verify` names.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cleanheat.registry.models import AuditEvent, AuditHead

__all__ = ["GENESIS", "SOURCE", "AuditRecord", "Break", "event_envelope", "log", "record", "record_many",
           "verify"]

GENESIS = "0" * 64
SOURCE = "/cleanheat/registry"
SPECVERSION = "1.0"


@dataclass(frozen=True)
class AuditRecord:
    """What happened: who (actor) did what (action) to which resource, with what outcome and why."""

    actor: str
    action: str
    resource: str
    outcome: str = "success"
    why: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Break:
    """The first entry where the chain does not hold."""

    seq: int
    event_id: str | None
    problem: str


def _canonical(entry: Mapping[str, Any]) -> bytes:
    return orjson.dumps(dict(entry), option=orjson.OPT_SORT_KEYS)


def _hash(prev_hash: str, body: Mapping[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + _canonical(body)).hexdigest()


def _body(row: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("seq", "event_id", "source", "type", "subject", "time", "actor", "outcome", "why", "data")
    return {k: row[k] for k in keys}


def record_many(session: Session, records: Iterable[AuditRecord], *, at: dt.datetime | None = None) -> int:
    """Append ``records`` to the chain in the session's transaction; returns the last sequence number.

    The chain head is locked until the transaction ends, so appends are serialised.
    """
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:  # the very first entry: two first writers may race to create the head
        try:
            with session.begin_nested():
                session.add(AuditHead(id=1, seq=0, hash=GENESIS))
        except IntegrityError:
            pass
        head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    seq, prev = head.seq, head.hash
    when = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).isoformat(timespec="microseconds")
    rows: list[dict[str, Any]] = []
    for rec in records:
        seq += 1
        row: dict[str, Any] = {
            "seq": seq,
            "event_id": str(uuid.uuid4()),
            "source": SOURCE,
            "type": f"cn.cleanheat.{rec.action}",
            "subject": rec.resource,
            "time": when,
            "actor": rec.actor,
            "outcome": rec.outcome,
            "why": rec.why,
            "data": orjson.dumps(dict(rec.data), option=orjson.OPT_SORT_KEYS).decode(),
        }
        row["prev_hash"] = prev
        row["hash"] = prev = _hash(prev, _body(row))
        rows.append(row)
    if rows:
        for start in range(0, len(rows), 5000):
            session.connection().execute(insert(AuditEvent), rows[start:start + 5000])
        head.seq, head.hash = seq, prev
        session.flush()
    return seq


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    resource: str,
    outcome: str = "success",
    why: str = "",
    data: Mapping[str, Any] | None = None,
) -> int:
    """Append one entry (see :func:`record_many`)."""
    return record_many(
        session, [AuditRecord(actor=actor, action=action, resource=resource, outcome=outcome, why=why,
                              data=data or {})]
    )


def verify(session: Session) -> tuple[int, Break | None]:
    """Walk the chain from the first entry; returns (entries checked, first break or ``None``)."""
    prev = GENESIS
    expected_seq = 0
    n = 0
    result = session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()
    for ev in result.yield_per(5000):
        n += 1
        expected_seq += 1
        row = {c: getattr(ev, c) for c in ("seq", "event_id", "source", "type", "subject", "time", "actor",
                                           "outcome", "why", "data", "prev_hash", "hash")}
        if ev.seq != expected_seq:
            return n, Break(expected_seq, None, f"entry {expected_seq} is missing (next entry is {ev.seq})")
        if ev.prev_hash != prev:
            return n, Break(ev.seq, ev.event_id, "prev_hash does not match the hash of the entry before it")
        if _hash(prev, _body(row)) != ev.hash:
            return n, Break(ev.seq, ev.event_id, "content does not match its hash (the entry was edited)")
        prev = ev.hash
    head = session.get(AuditHead, 1)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != expected_seq or head_hash != prev:
        return n, Break(
            expected_seq + 1, None,
            f"chain head says {head_seq} entries, the log holds {expected_seq}: entries after "
            f"{expected_seq} were deleted",
        )
    return n, None


def event_envelope(ev: AuditEvent) -> dict[str, Any]:
    """The entry as a CloudEvents 1.0 JSON envelope (with the cleanheat extensions)."""
    return {
        "specversion": SPECVERSION,
        "id": ev.event_id,
        "source": ev.source,
        "type": ev.type,
        "subject": ev.subject,
        "time": ev.time,
        "datacontenttype": "application/json",
        "actor": ev.actor,
        "outcome": ev.outcome,
        "why": ev.why,
        "data": orjson.loads(ev.data),
        "sequence": ev.seq,
        "prevhash": ev.prev_hash,
        "hash": ev.hash,
    }


def log(session: Session, *, resource: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Entries (oldest first), optionally only those about ``resource``."""
    stmt = select(AuditEvent).order_by(AuditEvent.seq)
    if resource is not None:
        stmt = stmt.where(AuditEvent.subject == resource)
    if limit is not None:
        stmt = stmt.order_by(None).order_by(AuditEvent.seq.desc()).limit(limit)
    events = list(session.execute(stmt).scalars())
    if limit is not None:
        events.reverse()
    return [event_envelope(e) for e in events]
