"""The read-only views the web pages use (audit_view, beijing_view, users_view), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from cleanheat.errors import Conflict, InputError, NotFound
from cleanheat.registry import audit
from cleanheat.registry.services import audit_view, beijing, beijing_view, users_view
from tests.registry import factories

P = {"project_id": "BJ-T1", "zone": "plain_new_towns", "source": "sewage", "kind": "expansion",
     "heated_area_m2": 120000, "investment_cny": {"water_intake": 3000000, "heat_pump_units": 4000000},
     "ground_heat_balance_ok": True, "applied_on": "2021-05-10"}


def _log(session: Session) -> None:
    for k in range(7):
        audit.record(session, actor="web:a" if k % 2 else "web:b", action="payment.made" if k < 5 else "user.add",
                     resource=f"household/YC-{k}")
    audit.record(session, actor="web:b", action="payment.batch", resource="programme/yanchi")


def test_audit_page_filters_counts_and_pages_newest_first(session: Session) -> None:
    _log(session)
    everything = audit_view.page(session, per_page=3)
    assert everything.total == 8 and everything.pages == 3
    assert [e["sequence"] for e in everything.entries] == [8, 7, 6]
    assert [e["sequence"] for e in audit_view.page(session, per_page=3, page=3).entries] == [2, 1]
    family = audit_view.page(session, action="payment")
    assert family.total == 6  # payment.made × 5 + payment.batch, not a "paymentx" type
    by_actor = audit_view.page(session, actor="web:a", action="payment.made")
    assert by_actor.total == 2 and {e["subject"] for e in by_actor.entries} == {"household/YC-1", "household/YC-3"}
    one = audit_view.page(session, resources=["household/YC-4", "installation/YC-4"])
    assert one.total == 1 and one.entries[0]["subject"] == "household/YC-4"


def test_audit_page_date_range_is_programme_days(session: Session) -> None:
    from cleanheat.clock import today

    _log(session)
    assert audit_view.page(session, since=today(), until=today()).total == 8
    assert audit_view.page(session, until=today() - dt.timedelta(days=1)).total == 0
    assert audit_view.page(session, since=today() + dt.timedelta(days=1)).total == 0


@pytest.mark.parametrize(("kw", "field"), [({"page": 0}, "page"), ({"per_page": 0}, "per_page"),
                                           ({"per_page": 501}, "per_page"),
                                           ({"since": dt.date(2022, 2, 1), "until": dt.date(2022, 1, 1)}, "until")])
def test_audit_page_refuses_bad_arguments(session: Session, kw: dict, field: str) -> None:
    with pytest.raises(InputError) as exc:
        audit_view.page(session, **kw)
    assert exc.value.field == field


def test_filter_choices_are_the_log_s_actors_and_actions(session: Session) -> None:
    assert audit_view.filter_choices(session) == {"actors": [], "actions": []}
    _log(session)
    session.flush()
    got = audit_view.filter_choices(session)
    assert got == {"actors": ["web:a", "web:b"], "actions": ["payment.batch", "payment.made", "user.add"]}
    assert audit_view.head_seq(session) == 8


def test_beijing_project_and_its_next_step(session: Session) -> None:
    factories.programme(session)
    beijing.record_projects(session=session, records=[P, dict(P, project_id="BJ-T2", zone="city_sub_center")],
                            actor="tests")
    page = beijing_view.projects_page(session, zone="plain_new_towns")
    assert page.total == 1 and page.projects[0]["project_id"] == "BJ-T1"
    assert [s["next"] for s in page.projects[0]["approval_steps"]] == [True, False]
    assert beijing_view.projects_page(session, q="T2").projects[0]["zone"] == "city_sub_center"
    p = beijing_view.project(session, project_id="BJ-T1")
    # 30 % of heat source + primary network: 0.3 × 7,000,000 = 2,100,000
    assert p["support_cny"] == 2_100_000 and p["decision"]["support_cny"] == 2_100_000
    assert [o["code"] for o in p["obligations"]] == [o["obligation"] for o in p["decision"]["obligations"]]
    assert p["history"][0]["type"] == "cn.cleanheat.beijing.project.decided"
    beijing.decide_step(session=session, project_id="BJ-T1", seq=1, approved=False, on=dt.date(2021, 6, 1),
                        actor="web:officer", why="材料不全")
    p = beijing_view.project(session, project_id="BJ-T1")
    assert p["status"] == "refused" and not any(s["next"] for s in p["approval_steps"])
    assert p["history"][-1]["why"] == "材料不全"
    with pytest.raises(Conflict):
        beijing.decide_step(session=session, project_id="BJ-T1", seq=2, approved=True, on=dt.date(2021, 6, 1),
                            actor="web:officer")
    with pytest.raises(NotFound):
        beijing_view.project(session, project_id="BJ-NONE")
    with pytest.raises(InputError):
        beijing_view.projects_page(session, status="lost")


def test_user_form_choices(session: Session) -> None:
    factories.programme(session)
    towns = users_view.township_choices(session)
    assert towns[0] == "花马池镇" and len(towns) == 8
    assert users_view.enterprise_choices(session) == [("ENT-A", "宁夏绿源新能源科技有限公司"),
                                                     ("ENT-B", "盐池县速暖设备经销部")]
