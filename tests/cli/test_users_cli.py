"""``cleanheat users add|list|disable|set-password``: passwords from stdin, JSON out, user errors exit cleanly."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from cleanheat.cli import main
from cleanheat.registry import audit, db
from cleanheat.registry.services import users
from tests.registry.conftest import db_url, pg_schema  # noqa: F401  (fixtures: SQLite and PostgreSQL)

PW = "correct horse battery"


@pytest.fixture(autouse=True)
def fast_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(users, "HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def url(db_url: str) -> str:  # noqa: F811
    db.open_database(db_url, create=True).dispose()
    return db_url


def run(args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    with pytest.raises(SystemExit) as exc:
        main(args)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def _login(url: str, name: str, password: str) -> str:
    engine = db.open_database(url)
    try:
        with db.session_scope(engine) as s:
            return users.authenticate(session=s, name=name, password=password, address="127.0.0.1").outcome
    finally:
        engine.dispose()


def test_add_list_disable(url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    u = ["--database-url", url]
    code, out, err = run(["users", "add", "张三", "--role", "admin", "--password-stdin", "--json", *u],
                         capsys, monkeypatch, PW + "\n")
    assert code == 0, err
    assert json.loads(out) == {"name": "张三", "role": "admin", "township": None, "enterprise_code": None}
    code, out, err = run(["users", "add", "hab", "--role", "乡镇专员", "--township", "惠安堡镇", "--password-stdin",
                          "--actor", "县住建局", *u], capsys, monkeypatch, "clerk password 1\r\n")
    assert code == 0, err
    assert "乡镇专员 township clerk" in out and "惠安堡镇" in out
    code, out, _ = run(["users", "list", "--json", *u], capsys, monkeypatch)
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["hab"]["role"] == "clerk" and rows["hab"]["township"] == "惠安堡镇"
    assert rows["张三"]["disabled"] is False and rows["张三"]["last_login_at"] is None
    assert _login(url, "hab", "clerk password 1") == "ok"  # the newline (CR LF too) is not part of it
    code, out, _ = run(["users", "list", *u], capsys, monkeypatch)
    assert code == 0 and "网页用户 users (2)" in out and "县级管理员" in out
    code, out, err = run(["users", "disable", "hab", "--why", "调岗 moved", "--json", *u], capsys, monkeypatch)
    assert code == 0, err
    assert json.loads(out) == {"name": "hab", "role": "clerk", "disabled": True}
    assert _login(url, "hab", "clerk password 1") == "disabled"
    engine = db.open_database(url)
    try:
        with db.session_scope(engine) as s:
            actors = [e["actor"] for e in audit.log(s, limit=10)]
    finally:
        engine.dispose()
    assert "县住建局" in actors and any(a.startswith("cli:") for a in actors)


def test_set_password(url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    u = ["--database-url", url]
    assert run(["users", "add", "li", "--role", "officer", "--password-stdin", *u], capsys, monkeypatch,
               PW + "\n")[0] == 0
    code, out, err = run(["users", "set-password", "li", "--password-stdin", "--json", *u], capsys, monkeypatch,
                         "a brand new password\n")
    assert code == 0, err
    assert json.loads(out) == {"name": "li", "password_set": True}
    assert _login(url, "li", PW) == "bad_credentials"
    assert _login(url, "li", "a brand new password") == "ok"
    code, _, err = run(["users", "set-password", "nobody", "--password-stdin", *u], capsys, monkeypatch,
                       "a brand new password\n")
    assert code == 3 and "nobody" in err and "Traceback" not in err


@pytest.mark.parametrize(("args", "stdin", "code", "says"), [
    (["--role", "root", "--password-stdin"], PW, 2, "unknown role"),
    (["--role", "clerk", "--password-stdin"], PW, 2, "township"),
    (["--role", "officer", "--password-stdin"], "", 2, "empty"),
    (["--role", "officer", "--password-stdin"], "\n", 2, "empty"),
    (["--role", "officer", "--password-stdin"], "short\n", 2, "password"),
    (["--role", "officer"], PW, 2, "--password-stdin"),
])
def test_user_errors_exit_without_traceback(url: str, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch, args: list[str], stdin: str, code: int,
                                            says: str) -> None:
    got, out, err = run(["users", "add", "wang", *args, "--database-url", url], capsys, monkeypatch, stdin)
    assert got == code and says in err and "Traceback" not in err and out == ""
    assert run(["users", "list", "--json", "--database-url", url], capsys, monkeypatch)[1].strip() == "[]"


def test_duplicate_is_a_conflict(url: str, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["users", "add", "wang", "--role", "auditor", "--password-stdin", "--database-url", url]
    assert run(args, capsys, monkeypatch, PW)[0] == 0
    code, _, err = run(args, capsys, monkeypatch, PW)
    assert code == 4 and "exists" in err and "Traceback" not in err


def test_the_password_is_not_in_the_database_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "r.sqlite3"
    db.open_database(f"sqlite:///{path}", create=True).dispose()
    assert run(["users", "add", "wang", "--role", "inspector", "--password-stdin", "--database-url",
                f"sqlite:///{path}"], capsys, monkeypatch, PW + "\n")[0] == 0
    conn = sqlite3.connect(path)
    try:
        (stored,) = conn.execute("SELECT password_hash FROM app_user").fetchone()
    finally:
        conn.close()
    assert stored.startswith("$argon2id$") and PW.encode() not in path.read_bytes()
