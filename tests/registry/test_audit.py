"""The audit log is hash-chained: an edited, deleted or inserted entry is found by verify()."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, delete, select, update

from cleanheat.registry import audit, db
from cleanheat.registry.models import AuditEvent


def _fill(engine: Engine, n: int = 5) -> None:
    with db.session_scope(engine) as s:
        for k in range(1, n + 1):
            audit.record(s, actor="乡镇", action="household.created", resource=f"household/YC-{k}", why="import",
                         data={"k": k})


def _verify(engine: Engine) -> tuple[int, audit.Break | None]:
    with db.session_scope(engine) as s:
        return audit.verify(s)


def test_intact_chain_verifies(engine: Engine) -> None:
    _fill(engine)
    assert _verify(engine) == (5, None)


def test_empty_chain_verifies(engine: Engine) -> None:
    assert _verify(engine) == (0, None)


def test_entries_are_cloudevents(engine: Engine) -> None:
    _fill(engine, 2)
    with db.session_scope(engine) as s:
        (ev,) = audit.log(s, resource="household/YC-2")
    assert ev["specversion"] == "1.0" and ev["type"] == "cn.cleanheat.household.created"
    assert ev["subject"] == "household/YC-2" and ev["actor"] == "乡镇" and ev["outcome"] == "success"
    assert ev["why"] == "import" and ev["data"] == {"k": 2} and ev["sequence"] == 2
    assert len(ev["hash"]) == 64 and ev["prevhash"] != ev["hash"]


@pytest.mark.parametrize("column,value", [("actor", "someone else"), ("data", '{"k": 99}'), ("time", "2020-01-01"),
                                          ("outcome", "failure")])
def test_edited_entry_is_named(engine: Engine, column: str, value: str) -> None:
    _fill(engine)
    with engine.begin() as conn, db.audit_guard_lifted(conn):  # a tamperer with database rights
        conn.execute(update(AuditEvent).where(AuditEvent.seq == 3).values({column: value}))
    n, brk = _verify(engine)
    assert brk is not None and brk.seq == 3 and "edited" in brk.problem


def test_rehashed_edit_breaks_the_next_link(engine: Engine) -> None:
    _fill(engine)
    with engine.begin() as conn, db.audit_guard_lifted(conn):  # a tamperer with database rights
        conn.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(why="x", hash="f" * 64))
    n, brk = _verify(engine)
    assert brk is not None and brk.seq == 2


def test_deleted_entry_is_named(engine: Engine) -> None:
    _fill(engine)
    with engine.begin() as conn, db.audit_guard_lifted(conn):  # a tamperer with database rights
        conn.execute(delete(AuditEvent).where(AuditEvent.seq == 2))
    n, brk = _verify(engine)
    assert brk is not None and brk.seq == 2 and "missing" in brk.problem


def test_deleted_tail_is_found(engine: Engine) -> None:
    _fill(engine)
    with engine.begin() as conn, db.audit_guard_lifted(conn):  # a tamperer with database rights
        conn.execute(delete(AuditEvent).where(AuditEvent.seq == 5))
    n, brk = _verify(engine)
    assert brk is not None and brk.seq == 5 and "deleted" in brk.problem


def test_chain_continues_across_transactions(engine: Engine) -> None:
    _fill(engine, 2)
    _fill(engine, 2)
    with db.session_scope(engine) as s:
        seqs = list(s.execute(select(AuditEvent.seq).order_by(AuditEvent.seq)).scalars())
    assert seqs == [1, 2, 3, 4]
    assert _verify(engine) == (4, None)


def test_database_refuses_to_change_the_log(engine: Engine) -> None:
    _fill(engine, 2)
    for stmt in (update(AuditEvent).where(AuditEvent.seq == 1).values(actor="x"),
                 delete(AuditEvent).where(AuditEvent.seq == 2)):
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(stmt)
    assert _verify(engine) == (2, None)


def test_first_entries_from_two_connections_do_not_fork(db_url: str) -> None:
    """Two transactions writing the very first entries at once: one chain, no fork, no error."""
    import threading

    engine = db.open_database(db_url, create=True)
    try:
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def writer(k: int) -> None:
            sqlite = engine.url.get_backend_name() == "sqlite"  # SQLite writers queue at BEGIN IMMEDIATE
            try:
                if sqlite:
                    barrier.wait(timeout=10)
                with db.session_scope(engine) as s:
                    s.connection()
                    if not sqlite:
                        barrier.wait(timeout=10)
                    audit.record(s, actor=f"w{k}", action="test.write", resource=f"test/{k}")
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(k,)) for k in (1, 2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not errors
        assert _verify(engine) == (2, None)
    finally:
        engine.dispose()
