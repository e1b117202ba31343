"""Getting a database ready for ``cleanheat serve``: create and migrate the embedded one, load the demo,
make sure a first administrator exists.

A fresh machine runs ``cleanheat serve`` and gets a working programme: on an empty embedded SQLite
database the schema is built, the synthetic demo programme is loaded (27,000 households, one
transaction) and an administrator ``admin`` is created with a generated password, printed once. A
PostgreSQL database is never migrated here: its operator runs ``cleanheat db upgrade`` (a web
process on a shared server does not run DDL on its own).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from cleanheat.registry import db

__all__ = ["Prepared", "prepare"]


@dataclass(frozen=True)
class Prepared:
    """What :func:`prepare` did: the engine, whether the demo was loaded, the new admin's password (or ``None``)."""

    engine: Engine
    demo_loaded: bool
    admin_password: str | None
    url: str


def prepare(url: str, *, demo: bool = True, seed: int = 0,
            progress: Callable[[int, int], None] | None = None) -> Prepared:
    """Open (and on SQLite create) the database at ``url``; fill it with the demo when empty; ensure an admin.

    Raises
    ------
    RegistryError
        The database holds no or an older cleanheat schema (PostgreSQL: run ``cleanheat db upgrade``).
    """
    from cleanheat.registry.services import users
    from cleanheat.registry.services.demo import load_demo

    embedded = db.sqlite_file(url) is not None
    engine = db.open_database(url, create=embedded)
    loaded = False
    if demo and db.is_empty(engine):
        with db.session_scope(engine) as session:
            load_demo(session=session, seed=seed, progress=progress)
        loaded = True
    with db.session_scope(engine) as session:
        password = users.ensure_first_admin(session=session, actor="cleanheat serve")
    return Prepared(engine=engine, demo_loaded=loaded, admin_password=password,
                    url=engine.url.render_as_string(hide_password=True))
