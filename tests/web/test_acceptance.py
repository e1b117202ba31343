"""Acceptance (验收) pages and API over the demo: recording passed and failed inspections, refusals with their
Chinese reasons, and every role's boundary (inspector, officer, enterprise, clerk, auditor)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from cleanheat import clock
from cleanheat.registry import db
from cleanheat.registry.models import Acceptance, AuditEvent, AuditHead, FailedInspection, Installation
from cleanheat.registry.services import acceptance_view
from tests.web.conftest import PASSWORD


def _read(app: Any):  # noqa: ANN202 - a session context manager
    return db.session_scope(app.state.web.engine, read_only=True)


def _awaiting(app: Any, **kw: Any) -> list[acceptance_view.AcceptanceRow]:
    with _read(app) as s:
        return acceptance_view.awaiting_acceptance(session=s, per_page=500, **kw).rows


def _acceptable(app: Any, **kw: Any) -> acceptance_view.AcceptanceRow:
    """An installation awaiting acceptance that a passed acceptance would not refuse."""
    return next(r for r in _awaiting(app, **kw) if not r.refusals and r.installed_on <= clock.today())


def _head(app: Any) -> int:
    with _read(app) as s:
        return int(s.execute(select(AuditHead.seq)).scalar_one())


def _counts(app: Any, iid: int) -> tuple[int, int]:
    with _read(app) as s:
        acc = s.execute(select(func.count()).select_from(Acceptance).where(Acceptance.installation_id == iid))
        failed = s.execute(select(func.count()).select_from(FailedInspection)
                           .where(FailedInspection.installation_id == iid))
        return int(acc.scalar_one()), int(failed.scalar_one())


def _events(app: Any, iid: int) -> list[tuple[str, str, dict[str, Any]]]:
    with _read(app) as s:
        return [(t, a, orjson.loads(d)) for t, a, d in s.execute(
            select(AuditEvent.type, AuditEvent.actor, AuditEvent.data)
            .where(AuditEvent.subject == f"installation/{iid}").order_by(AuditEvent.seq))]


def _form(client: Any, **fields: str) -> dict[str, str]:
    return {"csrf_token": client.csrf, "inspectors": "县住建局、乡镇", **fields}


# --------------------------------------------------------------------------------------------
# the list
# --------------------------------------------------------------------------------------------


def test_the_list_shows_installations_awaiting_acceptance_paged(app_ro, client_for):
    c = client_for(app_ro, "inspector")
    with _read(app_ro) as s:
        expected = acceptance_view.awaiting_acceptance(session=s, page=1, per_page=50)
        live = s.execute(select(func.count()).select_from(Installation).where(Installation.void.is_(False))).scalar()
        accepted = s.execute(select(func.count()).select_from(Acceptance)).scalar()
    assert expected.total == live - accepted > 50  # the demo: 27,000 installed, 25,914 accepted
    page = c.get("/acceptance")
    assert page.status_code == 200
    assert f"共 {expected.total:,} 条" in page.text and "待验收" in page.text
    assert f"/acceptance/installations/{expected.rows[0].installation_id}" in page.text
    second = c.get("/acceptance?page=2")
    assert f"/acceptance/installations/{expected.rows[0].installation_id}\"" not in second.text
    # an HTMX request gets the table alone
    frag = c.get("/acceptance?township=惠安堡镇", headers={"HX-Request": "true"})
    assert frag.status_code == 200 and "<html" not in frag.text and "<nav" in frag.text


def test_the_list_filters_by_township_and_enterprise(app_ro, client_for):
    c = client_for(app_ro, "officer")
    rows = _awaiting(app_ro, township="惠安堡镇", enterprise_code="ENT-01")
    page = c.get("/acceptance", params={"township": "惠安堡镇", "enterprise": "ENT-01"})
    assert page.status_code == 200
    assert f"共 {len(rows):,} 条" in page.text
    assert all(r.township == "惠安堡镇" and r.enterprise_code == "ENT-01" for r in rows)
    assert c.get("/acceptance", params={"township": "不存在镇"}).status_code == 422
    api = c.get("/api/v1/acceptance/installations", params={"township": "惠安堡镇", "enterprise": "ENT-01"})
    assert api.status_code == 200 and api.json()["total"] == len(rows)


def test_installations_of_an_unregistered_enterprise_are_marked_in_the_list(app_ro, client_for):
    rows = _awaiting(app_ro, enterprise_code="ENT-32")
    after = [r for r in rows if r.installed_on >= dt.date(2022, 7, 1)]  # ENT-32 revoked on 2022-07-01
    assert after and all(r.refusals[0]["rule"] == "registered_enterprise" for r in after)
    page = client_for(app_ro, "inspector").get("/acceptance", params={"enterprise": "ENT-32"})
    assert "不能验收" in page.text


# --------------------------------------------------------------------------------------------
# recording
# --------------------------------------------------------------------------------------------


def test_an_inspector_records_a_passed_acceptance_audited(app_rw, client_for):
    row = _acceptable(app_rw)
    c = client_for(app_rw, "inspector")
    page = c.get(f"/acceptance/installations/{row.installation_id}")
    assert page.status_code == 200 and 'data-testid="accept-form"' in page.text
    assert row.household_id in page.text and "供暖效果是否达标" in page.text
    today = clock.today().isoformat()
    r = c.post(f"/acceptance/installations/{row.installation_id}",
               data=_form(c, accepted_on=today, heating_effect="yes", note="运行正常"), follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"/acceptance/installations/{row.installation_id}?recorded=passed"
    shown = c.get(r.headers["location"])
    assert "验收已记录" in shown.text and 'data-testid="accept-form"' not in shown.text
    assert _counts(app_rw, row.installation_id) == (1, 0)
    (event,) = [e for e in _events(app_rw, row.installation_id) if e[0] == "cn.cleanheat.installation.accepted"]
    assert event[1] == "web:inspector"
    assert event[2]["accepted_on"] == today and event[2]["inspectors"] == ["县住建局", "乡镇"]
    assert row.installation_id not in {x.installation_id for x in _awaiting(app_rw, township=row.township)}


def test_a_failed_inspection_is_recorded_with_its_note(app_rw, client_for):
    row = _acceptable(app_rw)
    c = client_for(app_rw, "officer")
    r = c.post(f"/acceptance/installations/{row.installation_id}",
               data=_form(c, accepted_on=clock.today().isoformat(), heating_effect="no", note="室温未达到18℃"),
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("recorded=failed")
    page = c.get(r.headers["location"])
    assert "室温未达到18℃" in page.text and "验收不合格" in page.text
    assert _counts(app_rw, row.installation_id) == (0, 1)
    (event,) = [e for e in _events(app_rw, row.installation_id)
                if e[0] == "cn.cleanheat.installation.inspection_failed"]
    assert event[1] == "web:officer" and event[2]["note"] == "室温未达到18℃"
    failed = _awaiting(app_rw, state="failed")
    assert [x.installation_id for x in failed] == [row.installation_id]


def test_acceptance_of_a_revoked_enterprise_installation_is_refused_with_the_reason(app_rw, client_for):
    row = next(r for r in _awaiting(app_rw, enterprise_code="ENT-32") if r.installed_on >= dt.date(2022, 7, 1))
    c = client_for(app_rw, "inspector")
    page = c.get(f"/acceptance/installations/{row.installation_id}")
    assert "登记已撤销" in page.text and "盐政办发〔2022〕8号 四" in page.text  # shown before anyone tries
    head = _head(app_rw)
    r = c.post(f"/acceptance/installations/{row.installation_id}",
               data=_form(c, accepted_on=clock.today().isoformat(), heating_effect="yes"), follow_redirects=False)
    assert r.status_code == 409
    assert "验收被拒绝，未记录任何内容" in r.text
    assert "未经专家组认定登记的企业安装的，一律不予验收及补贴" in r.text and "（2022年3月1日起）" in r.text
    assert _counts(app_rw, row.installation_id) == (0, 0)
    assert _head(app_rw) == head  # nothing audited either


def test_api_refuses_an_unregistered_enterprise_after_2022_03_01(app_rw, client_for):
    rows = [r for r in _awaiting(app_rw, enterprise_code="ENT-33")]  # applied 2022-04-01, never registered
    row = rows[0]
    assert row.installed_on >= dt.date(2022, 3, 1)
    c = client_for(app_rw, "inspector")
    r = c.post(f"/api/v1/installations/{row.installation_id}/accept", headers={"X-CSRF-Token": c.csrf},
               json={"date": clock.today().isoformat(), "heating_effect_ok": True, "notes": ""})
    assert r.status_code == 409
    (reason,) = r.json()["reasons"]
    assert reason["rule"] == "registered_enterprise" and reason["clause"] == "盐政办发〔2022〕8号 四"
    assert "已评审，尚未登记" in reason["detail"] and "not registered" in reason["detail_en"]
    assert _counts(app_rw, row.installation_id) == (0, 0)


def test_api_records_an_acceptance(app_rw, client_for):
    row = _acceptable(app_rw)
    c = client_for(app_rw, "inspector")
    day = max(row.installed_on, clock.today() - dt.timedelta(days=3)).isoformat()
    r = c.post(f"/api/v1/installations/{row.installation_id}/accept", headers={"X-CSRF-Token": c.csrf},
               json={"date": day, "heating_effect_ok": True, "notes": "ok"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["result"] == "passed" and body["date"] == day and body["actor"] == "web:inspector"
    state = c.get(f"/api/v1/installations/{row.installation_id}/acceptance").json()
    assert state["accepted"] and state["acceptance"]["accepted_on"] == day
    assert c.post(f"/api/v1/installations/{row.installation_id}/accept", headers={"X-CSRF-Token": c.csrf},
                  json={"date": day, "heating_effect_ok": True}).status_code == 409  # accepted once


@pytest.mark.parametrize(("body", "field"), [
    ({"date": "2022-13-01", "heating_effect_ok": True}, "date"),
    ({"heating_effect_ok": True}, "date"),
    ({"date": "2022-09-01"}, "heating_effect_ok"),
    ({"date": "2022-09-01", "heating_effect_ok": True, "inspector": "x"}, "inspector"),
])
def test_api_bad_input_names_the_field(app_rw, client_for, body, field):
    row = _acceptable(app_rw)
    c = client_for(app_rw, "inspector")
    r = c.post(f"/api/v1/installations/{row.installation_id}/accept", headers={"X-CSRF-Token": c.csrf}, json=body)
    assert r.status_code == 422
    assert field in {d["field"] for d in r.json()["detail"]}
    assert _counts(app_rw, row.installation_id) == (0, 0)


@pytest.mark.parametrize("when", ["before_install", "future"])
def test_a_date_the_service_refuses_names_the_date(app_rw, client_for, when):
    row = _acceptable(app_rw)
    c = client_for(app_rw, "inspector")
    day = (row.installed_on - dt.timedelta(days=1) if when == "before_install"
           else clock.today() + dt.timedelta(days=2)).isoformat()
    r = c.post(f"/api/v1/installations/{row.installation_id}/accept", headers={"X-CSRF-Token": c.csrf},
               json={"date": day, "heating_effect_ok": True})
    assert r.status_code == 422
    (detail,) = r.json()["detail"]
    assert detail["field"] == "date" and day in detail["message"]
    page = c.post(f"/acceptance/installations/{row.installation_id}",
                  data=_form(c, accepted_on=day, heating_effect="yes"), follow_redirects=False)
    assert page.status_code == 422 and 'data-testid="error-accepted_on"' in page.text
    bad = c.post(f"/acceptance/installations/{row.installation_id}",
                 data=_form(c, accepted_on="01/09/2022", heating_effect="yes"), follow_redirects=False)
    assert bad.status_code == 422 and 'data-testid="error-accepted_on"' in bad.text
    assert _counts(app_rw, row.installation_id) == (0, 0)


def test_a_form_without_the_csrf_token_is_refused(app_rw, client_for):
    row = _acceptable(app_rw)
    c = client_for(app_rw, "inspector")
    r = c.post(f"/acceptance/installations/{row.installation_id}",
               data={"accepted_on": clock.today().isoformat(), "heating_effect": "yes"}, follow_redirects=False)
    assert r.status_code == 403
    assert _counts(app_rw, row.installation_id) == (0, 0)


# --------------------------------------------------------------------------------------------
# boundaries
# --------------------------------------------------------------------------------------------


def test_an_enterprise_sees_only_its_own_installations_and_never_accepts(app_rw, client_for):
    c = client_for(app_rw, "ent01")
    own = _awaiting(app_rw, enterprise_code="ENT-01")
    page = c.get("/acceptance", params={"enterprise": "ENT-02"})  # asking for another's: still its own
    assert page.status_code == 200 and f"共 {len(own):,} 条" in page.text
    api = c.get("/api/v1/acceptance/installations", params={"enterprise": "ENT-02", "state": "all"}).json()
    assert api["items"] and {i["enterprise_code"] for i in api["items"]} == {"ENT-01"}
    mine = own[0]
    shown = c.get(f"/acceptance/installations/{mine.installation_id}")
    assert shown.status_code == 200 and 'data-testid="accept-form"' not in shown.text
    other = _acceptable(app_rw, enterprise_code="ENT-02")
    assert c.get(f"/acceptance/installations/{other.installation_id}").status_code == 404
    assert c.get(f"/api/v1/installations/{other.installation_id}/acceptance").status_code == 404
    # never records an acceptance, not even of its own installation: by page and by API
    r = c.post(f"/acceptance/installations/{mine.installation_id}",
               data=_form(c, accepted_on=clock.today().isoformat(), heating_effect="yes"), follow_redirects=False)
    assert r.status_code == 403
    r = c.post(f"/api/v1/installations/{mine.installation_id}/accept", headers={"X-CSRF-Token": c.csrf},
               json={"date": clock.today().isoformat(), "heating_effect_ok": True})
    assert r.status_code == 403
    bearer = client_for(app_rw)  # a script with a token and no cookie
    token = bearer.post("/api/v1/token", data={"username": "ent01", "password": PASSWORD})
    r = bearer.post(f"/api/v1/installations/{mine.installation_id}/accept",
               headers={"Authorization": f"Bearer {token.json()['access_token']}"},
               json={"date": clock.today().isoformat(), "heating_effect_ok": True})
    assert r.status_code == 403
    assert _counts(app_rw, mine.installation_id) == (0, 0)


def test_a_clerk_sees_the_own_township_only_and_cannot_accept(app_rw, client_for):
    c = client_for(app_rw, "clerk_hab")
    own = _awaiting(app_rw, township="惠安堡镇")
    page = c.get("/acceptance", params={"township": "花马池镇"})  # another township asked: the own one shown
    assert page.status_code == 200 and f"共 {len(own):,} 条" in page.text
    api = c.get("/api/v1/acceptance/installations", params={"township": "花马池镇"}).json()
    assert api["total"] == len(own) and {i["township"] for i in api["items"]} == {"惠安堡镇"}
    assert c.get(f"/acceptance/installations/{own[0].installation_id}").status_code == 200
    other = _awaiting(app_rw, township="花马池镇")[0]
    assert c.get(f"/acceptance/installations/{other.installation_id}").status_code == 404
    assert c.get(f"/api/v1/installations/{other.installation_id}/acceptance").status_code == 404
    r = c.post(f"/acceptance/installations/{own[0].installation_id}",
               data=_form(c, accepted_on=clock.today().isoformat(), heating_effect="yes"), follow_redirects=False)
    assert r.status_code == 403
    assert c.post(f"/api/v1/installations/{own[0].installation_id}/accept", headers={"X-CSRF-Token": c.csrf},
                  json={"date": clock.today().isoformat(), "heating_effect_ok": True}).status_code == 403
    assert _counts(app_rw, own[0].installation_id) == (0, 0)


def test_the_auditor_reads_but_cannot_accept(app_ro, client_for):
    c = client_for(app_ro, "auditor")
    row = _awaiting(app_ro)[0]
    page = c.get(f"/acceptance/installations/{row.installation_id}")
    assert page.status_code == 200 and 'data-testid="accept-form"' not in page.text
    r = c.post(f"/acceptance/installations/{row.installation_id}",
               data=_form(c, accepted_on=clock.today().isoformat(), heating_effect="yes"), follow_redirects=False)
    assert r.status_code == 403
    assert c.post(f"/api/v1/installations/{row.installation_id}/accept", headers={"X-CSRF-Token": c.csrf},
                  json={"date": clock.today().isoformat(), "heating_effect_ok": True}).status_code == 403


def test_the_administrator_has_no_acceptance_pages(app_ro, client_for):
    c = client_for(app_ro, "admin1")
    assert c.get("/acceptance").status_code == 403


def test_the_installation_page_in_english(app_ro, client_for):
    c = client_for(app_ro, "inspector")
    row = next(r for r in _awaiting(app_ro, enterprise_code="ENT-32") if r.refusals)
    page = c.get(f"/acceptance/installations/{row.installation_id}?lang=en")
    assert page.status_code == 200
    assert "A passed acceptance would be refused" in page.text and "revoked on that date" in page.text


def _area_routes():  # noqa: ANN202
    from cleanheat.web import acceptance
    from tests.web.conftest import area_routes

    return area_routes(acceptance, fill="1")


def test_every_route_of_the_area_refuses_anonymous_visitors_and_auditor_writes(app_ro, client_for):
    anon = client_for(app_ro)
    auditor = client_for(app_ro, "auditor")
    seen = 0
    for method, path, url in _area_routes():
        r = anon.request(method, url, headers={"X-CSRF-Token": "x"}, follow_redirects=False)
        if path.startswith("/api/"):
            assert r.status_code == 401, (method, path, r.status_code)
        else:
            assert r.status_code in (303, 403), (method, path, r.status_code)
        if method != "GET":
            r = auditor.request(method, url, headers={"X-CSRF-Token": auditor.csrf}, json={}, follow_redirects=False)
            assert r.status_code == 403, (method, path, r.status_code)
        seen += 1
    assert seen >= 5
