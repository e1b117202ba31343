"""What the user administration page offers to choose from: the townships and the enterprises of the registry.

Read only (the users themselves are :func:`cleanheat.registry.services.users.list_users`).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cleanheat.registry.models import Enterprise, Township

__all__ = ["enterprise_choices", "township_choices"]


def township_choices(session: Session) -> list[str]:
    """The townships a clerk can belong to, in the registry's order (the plan's 附件1)."""
    return [str(n) for n in session.execute(select(Township.name).order_by(Township.id)).scalars()]


def enterprise_choices(session: Session) -> list[tuple[str, str]]:
    """``(code, name)`` of every enterprise of the registry, by code (an enterprise user's company)."""
    return [(str(c), str(n)) for c, n in session.execute(select(Enterprise.code, Enterprise.name)
                                                         .order_by(Enterprise.code))]
