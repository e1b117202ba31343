"""Heat-pump models: calibration, Carnot bound, monotonicity, the Yanchi guide's unit, dispatch."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from cleanheat.technologies import heat_pump as hp
from cleanheat.technologies.catalogue import technology_parameters

P = technology_parameters()
T_OUT = np.linspace(-25.0, 15.0, 41)  # validity range of the air-source models [°C]
T_SUP = np.linspace(35.0, 60.0, 26)  # validity range of supply temperature [°C]
GRID_O, GRID_S = np.meshgrid(T_OUT, T_SUP, indexing="ij")


@pytest.fixture
def ashp_coef():
    return hp.fit_log_bilinear(P["air_source.cop_points"])


def test_cop_carnot_fraction_at_design_point():
    # STYLE §3: T_h = 55 + 273.15 + 5 = 333.15 K; T_c = −20 + 273.15 − 5 = 248.15 K; 0.45 × 333.15 / 85 = 1.7637
    assert_allclose(hp.cop_carnot_fraction(-20.0, 55.0), 1.7637, rtol=1e-4)


def test_ashp_reproduces_datasheet_points_within_5_percent(ashp_coef):
    pts = np.asarray(P["air_source.cop_points"], dtype=float)
    cop = hp.cop_log_bilinear(pts[:, 0], pts[:, 1], ashp_coef)
    assert_allclose(cop, pts[:, 2], rtol=0.05)


def test_fan_heater_reproduces_tender_points_within_5_percent():
    pts = np.asarray(P["fan_heater.cop_points"], dtype=float)
    cop = hp.cop_log_linear_outdoor(pts[:, 0], hp.fit_log_linear_outdoor(pts))
    assert_allclose(cop, pts[:, 1], rtol=0.05)


def test_no_cop_above_carnot(ashp_coef):
    carnot = hp.cop_carnot(GRID_O, GRID_S)
    assert np.all(hp.cop_log_bilinear(GRID_O, GRID_S, ashp_coef) < carnot)
    assert np.all(hp.cop_carnot_fraction(GRID_O, GRID_S, 0.5) < carnot)
    fan = hp.cop_log_linear_outdoor(T_OUT, hp.fit_log_linear_outdoor(P["fan_heater.cop_points"]))
    assert np.all(fan <= hp.cop_carnot(T_OUT, 40.0))
    co2 = hp.cop_co2_transcritical(GRID_O, np.full_like(GRID_O, 30.0), 60.0)
    assert np.all(co2 < hp.cop_carnot(GRID_O, 60.0))


def test_cop_rises_with_outdoor_and_falls_with_supply(ashp_coef):
    cop = hp.cop_log_bilinear(GRID_O, GRID_S, ashp_coef)
    assert np.all(np.diff(cop, axis=0) > 0)
    assert np.all(np.diff(cop, axis=1) < 0)
    cf = hp.cop_carnot_fraction(GRID_O, GRID_S)
    assert np.all(np.diff(cf, axis=0) > 0) and np.all(np.diff(cf, axis=1) < 0)
    co2 = hp.cop_co2_transcritical(T_OUT, 30.0)
    assert np.all(np.diff(co2) > 0)
    assert np.all(np.diff(hp.cop_co2_transcritical(0.0, np.linspace(20, 45, 11))) < 0)  # warmer return, worse


def test_guide_compliant_unit(ashp_coef):
    # Yanchi guide (附件2, 空气源热泵): COP > 1.6 at −20 °C without electric auxiliary, ≥ 55 °C supply at the
    # design outdoor temperature (Yanchi −12.6 °C in the site file; checked down to −20 °C).
    cop = hp.cop_log_bilinear(-20.0, 55.0, ashp_coef) * hp.defrost_factor(-20.0)
    assert cop > 1.6
    assert hp.max_supply_temperature_c(-15.0, P["air_source.max_supply_mild_c"],
                                       P["air_source.max_supply_cold_c"]) >= 55.0
    assert hp.max_supply_temperature_c(-20.0) >= 55.0


def test_scalar_and_array_agree(ashp_coef):
    arr = hp.cop_log_bilinear(np.array([-10.0, 5.0]), 45.0, ashp_coef)
    assert_allclose([hp.cop_log_bilinear(-10.0, 45.0, ashp_coef), hp.cop_log_bilinear(5.0, 45.0, ashp_coef)], arr)


def test_fit_rejects_too_few_points():
    with pytest.raises(ValueError, match="points"):
        hp.fit_log_bilinear([[0, 35, 3.0]])


def test_defrost_and_capacity():
    f = hp.defrost_factor(np.array([-25.0, 0.0, 10.0]))
    assert_allclose(f, [0.97, 0.90, 1.0])
    # −20 °C: 1 + 0.0125 × (−27) = 0.6625 of rated
    assert_allclose(hp.capacity_fraction(-20.0), 0.6625)


def test_heating_curve():
    # design −15 °C → 45 °C; 18 °C outdoor → floor at 30 °C; halfway (1.5 °C) → 18 + 27 × 0.5 = 31.5
    assert_allclose(hp.supply_temperature_c(np.array([-15.0, 1.5, 18.0]), 45.0, -15.0), [45.0, 31.5, 30.0])


def test_dispatch_balances_and_respects_aux_window():
    demand = np.array([[5.0, 5.0, 5.0]])
    cap = np.array([[3.0, 3.0, 3.0]])
    allowed = np.array([[True, False, True]])
    h, a, e, u = hp.dispatch_with_auxiliary(demand, cap, np.array([[2.0, 2.0, 2.0]]), np.array([[1.0]]), allowed)
    assert_allclose(h + a + u, demand)
    assert_allclose(a, [[1.0, 0.0, 1.0]])
    assert_allclose(u, [[1.0, 2.0, 1.0]])
    assert_allclose(e, [[2.5, 1.5, 2.5]])  # 3 / 2 + aux


def test_capacity_falls_with_supply_temperature():
    # −20 °C, 55 °C: 0.6625 × (1 − 0.005 × 20) = 0.59625
    assert_allclose(hp.capacity_fraction(-20.0, temp_supply_c=55.0), 0.59625)
    f = hp.capacity_fraction(GRID_O, temp_supply_c=GRID_S)
    assert np.all(np.diff(f, axis=1) < 0) and np.all(np.diff(f, axis=0) > 0)
