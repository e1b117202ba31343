"""``cleanheat users``: who may log in to the web application, with which role.

Roles, by code or Chinese name: admin 县级管理员, officer 县级专班, clerk 乡镇专员 (with ``--township``),
inspector 验收人员, enterprise 安装企业 (with ``--enterprise``), auditor 审计. A password is read from
stdin (``--password-stdin``: one line, its newline removed), never from the command line, where
other users of the machine and the shell history would see it; on a terminal it is asked for twice,
without echo. Every change is audited with ``--actor`` (default ``cli:`` and the login name).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from cleanheat.cli import render
from cleanheat.cli.registry.common import DB_URL, JSON_OUT, LABELS, kv, local_instant, session_scope, show, tz_label

if TYPE_CHECKING:
    from rich.console import Console


users_app = typer.Typer(help="网页用户 Users of the web application: roles, passwords, disabling.",
                        no_args_is_help=True)


ACTOR_OPT = typer.Option(None, "--actor", metavar="NAME", help="Who does this, recorded in the audit log "
                         "(default: cli: and your login name).", show_default=False)

PASSWORD_STDIN = typer.Option(False, "--password-stdin", help="Read the password from stdin (one line); on a "
                              "terminal it is asked for, without echo.")

USER_LABELS = {**LABELS, "name": "用户名 user", "role": "角色 role", "township": "乡镇 township",
               "enterprise_code": "企业编号 enterprise", "disabled": "已停用 disabled",
               "created_at": "创建时间 created", "last_login_at": "最近登录 last login",
               "sessions_revoked": "注销的会话 sessions revoked"}


def default_actor(actor: str | None) -> str:
    """``--actor``, or ``cli:`` and the operating-system login name."""
    if actor:
        return actor
    import getpass
    import os

    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (e.g. a container)
        who = os.environ.get("USER", "") or "unknown"
    return f"cli:{who}"[:64]


def read_password(password_stdin: bool) -> str:
    """The password from stdin: one line without its newline (a terminal is asked twice, without echo).
    InputError (exit 2) without ``--password-stdin``, or for an empty or mismatched password."""
    from cleanheat.errors import InputError

    if not password_stdin:
        raise InputError("give the password on stdin with --password-stdin (never on the command line), e.g. "
                         "`printf '%s\\n' \"$PW\" | cleanheat users add …`", field="password")
    if sys.stdin is not None and sys.stdin.isatty():
        import getpass

        password = getpass.getpass("密码 password: ")
        if getpass.getpass("再输入一次 again: ") != password:
            raise InputError("两次输入的密码不一致 the two passwords differ", field="password")
    else:
        line = sys.stdin.readline() if sys.stdin is not None else ""
        password = line.removesuffix("\n").removesuffix("\r")
    if not password:
        raise InputError("密码为空 the password on stdin is empty", field="password")
    return password


def _role_shown(code: str) -> str:
    from cleanheat.registry.services.users import ROLE_NAMES

    return ROLE_NAMES.get(code, code)


ROLE_OPT = typer.Option(..., "--role", metavar="ROLE", help="admin 县级管理员 | officer 县级专班 | clerk 乡镇专员 | "
                                                           "inspector 验收人员 | enterprise 安装企业 | auditor 审计")
TOWNSHIP_OPT = typer.Option(None, "--township", metavar="NAME",
                            help="乡镇 the clerk's township, e.g. 惠安堡镇 (clerk only).")
ENTERPRISE_OPT = typer.Option(None, "--enterprise", metavar="CODE",
                              help="企业编号 the enterprise, e.g. ENT-12 (enterprise only).")


NAME_ARG = typer.Argument(..., metavar="NAME", help="用户名 login name.")
WHY_OPT = typer.Option("", "--why", metavar="TEXT", help="原因 why, recorded in the audit log.")


@users_app.command("add")
def users_add(name: str = typer.Argument(..., metavar="NAME", help="用户名 login name, e.g. 张三 or hab-clerk."),
              role: str = ROLE_OPT, township: str | None = TOWNSHIP_OPT, enterprise: str | None = ENTERPRISE_OPT,
              password_stdin: bool = PASSWORD_STDIN, actor: str | None = ACTOR_OPT,
              json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Add a user who may log in to the web application (audited; the password is stored hashed)."""
    from cleanheat.registry.services import users

    code = users.role_code(role)
    password = read_password(password_stdin)
    with session_scope(database_url) as session:
        u = users.add_user(session=session, name=name, role=code, password=password, township=township,
                           enterprise_code=enterprise, actor=default_actor(actor))
        doc = {"name": u.name, "role": u.role, "township": u.township, "enterprise_code": u.enterprise_code}
    kv(doc, json_out, "用户已添加 user added", shown={**doc, "role": _role_shown(doc["role"] or "")},
       labels=USER_LABELS)


@users_app.command("list")
def users_list(json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Every user: role, township or enterprise, disabled, created, last login."""
    from cleanheat.registry.services import users

    with session_scope(database_url, read_only=True) as session:
        rows = users.list_users(session=session)
    zone = tz_label()
    labels = {**USER_LABELS, "created_at": f"创建时间 created ({zone})",
              "last_login_at": f"最近登录 last login ({zone})"}

    def draw(c: Console) -> None:
        if not rows:
            c.print("还没有用户 no users yet: `cleanheat users add NAME --role admin --password-stdin`")
            return
        shown = [{**r, "role": _role_shown(str(r["role"])), "township": r["township"] or "—",
                  "enterprise_code": r["enterprise_code"] or "—", "created_at": local_instant(r["created_at"]),
                  "last_login_at": local_instant(r["last_login_at"])} for r in rows]
        c.print(render.records_table(f"网页用户 users ({len(rows):,})", shown, labels,
                                     keys=["name", "role", "township", "enterprise_code", "disabled", "created_at",
                                           "last_login_at"],
                                     style=lambda r: "dim" if r["disabled"] else None))

    show(rows, json_out, draw)


@users_app.command("disable")
def users_disable(name: str = NAME_ARG, why: str = WHY_OPT, actor: str | None = ACTOR_OPT, json_out: bool = JSON_OUT,
                  database_url: str | None = DB_URL) -> None:
    """Disable a user: no more logins, every open session ends (audited)."""
    _switch(name, enabled=False, why=why, actor=actor, json_out=json_out, database_url=database_url)


@users_app.command("enable")
def users_enable(name: str = NAME_ARG, why: str = WHY_OPT, actor: str | None = ACTOR_OPT, json_out: bool = JSON_OUT,
                 database_url: str | None = DB_URL) -> None:
    """Let a disabled user log in again (audited); sessions ended by the disabling stay ended."""
    _switch(name, enabled=True, why=why, actor=actor, json_out=json_out, database_url=database_url)


def _switch(name: str, *, enabled: bool, why: str, actor: str | None, json_out: bool,
            database_url: str | None) -> None:
    """``users enable`` / ``users disable``."""
    from cleanheat.registry.services import users

    change = users.enable_user if enabled else users.disable_user
    with session_scope(database_url) as session:
        u = change(session=session, name=name, actor=default_actor(actor), why=why)
        doc = {"name": u.name, "role": u.role, "disabled": u.disabled}
    kv(doc, json_out, "用户已启用 user enabled" if enabled else "用户已停用 user disabled",
       shown={**doc, "role": _role_shown(str(doc["role"]))}, labels=USER_LABELS)


@users_app.command("set-role")
def users_set_role(name: str = NAME_ARG,
                   role: str = ROLE_OPT, township: str | None = TOWNSHIP_OPT, enterprise: str | None = ENTERPRISE_OPT,
                   why: str = WHY_OPT, actor: str | None = ACTOR_OPT, json_out: bool = JSON_OUT,
                   database_url: str | None = DB_URL) -> None:
    """Give a user another role (and township or enterprise); it applies from their next request (audited)."""
    from cleanheat.registry.services import users

    with session_scope(database_url) as session:
        u = users.set_role(session=session, name=name, role=role, township=township, enterprise_code=enterprise,
                           actor=default_actor(actor), why=why)
        doc = {"name": u.name, "role": u.role, "township": u.township, "enterprise_code": u.enterprise_code}
    kv(doc, json_out, "角色已更改 role changed", shown={**doc, "role": _role_shown(doc["role"] or "")},
       labels=USER_LABELS)


@users_app.command("set-password")
def users_set_password(name: str = typer.Argument(..., metavar="NAME", help="用户名 login name."),
                       password_stdin: bool = PASSWORD_STDIN, actor: str | None = ACTOR_OPT,
                       json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Set a user's password (read from stdin); the user's open sessions end (audited)."""
    from cleanheat.registry.services import users

    password = read_password(password_stdin)
    with session_scope(database_url) as session:
        u = users.set_password(session=session, name=name, password=password, actor=default_actor(actor))
        doc = {"name": u.name, "password_set": True}
    kv(doc, json_out, "密码已更新 password set", labels={**USER_LABELS, "password_set": "密码已更新 password set"})


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``cleanheat`` app."""
    app.add_typer(users_app, name="users")
