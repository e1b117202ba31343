"""Users, roles, login with its rate limit, and server-side sessions (services/users.py), on both backends."""

from __future__ import annotations

import datetime as dt
import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from cleanheat.errors import Conflict, InputError, NotFound
from cleanheat.registry import audit, db
from cleanheat.registry.models import AppUser, AuditEvent, AuthSession, Base, LoginAttempt
from cleanheat.registry.services import places, users

from . import factories

UTC = dt.UTC
T0 = dt.datetime(2026, 1, 5, 1, 0, tzinfo=UTC)  # 09:00 in Yanchi
PW = "correct horse battery"
HOUR = dt.timedelta(hours=1)
PRODUCTION_HASHER = users.HASHER  # before any test replaces it


@pytest.fixture(autouse=True)
def fast_hasher(monkeypatch: pytest.MonkeyPatch) -> PasswordHasher:
    """argon2id at its cheapest (t=1, 8 KiB, p=1): the same code path, microseconds a hash."""
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(users, "HASHER", hasher)
    return hasher


def _add(s: Session, name: str = "zhang", role: str = "officer", **kw: Any) -> AppUser:
    return users.add_user(session=s, name=name, role=role, password=kw.pop("password", PW), actor="cli:root", **kw)


def _events(s: Session, action: str) -> list[AuditEvent]:
    return list(s.execute(select(AuditEvent).where(AuditEvent.type == f"cn.cleanheat.{action}")
                          .order_by(AuditEvent.seq)).scalars())


def _login(s: Session, password: str = PW, *, name: str = "zhang", address: str = "10.0.0.1",
           now: dt.datetime = T0) -> users.LoginResult:
    return users.authenticate(session=s, name=name, password=password, address=address, now=now)


# --------------------------------------------------------------------------------------------
# users and roles
# --------------------------------------------------------------------------------------------


def test_add_and_list_users(session: Session) -> None:
    places.ensure_reference_data(session=session)
    _add(session, "  ｚｈａｎｇ ")  # full-width and spaces: NFKC, stripped
    _add(session, "李四", "clerk", township="惠安堡镇")
    rows = {r["name"]: r for r in users.list_users(session=session)}
    assert set(rows) == {"zhang", "李四"}
    assert rows["李四"]["role"] == "clerk" and rows["李四"]["township"] == "惠安堡镇"
    assert rows["zhang"]["township"] is None and rows["zhang"]["disabled"] is False
    assert rows["zhang"]["last_login_at"] is None
    assert dt.datetime.fromisoformat(str(rows["zhang"]["created_at"])).tzinfo is not None
    assert users.get_user(session=session, name="zhang").role == "officer"
    with pytest.raises(NotFound):
        users.get_user(session=session, name="nobody")


def test_a_name_is_unique_whatever_its_case(session: Session) -> None:
    _add(session, "Zhang")
    with pytest.raises(Conflict):
        _add(session, "Zhang", "auditor")
    with pytest.raises(Conflict):
        _add(session, "zhang", "auditor")


@pytest.mark.parametrize(("kw", "field"), [
    ({"role": "root"}, "role"),
    ({"role": "clerk"}, "township"),                                     # a clerk needs a township
    ({"role": "clerk", "township": "银川市"}, "township"),                # not a township of Yanchi
    ({"role": "officer", "township": "惠安堡镇"}, "township"),            # only a clerk has one
    ({"role": "enterprise"}, "enterprise_code"),                         # an enterprise user needs its code
    ({"role": "enterprise", "enterprise_code": "ENT-ZZ"}, "enterprise_code"),  # not in the registry
    ({"role": "inspector", "enterprise_code": "ENT-A"}, "enterprise_code"),
    ({"role": "officer", "password": "short9cha"}, "password"),          # 9 characters < 10
    ({"role": "officer", "password": "zhangzhang"}, None),               # fine: 10 characters, not the name
    ({"role": "officer", "name": "a:b"}, "name"),
    ({"role": "officer", "name": "x" * 33}, "name"),
    ({"role": "officer", "name": "   "}, "name"),
])
def test_role_rules(session: Session, kw: dict[str, Any], field: str | None) -> None:
    factories.programme(session)
    kw = dict(kw)  # the parameters are shared by both backends
    name = kw.pop("name", "wang")
    role = kw.pop("role")
    if field is None:
        assert _add(session, name, role, **kw).role == role
        return
    with pytest.raises(InputError) as exc:
        _add(session, name, role, **kw)
    assert exc.value.field == field


def test_the_password_may_not_be_the_name(session: Session) -> None:
    with pytest.raises(InputError) as exc:
        _add(session, "longername1", password="LongerName1")
    assert exc.value.field == "password"


def test_roles_by_chinese_name_and_scopes(session: Session) -> None:
    factories.programme(session)
    assert _add(session, "e1", "安装企业", enterprise_code="ＥＮＴ－Ａ").enterprise_code == "ENT-A"
    assert _add(session, "i1", "验收人员").role == "inspector"
    assert set(users.ROLE_NAMES) == set(users.ROLES)
    assert users.ROLE_NAMES["clerk"] == "乡镇专员 township clerk"


def test_a_clerk_township_from_the_plan_before_reference_data(session: Session) -> None:
    # no Township rows yet: the plan's eight townships are the known ones
    assert session.execute(select(func.count()).select_from(places.Township)).scalar_one() == 0
    assert _add(session, "c1", "clerk", township="麻黄山乡").township == "麻黄山乡"
    with pytest.raises(InputError):
        _add(session, "c2", "clerk", township="麻黄山")


def test_the_audit_log_never_holds_the_password_or_its_hash(session: Session) -> None:
    user = _add(session)
    users.set_password(session=session, name="zhang", password="another password", actor="cli:root")
    _login(session, "another password")
    users.disable_user(session=session, name="zhang", actor="cli:root", why="left the office")
    rows = list(session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars())
    types = [r.type.removeprefix("cn.cleanheat.") for r in rows]
    assert types == ["user.add", "user.set_password", "user.login", "user.disable"]
    assert all(r.subject == "user/zhang" for r in rows)
    assert rows[0].actor == "cli:root" and rows[2].actor == "web:zhang"
    assert orjson.loads(rows[0].data) == {"role": "officer", "township": None, "enterprise_code": None}
    assert rows[3].why == "left the office"
    text = " ".join(f"{r.data} {r.why}" for r in rows)
    for secret in (PW, "another password", user.password_hash, "$argon2"):
        assert secret not in text
    assert audit.verify(session)[1] is None


def test_the_last_admin_cannot_be_disabled(session: Session) -> None:
    _add(session, "boss", "admin")
    with pytest.raises(Conflict):
        users.disable_user(session=session, name="boss", actor="cli:root")
    _add(session, "boss2", "admin")
    assert users.disable_user(session=session, name="boss", actor="cli:root").disabled


def test_ensure_first_admin_is_idempotent(session: Session) -> None:
    _add(session, "auditor1", "auditor")
    password = users.ensure_first_admin(session=session, actor="serve")
    assert password is not None and len(password) >= 16
    assert users.get_user(session=session, name="admin").role == "admin"
    assert users.ensure_first_admin(session=session, actor="serve") is None
    assert len([r for r in users.list_users(session=session) if r["role"] == "admin"]) == 1
    assert _login(session, password, name="admin").outcome == "ok"
    assert password not in " ".join(e.data for e in _events(session, "user.add"))


# --------------------------------------------------------------------------------------------
# login
# --------------------------------------------------------------------------------------------


def test_authenticate_ok_bad_unknown_disabled(session: Session) -> None:
    user = _add(session)
    ok = _login(session)
    assert ok.outcome == "ok" and ok.ok and ok.user is not None and ok.user.id == user.id
    assert user.last_login_at == T0
    bad = _login(session, "wrong password")
    assert (bad.outcome, bad.user, bad.retry_after_s) == ("bad_credentials", None, 0)
    assert _login(session, name="nobody").outcome == "bad_credentials"  # unknown: the same answer
    assert _login(session, name=" zhang ").outcome == "ok"             # the name normalised as stored
    _add(session, "boss", "admin")
    users.disable_user(session=session, name="zhang", actor="boss")
    assert _login(session).outcome == "disabled"                      # right password, disabled
    assert _login(session, "wrong password").outcome == "bad_credentials"
    attempts = list(session.execute(select(LoginAttempt).order_by(LoginAttempt.id)).scalars())
    assert [(a.name, a.ok, a.outcome) for a in attempts] == [
        ("zhang", True, "ok"), ("zhang", False, "bad_credentials"), ("nobody", False, "bad_credentials"),
        ("zhang", True, "ok"), ("zhang", False, "disabled"), ("zhang", False, "bad_credentials")]
    assert all(a.address == "10.0.0.1" and a.at == T0 for a in attempts)
    assert len(_events(session, "user.login")) == 2  # successes only


def test_an_unknown_name_is_checked_against_a_hash_too(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    real = users._verify
    monkeypatch.setattr(users, "_verify", lambda h, p: seen.append(h) or real(h, p))
    _login(session, name="nobody")
    assert len(seen) == 1 and seen[0].startswith("$argon2id$")


def test_a_login_checked_before_in_a_read_only_transaction(session: Session) -> None:
    """precheck_password (argon2 outside the write lock) + authenticate(verified_hash=...) decide as one call."""
    _add(session)

    def two_phase(password: str, *, name: str = "zhang", now: dt.datetime = T0) -> users.LoginResult:
        matched = users.precheck_password(session=session, name=name, password=password, address="10.0.0.1", now=now)
        return users.authenticate(session=session, name=name, password=password, address="10.0.0.1", now=now,
                                  verified_hash=matched)

    assert two_phase(PW).outcome == "ok"
    assert two_phase("wrong password").outcome == "bad_credentials"
    assert two_phase(PW, name="nobody").outcome == "bad_credentials"
    # the password changed between the check and the recording: the old one no longer opens a session
    matched = users.precheck_password(session=session, name="zhang", password=PW, address="10.0.0.1", now=T0)
    users.set_password(session=session, name="zhang", password="another password 2", actor="cli:root")
    late = users.authenticate(session=session, name="zhang", password=PW, address="10.0.0.1", now=T0,
                              verified_hash=matched)
    assert late.outcome == "bad_credentials"
    # a throttled name is not even checked, and authenticate still says throttled
    for k in range(users.ACCOUNT_FAILURES_MAX):
        two_phase("wrong password", now=T0 + dt.timedelta(minutes=k))
    at = T0 + dt.timedelta(minutes=6)
    assert users.precheck_password(session=session, name="zhang", password="another password 2",
                                   address="10.0.0.1", now=at) is None
    assert two_phase("another password 2", now=at).outcome == "throttled"


def test_throttled_per_account_until_the_window_passes(session: Session) -> None:
    _add(session)
    for k in range(users.ACCOUNT_FAILURES_MAX):  # 5 failures, one a minute, from different addresses
        r = _login(session, "wrong password", address=f"10.0.1.{k}", now=T0 + dt.timedelta(minutes=k))
        assert r.outcome == "bad_credentials"
    # the 6th attempt, at 00:05, is throttled even with the right password; the first failure (00:00)
    # leaves the 15-minute window at 00:15, 600 s later
    r = _login(session, address="10.0.2.1", now=T0 + dt.timedelta(minutes=5))
    assert (r.outcome, r.user, r.retry_after_s) == ("throttled", None, 600)
    # retrying while throttled does not prolong the wait
    r = _login(session, address="10.0.2.1", now=T0 + dt.timedelta(minutes=14, seconds=59))
    assert (r.outcome, r.retry_after_s) == ("throttled", 1)
    # another account is not affected
    _add(session, "li")
    assert _login(session, name="li", address="10.0.1.0", now=T0 + dt.timedelta(minutes=6)).outcome == "ok"
    # past the window of the first failure: 4 failures left in it, the right password works again
    r = _login(session, now=T0 + dt.timedelta(minutes=15, seconds=1))
    assert r.outcome == "ok"
    # audited once per lockout, as a failure without the password
    (ev,) = [e for e in _events(session, "user.login") if e.outcome == "failure"]
    assert ev.why == "throttled" and ev.actor == "web:anonymous" and ev.subject == "user/zhang"
    assert orjson.loads(ev.data) == {"name": "zhang", "address": "10.0.2.1", "by": "account", "retry_after_s": 600}
    outcomes = list(session.execute(select(LoginAttempt.outcome).order_by(LoginAttempt.id)).scalars())
    assert outcomes.count("throttled") == 2


def test_throttled_per_address(session: Session) -> None:
    _add(session)
    # 20 failures from one address, on 20 different names (4 each at most: no account is throttled)
    for k in range(users.ADDRESS_FAILURES_MAX):
        r = _login(session, "wrong password", name=f"guess{k}", address="203.0.113.9",
                   now=T0 + dt.timedelta(seconds=30 * k))
        assert r.outcome == "bad_credentials"
    at = T0 + dt.timedelta(minutes=10)
    r = _login(session, address="203.0.113.9", now=at)
    assert r.outcome == "throttled" and r.retry_after_s == 300  # first failure at 00:00 leaves at 00:15
    assert _login(session, address="198.51.100.7", now=at).outcome == "ok"  # the account itself is fine
    assert _login(session, address="203.0.113.9", now=T0 + dt.timedelta(minutes=15, seconds=1)).outcome == "ok"
    assert [orjson.loads(e.data)["by"] for e in _events(session, "user.login") if e.outcome == "failure"] == \
        ["address"]


def test_a_login_rehashes_an_old_hash(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    user = _add(session)
    old = user.password_hash
    monkeypatch.setattr(users, "HASHER", PasswordHasher(time_cost=2, memory_cost=16, parallelism=1))
    assert _login(session).outcome == "ok"
    assert user.password_hash != old and "m=16,t=2,p=1" in user.password_hash
    assert _login(session, now=T0 + HOUR).outcome == "ok"


def test_production_hasher_keeps_argon2_defaults() -> None:
    default, h = PasswordHasher(), PRODUCTION_HASHER
    assert (h.time_cost, h.memory_cost, h.parallelism, h.hash_len, h.salt_len, h.type) == (
        default.time_cost, default.memory_cost, default.parallelism, default.hash_len, default.salt_len, default.type)


# --------------------------------------------------------------------------------------------
# sessions
# --------------------------------------------------------------------------------------------


def _open(s: Session, user: AppUser, *, kind: str = "web", ttl: dt.timedelta = HOUR,
          now: dt.datetime = T0) -> tuple[str, AuthSession]:
    return users.open_session(session=s, user=user, kind=kind, ttl=ttl, address="10.0.0.1", now=now)


def test_open_and_resolve_a_session(session: Session) -> None:
    places.ensure_reference_data(session=session)
    user = _add(session, "李四", "clerk", township="惠安堡镇")
    token, row = _open(session, user)
    assert len(token) >= 43 and row.expires_at == T0 + HOUR and row.kind == "web"
    p = users.resolve_session(session=session, token=token, now=T0 + dt.timedelta(minutes=59))
    assert p == users.Principal(user_id=user.id, name="李四", role="clerk", township="惠安堡镇", enterprise_code=None,
                                session_id=row.id, csrf_token=row.csrf_token, expires_at=T0 + HOUR)
    assert p.actor == "web:李四" and p.can_write()
    assert len(p.csrf_token) >= 32
    assert users.resolve_session(session=session, token=token, now=T0 + HOUR) is None  # expired at expires_at
    assert users.resolve_session(session=session, token=token + "x", now=T0) is None
    assert users.resolve_session(session=session, token="", now=T0) is None
    assert users.resolve_session(session=session, token=token, kind="api", now=T0) is None
    assert users.resolve_session(session=session, token=token, kind="web", now=T0) is not None
    token2, row2 = _open(session, user)
    assert token2 != token and row2.csrf_token != row.csrf_token


def test_resolve_is_one_query(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        token, _ = _open(s, _add(s))
    with db.session_scope(engine) as s:
        s.execute(select(1))  # the transaction has begun
        statements: list[str] = []

        def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert users.resolve_session(session=s, token=token, now=T0) is not None
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1 and "JOIN app_user" in statements[0]


def test_the_token_is_stored_hashed(engine: Engine, tmp_path: Path) -> None:
    with db.session_scope(engine) as s:
        token, row = _open(s, _add(s))
        assert row.token_sha256 == users.hash_token(token) and len(row.token_sha256) == 64
    path = tmp_path / "b.json.gz"
    db.backup(engine, path)
    dump = gzip.decompress(path.read_bytes()).decode()
    assert token not in dump and users.hash_token(token) in dump and PW not in dump
    with engine.connect() as conn:
        for t in Base.metadata.sorted_tables:
            for r in conn.execute(select(t)):
                assert token not in repr(tuple(r)), t.name


def test_revoked_and_disabled_sessions_resolve_to_nothing(session: Session) -> None:
    user = _add(session)
    _add(session, "boss", "admin")
    t1, _ = _open(session, user, now=users.now_utc())
    t2, _ = _open(session, user, kind="api", now=users.now_utc())
    users.revoke_session(session=session, token=t1, actor="web:zhang")
    assert users.resolve_session(session=session, token=t1) is None
    assert users.resolve_session(session=session, token=t2) is not None
    users.revoke_session(session=session, token=t1, actor="web:zhang")  # again: nothing, no second entry
    users.revoke_session(session=session, token="unknown", actor="web:zhang")
    (ev,) = _events(session, "session.revoke")
    assert ev.actor == "web:zhang" and orjson.loads(ev.data)["kind"] == "web"
    users.disable_user(session=session, name="zhang", actor="web:boss")
    assert users.resolve_session(session=session, token=t2) is None
    assert orjson.loads(_events(session, "user.disable")[0].data) == {"sessions_revoked": 1}
    with pytest.raises(Conflict):
        _open(session, user)


def test_set_password_revokes_sessions(session: Session) -> None:
    user = _add(session)
    token, _ = _open(session, user, now=users.now_utc())
    users.set_password(session=session, name="zhang", password="a new long password", actor="cli:root")
    assert users.resolve_session(session=session, token=token) is None
    assert _login(session).outcome == "bad_credentials"
    assert _login(session, "a new long password").outcome == "ok"
    assert orjson.loads(_events(session, "user.set_password")[0].data) == {"sessions_revoked": 1}
    with pytest.raises(InputError):
        users.set_password(session=session, name="zhang", password="short", actor="cli:root")


def test_purge_expired(session: Session) -> None:
    user = _add(session)
    live, _ = _open(session, user, ttl=dt.timedelta(days=2))
    _open(session, user, ttl=HOUR)
    revoked, _ = _open(session, user, ttl=dt.timedelta(days=2))
    users.revoke_session(session=session, token=revoked, actor="x", now=T0)
    _login(session, now=T0 - dt.timedelta(days=91))
    _login(session, now=T0)
    assert users.purge_expired(session=session, now=T0 + 2 * HOUR) == 2
    assert users.resolve_session(session=session, token=live, now=T0 + 2 * HOUR) is not None
    assert session.execute(select(func.count()).select_from(AuthSession)).scalar_one() == 1
    assert list(session.execute(select(LoginAttempt.at)).scalars()) == [T0]


def test_session_arguments_are_checked(session: Session) -> None:
    user = _add(session)
    with pytest.raises(InputError):
        _open(session, user, kind="cookie")
    with pytest.raises(InputError):
        _open(session, user, ttl=dt.timedelta(0))


def test_public_names() -> None:
    assert all(hasattr(users, name) for name in users.__all__)


def test_the_auditor_reads_only() -> None:
    p = users.Principal(user_id=1, name="审计1", role="auditor", township=None, enterprise_code=None)
    assert not p.can_write() and p.actor == "web:审计1" and p.session_id is None and p.csrf_token == ""


# --------------------------------------------------------------------------------------------
# backup and restore
# --------------------------------------------------------------------------------------------


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    eng = db.open_database(f"sqlite:///{tmp_path / 'dst.sqlite3'}", create=True)
    try:
        yield eng
    finally:
        eng.dispose()


def test_backup_and_restore_keep_users_and_sessions(engine: Engine, sqlite_engine: Engine, tmp_path: Path) -> None:
    with db.session_scope(engine) as s:
        user = _add(s)
        token, _ = _open(s, user, ttl=dt.timedelta(days=1), now=users.now_utc())
        _login(s, "wrong password")
    db.backup(engine, tmp_path / "b.json.gz")
    db.restore(sqlite_engine, tmp_path / "b.json.gz")
    counts = db.table_counts(sqlite_engine)
    assert (counts["app_user"], counts["auth_session"], counts["login_attempt"]) == (1, 1, 1)
    assert counts == db.table_counts(engine)
    with db.session_scope(sqlite_engine) as s:
        assert users.resolve_session(session=s, token=token) is not None
        assert _login(s, now=T0 + HOUR).outcome == "ok"
        assert audit.verify(s)[1] is None


def test_enable_lets_a_disabled_user_in_again_without_old_sessions(session: Session) -> None:
    user = _add(session)
    _add(session, "boss", "admin")
    token, _ = _open(session, user, now=users.now_utc())
    users.disable_user(session=session, name="zhang", actor="web:boss", why="调离岗位")
    assert _login(session, now=users.now_utc()).outcome == "disabled"
    assert users.enable_user(session=session, name="zhang", actor="web:boss", why="返岗").disabled is False
    assert _login(session, now=users.now_utc()).outcome == "ok"
    assert users.resolve_session(session=session, token=token) is None  # the disabling ended it for good
    users.enable_user(session=session, name="zhang", actor="web:boss")  # already enabled: no second entry
    (ev,) = _events(session, "user.enable")
    assert (ev.actor, ev.subject, ev.why) == ("web:boss", "user/zhang", "返岗")
    with pytest.raises(NotFound):
        users.enable_user(session=session, name="nobody", actor="web:boss")


def test_set_role_checks_the_scope_and_applies_at_the_next_request(session: Session) -> None:
    places.ensure_reference_data(session=session)
    user = _add(session)  # an officer
    boss = _add(session, "boss", "admin")
    token, _ = _open(session, user, now=users.now_utc())
    with pytest.raises(InputError) as err:
        users.set_role(session=session, name="zhang", role="clerk", actor="web:boss")
    assert err.value.field == "township"
    with pytest.raises(InputError) as err:
        users.set_role(session=session, name="zhang", role="auditor", township="花马池镇", actor="web:boss")
    assert err.value.field == "township"
    users.set_role(session=session, name="zhang", role="乡镇专员", township="花马池镇", actor="web:boss", why="分工")
    who = users.resolve_session(session=session, token=token)
    assert who is not None and (who.role, who.township) == ("clerk", "花马池镇")  # same session, new role
    users.set_role(session=session, name="zhang", role="clerk", township="花马池镇", actor="web:boss")  # no change
    (ev,) = _events(session, "user.set_role")
    assert orjson.loads(ev.data) == {"old": {"role": "officer", "township": None, "enterprise_code": None},
                                     "new": {"role": "clerk", "township": "花马池镇", "enterprise_code": None}}
    assert ev.why == "分工" and ev.actor == "web:boss"
    with pytest.raises(Conflict):  # the last enabled admin keeps the role
        users.set_role(session=session, name=boss.name, role="officer", actor="web:boss")
    _add(session, "boss2", "admin")
    assert users.set_role(session=session, name="boss", role="officer", actor="web:boss2").role == "officer"
    with pytest.raises(InputError) as err:
        users.set_role(session=session, name="boss", role="mayor", actor="web:boss2")
    assert err.value.field == "role"
