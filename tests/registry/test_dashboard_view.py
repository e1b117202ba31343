"""The dashboard's and funds page's aggregates agree with the services whose figures they repeat."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from cleanheat.errors import InputError
from cleanheat.registry.services import assessments, dashboard_view, installations, payments, reports

from . import factories

PAID_ON = dt.date(2022, 8, 20)


@pytest.fixture
def small(session: Session) -> Session:
    """Four households of 花马池镇 (accepted 2022; three paid, one of them recovered; one voided
    installation) and two of 惠安堡镇 (one installed 2023 and not accepted, one a gas boiler paid)."""
    factories.programme(session)
    ids = [factories.accepted_installation(session, k) for k in (1, 2, 3)]
    payments.pay_accepted(session=session, actor="财务", paid_on=PAID_ON, installation_ids=ids)
    payments.reverse_payment(session=session, actor="财务", why="重复申报", household_id="YC-T-000003",
                             on=dt.date(2022, 9, 1))
    void_iid = factories.installation(session, factories.household(session, 4), technology="gshp")
    installations.void(session=session, installation_id=void_iid, actor="乡镇", why="录入错误")
    hab = {"township": "惠安堡镇", "village": "隰宁堡村"}
    factories.installation(session, factories.household(session, 5, **hab), installed_on=dt.date(2023, 5, 1))
    gas = factories.installation(session, factories.household(session, 6, **hab), technology="gas_boiler",
                                 invoice_cny=6000)
    installations.accept(session=session, installation_id=gas, accepted_on=dt.date(2022, 7, 2), actor="县住建局")
    payments.pay_installation(session=session, installation_id=gas, actor="财务", paid_on=dt.date(2022, 10, 8))
    session.flush()
    return session


def test_conversions_are_the_plan_table(small: Session) -> None:
    plan = {r["township"]: r for r in reports.plan(session=small)}
    rows = dashboard_view.conversions(session=small)
    assert [r["township"] for r in rows] == list(plan)  # the plan's township order, 合计 last
    for r in rows:
        p = plan[r["township"]]
        for y in (2021, 2022, 2023):
            assert (r["planned"][y], r["done"][y], r["paid"][y]) == (p[f"planned_{y}"], p[f"done_{y}"],
                                                                     p[f"paid_{y}"])
        assert (r["planned_total"], r["done_total"]) == (p["planned_total"], p["done_total"])
    hmc = next(r for r in rows if r["township"] == "花马池镇")
    assert hmc["done"][2022] == 3 and hmc["paid"][2022] == 2  # three accepted, the third recovered


def test_pipeline_is_what_status_counts(small: Session) -> None:
    st = reports.status(session=small)
    p = dashboard_view.pipeline(session=small)
    for k in ("installations", "accepted", "paid", "central_paid_cny", "local_paid_cny", "total_paid_cny"):
        assert p[k] == st[k], k
    # 5 live installations (one void), 4 accepted, 3 standing payments: 2 × (3500 + 1800) + 3500 gas
    assert (p["installations"], p["accepted"], p["paid"], p["total_paid_cny"]) == (5, 4, 3, 14100)
    assert (p["awaiting_acceptance"], p["awaiting_payment"]) == (1, 1)


def test_a_township_sees_its_own_figures(small: Session) -> None:
    st = reports.status(session=small)
    own = [r for r in st["by_township_year"] if r["township"] == "惠安堡镇"]
    p = dashboard_view.pipeline(session=small, township="惠安堡镇")
    assert p["installations"] == sum(r["installations"] for r in own) == 2
    assert p["paid"] == sum(r["paid"] for r in own) == 1
    rows = dashboard_view.conversions(session=small, township="惠安堡镇")
    assert [r["township"] for r in rows] == ["惠安堡镇"]  # no other township, no county total
    mix = dashboard_view.method_mix(session=small, township="惠安堡镇")
    assert {m["technology"]: m["installations"] for m in mix} == {"ashp_water": 1, "gas_boiler": 1}


def test_method_mix_counts_live_installations(small: Session) -> None:
    mix = {m["technology"]: m for m in dashboard_view.method_mix(session=small)}
    assert "gshp" not in mix  # the voided one
    assert (mix["ashp_water"]["installations"], mix["ashp_water"]["accepted"], mix["ashp_water"]["paid"]) == (4, 3, 2)


def test_funds_by_township_add_up_to_the_envelopes(small: Session) -> None:
    spending = payments.envelope_spending(session=small)
    rows = dashboard_view.funds_by_township(session=small)
    for source in ("central", "county", "household"):
        assert sum(r["paid_cny"][source] for r in rows) == spending[source]["paid_cny"]
        assert sum(r["committed_cny"][source] for r in rows) == spending[source]["committed_cny"]
    hmc = next(r for r in rows if r["township"] == "花马池镇")
    # paid 2 × (3500 + 1800); the recovered household's 5300 is outstanding again; the void one not
    assert hmc["paid_cny"] == {"central": 7000, "county": 3600, "household": 0}
    assert hmc["committed_cny"] == {"central": 3500, "county": 1800, "household": 0}
    months = dashboard_view.paid_by_month(session=small)
    assert sum(m["total_cny"] for m in months) == spending["central"]["paid_cny"] + spending["county"]["paid_cny"]
    assert [m["month"] for m in months] == ["2022-08", "2022-09", "2022-10"]
    assert months[1]["total_cny"] == -5300  # the recovery


def test_fund_ledger_filters_and_pages(small: Session) -> None:
    everything = dashboard_view.fund_ledger_page(session=small, per_page=500)
    assert everything["total"] == len(everything["rows"])
    assert list(everything["amount_by_kind_cny"]) == ["commit", "pay", "recover"]
    assert sum(everything["amount_by_kind_cny"].values()) == everything["amount_cny"]
    assert everything["amount_by_kind_cny"]["recover"] == -5300
    dates = [(r["booked_on"], r["entry_id"]) for r in everything["rows"]]
    assert dates == sorted(dates, reverse=True)  # newest first
    pays = dashboard_view.fund_ledger_page(session=small, kind="pay", envelope="central", per_page=2)
    assert pays["total"] == 4 and pays["pages"] == 2 and len(pays["rows"]) == 2  # 4 payments, one recovered later
    assert pays["amount_cny"] == 4 * 3500 and pays["amount_by_kind_cny"] == {"pay": 4 * 3500}
    assert {r["envelope"] for r in pays["rows"]} == {"central"} and {r["kind"] for r in pays["rows"]} == {"pay"}
    page2 = dashboard_view.fund_ledger_page(session=small, kind="pay", envelope="central", per_page=2, page=9)
    assert page2["page"] == 2  # past the last page: the last
    rec = dashboard_view.fund_ledger_page(session=small, kind="recover")
    assert rec["amount_cny"] == -5300 and {r["household_id"] for r in rec["rows"]} == {"YC-T-000003"}
    hab = dashboard_view.fund_ledger_page(session=small, township="惠安堡镇")
    assert {r["township"] for r in hab["rows"]} == {"惠安堡镇"} and hab["total"] == 4  # 2 commits + 1 gas commit + pay
    dated = dashboard_view.fund_ledger_page(session=small, date_from=dt.date(2022, 9, 1), date_to=dt.date(2022, 9, 30))
    assert dated["total"] == 2 and all(r["booked_on"].month == 9 for r in dated["rows"])
    listed = list(dashboard_view.fund_ledger_rows(session=small, kind="pay", envelope="central", batch=1))
    assert [r["entry_id"] for r in listed] == [r["entry_id"] for r in dashboard_view.fund_ledger_page(
        session=small, kind="pay", envelope="central")["rows"]]


@pytest.mark.parametrize(("args", "field"), [({"envelope": "provincial"}, "envelope"), ({"kind": "gift"}, "kind"),
                                             ({"township": "北京"}, "township"), ({"page": 0}, "page"),
                                             ({"date_from": dt.date(2023, 1, 2), "date_to": dt.date(2023, 1, 1)},
                                              "date_from")])
def test_fund_ledger_refuses_bad_filters(small: Session, args: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as info:
        dashboard_view.fund_ledger_page(session=small, **args)  # type: ignore[arg-type]
    assert info.value.field == field


def test_lateness_is_laggards_month_by_month(small: Session) -> None:
    reports.submit_monthly(session=small, township="花马池镇", month="2022-07", submitted_on=dt.date(2022, 7, 25),
                           actor="乡镇")
    reports.submit_monthly(session=small, township="惠安堡镇", month="2022-07", submitted_on=dt.date(2022, 7, 27),
                           actor="乡镇")
    today = dt.date(2022, 8, 26)  # July's and August's reports are due; later ones are not yet
    got = dashboard_view.report_lateness(session=small, today=today)
    expected = [lag for m in dashboard_view.programme_months()
                for lag in reports.laggards(session=small, month=m, today=today)]
    key = lambda r: (r["township"], r["month"], r["submission"])  # noqa: E731
    assert sorted(map(key, got["laggards"])) == sorted(map(key, expected))
    by = {r["township"]: r for r in got["by_township"]}
    # 2021-06 … 2022-08 are due: 15 months; 花马池镇 filed July on the 25th (on time) and nothing else
    assert got["months_due"] == 15
    assert (by["花马池镇"]["on_time"], by["花马池镇"]["late"], by["花马池镇"]["missing"]) == (1, 0, 14)
    assert (by["惠安堡镇"]["late"], by["惠安堡镇"]["missing"], by["惠安堡镇"]["last_late"]) == (1, 14, "2022-08")
    own = dashboard_view.report_lateness(session=small, today=today, township="惠安堡镇")
    assert [r["township"] for r in own["by_township"]] == ["惠安堡镇"]
    assert {r["township"] for r in own["laggards"]} == {"惠安堡镇"}
    assert own["laggards"][0]["month"] == "2022-08"  # newest first


def test_enterprise_ranking_follows_the_stored_assessment(small: Session) -> None:
    assert dashboard_view.enterprise_ranking(session=small) == {"half": None, "rows": []}
    assessed = assessments.assess(session=small, half="2022-H2", actor="领导小组", apply=True)
    ranking = dashboard_view.enterprise_ranking(session=small)
    assert ranking["half"] == "2022-H2"
    assert {r["enterprise"] for r in ranking["rows"]} == {a["enterprise"] for a in assessed}
    assert [r["rank"] for r in ranking["rows"]] == list(range(1, len(assessed) + 1))
    ent_a = next(r for r in ranking["rows"] if r["enterprise"] == "ENT-A")
    assert ent_a["installations"] == 4 and ent_a["outcome"] == "pass"  # its accepted ones (5 and the void one are not)


def test_dashboard_scopes_and_extras(small: Session) -> None:
    county = dashboard_view.dashboard(session=small, today=dt.date(2024, 2, 1))
    clerk = dashboard_view.dashboard(session=small, township="花马池镇", today=dt.date(2024, 2, 1),
                                     county_wide_extras=False)
    assert county["envelopes"] == clerk["envelopes"] == payments.envelope_spending(session=small)
    assert county["zones"] is not None and clerk["zones"] is None and clerk["ranking"] is None
    assert {r["township"] for r in clerk["conversions"]} == {"花马池镇"}
    assert county["pipeline"]["paid"] == clerk["pipeline"]["paid"] + 1  # the gas boiler of 惠安堡镇


def test_chain_cache_recomputes_after_any_change(small: Session) -> None:
    cache = dashboard_view.ChainCache(size=2)
    calls: list[int] = []

    def compute() -> dict[str, int]:
        calls.append(1)
        return payments.envelope_spending(session=small)["central"]

    first = cache.get(small, "central", compute)
    assert cache.get(small, "central", compute) is first and len(calls) == 1
    iid = factories.accepted_installation(small, 7)
    payments.pay_installation(session=small, installation_id=iid, actor="财务", paid_on=PAID_ON)  # audited
    second = cache.get(small, "central", compute)
    assert len(calls) == 2 and second["paid_cny"] == first["paid_cny"] + 3500
    cache.get(small, "a", compute)
    cache.get(small, "b", compute)
    assert len(cache._items) == 2  # the oldest dropped


def test_sign_ins_change_no_figure_key(small: Session) -> None:
    import datetime as dt_

    from cleanheat.registry.services import users

    cache = dashboard_view.ChainCache()
    head = dashboard_view.ChainCache(seq_of=dashboard_view.chain_seq)
    calls: list[str] = []
    cache.get(small, "k", lambda: calls.append("figures"))
    head.get(small, "k", lambda: calls.append("head"))
    before = (dashboard_view.figures_seq(session=small), dashboard_view.chain_seq(session=small))
    user = users.add_user(session=small, name="clerk1", role="clerk", township="花马池镇", password="pw-123456789",
                          actor="admin")
    assert users.authenticate(session=small, name="clerk1", password="pw-123456789", address="127.0.0.1").user
    token, _ = users.open_session(session=small, user=user, ttl=dt_.timedelta(hours=1))
    users.revoke_session(session=small, token=token, actor="web:clerk1")
    assert dashboard_view.chain_seq(session=small) > before[1]  # the account events are in the chain
    assert dashboard_view.figures_seq(session=small) == before[0]
    cache.get(small, "k", lambda: calls.append("figures"))
    head.get(small, "k", lambda: calls.append("head"))
    assert calls == ["figures", "head", "head"]  # sign-ins keep the figures; the bare head would not
    reports.submit_monthly(session=small, township="花马池镇", month="2022-07", submitted_on=dt.date(2022, 7, 20),
                           actor="web:clerk1")
    cache.get(small, "k", lambda: calls.append("figures"))
    assert calls[-1] == "figures" and dashboard_view.figures_seq(session=small) > before[0]


def test_public_names_exist() -> None:
    for name in dashboard_view.__all__:
        assert hasattr(dashboard_view, name), name
