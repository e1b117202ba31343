"""Which commands may create or migrate a database (newcomer review H; code review §4 Migrations).

Only ``db upgrade``, ``db restore`` and ``demo load`` may create a database; only ``db upgrade``
migrates. Every other command on a mistyped path says so, on an older schema says to run
``cleanheat db upgrade``, and a read command writes nothing.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from cleanheat.cli import main
from cleanheat.registry import db
from tests.registry import factories


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def url(path: Path) -> str:
    return f"sqlite:///{path}"


COMMANDS = [
    ["status"],
    ["report", "laggards", "--month", "2022-11"],
    ["audit", "verify"],
    ["ticket", "overdue"],
    ["ledger", "search", "张"],
    ["enterprise", "add", "ENT-X", "--name", "x", "--actor", "x"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_mistyped_path_is_an_error_not_a_new_programme(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          args: list[str]) -> None:
    typo = tmp_path / "regsitry" / "cleanheat.sqlite3"
    code, out, err = run([*args, "--database-url", url(typo)], capsys)
    assert code == 3 and f"no cleanheat database at {typo}" in err and "cleanheat db upgrade" in err
    assert "Traceback" not in err and not typo.parent.exists()


def test_a_plain_path_gets_the_url_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["status", "--database-url", str(tmp_path / "r.sqlite3")], capsys)
    assert code == 2 and f"write sqlite:///{tmp_path / 'r.sqlite3'}" in err


def test_db_upgrade_creates_and_then_the_commands_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "new" / "r.sqlite3"
    code, out, _ = run(["db", "upgrade", "--json", "--database-url", url(path)], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["from_revision"] is None and doc["revision"] == db.head_revision()
    assert run(["status", "--json", "--database-url", url(path)], capsys)[0] == 0


def _older(path: Path) -> str:
    from alembic import command

    engine = db.open_database(url(path), create=True)
    try:
        with db.session_scope(engine) as s:
            factories.programme(s)
        with engine.begin() as conn:
            command.downgrade(db._alembic_config(conn), "-1")
        rev = db.current_revision(engine)
        assert rev is not None
        return rev
    finally:
        engine.dispose()


def test_read_commands_neither_migrate_nor_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "r.sqlite3"
    old = _older(path)
    before = path.read_bytes()
    for args in (["status"], ["report", "plan"], ["audit", "log"], ["enterprise", "status", "ENT-A"]):
        code, _, err = run([*args, "--database-url", url(path)], capsys)
        assert code == 1 and f"schema revision {old}" in err and "run `cleanheat db upgrade`" in err, args
    code, out, _ = run(["db", "info", "--json", "--database-url", url(path)], capsys)
    assert code == 0 and json.loads(out)["revision"] == old and json.loads(out)["up_to_date"] is False
    assert path.read_bytes() == before  # nothing migrated, nothing written
    assert run(["db", "upgrade", "--database-url", url(path)], capsys)[0] == 0
    assert run(["status", "--database-url", url(path)], capsys)[0] == 0
    with sqlite3.connect(path) as conn:
        (n,) = conn.execute("SELECT count(*) FROM audit_event").fetchone()
    code, _, _ = run(["report", "laggards", "--month", "2023-11", "--database-url", url(path)], capsys)
    assert code == 0
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM audit_event").fetchone() == (n,)


def test_ticket_open_on_a_date_and_times_in_programme_time(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "r.sqlite3"
    engine = db.open_database(url(path), create=True)
    try:
        with db.session_scope(engine) as s:
            factories.programme(s)
            factories.accepted_installation(s, 1)
    finally:
        engine.dispose()
    u = ["--database-url", url(path)]
    code, out, err = run(["ticket", "open", "YC-T-000001", "--category", "quality", "--actor", "农户",
                          "--on", "2022-08-01 17:00", "--json", *u], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["opened_at"] == "2022-08-01T09:00:00+00:00" and doc["respond_by"] == "2022-08-03T09:00:00+00:00"
    code, out, _ = run(["ticket", "open", "YC-T-000001", "--category", "quality", "--actor", "农户",
                        "--on", "2022-08-01 17:00", *u], capsys)
    assert code == 0 and "2022-08-01 17:00 (UTC+8)" in out and "2022-08-03 17:00 (UTC+8)" in out
    code, _, err = run(["ticket", "open", "YC-T-000001", "--category", "quality", "--actor", "农户",
                        "--on", "2027-07-02", *u], capsys)
    assert code == 4 and "service period ended on 2027-07-01" in err
    code, _, err = run(["ticket", "open", "YC-T-000001", "--category", "quality", "--actor", "农户",
                        "--on", "1 Aug", *u], capsys)
    assert code == 2 and "YYYY-MM-DD" in err
    code, out, _ = run(["audit", "log", "--resource", "ticket/1", *u], capsys)
    assert code == 0 and "(UTC+8)" in out
