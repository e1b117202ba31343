"""The append-only audit log: CloudEvents-shaped entries chained by SHA-256 hashes.

Each entry's ``hash`` is ``sha256(prev_hash || canonical JSON of the entry)``; the chain head
(sequence number and hash of the last entry) lives in ``audit_head``, which an appender locks
(``SELECT … FOR UPDATE``) so two transactions never fork the chain. An edited, deleted or
inserted row breaks the chain at that entry, which :func:`verify` names.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cleanheat.registry.bulk import insert_rows
from cleanheat.registry.models import AuditEvent, AuditHead

__all__ = ["GENESIS", "MONEY_TYPES", "SOURCE", "AuditRecord", "Break", "Mismatch", "Verification", "event_envelope",
           "log", "record", "record_many", "verify", "verify_all"]

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


def _event_ids(n: int) -> list[str]:
    """``n`` random (version 4) UUIDs as text, as ``str(uuid.uuid4())`` gives them, from one read of the
    system's random source (``uuid4`` reads it once per UUID)."""
    raw = os.urandom(16 * n).hex()
    variant = "89ab"
    return [f"{raw[i:i + 8]}-{raw[i + 8:i + 12]}-4{raw[i + 13:i + 16]}-{variant[int(raw[i + 16], 16) & 3]}"
            f"{raw[i + 17:i + 20]}-{raw[i + 20:i + 32]}" for i in range(0, 32 * n, 32)]


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
    recs = records if isinstance(records, list) else list(records)
    rows: list[dict[str, Any]] = []
    dumps, sort_keys, sha256 = orjson.dumps, orjson.OPT_SORT_KEYS, hashlib.sha256
    for rec, event_id in zip(recs, _event_ids(len(recs)), strict=True):
        seq += 1
        data = rec.data
        # the body's keys in sorted order, so its JSON is the canonical form of :func:`_canonical`
        body: dict[str, Any] = {
            "actor": rec.actor,
            "data": dumps(data if type(data) is dict else dict(data), option=sort_keys).decode(),
            "event_id": event_id,
            "outcome": rec.outcome,
            "seq": seq,
            "source": SOURCE,
            "subject": rec.resource,
            "time": when,
            "type": f"cn.cleanheat.{rec.action}",
            "why": rec.why,
        }
        digest = sha256(prev.encode("ascii") + b"\n" + dumps(body)).hexdigest()
        body["prev_hash"], body["hash"] = prev, digest
        prev = digest
        rows.append(body)
    if rows:
        insert_rows(session.connection(), AuditEvent.__table__, rows)
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
    return _walk(session, None)


def _walk(session: Session, money: list[tuple[str, str, dict[str, Any]]] | None) -> tuple[int, Break | None]:
    """The chain walk of :func:`verify`; with ``money``, also collects every money entry (type, subject,
    data) of the whole log, past a break too."""
    prev = GENESIS
    expected_seq = 0
    n = 0
    brk: Break | None = None
    table = AuditEvent.__table__
    rows = session.connection().execute(select(table).order_by(table.c.seq).execution_options(yield_per=5000))
    try:
        for ev in rows:
            if money is not None and ev.type in MONEY_TYPES:
                try:
                    money.append((ev.type, ev.subject, orjson.loads(ev.data)))
                except orjson.JSONDecodeError:
                    pass  # an edited entry: the chain check names it
            if brk is not None:
                continue
            n += 1
            expected_seq += 1
            brk = _check(ev, expected_seq, prev)
            if brk is None:
                prev = ev.hash
            elif money is None:
                break
    finally:
        rows.close()  # a server-side cursor on PostgreSQL, left open by an early stop
    if brk is not None:
        return n, brk
    head = session.get(AuditHead, 1)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != expected_seq or head_hash != prev:
        return n, Break(
            expected_seq + 1, None,
            f"chain head says {head_seq} entries, the log holds {expected_seq}: entries after "
            f"{expected_seq} were deleted",
        )
    return n, None


def _check(ev: Any, expected_seq: int, prev: str) -> Break | None:
    """The break at entry ``ev`` (a row of ``audit_event``), or ``None`` when it links to ``prev``."""
    if ev.seq != expected_seq:
        return Break(expected_seq, None, f"entry {expected_seq} is missing (next entry is {ev.seq})")
    if ev.prev_hash != prev:
        return Break(ev.seq, ev.event_id, "prev_hash does not match the hash of the entry before it")
    if _hash(prev, _body(ev._mapping)) != ev.hash:
        return Break(ev.seq, ev.event_id, "content does not match its hash (the entry was edited)")
    return None


# --------------------------------------------------------------------------------------------
# The money tables against the log
# --------------------------------------------------------------------------------------------

MONEY_TYPES = frozenset({"cn.cleanheat.payment.made", "cn.cleanheat.payment.reversed", "cn.cleanheat.payment.batch"})
"""Entries that record money: every payment and reversal with its amounts, every run with the envelope caps."""

PROBLEMS = {
    "changed": ("与日志不符", "differs from the log"),
    "not_logged": ("无审计日志记录（在应用之外写入）", "has no audit entry (written outside the application)"),
    "deleted": ("日志中有记录，库中已删除", "is in the log but not in the database (deleted)"),
}


@dataclass(frozen=True)
class Mismatch:
    """A money row that does not agree with the audit log."""

    table: str
    row_id: int | None
    household_id: str | None
    problem: str  # changed | not_logged | deleted
    field: str | None = None
    logged: Any = None
    stored: Any = None
    voucher_no: str | None = None
    name: str | None = None  # what else names the row (an envelope's source)

    @property
    def message(self) -> str:
        """Chinese first, English beside."""
        zh_p, en_p = PROBLEMS[self.problem]
        row = f"{self.table} #{self.row_id}" if self.row_id is not None else self.table
        zh = [x for x in (self.name, f"农户 {self.household_id}" if self.household_id else None,
                          f"凭证 {self.voucher_no}" if self.voucher_no else None) if x]
        en = [x for x in (self.name, f"household {self.household_id}" if self.household_id else None,
                          f"voucher {self.voucher_no}" if self.voucher_no else None) if x]
        row_zh = f"{row}（{'、'.join(zh)}）" if zh else row
        row_en = f"{row} ({', '.join(en)})" if en else row
        if self.problem == "changed":
            return (f"{row_zh} {self.field}：日志记为 {self.logged}，库中为 {self.stored} — {row_en}: "
                    f"{self.field} logged {self.logged}, stored {self.stored}")
        return f"{row_zh} {zh_p} — {row_en} {en_p}"

    def as_dict(self) -> dict[str, Any]:
        return {"table": self.table, "row_id": self.row_id, "household_id": self.household_id,
                "voucher_no": self.voucher_no, "name": self.name, "problem": self.problem, "field": self.field,
                "logged": self.logged, "stored": self.stored, "message": self.message}


@dataclass
class Verification:
    """The chain check and the money reconciliation of :func:`verify_all`."""

    entries: int
    first_break: Break | None
    mismatches: list[Mismatch]
    checked: dict[str, int]

    @property
    def intact(self) -> bool:
        """The hash chain holds."""
        return self.first_break is None

    @property
    def reconciled(self) -> bool:
        """Every money row agrees with the log."""
        return not self.mismatches

    def as_dict(self, *, details: int = 1000) -> dict[str, Any]:
        """The ``audit verify --json`` document: the chain fields as before, the reconciliation beside."""
        out: dict[str, Any] = {"intact": self.intact}
        if self.first_break is None:
            out["entries"] = self.entries
        else:
            b = self.first_break
            out["entries_checked"] = self.entries
            out["first_broken"] = {"sequence": b.seq, "id": b.event_id, "problem": b.problem}
        out["money_reconciled"] = self.reconciled
        out["money_checked"] = dict(self.checked)
        out["money_mismatch_count"] = len(self.mismatches)
        out["money_mismatches"] = [m.as_dict() for m in self.mismatches[:details]]
        return out


def verify_all(session: Session, *, expected_caps: Mapping[str, int] | None = None) -> Verification:
    """The chain (as :func:`verify`) and the money tables against the log, in one pass over the log.

    Each payment, each ``pay``/``recover`` entry of the fund ledger and each reversal must be the one its
    ``payment.made`` / ``payment.reversed`` entry records (amounts, household, installation, date,
    voucher); a row without an entry was written outside the application, an entry without its row was
    deleted. Envelope caps must be ``expected_caps`` (default: the programme's parameters; no command
    changes a cap), now and as every payment run and reversal logged them. ``commit`` entries of the fund
    ledger are not reconciled (their amounts are not in the log).
    """
    from cleanheat.registry.reconcile import reconcile

    money: list[tuple[str, str, dict[str, Any]]] = []
    n, brk = _walk(session, money)
    checked, mismatches = reconcile(session, money, expected_caps=expected_caps)
    return Verification(n, brk, mismatches, checked)


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
