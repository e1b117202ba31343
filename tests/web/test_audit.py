"""The audit log pages and API: filters, paging, the verify verdict, and who may read them."""

from __future__ import annotations

import json

import pytest

from cleanheat.cli import main

# the demo's log (services/demo.py): 23,576 payment.made + 24 payment.batch by 县住建局财务, then the
# Beijing projects, the assessment, the revocation, the tickets and the demo entry itself
PAYER = "县住建局财务"


def test_auditor_reads_the_log_newest_first(app_ro, client_for):
    r = client_for(app_ro, "auditor").get("/audit")
    assert r.status_code == 200
    assert "审计日志" in r.text and 'data-testid="audit-table"' in r.text
    seqs = [int(x) for x in __import__("re").findall(r'<tr data-seq="(\d+)"', r.text)]
    assert len(seqs) == 50 and seqs == sorted(seqs, reverse=True)
    assert "核验审计链和资金记录" in r.text  # the verify button, not its result
    assert 'data-testid="verdict"' not in r.text  # verify does not run on a page view


def test_filters_by_actor_and_action_family(app_ro, client_for):
    c = client_for(app_ro, "officer")
    r = c.get("/api/v1/audit", params={"actor": PAYER, "action": "payment.batch"})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 24 and body["pages"] == 1
    assert {e["type"] for e in body["entries"]} == {"cn.cleanheat.payment.batch"}
    family = c.get("/api/v1/audit", params={"action": "payment", "per_page": 10}).json()
    assert family["total"] == 24 + 23_576 and family["pages"] == 2_360 and len(family["entries"]) == 10
    page = c.get("/audit", params={"actor": PAYER, "action": "payment.batch"})
    assert "共 24 条" in page.text and "发放批次" in page.text


def test_filters_by_resource_and_date_range(app_ro, client_for):
    c = client_for(app_ro, "admin1")
    got = c.get("/api/v1/audit", params={"resource": "ENT-12"}).json()  # enterprise/ENT-12, revoked
    assert got["total"] >= 1 and all(e["subject"].endswith("/ENT-12") for e in got["entries"])
    none = c.get("/api/v1/audit", params={"since": "2000-01-01", "until": "2000-12-31"}).json()
    assert none["total"] == 0 and none["entries"] == []
    today_and_before = c.get("/api/v1/audit", params={"until": "2999-12-31"}).json()
    assert today_and_before["total"] == c.get("/api/v1/audit").json()["total"]


def test_paging_does_not_repeat_entries(app_ro, client_for):
    c = client_for(app_ro, "auditor")
    one = c.get("/api/v1/audit", params={"per_page": 5, "page": 1}).json()["entries"]
    two = c.get("/api/v1/audit", params={"per_page": 5, "page": 2}).json()["entries"]
    assert [e["sequence"] for e in one][-1] - 1 == two[0]["sequence"]
    html = c.get("/audit", params={"page": 2}, headers={"HX-Request": "true", "HX-Target": "results"})
    assert "<html" not in html.text and 'data-testid="audit-table"' in html.text  # the fragment only


@pytest.mark.parametrize(("params", "field"), [({"since": "2022-02-30"}, "since"),
                                               ({"since": "2022-05-01", "until": "2022-04-01"}, "until")])
def test_bad_filters_are_422_naming_the_field(app_ro, client_for, params, field):
    c = client_for(app_ro, "auditor")
    r = c.get("/api/v1/audit", params=params)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == field
    assert c.get("/audit", params=params).status_code == 422


def test_verify_verdict_is_ok_on_the_demo_and_equals_the_cli(app_ro, client_for, web_demo_file, capsys):
    c = client_for(app_ro, "auditor")
    r = c.post("/audit/verify", headers={"X-CSRF-Token": c.csrf, "HX-Request": "true"})
    assert r.status_code == 200
    assert 'data-intact="true"' in r.text and 'data-reconciled="true"' in r.text
    assert "审计链完整" in r.text and "资金记录与日志一致" in r.text
    api = c.post("/api/v1/audit/verify", headers={"X-CSRF-Token": c.csrf})
    assert api.status_code == 200
    with pytest.raises(SystemExit) as exc:
        main(["audit", "verify", "--json", "--database-url", f"sqlite:///{web_demo_file}"])
    out = capsys.readouterr().out
    assert exc.value.code in (0, None)
    assert api.json() == json.loads(out)
    assert api.json()["intact"] is True and api.json()["money_reconciled"] is True


def test_verify_reports_a_broken_chain(app_rw, client_for, web_copy):
    from sqlalchemy import update

    from cleanheat.registry import db
    from cleanheat.registry.models import AuditEvent

    engine = db.open_database(f"sqlite:///{web_copy}")
    with engine.begin() as conn, db.audit_guard_lifted(conn):  # a tamperer with database rights
        conn.execute(update(AuditEvent).where(AuditEvent.seq == 7).values(why="edited behind the log's back"))
    engine.dispose()
    c = client_for(app_rw, "officer")
    r = c.post("/audit/verify", headers={"X-CSRF-Token": c.csrf})
    assert 'data-intact="false"' in r.text and "审计链在第 7 条被破坏" in r.text
    assert c.post("/api/v1/audit/verify", headers={"X-CSRF-Token": c.csrf}).json()["first_broken"]["sequence"] == 7


@pytest.mark.parametrize("user", ["clerk_hab", "inspector", "ent01"])
def test_other_roles_may_not_read_the_log(app_ro, client_for, user):
    c = client_for(app_ro, user)
    assert c.get("/audit").status_code == 403
    assert c.get("/api/v1/audit").status_code == 403
    assert c.post("/audit/verify", headers={"X-CSRF-Token": c.csrf}).status_code == 403
    assert c.post("/api/v1/audit/verify", headers={"X-CSRF-Token": c.csrf}).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(app_ro, client_for):
    c = client_for(app_ro)
    r = c.get("/audit?actor=x", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/audit")
    assert c.get("/api/v1/audit").status_code == 401
    assert c.post("/api/v1/audit/verify").status_code == 401


def test_audit_view_choices_follow_the_chain_head(app_rw, client_for, web_copy):
    from cleanheat.registry import audit, db
    from cleanheat.registry.services import audit_view

    engine = db.open_database(f"sqlite:///{web_copy}")
    with db.session_scope(engine, read_only=True) as s:
        before = audit_view.filter_choices(s)
    assert PAYER in before["actors"] and "payment.made" in before["actions"]
    with db.session_scope(engine) as s:
        audit.record(s, actor="web:someone-new", action="test.cache", resource="programme/yanchi")
    with db.session_scope(engine, read_only=True) as s:
        after = audit_view.filter_choices(s)
    engine.dispose()
    assert "web:someone-new" in after["actors"] and "test.cache" in after["actions"]
