"""The ledger listing of the web pages (services/ledger_view.py): the status in SQL equals household_view's
on every kind of household, filters and paging, duplicate flags, the township check of an upload."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cleanheat.errors import InputError
from cleanheat.registry.models import Household
from cleanheat.registry.services import enterprises, households, installations, ledger_view, payments
from cleanheat.registry.services.household_view import household_view
from tests.registry import factories as f

D = dt.date


def _cases(session: Session) -> dict[str, str]:
    """One household per situation the status knows; returns {ledger id: the status household_view gives}."""
    f.programme(session)
    enterprises.create(session=session, code="ENT-C", name="吴忠市暖通工程有限公司", submitted_on=D(2021, 3, 1),
                       actor="专家组")
    enterprises.transition(session=session, code="ENT-C", to="reviewed", effective_on=D(2021, 3, 10), actor="专家组")
    enterprises.transition(session=session, code="ENT-C", to="registered", effective_on=D(2021, 3, 20),
                           actor="县住建局")
    enterprises.transition(session=session, code="ENT-C", to="revoked", effective_on=D(2022, 5, 1), actor="县住建局")

    def hh(k: int, **over: object) -> int:
        return f.household(session, k, **over)

    f.household(session, 1)                                             # no installation
    f.installation(session, hh(2))                                      # pending
    f.accepted_installation(session, 3)                                 # accepted, not yet paid
    iid = f.accepted_installation(session, 4)                           # paid
    payments.pay_installation(session=session, installation_id=iid, actor="财务", paid_on=D(2022, 8, 1))
    iid = f.accepted_installation(session, 5)                           # paid, then recovered: accepted again
    payments.pay_installation(session=session, installation_id=iid, actor="财务", paid_on=D(2022, 8, 1))
    payments.reverse_payment(session=session, actor="财务", why="test", installation_id=iid, on=D(2022, 9, 1))
    iid = f.installation(session, hh(6))                                # void
    installations.void(session=session, installation_id=iid, actor="乡镇", why="recorded twice")
    void_first = hh(7)                                                  # one void, one live: pending
    iid = f.installation(session, void_first, installed_on=D(2022, 5, 1))
    installations.void(session=session, installation_id=iid, actor="乡镇", why="wrong method")
    f.installation(session, void_first, technology="gshp")
    f.installation(session, hh(8), enterprise="ENT-B")                  # unregistered after 2022-03-01: not payable
    f.installation(session, hh(9), enterprise="ENT-B", installed_on=D(2022, 2, 1))  # before the rule: pending
    f.installation(session, hh(10), enterprise=None, installed_on=D(2021, 5, 1))    # self-installed too early
    f.installation(session, hh(11), enterprise=None)                    # self-installed in time: pending
    f.installation(session, hh(12), technology="coal_stove")            # not a clean method
    f.installation(session, hh(13, heated_area_m2=55.0))               # too small
    f.accepted_installation(session, 14, technology="biomass")          # accepted …
    households.amend(session=session, household_id="YC-T-000014", changes={"previously_subsidised": True},
                     actor="乡镇", why="subsidised in 2020")              # … but subsidised before: not payable
    f.installation(session, hh(15), enterprise="ENT-C", installed_on=D(2022, 4, 1))  # ENT-C still registered
    f.installation(session, hh(16), enterprise="ENT-C", installed_on=D(2022, 6, 1))  # ENT-C revoked by then
    f.installation(session, hh(17), installed_on=D(2024, 2, 1))        # after the programme closed
    f.accepted_installation(session, 18, installed_on=D(2021, 5, 1), accepted_on=D(2021, 5, 20))  # accepted too early
    keep, drop = hh(19), hh(20, name="测试户19", id_number="640323198001010019")
    f.installation(session, keep)
    households.merge(session=session, keep="YC-T-000019", drop="YC-T-000020", actor="专班", why="one household")
    del drop
    two = hh(21)                                                        # two live, the later one accepted
    f.installation(session, two, installed_on=D(2022, 4, 1))
    iid = f.installation(session, two, installed_on=D(2022, 5, 1))
    installations.accept(session=session, installation_id=iid, accepted_on=D(2022, 6, 1), actor="县住建局")
    iid = f.installation(session, hh(22))                               # inspected, heating effect not reached
    installations.accept(session=session, installation_id=iid, accepted_on=D(2022, 6, 1), actor="县住建局",
                         heating_effect_reached=False, note="室温未达标")
    iid = f.installation(session, hh(23))                               # failed, put right, then accepted
    installations.accept(session=session, installation_id=iid, accepted_on=D(2022, 6, 1), actor="县住建局",
                         heating_effect_reached=False, note="室温未达标")
    installations.accept(session=session, installation_id=iid, accepted_on=D(2022, 6, 20), actor="县住建局")
    session.flush()
    codes = session.execute(select(Household.household_id).order_by(Household.id)).scalars().all()
    return {c: household_view(session=session, household_id=c, timeline=False)["status"] for c in codes}


EXPECTED = {
    "YC-T-000001": "no_installation", "YC-T-000002": "pending", "YC-T-000003": "accepted", "YC-T-000004": "paid",
    "YC-T-000005": "accepted", "YC-T-000006": "void", "YC-T-000007": "pending", "YC-T-000008": "not_payable",
    "YC-T-000009": "pending", "YC-T-000010": "not_payable", "YC-T-000011": "pending", "YC-T-000012": "not_payable",
    "YC-T-000013": "not_payable", "YC-T-000014": "not_payable", "YC-T-000015": "pending",
    "YC-T-000016": "not_payable", "YC-T-000017": "not_payable", "YC-T-000018": "not_payable",
    "YC-T-000019": "pending", "YC-T-000020": "merged", "YC-T-000021": "accepted",
    "YC-T-000022": "failed_inspection", "YC-T-000023": "accepted",
}
"""What each case is (the view's own answer is checked against this first, so the cases mean what they say)."""


def test_sql_status_equals_household_view_for_every_case(session: Session) -> None:
    viewed = _cases(session)
    assert viewed == EXPECTED
    pks = dict(session.execute(select(Household.household_id, Household.id)).all())
    sql = ledger_view.status_of(session=session, household_pks=pks.values())
    assert {code: sql[pk] for code, pk in pks.items()} == viewed


def test_status_condition_picks_the_households_of_that_status(session: Session) -> None:
    viewed = _cases(session)
    for status in ledger_view.LIST_STATUSES:
        cond = ledger_view.status_condition(status, session=session)
        got = set(session.execute(select(Household.household_id).where(cond)).scalars())
        assert got == {c for c, s in viewed.items() if s == status}, status
    with pytest.raises(InputError):
        ledger_view.status_condition("reversed", session=session)


def test_filters_and_paging(session: Session) -> None:
    viewed = _cases(session)
    everyone = ledger_view.ledger_page(session=session, filters=ledger_view.LedgerFilter(), per_page=200)
    assert everyone.total == len(viewed) == len(everyone.items)
    assert [i["household_id"] for i in everyone.items] == sorted(viewed)
    assert {i["household_id"]: i["status"] for i in everyone.items} == viewed
    # paging: pages of 4 hold every household once, in ledger-id order; the total is the same on each
    seen = []
    for page in range(1, 7):
        p = ledger_view.ledger_page(session=session, filters=ledger_view.LedgerFilter(), page=page, per_page=4)
        assert (p.total, p.pages) == (23, 6)
        seen += [i["household_id"] for i in p.items]
    assert seen == sorted(viewed)
    assert ledger_view.ledger_page(session=session, filters=ledger_view.LedgerFilter(), page=7, per_page=4).items == []

    def codes(**kw: object) -> set[str]:
        p = ledger_view.ledger_page(session=session, filters=ledger_view.LedgerFilter(**kw), per_page=200)  # type: ignore[arg-type]
        assert p.total == len(p.items)
        return {i["household_id"] for i in p.items}

    for status in ("pending", "not_payable", "accepted", "failed_inspection"):  # the window-count path
        assert codes(status=status) == {c for c, s in viewed.items() if s == status}
        assert codes(status=status, township="惠安堡镇") == set()
    assert codes(method="gshp") == {"YC-T-000007"}                 # the void installation's method does not count
    assert codes(method="ashp_water", enterprise="ENT-B") == {"YC-T-000008", "YC-T-000009"}
    assert codes(enterprise="ENT-C") == {"YC-T-000015", "YC-T-000016"}
    assert codes(township="花马池镇", village="红井子村") == set(viewed)
    assert codes(village="萌城村") == set()
    assert codes(year=2022) == set() and codes(year=None) == set(viewed)
    assert codes(query="YC-T-000013") == {"YC-T-000013"}                    # ledger id
    assert codes(query="ｙｃ－ｔ－００００１３") == {"YC-T-000013"}         # full-width, as typed on a phone
    assert codes(query="640323198001010012") == {"YC-T-000012"}            # identity number
    assert codes(query="+86 139-0000-0011") == {"YC-T-000011"}            # phone
    assert codes(query="测试户19") == {"YC-T-000019", "YC-T-000020"}       # the beginning of the name
    assert codes(query="红井子") == set(viewed)                             # the village
    assert codes(query="100%") == set()                                    # LIKE characters are literal
    with pytest.raises(InputError):
        ledger_view.ledger_page(session=session, filters=ledger_view.LedgerFilter(), per_page=201)
    with pytest.raises(InputError):  # echoed in the JSON: past 64 bits it was a 500 (schemathesis)
        ledger_view.ledger_page(session=session, filters=ledger_view.LedgerFilter(), page=2**64)
    with pytest.raises(InputError):
        ledger_view.LedgerFilter(status="bogus")
    # the count of the listing is the count of the table
    assert everyone.total == session.execute(select(func.count()).select_from(Household)).scalar_one()
    # a clerk's scope
    assert ledger_view.ledger_page(session=session, filters=ledger_view.LedgerFilter(), township="惠安堡镇").total == 0


def test_duplicate_flags_follow_the_rule_of_find_duplicates(session: Session) -> None:
    f.programme(session)
    f.household(session, 1)
    f.household(session, 2, name="测试户1", id_number="640323199001010022", phone="13911112222")  # fuzzy: same 1号?
    f.household(session, 3, phone="13900000001", id_number="640323199001010033")                 # same phone as 1
    f.household(session, 4, id_number="640323198001010001", phone="13955556666", name="别人",
                address="花马池镇红井子村99号")                                                    # same id number as 1
    pairs = {(p.a, p.b, p.reason) for p in households.find_duplicates(session=session)}
    flags = ledger_view.duplicate_flags(session=session, household_id="YC-T-000001")
    assert {("YC-T-000001", x["household_id"], x["reason"]) for x in flags} == pairs
    assert all(x["township"] == "花马池镇" for x in flags)
    assert ledger_view.duplicate_flags(session=session, household_id="YC-T-000001", township="惠安堡镇") == []
    households.mark_distinct(session=session, a="YC-T-000001", b="YC-T-000003", actor="专班", why="two brothers")
    after = {x["household_id"] for x in ledger_view.duplicate_flags(session=session, household_id="YC-T-000001")}
    assert after == {x["household_id"] for x in flags} - {"YC-T-000003"}
    assert ledger_view.duplicate_flags(session=session, household_id="YC-NONE") == []


def test_out_of_township_rows(session: Session, tmp_path: Path) -> None:
    f.programme(session)
    f.household(session, 1)                                   # 花马池镇
    f.household(session, 2, township="惠安堡镇", village="隰宁堡村")
    path = tmp_path / "ledger.csv"
    path.write_text("农户编号,乡镇,行政村\nYC-T-000001,花马池,红井子村\nYC-T-000002,惠安堡镇,隰宁堡村\n"
                    "YC-T-000003,惠安堡镇,隰宁堡村\n,,\nYC-T-000004,月亮镇,某村\n", encoding="utf-8")
    errors = ledger_view.out_of_township_rows(session=session, path=path, township="惠安堡镇")
    assert [(e.row, e.column) for e in errors] == [(2, "乡镇"), (6, "乡镇")]
    assert "花马池镇" in errors[0].reason
    # a row that names the own township but the ledger id of another township's household
    path.write_text("农户编号,乡镇\nYC-T-000001,惠安堡镇\n", encoding="utf-8")
    (e,) = ledger_view.out_of_township_rows(session=session, path=path, township="惠安堡镇")
    assert (e.row, e.column) == (2, "农户编号") and "花马池镇" in e.reason
    path.write_text("农户编号,乡镇\nYC-T-000001,花马池镇\nYC-T-000009,花马池\n", encoding="utf-8")
    assert ledger_view.out_of_township_rows(session=session, path=path, township="花马池镇") == []
