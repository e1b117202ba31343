"""Schema migrations, info, backup and restore (SQLite and PostgreSQL alike)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from cleanheat.errors import Conflict, InputError
from cleanheat.registry import audit, db
from cleanheat.registry.models import Household, Payment
from cleanheat.registry.services import payments

from . import factories


def _small_programme(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        factories.programme(s)
        for k in range(1, 4):
            factories.accepted_installation(s, k)
        payments.pay_accepted(session=s, actor="财务", paid_on=dt.date(2022, 8, 20))


def test_upgrade_is_at_head_and_info_counts_rows(engine: Engine) -> None:
    _small_programme(engine)
    info = db.info(engine)
    assert info["revision"] == db.head_revision() and info["up_to_date"]
    assert info["tables"]["household"] == 3 and info["tables"]["payment"] == 3


def test_upgrade_twice_is_harmless(engine: Engine) -> None:
    assert db.upgrade(engine) == db.head_revision()


def test_backup_restore_round_trip(engine: Engine, tmp_path: Path) -> None:
    _small_programme(engine)
    path = tmp_path / "registry.backup.json.gz"
    counts = db.backup(engine, path)
    target = db.open_database(f"sqlite:///{tmp_path / 'restored.sqlite3'}", create=True)
    try:
        restored = db.restore(target, path)
        assert restored == counts
        assert db.table_counts(target) == db.table_counts(engine)
        with db.session_scope(target) as s:
            assert audit.verify(s)[1] is None
            p = payments.get_payment(session=s, household_id="YC-T-000002")
            assert p["total_cny"] == 5300 and p["paid_on"] == "2022-08-20"
            # the restored registry keeps working: new rows get fresh ids, the chain goes on
            factories.accepted_installation(s, 9)
            assert payments.pay_accepted(session=s, actor="财务").paid == 1
            assert audit.verify(s)[1] is None
    finally:
        target.dispose()


def test_restore_into_same_backend(engine: Engine, tmp_path: Path) -> None:
    _small_programme(engine)
    path = tmp_path / "b.json.gz"
    db.backup(engine, path)
    with pytest.raises(Conflict, match="not empty.*--force"):
        db.restore(engine, path)
    db.restore(engine, path, force=True)
    with db.session_scope(engine) as s:
        assert s.execute(select(func.count()).select_from(Household)).scalar_one() == 3
        factories.accepted_installation(s, 7)
        assert payments.pay_accepted(session=s, actor="财务").paid == 1
        assert s.execute(select(func.count()).select_from(Payment)).scalar_one() == 4


def test_restore_rejects_other_files(engine: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "x.gz"
    bad.write_bytes(b"not gzip")
    with pytest.raises(InputError, match="cannot read backup|not a cleanheat backup"):
        db.restore(engine, bad)


def test_bad_url_is_an_input_error() -> None:
    with pytest.raises(InputError, match="not a database URL"):
        db.make_engine("::")
    with pytest.raises(InputError, match="not a database URL cleanheat can open"):
        db.make_engine("nonsense://x")


def test_sqlite_backup_restores_into_postgresql(tmp_path: Path, pg_schema: str) -> None:
    from .conftest import pg_schema_url

    src = db.open_database(f"sqlite:///{tmp_path / 'src.sqlite3'}", create=True)
    dst = db.open_database(pg_schema_url(pg_schema), create=True)
    try:
        _small_programme(src)
        path = tmp_path / "b.json.gz"
        db.backup(src, path)
        db.restore(dst, path)
        assert db.table_counts(dst) == db.table_counts(src)
        with db.session_scope(dst) as s:
            assert audit.verify(s)[1] is None
            factories.accepted_installation(s, 8)
            assert payments.pay_accepted(session=s, actor="财务").paid == 1
    finally:
        src.dispose()
        dst.dispose()


def test_migrations_match_the_models(engine: Engine) -> None:
    """The shipped migrations build exactly the tables the models declare (no autogenerate diff)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from cleanheat.registry.models import Base

    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_downgrade_and_upgrade_again(engine: Engine) -> None:
    from alembic import command

    with engine.begin() as conn:
        command.downgrade(db._alembic_config(conn), "base")
    assert db.current_revision(engine) is None
    assert db.upgrade(engine) == db.head_revision()
