"""Database fixtures: every registry test runs on SQLite (a file in tmp_path) and, when
``CLEANHEAT_TEST_POSTGRES_URL`` is set, on PostgreSQL in a fresh schema dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from cleanheat.registry import db

PG_URL = os.environ.get("CLEANHEAT_TEST_POSTGRES_URL")
REQUIRE_POSTGRES = os.environ.get("CLEANHEAT_REQUIRE_POSTGRES", os.environ.get("CI", "")).strip().lower() not in (
    "", "0", "false", "no")
"""Under CI (``CI`` set, or ``CLEANHEAT_REQUIRE_POSTGRES=1`` as ``.ci/run`` sets it) the PostgreSQL half of
the registry tests may not skip: without ``CLEANHEAT_TEST_POSTGRES_URL`` the run stops here."""
if REQUIRE_POSTGRES and not PG_URL:
    raise pytest.UsageError(
        "CLEANHEAT_TEST_POSTGRES_URL is not set, and CI requires the registry's PostgreSQL tests "
        "(CI / CLEANHEAT_REQUIRE_POSTGRES=1): start PostgreSQL and set the URL, e.g. "
        "postgresql+psycopg://postgres@127.0.0.1:5432/test, or run the SQLite half only on purpose with "
        "CLEANHEAT_REQUIRE_POSTGRES=0")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not PG_URL, reason="CLEANHEAT_TEST_POSTGRES_URL not set"))]


def pg_schema_url(schema: str) -> str:
    assert PG_URL
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema, dropped at the end."""
    if not PG_URL:
        pytest.skip("CLEANHEAT_TEST_POSTGRES_URL not set")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield schema
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


def _url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'registry.sqlite3'}"
    schema = request.getfixturevalue("pg_schema")
    return pg_schema_url(schema)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """URL of an empty database (SQLite file, or a fresh PostgreSQL schema)."""
    return _url(request, tmp_path_factory)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a migrated, empty registry."""
    eng = db.open_database(db_url, create=True)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose transaction is committed at the end of the test (as the CLI does)."""
    with db.session_scope(engine) as s:
        yield s
