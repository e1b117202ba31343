"""What every route of the web application shares: the database, the signed-in user, role checks, CSRF, pages.

- Database: :func:`reading` (a read-only transaction, also the :data:`ReadSession` dependency) and
  :func:`writing` (one writing transaction, used *inside* a route as ``with writing(request) as s:``
  so that a service's error rolls everything back before the route turns it into a page or a 4xx).
- Who: :func:`principal` reads the session cookie (pages) or the ``Authorization: Bearer`` token
  (API) and resolves it in the database (:func:`cleanheat.registry.services.users.resolve_session`).
  :func:`require` is the role check of a route: anonymous visitors of a page are sent to ``/login``,
  of the API get 401; a signed-in user without the role gets 403.
- Scope: a township clerk sees and changes only the own township, an enterprise only its own
  installations (:func:`township_scope`, :func:`check_township`); every boundary is checked here on
  the server, whatever the page shows.
- CSRF: every unsafe request (POST, PUT, PATCH, DELETE) that the browser could send with our cookie
  carries the session's token, as the form field ``csrf_token`` or the header ``X-CSRF-Token`` (HTMX
  sends it from ``hx-headers`` on ``<body>``); a visitor without a session gets a random token in the
  ``cleanheat_csrf`` cookie that the form must repeat (double submit). Requests authenticated by a
  bearer token carry no ambient authority and need none.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from cleanheat.errors import InputError
from cleanheat.registry import db
from cleanheat.registry.services import chain_cache
from cleanheat.web.i18n import LANGUAGE_COOKIE, language_of

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from cleanheat.config import Settings
    from cleanheat.registry.services.users import Principal

__all__ = ["ANON_CSRF_COOKIE", "SESSION_COOKIE", "NeedsLogin", "ReadSession", "RecordId", "WebState", "check_township",
           "csrf_protect", "csrf_token", "is_api", "language", "parse_day", "principal", "reading", "render", "require",
           "set_cookie", "signed_in", "state", "township_scope", "writing"]

SESSION_COOKIE = "cleanheat_session"
ANON_CSRF_COOKIE = "cleanheat_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


@dataclass
class WebState:
    """What one application holds: its settings, the database engine and the page templates per language."""

    settings: Settings
    engine: Engine
    templates: dict[str, Any]


class NeedsLogin(Exception):
    """An anonymous visitor asked for a page that needs a user (answered with a redirect to ``/login``)."""


def state(request: Request) -> WebState:
    return request.app.state.web


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


@contextmanager
def reading(request: Request) -> Iterator[Session]:
    """A read-only transaction on the registry."""
    with db.session_scope(state(request).engine, read_only=True) as session:
        # the key of the caches as the signed-in user's look-up read it, if it did (it may run after this)
        chain_cache.seed_data_key(session, lambda: getattr(request.state, "data_key", None))
        yield session


@contextmanager
def writing(request: Request) -> Iterator[Session]:
    """One writing transaction: committed when the block ends, rolled back on any error."""
    with db.session_scope(state(request).engine) as session:
        yield session


async def _read_session(request: Request) -> AsyncIterator[Session]:
    # Opened and closed on the event loop (opening connects nothing yet: the route's first query takes
    # a connection, in its thread; closing ends a read-only transaction), so a page costs one trip to
    # the thread pool, its route, instead of three.
    with reading(request) as session:
        yield session


RecordId = Annotated[int, Path(ge=1, le=2**63 - 1, description="a record's number")]
"""A database id in a URL: a positive 64-bit integer (anything else is a 422, never an overflow)."""

ReadSession = Annotated[Session, Depends(_read_session, scope="function")]
"""A read-only session as a route parameter, closed when the route returns (before the response is sent)."""


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def principal(request: Request) -> Principal | None:
    """The signed-in user of this request (``None``: anonymous), resolved once per request."""
    if hasattr(request.state, "principal"):
        return request.state.principal
    found: Principal | None = None
    bearer = _bearer(request)
    token, kind = (bearer, "api") if bearer else (request.cookies.get(SESSION_COOKIE), "web")
    if token:
        from cleanheat.registry.services import users

        # a transaction of its own, over at once: on the event loop (see :func:`require`) it must not
        # keep a pooled connection while the request waits for a thread, or twenty waiting requests
        # would hold the pool that the threads need
        # the registry's state (the key of the caches, chain_cache.data_key) is read in the same statement
        # and handed to the request's read-only sessions (:func:`reading`): a page spends no trip on it
        with db.read_connection(state(request).engine) as conn:
            found, key = users.resolve_session_with(session=conn, token=token, kind=kind,
                                                    columns=chain_cache.data_key_columns())
        if key and request.method in ("GET", "HEAD"):
            request.state.data_key = key
    request.state.principal = found
    request.state.by_bearer = bool(bearer)
    return found


def signed_in(request: Request, roles: tuple[str, ...] = ()) -> Principal:
    """The signed-in user, who must have one of ``roles`` (none given: any role); the check of :func:`require`
    for a route that decides on the role itself. Anonymous: :class:`NeedsLogin` (a page) or 401 (the API);
    another role: 403."""
    who = principal(request)
    if who is None:
        if is_api(request):
            raise HTTPException(401, "not authenticated", headers={"WWW-Authenticate": "Bearer"})
        raise NeedsLogin()
    if roles and who.role not in roles:
        raise HTTPException(403, f"role {who.role!r} may not do this (needs {' or '.join(roles)})")
    return who


def require(*roles: str) -> Callable[[Request], Coroutine[Any, Any, Principal]]:
    """A dependency: the signed-in user, who must have one of ``roles`` (none given: any role)."""

    async def dependency(request: Request) -> Principal:
        # on the event loop: one indexed query, cheaper than a trip to the thread pool and back
        return signed_in(request, roles)

    return dependency


def township_scope(who: Principal) -> str | None:
    """The one township a user may see (a clerk's own), or ``None`` for the whole county."""
    return who.township if who.role == "clerk" else None


def check_township(who: Principal, township: str | None) -> None:
    """Refuse (404, as if it did not exist) a record of another township to a clerk."""
    scope = township_scope(who)
    if scope is not None and township != scope:
        raise HTTPException(404, "not found")


def parse_day(value: str | None, field: str) -> dt.date | None:
    """A form or query date (``YYYY-MM-DD``; empty: ``None``); anything else is an InputError naming ``field``."""
    if value is None or not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"not a date (YYYY-MM-DD): {value!r}", field=field) from None


def language(request: Request) -> str:
    """The language of the answer: ``?lang=`` for this page, else the cookie, else the default."""
    asked = request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    return language_of(asked, state(request).settings.default_language)


def csrf_token(request: Request) -> str:
    """The token the forms of this page must carry (the session's, or the anonymous double-submit one)."""
    who = principal(request)
    if who is not None and not request.state.by_bearer:
        return who.csrf_token
    if not hasattr(request.state, "anon_csrf"):
        request.state.anon_csrf = request.cookies.get(ANON_CSRF_COOKIE) or secrets.token_urlsafe(24)
    return str(request.state.anon_csrf)


async def csrf_protect(request: Request) -> None:
    """The app-wide CSRF check (see the module docstring); raises 403 when the token is missing or wrong."""
    if request.method in SAFE_METHODS:
        return
    if _bearer(request) is not None:
        return
    has_session = SESSION_COOKIE in request.cookies
    if is_api(request) and not has_session:
        return  # a script without our cookie: nothing a forged cross-site request could borrow
    sent = request.headers.get("x-csrf-token")
    if not sent:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get("csrf_token")
            sent = value if isinstance(value, str) else None
    who = principal(request) if has_session else None
    expected = who.csrf_token if who is not None else request.cookies.get(ANON_CSRF_COOKIE)
    if not sent or not expected or not secrets.compare_digest(sent, expected):
        raise HTTPException(403, "CSRF token missing or wrong: reload the page and try again")


def set_cookie(request: Request, response: Response, name: str, value: str, *, max_age: int | None,
               http_only: bool = True) -> None:
    """Set a cookie SameSite=Lax, HttpOnly, and Secure over HTTPS (or as ``Settings.secure_cookies`` says)."""
    secure = state(request).settings.secure_cookies
    if secure is None:
        secure = request.url.scheme == "https"
    response.set_cookie(name, value, max_age=max_age, httponly=http_only, samesite="lax", secure=secure, path="/")


def render(request: Request, template: str, context: dict[str, Any] | None = None, *, status_code: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    """A page (or, for an HTMX request, a fragment) from ``template`` in the visitor's language."""
    lang = language(request)
    env = state(request).templates[lang]
    who = principal(request)
    token = csrf_token(request)
    ctx: dict[str, Any] = {"request": request, "user": who, "lang": lang, "csrf_token": token,
                           "htmx": request.headers.get("hx-request") == "true"}
    ctx.update(context or {})
    html = env.get_template(template).render(ctx)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    if who is None and request.cookies.get(ANON_CSRF_COOKIE) != token:
        set_cookie(request, response, ANON_CSRF_COOKIE, token, max_age=None)
    if request.query_params.get("lang") and request.query_params["lang"] == lang:
        set_cookie(request, response, LANGUAGE_COOKIE, lang, max_age=365 * 24 * 3600, http_only=False)
    return response


def login_redirect(request: Request) -> RedirectResponse:
    """Where an anonymous visitor of a page goes: ``/login?next=<the page>``."""
    from urllib.parse import quote

    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
