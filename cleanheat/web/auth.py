"""Signing in and out, the language switch, and API tokens (OAuth2 password flow).

- ``GET/POST /login`` (fields ``username``, ``password``): a server-side session stored in the
  database (:mod:`cleanheat.registry.services.users`), its token in an HttpOnly, SameSite=Lax cookie.
  Failed attempts are counted per account and per address; past the limit the answer is 429 with
  ``Retry-After`` even for the right password.
- ``POST /logout`` revokes the session.
- ``GET /lang/{code}`` remembers the language in a cookie and goes back.
- ``POST /api/v1/token`` (form fields ``username``, ``password``) returns
  ``{"access_token", "token_type": "bearer", "expires_in"}``; the token expires after
  ``Settings.token_ttl_min`` minutes.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.security import OAuth2PasswordRequestForm

from cleanheat.web.deps import (
    SESSION_COOKIE,
    language,
    principal,
    reading,
    render,
    set_cookie,
    state,
    writing,
)
from cleanheat.web.i18n import LANGUAGE_COOKIE, LANGUAGES

__all__ = ["router"]

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only a path of this site (never ``//evil`` or ``https://…``): an open redirect is refused."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


def _login(request: Request, username: str, password: str, kind: str) -> tuple[Any, str | None, Any]:
    """Authenticate and, on success, open a session; returns (result, token, session row)."""
    from cleanheat.registry.services import users

    settings = state(request).settings
    ttl = dt.timedelta(hours=settings.session_ttl_h) if kind == "web" else dt.timedelta(minutes=settings.token_ttl_min)
    with reading(request) as session:  # argon2 outside the write lock (users.precheck_password)
        matched = users.precheck_password(session=session, name=username, password=password,
                                          address=_address(request))
    with writing(request) as session:
        result = users.authenticate(session=session, name=username, password=password, address=_address(request),
                                    verified_hash=matched)
        if result.outcome != "ok" or result.user is None:
            return result, None, None
        token, row = users.open_session(session=session, user=result.user, kind=kind, ttl=ttl,
                                        address=_address(request))
    return result, token, row


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str | None = None) -> Response:
    if principal(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "auth/login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", include_in_schema=False)
def login_submit(request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()],
                 next: Annotated[str, Form()] = "/") -> Response:
    result, token, _row = _login(request, username, password, "web")
    if token is None:
        status = 429 if result.outcome == "throttled" else 401
        headers = {"Retry-After": str(result.retry_after_s)} if result.outcome == "throttled" else None
        return render(request, "auth/login.html", {"next": _safe_next(next), "error": result.outcome,
                                                   "retry_after_s": result.retry_after_s, "username": username},
                      status_code=status, headers=headers)
    response = RedirectResponse(_safe_next(next), status_code=303)
    ttl_s = int(state(request).settings.session_ttl_h * 3600)
    set_cookie(request, response, SESSION_COOKIE, token, max_age=ttl_s)
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request) -> Response:
    from cleanheat.registry.services import users

    who = principal(request)
    token = request.cookies.get(SESSION_COOKIE)
    if who is not None and token:
        with writing(request) as session:
            users.revoke_session(session=session, token=token, actor=who.actor)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{code}", include_in_schema=False)
def switch_language(request: Request, code: str, next: str | None = None) -> Response:
    response = RedirectResponse(_safe_next(next), status_code=303)
    if code in LANGUAGES:
        set_cookie(request, response, LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, http_only=False)
    return response


@router.post("/api/v1/token", tags=["auth"], summary="Access token (OAuth2 password flow)")
def token(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Response:
    """A bearer token for the API from a user name and password; it expires after ``token_ttl_min`` minutes."""
    result, tok, _row = _login(request, form.username, form.password, "api")
    if tok is None:
        if result.outcome == "throttled":
            return JSONResponse({"detail": "too many failed logins; try again later"}, status_code=429,
                                headers={"Retry-After": str(result.retry_after_s)})
        return JSONResponse({"detail": "wrong user name or password"}, status_code=401,
                            headers={"WWW-Authenticate": "Bearer"})
    ttl_s = int(state(request).settings.token_ttl_min * 60)
    return JSONResponse({"access_token": tok, "token_type": "bearer", "expires_in": ttl_s})


@router.get("/healthz", include_in_schema=False)
def healthz(request: Request) -> dict[str, str]:
    return {"status": "ok", "language": language(request)}
