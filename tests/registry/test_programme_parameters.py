"""Programme numbers are dated parameters the registry reads; business dates are the programme's civil dates.

Code review findings 3 (civil dates), 4 (29 February), 6 (targets from the demo generator, policy
numbers as Python constants), 9 (demo logic in production services); newcomer review L (a month
before or after the programme reported as missing) and O (no way to back-date a ticket).
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import inspect

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cleanheat import clock
from cleanheat.errors import Conflict, InputError
from cleanheat.parameters import DatedValue, ParameterTree
from cleanheat.policy.engine import default_tree
from cleanheat.policy.programme import programme_years, township_targets
from cleanheat.registry import audit
from cleanheat.registry.models import Target, Ticket, Township
from cleanheat.registry.services import assessments, places, reports, tickets

from . import factories

UTC = dt.UTC
TOWNS = ("花马池镇", "惠安堡镇", "大水坑镇", "高沙窝镇", "王乐井乡", "青山乡", "冯记沟乡", "麻黄山乡")


def _with_values(tree: ParameterTree, name: str, values: list[tuple[dt.date, object]]) -> ParameterTree:
    params = {p.name: p for p in tree}
    params[name] = dataclasses.replace(params[name], values=tuple(DatedValue(d, v) for d, v in values))
    return ParameterTree(params)


# --------------------------------------------------------------------------------------------
# Targets and programme years
# --------------------------------------------------------------------------------------------


def test_targets_are_read_from_the_parameter_files() -> None:
    t = township_targets()
    assert tuple(t) == (2021, 2022, 2023) and programme_years() == (2021, 2022, 2023)
    assert t[2022]["惠安堡镇"] == 3500 and t[2023]["花马池镇"] == 2000  # yanchi/targets/2022.yaml, 2023.yaml
    # 2021: 3000 split in proportion to 2022 + 2023: 花马池镇 3000 × 3000 / 24000 = 375
    assert sum(t[2021].values()) == 3000 and t[2021]["花马池镇"] == 375


def test_a_reform_of_a_target_changes_what_the_registry_stores(session: Session) -> None:
    base = default_tree()
    cells = dict(base["yanchi.targets.2022"].at(dt.date(2022, 1, 1)))
    cells["花马池镇"], cells["total"] = 1400, 14400
    reform = base.with_overrides({"yanchi.targets.2022": cells})
    places.ensure_reference_data(session=session, tree=reform)
    stored = {(town, y): n for town, y, n in session.execute(
        select(Township.name, Target.year, Target.households).join(Township, Target.township_id == Township.id))}
    assert stored[("花马池镇", 2022)] == 1400 and stored[("惠安堡镇", 2022)] == 3500
    # 2021's split follows: 花马池镇 (1400 + 2000) / 24400 × 3000 = 418.03 → 418
    assert stored[("花马池镇", 2021)] == 418 and sum(n for (_, y), n in stored.items() if y == 2021) == 3000
    assert places.targets(reform)[("花马池镇", 2022)] == 1400
    # back to the shipped files: the stored targets are brought up to date, audited with old and new value
    places.ensure_reference_data(session=session, actor="县住建局")
    n = session.execute(select(Target.households).join(Township, Target.township_id == Township.id)
                        .where(Township.name == "花马池镇", Target.year == 2022)).scalar_one()
    assert n == 1000
    (entry,) = [e for e in audit.log(session, resource="township/花马池镇")
                if e["type"] == "cn.cleanheat.target.updated" and e["data"]["year"] == 2022]
    assert entry["data"]["old"] == 1400 and entry["data"]["new"] == 1000


def test_programme_years_follow_the_opening_parameter() -> None:
    longer = _with_values(default_tree(), "yanchi.programme.open",
                          [(dt.date(2021, 1, 1), True), (dt.date(2025, 1, 1), False)])
    assert programme_years(longer) == (2021, 2022, 2023, 2024)
    assert places.programme_years() == (2021, 2022, 2023)


def test_production_services_hold_no_demo_logic() -> None:
    for module in (places, tickets):
        imported = {n.module for n in ast.walk(ast.parse(inspect.getsource(module)))
                    if isinstance(n, ast.ImportFrom) and n.module}
        assert not any(m.startswith("cleanheat.demo") for m in imported), module.__name__
    assert not hasattr(tickets, "demo_tickets")


# --------------------------------------------------------------------------------------------
# Tickets: response limit and service period
# --------------------------------------------------------------------------------------------


def _open(session: Session, at: dt.datetime, tree: ParameterTree | None = None) -> Ticket:
    return tickets.open_ticket(session=session, household_id="YC-T-000001", kind="service", category="quality",
                               description="", actor="农户", opened_at=at, tree=tree)


def test_ticket_limit_and_service_years_come_from_the_parameters(session: Session) -> None:
    factories.programme(session)
    factories.accepted_installation(session, 1, accepted_on=dt.date(2022, 7, 1))
    opened = dt.datetime(2022, 12, 1, 1, tzinfo=UTC)
    assert _open(session, opened).respond_by == opened + dt.timedelta(hours=48)
    reform = default_tree().with_overrides({"yanchi.after_sales.response_limit_hours": 24,
                                            "yanchi.after_sales.service_years": 3})
    assert _open(session, opened, reform).respond_by == opened + dt.timedelta(hours=24)
    assert tickets.service_end(dt.date(2022, 7, 1), reform) == dt.date(2025, 7, 1)
    with pytest.raises(Conflict, match="the 3-year service period ended on 2025-07-01"):
        _open(session, dt.datetime(2025, 7, 2, 1, tzinfo=UTC), reform)


def test_service_period_of_an_acceptance_on_29_february(session: Session) -> None:
    factories.programme(session)
    factories.accepted_installation(session, 1, installed_on=dt.date(2023, 11, 20), accepted_on=dt.date(2024, 2, 29))
    assert tickets.service_end(dt.date(2024, 2, 29)) == dt.date(2029, 2, 28)
    # 2029-02-28 23:30 in Yanchi (15:30 UTC) is the last day of the period
    last = clock.at_local(dt.date(2029, 2, 28), dt.time(23, 30))
    assert last == dt.datetime(2029, 2, 28, 15, 30, tzinfo=UTC)
    assert _open(session, last).opened_at == last
    with pytest.raises(Conflict, match="service period ended on 2029-02-28"):
        _open(session, clock.at_local(dt.date(2029, 3, 1), dt.time(0, 30)))


def test_service_period_is_judged_on_the_programme_date(session: Session) -> None:
    factories.programme(session)
    factories.accepted_installation(session, 1, accepted_on=dt.date(2022, 7, 1))
    # 2027-07-01 20:00 UTC is already 2 July, 04:00 in Yanchi: after the period
    with pytest.raises(Conflict, match="ended on 2027-07-01.*opened on 2027-07-02.*--on"):
        _open(session, dt.datetime(2027, 7, 1, 20, tzinfo=UTC))
    # a ticket raised within the period is recorded afterwards with its own date
    back = clock.at_local(dt.date(2027, 6, 30), dt.time(9))
    assert _open(session, back).opened_at == dt.datetime(2027, 6, 30, 1, tzinfo=UTC)
    with pytest.raises(InputError, match="before the installation was accepted on 2022-07-01"):
        _open(session, clock.at_local(dt.date(2022, 6, 30), dt.time(9)))


# --------------------------------------------------------------------------------------------
# Monthly reports
# --------------------------------------------------------------------------------------------


def test_no_report_is_due_outside_the_programme(session: Session) -> None:
    factories.programme(session)
    assert reports.monthly(session=session, township="花马池镇", month="2019-12",
                           today=dt.date(2026, 12, 2))["submission"] == "not_due"
    assert reports.laggards(session=session, month="2026-11", today=dt.date(2026, 12, 2)) == []
    assert reports.laggards(session=session, month="2021-05", today=dt.date(2026, 12, 2)) == []
    late = reports.laggards(session=session, month="2023-11", today=dt.date(2023, 11, 26))
    assert [r["township"] for r in late] == list(TOWNS) and {r["submission"] for r in late} == {"missing"}
    assert reports.laggards(session=session, month="2023-11", today=dt.date(2023, 11, 25)) == []  # the 25th is on time
    fig = reports.monthly(session=session, township="花马池镇", month="2023-11", today=dt.date(2023, 11, 20))
    assert fig["submission"] == "pending" and fig["due_on"] == "2023-11-25"
    with pytest.raises(InputError, match="outside the programme"):
        reports.submit_monthly(session=session, township="花马池镇", month="2024-03",
                               submitted_on=dt.date(2024, 3, 20), actor="乡镇")


def test_the_due_day_is_a_dated_parameter() -> None:
    assert reports.due_on("2022-11") == dt.date(2022, 11, 25)
    assert reports.due_on("2019-12") is None and reports.due_on("2024-01") is None
    reform = default_tree().with_overrides({"yanchi.reports.due_day": 20})
    assert reports.due_on("2022-11", reform) == dt.date(2022, 11, 20)


def test_a_ticket_counts_in_the_month_of_its_programme_date(session: Session) -> None:
    factories.programme(session)
    factories.accepted_installation(session, 1)
    # 2022-08-31 20:00 UTC is 1 September, 04:00 in Yanchi
    tickets.open_ticket(session=session, household_id="YC-T-000001", kind="complaint", category="quality",
                        description="", actor="农户", opened_at=dt.datetime(2022, 8, 31, 20, tzinfo=UTC))
    figs = reports.monthly_all(session=session, months=["2022-08", "2022-09"], townships=["花马池镇"])
    assert figs[("花马池镇", "2022-08")]["complaints_month"] == 0
    assert figs[("花马池镇", "2022-09")]["complaints_month"] == 1


# --------------------------------------------------------------------------------------------
# Assessment
# --------------------------------------------------------------------------------------------


def test_assessment_thresholds_come_from_the_parameters(session: Session) -> None:
    factories.programme(session)
    for k in range(1, 11):
        factories.accepted_installation(session, k)
    opened = dt.datetime(2022, 9, 1, 2, tzinfo=UTC)
    t = tickets.open_ticket(session=session, household_id="YC-T-000003", kind="complaint", category="quality",
                            description="", actor="x", opened_at=opened)
    tickets.advance(session=session, ticket_id=t.id, to="responded", actor="x", at=opened + dt.timedelta(hours=3))
    (row,) = [r for r in assessments.assess(session=session, half="2022-H2", actor="x") if r["enterprise"] == "ENT-A"]
    assert row["outcome"] == "revoke" and row["why"] == ["10.0 complaints per 100 installations ≥ 3",
                                                         "product quality 0.900 < 0.97"]
    lenient = default_tree().with_overrides({"yanchi.assessment.complaints_per_100": 20.0,
                                             "yanchi.assessment.min_product_quality": 0.85})
    (row,) = [r for r in assessments.assess(session=session, half="2022-H2", actor="x", tree=lenient)
              if r["enterprise"] == "ENT-A"]
    assert row["outcome"] == "pass"
    assert assessments.thresholds(dt.date(2022, 12, 31)) == {
        "complaints_per_100": 3.0, "min_product_quality": 0.97, "min_heating_effect": 0.97, "min_service": 0.8}


def test_the_half_runs_over_programme_dates(session: Session) -> None:
    factories.programme(session)
    for k in range(1, 11):
        factories.accepted_installation(session, k)
    # 2022-06-30 20:00 UTC is 1 July in Yanchi: a complaint of the second half
    tickets.open_ticket(session=session, household_id="YC-T-000003", kind="complaint", category="other",
                        description="", actor="x", opened_at=dt.datetime(2022, 6, 30, 20, tzinfo=UTC))
    h1 = {r["enterprise"]: r for r in assessments.assess(session=session, half="2022-H1", actor="x")}
    h2 = {r["enterprise"]: r for r in assessments.assess(session=session, half="2022-H2", actor="x")}
    assert h1["ENT-A"]["complaints"] == 0 and h2["ENT-A"]["complaints"] == 1
