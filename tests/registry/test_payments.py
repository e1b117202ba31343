"""Guards on acceptance and payment (盐政办发〔2022〕8号 四, 六(二), 二(一))."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cleanheat.errors import Conflict, InputError
from cleanheat.registry import audit, db
from cleanheat.registry.models import FundEnvelope, FundLedgerEntry, Payment
from cleanheat.registry.services import households, installations, payments

from . import factories
from .conftest import pg_schema_url


def test_accepted_installation_is_paid_the_rules_engine_amount(session: Session) -> None:
    factories.programme(session)
    iid = factories.accepted_installation(session, 1)
    p = payments.pay_installation(session=session, installation_id=iid, actor="财务", paid_on=dt.date(2022, 8, 20))
    # ashp_water, 80 m², invoice 16000: central 3500 + county 1800 (六(二)2); household pays 16000 − 5300
    assert (p.central_cny, p.local_cny, p.total_cny, p.household_share_cny) == (3500, 1800, 5300, 10700)
    assert p.voucher_no == "BT20220820-YC-T-000001"
    stored = payments.get_payment(session=session, household_id="YC-T-000001")
    assert {r["rule"] for r in stored["reasons"]} >= {"acceptance", "central_subsidy", "local_subsidy"}
    assert any(pr["parameter"] == "yanchi.subsidy.central_cny" for pr in stored["trace"]["parameters"])


def test_gas_boiler_gets_no_county_part(session: Session) -> None:
    factories.programme(session)
    iid = factories.accepted_installation(session, 1, technology="gas_boiler", invoice_cny=6000)
    p = payments.pay_installation(session=session, installation_id=iid, actor="财务")
    assert (p.central_cny, p.local_cny) == (3500, 0)  # 六(二)1


def test_not_accepted_is_not_payable(session: Session) -> None:
    factories.programme(session)
    iid = factories.installation(session, factories.household(session, 1))
    with pytest.raises(Conflict, match="not accepted"):
        payments.pay_installation(session=session, installation_id=iid, actor="财务")
    assert payments.pay_accepted(session=session, actor="财务").paid == 0


def test_household_paid_at_most_once(session: Session) -> None:
    factories.programme(session)
    iid = factories.accepted_installation(session, 1)
    payments.pay_installation(session=session, installation_id=iid, actor="财务")
    with pytest.raises(Conflict, match="already been paid"):
        payments.pay_installation(session=session, installation_id=iid, actor="财务")
    # a second installation at the same household is not paid either
    hpk = households.get_household(session=session, household_id="YC-T-000001").id
    iid2 = factories.installation(session, hpk, technology="storage_electric")
    installations.accept(session=session, installation_id=iid2, accepted_on=dt.date(2022, 9, 1), actor="县住建局")
    result = payments.pay_accepted(session=session, actor="财务")
    assert result.paid == 0 and result.already_paid == 2  # accepted installations of paid households
    assert session.execute(select(func.count()).select_from(Payment)).scalar_one() == 1


def test_bulk_payment_is_idempotent(session: Session) -> None:
    factories.programme(session)
    for k in range(1, 6):
        factories.accepted_installation(session, k)
    first = payments.pay_accepted(session=session, actor="财务")
    again = payments.pay_accepted(session=session, actor="财务")
    assert (first.paid, first.total_cny) == (5, 5 * 5300)
    assert (again.paid, again.total_cny, again.already_paid) == (0, 0, 5)


def test_ineligible_area_is_not_paid_and_says_why(session: Session) -> None:
    factories.programme(session)
    hpk = factories.household(session, 1, heated_area_m2=45.0)
    iid = factories.installation(session, hpk)
    installations.accept(session=session, installation_id=iid, accepted_on=dt.date(2022, 7, 1), actor="县住建局")
    with pytest.raises(Conflict, match="ineligible.*minimum_heated_area"):
        payments.pay_installation(session=session, installation_id=iid, actor="财务")


def test_unregistered_enterprise_after_plan_cannot_be_accepted(session: Session) -> None:
    factories.programme(session)
    iid = factories.installation(session, factories.household(session, 1), enterprise="ENT-B",
                                 installed_on=dt.date(2022, 3, 1))
    with pytest.raises(Conflict, match="ENT-B, which was not registered on that date"):
        installations.accept(session=session, installation_id=iid, accepted_on=dt.date(2022, 4, 1), actor="县住建局")


def test_unregistered_enterprise_before_plan_can_be_accepted(session: Session) -> None:
    # SPEC §2 decision 6: the bar applies from 2022-03-01; on 2022-02-28 registration was not required
    factories.programme(session)
    iid = factories.installation(session, factories.household(session, 1), enterprise="ENT-B",
                                 installed_on=dt.date(2022, 2, 28))
    installations.accept(session=session, installation_id=iid, accepted_on=dt.date(2022, 4, 1), actor="县住建局")


def test_acceptance_guards(session: Session) -> None:
    factories.programme(session)
    iid = factories.installation(session, factories.household(session, 1))
    with pytest.raises(InputError, match="before it was installed"):
        installations.accept(session=session, installation_id=iid, accepted_on=dt.date(2022, 5, 1), actor="x")
    # heating effect not reached: a failed inspection (验收不合格) is recorded, not refused (test_money_audit.py)
    installations.accept(session=session, installation_id=iid, accepted_on=dt.date(2022, 6, 20), actor="x",
                         heating_effect_reached=False)
    installations.accept(session=session, installation_id=iid, accepted_on=dt.date(2022, 7, 1), actor="x")
    with pytest.raises(Conflict, match="already accepted"):
        installations.accept(session=session, installation_id=iid, accepted_on=dt.date(2022, 7, 2), actor="x")


def test_payment_past_county_envelope_is_refused(session: Session) -> None:
    factories.programme(session)
    for k in range(1, 4):
        factories.accepted_installation(session, k)
    session.execute(update(FundEnvelope).where(FundEnvelope.source == "county").values(cap_cny=5000))
    with pytest.raises(Conflict, match=r"county spending to 5,400 CNY, past its envelope of 5,000 CNY"):
        payments.pay_accepted(session=session, actor="财务")


def test_payment_within_envelope_to_the_yuan(session: Session) -> None:
    factories.programme(session)
    for k in range(1, 4):
        factories.accepted_installation(session, k)
    session.execute(update(FundEnvelope).where(FundEnvelope.source == "county").values(cap_cny=5400))
    assert payments.pay_accepted(session=session, actor="财务").local_cny == 5400


def test_commitment_released_and_payment_booked(session: Session) -> None:
    factories.programme(session)
    iid = factories.installation(session, factories.household(session, 1))
    spent = payments.envelope_spending(session=session)
    assert spent["county"]["committed_cny"] == 1800 and spent["county"]["paid_cny"] == 0
    installations.accept(session=session, installation_id=iid, accepted_on=dt.date(2022, 7, 1), actor="x")
    payments.pay_accepted(session=session, actor="财务")
    spent = payments.envelope_spending(session=session)
    assert spent["county"] == {"cap_cny": 48_600_000, "paid_cny": 1800, "committed_cny": 0,
                               "left_cny": 48_598_200, "left_after_commitments_cny": 48_598_200}
    kinds = sorted(k for (k,) in session.execute(select(FundLedgerEntry.kind)))
    assert kinds == ["commit", "commit", "pay", "pay"]


def test_duplicate_household_is_held_until_merged(session: Session) -> None:
    factories.programme(session)
    factories.accepted_installation(session, 1)
    # the same person entered twice, with the phone written differently
    factories.household(session, 2, id_number="640323198001010001", phone="+86 139-0000-0001")
    dups = households.find_duplicates(session=session)
    assert [(d.a, d.b, d.reason) for d in dups] == [("YC-T-000001", "YC-T-000002", "id_number")]
    result = payments.pay_accepted(session=session, actor="财务")
    assert result.paid == 0 and result.held_duplicates[0]["household_id"] == "YC-T-000001"
    households.merge(session=session, keep="YC-T-000001", drop="YC-T-000002", actor="乡镇", why="same person")
    assert payments.pay_accepted(session=session, actor="财务").paid == 1
    entries = audit.log(session, resource="household/YC-T-000002")
    assert [e["type"] for e in entries][-1] == "cn.cleanheat.household.merged"


def test_fuzzy_duplicate_name_and_address(session: Session) -> None:
    factories.programme(session)
    factories.household(session, 1, name="马建军", address="花马池镇红井子村12号")
    factories.household(session, 2, name="马建军 ", address="花马池镇 红井子村12号", id_number="640323198001019999",
                        phone="13911112222")
    factories.household(session, 3, name="马建国", address="花马池镇红井子村13号")
    dups = households.find_duplicates(session=session)
    assert [(d.a, d.b, d.reason) for d in dups] == [("YC-T-000001", "YC-T-000002", "fuzzy_name_address")]
    households.mark_distinct(session=session, a="YC-T-000001", b="YC-T-000002", actor="乡镇", why="father and son")
    assert households.find_duplicates(session=session) == []


def test_phone_normalisation() -> None:
    assert households.normalise_phone("+86 136-3088-9253") == "13630889253"
    assert households.normalise_phone("0086 13630889253") == "13630889253"
    assert households.normalise_phone("136 3088 9253") == "13630889253"


def test_concurrent_double_payment_on_postgresql(pg_schema: str) -> None:
    """Two clerks pay the same household at the same moment on two connections: exactly one payment."""
    url = pg_schema_url(pg_schema)
    engine = db.open_database(url, create=True, pool_size=4)
    try:
        with db.session_scope(engine) as s:
            factories.programme(s)
            iid = factories.accepted_installation(s, 1)
        barrier = threading.Barrier(2)
        outcomes: list[str] = []
        lock = threading.Lock()

        def clerk(name: str) -> None:
            try:
                with db.session_scope(engine) as s:
                    s.connection()  # open the transaction first
                    barrier.wait(timeout=10)
                    payments.pay_installation(session=s, installation_id=iid, actor=name)
                with lock:
                    outcomes.append("paid")
            except Conflict as exc:
                with lock:
                    outcomes.append(f"conflict: {exc}")

        threads = [threading.Thread(target=clerk, args=(f"clerk{k}",)) for k in (1, 2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert sorted(o.split(":")[0] for o in outcomes) == ["conflict", "paid"], outcomes
        with db.session_scope(engine) as s:
            assert s.execute(select(func.count()).select_from(Payment)).scalar_one() == 1
            n, brk = audit.verify(s)
            assert brk is None
    finally:
        engine.dispose()


def test_unique_constraint_backs_the_lock_on_postgresql(pg_schema: str) -> None:
    """Without the envelope lock (a writer bypassing the service), the unique constraint still holds."""
    url = pg_schema_url(pg_schema)
    engine = db.open_database(url, create=True)
    try:
        with db.session_scope(engine) as s:
            factories.programme(s)
            iid = factories.accepted_installation(s, 1)
            payments.pay_installation(session=s, installation_id=iid, actor="clerk1")
        with pytest.raises(Exception, match="uq_payment_household_id"), db.session_scope(engine) as s:
            p = s.execute(select(Payment)).scalar_one()
            s.add(Payment(household_id=p.household_id, installation_id=p.installation_id + 0, central_cny=3500,
                          local_cny=0, total_cny=3500, household_share_cny=0, voucher_no="X", paid_on=p.paid_on,
                          actor="rogue", reasons_doc_id=p.reasons_doc_id, trace_doc_id=p.trace_doc_id))
            s.flush()
    finally:
        engine.dispose()


def test_concurrent_double_payment_on_sqlite(tmp_path) -> None:
    """On SQLite, writers queue on the database lock (BEGIN IMMEDIATE): the second clerk finds the household paid."""
    engine = db.open_database(f"sqlite:///{tmp_path / 'race.sqlite3'}", create=True)
    try:
        with db.session_scope(engine) as s:
            factories.programme(s)
            iid = factories.accepted_installation(s, 1)
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def clerk(name: str) -> None:
            barrier.wait(timeout=10)
            try:
                with db.session_scope(engine) as s:
                    payments.pay_installation(session=s, installation_id=iid, actor=name)
                outcomes.append("paid")
            except Conflict:
                outcomes.append("conflict")

        threads = [threading.Thread(target=clerk, args=(f"clerk{k}",)) for k in (1, 2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert sorted(outcomes) == ["conflict", "paid"]
    finally:
        engine.dispose()


def test_status_warns_before_the_county_cap_is_passed(session: Session) -> None:
    from cleanheat.registry.services import reports

    factories.programme(session)
    factories.accepted_installation(session, 1)
    factories.installation(session, factories.household(session, 2))  # committed, not yet accepted
    session.execute(update(FundEnvelope).where(FundEnvelope.source == "county").values(cap_cny=3000))
    result = payments.pay_accepted(session=session, actor="财务")
    # paid 1800 + 1800 still committed = 3600 > 3000
    assert result.paid == 1 and "county envelope" in result.warnings[0] and "by 600 CNY" in result.warnings[0]
    st = reports.status(session=session)
    assert st["warnings"] == result.warnings[:1] or "exceed its cap of 3,000 CNY by 600 CNY" in st["warnings"][0]
    row = next(r for r in st["by_township_year"] if r["township"] == "花马池镇" and r["year"] == 2022)
    assert row["paid"] == 1 and row["county_envelope_share_cny"] == 3000 * 1000 // 27000


def test_void_installation_and_merge(session: Session) -> None:
    factories.programme(session)
    iid1 = factories.accepted_installation(session, 1)
    payments.pay_installation(session=session, installation_id=iid1, actor="财务")
    with pytest.raises(Conflict, match="has been paid"):
        installations.void(session=session, installation_id=iid1, actor="x", why="typo")
    hpk2 = factories.household(session, 2, id_number="640323198001010001")  # the same person again
    iid2 = factories.installation(session, hpk2)
    with pytest.raises(Conflict, match="both YC-T-000001 and YC-T-000002 hold an installation"):
        households.merge(session=session, keep="YC-T-000001", drop="YC-T-000002", actor="乡镇", why="same")
    installations.void(session=session, installation_id=iid2, actor="乡镇", why="entered twice")
    assert payments.envelope_spending(session=session)["county"]["committed_cny"] == 0
    households.merge(session=session, keep="YC-T-000001", drop="YC-T-000002", actor="乡镇", why="same")
    with pytest.raises(Conflict, match="already void"):
        installations.void(session=session, installation_id=iid2, actor="x", why="again")
