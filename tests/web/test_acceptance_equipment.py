"""The equipment check on the acceptance page and in the API (issue #11): recording the record (inspector,
officer, an enterprise for its own installation), the refused acceptance with the failed requirement and its
clause, the override with a reason, and the role and CSRF rules.

The record fails 附件2 二、一(一) for an ``ashp_water`` installation: COP 1.6 at −20 °C is not "> 1.6".
"""

from __future__ import annotations

from typing import Any

from cleanheat import clock
from tests.registry.test_equipment_acceptance import BAD_COP, GOOD
from tests.web.test_acceptance import _awaiting, _counts, _events, _form


def _ashp(app: Any, **kw: Any) -> Any:
    return next(r for r in _awaiting(app, **kw)
                if not r.refusals and r.installed_on <= clock.today() and r.technology == "ashp_water")


def _put(c: Any, iid: int, record: dict[str, Any], **kw: Any) -> Any:
    return c.put(f"/api/v1/installations/{iid}/equipment", headers={"X-CSRF-Token": c.csrf}, json=record, **kw)


def test_the_page_shows_a_failing_check_and_the_override(app_rw, client_for):
    row = _ashp(app_rw)
    c = client_for(app_rw, "inspector")
    before = c.get(f"/acceptance/installations/{row.installation_id}")
    assert 'data-testid="equipment-none"' in before.text and 'data-testid="override"' not in before.text
    r = _put(c, row.installation_id, BAD_COP, params={"why": "铭牌核对"})
    assert r.status_code == 200, r.text
    assert r.json()["verdict"] == "non_compliant" and r.json()["failed"] == ["ashp_water.cop_minus20"]
    page = c.get(f"/acceptance/installations/{row.installation_id}")
    assert 'data-testid="equipment-check"' in page.text and 'data-testid="override"' in page.text
    assert "零下20℃低温工况、不使用电辅加热时COP&gt;1.6" in page.text and "附件2 二、一(一)" in page.text
    assert 'data-requirement="ashp_water.cop_minus20"' in page.text and "不符合" in page.text
    today = clock.today().isoformat()
    refused = c.post(f"/acceptance/installations/{row.installation_id}",
                     data=_form(c, accepted_on=today, heating_effect="yes"), follow_redirects=False)
    assert refused.status_code == 409 and "验收被拒绝，未记录任何内容" in refused.text
    no_reason = c.post(f"/acceptance/installations/{row.installation_id}",
                       data=_form(c, accepted_on=today, heating_effect="yes", override_equipment="yes"),
                       follow_redirects=False)
    assert no_reason.status_code == 422 and 'data-testid="error-why"' in no_reason.text
    assert _counts(app_rw, row.installation_id) == (0, 0)
    ok = c.post(f"/acceptance/installations/{row.installation_id}",
                data=_form(c, accepted_on=today, heating_effect="yes", override_equipment="yes",
                           why="厂家提供第三方复测报告COP 1.8"), follow_redirects=False)
    assert ok.status_code == 303, ok.text
    (event,) = [e for e in _events(app_rw, row.installation_id) if e[0] == "cn.cleanheat.installation.accepted"]
    assert event[1] == "web:inspector" and event[2]["equipment_override"]["why"] == "厂家提供第三方复测报告COP 1.8"
    assert event[2]["equipment"]["verdict"] == "non_compliant"
    english = c.get(f"/acceptance/installations/{row.installation_id}?lang=en")
    assert "COP above 1.6 at −20 °C without electric auxiliary" in english.text and "non-compliant" in english.text


def test_api_refuses_then_accepts_with_override(app_rw, client_for):
    row = _ashp(app_rw)
    c = client_for(app_rw, "officer")
    assert _put(c, row.installation_id, BAD_COP).status_code == 200
    url = f"/api/v1/installations/{row.installation_id}/accept"
    body = {"date": clock.today().isoformat(), "heating_effect_ok": True}
    r = c.post(url, headers={"X-CSRF-Token": c.csrf}, json=body)
    assert r.status_code == 409
    (reason,) = [x for x in r.json()["reasons"] if x["rule"] == "equipment"]
    assert reason["overridable"] and reason["failed"][0]["clause"] == "盐政办发〔2022〕8号 附件2 二、一(一)"
    assert "COP above 1.6" in reason["detail_en"] and "COP>1.6" in reason["detail"]
    r = c.post(url, headers={"X-CSRF-Token": c.csrf}, json={**body, "override_equipment": True})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "why"
    r = c.post(url, headers={"X-CSRF-Token": c.csrf}, json={**body, "override_equipment": True, "why": "复测合格"})
    assert r.status_code == 201, r.text
    check = c.get(f"/api/v1/installations/{row.installation_id}/equipment").json()
    assert check["verdict"] == "non_compliant" and check["recorded"] is True


def test_a_good_record_is_accepted_without_override(app_rw, client_for):
    row = _ashp(app_rw)
    c = client_for(app_rw, "inspector")
    assert _put(c, row.installation_id, GOOD).json()["verdict"] == "compliant"
    r = c.post(f"/api/v1/installations/{row.installation_id}/accept", headers={"X-CSRF-Token": c.csrf},
               json={"date": clock.today().isoformat(), "heating_effect_ok": True})
    assert r.status_code == 201
    (event,) = [e for e in _events(app_rw, row.installation_id) if e[0] == "cn.cleanheat.installation.accepted"]
    assert event[2]["equipment"]["verdict"] == "compliant" and "equipment_override" not in event[2]


def test_bad_record_is_422_naming_the_field(app_rw, client_for):
    row = _ashp(app_rw)
    c = client_for(app_rw, "inspector")
    r = _put(c, row.installation_id, {"cop_minus20": 2.0, "free_airflow": "yes"})
    assert r.status_code == 422
    assert {d["field"] for d in r.json()["detail"]} == {"cop_minus20", "free_airflow"}
    assert c.get(f"/api/v1/installations/{row.installation_id}/equipment").json()["verdict"] == "no_record"


def test_roles_and_csrf(app_rw, client_for):
    """An enterprise records its own installation's equipment, not another's (404), and never accepts; a
    clerk and the auditor cannot record (403); a cookie request without the CSRF token is refused."""
    mine = _ashp(app_rw, enterprise_code="ENT-01")
    other = _ashp(app_rw, enterprise_code="ENT-02")
    ent = client_for(app_rw, "ent01")
    assert _put(ent, mine.installation_id, GOOD).status_code == 200
    assert _put(ent, other.installation_id, GOOD).status_code == 404
    r = ent.post(f"/api/v1/installations/{mine.installation_id}/accept", headers={"X-CSRF-Token": ent.csrf},
                 json={"date": clock.today().isoformat(), "heating_effect_ok": True, "override_equipment": True,
                       "why": "x"})
    assert r.status_code == 403
    for user in ("auditor", "clerk_hmc"):
        c = client_for(app_rw, user)
        assert _put(c, mine.installation_id, GOOD).status_code == 403
    insp = client_for(app_rw, "inspector")
    r = insp.put(f"/api/v1/installations/{mine.installation_id}/equipment", json=BAD_COP)
    assert r.status_code == 403
    assert ent.get(f"/api/v1/installations/{mine.installation_id}/equipment").json()["verdict"] == "compliant"
