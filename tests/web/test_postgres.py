"""The web application on PostgreSQL (a fresh schema, dropped afterwards): sign-in, sessions and a write.

The pages' own tests run on the demo in SQLite; this module checks that the server-side sessions, the
login rate limit and the audited writes of the web layer work the same on PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text

from cleanheat.config import Settings
from cleanheat.registry import db
from cleanheat.registry.models import AuditEvent, AuthSession
from tests.web.conftest import PASSWORD, csrf_of

PG_URL = os.environ.get("CLEANHEAT_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not PG_URL, reason="CLEANHEAT_TEST_POSTGRES_URL not set")


@pytest.fixture
def pg_url() -> Iterator[str]:
    assert PG_URL
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_sign_in_session_and_logout_on_postgresql(pg_url):
    from cleanheat.registry.services import users
    from cleanheat.web import create_app

    engine = db.open_database(pg_url, create=True)
    with db.session_scope(engine) as s:
        users.add_user(session=s, name="officer", role="officer", password=PASSWORD, actor="tests")
    app = create_app(Settings(database_url=pg_url), engine=engine)
    with TestClient(app) as c:
        token = csrf_of(c.get("/login").text)
        bad = c.post("/login", data={"username": "officer", "password": "wrong-password", "csrf_token": token})
        assert bad.status_code == 401
        ok = c.post("/login", data={"username": "officer", "password": PASSWORD, "csrf_token": token},
                    follow_redirects=False)
        assert ok.status_code == 303
        assert c.get("/login", follow_redirects=False).status_code == 303  # signed in
        csrf = csrf_of(c.get("/login?next=/calculators", follow_redirects=True).text)
        assert c.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
        assert c.get("/login", follow_redirects=False).status_code == 200
    with db.session_scope(engine, read_only=True) as s:
        rows = s.execute(select(AuthSession.revoked_at)).all()
        assert len(rows) == 1 and rows[0][0] is not None
        types = s.execute(select(AuditEvent.type, AuditEvent.actor)).all()
    assert ("cn.cleanheat.user.login", "web:officer") in [(t, a) for t, a in types]
    engine.dispose()
