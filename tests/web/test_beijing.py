"""Beijing projects in the browser: list, zone progress chart, one project, and the officer's step decisions."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from cleanheat.registry import db
from cleanheat.registry.models import AuditEvent, BeijingApprovalStep, BeijingProject
from cleanheat.web.beijing import zone_chart
from tests.web.conftest import PASSWORD

# the demo's BJ-0001 (services/demo.py, seed 0): 城市副中心, funded ¥6,609,900; two steps, both pending:
# 1 项目核准 by the district DRC, 2 资金申请报告 by the municipal DRC (四(一), support below 50 %)
PID = "BJ-0001"


def _chart(html: str) -> dict:
    m = re.search(r"data-option='([^']+)'", html)
    assert m, "no chart on the page"
    return json.loads(m.group(1).replace("&#34;", '"').replace("&quot;", '"').replace("&amp;", "&"))


def test_zone_chart_is_targets_against_recorded_area():
    progress = [{"zone": "city_sub_center", "target_m2": 4_500_000, "recorded_m2": 5_820_700},
                {"zone": "expo_2019", "target_m2": 200_000, "recorded_m2": 0.0}]
    opt = zone_chart(progress, labels={"city_sub_center": "北京城市副中心"}, target="目标", achieved="已记录",
                     unit="万平方米")
    assert opt["yAxis"]["data"] == ["北京城市副中心", "expo_2019"]  # an unlabelled zone keeps its code
    target, achieved = opt["series"]
    # 4,500,000 m² = 450 万 m²; 5,820,700 m² = 582.07 → 582.1
    assert (target["name"], target["data"]) == ("目标", [450.0, 20.0])
    assert achieved["data"] == [582.1, 0.0]


def test_officer_sees_projects_and_zone_progress_in_chinese(app_ro, client_for):
    r = client_for(app_ro, "officer").get("/beijing")
    assert r.status_code == 200
    assert "北京热泵项目" in r.text and f'data-project="{PID}"' in r.text
    opt = _chart(r.text)
    assert "北京城市副中心" in opt["yAxis"]["data"] and opt["series"][0]["name"] == "目标"
    assert opt["series"][0]["data"][opt["yAxis"]["data"].index("北京城市副中心")] == 450.0
    assert "共 200 条" in r.text


def test_project_list_filters(app_ro, client_for):
    c = client_for(app_ro, "auditor")
    refused = c.get("/api/v1/beijing/projects", params={"status": "refused", "per_page": 200}).json()
    assert refused["total"] == len(refused["projects"]) > 0
    assert {p["status"] for p in refused["projects"]} == {"refused"}
    zone = c.get("/beijing", params={"zone": "city_sub_center"}, headers={"HX-Request": "true",
                                                                           "HX-Target": "results"})
    assert "<html" not in zone.text and "北京城市副中心" in zone.text and "平原新城" not in zone.text
    assert c.get("/api/v1/beijing/projects", params={"status": "lost"}).status_code == 422


def test_project_page_shows_decision_route_steps_and_obligations(app_ro, client_for):
    r = client_for(app_ro, "officer").get(f"/beijing/{PID}")
    assert r.status_code == 200
    assert "¥6,609,900" in r.text and "获资金支持" in r.text
    assert "区发展改革部门" in r.text and "资金申请报告" in r.text
    assert "进驻市公共资源综合交易平台开展招投标" in r.text  # 五(一)
    assert "京热泵实施意见(2019) 四(一)" in r.text  # the approval route's clause, with its reason
    assert r.text.count('data-testid="decide-step"') == 1  # only the next step can be decided
    assert f'action="/beijing/{PID}/steps/1"' in r.text


def test_auditor_and_admin_read_but_get_no_decision_form(app_ro, client_for):
    for user in ("auditor", "admin1"):
        r = client_for(app_ro, user).get(f"/beijing/{PID}")
        assert r.status_code == 200 and 'data-testid="decide-step"' not in r.text
        assert "审批步骤的决定仅由县级专班录入" in r.text


@pytest.mark.parametrize("user", ["clerk_hab", "inspector", "ent01"])
def test_other_roles_get_403(app_ro, client_for, user):
    c = client_for(app_ro, user)
    assert c.get("/beijing").status_code == 403
    assert c.get(f"/beijing/{PID}").status_code == 403
    assert c.get("/api/v1/beijing/projects").status_code == 403
    assert c.get("/api/v1/beijing/zones").status_code == 403


def test_unknown_project_is_404(app_ro, client_for):
    c = client_for(app_ro, "officer")
    assert c.get("/beijing/BJ-9999").status_code == 404
    assert c.get("/api/v1/beijing/projects/BJ-9999").status_code == 404


def _state(path) -> tuple[list[str], str, int]:
    engine = db.open_database(f"sqlite:///{path}")
    with db.session_scope(engine, read_only=True) as s:
        p = s.execute(select(BeijingProject).where(BeijingProject.project_id == PID)).scalar_one()
        steps = list(s.execute(select(BeijingApprovalStep.status).where(BeijingApprovalStep.project_id == p.id)
                               .order_by(BeijingApprovalStep.seq)).scalars())
        n = s.execute(select(func.count()).select_from(AuditEvent)  # sign-ins are logged too: count decisions
                      .where(AuditEvent.type.startswith("cn.cleanheat.beijing."))).scalar_one()
        status = p.status
    engine.dispose()
    return steps, status, n


def _last_entry(path) -> AuditEvent:
    engine = db.open_database(f"sqlite:///{path}")
    with db.session_scope(engine, read_only=True) as s:
        e = s.execute(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).scalar_one()
    engine.dispose()
    return e


def test_officer_approves_then_refuses_and_each_decision_is_audited(app_rw, client_for, web_copy):
    c = client_for(app_rw, "officer")
    r = c.post(f"/beijing/{PID}/steps/1", data={"csrf_token": c.csrf, "decision": "approve", "on": "2021-06-01",
                                                "why": "通州区发展改革委核准 通发改〔2021〕12号"},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(f"/beijing/{PID}?done=approved")
    e = _last_entry(web_copy)
    assert (e.actor, e.type, e.subject) == ("web:officer", "cn.cleanheat.beijing.step.approved", f"beijing/{PID}")
    assert e.why == "通州区发展改革委核准 通发改〔2021〕12号" and json.loads(e.data)["seq"] == 1
    assert _state(web_copy)[:2] == (["approved", "pending"], "funded")
    page = c.get(r.headers["location"])
    assert "该步骤已批准" in page.text and f'action="/beijing/{PID}/steps/2"' in page.text
    assert "web:officer" in page.text  # the history shows who decided
    r = c.post(f"/beijing/{PID}/steps/2", follow_redirects=False,
               data={"csrf_token": c.csrf, "decision": "refuse", "why": "资金申请报告材料不全"})
    assert r.status_code == 303
    assert _state(web_copy)[:2] == (["approved", "refused"], "refused")
    assert _last_entry(web_copy).type == "cn.cleanheat.beijing.step.refused"


def test_a_decision_without_reason_or_out_of_order_stores_nothing(app_rw, client_for, web_copy):
    c = client_for(app_rw, "officer")
    before = _state(web_copy)
    r = c.post(f"/beijing/{PID}/steps/1", data={"csrf_token": c.csrf, "decision": "approve", "why": "  "})
    assert r.status_code == 422 and "why" in r.text
    r = c.post(f"/beijing/{PID}/steps/2", data={"csrf_token": c.csrf, "decision": "approve", "why": "先批资金"})
    assert r.status_code == 409 and "must be approved first" in r.text
    r = c.post(f"/beijing/{PID}/steps/1", data={"csrf_token": c.csrf, "decision": "maybe", "why": "x"})
    assert r.status_code == 422
    assert _state(web_copy) == before


def test_only_the_officer_may_decide(app_rw, client_for, web_copy):
    before = _state(web_copy)
    for user in ("admin1", "auditor", "clerk_hab", "inspector", "ent01"):
        c = client_for(app_rw, user)
        r = c.post(f"/beijing/{PID}/steps/1", data={"csrf_token": c.csrf, "decision": "approve", "why": "x"})
        assert r.status_code == 403, user
        r = c.post(f"/api/v1/beijing/projects/{PID}/steps/1", json={"approved": True, "why": "x"},
                   headers={"X-CSRF-Token": c.csrf})
        assert r.status_code == 403, user
    assert _state(web_copy) == before


def test_api_decision_with_a_bearer_token(app_rw, client_for, web_copy):
    c = client_for(app_rw)
    tok = c.post("/api/v1/token", data={"username": "officer", "password": PASSWORD}).json()["access_token"]
    auth = {"Authorization": f"Bearer {tok}"}
    r = c.post(f"/api/v1/beijing/projects/{PID}/steps/1", json={"approved": True, "on": "2021-06-01",
                                                                "why": "核准"}, headers=auth)
    assert r.status_code == 200 and r.json() == {"project_id": PID, "seq": 1, "step": "approval",
                                                 "status": "approved", "project_status": "funded"}
    again = c.post(f"/api/v1/beijing/projects/{PID}/steps/1", json={"approved": True, "why": "再次"}, headers=auth)
    assert again.status_code == 409
    assert c.post(f"/api/v1/beijing/projects/{PID}/steps/2", json={"approved": True, "why": ""},
                  headers=auth).status_code == 422
    one = c.get(f"/api/v1/beijing/projects/{PID}", headers=auth).json()
    assert [s["status"] for s in one["approval_steps"]] == ["approved", "pending"]
    assert one["approval_steps"][1]["next"] is True and one["history"][-1]["actor"] == "web:officer"
    zones = c.get("/api/v1/beijing/zones", headers=auth).json()
    assert {z["zone"] for z in zones} >= {"city_sub_center", "expo_2019"} and all("recorded_m2" in z for z in zones)
