"""Alembic environment of the registry: run programmatically by ``cleanheat db upgrade``.

The caller passes an open connection in ``config.attributes["connection"]``; no ini file.
"""

from __future__ import annotations

from alembic import context

from cleanheat.registry.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only the programmatic path is supported
    raise RuntimeError("run migrations through cleanheat.registry.db.upgrade()")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
