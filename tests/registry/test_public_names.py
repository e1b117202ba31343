"""Keep ``__all__`` of the registry modules honest; nothing below ``registry`` imports SQLAlchemy."""

from __future__ import annotations

import importlib
import pathlib

import pytest

import cleanheat

MODULES = ["cleanheat.config", "cleanheat.registry.db", "cleanheat.registry.models", "cleanheat.registry.audit",
           *[f"cleanheat.registry.services.{m}" for m in ("assessments", "beijing", "demo", "enterprises",
                                                          "households", "installations", "ledger", "payments",
                                                          "places", "reports", "tickets")],
           "cleanheat.cli.registry"]


@pytest.mark.parametrize("name", MODULES)
def test_all_names_exist(name: str) -> None:
    module = importlib.import_module(name)
    for public in module.__all__:
        assert hasattr(module, public), f"{name}.{public}"


def test_sqlalchemy_only_in_registry() -> None:
    root = pathlib.Path(cleanheat.__file__).parent
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(("registry/", "web/", "cli/")):
            continue
        text = path.read_text(encoding="utf-8")
        assert "import sqlalchemy" not in text and "from sqlalchemy" not in text, rel
