"""User administration (county administrator only): list, add, disable, enable, change role, set a password —
``/users``.

Every change goes through :mod:`cleanheat.registry.services.users` (the same audited services as
``cleanheat users``) with the administrator as actor (``web:<admin>``); passwords are never shown
again nor logged. Anyone but an administrator gets 403, pages and API alike.

Pages
    ``GET /users``; ``POST /users`` (add: name, role, township for a clerk, enterprise code for an
    enterprise user, initial password); ``POST /users/{name}/disable``; ``POST /users/{name}/enable``;
    ``POST /users/{name}/role`` (role, township, enterprise code, reason); ``POST /users/{name}/password``.

API
    ``GET /api/v1/users``, ``POST /api/v1/users``, ``POST /api/v1/users/{name}/disable``,
    ``POST /api/v1/users/{name}/enable``, ``POST /api/v1/users/{name}/role``,
    ``POST /api/v1/users/{name}/password``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from cleanheat.errors import Conflict, InputError, NotFound
from cleanheat.registry.services.users import Principal
from cleanheat.web.deps import ReadSession, language, reading, render, require, writing
from cleanheat.web.nav import N_, ROLE_LABELS

__all__ = ["NewUser", "PasswordIn", "RoleIn", "router"]

router = APIRouter()

ADMIN = require("admin")
DONE = {"added": N_("User %(name)s added."), "disabled": N_("User %(name)s disabled; their sessions are ended."),
        "password": N_("Password of %(name)s set; their sessions are ended."),
        "enabled": N_("User %(name)s may sign in again."),
        "role": N_("Role of %(name)s changed; it applies from their next page.")}


def _local(instant: object) -> str:
    import datetime as dt

    from cleanheat.clock import format_local

    if not isinstance(instant, str) or not instant:
        return "—"
    return format_local(dt.datetime.fromisoformat(instant))


def _page(request: Request, s: Any, *, form: dict[str, str] | None = None,
          message: tuple[str, str] | None = None, status_code: int = 200) -> Response:
    from cleanheat.registry.services import users, users_view

    rows = [{**u, "created": _local(u.get("created_at")), "last_login": _local(u.get("last_login_at"))}
            for u in users.list_users(session=s)]
    ctx = {"active": "/users", "users": rows, "roles": list(ROLE_LABELS.items()),
           "townships": users_view.township_choices(s), "enterprises": users_view.enterprise_choices(s),
           "form": form or {"role": "clerk"}, "messages": [message] if message else [],
           "password_min": users.PASSWORD_MIN}
    return render(request, "admin/users.html", ctx, status_code=status_code)


def _failed(request: Request, exc: Exception, form: dict[str, str] | None = None) -> Response:
    status = 409 if isinstance(exc, Conflict) else 404 if isinstance(exc, NotFound) else 422
    with reading(request) as s:
        return _page(request, s, form=form, message=("danger", str(exc)), status_code=status)


def _done(what: str, name: str) -> RedirectResponse:
    from urllib.parse import quote

    return RedirectResponse(f"/users?done={what}&name={quote(name)}", status_code=303)


@router.get("/users", include_in_schema=False)
def users_page(request: Request, s: ReadSession, who: Annotated[Principal, Depends(ADMIN)],
               done: str | None = None, name: str | None = None) -> Response:
    from cleanheat.web.i18n import translations

    message = None
    if done in DONE and name:
        message = ("success", translations(language(request)).gettext(DONE[done]) % {"name": name})
    return _page(request, s, message=message)


@router.post("/users", include_in_schema=False)
def add_user_form(request: Request, who: Annotated[Principal, Depends(ADMIN)], name: Annotated[str, Form()],
                  role: Annotated[str, Form()], password: Annotated[str, Form()],
                  township: Annotated[str, Form()] = "", enterprise_code: Annotated[str, Form()] = "") -> Response:
    from cleanheat.registry.services import users

    form = {"name": name, "role": role, "township": township, "enterprise_code": enterprise_code}
    try:
        with writing(request) as s:
            user = users.add_user(session=s, name=name, role=role, password=password,
                                  township=township if role == "clerk" else None,
                                  enterprise_code=enterprise_code if role == "enterprise" else None, actor=who.actor)
            added = user.name
    except (InputError, Conflict) as exc:
        return _failed(request, exc, form)
    return _done("added", added)


@router.post("/users/{name}/disable", include_in_schema=False)
def disable_user_form(request: Request, name: str, who: Annotated[Principal, Depends(ADMIN)],
                      why: Annotated[str, Form()] = "") -> Response:
    return _switch_form(request, name, who, why, enabled=False)


@router.post("/users/{name}/enable", include_in_schema=False)
def enable_user_form(request: Request, name: str, who: Annotated[Principal, Depends(ADMIN)],
                     why: Annotated[str, Form()] = "") -> Response:
    return _switch_form(request, name, who, why, enabled=True)


def _switch_form(request: Request, name: str, who: Principal, why: str, *, enabled: bool) -> Response:
    from cleanheat.registry.services import users

    change = users.enable_user if enabled else users.disable_user
    try:
        with writing(request) as s:
            change(session=s, name=name, actor=who.actor, why=why.strip())
    except (NotFound, Conflict) as exc:
        return _failed(request, exc)
    return _done("enabled" if enabled else "disabled", name)


@router.post("/users/{name}/role", include_in_schema=False)
def set_role_form(request: Request, name: str, who: Annotated[Principal, Depends(ADMIN)],
                  role: Annotated[str, Form()], township: Annotated[str, Form()] = "",
                  enterprise_code: Annotated[str, Form()] = "", why: Annotated[str, Form()] = "") -> Response:
    from cleanheat.registry.services import users

    try:
        with writing(request) as s:
            users.set_role(session=s, name=name, role=role, township=township if role == "clerk" else None,
                           enterprise_code=enterprise_code if role == "enterprise" else None, actor=who.actor,
                           why=why.strip())
    except (InputError, NotFound, Conflict) as exc:
        return _failed(request, exc)
    return _done("role", name)


@router.post("/users/{name}/password", include_in_schema=False)
def set_password_form(request: Request, name: str, who: Annotated[Principal, Depends(ADMIN)],
                      password: Annotated[str, Form()]) -> Response:
    from cleanheat.registry.services import users

    try:
        with writing(request) as s:
            users.set_password(session=s, name=name, password=password, actor=who.actor)
    except (InputError, NotFound) as exc:
        return _failed(request, exc)
    return _done("password", name)


# --------------------------------------------------------------------------------------------
# API
# --------------------------------------------------------------------------------------------


class NewUser(BaseModel):
    """A user to add (as ``cleanheat users add``)."""

    name: str = Field(min_length=1, max_length=64)
    role: str = Field(description="admin, officer, clerk, inspector, enterprise or auditor")
    password: str = Field(description="The initial password (at least 10 characters, not the name)")
    township: str | None = Field(None, description="A clerk's township (only for role clerk)")
    enterprise_code: str | None = Field(None, description="An enterprise user's company (only for role enterprise)")


class PasswordIn(BaseModel):
    password: str


class DisableIn(BaseModel):
    why: str = ""


class RoleIn(BaseModel):
    """A user's new role (as ``cleanheat users set-role``)."""

    role: str = Field(description="admin, officer, clerk, inspector, enterprise or auditor")
    township: str | None = Field(None, description="A clerk's township (only for role clerk)")
    enterprise_code: str | None = Field(None, description="An enterprise user's company (only for role enterprise)")
    why: str = ""


@router.get("/api/v1/users", tags=["users"], summary="Users (= cleanheat users list --json)")
def api_users(s: ReadSession, who: Annotated[Principal, Depends(ADMIN)]) -> Response:
    from cleanheat.registry.services import users

    return JSONResponse(users.list_users(session=s))


@router.post("/api/v1/users", tags=["users"], summary="Add a user", status_code=201)
def api_add_user(request: Request, body: NewUser, who: Annotated[Principal, Depends(ADMIN)]) -> Response:
    from cleanheat.registry.services import users

    with writing(request) as s:
        u = users.add_user(session=s, name=body.name, role=body.role, password=body.password,
                           township=body.township, enterprise_code=body.enterprise_code, actor=who.actor)
        row = {"name": u.name, "role": u.role, "township": u.township, "enterprise_code": u.enterprise_code,
               "disabled": u.disabled}
    return JSONResponse(row, status_code=201)


@router.post("/api/v1/users/{name}/disable", tags=["users"], summary="Disable a user and end their sessions")
def api_disable_user(request: Request, name: str, who: Annotated[Principal, Depends(ADMIN)],
                     body: DisableIn | None = None) -> Response:
    return _api_switch(request, name, who, body, enabled=False)


@router.post("/api/v1/users/{name}/enable", tags=["users"], summary="Let a disabled user sign in again")
def api_enable_user(request: Request, name: str, who: Annotated[Principal, Depends(ADMIN)],
                    body: DisableIn | None = None) -> Response:
    return _api_switch(request, name, who, body, enabled=True)


def _api_switch(request: Request, name: str, who: Principal, body: DisableIn | None, *, enabled: bool) -> Response:
    from cleanheat.registry.services import users

    change = users.enable_user if enabled else users.disable_user
    with writing(request) as s:
        u = change(session=s, name=name, actor=who.actor, why=(body.why if body else "").strip())
        row = {"name": u.name, "disabled": u.disabled}
    return JSONResponse(row)


@router.post("/api/v1/users/{name}/role", tags=["users"], summary="Give a user another role")
def api_set_role(request: Request, name: str, body: RoleIn, who: Annotated[Principal, Depends(ADMIN)]) -> Response:
    from cleanheat.registry.services import users

    with writing(request) as s:
        u = users.set_role(session=s, name=name, role=body.role, township=body.township,
                           enterprise_code=body.enterprise_code, actor=who.actor, why=body.why.strip())
        row = {"name": u.name, "role": u.role, "township": u.township, "enterprise_code": u.enterprise_code,
               "disabled": u.disabled}
    return JSONResponse(row)


@router.post("/api/v1/users/{name}/password", tags=["users"], summary="Set a user's password, ending their sessions")
def api_set_password(request: Request, name: str, body: PasswordIn,
                     who: Annotated[Principal, Depends(ADMIN)]) -> Response:
    from cleanheat.registry.services import users

    with writing(request) as s:
        u = users.set_password(session=s, name=name, password=body.password, actor=who.actor)
        row = {"name": u.name, "password_set": True}
    return JSONResponse(row)
