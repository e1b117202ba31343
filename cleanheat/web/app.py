"""The application factory: :func:`create_app` builds the FastAPI app over one registry database.

Each area of the programme is one module of this package with a ``router`` (its pages and its API
side by side) and its templates in ``templates/<area>/``; :data:`AREAS` lists them in the order
their routes are added. Errors are turned into answers in one place (:func:`_install_error_pages`):
``InputError`` → 422 naming the record and field, ``NotFound`` → 404, ``Conflict`` → 409; a page
gets the same as an HTML page in the visitor's language, the API as JSON.
"""

from __future__ import annotations

import gc
import importlib
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from cleanheat import __version__
from cleanheat.config import Settings
from cleanheat.errors import CleanheatError, Conflict, InputError, NotFound
from cleanheat.registry import db
from cleanheat.web import i18n
from cleanheat.web.deps import NeedsLogin, WebState, csrf_protect, is_api, login_redirect, render
from cleanheat.web.nav import nav_for, role_label

__all__ = ["AREAS", "ASSETS", "PageEnvironment", "app_from_environment", "asset", "create_app", "iter_routes",
           "server_process", "template_environments"]

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
AREAS = ("auth", "public", "dashboard", "households", "ledger", "acceptance", "payments", "funds", "enterprises",
         "reports", "tickets", "audit", "beijing", "parameters", "admin", "api")
"""The area modules of :mod:`cleanheat.web`, each with a ``router``; a missing one is skipped (not built yet)."""


ASSETS = {
    "bootstrap.css": "vendor/bootstrap/bootstrap.min.css",
    "bootstrap.js": "vendor/bootstrap/bootstrap.bundle.min.js",
    "icons.css": "vendor/bootstrap_icons/bootstrap-icons.min.css",
    "htmx.js": "vendor/htmx/htmx.min.js",
    "echarts.js": "vendor/echarts/echarts.min.js",
}
"""The vendored front-end files (``static/vendor``, refreshed by ``scripts/vendor-static.sh``) by short name."""


def asset(name: str) -> str:
    """The URL of a vendored file, with the package version for cache busting."""
    return f"/static/{ASSETS[name]}?v={__version__}"


_DICT_ATTRIBUTES = frozenset(dir(dict))


class PageEnvironment(Environment):
    """Jinja2's environment with ``row.name`` looked up as a key first when ``row`` is a plain dict.

    The view services hand the templates dicts; Jinja2 tries ``getattr`` first and reaches the key
    only after an ``AttributeError``, which for a ledger page of 50 rows was a third of its rendering
    time. The answer is the same: a name that is not one of ``dict``'s own attributes can only be a
    key, and ``row.items`` still means the method.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def template_environments() -> dict[str, Environment]:
    """One Jinja2 environment per language, with the gettext catalog installed and the format filters."""
    envs: dict[str, Environment] = {}
    for lang in i18n.LANGUAGES:
        env = PageEnvironment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(("html",)),
                          extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True,
                          auto_reload=False)  # templates are package files: read once per process
        env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore[attr-defined]
        env.filters["num"] = lambda v, digits=0, _l=lang: i18n.number(v, _l, digits=digits)
        env.filters["cny"] = lambda v, _l=lang: i18n.cny(v, _l)
        env.filters["day"] = i18n.date_text
        env.globals.update(LANGUAGES=i18n.LANGUAGES, version=__version__, nav_for=nav_for, role_label=role_label,
                           asset=asset)
        envs[lang] = env
    return envs


def _detail(exc: InputError) -> dict[str, Any]:
    return {"message": exc.reason, "record": exc.record, "field": exc.field}


def _install_error_pages(app: FastAPI) -> None:
    def page_or_json(request: Request, status: int, message: str, extra: dict[str, Any] | None = None) -> Response:
        if is_api(request):
            return JSONResponse({"detail": message, **(extra or {})}, status_code=status)
        return render(request, "error.html", {"status": status, "message": message, **(extra or {})},
                      status_code=status)

    @app.exception_handler(NeedsLogin)
    async def _needs_login(request: Request, exc: NeedsLogin) -> Response:
        return login_redirect(request)

    @app.exception_handler(InputError)
    async def _input(request: Request, exc: InputError) -> Response:
        if is_api(request):
            return JSONResponse({"detail": [_detail(exc)]}, status_code=422)
        return render(request, "error.html", {"status": 422, "message": str(exc)}, status_code=422)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> Response:
        return page_or_json(request, 404, str(exc))

    @app.exception_handler(Conflict)
    async def _conflict(request: Request, exc: Conflict) -> Response:
        return page_or_json(request, 409, str(exc))

    @app.exception_handler(CleanheatError)
    async def _other(request: Request, exc: CleanheatError) -> Response:
        return page_or_json(request, 400, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        response = page_or_json(request, exc.status_code, str(exc.detail))
        for k, v in (exc.headers or {}).items():
            response.headers[k] = v
        return response

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(request: Request, exc: Exception) -> Response:
        # a number beyond what the database stores (an id or page past 2**63, PostgreSQL "out of range")
        message = "a number in the request is out of range"
        if is_api(request):
            return JSONResponse({"detail": [{"message": message, "record": None, "field": None}]}, status_code=422)
        return render(request, "error.html", {"status": 422, "message": message}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        details = []
        for e in exc.errors():
            loc = [str(p) for p in e.get("loc", ())]
            where = [p for p in loc if p not in ("body", "query", "path", "form")]
            record = f"record {where[0]}" if where and where[0].isdigit() else None
            field = ".".join(where[1:] if record else where) or None
            details.append({"message": e.get("msg", "invalid"), "record": record, "field": field})
        if is_api(request):
            return JSONResponse({"detail": details}, status_code=422)
        text = "; ".join(f"{d['field'] or ''}: {d['message']}" for d in details)
        return render(request, "error.html", {"status": 422, "message": text}, status_code=422)


def create_app(settings: Settings | None = None, *, engine: Any = None) -> FastAPI:
    """The web application over the registry of ``settings.database_url`` (or the given engine).

    The database must exist at the current schema (``cleanheat serve`` creates and fills an empty
    embedded one first); the app never migrates on its own.
    """
    settings = settings or Settings()
    if engine is None:
        engine = db.open_database(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Routes are plain functions run in anyio's thread pool (40 threads by default). Under load
        # forty CPU-bound threads fight over the GIL and the event loop: fewer threads serve more.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.web_threads
        yield

    app = FastAPI(title="cleanheat", version=__version__, dependencies=[Depends(csrf_protect)], lifespan=lifespan,
                  description="清洁取暖项目管理 Clean-heating programme: Yanchi household subsidies, Beijing "
                              "heat-pump funding, hourly simulation and the programme registry. The JSON "
                              "contracts of `/api/v1/subsidy/yanchi`, `/api/v1/funding/beijing` and "
                              "`/api/v1/simulate` are those of the CLI (SPEC §7).")
    app.state.web = WebState(settings=settings, engine=engine, templates=template_environments())
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    _install_error_pages(app)
    for name in AREAS:
        module_name = f"{__package__}.{name}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        app.include_router(module.router)
    return app


def iter_routes(app: FastAPI | APIRouter) -> Iterator[tuple[str, str]]:
    """Every (method, path) an app or one area's router answers, included routers' too (FastAPI 0.16x
    nests them)."""

    def walk(routes: Any) -> Iterator[tuple[str, str]]:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                yield from walk(inner.routes)
            elif isinstance(route, APIRoute):
                for method in sorted((route.methods or set()) - {"HEAD"}):
                    yield method, route.path

    yield from walk(app.routes)


def server_process() -> None:
    """Tune this process for serving (called by ``cleanheat serve``, once the app is built).

    The collector is run once and what survives (modules, the parameter trees, the ORM's metadata,
    the catalogs: some hundred thousand objects) is moved out of its reach (:func:`gc.freeze`):
    otherwise each full collection walks all of it while a request waits, the 95th percentile of the
    dashboard under 20 clients was 207 ms with them and 114 ms without them (``benchmarks/bench_web.py``).
    """
    gc.collect()
    gc.freeze()


def app_from_environment() -> FastAPI:
    """The app of ``CLEANHEAT_*`` settings (what ``cleanheat serve`` hands each uvicorn worker as its factory)."""
    app = create_app(Settings())
    server_process()
    return app
