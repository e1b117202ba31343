"""Registry commands, one module per command group, over :mod:`cleanheat.registry.services`.

| module | commands |
|---|---|
| ``database`` | ``db upgrade|info|backup|restore``, ``demo load`` |
| ``reports`` | ``status``, ``report monthly|submit|laggards|plan`` |
| ``payments`` | ``pay``, ``payment show`` |
| ``installations`` | ``accept``, ``void``, ``installation equipment|check`` |
| ``ledger`` | ``ledger template|import|export|search`` |
| ``households`` | ``duplicates list|merge|distinct``, ``household amend`` |
| ``enterprises`` | ``enterprise add|set|status``, ``assess enterprises`` |
| ``tickets`` | ``ticket open|advance|overdue`` |
| ``projects`` | ``project add|list|approve|zones`` |
| ``audit`` | ``audit verify|log`` |
| ``users`` | ``users add|list|disable|set-password`` |

Commands stay thin: they parse options, call one service in one transaction
(``common.session_scope``), and print a table or JSON. SQLAlchemy and the services are
imported inside the commands, so other commands start fast.
"""

from __future__ import annotations

import importlib

import typer

__all__ = ["GROUPS", "register"]

GROUPS = ("database", "reports", "payments", "installations", "ledger", "households", "enterprises", "tickets",
          "projects", "audit", "users")
"""The command-group modules, in the order their commands are added."""


def register(app: typer.Typer) -> None:
    """Add every registry command group to the ``cleanheat`` app."""
    for name in GROUPS:
        importlib.import_module(f"{__name__}.{name}").register(app)
