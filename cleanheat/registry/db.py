"""Engines, sessions, schema migrations (Alembic, shipped in the package), backup and restore.

Opening a database (:func:`open_database`) never creates or migrates one unless asked:

- ``create=True`` may create a new SQLite file (and its folder) and build the schema in an empty
  database; only ``db upgrade``, ``db restore`` and ``demo load`` ask for it. Any other command
  on a mistyped path gets "no cleanheat database at …", never a new empty programme.
- ``migrate=True`` may upgrade an older schema on opening (for a deployment's prestart step). No
  CLI command asks for it: ``db upgrade`` opens with ``check=False`` and migrates on purpose,
  ``db restore`` brings the target to the backup's revision itself. Every other command on an
  older schema is told to run ``cleanheat db upgrade``: a clerk's read command on a shared
  PostgreSQL database never runs DDL.
- ``check=False`` opens the database at whatever revision it is (``db info``, ``db backup``).

Sessions (:func:`session_scope`) are writers by default: on SQLite they take the write lock at
``BEGIN IMMEDIATE`` so two writers queue instead of failing half-way. ``read_only=True`` gives a
plain deferred ``BEGIN`` on SQLite (a reader does not wait behind a writer's lock to start) and a
``READ ONLY`` transaction on PostgreSQL (a write fails). An SQLite file keeps a write-ahead log
(``journal_mode=WAL``, beside it as ``-wal`` and ``-shm``): readers and the one writer do not wait for
each other. Copy such a file with :func:`copy_sqlite` (or ``cleanheat db backup``), not a file copy.

A backup is a gzip'd JSON document holding every row of every table and the schema revision; it
is read in one consistent snapshot (one read-only transaction, ``REPEATABLE READ`` on PostgreSQL),
written to a temporary file beside the target and renamed over it (a failed backup leaves the old
file whole). Instants are written in ISO 8601 with their offset (``+00:00``); a restore reads a
naive instant of an older backup as UTC. It restores into SQLite or PostgreSQL alike, whatever the
server's ``TimeZone``.
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Date, DateTime, Engine, create_engine, event, func, insert, inspect, select, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from cleanheat.clock import as_utc, now_utc
from cleanheat.errors import Conflict, InputError, NotFound, RegistryError
from cleanheat.files import write_atomically
from cleanheat.registry.models import Base

__all__ = [
    "BACKUP_FORMAT",
    "READ_ONLY",
    "audit_guard_lifted",
    "backup",
    "BULK_ROWS",
    "copy_sqlite",
    "refresh_statistics",
    "current_revision",
    "head_revision",
    "info",
    "is_empty",
    "make_engine",
    "open_database",
    "restore",
    "read_connection",
    "session_scope",
    "upgrade",
]

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
BACKUP_FORMAT = "cleanheat-registry-backup"
SQLITE_AUDIT_TRIGGERS = (
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
    "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
)
"""The append-only triggers of migration 0002 on SQLite (kept equal to it)."""
READ_ONLY = "cleanheat_read_only"
"""Execution option of a read-only connection (a plain deferred ``BEGIN`` on SQLite)."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # the driver must not open transactions itself: _sqlite_begin does, as BEGIN IMMEDIATE
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Write-ahead log: readers keep reading while a writer works and commits, and a writer is not
    # held up by readers (in the default rollback journal, a page being read blocks a payment's
    # commit). Stored in the file, so asked once per connection; an in-memory database stays "memory".
    # Durability is unchanged (synchronous stays FULL: a committed payment survives a power cut).
    # An empty file is left as it is (opening it may yet be refused: it is not a registry); once its
    # schema is made the log is turned on (:func:`_write_ahead_log`). A read-only file keeps its journal.
    if cursor.execute("PRAGMA page_count").fetchone()[0] > 0:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            pass
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    """Take SQLite's write lock at the start of every writing transaction, so two writers (two clerks
    paying at once) queue up instead of one failing half-way with "database is locked"; the busy
    timeout is 30 s. A read-only connection (:data:`READ_ONLY`) starts a plain deferred transaction."""
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


BULK_ROWS = 1000
"""A write of at least this many rows refreshes the planner's statistics (:func:`refresh_statistics`)."""


def refresh_statistics(session: Session, tables: list[str] | None = None) -> None:
    """Bring PostgreSQL's planner statistics up to date after a bulk write (``ANALYZE``, in the session's
    transaction), for ``tables`` or every table.

    Right after the demo's 27,000 households were loaded the planner still took the tables for empty and
    read a ledger page's household status through the acceptances in date order, 66 ms for 50 rows
    instead of 2.8 ms; autovacuum would have analysed them within minutes, a page asked for meanwhile
    would not wait. PostgreSQL's advice after a bulk load is the same
    (https://www.postgresql.org/docs/current/populate.html#POPULATE-ANALYZE). SQLite's plans over this
    schema do not change with statistics (measured), so it is left alone there.
    """
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        return
    names = ", ".join(conn.dialect.identifier_preparer.quote(t) for t in tables or [])
    conn.exec_driver_sql(f"ANALYZE {names}".strip())


def _write_ahead_log(engine: Engine) -> None:
    """Turn the write-ahead log on for a new SQLite file at once, on the connection that made it (a
    later connection switching modes would wait for every reader of the old one)."""
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
    finally:
        raw.close()


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy an SQLite database file with SQLite's online backup (what its write-ahead log holds
    included, which a plain file copy would miss), as one consistent snapshot."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def _looks_like_a_path(url: str) -> bool:
    return "://" not in url and (url.startswith(("/", ".", "~")) or "/" in url or "\\" in url
                                 or url.endswith((".sqlite3", ".sqlite", ".db")))


def _parse_url(url: str) -> Any:
    try:
        return make_url(url)
    except Exception as exc:  # sqlalchemy.exc.ArgumentError and friends
        if _looks_like_a_path(url):
            absolute = Path(url).expanduser().resolve()
            raise InputError(f"not a database URL: {url!r}; for a SQLite file write sqlite:///{absolute}",
                             field="database_url") from None
        raise InputError(f"not a database URL: {url!r} ({exc})", field="database_url") from None


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (``None``: not SQLite, or an in-memory database)."""
    parsed = _parse_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database).expanduser()


def make_engine(url: str, *, create: bool = False, **kwargs: Any) -> Engine:
    """An engine for ``url``, foreign keys enforced; with ``create``, a SQLite file's folder is created.

    The engine itself never checks that the database exists (:func:`open_database` does).

    Raises
    ------
    InputError
        If the URL cannot be parsed (a plain path gets the hint to write ``sqlite:///…``).
    """
    parsed = _parse_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            if create and parsed.database and parsed.database != ":memory:":
                Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(parsed, **kwargs)
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
            return engine
        return create_engine(parsed, **kwargs)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise InputError(f"not a database URL cleanheat can open: {url!r} ({exc})", field="database_url") from None


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest schema revision shipped in this package."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The schema revision of the database (``None``: never migrated)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Migrate the database schema to ``revision`` (default the newest); returns the revision."""
    from alembic import command

    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), revision)
    rev = current_revision(engine)
    assert rev is not None
    return rev


CREATE_HINT = "create it with `cleanheat db upgrade` or `cleanheat demo load`"
UPGRADE_HINT = "run `cleanheat db upgrade`"


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {s.revision for s in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}


def open_database(url: str, *, create: bool = False, migrate: bool = False, check: bool = True,
                  **kwargs: Any) -> Engine:
    """An engine on the cleanheat database at ``url``, its schema at the newest revision.

    Parameters
    ----------
    url : str
        SQLAlchemy URL (``sqlite:///path``, ``postgresql+psycopg://…``).
    create : bool
        May create a new database: a missing SQLite file (and its folder), and the schema in a
        database that has none (an empty SQLite file, an empty PostgreSQL schema).
    migrate : bool
        May upgrade an older schema to the newest revision.
    check : bool
        Bring the schema to the newest revision (as ``create`` and ``migrate`` allow) or refuse
        the database. Without the check the database is opened at whatever revision it is
        (``db info`` shows it, ``db upgrade`` migrates it, ``db backup`` saves it); ``create``
        still decides whether a missing SQLite file may be made.
    **kwargs
        Passed to :func:`sqlalchemy.create_engine`.

    Raises
    ------
    NotFound
        No SQLite file at the path (and not ``create``): "no cleanheat database at …".
    RegistryError
        The database cannot be opened, holds no cleanheat schema, its schema is older (and not
        ``migrate``: "run `cleanheat db upgrade`") or newer than this package.
    InputError
        The URL cannot be parsed.
    """
    path = sqlite_file(url)
    if path is not None and not create and not path.is_file():
        raise NotFound(f"no cleanheat database at {path}; {CREATE_HINT}")
    engine = make_engine(url, create=create, **kwargs)
    try:
        rev = current_revision(engine)
        head = head_revision()
        if rev == head or not check:
            return engine
        if rev is None:
            if not create:
                raise RegistryError(f"{_safe_url(engine)} holds no cleanheat schema; {CREATE_HINT}")
            upgrade(engine)
            _write_ahead_log(engine)
        elif rev not in _known_revisions():
            raise RegistryError(f"{_safe_url(engine)} is at schema revision {rev!r}, unknown to this cleanheat "
                                f"(at {head}): it was written by a newer cleanheat; upgrade the package")
        elif migrate:
            upgrade(engine)
        else:
            raise RegistryError(f"{_safe_url(engine)} is at schema revision {rev}, this cleanheat needs {head}; "
                                f"{UPGRADE_HINT}")
    except OperationalError as exc:
        engine.dispose()
        raise RegistryError(f"cannot open the database {_safe_url(engine)}: {exc.orig}") from None
    except BaseException:
        engine.dispose()
        raise
    return engine


@functools.lru_cache(maxsize=64)
def _read_only(engine: Engine) -> Engine:
    """The engine's read-only variant (made once per engine)."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(**{READ_ONLY: True, "postgresql_readonly": True})
    return engine.execution_options(**{READ_ONLY: True})


@contextmanager
def session_scope(engine: Engine, *, read_only: bool = False) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error.

    With ``read_only`` the transaction only reads: a plain deferred ``BEGIN`` on SQLite (it does
    not queue behind a writer to start), ``READ ONLY`` on PostgreSQL (a write is refused).
    """
    with _factory(engine, read_only)(info={"read_only": read_only}) as session, session.begin():
        yield session


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A bare connection (no ORM session) for one small Core query on a hot path (a web request's signed-in
    user), a third of the cost of :func:`session_scope`: on PostgreSQL in autocommit, so that the one
    statement is its own transaction and costs one round trip, not three (``BEGIN``, the query,
    ``ROLLBACK``); on SQLite a deferred read transaction, ended when the block ends. For a single
    ``SELECT`` only: several statements on it do not share a snapshot on PostgreSQL."""
    if engine.dialect.name == "postgresql":
        with _autocommit(engine).connect() as conn:
            yield conn
        return
    with _read_only(engine).connect() as conn, conn.begin():
        yield conn


@functools.lru_cache(maxsize=64)
def _autocommit(engine: Engine) -> Engine:
    """The engine's autocommit variant (made once per engine; :func:`read_connection` on PostgreSQL)."""
    return engine.execution_options(isolation_level="AUTOCOMMIT", **{READ_ONLY: True})


@functools.lru_cache(maxsize=64)
def _factory(engine: Engine, read_only: bool) -> sessionmaker[Session]:
    """The session factory of an engine (made once: a web request opens a session or two, and making
    the factory and the read-only engine each time cost a third of an empty one)."""
    return sessionmaker(_read_only(engine) if read_only else engine, expire_on_commit=False)


@contextmanager
def audit_guard_lifted(conn: Any) -> Iterator[None]:
    """Lift the append-only triggers of ``audit_event`` inside the connection's transaction (restore uses
    it to replace the whole log; tests use it to play a tamperer with database rights)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
        yield
        conn.exec_driver_sql("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")
    else:
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_event_no_update")
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_event_no_delete")
        yield
        for ddl in SQLITE_AUDIT_TRIGGERS:
            conn.exec_driver_sql(ddl)


def _tables() -> list[Any]:
    return list(Base.metadata.sorted_tables)


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows per table (of those the database has: one at an older revision lacks the newer tables)."""
    with engine.connect() as conn:
        existing = set(inspect(conn).get_table_names())
        return {t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one()) for t in _tables()
                if t.name in existing}


def is_empty(engine: Engine) -> bool:
    """Whether no table holds a row (schema only)."""
    existing = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        for t in _tables():
            if t.name in existing and conn.execute(select(t).limit(1)).first() is not None:
                return False
    return True


def _safe_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def info(engine: Engine) -> dict[str, Any]:
    """What ``cleanheat db info`` shows: URL (password hidden), backend, revisions, row counts."""
    rev = current_revision(engine)
    out: dict[str, Any] = {
        "database_url": _safe_url(engine),
        "backend": engine.url.get_backend_name(),
        "revision": rev,
        "head_revision": head_revision(),
        "up_to_date": rev == head_revision(),
    }
    if engine.url.get_backend_name() == "sqlite":
        out["file"] = engine.url.database
        out["exists"] = True
    out["tables"] = table_counts(engine) if rev is not None else {}
    return out


# --------------------------------------------------------------------------------------------
# Backup and restore
# --------------------------------------------------------------------------------------------


def _is_a(col: Any, kind: type) -> bool:
    """Whether a column holds ``kind`` values (through a TypeDecorator such as UTCDateTime too)."""
    typ = col.type.impl if isinstance(col.type, TypeDecorator) else col.type
    return isinstance(typ, kind)


def _encoder(col: Any) -> Any:
    if _is_a(col, DateTime):
        return lambda v: None if v is None else as_utc(v).isoformat()
    return None


def _snapshot(engine: Engine) -> Any:
    """A connection for one consistent read of every table: REPEATABLE READ, read only on PostgreSQL;
    a deferred read transaction on SQLite (its shared lock keeps writers from committing meanwhile)."""
    if engine.dialect.name == "postgresql":
        return engine.connect().execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True,
                                                  **{READ_ONLY: True})
    return engine.connect().execution_options(**{READ_ONLY: True})


def backup(engine: Engine, path: Path) -> dict[str, int]:
    """Write every row of every table to ``path`` (gzip'd JSON), read in one snapshot; returns rows per table.

    The file is written beside ``path`` and renamed over it (:func:`write_atomically`); instants are
    ISO 8601 in UTC with their offset (``2022-08-01T01:00:00+00:00``).
    """
    tables: dict[str, Any] = {}
    counts: dict[str, int] = {}
    with _snapshot(engine) as conn, conn.begin():
        from alembic.runtime.migration import MigrationContext

        rev = MigrationContext.configure(conn).get_current_revision()
        if rev is None:
            raise RegistryError(f"{_safe_url(engine)} has no cleanheat schema: nothing to back up")
        for t in _tables():
            pk = list(t.primary_key.columns)
            encoders = [_encoder(c) for c in t.columns]
            rows = []
            for r in conn.execute(select(t).order_by(*pk)):
                rows.append([enc(v) if enc else v for enc, v in zip(encoders, r, strict=True)])
            tables[t.name] = {"columns": [c.name for c in t.columns], "rows": rows}
            counts[t.name] = len(rows)
    doc = {
        "format": BACKUP_FORMAT,
        "version": 1,
        "revision": rev,
        "created_at": now_utc().isoformat(),
        "tables": tables,
    }
    data = orjson.dumps(doc, option=orjson.OPT_NON_STR_KEYS)
    write_atomically(path, data, gzipped=True)
    return counts


def _read_backup(path: Path) -> dict[str, Any]:
    try:
        with gzip.open(path, "rb") as fh:
            doc = orjson.loads(fh.read())
    except OSError as exc:
        raise InputError(f"cannot read backup {path}: {exc}") from None
    except orjson.JSONDecodeError as exc:
        raise InputError(f"{path} is not a cleanheat backup: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != BACKUP_FORMAT:
        raise InputError(f"{path} is not a cleanheat backup (format {BACKUP_FORMAT!r} expected)")
    return doc


def _instant(v: str) -> dt.datetime:
    """An instant of a backup: ISO 8601 with its offset; a naive value (older backups of SQLite) is UTC."""
    return as_utc(dt.datetime.fromisoformat(v))


def _decoder(col: Any) -> Any:
    if _is_a(col, DateTime):
        return lambda v: None if v is None else _instant(v)
    if _is_a(col, Date):
        return lambda v: None if v is None else dt.date.fromisoformat(v)
    return None


def restore(engine: Engine, path: Path, *, force: bool = False) -> dict[str, int]:
    """Replace the database content with the backup at ``path``, in one transaction.

    Raises
    ------
    Conflict
        If the database holds data and ``force`` is not set.
    InputError
        If the file is not a cleanheat backup, or of a newer schema than this package.
    """
    doc = _read_backup(path)
    if doc["revision"] != head_revision():
        # Older backups are restored into their own revision, then migrated forward.
        if doc["revision"] not in _known_revisions():
            raise InputError(f"{path}: schema revision {doc['revision']!r} is unknown to this cleanheat")
        raise InputError(
            f"{path}: backup of schema revision {doc['revision']}, this cleanheat is at {head_revision()}; "
            "restore it with the cleanheat version that wrote it, then `cleanheat db upgrade`"
        )
    if current_revision(engine) != head_revision():
        upgrade(engine)
    if not force and not is_empty(engine):
        raise Conflict(
            f"{_safe_url(engine)} is not empty; restoring would overwrite it (use --force to replace its content)"
        )
    counts: dict[str, int] = {}
    tables = _tables()
    with engine.begin() as conn, audit_guard_lifted(conn):
        for t in reversed(tables):
            conn.execute(t.delete())
        for t in tables:
            block = doc["tables"].get(t.name)
            if block is None:
                counts[t.name] = 0
                continue
            names = block["columns"]
            decoders = {n: _decoder(t.c[n]) for n in names if n in t.c}
            self_fks = [fk.parent.name for fk in t.foreign_keys if fk.column.table is t]
            rows = []
            for raw in block["rows"]:
                row = {}
                for n, v in zip(names, raw, strict=True):
                    dec = decoders.get(n)
                    row[n] = dec(v) if dec else v
                rows.append(row)
            deferred = [(r, {c: r[c] for c in self_fks if r.get(c) is not None}) for r in rows]
            for r, _ in deferred:
                for c in self_fks:
                    r[c] = None
            for start in range(0, len(rows), 5000):
                conn.execute(insert(t), rows[start:start + 5000])
            pk = next(iter(t.primary_key.columns))
            for r, later in deferred:
                if later:
                    conn.execute(t.update().where(pk == r[pk.name]).values(**later))
            counts[t.name] = len(rows)
        if engine.url.get_backend_name() == "postgresql":
            for t in tables:
                pk_cols = list(t.primary_key.columns)
                if len(pk_cols) == 1 and pk_cols[0].autoincrement is True or (
                    len(pk_cols) == 1 and pk_cols[0].name == "id"
                ):
                    col = pk_cols[0].name
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{t.name}', '{col}'), "
                            f"COALESCE((SELECT MAX({col}) FROM {t.name}), 0) + 1, false)"
                        )
                    )
    return counts
