"""The one-time subsidy payment (一次性发放全额补贴), one household at a time or all at once.

Guards (盐政办发〔2022〕8号 四, 六(二), 二(一); SPEC §2, §3):

- only an accepted installation is payable, and only when the rules engine says ``payable``; the
  amounts are the engine's, stored with its reasons and trace, never typed by hand;
- a household is paid at most once: a unique constraint on ``payment.household_id`` and, on
  PostgreSQL, the envelope rows locked ``FOR UPDATE`` for the whole payment transaction, so two
  clerks paying at the same moment are serialised and the second finds the household paid;
- suspected duplicate households (same identity number or phone, or fuzzy name + address) are held
  until a clerk decides;
- a payment that would take spending past the central or county envelope is refused, whole.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import and_, func, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from cleanheat.errors import Conflict, NotFound, RegistryError
from cleanheat.registry import audit
from cleanheat.registry.models import (
    Acceptance,
    DecisionDoc,
    FundEnvelope,
    FundLedgerEntry,
    Household,
    Installation,
    Payment,
    Township,
    Village,
)
from cleanheat.registry.services.households import find_duplicates
from cleanheat.registry.services.installations import chunked, decision_records

__all__ = ["PayResult", "envelope_spending", "get_payment", "pay_accepted", "pay_installation", "voucher_number"]


@dataclass
class PayResult:
    """What a payment run did."""

    paid: int = 0
    total_cny: int = 0
    central_cny: int = 0
    local_cny: int = 0
    paid_on: str = ""
    already_paid: int = 0
    held_duplicates: list[dict[str, Any]] = field(default_factory=list)
    not_payable: list[dict[str, Any]] = field(default_factory=list)
    vouchers: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self, *, details: int = 50) -> dict[str, Any]:
        return {
            "paid": self.paid,
            "total_cny": self.total_cny,
            "central_cny": self.central_cny,
            "local_cny": self.local_cny,
            "paid_on": self.paid_on,
            "already_paid": self.already_paid,
            "held_duplicates": len(self.held_duplicates),
            "not_payable": len(self.not_payable),
            "warnings": self.warnings,
            "held_duplicate_details": self.held_duplicates[:details],
            "not_payable_details": self.not_payable[:details],
        }


def voucher_number(paid_on: dt.date, household_code: str) -> str:
    """Voucher (凭证) number of a household's payment: unique, since a household is paid once."""
    return f"BT{paid_on:%Y%m%d}-{household_code}"


def _lock_envelopes(session: Session) -> dict[str, FundEnvelope]:
    envs = session.execute(select(FundEnvelope).order_by(FundEnvelope.id).with_for_update()).scalars().all()
    if not envs:
        raise RegistryError("no fund envelopes in the registry; load the programme first (`cleanheat demo load` "
                            "or `cleanheat ledger import`)")
    return {e.source: e for e in envs}


def envelope_spending(*, session: Session) -> dict[str, dict[str, int]]:
    """Per envelope: cap, paid, outstanding commitments and what is left (CNY)."""
    envs = {e.id: e for e in session.execute(select(FundEnvelope)).scalars()}
    paid = session.execute(
        select(FundLedgerEntry.envelope_id, func.sum(FundLedgerEntry.amount_cny))
        .where(FundLedgerEntry.kind == "pay").group_by(FundLedgerEntry.envelope_id)
    ).all()
    # a commitment is outstanding until its installation is paid (or voided)
    committed = session.execute(
        select(FundLedgerEntry.envelope_id, func.sum(FundLedgerEntry.amount_cny))
        .where(FundLedgerEntry.kind == "commit",
               FundLedgerEntry.installation_id.not_in(select(Payment.installation_id)),
               FundLedgerEntry.installation_id.not_in(select(Installation.id).where(Installation.void.is_(True))))
        .group_by(FundLedgerEntry.envelope_id)
    ).all()
    out = {e.source: {"cap_cny": int(e.cap_cny), "paid_cny": 0, "committed_cny": 0} for e in envs.values()}
    for eid, total in paid:
        out[envs[eid].source]["paid_cny"] = int(total or 0)
    for eid, total in committed:
        out[envs[eid].source]["committed_cny"] = int(total or 0)
    for v in out.values():
        v["left_cny"] = v["cap_cny"] - v["paid_cny"]
        v["left_after_commitments_cny"] = v["cap_cny"] - v["paid_cny"] - v["committed_cny"]
    return out


def _doc_ids(session: Session, kind: str, bodies: list[Any]) -> list[int]:
    digests = [hashlib.sha256(kind.encode() + orjson.dumps(b, option=orjson.OPT_SORT_KEYS)).hexdigest()
               for b in bodies]
    unique = dict(zip(digests, bodies, strict=True))
    have: dict[str, int] = {
        d: i for d, i in session.execute(
            select(DecisionDoc.digest, DecisionDoc.id).where(DecisionDoc.digest.in_(list(unique))))
    }
    missing = [{"digest": d, "kind": kind, "body": b} for d, b in unique.items() if d not in have]
    if missing:
        session.execute(insert(DecisionDoc), missing)
        for d, i in session.execute(select(DecisionDoc.digest, DecisionDoc.id)
                                    .where(DecisionDoc.digest.in_([m["digest"] for m in missing]))):
            have[d] = i
    return [have[d] for d in digests]


def pay_accepted(
    *,
    session: Session,
    actor: str,
    township: str | None = None,
    paid_on: dt.date | None = None,
    installation_ids: Sequence[int] | None = None,
    why: str = "",
) -> PayResult:
    """Pay every accepted, unpaid installation (optionally of one township, or only ``installation_ids``)
    in the session's transaction. Idempotent: a rerun pays no one twice.

    Raises
    ------
    Conflict
        The batch would take spending past an envelope (nothing is paid), or another clerk paid one of the
        households at the same moment.
    """
    from cleanheat.policy.decide import decide_yanchi

    paid_on = paid_on or dt.date.today()
    envelopes = _lock_envelopes(session)
    result = PayResult(paid_on=paid_on.isoformat())

    paid_households = select(Payment.household_id)
    cond = and_(
        Installation.void.is_(False),
        Acceptance.id.is_not(None),
        Household.merged_into_id.is_(None),
    )
    if township is not None:
        tid = session.execute(select(Township.id).where(Township.name == township)).scalar()
        if tid is None:
            raise NotFound(f"no township {township!r}")
        cond = and_(cond, Household.village_id.in_(select(Village.id).where(Village.township_id == tid)))
    count_already = (
        select(func.count()).select_from(Installation)
        .join(Household, Installation.household_id == Household.id)
        .join(Acceptance, Acceptance.installation_id == Installation.id)
        .join(Payment, Payment.household_id == Installation.household_id)
        .where(cond)
    )
    if installation_ids is None:
        already = session.execute(count_already).scalar_one()
    else:
        already = sum(session.execute(count_already.where(Installation.id.in_(chunk))).scalar_one()
                      for chunk in chunked(sorted(set(installation_ids))))
    result.already_paid = int(already)
    recs = decision_records(
        session=session, installation_ids=installation_ids,
        stmt_filter=and_(cond, Installation.household_id.not_in(paid_households)),
    )
    # one installation per household: the first accepted
    seen: set[int] = set()
    candidates = []
    for iid, hpk, rec in sorted(recs, key=lambda x: (x[2]["accepted_on"], x[0])):
        if hpk in seen:
            continue
        seen.add(hpk)
        candidates.append((iid, hpk, rec))
    if not candidates:
        return result

    dup_pairs = find_duplicates(session=session, among=[hpk for _, hpk, _ in candidates])
    held: dict[str, list[dict[str, Any]]] = {}
    for p in dup_pairs:
        held.setdefault(p.a, []).append({"other": p.b, "reason": p.reason, "score": p.score})
        held.setdefault(p.b, []).append({"other": p.a, "reason": p.reason, "score": p.score})
    to_decide = []
    for iid, hpk, rec in candidates:
        if rec["household_id"] in held:
            result.held_duplicates.append({"household_id": rec["household_id"], "installation_id": iid,
                                           "suspected": held[rec["household_id"]]})
        else:
            to_decide.append((iid, hpk, rec))
    if not to_decide:
        return result

    decisions = decide_yanchi([r for _, _, r in to_decide], trace=True)
    payable = []
    for (iid, hpk, rec), d in zip(to_decide, decisions, strict=True):
        if d["status"] == "payable" and d["total_cny"] > 0:
            payable.append((iid, hpk, rec, d))
        else:
            result.not_payable.append({
                "household_id": rec["household_id"], "installation_id": iid, "status": d["status"],
                "reasons": [r["rule"] for r in d["reasons"]],
            })
    if not payable:
        return result

    central = sum(int(d["central_cny"]) for *_, d in payable)
    local = sum(int(d["local_cny"]) for *_, d in payable)
    spending = envelope_spending(session=session)
    for source, amount in (("central", central), ("county", local)):
        s = spending[source]
        if s["paid_cny"] + amount > s["cap_cny"]:
            raise Conflict(
                f"paying {len(payable)} households would take {source} spending to "
                f"{s['paid_cny'] + amount:,} CNY, past its envelope of {s['cap_cny']:,} CNY "
                f"({s['paid_cny']:,} CNY paid so far, {amount:,} CNY in this batch); nothing was paid "
                "(盐政办发〔2022〕8号 二(一))"
            )

    reasons_ids = _doc_ids(session, "reasons", [d["reasons"] for *_, d in payable])
    trace_ids = _doc_ids(session, "trace", [d["trace"] for *_, d in payable])
    rows: list[dict[str, Any]] = []
    for (iid, hpk, rec, d), rid, tid_ in zip(payable, reasons_ids, trace_ids, strict=True):
        rows.append({
            "household_id": hpk, "installation_id": iid, "central_cny": int(d["central_cny"]),
            "local_cny": int(d["local_cny"]), "total_cny": int(d["total_cny"]),
            "household_share_cny": int(d["household_share_cny"]),
            "voucher_no": voucher_number(paid_on, rec["household_id"]), "paid_on": paid_on, "actor": actor,
            "reasons_doc_id": rid, "trace_doc_id": tid_,
        })
    try:
        payment_ids: list[int] = []
        for start in range(0, len(rows), 5000):
            res = session.execute(insert(Payment).returning(Payment.id, sort_by_parameter_order=True),
                                  rows[start:start + 5000])
            payment_ids.extend(res.scalars().all())
    except IntegrityError as exc:
        raise Conflict(
            "another payment of one of these households was made at the same moment; nothing was paid "
            f"(a household is subsidised once, 盐政办发〔2022〕8号 六(二)4): {exc.orig}"
        ) from None
    except OperationalError as exc:  # SQLite: the other writer holds the database
        raise Conflict(f"the registry is busy with another payment; nothing was paid, retry: {exc.orig}") from None

    env_id = {"central": envelopes["central"].id, "county": envelopes["county"].id}
    ledger: list[dict[str, Any]] = []
    for row, pid in zip(rows, payment_ids, strict=True):
        for source, amount in (("central", row["central_cny"]), ("county", row["local_cny"])):
            if amount:
                ledger.append({"envelope_id": env_id[source], "kind": "pay", "amount_cny": amount,
                               "installation_id": row["installation_id"], "payment_id": pid,
                               "voucher_no": row["voucher_no"], "booked_on": paid_on})
    for start in range(0, len(ledger), 5000):
        session.execute(insert(FundLedgerEntry), ledger[start:start + 5000])

    events = [
        audit.AuditRecord(
            actor=actor, action="payment.made", resource=f"household/{rec['household_id']}", why=why,
            data={"installation_id": iid, "voucher_no": row["voucher_no"], "central_cny": row["central_cny"],
                  "local_cny": row["local_cny"], "total_cny": row["total_cny"], "paid_on": paid_on.isoformat()},
        )
        for (iid, _hpk, rec, _d), row in zip(payable, rows, strict=True)
    ]
    result.paid = len(rows)
    result.central_cny = central
    result.local_cny = local
    result.total_cny = central + local
    result.vouchers = [r["voucher_no"] for r in rows]
    events.append(audit.AuditRecord(
        actor=actor, action="payment.batch", resource=f"township/{township}" if township else "programme/yanchi",
        why=why, data={"paid": result.paid, "total_cny": result.total_cny, "central_cny": central, "local_cny": local,
                       "held_duplicates": len(result.held_duplicates), "not_payable": len(result.not_payable)},
    ))
    audit.record_many(session, events)
    left = envelope_spending(session=session)
    for source in ("central", "county"):
        e = left[source]
        if e["left_after_commitments_cny"] < 0:
            result.warnings.append(
                f"{source} envelope: payments and outstanding commitments exceed its cap of {e['cap_cny']:,} CNY "
                f"by {-e['left_after_commitments_cny']:,} CNY; later payments will be refused")
    return result


def pay_installation(*, session: Session, installation_id: int, actor: str, paid_on: dt.date | None = None,
                     why: str = "") -> Payment:
    """Pay the subsidy of one accepted installation.

    Raises
    ------
    NotFound
        No such installation.
    Conflict
        Not accepted, household already paid, a suspected duplicate, not payable under the rules (the
        reasons are named), or over an envelope.
    """
    inst = session.get(Installation, installation_id)
    if inst is None or inst.void:
        raise NotFound(f"no installation {installation_id}")
    hh = session.get(Household, inst.household_id)
    assert hh is not None
    label = f"installation {installation_id} (household_id={hh.household_id})"
    if session.execute(select(Acceptance.id).where(Acceptance.installation_id == installation_id)).first() is None:
        raise Conflict(f"{label} is not accepted; only an accepted installation is payable (盐政办发〔2022〕8号 四)")
    result = pay_accepted(session=session, actor=actor, paid_on=paid_on, installation_ids=[installation_id], why=why)
    if result.paid == 1:
        payment = session.execute(select(Payment).where(Payment.installation_id == installation_id)).scalar_one()
        return payment
    if result.already_paid:
        raise Conflict(f"{label}: the household has already been paid; a household is subsidised once "
                       "(盐政办发〔2022〕8号 六(二)4)")
    if result.held_duplicates:
        others = ", ".join(f"{s['other']} ({s['reason']})" for s in result.held_duplicates[0]["suspected"])
        raise Conflict(f"{label} is held as a suspected duplicate of {others}; merge or mark distinct first")
    if result.not_payable:
        np_ = result.not_payable[0]
        raise Conflict(f"{label} is {np_['status']}, not payable: rules {', '.join(np_['reasons'])}")
    if hh.merged_into_id is not None:
        raise Conflict(f"{label}: household was merged into another record")
    raise Conflict(f"{label} is not payable")


def get_payment(*, session: Session, household_id: str) -> dict[str, Any]:
    """A household's payment with the rules engine's reasons and trace."""
    row = session.execute(
        select(Payment).join(Household, Payment.household_id == Household.id)
        .where(Household.household_id == household_id)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"household {household_id!r} has no payment")
    return {
        "household_id": household_id, "installation_id": row.installation_id, "voucher_no": row.voucher_no,
        "paid_on": row.paid_on.isoformat(), "central_cny": row.central_cny, "local_cny": row.local_cny,
        "total_cny": row.total_cny, "household_share_cny": row.household_share_cny, "actor": row.actor,
        "reasons": row.reasons_doc.body, "trace": row.trace_doc.body,
    }
