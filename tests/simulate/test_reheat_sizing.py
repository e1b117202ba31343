"""Sizing with the reheat allowance: a night set-back no longer leaves the morning recovery unmet."""

from __future__ import annotations

import numpy as np
import pytest

from cleanheat.building import heat_load as hl
from cleanheat.simulate.records import climate_for, cost_inputs
from cleanheat.simulate.season import Houses, simulate_season
from cleanheat.technologies.catalogue import Technology

TECHS = [Technology.GSHP, Technology.GAS_BOILER, Technology.COAL_STOVE]


def _run():
    houses = Houses(np.array([80.0, 80.0]), np.array(["brick"] * 2), np.array(["uninsulated"] * 2),
                    setback=np.array([False, True]))
    return simulate_season(houses, climate_for("yanchi"), cost_inputs("yanchi"), technologies=TECHS,
                           deduplicate=False)


def test_setback_unmet_heat_with_and_without_the_reheat_allowance(monkeypatch):
    """Yanchi, 80 m² uninsulated brick, set-back 22–06 h. Without the allowance (sizing on the steady
    design load, as before) the morning recovery goes unmet: gshp 814 kWh / 379 h, gas 56 kWh, coal 126 kWh
    in the review; 755 / 78 / 100 kWh with this branch's floor, soil and air. With it (+4.7 kW, 1 h reheat):
    12 / 12 / 0 kWh, 19 / 19 / 0 h (gshp and gas are then sized alike; what is left falls in hours
    colder than the design day). The full-time house is unchanged by the allowance (zero for a constant schedule)."""
    with_allowance = _run()
    monkeypatch.setattr(hl, "reheat_allowance_kw", lambda house, *a, **k: np.zeros(house.area_m2.shape[0]))
    without = _run()
    assert with_allowance.design_heat_load_kw[0] == without.design_heat_load_kw[0]
    assert with_allowance.design_heat_load_kw[1] > without.design_heat_load_kw[1] + 3.0
    before = without.unmet_heat_kwh[1]
    after = with_allowance.unmet_heat_kwh[1]
    assert before[0] > 500.0 and before[1] > 30.0 and before[2] > 80.0  # gshp, gas, coal
    assert np.all(after < 0.2 * before), (before, after)
    assert np.all(with_allowance.unmet_hours[1] <= 0.25 * without.unmet_hours[1])  # 361/83/95 → 19/19/0 h
    # energy balance of the set-back house
    assert with_allowance.delivered_heat_kwh[1] + with_allowance.unmet_heat_kwh[1] == pytest.approx(
        np.full(3, with_allowance.season_heat_demand_kwh[1]), rel=1e-9)
