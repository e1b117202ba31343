"""Heat-pump system boundary: EN 14825 cycling, parasitic power, kernel = numpy, CO₂ return, data class."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose

from cleanheat.parameters import defaults_tree
from cleanheat.simulate import kernels
from cleanheat.technologies import heat_pump as hp
from cleanheat.technologies.catalogue import technology_parameters

P = technology_parameters()


def test_cycling_factor_hand_values():
    """EN 14825 water-based form at CR = 0.25, Cc = 0.9: 0.25 / (0.9 × 0.25 + 0.1) = 0.25 / 0.325
    = 0.76923; air-to-air form, Cd = 0.25: 1 − 0.25 × 0.75 = 0.8125; no degradation at CR ≥ 1."""
    assert_allclose(hp.cycling_factor(0.25, 0.9), 0.769231, rtol=1e-5)
    assert_allclose(hp.cycling_factor(0.25, 0.25, linear=True), 0.8125, rtol=1e-12)
    assert_allclose(hp.cycling_factor(np.array([1.0, 1.7]), 0.9), 1.0)


def test_system_electricity_hand_values():
    """An on/off unit (min_modulation 1) of 8 kW delivering 2 kW at COP 4 with Cc = 0.9:
    compressor (0.9 × 2 + 0.1 × 8) / 4 = 0.65 kW (= 2 / (4 × 0.76923)); run fraction 0.25, so a
    brine pump of 0.16 kW draws 0.04 kW and standby 0.02 kW draws 0.015 kW; the emitter pump
    (0.08 kW) runs the whole hour because the house calls for heat."""
    unit, src, sb, emit = hp.system_electricity_kw(
        np.array([[2.0, 0.0]]), np.array([[4.0, 4.0]]), np.array([[8.0, 8.0]]), np.array([[True, False]]),
        min_modulation=1.0, cycling_cd=0.9, source_kw=np.array([0.16]), standby_kw=0.02,
        emitter_kw=np.array([0.08]))
    assert_allclose(unit, [[0.65, 0.0]], rtol=1e-12)
    assert_allclose(src, [[0.04, 0.0]], rtol=1e-12)
    assert_allclose(sb, [[0.015, 0.02]], rtol=1e-12)
    assert_allclose(emit, [[0.08, 0.0]], rtol=1e-12)


def test_compiled_kernel_equals_numpy_model():
    """kernels.dispatch_hp_sums repeats heat_pump.dispatch_with_auxiliary + system_electricity_kw:
    hourly electricity, heat and the boundary sums agree to rounding, for both cycling forms."""
    rng = np.random.default_rng(3)
    n, nh = 5, 96
    demand = rng.uniform(0.0, 9.0, (n, nh)) * (rng.random((n, nh)) > 0.1)
    cap_i = rng.uniform(4.0, 10.0, n)
    cap_rows = rng.uniform(0.0, 1.0, (1, nh)) * (rng.random((1, nh)) > 0.05)
    cop_rows = rng.uniform(1.5, 4.5, (n, nh))
    aux_i = rng.uniform(0.0, 5.0, n)
    allowed = rng.random(nh) > 0.3
    period = rng.integers(0, 3, nh).astype(np.int64)
    price = rng.uniform(0.2, 0.6, nh)
    for linear, cd in ((False, 0.9), (True, 0.25)):
        h_del, h_unmet, h_elec = np.empty((n, nh)), np.empty((n, nh)), np.empty((n, nh))
        src_kw, em_kw = 0.02 * cap_i, 0.01 * cap_i
        sums, bnd = kernels.dispatch_hp_sums(demand, cap_i, cap_rows, cop_rows, aux_i, allowed, period, price,
                                             0.01, True, h_del, h_unmet, h_elec, 0.3, cd, linear, src_kw, 0.03,
                                             em_kw)
        cap = cap_i[:, None] * cap_rows
        heat_hp, heat_aux, _e, unmet = hp.dispatch_with_auxiliary(demand, cap, cop_rows, aux_i[:, None], allowed)
        unit, src, sb, emit = hp.system_electricity_kw(heat_hp, cop_rows, cap, demand > 0, min_modulation=0.3,
                                                       cycling_cd=cd, cycling_linear=linear, source_kw=src_kw,
                                                       standby_kw=0.03, emitter_kw=em_kw)
        elec = unit + src + sb + emit + heat_aux
        assert_allclose(h_elec, elec, rtol=1e-12, atol=1e-12)
        assert_allclose(h_del, heat_hp + heat_aux, rtol=1e-12)
        assert_allclose(h_unmet, unmet, rtol=1e-12, atol=1e-12)
        assert_allclose(bnd, np.column_stack([heat_hp.sum(1), heat_aux.sum(1), unit.sum(1), src.sum(1), sb.sum(1),
                                              emit.sum(1)]), rtol=1e-12)
        assert_allclose(sums[:, kernels.S_COST], (elec * price).sum(1), rtol=1e-12)
        assert np.any(unit > heat_hp / cop_rows + 1e-9)  # cycling happened: the check is not vacuous


def test_air_source_methods_share_one_source_class():
    """Both air-source COP files cite the same class of data (typical low-ambient product data, one
    table), and the air-to-air points are that table's 35 °C-supply column: a water unit at 35 °C
    condenses at about 40 °C, the air-to-air condensing temperature (fan_heater.condensing_c)."""
    tree = defaults_tree()
    tag = "[source class: typical low-ambient product data"
    refs = [tree[f"technologies.{k}.cop_points"].reference for k in ("air_source", "fan_heater")]
    assert all(r.startswith(tag) for r in refs), refs
    assert refs[0].split("]")[0] == refs[1].split("]")[0]
    water = {(t_o, t_s): cop for t_o, t_s, cop in P["air_source.cop_points"]}
    approach_k = 5.0  # water-side approach of the 35 °C column: condensing ≈ supply + 5 K
    for t_o, cop in P["fan_heater.cop_points"]:
        assert water[(t_o, P["fan_heater.condensing_c"] - approach_k)] == cop
    # typical units beat the tender minima the first version used (COP(−12) ≥ 2.4, COP(−20) ≥ 2.0)
    coef = hp.fit_log_linear_outdoor(P["fan_heater.cop_points"])
    cop = hp.cop_log_linear_outdoor(np.array([-20.0, -12.0]), coef, P["fan_heater.condensing_c"])
    assert cop[0] >= 2.0 and cop[1] >= 2.4
    assert_allclose(cop, [2.4, 2.4 * (3.8 / 2.4) ** 0.4], rtol=1e-9)  # log-linear: 2.88 at −12 °C


def test_co2_cop_at_plus_10_with_floor_heating_below_experiment():
    """Floor heating (35 °C design supply, 5 K design ΔT) at +10 °C outdoor, design −12.6 °C: load
    fraction (18 − 10) / 30.6 = 0.261, supply held at 35 °C, return 35 − 5 × 0.261 = 33.7 °C; the
    cycle COP must stay ≤ 3.0, near the experimental maximum of 2.88 at +10 °C for a transcritical
    CO₂ space-heating unit (review S11). The first version's return of 21 °C gave about 4.0."""
    sup, ret = hp.co2_supply_return_c(10.0, P["emitters.floor_heating_supply_c"],
                                      P["emitters.floor_heating_delta_t_k"], -12.6, P["co2_ashp.supply_min_c"])
    assert_allclose([sup, ret], [35.0, 35.0 - 5.0 * 8.0 / 30.6], rtol=1e-9)
    cop = hp.cop_co2_transcritical(10.0, ret, sup, P["co2_ashp.eta_isentropic"], P["co2_ashp.system_factor"],
                                   P["co2_ashp.approach_evap_k"], P["co2_ashp.approach_gc_k"])
    assert cop <= 3.0
    # the default 60/30 °C emitter: supply held at the 40 °C minimum, return 40 − 30 × 0.261 = 32.2 °C
    sup_d, ret_d = hp.co2_supply_return_c(10.0, 60.0, 30.0, -12.6, P["co2_ashp.supply_min_c"])
    assert_allclose(ret_d, 40.0 - 30.0 * 8.0 / 30.6, rtol=1e-9)
    assert hp.cop_co2_transcritical(10.0, ret_d, sup_d) <= 2.88 + 0.05


def test_co2_return_rises_toward_supply_as_load_falls():
    t_o = np.array([-12.6, -5.0, 0.0, 5.0, 10.0, 15.0])
    sup, ret = hp.co2_supply_return_c(t_o, 55.0, 10.0, -12.6, 40.0)
    assert_allclose(sup[0] - ret[0], 10.0)
    assert np.all(np.diff(sup - ret) < 0)  # the water ΔT shrinks with the load


def test_defrost_breakpoints_come_from_parameters():
    """The parameter files give the first version's breakpoints (−15 / −3 / +3 / +7 °C); moving the
    frost-free temperature moves the factor."""
    f = hp.defrost_factor(5.0, P["air_source.defrost_max_loss"], P["air_source.defrost_cold_loss"],
                          P["air_source.defrost_temp_peak_low_c"], P["air_source.defrost_temp_peak_high_c"],
                          P["air_source.defrost_temp_free_c"], P["air_source.defrost_temp_cold_c"])
    assert_allclose(f, 1.0 - 0.1 * (7.0 - 5.0) / (7.0 - 3.0))  # halfway down the +3…+7 ramp
    g = hp.defrost_factor(5.0, 0.1, 0.03, -3.0, 3.0, 9.0, -15.0)
    assert g < f


def test_ground_loop_parasitic_kernel_equals_numpy_model():
    """ground_loop.add_system_electricity (compiled, in place) = heat_pump.system_electricity_kw."""
    from cleanheat.technologies import ground_loop

    rng = np.random.default_rng(5)
    n, nh = 4, 72
    heat = rng.uniform(0.0, 8.0, (n, nh)) * (rng.random((n, nh)) > 0.2)
    cop = rng.uniform(2.5, 4.5, (n, nh))
    elec = heat / cop
    demand = heat + (rng.random((n, nh)) > 0.7)
    cap = rng.uniform(6.0, 9.0, n)
    src, em = 0.02 * cap, 0.01 * cap
    unit, s, b, e = hp.system_electricity_kw(heat, cop, cap[:, None], demand > 0, min_modulation=1.0, cycling_cd=0.9,
                                             source_kw=src, standby_kw=0.015, emitter_kw=em)
    got = elec.copy()
    sums = ground_loop.add_system_electricity(heat, got, demand, cap, 1.0, 0.9, src, 0.015, em)
    assert_allclose(got, unit + s + b + e, rtol=1e-12, atol=1e-15)
    assert_allclose(sums, np.column_stack([unit.sum(1), s.sum(1), b.sum(1), e.sum(1)]), rtol=1e-12)
