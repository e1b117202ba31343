"""User administration: only the administrator, every change audited as web:<admin>, refused input stores nothing."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cleanheat.registry import db
from cleanheat.registry.models import AppUser, AuditEvent
from tests.web.conftest import PASSWORD, csrf_of

NEW_PASSWORD = "a-new-long-passphrase"


def _users(path) -> dict[str, AppUser]:
    engine = db.open_database(f"sqlite:///{path}")
    with db.session_scope(engine, read_only=True) as s:
        found = {u.name: u for u in s.execute(select(AppUser)).scalars()}
    engine.dispose()
    return found


def _entries(path, action: str) -> list[AuditEvent]:
    engine = db.open_database(f"sqlite:///{path}")
    with db.session_scope(engine, read_only=True) as s:
        found = list(s.execute(select(AuditEvent).where(AuditEvent.type == f"cn.cleanheat.{action}")
                               .order_by(AuditEvent.seq)).scalars())
    engine.dispose()
    return found


def _can_sign_in(app, name: str, password: str) -> bool:
    with TestClient(app) as c:
        token = csrf_of(c.get("/login").text)
        r = c.post("/login", data={"username": name, "password": password, "csrf_token": token},
                   follow_redirects=False)
        return r.status_code == 303


def test_admin_sees_every_user(app_ro, client_for):
    r = client_for(app_ro, "admin1").get("/users")
    assert r.status_code == 200
    for name in ("admin1", "officer", "clerk_hab", "ent01", "auditor"):
        assert f'data-user="{name}"' in r.text
    assert "惠安堡镇" in r.text and "ENT-01" in r.text and "乡镇专员" in r.text


@pytest.mark.parametrize("user", ["officer", "clerk_hab", "inspector", "ent01", "auditor"])
def test_no_one_else_reaches_the_users(app_ro, client_for, user):
    c = client_for(app_ro, user)
    assert c.get("/users").status_code == 403
    assert c.get("/api/v1/users").status_code == 403


def test_officer_cannot_add_disable_or_set_passwords(app_rw, client_for, web_copy):
    before = {n: (u.disabled, u.password_hash) for n, u in _users(web_copy).items()}
    c = client_for(app_rw, "officer")
    assert c.post("/users", data={"csrf_token": c.csrf, "name": "sneaky", "role": "admin",
                                  "password": NEW_PASSWORD}).status_code == 403
    assert c.post("/users/auditor/disable", data={"csrf_token": c.csrf}).status_code == 403
    assert c.post("/users/admin1/password", data={"csrf_token": c.csrf, "password": NEW_PASSWORD}).status_code == 403
    assert c.post("/api/v1/users", json={"name": "sneaky", "role": "admin", "password": NEW_PASSWORD},
                  headers={"X-CSRF-Token": c.csrf}).status_code == 403
    assert {n: (u.disabled, u.password_hash) for n, u in _users(web_copy).items()} == before


def test_admin_adds_a_clerk_audited_and_the_clerk_signs_in(app_rw, client_for, web_copy):
    c = client_for(app_rw, "admin1")
    r = c.post("/users", data={"csrf_token": c.csrf, "name": "clerk_dsk", "role": "clerk", "township": "大水坑镇",
                               "enterprise_code": "ENT-01", "password": NEW_PASSWORD}, follow_redirects=False)
    assert r.status_code == 303
    page = c.get(r.headers["location"])
    assert "已添加用户 clerk_dsk" in page.text and 'data-user="clerk_dsk"' in page.text
    u = _users(web_copy)["clerk_dsk"]
    assert (u.role, u.township, u.enterprise_code) == ("clerk", "大水坑镇", None)  # the enterprise field ignored
    (e,) = _entries(web_copy, "user.add")[-1:]
    assert (e.actor, e.subject) == ("web:admin1", "user/clerk_dsk") and NEW_PASSWORD not in e.data
    assert json.loads(e.data)["township"] == "大水坑镇"
    assert _can_sign_in(app_rw, "clerk_dsk", NEW_PASSWORD)


@pytest.mark.parametrize(("form", "status", "text"), [
    ({"name": "clerk_x", "role": "clerk", "township": "", "password": NEW_PASSWORD}, 422, "乡镇专员必须指定乡镇"),
    ({"name": "ent_x", "role": "enterprise", "enterprise_code": "", "password": NEW_PASSWORD}, 422,
     "安装企业用户必须指定企业编号"),
    ({"name": "short", "role": "officer", "password": "short"}, 422, "password"),
    ({"name": "Officer", "role": "officer", "password": NEW_PASSWORD}, 409, "用户已存在"),
    ({"name": "king", "role": "king", "password": NEW_PASSWORD}, 422, "role"),
])
def test_refused_additions_say_why_and_store_nothing(app_rw, client_for, web_copy, form, status, text):
    before = set(_users(web_copy))
    n = len(_entries(web_copy, "user.add"))
    c = client_for(app_rw, "admin1")
    r = c.post("/users", data={"csrf_token": c.csrf, **form})
    assert r.status_code == status and text in r.text
    assert f'value="{form["name"]}"' in r.text  # the form keeps what was typed (never the password)
    assert NEW_PASSWORD not in r.text
    assert set(_users(web_copy)) == before and len(_entries(web_copy, "user.add")) == n


def test_disable_ends_the_sessions_and_is_audited(app_rw, client_for, web_copy):
    victim = client_for(app_rw, "inspector")
    assert victim.get("/login", follow_redirects=False).status_code == 303  # signed in
    c = client_for(app_rw, "admin1")
    r = c.post("/users/inspector/disable", data={"csrf_token": c.csrf, "why": "调离岗位"}, follow_redirects=False)
    assert r.status_code == 303
    assert _users(web_copy)["inspector"].disabled
    e = _entries(web_copy, "user.disable")[-1]
    assert (e.actor, e.subject, e.why) == ("web:admin1", "user/inspector", "调离岗位")
    assert victim.get("/login", follow_redirects=False).status_code == 200  # signed out on the server
    assert not _can_sign_in(app_rw, "inspector", PASSWORD)


def test_the_last_admin_cannot_be_disabled(app_rw, client_for, web_copy):
    c = client_for(app_rw, "admin1")
    r = c.post("/users/admin1/disable", data={"csrf_token": c.csrf})
    assert r.status_code == 409 and "唯一的管理员" in r.text
    assert not _users(web_copy)["admin1"].disabled


def test_set_password_is_audited_and_replaces_the_old_one(app_rw, client_for, web_copy):
    c = client_for(app_rw, "admin1")
    r = c.post("/users/auditor/password", data={"csrf_token": c.csrf, "password": NEW_PASSWORD},
               follow_redirects=False)
    assert r.status_code == 303
    e = _entries(web_copy, "user.set_password")[-1]
    assert (e.actor, e.subject) == ("web:admin1", "user/auditor") and NEW_PASSWORD not in e.data
    assert not _can_sign_in(app_rw, "auditor", PASSWORD) and _can_sign_in(app_rw, "auditor", NEW_PASSWORD)
    bad = c.post("/users/auditor/password", data={"csrf_token": c.csrf, "password": "short"})
    assert bad.status_code == 422
    assert c.post("/users/nobody/password", data={"csrf_token": c.csrf, "password": NEW_PASSWORD}).status_code == 404


def test_users_api_for_the_admin(app_rw, client_for, web_copy):
    c = client_for(app_rw)
    tok = c.post("/api/v1/token", data={"username": "admin1", "password": PASSWORD}).json()["access_token"]
    auth = {"Authorization": f"Bearer {tok}"}
    listed = c.get("/api/v1/users", headers=auth).json()
    assert {u["name"] for u in listed} >= {"admin1", "officer", "ent01"}
    r = c.post("/api/v1/users", json={"name": "ent_02", "role": "enterprise", "enterprise_code": "ENT-02",
                                      "password": NEW_PASSWORD}, headers=auth)
    assert r.status_code == 201 and r.json()["enterprise_code"] == "ENT-02"
    bad = c.post("/api/v1/users", json={"name": "ent_03", "role": "enterprise", "enterprise_code": "ENT-NONE",
                                        "password": NEW_PASSWORD}, headers=auth)
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "enterprise_code"
    assert c.post("/api/v1/users/ent_02/disable", json={"why": "test"}, headers=auth).json()["disabled"] is True
    assert _entries(web_copy, "user.disable")[-1].actor == "web:admin1"
    engine = db.open_database(f"sqlite:///{web_copy}")
    with db.session_scope(engine, read_only=True) as s:
        assert s.execute(select(func.count()).select_from(AppUser).where(AppUser.name == "ent_03")).scalar() == 0
    engine.dispose()


def test_enable_and_change_role_from_the_page_audited(app_rw, client_for, web_copy):
    c = client_for(app_rw, "admin1")
    c.post("/users/inspector/disable", data={"csrf_token": c.csrf, "why": "休假"})
    page = c.get("/users").text
    assert 'action="/users/inspector/enable"' in page  # a disabled user offers "enable", not the other forms
    r = c.post("/users/inspector/enable", data={"csrf_token": c.csrf, "why": "返岗"}, follow_redirects=False)
    assert r.status_code == 303 and not _users(web_copy)["inspector"].disabled
    assert "inspector" in c.get(r.headers["location"]).text
    assert _can_sign_in(app_rw, "inspector", PASSWORD)
    e = _entries(web_copy, "user.enable")[-1]
    assert (e.actor, e.subject, e.why) == ("web:admin1", "user/inspector", "返岗")

    officer = client_for(app_rw, "officer")
    assert officer.get("/payments").status_code == 200
    r = c.post("/users/officer/role", data={"csrf_token": c.csrf, "role": "clerk", "township": "花马池镇",
                                            "enterprise_code": "ENT-01", "why": "调任乡镇"}, follow_redirects=False)
    assert r.status_code == 303
    u = _users(web_copy)["officer"]
    assert (u.role, u.township, u.enterprise_code) == ("clerk", "花马池镇", None)  # a clerk has no enterprise
    assert officer.get("/payments").status_code == 403  # the next request of the same session
    assert json.loads(_entries(web_copy, "user.set_role")[-1].data)["new"]["role"] == "clerk"
    bad = c.post("/users/officer/role", data={"csrf_token": c.csrf, "role": "clerk", "township": ""})
    assert bad.status_code == 422 and _users(web_copy)["officer"].township == "花马池镇"
    last = c.post("/users/admin1/role", data={"csrf_token": c.csrf, "role": "auditor"})
    assert last.status_code == 409 and _users(web_copy)["admin1"].role == "admin"
    assert client_for(app_rw, "auditor").post("/users/inspector/enable", data={"csrf_token": "x"}).status_code == 403


def test_enable_and_role_api(app_rw, client_for, web_copy):
    c = client_for(app_rw)
    tok = c.post("/api/v1/token", data={"username": "admin1", "password": PASSWORD}).json()["access_token"]
    auth = {"Authorization": f"Bearer {tok}"}
    c.post("/api/v1/users/ent01/disable", json={"why": "合同到期"}, headers=auth)
    assert c.post("/api/v1/users/ent01/enable", headers=auth).json() == {"name": "ent01", "disabled": False}
    r = c.post("/api/v1/users/ent01/role", json={"role": "enterprise", "enterprise_code": "ENT-02"}, headers=auth)
    assert r.status_code == 200 and r.json()["enterprise_code"] == "ENT-02"
    bad = c.post("/api/v1/users/ent01/role", json={"role": "enterprise", "enterprise_code": "ENT-NONE"}, headers=auth)
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "enterprise_code"
    assert c.post("/api/v1/users/nobody/enable", headers=auth).status_code == 404
    assert _users(web_copy)["ent01"].enterprise_code == "ENT-02"
