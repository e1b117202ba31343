"""Money an auditor can trust: the money tables reconciled with the audit log, reversal (追回) of a paid
subsidy, the dry run, the failing rules of a household not paid, and the failed inspection (验收不合格).

Amounts by hand: ashp_water, 80 m², invoice 16,000 CNY → central 3,500 + county 1,800 = 5,300 CNY
(盐政办发〔2022〕8号 六(二)2), household share 16,000 − 5,300 = 10,700 CNY.
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, func, select, text, update
from sqlalchemy.orm import Session

from cleanheat import clock
from cleanheat.errors import Conflict, InputError
from cleanheat.registry import audit, db
from cleanheat.registry.models import (
    AuditHead,
    FailedInspection,
    FundEnvelope,
    FundLedgerEntry,
    Household,
    Payment,
    PaymentReversal,
)
from cleanheat.registry.services import installations, payments, reports

from . import factories
from .conftest import pg_schema_url

PAID_ON = dt.date(2022, 8, 20)


def _programme(engine: Engine, n: int = 3) -> None:
    with db.session_scope(engine) as s:
        factories.programme(s)
        for k in range(1, n + 1):
            factories.accepted_installation(s, k)
        assert payments.pay_accepted(session=s, actor="财务", paid_on=PAID_ON).paid == n


def _verify(engine: Engine) -> audit.Verification:
    with db.session_scope(engine, read_only=True) as s:
        return audit.verify_all(s)


def _payment_id(engine: Engine, household: str) -> int:
    with db.session_scope(engine) as s:
        return int(s.execute(select(Payment.id).join(Household, Payment.household_id == Household.id)
                             .where(Household.household_id == household)).scalar_one())


def _found(v: audit.Verification) -> set[tuple[Any, ...]]:
    return {(m.table, m.row_id, m.household_id, m.problem, m.field, m.logged, m.stored) for m in v.mismatches}


# --------------------------------------------------------------------------------------------
# audit verify: the money tables against the log
# --------------------------------------------------------------------------------------------


def test_untouched_money_tables_reconcile(engine: Engine) -> None:
    _programme(engine)
    v = _verify(engine)
    assert v.intact and v.reconciled
    assert v.checked == {"payment": 3, "payment_reversal": 0, "fund_ledger": 6, "fund_envelope": 3}
    out = v.as_dict()
    assert out["intact"] is True and out["entries"] == v.entries and out["money_mismatches"] == []


def test_payment_amount_edited_in_the_database_is_named(engine: Engine) -> None:
    """The newcomer review's tamper: the chain stays intact, the payment no longer agrees with its entry."""
    _programme(engine)
    pid = _payment_id(engine, "YC-T-000002")
    with engine.begin() as conn:
        conn.execute(text("UPDATE payment SET total_cny=total_cny+10000, local_cny=local_cny+10000 WHERE id=:id"),
                     {"id": pid})
    v = _verify(engine)
    assert v.intact and not v.reconciled
    assert _found(v) == {("payment", pid, "YC-T-000002", "changed", "local_cny", 1800, 11800),
                         ("payment", pid, "YC-T-000002", "changed", "total_cny", 5300, 15300)}
    message = v.mismatches[0].message
    assert "日志记为 1800，库中为 11800" in message and "local_cny logged 1800, stored 11800" in message
    assert v.as_dict()["money_mismatches"][0]["voucher_no"] == "BT20220820-YC-T-000002"


def test_fund_ledger_row_edited_in_the_database_is_named(engine: Engine) -> None:
    _programme(engine)
    with db.session_scope(engine) as s:
        entry = s.execute(select(FundLedgerEntry).where(FundLedgerEntry.kind == "pay",
                                                        FundLedgerEntry.voucher_no == "BT20220820-YC-T-000003",
                                                        FundLedgerEntry.amount_cny == 3500)).scalar_one()
        eid = entry.id
    with engine.begin() as conn:
        conn.execute(update(FundLedgerEntry).where(FundLedgerEntry.id == eid).values(amount_cny=350))
    assert _found(_verify(engine)) == {("fund_ledger", eid, "YC-T-000003", "changed", "amount_cny", 3500, 350)}


def test_envelope_cap_edited_in_the_database_is_named(engine: Engine) -> None:
    _programme(engine)
    with engine.begin() as conn:
        conn.execute(update(FundEnvelope).where(FundEnvelope.source == "county").values(cap_cny=60_000_000))
    with db.session_scope(engine) as s:
        env_id = s.execute(select(FundEnvelope.id).where(FundEnvelope.source == "county")).scalar_one()
    v = _verify(engine)
    assert _found(v) == {("fund_envelope", env_id, None, "changed", "cap_cny", 48_600_000, 60_000_000)}
    assert v.mismatches[0].name == "county"


def test_envelope_cap_changed_and_changed_back_is_named(engine: Engine) -> None:
    """A run in between logged the changed cap (the batch entry carries the envelopes' caps)."""
    _programme(engine)
    with engine.begin() as conn:
        conn.execute(update(FundEnvelope).where(FundEnvelope.source == "central").values(cap_cny=99_000_000))
    with db.session_scope(engine) as s:
        factories.accepted_installation(s, 4)
        assert payments.pay_accepted(session=s, actor="财务", paid_on=PAID_ON).paid == 1
    with engine.begin() as conn:
        conn.execute(update(FundEnvelope).where(FundEnvelope.source == "central").values(cap_cny=94_500_000))
    found = _found(_verify(engine))
    assert {(t, f, lo, st) for t, _, _, _, f, lo, st in found} == {
        ("fund_envelope", "cap_cny", 94_500_000, 99_000_000)}


def test_payment_inserted_without_a_log_entry_is_named(engine: Engine) -> None:
    _programme(engine)
    with db.session_scope(engine) as s:
        factories.accepted_installation(s, 4)
        paid = s.execute(select(Payment)).scalars().first()
        assert paid is not None
        hh = s.execute(select(Household).where(Household.household_id == "YC-T-000004")).scalar_one()
        iid = installations.decision_records(session=s, stmt_filter=Household.id == hh.id)[0][0]
        docs, hpk = (paid.reasons_doc_id, paid.trace_doc_id), hh.id
    with engine.begin() as conn:  # a writer bypassing the service: no payment.made entry
        conn.execute(Payment.__table__.insert().values(
            household_id=hpk, installation_id=iid, attempt=1, central_cny=3500, local_cny=1800, total_cny=5300,
            household_share_cny=10700, voucher_no="BT20220820-YC-T-000004", paid_on=PAID_ON, actor="rogue",
            reasons_doc_id=docs[0], trace_doc_id=docs[1], created_at=clock.now_utc()))
    pid = _payment_id(engine, "YC-T-000004")
    found = _found(_verify(engine))
    assert found == {("payment", pid, "YC-T-000004", "not_logged", None, None, None)}


def test_deleted_payment_is_named(engine: Engine) -> None:
    _programme(engine)
    pid = _payment_id(engine, "YC-T-000001")
    with engine.begin() as conn:
        conn.execute(delete(FundLedgerEntry).where(FundLedgerEntry.payment_id == pid))
        conn.execute(delete(Payment).where(Payment.id == pid))
    found = _found(_verify(engine))
    assert found == {("payment", pid, "YC-T-000001", "deleted", None, None, None),
                     ("fund_ledger", None, "YC-T-000001", "deleted", None, None, None)}


def test_fund_ledger_row_inserted_without_a_log_entry_is_named(engine: Engine) -> None:
    _programme(engine)
    pid = _payment_id(engine, "YC-T-000001")
    with db.session_scope(engine) as s:
        env = s.execute(select(FundEnvelope.id).where(FundEnvelope.source == "county")).scalar_one()
        inst = s.get(Payment, pid)
        assert inst is not None
        iid = inst.installation_id
    with engine.begin() as conn:
        conn.execute(FundLedgerEntry.__table__.insert().values(
            envelope_id=env, kind="pay", amount_cny=1800, installation_id=iid, payment_id=pid,
            voucher_no="BT20220820-YC-T-000001", booked_on=PAID_ON))
    v = _verify(engine)
    assert [(m.table, m.household_id, m.problem) for m in v.mismatches] == [
        ("fund_ledger", "YC-T-000001", "not_logged")]


# --------------------------------------------------------------------------------------------
# Reversal (追回)
# --------------------------------------------------------------------------------------------


def _payment_row(session: Session, household: str) -> tuple[Any, ...]:
    p = session.execute(select(Payment).join(Household, Payment.household_id == Household.id)
                        .where(Household.household_id == household).order_by(Payment.attempt)).scalars().first()
    assert p is not None
    return (p.id, p.central_cny, p.local_cny, p.total_cny, p.household_share_cny, p.voucher_no, p.paid_on, p.actor)


def test_reversal_books_negative_entries_and_leaves_the_payment_as_it_was(session: Session) -> None:
    factories.programme(session)
    iid = factories.accepted_installation(session, 1)
    payments.pay_installation(session=session, installation_id=iid, actor="财务", paid_on=PAID_ON)
    before = _payment_row(session, "YC-T-000001")
    r = payments.reverse_payment(session=session, household_id="YC-T-000001", actor="县财政局",
                                 why="重复申报 double claim", on=dt.date(2022, 10, 8))
    assert (r.central_cny, r.local_cny, r.total_cny, r.voucher_no) == (3500, 1800, 5300, "ZH20221008-YC-T-000001")
    assert _payment_row(session, "YC-T-000001") == before  # never edited
    ledger = sorted(session.execute(select(FundLedgerEntry.kind, FundLedgerEntry.amount_cny, FundLedgerEntry.booked_on)
                                    .where(FundLedgerEntry.kind == "recover")))
    assert ledger == [("recover", -3500, dt.date(2022, 10, 8)), ("recover", -1800, dt.date(2022, 10, 8))]
    spent = payments.envelope_spending(session=session)
    # nothing paid any more; the installation's commitment is outstanding again
    assert (spent["central"]["paid_cny"], spent["county"]["paid_cny"]) == (0, 0)
    assert (spent["central"]["committed_cny"], spent["county"]["committed_cny"]) == (3500, 1800)
    (entry,) = [e for e in audit.log(session, resource="household/YC-T-000001")
                if e["type"] == "cn.cleanheat.payment.reversed"]
    assert entry["actor"] == "县财政局" and entry["why"] == "重复申报 double claim"
    assert {k: entry["data"][k] for k in ("central_cny", "local_cny", "total_cny", "reversed_on",
                                          "payment_voucher_no")} == {
        "central_cny": 3500, "local_cny": 1800, "total_cny": 5300, "reversed_on": "2022-10-08",
        "payment_voucher_no": "BT20220820-YC-T-000001"}
    shown = payments.get_payment(session=session, household_id="YC-T-000001")
    assert shown["paid"] is False and shown["state"] == "reversed"
    assert shown["reversals"][0]["voucher_no"] == "ZH20221008-YC-T-000001"
    v = audit.verify_all(session)
    assert v.intact and v.reconciled and v.checked["payment_reversal"] == 1 and v.checked["fund_ledger"] == 4


def test_reversal_guards(session: Session) -> None:
    factories.programme(session)
    iid = factories.accepted_installation(session, 1)
    factories.accepted_installation(session, 2)
    payments.pay_installation(session=session, installation_id=iid, actor="财务", paid_on=PAID_ON)
    with pytest.raises(InputError, match="say why"):
        payments.reverse_payment(session=session, household_id="YC-T-000001", actor="x", why=" ")
    with pytest.raises(InputError, match="before the payment of 2022-08-20"):
        payments.reverse_payment(session=session, household_id="YC-T-000001", actor="x", why="w",
                                 on=dt.date(2022, 8, 1))
    with pytest.raises(Conflict, match="has not been paid"):
        payments.reverse_payment(session=session, household_id="YC-T-000002", actor="x", why="w")
    payments.reverse_payment(session=session, installation_id=iid, actor="x", why="w", on=dt.date(2022, 9, 1))
    with pytest.raises(Conflict, match="already recovered on 2022-09-01"):
        payments.reverse_payment(session=session, household_id="YC-T-000001", actor="y", why="again")
    assert session.execute(select(func.count()).select_from(PaymentReversal)).scalar_one() == 1


def test_reversed_household_is_held_in_a_bulk_run_and_paid_again_only_once(session: Session) -> None:
    factories.programme(session)
    iid = factories.accepted_installation(session, 1)
    payments.pay_installation(session=session, installation_id=iid, actor="财务", paid_on=PAID_ON)
    payments.reverse_payment(session=session, household_id="YC-T-000001", actor="x", why="银行账号错误 wrong account",
                             on=dt.date(2022, 9, 1))
    run = payments.pay_accepted(session=session, actor="财务", paid_on=dt.date(2022, 9, 20))
    assert run.paid == 0 and [h["household_id"] for h in run.held_reversed] == ["YC-T-000001"]
    again = payments.pay_installation(session=session, installation_id=iid, actor="财务", paid_on=dt.date(2022, 9, 20))
    assert (again.attempt, again.total_cny, again.voucher_no) == (2, 5300, "BT20220920-YC-T-000001-2")
    with pytest.raises(Conflict, match="already been paid"):
        payments.pay_installation(session=session, installation_id=iid, actor="财务")
    assert payments.envelope_spending(session=session)["county"]["paid_cny"] == 1800  # paid, recovered, paid
    shown = payments.get_payment(session=session, household_id="YC-T-000001")
    assert shown["state"] == "paid" and shown["attempt"] == 2 and len(shown["reversals"]) == 1
    assert audit.verify_all(session).reconciled


def test_reversed_installation_can_be_voided(session: Session) -> None:
    factories.programme(session)
    iid = factories.accepted_installation(session, 1)
    payments.pay_installation(session=session, installation_id=iid, actor="财务", paid_on=PAID_ON)
    with pytest.raises(Conflict, match="recover the payment first"):
        installations.void(session=session, installation_id=iid, actor="x", why="记录有误")
    payments.reverse_payment(session=session, household_id="YC-T-000001", actor="x", why="记录有误",
                             on=dt.date(2022, 9, 1))
    installations.void(session=session, installation_id=iid, actor="x", why="记录有误")
    assert payments.envelope_spending(session=session)["county"] == {
        "cap_cny": 48_600_000, "paid_cny": 0, "committed_cny": 0, "left_cny": 48_600_000,
        "left_after_commitments_cny": 48_600_000}


def _race(engine: Engine, work: Any) -> list[str]:
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def clerk(name: str) -> None:
        try:
            with db.session_scope(engine) as s:
                if engine.dialect.name == "postgresql":
                    s.connection()  # open the transaction first, then meet
                    barrier.wait(timeout=10)
                work(s, name)
            with lock:
                outcomes.append("done")
        except Conflict:
            with lock:
                outcomes.append("conflict")

    def sqlite_clerk(name: str) -> None:
        barrier.wait(timeout=10)
        clerk(name)

    target = clerk if engine.dialect.name == "postgresql" else sqlite_clerk
    threads = [threading.Thread(target=target, args=(f"clerk{k}",)) for k in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return sorted(outcomes)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_clerks_reversing_at_once_reverse_once(backend: str, tmp_path: Path,
                                                   request: pytest.FixtureRequest) -> None:
    if backend == "postgresql":
        url = pg_schema_url(request.getfixturevalue("pg_schema"))
        engine = db.open_database(url, create=True, pool_size=4)
    else:
        engine = db.open_database(f"sqlite:///{tmp_path / 'race.sqlite3'}", create=True)
    try:
        _programme(engine, 1)

        def reverse(s: Session, name: str) -> None:
            payments.reverse_payment(session=s, household_id="YC-T-000001", actor=name, why="追回 recovered",
                                     on=dt.date(2022, 9, 1))

        assert _race(engine, reverse) == ["conflict", "done"]
        with db.session_scope(engine) as s:
            assert s.execute(select(func.count()).select_from(PaymentReversal)).scalar_one() == 1
            assert payments.envelope_spending(session=s)["central"]["paid_cny"] == 0
            v = audit.verify_all(s)
            assert v.intact and v.reconciled
    finally:
        engine.dispose()


# --------------------------------------------------------------------------------------------
# pay --dry-run
# --------------------------------------------------------------------------------------------


def test_dry_run_writes_nothing_and_previews_the_run(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        factories.programme(s)
        for k in range(1, 4):
            factories.accepted_installation(s, k)
        hpk = factories.household(s, 4, heated_area_m2=45.0)
        iid = factories.installation(s, hpk)
        installations.accept(session=s, installation_id=iid, accepted_on=dt.date(2022, 7, 1), actor="县住建局")
    counts = db.table_counts(engine)
    with db.session_scope(engine) as s:
        head = s.get(AuditHead, 1)
        assert head is not None
        head_before = (head.seq, head.hash)
    with db.session_scope(engine, read_only=True) as s:  # on PostgreSQL a write would be refused
        preview = payments.pay_accepted(session=s, actor="财务", paid_on=PAID_ON, dry_run=True)
    assert db.table_counts(engine) == counts
    with db.session_scope(engine) as s:
        head = s.get(AuditHead, 1)
        assert head is not None and (head.seq, head.hash) == head_before
    assert preview.dry_run and (preview.paid, preview.total_cny, preview.central_cny, preview.local_cny) == (
        3, 15900, 10500, 5400)
    assert [n["household_id"] for n in preview.not_payable] == ["YC-T-000004"]
    with db.session_scope(engine) as s:
        real = payments.pay_accepted(session=s, actor="财务", paid_on=PAID_ON)
    assert (real.paid, real.total_cny, real.vouchers) == (preview.paid, preview.total_cny, preview.vouchers)
    assert real.not_payable == preview.not_payable


def test_dry_run_over_the_envelope_says_it_would_be_refused(session: Session) -> None:
    factories.programme(session)
    for k in range(1, 4):
        factories.accepted_installation(session, k)
    session.execute(update(FundEnvelope).where(FundEnvelope.source == "county").values(cap_cny=5000))
    preview = payments.pay_accepted(session=session, actor="财务", dry_run=True)
    assert preview.paid == 0 and preview.refused is not None
    assert "county spending to 5,400 CNY, past its envelope of 5,000 CNY" in preview.refused
    assert "nothing would be paid" in preview.refused
    assert session.execute(select(func.count()).select_from(Payment)).scalar_one() == 0


# --------------------------------------------------------------------------------------------
# The rules that failed
# --------------------------------------------------------------------------------------------


def test_not_payable_list_names_only_the_failing_rules(session: Session) -> None:
    factories.programme(session)
    small = factories.household(session, 1, heated_area_m2=45.0)
    twice = factories.household(session, 2, heated_area_m2=45.0, previously_subsidised=True)
    for hpk in (small, twice):
        iid = factories.installation(session, hpk)
        installations.accept(session=session, installation_id=iid, accepted_on=dt.date(2022, 7, 1), actor="县住建局")
    result = payments.pay_accepted(session=session, actor="财务")
    by_household = {n["household_id"]: n for n in result.not_payable}
    assert by_household["YC-T-000001"]["reasons"] == ["minimum_heated_area"]
    assert by_household["YC-T-000002"]["reasons"] == ["minimum_heated_area", "once_per_household"]
    (area,) = by_household["YC-T-000001"]["failing"]
    assert "60" in area["detail"] and "60 m²" in area["detail_en"] and area["clause"].startswith("盐政办发〔2022〕8号")
    assert by_household["YC-T-000001"]["detail"] == area["detail"]


def test_failing_reasons_reads_the_engines_flag_when_a_reason_carries_one() -> None:
    decision = {"status": "ineligible", "total_cny": 0, "reasons": [
        {"rule": "clean_method", "clause": "c", "detail": "是", "detail_en": "yes", "passed": True},
        {"rule": "minimum_heated_area", "clause": "c", "detail": "低于", "detail_en": "below", "passed": False},
        {"rule": "programme_window", "clause": "c", "detail": "窗口", "detail_en": "window"},
    ]}
    # the flag wins over the conditions; a reason without a flag is judged by the conditions
    failing = payments.failing_reasons(decision, {"clean_method": False, "programme_window": False})
    assert [r["rule"] for r in failing] == ["minimum_heated_area", "programme_window"]


def test_payment_show_of_an_unpaid_household_gives_its_failing_rules(session: Session) -> None:
    factories.programme(session)
    iid = factories.installation(session, factories.household(session, 1, heated_area_m2=45.0))
    installations.accept(session=session, installation_id=iid, accepted_on=dt.date(2022, 7, 1), actor="县住建局")
    doc = payments.get_payment(session=session, household_id="YC-T-000001")
    assert (doc["paid"], doc["state"], doc["status"], doc["installation_id"]) == (False, "not_paid", "ineligible", iid)
    assert [r["rule"] for r in doc["failing"]] == ["minimum_heated_area"]
    assert [r["rule"] for r in payments.why_not_paid(session=session, household_id="YC-T-000001")] == [
        "minimum_heated_area"]


def test_why_not_paid_for_pending_payable_and_paid(session: Session) -> None:
    factories.programme(session)
    iid = factories.installation(session, factories.household(session, 1))
    assert [r["rule"] for r in payments.why_not_paid(session=session, household_id="YC-T-000001")] == ["acceptance"]
    installations.accept(session=session, installation_id=iid, accepted_on=dt.date(2022, 7, 1), actor="县住建局")
    decision = payments.household_decision(session=session, household_id="YC-T-000001")
    assert decision["status"] == "payable" and decision["total_cny"] == 5300
    assert [r["rule"] for r in decision["failing"]] == ["awaiting_payment"]
    payments.pay_installation(session=session, installation_id=iid, actor="财务")
    assert payments.why_not_paid(session=session, household_id="YC-T-000001") == []
    factories.household(session, 2)
    assert [r["rule"] for r in payments.why_not_paid(session=session, household_id="YC-T-000002")] == [
        "installation"]


# --------------------------------------------------------------------------------------------
# Failed inspection (验收不合格)
# --------------------------------------------------------------------------------------------


def test_failed_inspection_is_recorded_and_a_passed_acceptance_can_follow(session: Session) -> None:
    factories.programme(session)
    iid = factories.installation(session, factories.household(session, 1))
    failed = installations.accept(session=session, installation_id=iid, accepted_on=dt.date(2022, 6, 20),
                                  actor="县住建局", heating_effect_reached=False, inspectors=["县住建局", "乡镇"],
                                  note="室温未达18℃ room below 18 °C")
    assert isinstance(failed, FailedInspection)
    assert (failed.inspected_on, failed.inspectors, failed.note) == (
        dt.date(2022, 6, 20), ["县住建局", "乡镇"], "室温未达18℃ room below 18 °C")
    (entry,) = [e for e in audit.log(session, resource=f"installation/{iid}")
                if e["type"] == "cn.cleanheat.installation.inspection_failed"]
    assert entry["outcome"] == "failed" and entry["data"]["note"] == "室温未达18℃ room below 18 °C"
    with pytest.raises(Conflict, match="not accepted.*inspection of 2022-06-20 failed"):
        payments.pay_installation(session=session, installation_id=iid, actor="财务")
    assert payments.pay_accepted(session=session, actor="财务").paid == 0
    rules = [r["rule"] for r in payments.why_not_paid(session=session, household_id="YC-T-000001")]
    assert rules == ["acceptance", "failed_inspection"]
    installations.accept(session=session, installation_id=iid, accepted_on=dt.date(2022, 7, 1), actor="县住建局")
    assert payments.pay_installation(session=session, installation_id=iid, actor="财务").total_cny == 5300
    doc = payments.household_decision(session=session, household_id="YC-T-000001")
    assert doc["state"] == "paid" and doc["failed_inspections"][0]["inspected_on"] == "2022-06-20"


def test_no_failed_inspection_after_a_passed_acceptance(session: Session) -> None:
    factories.programme(session)
    iid = factories.accepted_installation(session, 1)
    with pytest.raises(Conflict, match="already accepted; a failed inspection cannot follow"):
        installations.accept(session=session, installation_id=iid, accepted_on=dt.date(2022, 7, 2), actor="x",
                             heating_effect_reached=False)


def test_acceptance_in_the_future_is_refused(session: Session) -> None:
    factories.programme(session)
    iid = factories.installation(session, factories.household(session, 1))
    with pytest.raises(InputError, match="after today"):
        installations.accept(session=session, installation_id=iid, accepted_on=clock.today() + dt.timedelta(days=1),
                             actor="x")


# --------------------------------------------------------------------------------------------
# Dates and wording
# --------------------------------------------------------------------------------------------


def test_paid_on_defaults_to_the_programme_date(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    # a zone whose date differs from the host's today (UTC+14 or UTC−11: one of them always does)
    zone = next(z for z in ("Pacific/Kiritimati", "Pacific/Pago_Pago")
                if dt.datetime.now(dt.UTC).astimezone(__import__("zoneinfo").ZoneInfo(z)).date() != dt.date.today())
    monkeypatch.setenv("CLEANHEAT_TIMEZONE", zone)
    factories.programme(session)
    iid = factories.accepted_installation(session, 1)
    p = payments.pay_installation(session=session, installation_id=iid, actor="财务")
    assert p.paid_on == clock.today() != dt.date.today()


def test_pay_and_status_give_the_envelope_warning_in_one_wording(session: Session) -> None:
    factories.programme(session)
    factories.accepted_installation(session, 1)
    factories.installation(session, factories.household(session, 2))  # committed, not yet accepted
    session.execute(update(FundEnvelope).where(FundEnvelope.source == "county").values(cap_cny=3000))
    result = payments.pay_accepted(session=session, actor="财务", paid_on=PAID_ON)
    assert result.warnings == reports.status(session=session)["warnings"] == [
        "地方资金：已付及待付承诺合计3,600元，超出上限3,000元600元，此后的发放将被拒绝 — county envelope: payments and "
        "outstanding commitments (3,600 CNY) exceed its cap of 3,000 CNY by 600 CNY; later payments will be refused"]


# --------------------------------------------------------------------------------------------
# The migration
# --------------------------------------------------------------------------------------------


def test_upgrade_from_0002_keeps_payments_and_their_ledger_links(engine: Engine) -> None:
    from alembic import command

    _programme(engine)
    with engine.connect() as conn:
        links = sorted(conn.execute(text("SELECT id, payment_id FROM fund_ledger")))
    with engine.begin() as conn:
        command.downgrade(db._alembic_config(conn), "0002")
    assert db.current_revision(engine) == "0002"
    assert db.upgrade(engine) == db.head_revision()
    with engine.connect() as conn:
        assert sorted(conn.execute(text("SELECT id, payment_id FROM fund_ledger"))) == links
        assert conn.execute(text("SELECT count(*) FROM payment WHERE attempt = 1")).scalar_one() == 3
        if engine.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
    assert _verify(engine).reconciled


# --------------------------------------------------------------------------------------------
# The commands
# --------------------------------------------------------------------------------------------


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from cleanheat.cli import main

    with pytest.raises(SystemExit) as exc:
        main(args)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def test_commands_dry_run_reverse_show_accept_and_verify(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    path = tmp_path / "cli.sqlite3"
    u = ["--database-url", f"sqlite:///{path}"]
    engine = db.open_database(u[1], create=True)
    try:
        with db.session_scope(engine) as s:
            factories.programme(s)
            factories.accepted_installation(s, 1)
            small = factories.installation(s, factories.household(s, 2, heated_area_m2=45.0))
            later = factories.installation(s, factories.household(s, 3))
            installations.accept(session=s, installation_id=small, accepted_on=dt.date(2022, 7, 1), actor="县住建局")
    finally:
        engine.dispose()
    counts = _counts(u[1])
    code, out, _ = _run(["pay", "--accepted", "--dry-run", "--actor", "财务", "--paid-on", "2022-08-20", "--json", *u],
                        capsys)
    preview = json.loads(out)
    assert code == 0 and preview["dry_run"] is True and preview["paid"] == 1 and preview["total_cny"] == 5300
    assert preview["not_payable_details"][0]["reasons"] == ["minimum_heated_area"]
    assert _counts(u[1]) == counts
    code, out, _ = _run(["pay", "--accepted", "--actor", "财务", "--paid-on", "2022-08-20", *u], capsys)
    assert code == 0 and "minimum_heated_area" in out and "低于60平方米" in out
    code, out, _ = _run(["payment", "show", "YC-T-000002", "--json", *u], capsys)
    shown = json.loads(out)
    assert code == 0 and shown["paid"] is False and [r["rule"] for r in shown["failing"]] == ["minimum_heated_area"]
    code, out, _ = _run(["payment", "show", "YC-T-000002", *u], capsys)
    assert "未发放 not paid" in out and "未满足的规则" in out
    code, out, _ = _run(["payment", "show", "YC-T-000001", *u], capsys)
    assert "农户自筹" in out and "农户自付" not in out
    code, out, _ = _run(["payment", "reverse", "YC-T-000001", "--why", "重复申报", "--actor", "县财政局", "--on",
                         "2022-09-01", "--json", *u], capsys)
    assert code == 0 and json.loads(out)["total_cny"] == 5300 and json.loads(out)["voucher_no"] == (
        "ZH20220901-YC-T-000001")
    code, _, err = _run(["payment", "reverse", "YC-T-000001", "--why", "again", "--actor", "x", *u], capsys)
    assert code == 4 and "already recovered" in err and "Traceback" not in err
    code, out, _ = _run(["accept", str(later), "--on", "2022-06-20", "--heating-effect-not-reached", "--note",
                         "室温不达标", "--actor", "县住建局", "--json", *u], capsys)
    assert code == 0 and json.loads(out)["result"] == "failed" and json.loads(out)["note"] == "室温不达标"
    code, out, _ = _run(["audit", "verify", "--json", *u], capsys)
    assert code == 0 and json.loads(out)["intact"] and json.loads(out)["money_reconciled"]
    with sqlite3_connect(path) as con:
        con.execute("UPDATE payment SET total_cny=total_cny+10000, local_cny=local_cny+10000 WHERE id=1")
    code, out, err = _run(["audit", "verify", *u], capsys)
    assert code == 1 and "资金记录与日志不符" in out and "total_cny" in out and "15,300" in out
    assert "payment #1" in err and "Traceback" not in err


def sqlite3_connect(path: Path) -> Any:
    import sqlite3

    return sqlite3.connect(path)


def _counts(url: str) -> dict[str, int]:
    engine = db.open_database(url)
    try:
        return db.table_counts(engine)
    finally:
        engine.dispose()


def test_status_counts_a_reversed_payment_as_not_paid(session: Session) -> None:
    factories.programme(session)
    iid = factories.accepted_installation(session, 1)
    factories.accepted_installation(session, 2)
    payments.pay_accepted(session=session, actor="财务", paid_on=PAID_ON)
    payments.reverse_payment(session=session, household_id="YC-T-000001", actor="x", why="w", on=dt.date(2022, 9, 1))
    payments.pay_installation(session=session, installation_id=iid, actor="财务", paid_on=dt.date(2022, 9, 20))
    payments.reverse_payment(session=session, household_id="YC-T-000002", actor="x", why="w", on=dt.date(2022, 9, 1))
    st = reports.status(session=session)
    # one household paid again, one recovered: 1 standing payment of 3500 + 1800
    assert (st["paid"], st["central_paid_cny"], st["local_paid_cny"]) == (1, 3500, 1800)
    assert st["central_paid_cny"] == payments.envelope_spending(session=session)["central"]["paid_cny"]
    fig = reports.monthly(session=session, township="花马池镇", month="2022-09")
    assert fig["paid_month"] == 1 and fig["paid_ytd"] == 1


def test_why_not_paid_names_a_suspected_duplicate_and_a_merged_record(session: Session) -> None:
    from cleanheat.errors import NotFound
    from cleanheat.registry.services import households

    factories.programme(session)
    factories.accepted_installation(session, 1)
    factories.household(session, 2, id_number="640323198001010001")  # the same person entered twice
    assert [r["rule"] for r in payments.why_not_paid(session=session, household_id="YC-T-000001")] == [
        "suspected_duplicate"]
    households.merge(session=session, keep="YC-T-000001", drop="YC-T-000002", actor="乡镇", why="同一人")
    dropped = payments.household_decision(session=session, household_id="YC-T-000002")
    assert dropped["state"] == "not_paid" and [r["rule"] for r in dropped["failing"]] == ["merged", "installation"]
    assert "YC-T-000001" in dropped["failing"][0]["detail"]
    with pytest.raises(NotFound, match="no household 'YC-T-999999'"):
        payments.reverse_payment(session=session, household_id="YC-T-999999", actor="x", why="w")


def test_household_view_after_a_reversal_and_a_new_payment(session: Session) -> None:
    from cleanheat.registry.services.household_view import household_view

    factories.programme(session)
    iid = factories.accepted_installation(session, 1)
    payments.pay_installation(session=session, installation_id=iid, actor="财务", paid_on=PAID_ON)
    payments.reverse_payment(session=session, household_id="YC-T-000001", actor="x", why="w", on=dt.date(2022, 9, 1))
    assert household_view(session=session, household_id="YC-T-000001")["payment"] is None
    payments.pay_installation(session=session, installation_id=iid, actor="财务", paid_on=dt.date(2022, 9, 20))
    view = household_view(session=session, household_id="YC-T-000001")
    assert view["payment"]["voucher_no"] == "BT20220920-YC-T-000001-2"


def test_ledger_export_after_a_reversal_and_a_new_payment_is_one_row(session: Session) -> None:
    """A recovered payment (追回) no longer shows in the ledger export: the repaid installation is one row,
    with the standing payment's voucher; a reversed, unpaid one shows no payment at all."""
    from cleanheat.registry.services.ledger import export_rows

    factories.programme(session)
    iid = factories.accepted_installation(session, 1)
    payments.pay_installation(session=session, installation_id=iid, actor="财务", paid_on=PAID_ON)
    payments.reverse_payment(session=session, household_id="YC-T-000001", actor="x", why="w", on=dt.date(2022, 9, 1))
    rows = [r for r in export_rows(session=session) if r[0] == "YC-T-000001"]
    assert len(rows) == 1 and "BT20220820-YC-T-000001" not in rows[0]
    payments.pay_installation(session=session, installation_id=iid, actor="财务", paid_on=dt.date(2022, 9, 20))
    rows = [r for r in export_rows(session=session) if r[0] == "YC-T-000001"]
    assert len(rows) == 1 and "BT20220920-YC-T-000001-2" in rows[0]


def test_pay_xlsx_writes_every_paid_and_not_payable_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``pay --dry-run --xlsx``: a sheet of who would be paid (amounts as numbers) and one of who is not
    payable with the failing rule (the 45 m² house: below 60 m², 六(二)1); a dry run still writes nothing."""
    import openpyxl

    path = tmp_path / "cli.sqlite3"
    u = ["--database-url", f"sqlite:///{path}"]
    engine = db.open_database(u[1], create=True)
    try:
        with db.session_scope(engine) as s:
            factories.programme(s)
            factories.accepted_installation(s, 1)
            small = factories.installation(s, factories.household(s, 2, heated_area_m2=45.0))
            installations.accept(session=s, installation_id=small, accepted_on=dt.date(2022, 7, 1), actor="县住建局")
    finally:
        engine.dispose()
    counts = _counts(u[1])
    book = tmp_path / "run.xlsx"
    code, _, _ = _run(["pay", "--accepted", "--dry-run", "--actor", "财务", "--paid-on", "2022-08-20",
                       "--xlsx", str(book), *u], capsys)
    assert code == 0 and _counts(u[1]) == counts
    wb = openpyxl.load_workbook(book)
    paid = [[c.value for c in row] for row in wb["将发放 would be paid"].iter_rows()]
    assert paid[1][0] == "YC-T-000001" and 5300 in paid[1]
    refused = [[c.value for c in row] for row in wb["不予补贴 not payable"].iter_rows()]
    assert refused[1][0] == "YC-T-000002" and "minimum_heated_area" in refused[1]
    assert any("60" in str(v) for v in refused[1])
