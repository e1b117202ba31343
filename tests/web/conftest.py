"""Web test fixtures: the demo programme with one user per role, loaded once per run, and signed-in clients.

- ``web_demo_file``: the full demo (27,000 households) plus the users of :data:`USERS`, built once per
  test run; tests that only read share it through ``app_ro``.
- ``web_copy``: a copy of it for a test that writes (payments, acceptances, imports).
- ``client_for(app)``: a function ``(user) -> TestClient`` signed in through the real ``/login`` form
  (CSRF token and all); ``client.csrf`` is the session's CSRF token for forms and HTMX posts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cleanheat.config import Settings
from cleanheat.registry import db

PASSWORD = "correct-horse-battery-staple"
"""The password of every test user (tests only)."""
USERS = {
    "admin1": {"role": "admin"},
    "officer": {"role": "officer"},
    "clerk_hab": {"role": "clerk", "township": "惠安堡镇"},
    "clerk_hmc": {"role": "clerk", "township": "花马池镇"},
    "inspector": {"role": "inspector"},
    "ent01": {"role": "enterprise", "enterprise_code": "ENT-01"},
    "auditor": {"role": "auditor"},
}
"""One user per role (two clerks of different townships, for the township boundary)."""

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_users(url: str) -> None:
    from cleanheat.registry.services import users

    engine = db.open_database(url)
    try:
        with db.session_scope(engine) as session:
            for name, spec in USERS.items():
                users.add_user(session=session, name=name, password=PASSWORD, actor="tests", **spec)
    finally:
        engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing() -> Iterator[None]:
    """Cheap argon2 parameters for the test users (a hash carries its parameters, so their logins are fast too);
    production keeps argon2-cffi's defaults (tests/registry/test_users.py checks them)."""
    from argon2 import PasswordHasher

    from cleanheat.registry.services import users

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(users, "HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        yield


@pytest.fixture(scope="session")
def web_demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo programme and the test users, in one SQLite file made once per run (read it, never write it)."""
    from cleanheat.registry.services.demo import load_demo

    path = tmp_path_factory.mktemp("webdemo") / "demo.sqlite3"
    url = f"sqlite:///{path}"
    engine = db.open_database(url, create=True)
    try:
        with db.session_scope(engine) as session:
            load_demo(session=session, seed=0)
    finally:
        engine.dispose()
    add_users(url)
    return path


@pytest.fixture
def web_copy(web_demo_file: Path, tmp_path: Path) -> Path:
    """A copy of the demo database that the test may change."""
    path = tmp_path / "web.sqlite3"
    db.copy_sqlite(web_demo_file, path)
    return path


def make_app(path: Path, **settings: object):  # noqa: ANN201 - a FastAPI app
    from cleanheat.web import create_app

    return create_app(Settings(database_url=f"sqlite:///{path}", **settings))  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def app_ro(web_demo_file: Path):  # noqa: ANN201
    """The app over the shared demo database, for tests that only read."""
    return make_app(web_demo_file)


@pytest.fixture
def app_rw(web_copy: Path):  # noqa: ANN201
    """The app over this test's own copy of the demo database."""
    return make_app(web_copy)


def area_routes(*modules: object, fill: str = "1") -> Iterator[tuple[str, str, str]]:
    """(method, path, a URL with every path parameter set to ``fill``) of the areas' routers."""
    from cleanheat.web.app import iter_routes

    for module in modules:
        for method, path in iter_routes(module.router):  # type: ignore[attr-defined]
            yield method, path, re.sub(r"\{[^}]+\}", fill, path)


def csrf_of(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> TestClient:
    """Sign ``client`` in through the ``/login`` form; sets ``client.csrf`` to the session's token."""
    page = client.get("/login")
    assert page.status_code == 200
    r = client.post("/login", data={"username": name, "password": password, "csrf_token": csrf_of(page.text),
                                    "next": "/"}, follow_redirects=False)
    assert r.status_code == 303, f"login of {name} failed: {r.status_code}"
    client.csrf = csrf_of(client.get("/login?next=/parameters", follow_redirects=True).text)  # type: ignore[attr-defined]
    return client


@pytest.fixture
def client_for() -> Iterator[Callable[..., TestClient]]:
    """``client_for(app, user=None)``: a TestClient on ``app``, signed in as ``user`` (anonymous if None)."""
    opened: list[TestClient] = []

    def make(app, user: str | None = None) -> TestClient:  # noqa: ANN001
        client = TestClient(app, base_url="http://testserver")
        client.__enter__()
        opened.append(client)
        if user is not None:
            sign_in(client, user)
        return client

    yield make
    for c in opened:
        c.__exit__(None, None, None)
