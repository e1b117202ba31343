"""Keep ``__all__`` honest: every public name listed exists."""

from __future__ import annotations

import importlib

import pytest

MODULES = ["cleanheat", "cleanheat.errors", "cleanheat.units", "cleanheat.policy.engine", "cleanheat.policy.decide",
           "cleanheat.policy.budget", "cleanheat.policy.rules.yanchi", "cleanheat.policy.rules.beijing",
           "cleanheat.demo.yanchi", "cleanheat.tables", "cleanheat.cli", "cleanheat.parameters",
           "cleanheat.records", "cleanheat.codes", "cleanheat.building.service", "cleanheat.equipment.compliance",
           "cleanheat.economics", "cleanheat.economics.finance", "cleanheat.simulate.kernels",
           "cleanheat.simulate.grid", "cleanheat.registry.services.grid_records"]


@pytest.mark.parametrize("name", MODULES)
def test_all_names_exist(name):
    module = importlib.import_module(name)
    for public in module.__all__:
        assert hasattr(module, public), f"{name}.{public}"
