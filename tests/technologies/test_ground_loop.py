"""Ground loop: pygfunction g-function, sizing, antifreeze limit, loop cooling, solar recharge."""

from __future__ import annotations

import numpy as np
import pytest

from cleanheat.technologies import ground_loop as gl

FIELD = gl.BoreField()


def _demand(days=120, peak_kw=6.0):
    hours = np.arange(24 * days)
    shape = 0.6 + 0.4 * np.sin(np.pi * hours / len(hours))  # coldest mid-season
    return (peak_kw * shape)[None, :]


def test_g_function_positive_and_increasing():
    t = np.geomspace(3600.0, 30 * gl.SECONDS_PER_YEAR, 20)
    g = gl.g_function(t, 1, FIELD)
    assert np.all(g > 0) and np.all(np.diff(g) > 0)
    assert gl.g_function(np.array([0.0]), 1, FIELD)[0] == 0.0
    # two boreholes interact: larger g at long times
    assert gl.g_function(t[-1:], 2, FIELD)[0] > g[-1]


def test_borehole_count_hand_value():
    # 8 kW × (1 − 1/3.5) = 5714 W; / (35 W/m × 100 m) = 1.63 → 2 boreholes
    assert gl.borehole_count(np.array([8.0]), 3.5, 100.0, 35.0).tolist() == [2]


def _run(n_b, **kw):
    d = _demand()
    return d, gl.simulate_ground_loop(d, 35.0, np.array([8.0]), np.array([n_b]), 10.0, field=FIELD, **kw)


def test_sized_field_stays_above_antifreeze_limit():
    d, r = _run(3)
    assert r.temp_fluid_c.min() > -3.0
    assert r.unmet_kw.max() == 0.0
    np.testing.assert_allclose(r.heat_kw + r.unmet_kw, d, rtol=1e-12)


def test_undersized_field_shows_unmet_heat_not_colder_fluid():
    d, r = _run(1)
    assert r.unmet_kw.sum() > 0.01 * d.sum()
    assert r.temp_fluid_c.min() >= -3.0 - 0.05  # the limit holds; the shortfall is reported
    np.testing.assert_allclose(r.heat_kw + r.unmet_kw, d, rtol=1e-12)


def test_loop_cools_over_the_years_and_solar_recharge_warms_it():
    _, y1 = _run(2, years=1)
    _, y10 = _run(2, years=10)
    _, rech = _run(2, years=10, recharge_w_per_m=np.array([15.0]))
    assert y10.temp_fluid_c.mean() < y1.temp_fluid_c.mean() - 0.2
    assert rech.temp_fluid_c.mean() > y10.temp_fluid_c.mean() + 0.2
    cop10 = (y10.heat_kw.sum() / y10.electricity_kw.sum())
    cop_r = (rech.heat_kw.sum() / rech.electricity_kw.sum())
    assert cop_r > cop10


def test_rejects_partial_days():
    with pytest.raises(ValueError, match="whole days"):
        gl.simulate_ground_loop(np.ones((1, 25)), 35.0, np.array([5.0]), np.array([1]), 10.0)
