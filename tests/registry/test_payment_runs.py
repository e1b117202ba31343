"""The web's payment runs and acceptance views over the services (SQLite and PostgreSQL): the fingerprint
binds a confirmation to its preview, a stale one pays nothing, runs are read back from the audit log, and the
acceptance list and its refusal reasons follow the registration rule (盐政办发〔2022〕8号 四)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from cleanheat.errors import Conflict, InputError, NotFound
from cleanheat.registry import audit, db
from cleanheat.registry.models import AuditHead, Payment, PaymentReversal
from cleanheat.registry.services import acceptance_view, installations, payment_runs

from . import factories

DAY = dt.date(2022, 8, 20)


def _count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(Payment)).scalar_one())


def _head(session: Session) -> int:
    return int(session.execute(select(AuditHead.seq)).scalar_one())


def test_preview_then_pay_pays_exactly_the_preview(session: Session) -> None:
    factories.programme(session)
    a = factories.accepted_installation(session, 1)
    b = factories.accepted_installation(session, 2, technology="gas_boiler", invoice_cny=6000)
    preview = payment_runs.preview_run(session=session, paid_on=DAY)
    # ashp_water: 3500 + 1800; gas_boiler: 3500 + 0 (六(二)1–2)
    assert {p["installation_id"]: p["total_cny"] for p in preview.result.payments} == {a: 5300, b: 3500}
    assert _count(session) == 0
    central = next(e for e in preview.envelopes if e["source"] == "central")
    assert (central["paid_before_cny"], central["run_cny"], central["paid_after_cny"]) == (0, 7000, 7000)
    run = payment_runs.pay_run(session=session, actor="web:officer", expected_fingerprint=preview.fingerprint,
                               paid_on=DAY)
    assert run.fingerprint == preview.fingerprint and run.result.total_cny == 8800 and _count(session) == 2
    doc = payment_runs.payment_run(session=session, seq=run.seq or 0)
    assert [p["installation_id"] for p in doc["payments"]] == [a, b]
    assert doc["paid_on"] == DAY.isoformat() and doc["actor"] == "web:officer" and doc["total_cny"] == 8800
    listed = payment_runs.payment_runs(session=session)
    assert listed.total == 1 and listed.rows[0]["seq"] == run.seq
    voucher = payment_runs.get_voucher(session=session, voucher_no="BT20220820-YC-T-000001")
    assert voucher["run_seq"] == run.seq and voucher["standing"] and voucher["total_cny"] == 5300
    assert any(r["rule"] == "central_subsidy" for r in voucher["reasons"])


def test_a_stale_fingerprint_pays_nothing_and_writes_nothing(session: Session) -> None:
    factories.programme(session)
    factories.accepted_installation(session, 1)
    preview = payment_runs.preview_run(session=session, paid_on=DAY)
    factories.accepted_installation(session, 2)  # accepted after the preview
    count, head = _count(session), _head(session)
    with pytest.raises(payment_runs.StalePreview, match="preview again"):
        payment_runs.pay_run(session=session, actor="web:officer", expected_fingerprint=preview.fingerprint,
                             paid_on=DAY)
    assert _count(session) == count and _head(session) == head  # the savepoint rolled it all back
    # a different date or township is a different run
    fresh = payment_runs.preview_run(session=session, paid_on=DAY)
    with pytest.raises(payment_runs.StalePreview):
        payment_runs.pay_run(session=session, actor="x", expected_fingerprint=fresh.fingerprint,
                             paid_on=DAY + dt.timedelta(days=1))
    with pytest.raises(payment_runs.StalePreview):
        payment_runs.pay_run(session=session, actor="x", expected_fingerprint=fresh.fingerprint, paid_on=DAY,
                             township="花马池镇")
    assert _count(session) == 0
    assert payment_runs.pay_run(session=session, actor="x", expected_fingerprint=fresh.fingerprint,
                                paid_on=DAY).result.paid == 2


def test_a_recovery_elsewhere_makes_the_preview_stale(session: Session) -> None:
    """The totals paid before the run are part of what was previewed (the envelope effect shown)."""
    factories.programme(session)
    factories.accepted_installation(session, 1)
    first = payment_runs.preview_run(session=session, paid_on=DAY)
    payment_runs.pay_run(session=session, actor="x", expected_fingerprint=first.fingerprint, paid_on=DAY)
    factories.accepted_installation(session, 2)
    preview = payment_runs.preview_run(session=session, paid_on=DAY)
    payment_runs.reverse_voucher(session=session, voucher_no="BT20220820-YC-T-000001", actor="x", why="核实追回",
                                 on=DAY)
    with pytest.raises(payment_runs.StalePreview):
        payment_runs.pay_run(session=session, actor="x", expected_fingerprint=preview.fingerprint, paid_on=DAY)


def test_pay_run_input_is_checked(session: Session) -> None:
    factories.programme(session)
    with pytest.raises(InputError) as e:
        payment_runs.pay_run(session=session, actor="x", expected_fingerprint="", paid_on=DAY)
    assert e.value.field == "fingerprint"
    with pytest.raises(InputError) as e:
        payment_runs.preview_run(session=session, paid_on=dt.date.today() + dt.timedelta(days=3))
    assert e.value.field == "paid_on"
    with pytest.raises(InputError) as e:
        payment_runs.preview_run(session=session, township="不存在镇")
    assert e.value.field == "township"


def test_reverse_voucher_recovers_that_payment_once(session: Session) -> None:
    factories.programme(session)
    iid = factories.accepted_installation(session, 1)
    preview = payment_runs.preview_run(session=session, paid_on=DAY)
    payment_runs.pay_run(session=session, actor="x", expected_fingerprint=preview.fingerprint, paid_on=DAY)
    with pytest.raises(InputError):
        payment_runs.reverse_voucher(session=session, voucher_no="BT20220820-YC-T-000001", actor="x", why=" ")
    rev = payment_runs.reverse_voucher(session=session, voucher_no="BT20220820-YC-T-000001", actor="web:officer",
                                       why="重复申报", on=DAY)
    assert rev.installation_id == iid and rev.total_cny == 5300
    with pytest.raises(Conflict, match="already recovered"):
        payment_runs.reverse_voucher(session=session, voucher_no="BT20220820-YC-T-000001", actor="x", why="again")
    with pytest.raises(NotFound):
        payment_runs.reverse_voucher(session=session, voucher_no="BT-NONE", actor="x", why="x")
    assert session.execute(select(func.count()).select_from(PaymentReversal)).scalar_one() == 1
    assert payment_runs.list_payments(session=session, state="reversed").total == 1
    assert payment_runs.list_payments(session=session, state="standing").total == 0
    voucher = payment_runs.get_voucher(session=session, voucher_no="BT20220820-YC-T-000001")
    assert voucher["reversal"]["why"] == "重复申报"
    assert audit.verify(session)[1] is None


def test_list_payments_filters_and_pages(session: Session) -> None:
    factories.programme(session)
    for k in range(1, 6):
        factories.accepted_installation(session, k)
    hh = factories.household(session, 6, township="惠安堡镇", village="惠安堡村")
    iid = factories.installation(session, hh)
    installations.accept(session=session, installation_id=iid, accepted_on=dt.date(2022, 7, 1), actor="x")
    preview = payment_runs.preview_run(session=session, paid_on=DAY)
    payment_runs.pay_run(session=session, actor="x", expected_fingerprint=preview.fingerprint, paid_on=DAY)
    page = payment_runs.list_payments(session=session, per_page=4)
    assert (page.total, page.pages, len(page.rows)) == (6, 2, 4)
    assert len(payment_runs.list_payments(session=session, per_page=4, page=2).rows) == 2
    (one,) = payment_runs.list_payments(session=session, township="惠安堡镇").rows
    assert one["household_id"] == "YC-T-000006" and one["village"] == "惠安堡村"
    assert payment_runs.list_payments(session=session, q="YC-T-00000").total == 6
    assert payment_runs.list_payments(session=session, q="BT20220820-YC-T-000003").total == 1
    assert payment_runs.list_payments(session=session, paid_from=DAY + dt.timedelta(days=1)).total == 0
    with pytest.raises(InputError):
        payment_runs.list_payments(session=session, state="lost")


def test_two_concurrent_confirmations_pay_once(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        factories.programme(s)
        for k in (1, 2, 3):
            factories.accepted_installation(s, k)
    with db.session_scope(engine, read_only=True) as s:
        preview = payment_runs.preview_run(session=s, paid_on=DAY)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def officer(name: str) -> None:
        try:
            barrier.wait(timeout=10)  # (SQLite's BEGIN IMMEDIATE queues the second writer: start together)
            with db.session_scope(engine) as s:
                payment_runs.pay_run(session=s, actor=name, expected_fingerprint=preview.fingerprint, paid_on=DAY)
            with lock:
                outcomes.append("paid")
        except Conflict as exc:
            with lock:
                outcomes.append(f"refused: {exc}")

    threads = [threading.Thread(target=officer, args=(f"web:o{k}",)) for k in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(o.split(":")[0] for o in outcomes) == ["paid", "refused"], outcomes
    with db.session_scope(engine, read_only=True) as s:
        assert _count(s) == 3
        assert audit.verify(s)[1] is None


# --------------------------------------------------------------------------------------------
# acceptance view
# --------------------------------------------------------------------------------------------


def test_awaiting_list_and_the_registration_refusal(session: Session) -> None:
    factories.programme(session)  # ENT-A registered 2021-03-20; ENT-B applied 2022-04-01, never registered
    ok = factories.installation(session, factories.household(session, 1))
    rogue = factories.installation(session, factories.household(session, 2), enterprise="ENT-B")
    early = factories.installation(session, factories.household(session, 3), enterprise="ENT-B",
                                   installed_on=dt.date(2022, 2, 20))  # before the rule applied
    done = factories.accepted_installation(session, 4)
    page = acceptance_view.awaiting_acceptance(session=session)
    assert [r.installation_id for r in page.rows] == [early, ok, rogue] and page.total == 3
    by_id = {r.installation_id: r for r in page.rows}
    assert by_id[ok].refusals == [] and by_id[early].refusals == []
    (reason,) = by_id[rogue].refusals
    assert reason["rule"] == "registered_enterprise" and reason["clause"] == "盐政办发〔2022〕8号 四"
    assert "已申请，尚未登记" in reason["detail"] and "2022年3月1日起" in reason["detail"]
    with pytest.raises(Conflict):  # the service agrees
        installations.accept(session=session, installation_id=rogue, accepted_on=dt.date(2022, 7, 1), actor="x")
    assert [r.installation_id for r in acceptance_view.awaiting_acceptance(session=session, state="accepted").rows
            ] == [done]
    assert acceptance_view.awaiting_acceptance(session=session, state="all").total == 4
    assert acceptance_view.awaiting_acceptance(session=session, enterprise_code="ENT-B").total == 2
    assert acceptance_view.awaiting_acceptance(session=session, township="惠安堡镇").total == 0
    assert acceptance_view.awaiting_acceptance(session=session, household="YC-T-000002").total == 1
    two = acceptance_view.awaiting_acceptance(session=session, per_page=2, page=2)
    assert (two.pages, [r.installation_id for r in two.rows]) == (2, [rogue])
    # a failed inspection is listed apart, and is never refused for the registration
    installations.accept(session=session, installation_id=rogue, accepted_on=dt.date(2022, 7, 1), actor="x",
                         heating_effect_reached=False, note="室温不达标")
    (failed,) = acceptance_view.awaiting_acceptance(session=session, state="failed").rows
    assert failed.installation_id == rogue and failed.failed_inspections == 1
    detail = acceptance_view.installation_acceptance(session=session, installation_id=rogue)
    assert detail["failed_inspections"][0]["note"] == "室温不达标"
    assert detail["decision"]["status"] == "ineligible" and detail["enterprise_status_on_install"] == "submitted"
    good = acceptance_view.installation_acceptance(session=session, installation_id=ok)
    assert good["decision"]["total_cny"] == 5300 and good["decision"]["assumed_accepted_on"] is not None
    acc = acceptance_view.installation_acceptance(session=session, installation_id=done)
    assert acc["accepted"] and acc["refusals"][0]["rule"] == "already_accepted"
    with pytest.raises(NotFound):
        acceptance_view.installation_acceptance(session=session, installation_id=9999)
    with pytest.raises(InputError):
        acceptance_view.awaiting_acceptance(session=session, state="nope")
    assert acceptance_view.registration_required_from() == dt.date(2022, 3, 1)
