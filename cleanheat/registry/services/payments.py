"""The one-time subsidy payment (一次性发放全额补贴), one household at a time or all at once, its
preview (``dry_run``), its reversal (追回) and the reasons a household is not paid.

Guards (盐政办发〔2022〕8号 四, 六(二), 二(一); SPEC §2, §3):

- only an accepted installation is payable, and only when the rules engine says ``payable``; the
  amounts are the engine's, stored with its reasons and trace, never typed by hand;
- a household has at most one *standing* payment (one not reversed): payments are numbered per
  household (``payment.attempt``, unique with the household) and, on PostgreSQL, the envelope rows
  are locked ``FOR UPDATE`` for the whole payment or reversal transaction, so two clerks paying at the
  same moment are serialised and the second finds the household paid;
- suspected duplicate households (same identity number or phone, or fuzzy name + address) are held
  until a clerk decides;
- a payment that would take spending past the central or county envelope is refused, whole.

Reversal (追回, :func:`reverse_payment`): a paid subsidy is never edited. A reversal is its own row
(``payment_reversal``) with the negative ``recover`` entries in the fund ledger and an audit entry
(who, when, why, amounts). Afterwards the household is not paid any more and its installation's
commitment is outstanding again; the installation may be voided. A bulk run (``pay_accepted``
without ``installation_ids``) does not pay a reversed household again by itself: it is listed as
held (``held_reversed``), and a clerk pays it again one installation at a time (``pay_installation``,
or ``installation_ids``) once its record is corrected — and only if the rules then say payable, as a
new payment (the next ``attempt``) beside the reversed one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import ColumnElement, and_, func, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from cleanheat import clock
from cleanheat.errors import Conflict, InputError, NotFound, RegistryError
from cleanheat.registry import audit
from cleanheat.registry.models import (
    Acceptance,
    DecisionDoc,
    FailedInspection,
    FundEnvelope,
    FundLedgerEntry,
    Household,
    Installation,
    Payment,
    PaymentReversal,
    Township,
    Village,
)
from cleanheat.registry.services.households import find_duplicates
from cleanheat.registry.services.installations import chunked, decision_records

__all__ = [
    "PayResult",
    "envelope_spending",
    "envelope_warnings",
    "failing_reasons",
    "get_payment",
    "household_decision",
    "pay_accepted",
    "pay_installation",
    "reverse_payment",
    "reversal_voucher_number",
    "standing",
    "voucher_number",
    "why_not_paid",
]

ENVELOPE_NAMES = {"central": "中央资金", "county": "地方资金", "household": "农户自筹"}
"""Chinese names of the fund envelopes (the household share is 农户自筹 everywhere)."""

PAID_KINDS = ("pay", "recover")
"""Fund-ledger kinds that count as money paid out: a payment and its (negative) recovery."""


@dataclass
class PayResult:
    """What a payment run did (or, with ``dry_run``, would do)."""

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
    dry_run: bool = False
    held_reversed: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)
    refused: str | None = None

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
            "dry_run": self.dry_run,
            "held_reversed": len(self.held_reversed),
            "held_reversed_details": self.held_reversed[:details],
            "payment_details": self.payments[:details],
            "refused": self.refused,
        }


def voucher_number(paid_on: dt.date, household_code: str, attempt: int = 1) -> str:
    """Voucher (凭证) number of a household's payment: unique, since a household's payments are numbered."""
    return f"BT{paid_on:%Y%m%d}-{household_code}" + (f"-{attempt}" if attempt > 1 else "")


def reversal_voucher_number(reversed_on: dt.date, household_code: str, attempt: int = 1) -> str:
    """Voucher number of the recovery (追回) of a household's ``attempt``-th payment."""
    return f"ZH{reversed_on:%Y%m%d}-{household_code}" + (f"-{attempt}" if attempt > 1 else "")


def standing() -> ColumnElement[bool]:
    """Condition on :class:`Payment`: the payment has not been reversed (the household counts as paid)."""
    return Payment.id.not_in(select(PaymentReversal.payment_id))


def _lock_envelopes(session: Session) -> dict[str, FundEnvelope]:
    envs = session.execute(select(FundEnvelope).order_by(FundEnvelope.id).with_for_update()).scalars().all()
    if not envs:
        raise RegistryError("no fund envelopes in the registry; load the programme first (`cleanheat demo load` "
                            "or `cleanheat ledger import`)")
    return {e.source: e for e in envs}


def envelope_spending(*, session: Session) -> dict[str, dict[str, int]]:
    """Per envelope: cap, paid (payments less recoveries), outstanding commitments and what is left (CNY)."""
    envs = {e.id: e for e in session.execute(select(FundEnvelope)).scalars()}
    paid = session.execute(
        select(FundLedgerEntry.envelope_id, func.sum(FundLedgerEntry.amount_cny))
        .where(FundLedgerEntry.kind.in_(PAID_KINDS)).group_by(FundLedgerEntry.envelope_id)
    ).all()
    # a commitment is outstanding until its installation is paid (a standing payment) or voided
    committed = session.execute(
        select(FundLedgerEntry.envelope_id, func.sum(FundLedgerEntry.amount_cny))
        .where(FundLedgerEntry.kind == "commit",
               FundLedgerEntry.installation_id.not_in(select(Payment.installation_id).where(standing())),
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


def envelope_warnings(envelopes: Mapping[str, Mapping[str, int]]) -> list[str]:
    """Warnings when payments plus outstanding commitments pass the central or county cap (SPEC §3).

    The one wording of this warning (``pay`` and ``status`` both show it).
    """
    out = []
    for source, e in envelopes.items():
        if source == "household" or e["left_after_commitments_cny"] >= 0:
            continue
        due, cap, over = e["paid_cny"] + e["committed_cny"], e["cap_cny"], -e["left_after_commitments_cny"]
        out.append(f"{ENVELOPE_NAMES.get(source, source)}：已付及待付承诺合计{due:,}元，超出上限{cap:,}元{over:,}元，"
                   f"此后的发放将被拒绝 — {source} envelope: payments and outstanding commitments ({due:,} CNY) "
                   f"exceed its cap of {cap:,} CNY by {over:,} CNY; later payments will be refused")
    return out


def _envelope_state(session: Session) -> dict[str, dict[str, int]]:
    """Cap and paid total per envelope, as logged with every money write (``audit verify`` reads the caps)."""
    spending = envelope_spending(session=session)
    return {k: {"cap_cny": v["cap_cny"], "paid_cny": v["paid_cny"]} for k, v in spending.items()}


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


# --------------------------------------------------------------------------------------------
# Which rules failed
# --------------------------------------------------------------------------------------------

_CONDITION_OF_RULE = {
    "clean_method": "clean_method",
    "programme_window": "in_programme",
    "minimum_heated_area": "area_sufficient",
    "once_per_household": "first_subsidy",
    "installer": "installer_ok",
}
"""Reason → the engine's boolean condition it explains (used when a reason carries no ``passed`` flag)."""


def _passed_flags(decisions: Any) -> list[dict[str, bool]]:
    """Per record, whether each eligibility reason's condition holds, read from the engine's computed rules."""
    h = decisions.entity
    columns: dict[str, Any] = {}
    for rule, condition in _CONDITION_OF_RULE.items():
        try:
            columns[rule] = [bool(v) for v in getattr(h, condition)]
        except AttributeError:  # the rule was renamed: the reason's own flag (or nothing) decides
            continue
    try:
        columns["acceptance"] = [int(v) == 1 for v in h.acceptance_code]
    except AttributeError:
        pass
    n = len(decisions)
    return [{rule: values[k] for rule, values in columns.items()} for k in range(n)]


def failing_reasons(decision: Mapping[str, Any], passed: Mapping[str, bool] | None = None) -> list[dict[str, str]]:
    """The reasons of a decision whose condition is not met, each with its clause and Chinese and English detail.

    A reason that carries ``"passed": false`` failed (the rules engine's own flag); one without the flag
    is judged by ``passed`` (the engine's conditions, rule → met). A payable decision whose amount is 0
    gets a reason of its own.
    """
    out = []
    for r in decision.get("reasons", []):
        ok = r["passed"] if "passed" in r else (passed or {}).get(r["rule"], True)
        if not ok:
            out.append({"rule": r["rule"], "clause": r.get("clause", ""), "detail": r.get("detail", ""),
                        "detail_en": r.get("detail_en", "")})
    if not out and decision.get("status") == "payable" and int(decision.get("total_cny", 0)) <= 0:
        out.append({"rule": "zero_amount", "clause": "盐政办发〔2022〕8号 六(二)",
                    "detail": "补贴金额为0元，无可发放", "detail_en": "The subsidy comes to 0 CNY: nothing to pay"})
    return out


def _decide(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rules engine's decisions (with trace) for registry records, each with its ``failing`` reasons."""
    from cleanheat.policy.decide import decide

    if not records:
        return []
    decisions = decide("yanchi", records)
    out = decisions.to_records(trace=True)
    for d, flags in zip(out, _passed_flags(decisions), strict=True):
        d["failing"] = failing_reasons(d, flags)
    return out


def _not_payable_entry(code: str, iid: int, d: Mapping[str, Any]) -> dict[str, Any]:
    failing = d["failing"]
    return {
        "household_id": code, "installation_id": iid, "status": d["status"],
        "reasons": [r["rule"] for r in failing],
        "detail": "；".join(r["detail"] for r in failing),
        "detail_en": "; ".join(r["detail_en"] for r in failing),
        "failing": failing,
    }


# --------------------------------------------------------------------------------------------
# Payment runs
# --------------------------------------------------------------------------------------------


@dataclass
class _Payable:
    installation_id: int
    household_pk: int
    household_code: str
    decision: dict[str, Any]
    attempt: int = 1


def _scope(session: Session, township: str | None) -> ColumnElement[bool]:
    cond = and_(Installation.void.is_(False), Acceptance.id.is_not(None), Household.merged_into_id.is_(None))
    if township is None:
        return cond
    tid = session.execute(select(Township.id).where(Township.name == township)).scalar()
    if tid is None:
        known = "、".join(n for (n,) in session.execute(select(Township.name).order_by(Township.id)))
        raise NotFound(f"no township {township!r}; known: {known}")
    return and_(cond, Household.village_id.in_(select(Village.id).where(Village.township_id == tid)))


def _count_already_paid(session: Session, cond: ColumnElement[bool], installation_ids: Sequence[int] | None) -> int:
    stmt = (
        select(func.count()).select_from(Installation)
        .join(Household, Installation.household_id == Household.id)
        .join(Acceptance, Acceptance.installation_id == Installation.id)
        .join(Payment, Payment.household_id == Installation.household_id)
        .where(cond, standing())
    )
    if installation_ids is None:
        return int(session.execute(stmt).scalar_one())
    return sum(int(session.execute(stmt.where(Installation.id.in_(chunk))).scalar_one())
               for chunk in chunked(sorted(set(installation_ids))))


def _candidates(session: Session, cond: ColumnElement[bool], installation_ids: Sequence[int] | None
                ) -> list[tuple[int, int, dict[str, Any]]]:
    """Accepted installations of households without a standing payment: the first accepted per household."""
    paid_households = select(Payment.household_id).where(standing())
    recs = decision_records(session=session, installation_ids=installation_ids,
                            stmt_filter=and_(cond, Installation.household_id.not_in(paid_households)))
    seen: set[int] = set()
    out = []
    for iid, hpk, rec in sorted(recs, key=lambda x: (x[2]["accepted_on"], x[0])):
        if hpk not in seen:
            seen.add(hpk)
            out.append((iid, hpk, rec))
    return out


def _reversal_counts(session: Session) -> Counter[int]:
    """Household pk → number of its reversed payments (a household without a standing payment has
    exactly as many payments as reversals, so its next payment is that number + 1)."""
    return Counter({hpk: int(n) for hpk, n in session.execute(
        select(PaymentReversal.household_id, func.count()).group_by(PaymentReversal.household_id))})


def _hold(session: Session, candidates: list[tuple[int, int, dict[str, Any]]], result: PayResult,
          *, hold_reversed: bool, reversals: Counter[int]) -> list[tuple[int, int, dict[str, Any]]]:
    """Leave out suspected duplicates (and, in a bulk run, reversed households); returns the rest."""
    dup_pairs = find_duplicates(session=session, among=[hpk for _, hpk, _ in candidates])
    held: dict[str, list[dict[str, Any]]] = {}
    for p in dup_pairs:
        held.setdefault(p.a, []).append({"other": p.b, "reason": p.reason, "score": p.score})
        held.setdefault(p.b, []).append({"other": p.a, "reason": p.reason, "score": p.score})
    out = []
    for iid, hpk, rec in candidates:
        code = rec["household_id"]
        if code in held:
            result.held_duplicates.append({"household_id": code, "installation_id": iid, "suspected": held[code]})
        elif hold_reversed and reversals[hpk]:
            result.held_reversed.append({
                "household_id": code, "installation_id": iid, "reversals": reversals[hpk],
                "detail": "补贴已追回：核实更正后逐户重新发放", "detail_en": "The subsidy was recovered: pay it again "
                "one installation at a time once the record is corrected"})
        else:
            out.append((iid, hpk, rec))
    return out


def _decide_payable(to_decide: list[tuple[int, int, dict[str, Any]]], result: PayResult,
                    reversals: Counter[int]) -> list[_Payable]:
    decisions = _decide([r for _, _, r in to_decide])
    payable = []
    for (iid, hpk, rec), d in zip(to_decide, decisions, strict=True):
        if d["status"] == "payable" and d["total_cny"] > 0:
            payable.append(_Payable(iid, hpk, rec["household_id"], d, attempt=reversals[hpk] + 1))
        else:
            result.not_payable.append(_not_payable_entry(rec["household_id"], iid, d))
    return payable


def _envelope_refusal(session: Session, payable: list[_Payable]) -> str | None:
    """Why the batch would take spending past an envelope (nothing is then paid), or ``None``."""
    spending = envelope_spending(session=session)
    for source, key in (("central", "central_cny"), ("county", "local_cny")):
        amount = sum(int(p.decision[key]) for p in payable)
        s = spending[source]
        if s["paid_cny"] + amount > s["cap_cny"]:
            return (f"paying {len(payable)} households would take {source} spending to "
                    f"{s['paid_cny'] + amount:,} CNY, past its envelope of {s['cap_cny']:,} CNY "
                    f"({s['paid_cny']:,} CNY paid so far, {amount:,} CNY in this batch); nothing was paid "
                    "(盐政办发〔2022〕8号 二(一))")
    return None


def _payment_rows(payable: list[_Payable], paid_on: dt.date, actor: str) -> list[dict[str, Any]]:
    return [{
        "household_id": p.household_pk, "installation_id": p.installation_id, "attempt": p.attempt,
        "central_cny": int(p.decision["central_cny"]), "local_cny": int(p.decision["local_cny"]),
        "total_cny": int(p.decision["total_cny"]), "household_share_cny": int(p.decision["household_share_cny"]),
        "voucher_no": voucher_number(paid_on, p.household_code, p.attempt), "paid_on": paid_on, "actor": actor,
    } for p in payable]


def _insert_payments(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    try:
        ids: list[int] = []
        for start in range(0, len(rows), 5000):
            res = session.execute(insert(Payment).returning(Payment.id, sort_by_parameter_order=True),
                                  rows[start:start + 5000])
            ids.extend(res.scalars().all())
        return ids
    except IntegrityError as exc:
        raise Conflict(
            "another payment of one of these households was made at the same moment; nothing was paid "
            f"(a household is subsidised once, 盐政办发〔2022〕8号 六(二)4): {exc.orig}"
        ) from None
    except OperationalError as exc:  # SQLite: the other writer holds the database
        raise Conflict(f"the registry is busy with another payment; nothing was paid, retry: {exc.orig}") from None


def _insert_ledger(session: Session, envelopes: Mapping[str, FundEnvelope], rows: list[dict[str, Any]],
                   payment_ids: list[int], *, kind: str, sign: int, booked_on: dt.date) -> None:
    ledger: list[dict[str, Any]] = []
    for row, pid in zip(rows, payment_ids, strict=True):
        for source, amount in (("central", row["central_cny"]), ("county", row["local_cny"])):
            if amount:
                ledger.append({"envelope_id": envelopes[source].id, "kind": kind, "amount_cny": sign * amount,
                               "installation_id": row["installation_id"], "payment_id": pid,
                               "voucher_no": row["voucher_no"], "booked_on": booked_on})
    for start in range(0, len(ledger), 5000):
        session.execute(insert(FundLedgerEntry), ledger[start:start + 5000])


def _write_payments(session: Session, envelopes: Mapping[str, FundEnvelope], payable: list[_Payable],
                    rows: list[dict[str, Any]], *, actor: str, why: str, township: str | None,
                    result: PayResult) -> None:
    paid_on: dt.date = rows[0]["paid_on"]
    reasons_ids = _doc_ids(session, "reasons", [p.decision["reasons"] for p in payable])
    trace_ids = _doc_ids(session, "trace", [p.decision["trace"] for p in payable])
    for row, rid, tid in zip(rows, reasons_ids, trace_ids, strict=True):
        row["reasons_doc_id"], row["trace_doc_id"] = rid, tid
    payment_ids = _insert_payments(session, rows)
    _insert_ledger(session, envelopes, rows, payment_ids, kind="pay", sign=1, booked_on=paid_on)
    events = [
        audit.AuditRecord(
            actor=actor, action="payment.made", resource=f"household/{p.household_code}", why=why,
            data={"payment_id": pid, "installation_id": p.installation_id, "attempt": row["attempt"],
                  "voucher_no": row["voucher_no"], "central_cny": row["central_cny"], "local_cny": row["local_cny"],
                  "total_cny": row["total_cny"], "household_share_cny": row["household_share_cny"],
                  "paid_on": paid_on.isoformat()},
        )
        for p, row, pid in zip(payable, rows, payment_ids, strict=True)
    ]
    events.append(audit.AuditRecord(
        actor=actor, action="payment.batch", resource=f"township/{township}" if township else "programme/yanchi",
        why=why, data={"paid": result.paid, "total_cny": result.total_cny, "central_cny": result.central_cny,
                       "local_cny": result.local_cny, "held_duplicates": len(result.held_duplicates),
                       "held_reversed": len(result.held_reversed), "not_payable": len(result.not_payable),
                       "envelopes": _envelope_state(session)},
    ))
    audit.record_many(session, events)


def pay_accepted(
    *,
    session: Session,
    actor: str,
    township: str | None = None,
    paid_on: dt.date | None = None,
    installation_ids: Sequence[int] | None = None,
    why: str = "",
    dry_run: bool = False,
) -> PayResult:
    """Pay every accepted, unpaid installation (optionally of one township, or only ``installation_ids``)
    in the session's transaction. Idempotent: a rerun pays no one twice.

    ``paid_on`` defaults to today in the programme time zone. With ``dry_run`` the same computation
    runs and nothing is written (no payment, ledger entry or audit entry): the result says what would
    be paid, and ``refused`` why the run would be refused.

    Raises
    ------
    Conflict
        The batch would take spending past an envelope (nothing is paid), or another clerk paid one of the
        households at the same moment.
    """
    paid_on = paid_on or clock.today()
    envelopes = {} if dry_run else _lock_envelopes(session)
    result = PayResult(paid_on=paid_on.isoformat(), dry_run=dry_run)
    cond = _scope(session, township)
    result.already_paid = _count_already_paid(session, cond, installation_ids)
    candidates = _candidates(session, cond, installation_ids)
    if not candidates:
        return result
    reversals = _reversal_counts(session)
    to_decide = _hold(session, candidates, result, hold_reversed=installation_ids is None, reversals=reversals)
    payable = _decide_payable(to_decide, result, reversals) if to_decide else []
    if not payable:
        return result
    refusal = _envelope_refusal(session, payable)
    if refusal is not None:
        if not dry_run:
            raise Conflict(refusal)
        result.refused = refusal.replace("nothing was paid", "nothing would be paid")
        return result

    rows = _payment_rows(payable, paid_on, actor)
    result.paid = len(rows)
    result.central_cny = sum(r["central_cny"] for r in rows)
    result.local_cny = sum(r["local_cny"] for r in rows)
    result.total_cny = result.central_cny + result.local_cny
    result.vouchers = [r["voucher_no"] for r in rows]
    result.payments = [
        {"household_id": p.household_code, "installation_id": p.installation_id, "voucher_no": r["voucher_no"],
         "central_cny": r["central_cny"], "local_cny": r["local_cny"], "total_cny": r["total_cny"]}
        for p, r in zip(payable, rows, strict=True)
    ]
    if dry_run:
        spending = envelope_spending(session=session)
        for source, amount in (("central", result.central_cny), ("county", result.local_cny)):
            spending[source]["paid_cny"] += amount
            spending[source]["committed_cny"] -= amount  # paid commitments are no longer outstanding
            spending[source]["left_after_commitments_cny"] = (spending[source]["cap_cny"] - spending[source]["paid_cny"]
                                                              - spending[source]["committed_cny"])
        result.warnings = envelope_warnings(spending)
        return result
    _write_payments(session, envelopes, payable, rows, actor=actor, why=why, township=township, result=result)
    result.warnings = envelope_warnings(envelope_spending(session=session))
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
        failing rules are named), or over an envelope.
    """
    inst = session.get(Installation, installation_id)
    if inst is None or inst.void:
        raise NotFound(f"no installation {installation_id}")
    hh = session.get(Household, inst.household_id)
    assert hh is not None
    label = f"installation {installation_id} (household_id={hh.household_id})"
    if session.execute(select(Acceptance.id).where(Acceptance.installation_id == installation_id)).first() is None:
        raise Conflict(f"{label} is not accepted; only an accepted installation is payable (盐政办发〔2022〕8号 四)"
                       + _failed_inspection_note(session, installation_id))
    result = pay_accepted(session=session, actor=actor, paid_on=paid_on, installation_ids=[installation_id], why=why)
    if result.paid == 1:
        payment = session.execute(select(Payment).where(Payment.installation_id == installation_id, standing())
                                  ).scalar_one()
        return payment
    if result.already_paid:
        raise Conflict(f"{label}: the household has already been paid; a household is subsidised once "
                       "(盐政办发〔2022〕8号 六(二)4)")
    if result.held_duplicates:
        others = ", ".join(f"{s['other']} ({s['reason']})" for s in result.held_duplicates[0]["suspected"])
        raise Conflict(f"{label} is held as a suspected duplicate of {others}; merge or mark distinct first")
    if result.not_payable:
        np_ = result.not_payable[0]
        rules = "; ".join(f"{r['rule']} {r['detail']} ({r['detail_en']})" for r in np_["failing"])
        raise Conflict(f"{label} is {np_['status']}, not payable: {rules}")
    if hh.merged_into_id is not None:
        raise Conflict(f"{label}: household was merged into another record")
    raise Conflict(f"{label} is not payable")


# --------------------------------------------------------------------------------------------
# Reversal (追回)
# --------------------------------------------------------------------------------------------


def _household_by_code(session: Session, household_id: str) -> Household:
    hh = session.execute(select(Household).where(Household.household_id == household_id)).scalar_one_or_none()
    if hh is None:
        raise NotFound(f"no household {household_id!r}")
    return hh


def _standing_payment(session: Session, household_id: str | None, installation_id: int | None
                      ) -> tuple[Household, Payment, str]:
    """The household, its standing payment (of the household, or of the installation) and a label for messages."""
    if household_id is not None:
        hh = _household_by_code(session, household_id)
        where = Payment.household_id == hh.id
    else:
        inst = session.get(Installation, installation_id)
        if inst is None:
            raise NotFound(f"no installation {installation_id}")
        owner = session.get(Household, inst.household_id)
        assert owner is not None
        hh, where = owner, Payment.installation_id == installation_id
    label = f"household {hh.household_id}" + (f" installation {installation_id}" if installation_id else "")
    payment = session.execute(select(Payment).where(where, standing())).scalars().first()
    if payment is not None:
        return hh, payment, label
    last = session.execute(select(PaymentReversal).join(Payment, PaymentReversal.payment_id == Payment.id)
                           .where(where).order_by(PaymentReversal.id.desc())).scalars().first()
    if last is not None:
        raise Conflict(f"{label}: its payment was already recovered on {last.reversed_on} (voucher "
                       f"{last.voucher_no}, by {last.actor}); nothing to reverse")
    raise Conflict(f"{label} has not been paid; nothing to reverse")


def reverse_payment(
    *,
    session: Session,
    actor: str,
    why: str,
    household_id: str | None = None,
    installation_id: int | None = None,
    on: dt.date | None = None,
) -> PaymentReversal:
    """Recover (追回) the standing payment of a household (by its ledger id) or of an installation.

    Writes a ``payment_reversal`` row, the negative ``recover`` entries of the fund ledger (the central and
    county envelopes' paid totals go down by the amounts) and an audit entry with who, when, why and the
    amounts; the payment row stays as it was. ``on`` (the booking date) defaults to today in the
    programme time zone. Two clerks reversing at once reverse once: the envelope rows are locked as for a
    payment, and ``payment_reversal.payment_id`` is unique.

    Raises
    ------
    InputError
        No reason given, neither or both of household and installation, or a date before the payment or
        after today.
    NotFound
        No such household or installation.
    Conflict
        Nothing to reverse: not paid, or the payment was reversed already.
    """
    if not why.strip():
        raise InputError("say why the subsidy is recovered (追回原因)", field="why")
    if (household_id is None) == (installation_id is None):
        raise InputError("name the household or the installation whose payment is recovered", field="household_id")
    on = on or clock.today()
    envelopes = _lock_envelopes(session)
    hh, payment, label = _standing_payment(session, household_id, installation_id)
    if on < payment.paid_on:
        raise InputError(f"recovered on {on}, before the payment of {payment.paid_on}", record=label,
                         field="on")
    if on > clock.today():
        raise InputError(f"recovered on {on}, after today ({clock.today()})", record=label, field="on")
    row = {"payment_id": payment.id, "household_id": hh.id, "installation_id": payment.installation_id,
           "central_cny": payment.central_cny, "local_cny": payment.local_cny, "total_cny": payment.total_cny,
           "voucher_no": reversal_voucher_number(on, hh.household_id, payment.attempt), "reversed_on": on,
           "actor": actor, "why": why}
    try:
        with session.begin_nested():
            rid = session.execute(insert(PaymentReversal).returning(PaymentReversal.id), [row]).scalar_one()
    except IntegrityError:
        raise Conflict(f"{label}: another clerk recovered this payment at the same moment; nothing was "
                       "reversed twice") from None
    _insert_ledger(session, envelopes, [row], [payment.id], kind="recover", sign=-1, booked_on=on)
    audit.record(session, actor=actor, action="payment.reversed", resource=f"household/{hh.household_id}", why=why,
                 data={"reversal_id": rid, "payment_id": payment.id, "payment_voucher_no": payment.voucher_no,
                       "voucher_no": row["voucher_no"], "installation_id": payment.installation_id,
                       "central_cny": payment.central_cny, "local_cny": payment.local_cny,
                       "total_cny": payment.total_cny, "reversed_on": on.isoformat(),
                       "envelopes": _envelope_state(session)})
    reversal = session.get(PaymentReversal, rid)
    assert reversal is not None
    return reversal


# --------------------------------------------------------------------------------------------
# Reading: a household's payment, or why it is not paid
# --------------------------------------------------------------------------------------------


def _failed_inspection_note(session: Session, installation_id: int) -> str:
    last = session.execute(select(FailedInspection).where(FailedInspection.installation_id == installation_id)
                           .order_by(FailedInspection.inspected_on.desc(), FailedInspection.id.desc())
                           ).scalars().first()
    if last is None:
        return ""
    return f"; its inspection of {last.inspected_on} failed (验收不合格{'：' + last.note if last.note else ''})"


def _reversal_doc(r: PaymentReversal, payment_voucher: str) -> dict[str, Any]:
    return {"reversal_id": r.id, "voucher_no": r.voucher_no, "payment_voucher_no": payment_voucher,
            "reversed_on": r.reversed_on.isoformat(), "central_cny": r.central_cny, "local_cny": r.local_cny,
            "total_cny": r.total_cny, "actor": r.actor, "why": r.why}


def _history(session: Session, hpk: int) -> tuple[Payment | None, list[dict[str, Any]]]:
    """The household's standing payment (or ``None``) and its reversed payments, oldest first."""
    rows = session.execute(
        select(Payment, PaymentReversal).outerjoin(PaymentReversal, PaymentReversal.payment_id == Payment.id)
        .where(Payment.household_id == hpk).order_by(Payment.attempt)
    ).all()
    standing_payment = next((p for p, r in rows if r is None), None)
    return standing_payment, [_reversal_doc(r, p.voucher_no) for p, r in rows if r is not None]


def _failed_inspections(session: Session, installation_ids: list[int]) -> list[dict[str, Any]]:
    if not installation_ids:
        return []
    rows = session.execute(select(FailedInspection).where(FailedInspection.installation_id.in_(installation_ids))
                           .order_by(FailedInspection.inspected_on, FailedInspection.id)).scalars()
    return [{"installation_id": f.installation_id, "inspected_on": f.inspected_on.isoformat(),
             "inspectors": list(f.inspectors), "heating_effect_reached": f.heating_effect_reached, "note": f.note,
             "actor": f.actor} for f in rows]


def _registry_reason(rule: str, detail: str, detail_en: str, clause: str = "") -> dict[str, str]:
    return {"rule": rule, "clause": clause, "detail": detail, "detail_en": detail_en}


def household_decision(*, session: Session, household_id: str) -> dict[str, Any]:
    """A household's payment state and the rules engine's current decision, with only the rules that fail.

    ``state`` is ``paid`` (a standing payment), ``reversed`` (paid, then recovered, not paid again) or
    ``not_paid``; ``failing`` lists the reasons it is not paid (each with clause, Chinese and English
    detail): the failing rules of the decision on its first accepted installation (or, when none is
    accepted, its latest), and registry holds such as a merged record or a suspected duplicate.
    ``failed_inspections`` lists its failed inspections (验收不合格).

    Raises
    ------
    NotFound
        No such household.
    """
    hh = _household_by_code(session, household_id)
    pay, reversals = _history(session, hh.id)
    insts = session.execute(
        select(Installation.id, Acceptance.accepted_on).outerjoin(Acceptance, Acceptance.installation_id ==
                                                                 Installation.id)
        .where(Installation.household_id == hh.id, Installation.void.is_(False))
        .order_by(Installation.id)
    ).all()
    installation_ids = [i for i, _ in insts]
    doc: dict[str, Any] = {
        "household_id": household_id, "paid": pay is not None,
        "state": "paid" if pay is not None else "reversed" if reversals else "not_paid",
        "installation_ids": installation_ids, "installation_id": None, "status": None,
        "central_cny": 0, "local_cny": 0, "total_cny": 0, "household_share_cny": 0,
        "failing": [], "reversals": reversals, "failed_inspections": _failed_inspections(session, installation_ids),
    }
    if pay is not None:
        doc.update(installation_id=pay.installation_id, status="paid", central_cny=pay.central_cny,
                   local_cny=pay.local_cny, total_cny=pay.total_cny, household_share_cny=pay.household_share_cny,
                   voucher_no=pay.voucher_no, paid_on=pay.paid_on.isoformat())
        return doc
    if hh.merged_into_id is not None:
        into = session.get(Household, hh.merged_into_id)
        doc["failing"].append(_registry_reason(
            "merged", f"该农户记录已合并至{into.household_id if into else '?'}，不单独补贴",
            f"This record was merged into {into.household_id if into else '?'}: it is not paid on its own"))
    if not insts:
        doc["failing"].append(_registry_reason("installation", "尚未登记清洁取暖设备安装",
                                               "No heating installation recorded", "盐政办发〔2022〕8号 四"))
        return doc
    accepted = sorted((on, iid) for iid, on in insts if on is not None)
    iid = accepted[0][1] if accepted else installation_ids[-1]
    recs = decision_records(session=session, installation_ids=[iid])
    (decision,) = _decide([recs[0][2]])
    doc.update(installation_id=iid, status=decision["status"], central_cny=decision["central_cny"],
               local_cny=decision["local_cny"], total_cny=decision["total_cny"],
               household_share_cny=decision["household_share_cny"])
    doc["failing"].extend(decision["failing"])
    if not accepted and doc["failed_inspections"]:
        last = doc["failed_inspections"][-1]
        doc["failing"].append(_registry_reason(
            "failed_inspection", f"{last['inspected_on']}验收不合格" + (f"：{last['note']}" if last["note"] else ""),
            f"The inspection of {last['inspected_on']} failed" + (f": {last['note']}" if last["note"] else ""),
            "盐政办发〔2022〕8号 四"))
    if decision["status"] == "payable" and not doc["failing"]:
        if find_duplicates(session=session, among=[hh.id]):
            doc["failing"].append(_registry_reason(
                "suspected_duplicate", "疑似重复农户，待核实（合并或确认不同户）后发放",
                "Held as a suspected duplicate: merge or mark distinct first"))
        elif reversals:
            doc["failing"].append(_registry_reason(
                "reversed", "补贴已追回：核实更正后逐户重新发放",
                "The subsidy was recovered: pay it again one installation at a time once corrected"))
        else:
            doc["failing"].append(_registry_reason(
                "awaiting_payment", "符合条件，等待下一次发放", "Payable: waiting for the next payment run"))
    return doc


def why_not_paid(*, session: Session, household_id: str) -> list[dict[str, str]]:
    """The reasons a household is not paid (empty when it is paid); see :func:`household_decision`."""
    return list(household_decision(session=session, household_id=household_id)["failing"])


def get_payment(*, session: Session, household_id: str) -> dict[str, Any]:
    """A household's payment with the rules engine's reasons and trace, and any reversals (追回).

    A household without a standing payment is not an error: the document says ``"paid": false``, its
    ``state`` (``not_paid`` or ``reversed``) and the ``failing`` rules (see :func:`household_decision`).

    Raises
    ------
    NotFound
        No such household.
    """
    hh = _household_by_code(session, household_id)
    row, reversals = _history(session, hh.id)
    if row is None:
        return household_decision(session=session, household_id=household_id)
    return {
        "household_id": household_id, "paid": True, "state": "paid", "installation_id": row.installation_id,
        "voucher_no": row.voucher_no, "paid_on": row.paid_on.isoformat(), "central_cny": row.central_cny,
        "local_cny": row.local_cny, "total_cny": row.total_cny, "household_share_cny": row.household_share_cny,
        "actor": row.actor, "attempt": row.attempt, "reversals": reversals,
        "reasons": row.reasons_doc.body, "trace": row.trace_doc.body,
    }
