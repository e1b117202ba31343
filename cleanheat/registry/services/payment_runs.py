"""Payment runs as an office makes them in the browser: a preview that fingerprints exactly what it would
pay, a confirmation that pays exactly that or nothing, the runs made so far, the vouchers, and the recovery
(追回) of one voucher's payment.

Every payment is made by :func:`cleanheat.registry.services.payments.pay_accepted` (one transaction, the
rules engine's amounts, a household paid once even when two officers pay at the same moment) and every
recovery by :func:`~cleanheat.registry.services.payments.reverse_payment`; this module adds what the
two-step page needs:

- :func:`preview_run` — the dry run, the effect on each envelope, and a **fingerprint**: SHA-256 of the
  township, the payment date, every (installation, central, county) amount that would be paid and the
  central and county totals paid before the run.
- :func:`pay_run` — pays in the caller's transaction and recomputes the fingerprint of what it has just
  paid, inside a savepoint; if it is not the one the officer confirmed (someone accepted, paid, recovered
  or corrected something meanwhile), the savepoint is rolled back and :class:`StalePreview` is raised:
  nothing is paid, written or audited, and the officer previews again.
- A *run* is read back from the audit log: its ``payment.batch`` entry (sequence number ``seq``) and the
  ``payment.made`` entries written with it in the same call, the ``paid`` entries just before it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from cleanheat import clock
from cleanheat.errors import Conflict, InputError, NotFound
from cleanheat.registry.models import (
    AuditEvent,
    AuditHead,
    Household,
    Payment,
    PaymentReversal,
    Township,
    Village,
)
from cleanheat.registry.services.installations import chunked
from cleanheat.registry.services.payments import (
    ENVELOPE_NAMES,
    PayResult,
    envelope_spending,
    envelope_warnings,
    pay_accepted,
    reverse_payment,
)

__all__ = [
    "BATCH_TYPE",
    "MADE_TYPE",
    "PAYMENT_STATES",
    "Page",
    "RunPreview",
    "StalePreview",
    "envelope_effect",
    "fingerprint",
    "get_voucher",
    "list_payments",
    "pay_run",
    "payment_run",
    "payment_runs",
    "preview_run",
    "reverse_voucher",
]

BATCH_TYPE = "cn.cleanheat.payment.batch"
MADE_TYPE = "cn.cleanheat.payment.made"
PAYMENT_STATES = ("all", "standing", "reversed")
"""Filter of the voucher list: every payment, those that stand (the household counts as paid), those recovered."""

STALE_MESSAGE = ("自预览以来项目数据已变化，未发放任何补贴，请重新预览 — the programme changed since the preview; "
                 "nothing was paid: preview again")


class StalePreview(Conflict):
    """The run would not pay exactly what the officer previewed (nothing was paid)."""

    def __init__(self, expected: str, found: str) -> None:
        self.expected = expected
        self.found = found
        super().__init__(f"{STALE_MESSAGE} (previewed {expected[:12]}, now {found[:12]})")


@dataclass
class RunPreview:
    """What a payment run would pay (a preview) or paid: the service's result, the effect on each envelope
    and the fingerprint of the payments and the totals paid before them."""

    township: str | None
    paid_on: dt.date
    result: PayResult
    envelopes: list[dict[str, Any]]
    fingerprint: str
    seq: int | None = None
    """The run's ``payment.batch`` audit entry once paid (``None`` for a preview or when nothing was paid)."""


@dataclass
class Page:
    """A page of rows (1-based), with the number of rows that match."""

    rows: list[dict[str, Any]]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _check_page(page: int, per_page: int) -> None:
    if page < 1:
        raise InputError(f"must be ≥ 1, got {page}", field="page")
    if not 1 <= per_page <= 500:
        raise InputError(f"must be 1–500, got {per_page}", field="per_page")


def fingerprint(*, township: str | None, paid_on: dt.date, payments: Sequence[dict[str, Any]],
                paid_before: dict[str, int]) -> str:
    """SHA-256 (hex) of what a run pays: township, date, each (installation, central, county) amount in
    installation order, and the central and county totals paid before it."""
    body = {
        "township": township or "",
        "paid_on": paid_on.isoformat(),
        "payments": sorted([int(p["installation_id"]), int(p["central_cny"]), int(p["local_cny"])] for p in payments),
        "paid_before": {k: int(paid_before.get(k, 0)) for k in ("central", "county")},
    }
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def envelope_effect(spending_before: dict[str, dict[str, int]], central_cny: int, local_cny: int
                    ) -> list[dict[str, Any]]:
    """Per envelope (central, county, household): cap, paid before, this run, paid after, outstanding
    commitments after (the run's payments are no longer outstanding) and what is left, before and after
    commitments (CNY)."""
    run = {"central": central_cny, "county": local_cny, "household": 0}
    out = []
    for source in ("central", "county", "household"):
        s = spending_before.get(source)
        if s is None:
            continue
        paid_after = s["paid_cny"] + run[source]
        committed_after = max(0, s["committed_cny"] - run[source])
        out.append({"source": source, "name": ENVELOPE_NAMES.get(source, source), "cap_cny": s["cap_cny"],
                    "paid_before_cny": s["paid_cny"], "run_cny": run[source], "paid_after_cny": paid_after,
                    "committed_after_cny": committed_after, "left_after_cny": s["cap_cny"] - paid_after,
                    "left_after_commitments_cny": s["cap_cny"] - paid_after - committed_after,
                    "share_paid_after": paid_after / s["cap_cny"] if s["cap_cny"] else 0.0})
    return out


def _paid_on(paid_on: dt.date | None) -> dt.date:
    today = clock.today()
    day = paid_on or today
    if day > today:
        raise InputError(f"paid on {day}, after today ({today})", field="paid_on")
    return day


def _check_township(session: Session, township: str | None) -> str | None:
    if not township:
        return None
    if session.execute(select(Township.id).where(Township.name == township)).scalar() is None:
        raise InputError(f"no township {township!r}", field="township")
    return township


def preview_run(*, session: Session, township: str | None = None, paid_on: dt.date | None = None,
                actor: str = "preview") -> RunPreview:
    """What a payment run of every accepted, unpaid installation (of one township, or all) would pay on
    ``paid_on`` (default today, programme time zone): :func:`pay_accepted` with ``dry_run``, nothing written.

    Raises
    ------
    InputError
        An unknown township, or a payment date after today.
    """
    township = _check_township(session, township)
    day = _paid_on(paid_on)
    before = envelope_spending(session=session)
    result = pay_accepted(session=session, actor=actor, township=township, paid_on=day, dry_run=True)
    fp = fingerprint(township=township, paid_on=day, payments=result.payments,
                     paid_before={k: v["paid_cny"] for k, v in before.items()})
    return RunPreview(township=township, paid_on=day, result=result, fingerprint=fp,
                      envelopes=envelope_effect(before, result.central_cny, result.local_cny))


def pay_run(*, session: Session, actor: str, expected_fingerprint: str, township: str | None = None,
            paid_on: dt.date, why: str = "") -> RunPreview:
    """Pay the run an officer previewed, in the session's transaction, exactly as previewed or not at all.

    Raises
    ------
    InputError
        No fingerprint, an unknown township or a payment date after today.
    StalePreview
        What the run would pay now is not what was previewed (fingerprint differs): nothing is paid.
    Conflict
        The run would take spending past an envelope, or another officer paid one of its households at the
        same moment (from :func:`pay_accepted`; nothing is paid).
    """
    if not expected_fingerprint:
        raise InputError("preview the run first: the confirmation carries the preview's fingerprint",
                         field="fingerprint")
    township = _check_township(session, township)
    day = _paid_on(paid_on)
    with session.begin_nested():
        result = pay_accepted(session=session, actor=actor, township=township, paid_on=day, why=why)
        after = envelope_spending(session=session)
        run = {"central": result.central_cny, "county": result.local_cny, "household": 0}
        before = {k: {**v, "paid_cny": v["paid_cny"] - run.get(k, 0),
                      "committed_cny": v["committed_cny"] + run.get(k, 0)} for k, v in after.items()}
        found = fingerprint(township=township, paid_on=day, payments=result.payments,
                            paid_before={k: v["paid_cny"] for k, v in before.items()})
        if found != expected_fingerprint:
            raise StalePreview(expected_fingerprint, found)
    seq = None
    if result.paid:
        seq = int(session.execute(select(AuditHead.seq).where(AuditHead.id == 1)).scalar_one())
        kind = session.execute(select(AuditEvent.type).where(AuditEvent.seq == seq)).scalar_one()
        assert kind == BATCH_TYPE, kind
    result.warnings = envelope_warnings(after)
    return RunPreview(township=township, paid_on=day, result=result, fingerprint=found, seq=seq,
                      envelopes=envelope_effect(before, result.central_cny, result.local_cny))


# --------------------------------------------------------------------------------------------
# Runs made (from the audit log)
# --------------------------------------------------------------------------------------------


def _run_doc(ev: AuditEvent, first_made: AuditEvent | None) -> dict[str, Any]:
    data = orjson.loads(ev.data)
    made = orjson.loads(first_made.data) if first_made is not None else {}
    subject = ev.subject
    return {"seq": ev.seq, "time": ev.time, "at": clock.as_utc(dt.datetime.fromisoformat(ev.time)), "actor": ev.actor,
            "why": ev.why,
            "township": subject.split("/", 1)[1] if subject.startswith("township/") else None,
            "paid": int(data.get("paid", 0)), "total_cny": int(data.get("total_cny", 0)),
            "central_cny": int(data.get("central_cny", 0)), "local_cny": int(data.get("local_cny", 0)),
            "held_duplicates": int(data.get("held_duplicates", 0)), "held_reversed": int(data.get("held_reversed", 0)),
            "not_payable": int(data.get("not_payable", 0)), "paid_on": made.get("paid_on"),
            "envelopes": data.get("envelopes", {})}


def payment_runs(*, session: Session, page: int = 1, per_page: int = 20) -> Page:
    """The payment runs made, newest first: each with its audit entry (``seq``, time, actor, why), township,
    date paid, number of households and amounts."""
    _check_page(page, per_page)
    total = int(session.execute(select(func.count()).select_from(AuditEvent)
                                .where(AuditEvent.type == BATCH_TYPE)).scalar_one())
    events = list(session.execute(select(AuditEvent).where(AuditEvent.type == BATCH_TYPE)
                                  .order_by(AuditEvent.seq.desc()).limit(per_page).offset((page - 1) * per_page))
                  .scalars())
    firsts: dict[int, AuditEvent] = {}
    wanted = [ev.seq - int(orjson.loads(ev.data).get("paid", 0)) for ev in events]
    if wanted:
        firsts = {e.seq: e for e in session.execute(select(AuditEvent).where(AuditEvent.seq.in_(wanted),
                                                                            AuditEvent.type == MADE_TYPE)).scalars()}
    rows = [_run_doc(ev, firsts.get(w)) for ev, w in zip(events, wanted, strict=True)]
    return Page(rows=rows, total=total, page=page, per_page=per_page)


def _payment_rows(session: Session, where: ColumnElement[bool] | None, ids: Sequence[int] | None = None,
                  *, order: Any = None, limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
    stmt = (select(Payment.id, Payment.voucher_no, Payment.paid_on, Payment.installation_id, Payment.attempt,
                   Payment.central_cny, Payment.local_cny, Payment.total_cny, Payment.household_share_cny,
                   Payment.actor, Household.household_id, Household.name, Township.name, Village.name,
                   PaymentReversal.voucher_no, PaymentReversal.reversed_on)
            .join(Household, Payment.household_id == Household.id)
            .join(Village, Household.village_id == Village.id)
            .join(Township, Village.township_id == Township.id)
            .outerjoin(PaymentReversal, PaymentReversal.payment_id == Payment.id))
    if where is not None:
        stmt = stmt.where(where)
    statements = [stmt] if ids is None else [stmt.where(Payment.id.in_(c)) for c in chunked(list(ids))]
    out = []
    for st in statements:
        st = st.order_by(*(order if order is not None else (Payment.id,)))
        if limit is not None:
            st = st.limit(limit).offset(offset)
        for r in session.execute(st):
            out.append({"payment_id": r[0], "voucher_no": r[1], "paid_on": r[2], "installation_id": r[3],
                        "attempt": r[4], "central_cny": int(r[5]), "local_cny": int(r[6]), "total_cny": int(r[7]),
                        "household_share_cny": int(r[8]), "actor": r[9], "household_id": r[10], "name": r[11],
                        "township": r[12], "village": r[13], "reversal_voucher_no": r[14], "reversed_on": r[15],
                        "standing": r[14] is None})
    return out


def payment_run(*, session: Session, seq: int) -> dict[str, Any]:
    """One payment run by its ``payment.batch`` audit entry: its figures and every payment it made (in the
    order paid), each with its household, voucher and whether it has been recovered since.

    Raises
    ------
    NotFound
        No payment run at ``seq``.
    """
    ev = session.execute(select(AuditEvent).where(AuditEvent.seq == seq, AuditEvent.type == BATCH_TYPE)).scalar()
    if ev is None:
        raise NotFound(f"no payment run {seq}")
    paid = int(orjson.loads(ev.data).get("paid", 0))
    made = list(session.execute(select(AuditEvent.data).where(AuditEvent.seq >= seq - paid, AuditEvent.seq < seq,
                                                             AuditEvent.type == MADE_TYPE)
                                .order_by(AuditEvent.seq)).scalars())
    ids = [int(orjson.loads(d)["payment_id"]) for d in made]
    first = session.execute(select(AuditEvent).where(AuditEvent.seq == seq - paid)).scalar()
    doc = _run_doc(ev, first if first is not None and first.type == MADE_TYPE else None)
    by_id = {r["payment_id"]: r for r in _payment_rows(session, None, ids)}
    doc["payments"] = [by_id[i] for i in ids if i in by_id]
    return doc


# --------------------------------------------------------------------------------------------
# Vouchers
# --------------------------------------------------------------------------------------------


def list_payments(*, session: Session, township: str | None = None, q: str | None = None, state: str = "all",
                  paid_from: dt.date | None = None, paid_to: dt.date | None = None, page: int = 1,
                  per_page: int = 50) -> Page:
    """Payments (vouchers), newest first, counted and paged in the database: of one township, whose voucher
    or household id starts with ``q``, standing or recovered (:data:`PAYMENT_STATES`), paid within dates.

    Raises
    ------
    InputError
        An unknown township or state, a bad page.
    """
    _check_page(page, per_page)
    if state not in PAYMENT_STATES:
        raise InputError(f"one of {', '.join(PAYMENT_STATES)}, got {state!r}", field="state")
    cond: list[ColumnElement[bool]] = []
    if township:
        tid = session.execute(select(Township.id).where(Township.name == township)).scalar()
        if tid is None:
            raise InputError(f"no township {township!r}", field="township")
        cond.append(Payment.household_id.in_(select(Household.id).join(Village, Household.village_id == Village.id)
                                             .where(Village.township_id == tid)))
    if q and q.strip():
        text = q.strip()
        cond.append(Payment.voucher_no.startswith(text, autoescape=True)
                    | Payment.household_id.in_(select(Household.id)
                                               .where(Household.household_id.startswith(text, autoescape=True))))
    reversed_ids = select(PaymentReversal.payment_id)
    if state == "standing":
        cond.append(Payment.id.not_in(reversed_ids))
    elif state == "reversed":
        cond.append(Payment.id.in_(reversed_ids))
    if paid_from:
        cond.append(Payment.paid_on >= paid_from)
    if paid_to:
        cond.append(Payment.paid_on <= paid_to)
    where = and_(*cond) if cond else None
    count = select(func.count()).select_from(Payment)
    total = int(session.execute(count.where(where) if where is not None else count).scalar_one())
    rows = _payment_rows(session, where, order=(Payment.paid_on.desc(), Payment.id.desc()), limit=per_page,
                         offset=(page - 1) * per_page)
    return Page(rows=rows, total=total, page=page, per_page=per_page)


def _run_of(session: Session, household_code: str, payment_id: int) -> int | None:
    """The ``seq`` of the payment run that made a payment (from its ``payment.made`` entry)."""
    made = None
    for seq, data in session.execute(select(AuditEvent.seq, AuditEvent.data)
                                     .where(AuditEvent.subject == f"household/{household_code}",
                                            AuditEvent.type == MADE_TYPE)):
        if int(orjson.loads(data).get("payment_id", -1)) == payment_id:
            made = seq
    if made is None:
        return None
    return session.execute(select(func.min(AuditEvent.seq)).where(AuditEvent.seq > made,
                                                                  AuditEvent.type == BATCH_TYPE)).scalar()


def get_voucher(*, session: Session, voucher_no: str) -> dict[str, Any]:
    """One payment by its voucher (凭证号): amounts, household, the rules engine's reasons and the parameters
    it read, whether it stands or was recovered (追回, with that voucher, date, who and why), and its run.

    Raises
    ------
    NotFound
        No payment with that voucher.
    """
    p = session.execute(select(Payment).where(Payment.voucher_no == voucher_no)).scalar()
    if p is None:
        raise NotFound(f"no payment with voucher {voucher_no!r}")
    (row,) = _payment_rows(session, Payment.id == p.id)
    rev = session.execute(select(PaymentReversal).where(PaymentReversal.payment_id == p.id)).scalar()
    trace = p.trace_doc.body if isinstance(p.trace_doc.body, dict) else {}
    return {**row, "reasons": list(p.reasons_doc.body or []), "parameters": list(trace.get("parameters") or []),
            "reversal": None if rev is None else {
                "voucher_no": rev.voucher_no, "reversed_on": rev.reversed_on, "actor": rev.actor, "why": rev.why,
                "central_cny": rev.central_cny, "local_cny": rev.local_cny, "total_cny": rev.total_cny},
            "run_seq": _run_of(session, row["household_id"], p.id)}


def reverse_voucher(*, session: Session, voucher_no: str, actor: str, why: str, on: dt.date | None = None
                    ) -> PaymentReversal:
    """Recover (追回) the payment of voucher ``voucher_no`` — that payment and no other — through
    :func:`reverse_payment` (audited; the envelopes' paid totals go down; ``why`` required).

    Raises
    ------
    NotFound
        No payment with that voucher.
    Conflict
        The payment was recovered already.
    InputError
        No reason, or a date before the payment or after today.
    """
    p = session.execute(select(Payment).where(Payment.voucher_no == voucher_no)).scalar()
    if p is None:
        raise NotFound(f"no payment with voucher {voucher_no!r}")
    with session.begin_nested():
        done = session.execute(select(PaymentReversal).where(PaymentReversal.payment_id == p.id)).scalar()
        if done is not None:
            raise Conflict(f"voucher {voucher_no}: its payment was already recovered on {done.reversed_on} "
                           f"(voucher {done.voucher_no}, by {done.actor}); nothing to reverse")
        rev = reverse_payment(session=session, actor=actor, why=why, installation_id=p.installation_id, on=on)
        if rev.payment_id != p.id:
            raise Conflict(f"voucher {voucher_no}: the installation's standing payment changed meanwhile; "
                           "nothing was recovered, reload the page")
    return rev
