"""Users of the web application, their roles, login (argon2id, rate-limited) and server-side sessions.

Roles (issue 9, "Users, roles, security"):

========== ================================= ==========================================================
role       name                              may
========== ================================= ==========================================================
admin      县级管理员 county administrator    users, parameters
officer    县级专班 county officer            the whole programme: enterprises, payments, assessments
clerk      乡镇专员 township clerk            its own township only (``township``): ledger, monthly reports
inspector  验收人员 acceptance inspector      records acceptances
enterprise 安装企业 enterprise                its own installations and tickets (``enterprise_code``)
auditor    审计 auditor                       reads everything, the audit log and ``verify``; writes nothing
========== ================================= ==========================================================

The web layer enforces what each role may do; this module keeps who is who and checks passwords.

Passwords are hashed with argon2id (argon2-cffi's :class:`~argon2.PasswordHasher` with its defaults,
RFC 9106's second recommended profile); only the hash is stored, never in the audit log. A hash made
with other parameters is replaced on the next successful login.

Login rate limit (:func:`authenticate`): at most :data:`ACCOUNT_FAILURES_MAX` failed attempts on
one account name, and at most :data:`ADDRESS_FAILURES_MAX` from one address, within any
:data:`FAILURE_WINDOW`; once that many are in the window, every further attempt on that name (or
from that address) is ``throttled``, the right password included, until the oldest of them is older
than the window. Throttled attempts do not count as failures (retrying while throttled does not
prolong the wait).

Sessions: a random token (``secrets.token_urlsafe(32)``, 256 bits) is handed to the client once; the
database keeps only its SHA-256, so a copy of the database (or a backup) opens no session. Each
session has its own CSRF token. A session ends at ``expires_at``, when revoked (logout), when its
user's password is set, or when the user is disabled.

Times are aware UTC instants (:func:`cleanheat.clock.now_utc`); every function takes ``now`` for
tests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import InstrumentedAttribute, Session

from cleanheat.clock import now_utc
from cleanheat.errors import Conflict, InputError, NotFound
from cleanheat.normalise import identifier
from cleanheat.normalise import text as normal_text
from cleanheat.registry import audit
from cleanheat.registry.models import AppUser, AuthSession, Enterprise, LoginAttempt, Township

__all__ = [
    "ACCOUNT_FAILURES_MAX",
    "ADDRESS_FAILURES_MAX",
    "ATTEMPT_RETENTION",
    "FAILURE_WINDOW",
    "FIRST_ADMIN_NAME",
    "HASHER",
    "NAME_MAX",
    "OUTCOMES",
    "PASSWORD_MAX",
    "PASSWORD_MIN",
    "ROLES",
    "ROLE_NAMES",
    "SESSION_KINDS",
    "LoginResult",
    "Principal",
    "add_user",
    "authenticate",
    "precheck_password",
    "disable_user",
    "enable_user",
    "ensure_first_admin",
    "get_user",
    "hash_token",
    "list_users",
    "normalise_name",
    "open_session",
    "purge_expired",
    "resolve_session",
    "resolve_session_with",
    "revoke_session",
    "role_code",
    "set_password",
    "set_role",
]

ROLES = ("admin", "officer", "clerk", "inspector", "enterprise", "auditor")
ROLE_NAMES: dict[str, str] = {
    "admin": "县级管理员 county administrator",
    "officer": "县级专班 county officer",
    "clerk": "乡镇专员 township clerk",
    "inspector": "验收人员 acceptance inspector",
    "enterprise": "安装企业 enterprise",
    "auditor": "审计 auditor",
}
"""Each role's name, Chinese first."""

SESSION_KINDS = ("web", "api")
OUTCOMES = ("ok", "bad_credentials", "disabled", "throttled")

ACCOUNT_FAILURES_MAX = 5
"""Failed login attempts on one account name within :data:`FAILURE_WINDOW` before it is throttled."""
ADDRESS_FAILURES_MAX = 20
"""Failed login attempts from one address within :data:`FAILURE_WINDOW` before it is throttled."""
FAILURE_WINDOW = dt.timedelta(minutes=15)
"""The sliding window of the login rate limit.

Source of the three numbers: NIST SP 800-63B §5.2.2 (rate limiting: at most 100 consecutive failed
attempts per account) and the OWASP Authentication Cheat Sheet ("Account lockout": a threshold of a
few attempts and a lockout of about 15 minutes); we take the stricter end for an office tool with few
users per account, and a higher per-address count because a township office shares one address."""
ATTEMPT_RETENTION = dt.timedelta(days=90)
"""How long :func:`purge_expired` keeps login attempts (for the office's own review)."""

PASSWORD_MIN = 10
"""Shortest password accepted (characters)."""
PASSWORD_MAX = 1024
"""Longest password accepted (characters)."""
NAME_MAX = 32
"""Longest user name (characters): the audit actor ``web:NAME`` must fit its 64-character column."""
FIRST_ADMIN_NAME = "admin"

HASHER = PasswordHasher()
"""The password hasher: argon2-cffi's defaults (argon2id, t=3, m=64 MiB, p=4), ≈ 0.15 s a hash on a
2-core machine. Tests may replace it with a cheaper one (``monkeypatch.setattr(users, "HASHER", …)``);
hashes made with other parameters are still verified, and replaced on the next login."""

_dummy_hashes: dict[tuple[int, int, int, int, int], str] = {}


@dataclass(frozen=True)
class Principal:
    """Who makes a request: a logged-in user, as :func:`resolve_session` finds them.

    ``session_id``, ``csrf_token`` and ``expires_at`` belong to the session the request came with.
    """

    user_id: int
    name: str
    role: str
    township: str | None
    enterprise_code: str | None
    session_id: int | None = None
    csrf_token: str = ""
    expires_at: dt.datetime | None = None

    @property
    def actor(self) -> str:
        """The actor of the audit log for what this user does through the web: ``web:NAME``."""
        return f"web:{self.name}"

    def can_write(self) -> bool:
        """Whether the user may change anything at all (the auditor reads only)."""
        return self.role != "auditor"


@dataclass(frozen=True)
class LoginResult:
    """The outcome of a login attempt: ``ok`` (with ``user``), ``bad_credentials``, ``disabled`` (right
    password, disabled user) or ``throttled`` (try again after ``retry_after_s`` seconds)."""

    user: AppUser | None
    outcome: str
    retry_after_s: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


# --------------------------------------------------------------------------------------------
# names, roles, passwords
# --------------------------------------------------------------------------------------------


def normalise_name(value: str) -> str:
    """A user name as stored and compared: NFKC, no spaces at either end (case is kept)."""
    return normal_text(value)


def role_code(value: str) -> str:
    """A role from its code or its Chinese name (``乡镇专员`` → ``clerk``); InputError (field ``role``) otherwise."""
    v = normal_text(value)
    for code, name in ROLE_NAMES.items():
        if v.lower() in (code, name.lower()) or v == name.partition(" ")[0]:
            return code
    raise InputError(f"unknown role {value!r}; one of {', '.join(f'{c} ({ROLE_NAMES[c]})' for c in ROLES)}",
                     field="role")


def _check_name(name: str) -> str:
    n = normalise_name(name)
    if not n:
        raise InputError("用户名不能为空 the user name is empty", field="name")
    if len(n) > NAME_MAX:
        raise InputError(f"用户名过长 the user name {n!r} has {len(n)} characters, at most {NAME_MAX}", field="name")
    if any(unicodedata.category(c).startswith(("C", "Z")) and c != " " for c in n) or "  " in n:
        raise InputError(f"用户名含控制字符或多余空格 the user name {n!r} holds control characters or doubled spaces",
                         field="name")
    if ":" in n:
        raise InputError(f"用户名不能含冒号 the user name {n!r} may not hold ':' (the audit actor is web:NAME)",
                         field="name")
    return n


def _check_password(password: str, name: str) -> None:
    if not isinstance(password, str) or len(password) < PASSWORD_MIN:
        raise InputError(f"密码至少{PASSWORD_MIN}个字符 the password needs at least {PASSWORD_MIN} characters",
                         record=f"user {name}", field="password")
    if len(password) > PASSWORD_MAX:
        raise InputError(f"密码过长 the password has more than {PASSWORD_MAX} characters", record=f"user {name}",
                         field="password")
    if password.strip().casefold() == name.casefold():
        raise InputError("密码不能与用户名相同 the password may not be the user name", record=f"user {name}",
                         field="password")


def _hash(password: str) -> str:
    return HASHER.hash(password)


def _dummy_hash() -> str:
    """A hash of a random password with the current hasher's parameters, so that an unknown name costs
    the same verification time as a known one."""
    h = HASHER
    key = (h.time_cost, h.memory_cost, h.parallelism, h.hash_len, h.salt_len)
    if key not in _dummy_hashes:
        _dummy_hashes[key] = h.hash(secrets.token_urlsafe(16))
    return _dummy_hashes[key]


def _verify(password_hash: str, password: str) -> bool:
    try:
        return bool(HASHER.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def hash_token(token: str) -> str:
    """The SHA-256 (hex) of a session token: what the database stores and looks up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _known_townships(session: Session) -> tuple[str, ...]:
    """The Township table's names, or (before the reference data is loaded) the plan's eight townships."""
    names = tuple(session.execute(select(Township.name).order_by(Township.id)).scalars())
    if names:
        return names
    from cleanheat.policy.rules.yanchi import TOWNSHIPS

    return TOWNSHIPS


def _scope(session: Session, *, role: str, township: str | None, enterprise_code: str | None,
           name: str) -> tuple[str | None, str | None]:
    """The (township, enterprise code) a user of ``role`` is bound to, checked."""
    town = normal_text(township) or None
    code = identifier(enterprise_code) or None
    rec = f"user {name}"
    if role == "clerk":
        if town is None:
            raise InputError("乡镇专员必须指定乡镇 a township clerk needs a township (--township)", record=rec,
                             field="township")
        known = _known_townships(session)
        if town not in known:
            raise InputError(f"unknown township {town!r}; known: {'、'.join(known)}", record=rec, field="township")
    elif town is not None:
        raise InputError(f"only a township clerk (clerk) has a township, not {role}", record=rec, field="township")
    if role == "enterprise":
        if code is None:
            raise InputError("安装企业用户必须指定企业编号 an enterprise user needs an enterprise code (--enterprise)",
                             record=rec, field="enterprise_code")
        if session.execute(select(Enterprise.id).where(Enterprise.code == code)).first() is None:
            raise InputError(f"no enterprise {code!r} in the registry (add it first: cleanheat enterprise add)",
                             record=rec, field="enterprise_code")
    elif code is not None:
        raise InputError(f"only an enterprise user (enterprise) has an enterprise code, not {role}", record=rec,
                         field="enterprise_code")
    return town, code


def _now(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return now_utc()
    if now.tzinfo is None:
        raise ValueError(f"now={now.isoformat()} is naive; give an aware instant")
    return now.astimezone(dt.UTC)


# --------------------------------------------------------------------------------------------
# users
# --------------------------------------------------------------------------------------------


def get_user(*, session: Session, name: str) -> AppUser:
    """The user called ``name`` (NotFound otherwise)."""
    n = normalise_name(name)
    user = session.execute(select(AppUser).where(AppUser.name == n)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user {n!r}")
    return user


def add_user(*, session: Session, name: str, role: str, password: str, township: str | None = None,
             enterprise_code: str | None = None, actor: str) -> AppUser:
    """Create a user (audited ``user.add``; the password and its hash are never in the audit data).

    Raises
    ------
    InputError
        Bad name; unknown role (field ``role``); a clerk without a known township, an enterprise user
        without a registered enterprise code, another role with either (fields ``township``,
        ``enterprise_code``); a password shorter than :data:`PASSWORD_MIN` or equal to the name
        (field ``password``).
    Conflict
        A user of that name exists (names differing only in case count as the same).
    """
    n = _check_name(name)
    r = role_code(role)
    town, code = _scope(session, role=r, township=township, enterprise_code=enterprise_code, name=n)
    _check_password(password, n)
    clash = session.execute(select(AppUser.name).where(func.lower(AppUser.name) == n.lower())).scalar()
    if clash is not None:
        raise Conflict(f"用户已存在 a user {clash!r} exists already")
    user = AppUser(name=n, role=r, township=town, enterprise_code=code, password_hash=_hash(password),
                   disabled=False, created_at=now_utc(), password_changed_at=now_utc())
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, action="user.add", resource=f"user/{n}",
                 data={"role": r, "township": town, "enterprise_code": code})
    return user


def _user_row(u: AppUser) -> dict[str, object]:
    return {"name": u.name, "role": u.role, "township": u.township, "enterprise_code": u.enterprise_code,
            "disabled": u.disabled, "created_at": u.created_at.isoformat(),
            "last_login_at": u.last_login_at.isoformat() if u.last_login_at is not None else None}


def list_users(*, session: Session) -> list[dict[str, object]]:
    """Every user, by name: role, township, enterprise code, disabled, created and last login (ISO UTC)."""
    return [_user_row(u) for u in session.execute(select(AppUser).order_by(AppUser.name)).scalars()]


def _revoke_all(session: Session, user_id: int, now: dt.datetime) -> int:
    res = session.execute(update(AuthSession).where(AuthSession.user_id == user_id,
                                                    AuthSession.revoked_at.is_(None),
                                                    AuthSession.expires_at > now)
                          .values(revoked_at=now).execution_options(synchronize_session=False))
    return int(res.rowcount or 0)  # type: ignore[attr-defined]


def disable_user(*, session: Session, name: str, actor: str, why: str = "") -> AppUser:
    """Disable a user: no more logins, every live session revoked (audited ``user.disable``).

    Raises
    ------
    NotFound
        No such user.
    Conflict
        The user is the last enabled administrator (nobody could manage users any more).
    """
    user = get_user(session=session, name=name)
    if user.disabled:
        return user
    if user.role == "admin":
        if not _other_enabled_admins(session, user):
            raise Conflict(f"{user.name} 是唯一的管理员 is the last enabled administrator; add another admin first")
    user.disabled = True
    n = _revoke_all(session, user.id, now_utc())
    session.flush()
    audit.record(session, actor=actor, action="user.disable", resource=f"user/{user.name}", why=why,
                 data={"sessions_revoked": n})
    return user


def _other_enabled_admins(session: Session, user: AppUser) -> int:
    return int(session.execute(select(func.count()).select_from(AppUser).where(
        AppUser.role == "admin", AppUser.disabled.is_(False), AppUser.id != user.id)).scalar_one())


def enable_user(*, session: Session, name: str, actor: str, why: str = "") -> AppUser:
    """Let a disabled user log in again (audited ``user.enable``); the sessions ended by the disabling
    stay ended, and a user already enabled is left as it is.

    Raises
    ------
    NotFound
        No such user.
    """
    user = get_user(session=session, name=name)
    if not user.disabled:
        return user
    user.disabled = False
    session.flush()
    audit.record(session, actor=actor, action="user.enable", resource=f"user/{user.name}", why=why, data={})
    return user


def set_role(*, session: Session, name: str, role: str, township: str | None = None,
             enterprise_code: str | None = None, actor: str, why: str = "") -> AppUser:
    """Give a user another role (and the township or enterprise it is bound to), audited ``user.set_role``
    with the old and new values. It applies from the user's next request: a request's user is read from
    the database each time, so no session needs to end.

    Raises
    ------
    NotFound
        No such user.
    InputError
        Unknown role; a township or enterprise code that the role needs and lacks, or does not take
        (as :func:`add_user`).
    Conflict
        The user is the last enabled administrator and the new role is not ``admin``.
    """
    user = get_user(session=session, name=name)
    r = role_code(role)
    town, code = _scope(session, role=r, township=township, enterprise_code=enterprise_code, name=user.name)
    old = {"role": user.role, "township": user.township, "enterprise_code": user.enterprise_code}
    new = {"role": r, "township": town, "enterprise_code": code}
    if old == new:
        return user
    if user.role == "admin" and r != "admin" and not user.disabled and not _other_enabled_admins(session, user):
        raise Conflict(f"{user.name} 是唯一的管理员 is the last enabled administrator; add another admin first")
    user.role, user.township, user.enterprise_code = r, town, code
    session.flush()
    audit.record(session, actor=actor, action="user.set_role", resource=f"user/{user.name}", why=why,
                 data={"old": old, "new": new})
    return user


def set_password(*, session: Session, name: str, password: str, actor: str) -> AppUser:
    """Set a user's password and revoke every live session of theirs (audited ``user.set_password``,
    without the password or its hash)."""
    user = get_user(session=session, name=name)
    _check_password(password, user.name)
    user.password_hash = _hash(password)
    now = now_utc()
    user.password_changed_at = now
    n = _revoke_all(session, user.id, now)
    session.flush()
    audit.record(session, actor=actor, action="user.set_password", resource=f"user/{user.name}",
                 data={"sessions_revoked": n})
    return user


def ensure_first_admin(*, session: Session, actor: str) -> str | None:
    """If no enabled administrator exists, create user ``admin`` with a generated password and return it
    (to be shown once); otherwise ``None``.

    Raises
    ------
    Conflict
        No enabled administrator, but a user called ``admin`` exists (disabled, or of another role).
    """
    have = session.execute(select(AppUser.id).where(AppUser.role == "admin", AppUser.disabled.is_(False))
                           .limit(1)).first()
    if have is not None:
        return None
    if session.execute(select(AppUser.id).where(AppUser.name == FIRST_ADMIN_NAME)).first() is not None:
        raise Conflict(f"no enabled administrator, and user {FIRST_ADMIN_NAME!r} exists (disabled or not an admin): "
                       "add one with `cleanheat users add NAME --role admin --password-stdin`")
    password = secrets.token_urlsafe(18)  # 24 characters, 144 bits
    add_user(session=session, name=FIRST_ADMIN_NAME, role="admin", password=password, actor=actor)
    return password


# --------------------------------------------------------------------------------------------
# login
# --------------------------------------------------------------------------------------------


def _throttle(session: Session, column: InstrumentedAttribute[str], value: str, limit: int, now: dt.datetime) -> int:
    """Seconds until the ``limit``-th latest failure (by ``column == value``) leaves the window; 0 if fewer."""
    since = now - FAILURE_WINDOW
    times = list(session.execute(
        select(LoginAttempt.at).where(column == value, LoginAttempt.at > since,
                                      LoginAttempt.ok.is_(False), LoginAttempt.outcome != "throttled")
        .order_by(LoginAttempt.at.desc()).limit(limit)).scalars())
    if len(times) < limit:
        return 0
    wait = (times[-1] + FAILURE_WINDOW - now).total_seconds()
    return max(1, int(wait + 0.999))


def precheck_password(*, session: Session, name: str, password: str, address: str,
                      now: dt.datetime | None = None) -> str | None:
    """The slow half of a login, in a read-only transaction: the stored hash that ``password`` matches,
    or ``None`` (unknown name, wrong password, or a throttled name or address, whose password is not
    even checked). Hand the result to :func:`authenticate` as ``verified_hash``.

    argon2 takes a fifth of a second by design; done inside the writing transaction of
    :func:`authenticate` it would hold SQLite's write lock meanwhile, and twenty people signing in at
    nine o'clock would queue behind each other. Nothing is recorded here.
    """
    at = _now(now)
    n = normalise_name(name)[:64]
    addr = (address or "")[:64]
    if _throttle(session, LoginAttempt.name, n, ACCOUNT_FAILURES_MAX, at) or (
            addr and _throttle(session, LoginAttempt.address, addr, ADDRESS_FAILURES_MAX, at)):
        return None
    stored = session.execute(select(AppUser.password_hash).where(AppUser.name == n)).scalar_one_or_none()
    if stored is None:
        _verify(_dummy_hash(), password)
        return None
    return stored if _verify(stored, password) else None


def authenticate(*, session: Session, name: str, password: str, address: str,
                 now: dt.datetime | None = None, verified_hash: str | None | bool = False) -> LoginResult:
    """Check a login; never raises for bad credentials (the caller commits the recorded attempt).

    Every attempt is recorded in ``login_attempt``. The rate limit (module notes) is checked first:
    a throttled attempt is refused without checking the password. An unknown name is verified
    against a dummy hash, so it takes as long as a known one, and answers ``bad_credentials`` too.
    A disabled user with the right password gets ``disabled``; with a wrong one ``bad_credentials``.
    On success the hash is replaced if the hasher's parameters changed, and ``last_login_at`` is set.

    ``verified_hash`` (from :func:`precheck_password`, run before in a read-only transaction) skips the
    password check here: the password matches only if the user's stored hash is still the one it
    matched (a password changed in between makes it a failure).

    Audited: a successful login (``user.login``) and the first throttled attempt of a lockout
    (``user.login``, outcome ``failure``: one entry per name or address per window, however often
    it is retried). Plain failures are only in ``login_attempt``, so that guessing cannot flood the
    audit chain.
    """
    at = _now(now)
    n = normalise_name(name)[:64]
    addr = (address or "")[:64]
    wait_account = _throttle(session, LoginAttempt.name, n, ACCOUNT_FAILURES_MAX, at)
    wait_address = _throttle(session, LoginAttempt.address, addr, ADDRESS_FAILURES_MAX, at) if addr else 0
    if wait_account or wait_address:
        wait = max(wait_account, wait_address)
        by_address = wait_address >= wait_account
        key = (LoginAttempt.address == addr) if by_address else (LoginAttempt.name == n)
        already = session.execute(select(LoginAttempt.id).where(
            key, LoginAttempt.outcome == "throttled", LoginAttempt.at > at - FAILURE_WINDOW).limit(1)).first()
        session.add(LoginAttempt(name=n, address=addr, at=at, ok=False, outcome="throttled"))
        if already is None:  # the client is not logged in: it is not the user it names
            audit.record(session, actor="web:anonymous", action="user.login", resource=f"user/{n}"[:64],
                         outcome="failure", why="throttled",
                         data={"name": n, "address": addr, "by": "address" if by_address else "account",
                               "retry_after_s": wait})
        session.flush()
        return LoginResult(None, "throttled", wait)
    user = session.execute(select(AppUser).where(AppUser.name == n)).scalar_one_or_none()
    prechecked = verified_hash is not False
    if user is None:
        if not prechecked:
            _verify(_dummy_hash(), password)
        outcome = "bad_credentials"
    elif (user.password_hash != verified_hash) if prechecked else not _verify(user.password_hash, password):
        outcome = "bad_credentials"
    elif user.disabled:
        outcome = "disabled"
    else:
        outcome = "ok"
    session.add(LoginAttempt(name=n, address=addr, at=at, ok=outcome == "ok", outcome=outcome))
    if outcome != "ok" or user is None:
        session.flush()
        return LoginResult(None, outcome)
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _hash(password)
    user.last_login_at = at
    session.flush()
    audit.record(session, actor=f"web:{user.name}", action="user.login", resource=f"user/{user.name}",
                 data={"address": addr})
    return LoginResult(user, "ok")


# --------------------------------------------------------------------------------------------
# sessions
# --------------------------------------------------------------------------------------------


def open_session(*, session: Session, user: AppUser, kind: str = "web", ttl: dt.timedelta, address: str = "",
                 now: dt.datetime | None = None) -> tuple[str, AuthSession]:
    """Open a session for ``user`` (after :func:`authenticate`); returns (the token, the stored session).

    The token is returned here only; the database keeps its SHA-256. ``kind`` is ``web`` (the
    browser cookie) or ``api`` (a bearer token); the session expires ``ttl`` after ``now``.
    """
    if kind not in SESSION_KINDS:
        raise InputError(f"unknown session kind {kind!r}; one of {', '.join(SESSION_KINDS)}", field="kind")
    if ttl <= dt.timedelta(0):
        raise InputError(f"a session needs a positive lifetime, got {ttl}", field="ttl")
    if user.disabled:
        raise Conflict(f"user {user.name} is disabled")
    at = _now(now)
    token = secrets.token_urlsafe(32)
    row = AuthSession(token_sha256=hash_token(token), user_id=user.id, kind=kind,
                      csrf_token=secrets.token_urlsafe(32), created_at=at, expires_at=at + ttl, revoked_at=None,
                      address=(address or "")[:64])
    session.add(row)
    session.flush()
    return token, row


def resolve_session(*, session: Session | Connection, token: str, kind: str | None = None,
                    now: dt.datetime | None = None) -> Principal | None:
    """The user of a session token, or ``None`` when the token is unknown, expired or revoked, or its
    user disabled (and, with ``kind``, when the session is of another kind). One indexed query, on a
    session or a bare connection (:func:`cleanheat.registry.db.read_connection`, the web's hot path)."""
    return resolve_session_with(session=session, token=token, kind=kind, now=now)[0]


def resolve_session_with(*, session: Session | Connection, token: str, kind: str | None = None,
                         now: dt.datetime | None = None, columns: Sequence[Any] = ()
                         ) -> tuple[Principal | None, tuple[Any, ...]]:
    """:func:`resolve_session`, reading ``columns`` (scalar subqueries of no user's business, e.g. the
    registry's state, :func:`cleanheat.registry.services.chain_cache.data_key_columns`) in the same
    statement: (the user or ``None``, their values — empty when no user was found)."""
    if not token or not isinstance(token, str) or len(token) > 256:
        return None, ()
    at = _now(now)
    q = (select(AuthSession.id, AuthSession.csrf_token, AuthSession.expires_at, AppUser.id, AppUser.name,
                AppUser.role, AppUser.township, AppUser.enterprise_code, *columns)
         .join(AppUser, AppUser.id == AuthSession.user_id)
         .where(AuthSession.token_sha256 == hash_token(token), AuthSession.revoked_at.is_(None),
                AuthSession.expires_at > at, AppUser.disabled.is_(False)))
    if kind is not None:
        q = q.where(AuthSession.kind == kind)
    row = session.execute(q).first()
    if row is None:
        return None, ()
    sid, csrf, expires_at, uid, uname, role, town, code = row[:8]
    return Principal(user_id=uid, name=uname, role=role, township=town, enterprise_code=code, session_id=sid,
                     csrf_token=csrf, expires_at=expires_at), tuple(row[8:])


def revoke_session(*, session: Session, token: str, actor: str, now: dt.datetime | None = None) -> None:
    """End the session of ``token`` (logout; audited ``session.revoke``). An unknown, expired or already
    revoked token is left as it is, without error."""
    if not token or not isinstance(token, str) or len(token) > 256:
        return
    at = _now(now)
    row = session.execute(select(AuthSession.id, AuthSession.kind, AppUser.name)
                          .join(AppUser, AppUser.id == AuthSession.user_id)
                          .where(AuthSession.token_sha256 == hash_token(token), AuthSession.revoked_at.is_(None),
                                 AuthSession.expires_at > at)).first()
    if row is None:
        return
    sid, kind, uname = row
    session.execute(update(AuthSession).where(AuthSession.id == sid).values(revoked_at=at)
                    .execution_options(synchronize_session=False))
    audit.record(session, actor=actor, action="session.revoke", resource=f"user/{uname}",
                 data={"session_id": sid, "kind": kind})


def purge_expired(*, session: Session, now: dt.datetime | None = None) -> int:
    """Delete sessions that have expired or were revoked, and login attempts older than
    :data:`ATTEMPT_RETENTION`; returns the number of sessions deleted.

    Housekeeping, not audited: these sessions open nothing any more (their opening was audited as
    the login, their revocation as ``session.revoke``).
    """
    at = _now(now)
    res = session.execute(delete(AuthSession).where(or_(AuthSession.expires_at <= at,
                                                        AuthSession.revoked_at.is_not(None)))
                          .execution_options(synchronize_session=False))
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < at - ATTEMPT_RETENTION)
                    .execution_options(synchronize_session=False))
    return int(res.rowcount or 0)  # type: ignore[attr-defined]
