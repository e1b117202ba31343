"""Engines, sessions, schema migrations (Alembic, shipped in the package), backup and restore.

A backup is a gzip'd JSON document holding every row of every table and the schema revision;
it restores into SQLite or PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
import gzip
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Date, DateTime, Engine, create_engine, event, func, insert, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from cleanheat.errors import Conflict, InputError, RegistryError
from cleanheat.registry.models import Base

__all__ = [
    "BACKUP_FORMAT",
    "audit_guard_lifted",
    "backup",
    "current_revision",
    "head_revision",
    "info",
    "is_empty",
    "make_engine",
    "open_database",
    "restore",
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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # the driver must not open transactions itself: _sqlite_begin does, as BEGIN IMMEDIATE
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    """Take SQLite's write lock at the start of every transaction, so two writers (two clerks paying at
    once) queue up instead of one failing half-way with "database is locked"; the busy timeout is 30 s."""
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; a SQLite file's folder is created, foreign keys are enforced.

    Raises
    ------
    InputError
        If the URL cannot be parsed.
    """
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy.exc.ArgumentError and friends
        raise InputError(f"not a database URL: {url!r} ({exc})", field="database_url") from None
    try:
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
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


def open_database(url: str, *, migrate: bool = True, **kwargs: Any) -> Engine:
    """An engine on ``url`` whose schema is at the newest revision (migrated if needed)."""
    engine = make_engine(url, **kwargs)
    try:
        if migrate:
            if current_revision(engine) != head_revision():
                upgrade(engine)
        else:
            with engine.connect():
                pass
    except OperationalError as exc:
        engine.dispose()
        raise RegistryError(f"cannot open the database {_safe_url(engine)}: {exc.orig}") from None
    except BaseException:
        engine.dispose()
        raise
    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error."""
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as session, session.begin():
        yield session


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
    """Rows per table."""
    with engine.connect() as conn:
        return {t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one()) for t in _tables()}


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
    out["tables"] = table_counts(engine) if rev is not None else {}
    return out


# --------------------------------------------------------------------------------------------
# Backup and restore
# --------------------------------------------------------------------------------------------


def _jsonable_row(row: Any) -> list[Any]:
    return list(row)


def backup(engine: Engine, path: Path) -> dict[str, int]:
    """Write every row of every table to ``path`` (gzip'd JSON); returns rows per table."""
    rev = current_revision(engine)
    if rev is None:
        raise RegistryError(f"{_safe_url(engine)} has no cleanheat schema: nothing to back up")
    tables: dict[str, Any] = {}
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        for t in _tables():
            pk = list(t.primary_key.columns)
            rows = conn.execute(select(t).order_by(*pk)).all()
            tables[t.name] = {"columns": [c.name for c in t.columns], "rows": [list(r) for r in rows]}
            counts[t.name] = len(rows)
    doc = {
        "format": BACKUP_FORMAT,
        "version": 1,
        "revision": rev,
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "tables": tables,
    }
    data = orjson.dumps(doc, option=orjson.OPT_NON_STR_KEYS)
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb", compresslevel=6) as fh:
        fh.write(data)
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


def _decoder(col: Any) -> Any:
    if isinstance(col.type, DateTime):
        return lambda v: None if v is None else dt.datetime.fromisoformat(v)
    if isinstance(col.type, Date):
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
        from alembic.script import ScriptDirectory

        known = {s.revision for s in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}
        if doc["revision"] not in known:
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
