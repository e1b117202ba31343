"""Instants on both databases, durable backups, and a database that is never silently created or migrated.

Code review findings 2 (a SQLite backup restored into a PostgreSQL server whose TimeZone is not UTC
shifted every instant), 3 (civil dates), §4 durability (backup truncated the target first, read at
READ COMMITTED), §4 migrations (every command migrated) and newcomer review H (a mistyped path made a
new empty programme; ``db info`` created the default file).
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, event, select, text

from cleanheat import clock
from cleanheat.errors import InputError, NotFound, RegistryError
from cleanheat.registry import audit, db
from cleanheat.registry.models import Base, Ticket, Township, UTCDateTime
from cleanheat.registry.services import payments, tickets

from . import factories
from .conftest import PG_URL, pg_schema_url

UTC = dt.UTC
OPENED = dt.datetime(2022, 12, 1, 9, 0, tzinfo=UTC)
"""09:00 UTC = 17:00 in Yanchi; epoch 1669885200 (hand-computed: 2022-12-01 is day 19327 × 86400 + 9 h)."""


def _programme(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        factories.programme(s)
        for k in range(1, 4):
            factories.accepted_installation(s, k)
        payments.pay_accepted(session=s, actor="财务", paid_on=dt.date(2022, 8, 20))
        t = tickets.open_ticket(session=s, household_id="YC-T-000001", kind="complaint", category="quality",
                                description="", actor="农户", opened_at=OPENED)
        tickets.advance(session=s, ticket_id=t.id, to="responded", actor="ENT-A",
                        at=OPENED + dt.timedelta(hours=49, minutes=30))


def _all_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, ordered by primary key, as Python values (instants aware)."""
    out = {}
    with engine.connect() as conn:
        for t in Base.metadata.sorted_tables:
            out[t.name] = [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
    return out


def _instants(rows: dict[str, list[tuple[Any, ...]]]) -> list[dt.datetime]:
    return [v for table in rows.values() for r in table for v in r if isinstance(v, dt.datetime)]


def _shanghai_url(schema: str) -> str:
    """A PostgreSQL session whose TimeZone is Asia/Shanghai (UTC+8), as a server configured in China has."""
    return pg_schema_url(schema) + "%20-ctimezone%3DAsia/Shanghai"


@pytest.fixture
def shanghai_pg(pg_schema: str) -> Iterator[Engine]:
    engine = db.open_database(_shanghai_url(pg_schema), create=True)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW TimeZone")).scalar_one() == "Asia/Shanghai"
        yield engine
    finally:
        engine.dispose()


# --------------------------------------------------------------------------------------------
# Instants
# --------------------------------------------------------------------------------------------


def test_sqlite_hands_back_aware_utc_instants(tmp_path: Path) -> None:
    engine = db.open_database(f"sqlite:///{tmp_path / 'r.sqlite3'}", create=True)
    try:
        _programme(engine)
        with db.session_scope(engine, read_only=True) as s:
            t = s.execute(select(Ticket)).scalar_one()
            assert t.opened_at == OPENED and t.opened_at.utcoffset() == dt.timedelta(0)
            assert t.respond_by == dt.datetime(2022, 12, 3, 9, tzinfo=UTC) and t.overdue
        instants = _instants(_all_rows(engine))
        assert instants and all(v.utcoffset() == dt.timedelta(0) for v in instants)
    finally:
        engine.dispose()


def test_an_instant_in_another_zone_is_stored_as_the_same_instant(tmp_path: Path) -> None:
    engine = db.open_database(f"sqlite:///{tmp_path / 'r.sqlite3'}", create=True)
    try:
        with db.session_scope(engine) as s:
            factories.programme(s)
            factories.accepted_installation(s, 1)
            shanghai = OPENED.astimezone(clock.programme_tz())  # 2022-12-01 17:00+08:00
            tickets.open_ticket(session=s, household_id="YC-T-000001", kind="service", category="other",
                                description="", actor="x", opened_at=shanghai)
        with db.session_scope(engine, read_only=True) as s:
            assert s.execute(select(Ticket.opened_at)).scalar_one() == OPENED
            with pytest.raises(InputError, match="no time zone"):
                tickets.open_ticket(session=s, household_id="YC-T-000001", kind="service", category="other",
                                    description="", actor="x", opened_at=dt.datetime(2022, 12, 1, 9))
    finally:
        engine.dispose()


@pytest.mark.skipif(not PG_URL, reason="CLEANHEAT_TEST_POSTGRES_URL not set")
def test_sqlite_backup_restored_into_a_non_utc_postgresql_keeps_every_value(
        tmp_path: Path, shanghai_pg: Engine) -> None:
    src = db.open_database(f"sqlite:///{tmp_path / 'src.sqlite3'}", create=True)
    try:
        _programme(src)
        path = tmp_path / "b.json.gz"
        db.backup(src, path)
        db.restore(shanghai_pg, path)
        before, after = _all_rows(src), _all_rows(shanghai_pg)
        assert before == after  # every row of every table, every value (instants compared as instants)
        assert len(_instants(before)) >= 10
        with shanghai_pg.connect() as conn:
            # the server holds the true instant: 09:00 UTC, shown as 17:00 in its own time zone
            epoch, shown = conn.execute(text("SELECT extract(epoch FROM opened_at), to_char(opened_at, 'HH24:MI') "
                                             "FROM ticket")).one()
            assert int(epoch) == 1669885200 and shown == "17:00"
        with db.session_scope(shanghai_pg, read_only=True) as s:
            assert audit.verify(s)[1] is None
            due = [r for r in tickets.overdue(session=s, at=OPENED + dt.timedelta(days=10))]
            assert due == []  # answered (late), so not overdue; the flag survived
            assert s.execute(select(Ticket.overdue)).scalar_one() is True
    finally:
        src.dispose()


@pytest.mark.skipif(not PG_URL, reason="CLEANHEAT_TEST_POSTGRES_URL not set")
def test_non_utc_postgresql_backup_restored_into_sqlite_keeps_every_value(
        tmp_path: Path, shanghai_pg: Engine) -> None:
    _programme(shanghai_pg)
    path = tmp_path / "b.json.gz"
    db.backup(shanghai_pg, path)
    dst = db.open_database(f"sqlite:///{tmp_path / 'dst.sqlite3'}", create=True)
    try:
        db.restore(dst, path)
        assert _all_rows(dst) == _all_rows(shanghai_pg)
        with db.session_scope(dst, read_only=True) as s:
            assert s.execute(select(Ticket.opened_at)).scalar_one() == OPENED
    finally:
        dst.dispose()


def test_backup_writes_instants_with_their_offset(tmp_path: Path) -> None:
    engine = db.open_database(f"sqlite:///{tmp_path / 'r.sqlite3'}", create=True)
    try:
        _programme(engine)
        path = tmp_path / "b.json.gz"
        db.backup(engine, path)
    finally:
        engine.dispose()
    doc = orjson.loads(gzip.decompress(path.read_bytes()))
    ticket = doc["tables"]["ticket"]
    row = dict(zip(ticket["columns"], ticket["rows"][0], strict=True))
    assert row["opened_at"] == "2022-12-01T09:00:00+00:00"
    assert row["respond_by"] == "2022-12-03T09:00:00+00:00"
    assert row["responded_at"] == "2022-12-03T10:30:00+00:00"


def _legacy_backup(path: Path, out: Path) -> None:
    """The backup as cleanheat wrote it before: SQLite's naive instants, no offset."""
    doc = orjson.loads(gzip.decompress(path.read_bytes()))
    stripped = 0
    for name, block in doc["tables"].items():
        table = Base.metadata.tables[name]
        instants = [i for i, c in enumerate(block["columns"]) if isinstance(table.c[c].type, UTCDateTime)]
        for row in block["rows"]:
            for i in instants:
                if row[i] is not None:
                    row[i] = dt.datetime.fromisoformat(row[i]).replace(tzinfo=None).isoformat()
                    stripped += 1
    assert stripped >= 10
    out.write_bytes(gzip.compress(orjson.dumps(doc)))


@pytest.mark.skipif(not PG_URL, reason="CLEANHEAT_TEST_POSTGRES_URL not set")
def test_a_legacy_backup_with_naive_instants_is_read_as_utc(tmp_path: Path, shanghai_pg: Engine) -> None:
    src = db.open_database(f"sqlite:///{tmp_path / 'src.sqlite3'}", create=True)
    try:
        _programme(src)
        db.backup(src, tmp_path / "new.json.gz")
        _legacy_backup(tmp_path / "new.json.gz", tmp_path / "old.json.gz")
        db.restore(shanghai_pg, tmp_path / "old.json.gz")
        assert _all_rows(shanghai_pg) == _all_rows(src)
    finally:
        src.dispose()


# --------------------------------------------------------------------------------------------
# Durable backups
# --------------------------------------------------------------------------------------------


def test_a_failing_backup_leaves_the_old_file_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = db.open_database(f"sqlite:///{tmp_path / 'r.sqlite3'}", create=True)
    try:
        _programme(engine)
        path = tmp_path / "nightly.json.gz"
        db.backup(engine, path)
        good = path.read_bytes()

        def disk_full(self: Any, data: Any) -> int:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(gzip.GzipFile, "write", disk_full)
        with pytest.raises(InputError, match="cannot write .*nightly.json.gz: No space left on device"):
            db.backup(engine, path)
        monkeypatch.undo()
        assert path.read_bytes() == good  # the last good backup is whole
        left = sorted(n for n in os.listdir(tmp_path) if not n.endswith(("-wal", "-shm")))  # SQLite's own log
        assert left == ["nightly.json.gz", "r.sqlite3"]  # no temporary file left
        target = db.open_database(f"sqlite:///{tmp_path / 'again.sqlite3'}", create=True)
        try:
            assert sum(db.restore(target, path).values()) > 0
        finally:
            target.dispose()
    finally:
        engine.dispose()


@pytest.mark.skipif(not PG_URL, reason="CLEANHEAT_TEST_POSTGRES_URL not set")
def test_postgresql_backup_is_one_snapshot(tmp_path: Path, pg_schema: str) -> None:
    """A township added (and committed) by another clerk while the backup reads is not half in it."""
    engine = db.open_database(pg_schema_url(pg_schema), create=True)
    other = db.open_database(pg_schema_url(pg_schema))
    try:
        _programme(engine)
        fired: list[str] = []

        def meanwhile(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if not fired and "FROM alembic_version" not in statement and statement.lstrip().startswith("SELECT"):
                fired.append(statement)
                with db.session_scope(other) as s:
                    s.add(Township(name="新建乡"))

        event.listen(engine, "after_cursor_execute", meanwhile)
        try:
            counts = db.backup(engine, tmp_path / "b.json.gz")
        finally:
            event.remove(engine, "after_cursor_execute", meanwhile)
        assert fired
        assert counts["township"] == 8  # the snapshot was taken before the other clerk's commit
        assert db.table_counts(engine)["township"] == 9
    finally:
        other.dispose()
        engine.dispose()


# --------------------------------------------------------------------------------------------
# Never created, never migrated on the way
# --------------------------------------------------------------------------------------------


def test_a_mistyped_sqlite_path_is_an_error_not_a_new_programme(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "registry.sqlite3"
    with pytest.raises(NotFound, match=r"no cleanheat database at .*registry\.sqlite3; create it with "
                                       r"`cleanheat db upgrade` or `cleanheat demo load`"):
        db.open_database(f"sqlite:///{missing}")
    with pytest.raises(NotFound, match="no cleanheat database"):
        db.open_database(f"sqlite:///{missing}", migrate=True)
    with pytest.raises(NotFound, match="no cleanheat database"):
        db.open_database(f"sqlite:///{missing}", check=False)  # what `db info` opens with
    assert not missing.parent.exists()  # not even the folder


def test_a_plain_path_gets_the_sqlite_url_hint(tmp_path: Path) -> None:
    plain = tmp_path / "registry.sqlite3"
    with pytest.raises(InputError, match=f"for a SQLite file write sqlite:///{plain}"):
        db.open_database(str(plain))


def test_an_empty_file_or_schema_is_not_a_registry(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    with pytest.raises(RegistryError, match="holds no cleanheat schema; create it with `cleanheat db upgrade`"):
        db.open_database(f"sqlite:///{empty}")
    assert empty.stat().st_size == 0
    engine = db.open_database(f"sqlite:///{empty}", create=True)
    try:
        assert db.current_revision(engine) == db.head_revision()
    finally:
        engine.dispose()


def test_an_older_schema_is_not_migrated_on_the_way(db_url: str) -> None:
    from alembic import command

    engine = db.open_database(db_url, create=True)
    try:
        with engine.begin() as conn:
            command.downgrade(db._alembic_config(conn), "-1")
        old = db.current_revision(engine)
        assert old is not None and old != db.head_revision()
    finally:
        engine.dispose()
    with pytest.raises(RegistryError, match=f"schema revision {old}.*run `cleanheat db upgrade`"):
        db.open_database(db_url)
    peek = db.open_database(db_url, check=False)
    try:
        assert db.current_revision(peek) == old  # still old: nothing ran DDL
    finally:
        peek.dispose()
    upgraded = db.open_database(db_url, migrate=True)
    try:
        assert db.current_revision(upgraded) == db.head_revision()
    finally:
        upgraded.dispose()


def test_a_read_only_session_on_sqlite_does_not_wait_for_a_writer(tmp_path: Path) -> None:
    engine = db.open_database(f"sqlite:///{tmp_path / 'r.sqlite3'}", create=True)
    try:
        _programme(engine)
        with db.session_scope(engine) as writer:
            writer.add(Township(name="新建乡"))
            writer.flush()  # the writer holds SQLite's write lock until it commits
            started = clock.now_utc()
            with db.session_scope(engine, read_only=True) as reader:
                assert len(reader.execute(select(Township.id)).all()) == 8  # the committed state
            assert (clock.now_utc() - started).total_seconds() < 5  # not the 30 s busy timeout
    finally:
        engine.dispose()


@pytest.mark.skipif(not PG_URL, reason="CLEANHEAT_TEST_POSTGRES_URL not set")
def test_a_read_only_session_on_postgresql_refuses_a_write(pg_schema: str) -> None:
    engine = db.open_database(pg_schema_url(pg_schema), create=True)
    try:
        with pytest.raises(Exception, match="read-only transaction"), \
                db.session_scope(engine, read_only=True) as s:
            s.add(Township(name="新建乡"))
            s.flush()
        with db.session_scope(engine) as s:  # the pooled connection is a writer again
            s.add(Township(name="新建乡"))
    finally:
        engine.dispose()
