"""The money tables against the audit log: what ``audit verify`` adds to the hash chain.

The chain proves the log was not edited; this proves the money rows are the ones the log records.
Every payment (``payment.made``) and reversal (``payment.reversed``) entry carries its amounts,
household, installation, date and voucher; a payment's ``pay`` fund-ledger entries and a reversal's
``recover`` entries follow from them (one per envelope with a non-zero part). Rows are matched by
voucher number, which is unique and logged since the first release (and by row id where the entry
logs it), so registries written before this check reconcile too.

A stored row whose values differ from its entry is ``changed`` (each field named, logged value beside
the stored one); a row without an entry is ``not_logged`` (inserted outside the application); an entry
without its row is ``deleted``. Envelope caps are checked against the programme's parameters (no command
changes a cap) and against the caps each payment run and reversal logs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cleanheat.registry.audit import Mismatch
from cleanheat.registry.models import FundEnvelope, FundLedgerEntry, Household, Payment, PaymentReversal

__all__ = ["programme_caps", "reconcile"]

_MADE = "cn.cleanheat.payment.made"
_REVERSED = "cn.cleanheat.payment.reversed"


def _household(subject: str) -> str | None:
    return subject.split("/", 1)[1] if subject.startswith("household/") else None


class _Book:
    """Mismatches found so far."""

    def __init__(self) -> None:
        self.found: list[Mismatch] = []

    def compare(self, table: str, row_id: int, household: str | None, voucher: str | None,
                fields: tuple[str, ...], logged: tuple[Any, ...], stored: tuple[Any, ...]) -> None:
        """Name each field whose logged value (``None``: not logged) differs from the stored one."""
        if logged == stored:
            return
        for name, want, have in zip(fields, logged, stored, strict=True):
            if want is not None and want != have:
                self.found.append(Mismatch(table, row_id, household, "changed", name, want, have, voucher))

    def add(self, table: str, row_id: int | None, household: str | None, problem: str,
            voucher: str | None = None) -> None:
        self.found.append(Mismatch(table, row_id, household, problem, voucher_no=voucher))


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


_PAYMENT_FIELDS = ("voucher_no", "household_id", "installation_id", "central_cny", "local_cny", "total_cny",
                   "household_share_cny", "paid_on", "attempt")
_REVERSAL_FIELDS = ("household_id", "payment_voucher_no", "installation_id", "central_cny", "local_cny", "total_cny",
                    "reversed_on")
_LEDGER_FIELDS = ("amount_cny", "installation_id", "booked_on", "payment_voucher_no")


def _logged(money: Iterable[tuple[str, str, dict[str, Any]]]
            ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]], dict[str, set[int]]]:
    """Payments and reversals by voucher, and per envelope the caps the runs logged."""
    payments: dict[str, dict[str, Any]] = {}
    reversals: dict[str, dict[str, Any]] = {}
    caps: dict[str, set[int]] = {}
    for type_, subject, data in money:
        if type_ == _MADE and "voucher_no" in data:
            data["household_id"] = _household(subject)
            payments[str(data["voucher_no"])] = data
        elif type_ == _REVERSED and "voucher_no" in data:
            data["household_id"] = _household(subject)
            reversals[str(data["voucher_no"])] = data
        envelopes = data.get("envelopes")
        if isinstance(envelopes, dict):
            for source, state in envelopes.items():
                if isinstance(state, dict) and isinstance(state.get("cap_cny"), int):
                    caps.setdefault(source, set()).add(state["cap_cny"])
    return payments, reversals, caps


def programme_caps() -> dict[str, int]:
    """The envelope caps the programme's parameters give (what ``places.ensure_reference_data`` stores)."""
    from cleanheat.registry.services import places

    return {source: places.envelope_cap_cny(source) for source in places.ENVELOPE_SOURCES}


def reconcile(session: Session, money: Iterable[tuple[str, str, dict[str, Any]]], *,
              expected_caps: Mapping[str, int] | None = None) -> tuple[dict[str, int], list[Mismatch]]:
    """Rows checked per table and the mismatches, for the money entries ``(type, subject, data)`` of the log."""
    logged_pay, logged_rev, logged_caps = _logged(money)
    book = _Book()
    r = _Reconciliation(session.connection(), book)  # plain rows: tens of thousands of them, no ORM objects
    r.payments(logged_pay)
    r.reversals(logged_rev)
    r.ledger(logged_pay, logged_rev)
    r.envelopes(programme_caps() if expected_caps is None else expected_caps, logged_caps)
    return r.checked, book.found


class _Reconciliation:
    """One table at a time against the log; payments first (the others point at them)."""

    def __init__(self, conn: Any, book: _Book) -> None:
        self.conn, self.book = conn, book
        self.checked: dict[str, int] = {}
        self.voucher_of: dict[int, str] = {}  # payment id → the logged voucher it stands for
        self.household_of_payment: dict[int, str | None] = {}
        self.source_of: dict[int, str] = {}

    def payments(self, logged: Mapping[str, dict[str, Any]]) -> None:
        rows = self.conn.execute(
            select(Payment.id, Payment.voucher_no, Household.household_id, Payment.installation_id,
                   Payment.central_cny, Payment.local_cny, Payment.total_cny, Payment.household_share_cny,
                   Payment.paid_on, Payment.attempt)
            .outerjoin(Household, Payment.household_id == Household.id)).all()
        self.checked["payment"] = len(rows)
        by_logged_id = {int(v["payment_id"]): k for k, v in logged.items() if isinstance(v.get("payment_id"), int)}
        seen: set[str] = set()
        for pid, voucher, code, iid, central, local, total, share, paid_on, attempt in rows:
            self.household_of_payment[pid] = code
            key = by_logged_id.get(pid, voucher)
            entry = logged.get(key)
            if entry is None or key in seen:
                self.book.add("payment", pid, code, "not_logged", voucher)
                continue
            seen.add(key)
            self.voucher_of[pid] = key
            g = entry.get
            self.book.compare("payment", pid, code, key, _PAYMENT_FIELDS,
                              (g("voucher_no"), g("household_id"), g("installation_id"), g("central_cny"),
                               g("local_cny"), g("total_cny"), g("household_share_cny"), g("paid_on"), g("attempt")),
                              (voucher, code, iid, central, local, total, share, _iso(paid_on), attempt))
        for key, entry in logged.items():
            if key not in seen:
                self.book.add("payment", entry.get("payment_id"), entry["household_id"], "deleted", key)

    def reversals(self, logged: Mapping[str, dict[str, Any]]) -> None:
        rows = self.conn.execute(
            select(PaymentReversal.id, PaymentReversal.voucher_no, PaymentReversal.payment_id, Household.household_id,
                   PaymentReversal.installation_id, PaymentReversal.central_cny, PaymentReversal.local_cny,
                   PaymentReversal.total_cny, PaymentReversal.reversed_on)
            .outerjoin(Household, PaymentReversal.household_id == Household.id)).all()
        self.checked["payment_reversal"] = len(rows)
        seen: set[str] = set()
        for rid, voucher, pid, code, iid, central, local, total, reversed_on in rows:
            entry = logged.get(voucher)
            if entry is None:
                self.book.add("payment_reversal", rid, code, "not_logged", voucher)
                continue
            seen.add(voucher)
            g = entry.get
            self.book.compare("payment_reversal", rid, code, voucher, _REVERSAL_FIELDS,
                              (g("household_id"), g("payment_voucher_no"), g("installation_id"), g("central_cny"),
                               g("local_cny"), g("total_cny"), g("reversed_on")),
                              (code, self.voucher_of.get(pid), iid, central, local, total, _iso(reversed_on)))
        for key, entry in logged.items():
            if key not in seen:
                self.book.add("payment_reversal", entry.get("reversal_id"), entry["household_id"], "deleted", key)

    def ledger(self, logged_pay: Mapping[str, dict[str, Any]], logged_rev: Mapping[str, dict[str, Any]]) -> None:
        """One ``pay`` entry per non-zero part of a payment, one ``recover`` entry per part of a reversal."""
        self.source_of = {i: src for i, src in self.conn.execute(select(FundEnvelope.id, FundEnvelope.source))}
        expected = _expected_ledger(logged_pay, logged_rev)
        rows = self.conn.execute(
            select(FundLedgerEntry.id, FundLedgerEntry.kind, FundLedgerEntry.envelope_id, FundLedgerEntry.amount_cny,
                   FundLedgerEntry.installation_id, FundLedgerEntry.payment_id, FundLedgerEntry.voucher_no,
                   FundLedgerEntry.booked_on).where(FundLedgerEntry.kind != "commit")).all()
        self.checked["fund_ledger"] = len(rows)
        seen: set[tuple[str, str, str]] = set()
        for eid, kind, env_id, amount, inst, link, ref, booked_on in rows:
            key = (ref or "", kind, self.source_of.get(env_id, "?"))
            want = expected.get(key)
            if want is None or key in seen:
                self.book.add("fund_ledger", eid, self.household_of_payment.get(link) if link else None,
                              "not_logged", ref)
                continue
            seen.add(key)
            self.book.compare("fund_ledger", eid, want[0], ref, _LEDGER_FIELDS, want[1],
                              (amount, inst, _iso(booked_on), self.voucher_of.get(link) if link else None))
        for key, want in expected.items():
            if key not in seen:
                self.book.add("fund_ledger", None, want[0], "deleted", key[0])

    def envelopes(self, expected: Mapping[str, int], logged: Mapping[str, set[int]]) -> None:
        """The programme's caps (no command changes a cap); a run that logged another cap saw a changed one."""
        rows = self.conn.execute(select(FundEnvelope.id, FundEnvelope.source, FundEnvelope.cap_cny)).all()
        self.checked["fund_envelope"] = len(rows)
        found = self.book.found
        for eid, source, cap in rows:
            if source not in expected:
                found.append(Mismatch("fund_envelope", eid, None, "not_logged", name=source))
            elif cap != expected[source]:
                found.append(Mismatch("fund_envelope", eid, None, "changed", "cap_cny", expected[source], cap,
                                      name=source))
            else:  # changed and changed back: a run logged the changed cap
                for seen_cap in sorted(logged.get(source, set()) - {cap}):
                    found.append(Mismatch("fund_envelope", eid, None, "changed", "cap_cny", expected[source],
                                          seen_cap, name=f"{source}, as a run saw it"))
        for source in sorted((set(expected) & set(logged)) - {src for _, src, _ in rows}):
            found.append(Mismatch("fund_envelope", None, None, "deleted", name=source))


def _expected_ledger(logged_pay: Mapping[str, dict[str, Any]], logged_rev: Mapping[str, dict[str, Any]]
                     ) -> dict[tuple[str, str, str], tuple[str | None, tuple[Any, ...]]]:
    """(voucher, kind, envelope) → (household, the entry's logged fields) for every logged money movement."""
    expected: dict[tuple[str, str, str], tuple[str | None, tuple[Any, ...]]] = {}
    for kind, sign, entries, date_key in (("pay", 1, logged_pay, "paid_on"),
                                          ("recover", -1, logged_rev, "reversed_on")):
        for voucher, entry in entries.items():
            for source, part in (("central", "central_cny"), ("county", "local_cny")):
                amount = entry.get(part)
                if isinstance(amount, int) and amount:
                    expected[(voucher, kind, source)] = (entry["household_id"], (
                        sign * amount, entry.get("installation_id"), entry.get(date_key),
                        voucher if kind == "pay" else entry.get("payment_voucher_no")))
    return expected
