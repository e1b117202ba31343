"""The navigation of the web application: which areas a role sees (the server still checks every route)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ALL_ROLES", "NAV", "N_", "ROLE_LABELS", "nav_for", "role_label"]

ALL_ROLES = ("admin", "officer", "clerk", "inspector", "enterprise", "auditor")


def N_(message: str) -> str:
    """Mark ``message`` for the catalogs without translating it here (the template translates it)."""
    return message


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str
    roles: tuple[str, ...]
    more: bool = False
    """In the "More" menu (keeps the bar within a 1366 px screen in either language)."""


NAV = (
    NavItem("/", N_("Dashboard"), ("admin", "officer", "clerk", "auditor")),
    NavItem("/households", N_("Households"), ("admin", "officer", "clerk", "inspector", "auditor")),
    NavItem("/acceptance", N_("Acceptance"), ("officer", "clerk", "inspector", "enterprise", "auditor")),
    NavItem("/payments", N_("Payments"), ("officer", "auditor")),
    NavItem("/funds", N_("Funds"), ("admin", "officer", "auditor")),
    NavItem("/enterprises", N_("Enterprises"), ("admin", "officer", "auditor", "enterprise")),
    NavItem("/reports", N_("Monthly reports"), ("officer", "clerk", "auditor")),
    NavItem("/tickets", N_("After-sales"), ("officer", "clerk", "enterprise", "auditor")),
    NavItem("/beijing", N_("Beijing projects"), ("admin", "officer", "auditor"), more=True),
    NavItem("/audit", N_("Audit log"), ("admin", "officer", "auditor"), more=True),
    NavItem("/parameters", N_("Parameters"), ALL_ROLES, more=True),
    NavItem("/users", N_("Users"), ("admin",), more=True),
)
"""The areas in the order of the menu, each with the roles that see it."""


def nav_for(role: str | None) -> list[NavItem]:
    """The menu of a role (an anonymous visitor: none; the calculators are linked apart)."""
    if role is None:
        return []
    return [item for item in NAV if role in item.roles]


ROLE_LABELS = {
    "admin": N_("County administrator"),
    "officer": N_("County officer"),
    "clerk": N_("Township clerk"),
    "inspector": N_("Acceptance inspector"),
    "enterprise": N_("Enterprise"),
    "auditor": N_("Auditor"),
}
"""The roles as the pages name them (their Chinese in the catalog: 县级管理员, 县级专班, 乡镇专员, …)."""


def role_label(role: str) -> str:
    return ROLE_LABELS.get(role, role)
