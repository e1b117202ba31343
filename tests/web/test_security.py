"""The web application's security boundaries, over HTTP: sign-in, sessions, CSRF, rate limit, tokens, anonymity.

Each area's own role boundaries are tested with the area; here the rules every route shares.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select, update

from cleanheat.registry import db
from cleanheat.registry.models import AuditEvent, AuthSession
from tests.web.conftest import PASSWORD, csrf_of, make_app, sign_in

ANONYMOUS_PAGES = {"/login", "/calculators", "/healthz", "/lang/{code}", "/parameters", "/parameters/{name}"}
"""Pages an anonymous visitor may open (the rules and calculators are public)."""
ANONYMOUS_API = {"/api/v1/subsidy/yanchi", "/api/v1/funding/beijing", "/api/v1/token"}


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_login_page_is_chinese_by_default(app_ro, client_for):
    c = client_for(app_ro)
    page = c.get("/login")
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text and "用户名" in page.text and "密码" in page.text


def test_sign_in_sets_a_safe_session_cookie(app_ro, client_for):
    c = client_for(app_ro)
    token = csrf_of(c.get("/login").text)
    r = c.post("/login", data={"username": "officer", "password": PASSWORD, "csrf_token": token, "next": "/"},
               follow_redirects=False)
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "cleanheat_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http on loopback


def test_cookie_is_secure_over_https(web_demo_file, client_for):
    from fastapi.testclient import TestClient

    app = make_app(web_demo_file)
    with TestClient(app, base_url="https://testserver") as c:
        token = csrf_of(c.get("/login").text)
        r = c.post("/login", data={"username": "officer", "password": PASSWORD, "csrf_token": token},
                   follow_redirects=False)
        assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]


def test_login_form_without_csrf_token_is_refused(app_ro, client_for):
    c = client_for(app_ro)
    c.get("/login")
    r = c.post("/login", data={"username": "officer", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403
    assert "cleanheat_session" not in r.headers.get("set-cookie", "")


def test_a_post_with_a_wrong_csrf_token_is_refused_for_a_signed_in_user(app_ro, client_for):
    c = client_for(app_ro, "officer")
    assert c.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False).status_code == 403
    assert c.post("/logout", headers={"X-CSRF-Token": "forged"}, follow_redirects=False).status_code == 403
    # still signed in: the forged logout did nothing
    assert c.get("/login", follow_redirects=False).status_code == 303
    assert c.post("/logout", headers={"X-CSRF-Token": c.csrf}, follow_redirects=False).status_code == 303


def test_wrong_password_and_unknown_user_get_the_same_answer(app_ro, client_for):
    c = client_for(app_ro)
    token = csrf_of(c.get("/login").text)
    a = c.post("/login", data={"username": "officer", "password": "wrong-password!", "csrf_token": token})
    b = c.post("/login", data={"username": "nobody-here", "password": "wrong-password!", "csrf_token": token})
    assert a.status_code == b.status_code == 401
    assert "用户名或密码错误" in a.text and "用户名或密码错误" in b.text


def test_login_is_rate_limited_per_account(app_rw, client_for):
    c = client_for(app_rw)
    token = csrf_of(c.get("/login").text)
    codes = [c.post("/login", data={"username": "clerk_hab", "password": f"wrong-{k}-xxxxx", "csrf_token": token}
                    ).status_code for k in range(6)]
    assert codes[:5] == [401] * 5
    assert codes[5] == 429
    right = c.post("/login", data={"username": "clerk_hab", "password": PASSWORD, "csrf_token": token},
                   follow_redirects=False)
    assert right.status_code == 429 and int(right.headers["retry-after"]) > 0
    assert "失败次数过多" in right.text
    # another account from the same address is not locked by these five
    assert sign_in(client_for(app_rw), "clerk_hmc")


def test_logout_revokes_the_session_on_the_server(app_rw, client_for):
    c = client_for(app_rw, "officer")
    stolen = c.cookies.get("cleanheat_session")
    assert c.post("/logout", data={"csrf_token": c.csrf}, follow_redirects=False).status_code == 303
    other = client_for(app_rw)
    other.cookies.set("cleanheat_session", stolen)
    r = other.get("/login", follow_redirects=False)
    assert r.status_code == 200  # not signed in: the login form, not a redirect to /


def test_an_expired_session_signs_the_user_out(web_copy, client_for):
    app = make_app(web_copy)
    c = client_for(app, "officer")
    assert c.get("/login", follow_redirects=False).status_code == 303
    engine = db.open_database(f"sqlite:///{web_copy}")
    with db.session_scope(engine) as s:
        s.execute(update(AuthSession).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    engine.dispose()
    assert c.get("/login", follow_redirects=False).status_code == 200


def test_api_token_flow(app_rw, client_for):
    c = client_for(app_rw)
    r = c.post("/api/v1/token", data={"username": "auditor", "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["access_token"] and body["expires_in"] == 3600
    bad = c.post("/api/v1/token", data={"username": "auditor", "password": "not-the-password"})
    assert bad.status_code == 401 and bad.headers["www-authenticate"] == "Bearer"
    # an API token is not a browser session
    c.cookies.set("cleanheat_session", body["access_token"])
    assert c.get("/login", follow_redirects=False).status_code == 200


def test_api_token_expires(web_copy, client_for):
    app = make_app(web_copy, token_ttl_min=0.0001)
    c = client_for(app)
    tok = c.post("/api/v1/token", data={"username": "auditor", "password": PASSWORD}).json()["access_token"]
    import time

    time.sleep(0.05)
    r = c.get("/api/v1/payments", headers={"Authorization": f"Bearer {tok}"})
    assert r.status_code == 401


def test_a_fresh_api_token_reads_the_api(app_ro, client_for):
    c = client_for(app_ro)
    tok = c.post("/api/v1/token", data={"username": "auditor", "password": PASSWORD}).json()["access_token"]
    assert c.get("/api/v1/payments", headers={"Authorization": f"Bearer {tok}"}).status_code == 200
    assert c.get("/api/v1/payments", headers={"Authorization": "Bearer not-a-token"}).status_code == 401


def test_open_redirect_after_login_is_refused(app_ro, client_for):
    c = client_for(app_ro)
    token = csrf_of(c.get("/login").text)
    r = c.post("/login", data={"username": "officer", "password": PASSWORD, "csrf_token": token,
                               "next": "//evil.example/steal"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_sign_in_is_audited_with_the_user(app_rw, client_for, web_copy):
    client_for(app_rw, "inspector")
    engine = db.open_database(f"sqlite:///{web_copy}")
    with db.session_scope(engine, read_only=True) as s:
        actors = s.execute(select(AuditEvent.actor, AuditEvent.type).order_by(AuditEvent.seq.desc()).limit(5)).all()
    engine.dispose()
    assert any("inspector" in a and "login" in t for a, t in actors), actors


def _routes(app):
    from cleanheat.web.app import iter_routes

    return list(iter_routes(app))


def test_anonymous_visitors_reach_only_the_public_routes(app_ro, client_for):
    c = client_for(app_ro)
    token = csrf_of(c.get("/login").text)
    checked = 0
    for method, path in _routes(app_ro):
        public = path in ANONYMOUS_PAGES | ANONYMOUS_API or path.startswith("/static")
        if public or path in ("/login", "/logout"):
            continue
        r = c.request(method, _concrete(path), data={"csrf_token": token} if method != "GET" else None,
                      follow_redirects=False)
        checked += 1
        if path.startswith("/api/"):
            assert r.status_code == 401, f"{method} {path}: {r.status_code}"
        else:
            assert r.status_code in (303, 401, 403), f"{method} {path}: {r.status_code}"
            if r.status_code == 303:
                assert r.headers["location"].startswith("/login"), f"{method} {path} -> {r.headers['location']}"
    assert checked >= 20


@pytest.mark.parametrize("role_user", ["auditor"])
def test_the_auditor_can_change_nothing(app_ro, client_for, role_user):
    """Every unsafe route refuses the auditor (403), whatever it is (read-only everywhere)."""
    c = client_for(app_ro, role_user)
    for method, path in _routes(app_ro):
        if method == "GET" or path in ("/logout", "/login", "/api/v1/token") or path in ANONYMOUS_API:
            continue
        if path.endswith("/verify") or path in ("/calculators", "/api/v1/simulate"):
            continue  # verifying the chain, the calculators and the simulation compute and store nothing
        r = c.request(method, _concrete(path), headers={"X-CSRF-Token": c.csrf}, follow_redirects=False)
        assert r.status_code in (403, 404, 405), f"auditor {method} {path}: {r.status_code}"
