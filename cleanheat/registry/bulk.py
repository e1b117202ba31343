"""Many-row inserts through the database driver: the ledger import's and the audit log's write path.

SQLAlchemy's Core ``executemany`` spends most of a 27,000-row insert in Python, per row and per
value: building parameter dictionaries, and on PostgreSQL composing and re-parsing statements of
5,000 × 13 placeholders (psycopg parses each such statement anew). :func:`insert_rows` does what that
path does to the values — the column's Python default for a missing value, each column type's own bind
processing for the dialect (``UTCDateTime`` to UTC, JSON to text, dates on SQLite to ISO text) — column
by column, and hands the rows to the driver in one call: ``executemany`` of one prepared statement on
SQLite, ``COPY … FROM STDIN`` on PostgreSQL (psycopg 3). Both run in the caller's transaction, so the
writes stay all or nothing; triggers and constraints apply as to any insert. Other drivers take the
SQLAlchemy path.

:func:`insert_returning_ids` also hands back the new primary keys in the order of the rows:

- SQLite: the rows are inserted, then numbered from the largest key after the insert. The writing
  transaction holds SQLite's only write lock (``BEGIN IMMEDIATE``, :mod:`cleanheat.registry.db`) and a
  new rowid is one more than the largest (https://sqlite.org/autoinc.html), so one insert's rows get
  consecutive keys in order; the count is checked.
- PostgreSQL: the keys are taken from the column's sequence first (``nextval`` once per row, in one
  statement); sequence values are never handed out twice, whatever other transactions do, so the rows
  are inserted with their keys. They ascend in the order of the rows, as ``RETURNING`` sorted by parameter
  order gave them; they need not be consecutive (nor were they).
- Other dialects: ``INSERT … RETURNING`` sorted by parameter order (SQLAlchemy's ``insertmanyvalues``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Column, FromClause, Table, func, insert, select
from sqlalchemy.engine import Connection

__all__ = ["insert_returning_ids", "insert_rows"]

_CHUNK = 5000
"""Rows per statement on the SQLAlchemy path (its ``insertmanyvalues`` batch)."""


def _fast(conn: Connection) -> bool:
    return conn.dialect.name == "sqlite" or (conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg")


def _filler(col: Column[Any]) -> Callable[[], Any] | None:
    """The value of a column its row does not give (its Python default), or ``None``: leave it out."""
    default = col.default
    if default is None:
        return None
    if getattr(default, "is_scalar", False):
        value = default.arg  # type: ignore[attr-defined]
        return lambda: value
    if getattr(default, "is_callable", False):
        fn = default.arg  # type: ignore[attr-defined]  # SQLAlchemy wraps it to take the execution context
        return lambda: fn(None)
    raise NotImplementedError(f"{col}: a default of kind {type(default).__name__}")  # pragma: no cover


def _columns(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], ids: Sequence[int] | None
             ) -> tuple[list[Column[Any]], list[tuple[Any, ...]]]:
    """The columns written and the rows as tuples of driver values (defaults filled, types processed)."""
    dialect = conn.dialect
    keys = list(rows[0])
    cols: list[Column[Any]] = [table.c[k] for k in keys]
    values: list[list[Any]] = [[r[k] for r in rows] for k in keys]
    if ids is not None:
        pk = table.primary_key.columns.values()[0]
        cols.append(pk)
        values.append(list(ids))
    for col in table.columns:
        if col.name in keys or (ids is not None and col.primary_key):
            continue
        fill = _filler(col)
        if fill is not None:
            cols.append(col)
            values.append([fill() for _ in rows])
    for k, col in enumerate(cols):
        process = col.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            values[k] = _processed(process, values[k])
    return cols, list(zip(*values, strict=True))


def _key(v: Any) -> Any:
    """``v`` as a dictionary key that equals only a value the same to a bind processor (hashing may fail)."""
    if v.__class__ is list:
        return (list, tuple((x.__class__, x) for x in v))
    if v.__class__ is dict:
        return (dict, tuple((k, x.__class__, x) for k, x in v.items()))
    return (v.__class__, v)


def _processed(process: Callable[[Any], Any], values: list[Any]) -> list[Any]:
    """``[process(v) for v in values]`` (``None`` included: JSON stores it as ``null``), each distinct value
    processed once: a ledger's dates, flags, areas and JSON lists repeat. A value is the same as another
    only if of the same type (``1`` is not ``True``); a list or dict is the same as one with the same items
    in the same order (items compared with their types too); a value that cannot be a key (a nested list)
    makes every value processed on its own."""
    try:
        keys = [_key(v) for v in values]
        distinct = dict.fromkeys(keys)
    except TypeError:
        return [process(v) for v in values]
    first = dict(zip(keys, values, strict=True)) if len(distinct) < len(keys) else None
    if first is None:  # all distinct
        return [process(v) for v in values]
    done = {k: process(v) for k, v in first.items()}
    return [done[k] for k in keys]


def insert_rows(conn: Connection, table: FromClause, rows: Sequence[Mapping[str, Any]], *,
                ids: Sequence[int] | None = None) -> None:
    """Insert ``rows`` (dicts with the same keys, column names of ``table``) in ``conn``'s transaction.

    ``ids``, if given, are the rows' primary keys. The result is the one of ``conn.execute(insert(table),
    rows)``: the same values stored, defaults applied, triggers and constraints enforced.
    """
    assert isinstance(table, Table), table
    if not rows:
        return
    if not _fast(conn):
        batch = [dict(r) for r in rows]
        if ids is not None:
            pk = table.primary_key.columns.values()[0].name
            for r, i in zip(batch, ids, strict=True):
                r[pk] = i
        for start in range(0, len(batch), _CHUNK):
            conn.execute(insert(table), batch[start:start + _CHUNK])
        return
    cols, tuples = _columns(conn, table, rows, ids)
    prep = conn.dialect.identifier_preparer
    names = ", ".join(prep.quote(c.name) for c in cols)
    target = prep.format_table(table)
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"INSERT INTO {target} ({names}) VALUES ({', '.join('?' for _ in cols)})", tuples)
        return
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cur: Any = raw.cursor()  # psycopg 3: the connection's transaction
    try:
        with cur.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
            for t in tuples:
                copy.write_row(t)
    finally:
        cur.close()


def insert_returning_ids(conn: Connection, table: FromClause, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Insert ``rows`` as :func:`insert_rows`; returns their new primary keys in the order of ``rows``
    (how, per database: the module notes)."""
    assert isinstance(table, Table), table
    if not rows:
        return []
    pk = table.primary_key.columns.values()[0]
    if conn.dialect.name == "sqlite":
        insert_rows(conn, table, rows)
        last = int(conn.execute(select(func.max(pk))).scalar_one())
        first = last - len(rows) + 1
        if conn.execute(select(func.count()).select_from(table).where(pk >= first)).scalar_one() != len(rows):
            raise RuntimeError(f"{table.name}: the inserted rows do not have consecutive keys")  # pragma: no cover
        return list(range(first, last + 1))
    if conn.dialect.name == "postgresql":
        seq = conn.execute(select(func.pg_get_serial_sequence(table.fullname, pk.name))).scalar_one()
        if seq is not None:
            ids = sorted(int(v) for v in conn.execute(
                select(func.nextval(seq)).select_from(func.generate_series(1, len(rows)))).scalars())
            insert_rows(conn, table, rows, ids=ids)
            return ids
    out: list[int] = []
    for start in range(0, len(rows), _CHUNK):
        res = conn.execute(insert(table).returning(pk, sort_by_parameter_order=True),
                           [dict(r) for r in rows[start:start + _CHUNK]])
        out.extend(int(v) for v in res.scalars().all())
    return out
