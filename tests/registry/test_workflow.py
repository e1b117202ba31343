"""Enterprise registration states, after-sales tickets, reports and the half-year assessment."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cleanheat.errors import Conflict, InputError
from cleanheat.registry import audit
from cleanheat.registry.models import Household, MonthlyReport, Payment, Township
from cleanheat.registry.services import assessments, enterprises, payments, reports, tickets
from cleanheat.registry.services.demo import load_demo

from . import factories

UTC = dt.UTC


def test_registration_status_on_any_date(session: Session) -> None:
    factories.programme(session)
    assert enterprises.status_on(session=session, code="ENT-A", on=dt.date(2021, 2, 1)) is None
    assert enterprises.status_on(session=session, code="ENT-A", on=dt.date(2021, 3, 15)) == "reviewed"
    assert enterprises.status_on(session=session, code="ENT-A", on=dt.date(2021, 3, 20)) == "registered"
    enterprises.transition(session=session, code="ENT-A", to="suspended", effective_on=dt.date(2022, 5, 1), actor="x")
    enterprises.transition(session=session, code="ENT-A", to="registered", effective_on=dt.date(2022, 6, 1),
                           actor="x")
    enterprises.transition(session=session, code="ENT-A", to="revoked", effective_on=dt.date(2023, 7, 1), actor="x",
                           why="2023-H1 assessment")
    on = {d: enterprises.status_on(session=session, code="ENT-A", on=dt.date.fromisoformat(d))
          for d in ("2022-04-30", "2022-05-01", "2022-06-01", "2023-06-30", "2023-07-01")}
    assert on == {"2022-04-30": "registered", "2022-05-01": "suspended", "2022-06-01": "registered",
                  "2023-06-30": "registered", "2023-07-01": "revoked"}
    assert [e["type"] for e in audit.log(session, resource="enterprise/ENT-A")][-1] == "cn.cleanheat.enterprise.revoked"


def test_transitions_are_guarded(session: Session) -> None:
    factories.programme(session)
    with pytest.raises(Conflict, match="submitted; cannot become registered"):
        enterprises.transition(session=session, code="ENT-B", to="registered", effective_on=dt.date(2022, 5, 1),
                               actor="x")
    with pytest.raises(Conflict, match="before its last change"):
        enterprises.transition(session=session, code="ENT-B", to="reviewed", effective_on=dt.date(2022, 1, 1),
                               actor="x")
    enterprises.transition(session=session, code="ENT-B", to="rejected", effective_on=dt.date(2022, 5, 1), actor="x")
    with pytest.raises(Conflict, match="allowed: none"):
        enterprises.transition(session=session, code="ENT-B", to="reviewed", effective_on=dt.date(2022, 6, 1),
                               actor="x")
    with pytest.raises(InputError, match="unknown state"):
        enterprises.transition(session=session, code="ENT-A", to="blessed", effective_on=dt.date(2022, 6, 1),
                               actor="x")


def test_ticket_workflow_and_response_limit(session: Session) -> None:
    factories.programme(session)
    factories.accepted_installation(session, 1)
    opened = dt.datetime(2022, 12, 1, 9, tzinfo=UTC)
    t = tickets.open_ticket(session=session, household_id="YC-T-000001", kind="complaint", category="heating_effect",
                            description="室温不达标", actor="农户", opened_at=opened)
    assert t.respond_by == opened + dt.timedelta(hours=48) and t.enterprise_id is not None
    tickets.advance(session=session, ticket_id=t.id, to="assigned", actor="乡镇", at=opened + dt.timedelta(hours=2))
    late = tickets.overdue(session=session, at=opened + dt.timedelta(hours=50))
    assert [(o["ticket"], o["hours_late"]) for o in late] == [(t.id, 2.0)]
    assert tickets.overdue(session=session, at=opened + dt.timedelta(hours=47)) == []
    with pytest.raises(Conflict, match="next stage is one of responded"):
        tickets.advance(session=session, ticket_id=t.id, to="closed", actor="x")
    tickets.advance(session=session, ticket_id=t.id, to="responded", actor="ENT-A",
                    at=opened + dt.timedelta(hours=49))
    assert t.overdue  # answered one hour past the 48 h limit
    tickets.advance(session=session, ticket_id=t.id, to="resolved", actor="ENT-A", at=opened + dt.timedelta(days=3))
    tickets.advance(session=session, ticket_id=t.id, to="closed", actor="乡镇", at=opened + dt.timedelta(days=4))
    stages = [e["type"] for e in audit.log(session, resource=f"ticket/{t.id}")]
    assert stages == [f"cn.cleanheat.ticket.{s}" for s in ("opened", "assigned", "responded", "resolved", "closed")]


def test_ticket_only_within_service_period(session: Session) -> None:
    factories.programme(session)
    factories.accepted_installation(session, 1, accepted_on=dt.date(2022, 7, 1))
    with pytest.raises(Conflict, match="5-year service period ended on 2027-07-01"):
        tickets.open_ticket(session=session, household_id="YC-T-000001", kind="service", category="quality",
                            description="", actor="x", opened_at=dt.datetime(2027, 7, 2, tzinfo=UTC))
    factories.household(session, 2)
    with pytest.raises(Conflict, match="no accepted installation"):
        tickets.open_ticket(session=session, household_id="YC-T-000002", kind="service", category="quality",
                            description="", actor="x")
    with pytest.raises(InputError, match="unknown kind"):
        tickets.open_ticket(session=session, household_id="YC-T-000001", kind="praise", category="quality",
                            description="", actor="x")


def test_assessment_revokes_on_many_complaints(session: Session) -> None:
    factories.programme(session)
    for k in range(1, 11):
        factories.accepted_installation(session, k)
    opened = dt.datetime(2022, 9, 1, tzinfo=UTC)
    # 10 accepted installations; 1 complaint = 10 per 100 ≥ 3 → revoke (and 1 of 10 quality → 0.9 < 0.97)
    t = tickets.open_ticket(session=session, household_id="YC-T-000003", kind="complaint", category="quality",
                            description="", actor="x", opened_at=opened)
    tickets.advance(session=session, ticket_id=t.id, to="responded", actor="x", at=opened + dt.timedelta(hours=3))
    rows = assessments.assess(session=session, half="2022-H2", actor="领导小组", apply=True)
    (row,) = [r for r in rows if r["enterprise"] == "ENT-A"]
    assert row["outcome"] == "revoke" and row["complaints_per_100"] == 10.0 and row["product_quality"] == 0.9
    assert enterprises.status_on(session=session, code="ENT-A", on=dt.date(2023, 1, 1)) == "revoked"
    assert assessments.assess(session=session, half="2022-H1", actor="x")[0]["outcome"] == "pass"
    with pytest.raises(InputError, match="YYYY-H1"):
        assessments.parse_half("2022-Q3")


def test_demo_programme_small(session: Session) -> None:
    summary = load_demo(session=session, seed=3, n_households=1500, n_beijing=20)
    assert summary["households"] == 1500 and summary["beijing_projects"] == 20
    assert session.execute(select(func.count()).select_from(Household)).scalar_one() == 1500
    paid = session.execute(select(func.count()).select_from(Payment)).scalar_one()
    assert paid == summary["paid"] > 0
    assert audit.verify(session)[1] is None
    with pytest.raises(Conflict, match="not empty"):
        load_demo(session=session, seed=3, n_households=10)
    # every township reports every month from 2021-06; some reports are late (after the 25th)
    n_towns = session.execute(select(func.count()).select_from(Township)).scalar_one()
    late = session.execute(select(func.count()).where(MonthlyReport.late.is_(True))).scalar_one()
    assert summary["monthly_reports"] == n_towns * 31 and 0 < late < summary["monthly_reports"]
    st = reports.status(session=session)
    assert st["paid"] == paid and st["central_paid_cny"] == payments.envelope_spending(session=session)[
        "central"]["paid_cny"]


def test_monthly_report_flags_late_submission(session: Session) -> None:
    load_demo(session=session, seed=1, n_households=800, n_beijing=0)
    late = session.execute(select(MonthlyReport).where(MonthlyReport.late.is_(True)).limit(1)).scalar_one()
    town = session.get(Township, late.township_id)
    assert town is not None
    rep = reports.monthly(session=session, township=town.name, month=late.month)
    assert rep["submission"] == "late" and rep["submitted_on"] > rep["due_on"]
    with pytest.raises(InputError, match="YYYY-MM"):
        reports.monthly(session=session, township=town.name, month="2022/01")


def test_beijing_project_decision_steps_and_obligations(session: Session) -> None:
    from cleanheat.registry.models import BeijingApprovalStep, BeijingObligation, BeijingProject
    from cleanheat.registry.services import beijing

    rec = {"project_id": "BJ-T1", "zone": "city_sub_center", "source": "shallow_ground", "kind": "new_build",
           "heated_area_m2": 50000, "investment_cny": {"ground_loop": 10_000_000, "heat_pump_units": 5_000_000,
                                                       "indoor_terminals": 2_000_000},
           "ground_heat_balance_ok": True, "applied_on": "2020-05-01"}
    assert beijing.record_projects(session=session, records=[rec], actor="市发改委") == 1
    p = session.execute(select(BeijingProject)).scalar_one()
    # 30 % of heat source + primary network (15 M; terminals excluded) = 4.5 M (SPEC §5)
    assert (p.support_ratio, p.eligible_investment_cny, p.support_cny, p.status) == (0.3, 15_000_000, 4_500_000,
                                                                                     "funded")
    steps = session.execute(select(BeijingApprovalStep.step, BeijingApprovalStep.authority)
                            .order_by(BeijingApprovalStep.seq)).all()
    assert [tuple(s) for s in steps] == [("approval", "district_drc"), ("fund_application_report", "municipal_drc")]
    codes = set(session.execute(select(BeijingObligation.code)).scalars())
    assert {"online_monitoring", "ground_heat_balance"} <= codes
    with pytest.raises(Conflict, match="already recorded"):
        beijing.record_projects(session=session, records=[rec], actor="x")
    beijing.ensure_zone_targets(session=session)
    zones = {z["zone"]: z for z in beijing.zone_progress(session=session)}
    assert zones["city_sub_center"]["target_m2"] == 4_500_000 and zones["city_sub_center"]["recorded_m2"] == 50000
    assert sum(z["target_m2"] for z in zones.values()) == 20_000_000


def test_monthly_report_filed_by_the_25th(session: Session) -> None:
    factories.programme(session)
    factories.accepted_installation(session, 1, installed_on=dt.date(2022, 6, 1), accepted_on=dt.date(2022, 6, 20))
    on_time = reports.submit_monthly(session=session, township="花马池镇", month="2022-06",
                                     submitted_on=dt.date(2022, 6, 25), actor="花马池镇")
    assert on_time["submission"] == "on_time" and on_time["accepted_month"] == 1
    assert on_time["year_target_households"] == 1000 and on_time["progress"] == 0.001  # 1 of 1000
    late = reports.submit_monthly(session=session, township="青山乡", month="2022-06",
                                  submitted_on=dt.date(2022, 6, 26), actor="青山乡")
    assert late["late"] is True
    with pytest.raises(Conflict, match="already filed"):
        reports.submit_monthly(session=session, township="青山乡", month="2022-06",
                               submitted_on=dt.date(2022, 6, 27), actor="青山乡")
    named = {r["township"]: r["submission"] for r in reports.laggards(session=session, month="2022-06",
                                                                        today=dt.date(2022, 7, 1))}
    assert named["青山乡"] == "late" and named["惠安堡镇"] == "missing" and "花马池镇" not in named
    assert len(named) == 7
