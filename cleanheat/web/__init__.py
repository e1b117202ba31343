"""The web application of cleanheat: FastAPI + Jinja2 pages + HTMX, Chinese first (``cleanheat serve``).

| module | what |
|---|---|
| ``app`` | :func:`create_app` (the factory), error pages, the list of areas |
| ``deps`` | database sessions, the signed-in user, role and township checks, CSRF, :func:`render` |
| ``i18n`` | catalogs (zh_CN, en), number / money / date formats |
| ``auth`` | ``/login``, ``/logout``, ``/lang/{code}``, ``POST /api/v1/token`` |
| one module per area | its pages and its API (``dashboard``, ``households``, ``payments``, …) |

Routes stay thin: they call :mod:`cleanheat.registry.services`, :mod:`cleanheat.policy` and
:mod:`cleanheat.simulate`, in the same audited transactions as the CLI, with the user as actor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from cleanheat.config import Settings

__all__ = ["create_app"]


def create_app(settings: Settings | None = None, *, engine: Any = None) -> FastAPI:
    """The web application (see :func:`cleanheat.web.app.create_app`)."""
    from cleanheat.web.app import create_app as factory

    return factory(settings, engine=engine)
