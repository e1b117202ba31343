"""The season simulation: energy balance per hour, shapes, chunking, groups, costs, method rankings."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from cleanheat.simulate.season import PERIOD_VALLEY, Houses, simulate_season
from cleanheat.technologies.catalogue import TECHNOLOGIES, Technology

from .climate_fixture import synthetic_climate, synthetic_costs

DW = ["brick", "brick", "cave", "other", "brick", "cave"]
EN = ["uninsulated", "partly_insulated", "insulated", "insulated", "insulated", "uninsulated"]
AREA = [60.0, 80.0, 60.0, 120.0, 60.0, 100.0]


@pytest.fixture(scope="module")
def short_run():
    houses = Houses(np.array(AREA), np.array(DW), np.array(EN), np.array([False, False, False, False, True, False]))
    climate = synthetic_climate(days=20, warmup_days=2)
    return houses, climate, simulate_season(houses, climate, synthetic_costs(), keep_hourly=True,
                                            groups=np.array([0, 1, 0, 1, 0, 1]))


def test_eleven_methods_in_spec_order(short_run):
    _, _, r = short_run
    assert [str(t) for t in r.technologies] == [
        "fan_heater_direct", "ashp_water", "storage_electric", "gas_boiler", "gshp", "solar_aux",
        "other_high_tech", "co2_ashp", "solar_gshp_seasonal", "biomass", "coal_stove"]
    assert r.delivered_heat_kwh.shape == (6, 11)


def test_energy_balance_every_house_method_hour(short_run):
    # delivered heat and unmet heat are each reported by the model (dispatch, storage, ground loop,
    # solar tank + auxiliary, boilers), not one computed from the other
    _, _, r = short_run
    demand = np.broadcast_to(r.hourly_heat_demand_kw[:, None, :], r.hourly_delivered_kw.shape)
    assert np.all(r.hourly_delivered_kw >= -1e-12) and np.all(r.hourly_unmet_kw >= -1e-12)
    assert_allclose(r.hourly_delivered_kw + r.hourly_unmet_kw, demand, rtol=1e-6, atol=1e-9)
    assert_allclose(r.delivered_heat_kwh + r.unmet_heat_kwh,
                    np.broadcast_to(r.season_heat_demand_kwh[:, None], r.delivered_heat_kwh.shape), rtol=1e-6)
    assert_allclose(r.hourly_delivered_kw.sum(axis=2), r.delivered_heat_kwh, rtol=1e-9)


def test_energy_balance_holds_with_unmet_heat(short_run):
    # Since the design load carries the reheat allowance, the fixture's set-back house is no longer
    # under-sized; under-size every combustion unit and the gshp field instead, so that the balance is
    # checked where heat goes unmet (not vacuous).
    houses, climate, _ = short_run
    r = simulate_season(houses, climate, synthetic_costs(), keep_hourly=True,
                        overrides={"coal_stove.capacity_factor": 0.5, "biomass.capacity_factor": 0.5,
                                   "gshp.n_boreholes": np.ones(6, dtype=np.int64)})
    demand = np.broadcast_to(r.hourly_heat_demand_kw[:, None, :], r.hourly_delivered_kw.shape)
    assert_allclose(r.hourly_delivered_kw + r.hourly_unmet_kw, demand, rtol=1e-6, atol=1e-9)
    assert np.all(r.hourly_unmet_kw >= -1e-12)
    assert r.unmet_heat_kwh.max() > 0


def test_electricity_split_and_costs(short_run):
    _, climate, r = short_run
    assert_allclose(r.electricity_valley_kwh + r.electricity_flat_kwh + r.electricity_peak_kwh, r.electricity_kwh,
                    rtol=1e-9)
    costs = synthetic_costs()
    # two-period tariff: cost = valley × 0.2486 + peak × 0.4986 (+ fuel)
    elec_cost = r.electricity_valley_kwh * 0.2486 + r.electricity_peak_kwh * 0.4986
    fuel_cost = r.gas_m3 * costs.gas_cny_per_m3 + r.biomass_kg * 1.0 + r.coal_kg * 1.0
    assert_allclose(r.running_cost_cny, elec_cost + fuel_cost, rtol=1e-9)
    assert_allclose(r.peak_electric_kw, r.hourly_electricity_kw.max(axis=2))
    hod = climate.season(climate.hour_of_day)
    valley = costs.period_by_hour[hod] == PERIOD_VALLEY
    assert_allclose(r.hourly_electricity_kw[:, :, valley].sum(axis=2), r.electricity_valley_kwh, rtol=1e-9)


def test_fuel_quantities_and_co2_hand_values(short_run):
    _, _, r = short_run
    j_coal = TECHNOLOGIES.index(Technology.COAL_STOVE)
    j_gas = TECHNOLOGIES.index(Technology.GAS_BOILER)
    # coal kg = heat / 0.45 / 5.815 kWh/kg; CO₂ = coal × 1.764 kg/kg (2.47 kg/kgce × 20.93/29.307)
    assert_allclose(r.coal_kg[:, j_coal], r.delivered_heat_kwh[:, j_coal] / 0.45 / 5.815, rtol=1e-9)
    assert_allclose(r.co2_kg[:, j_coal], r.coal_kg[:, j_coal] * 1.764, rtol=1e-9)
    # gas m³ = heat / 0.85 / 10.814 kWh/m³
    assert_allclose(r.gas_m3[:, j_gas], r.delivered_heat_kwh[:, j_gas] / 0.85 / 10.814, rtol=1e-9)
    assert_allclose(r.seasonal_efficiency[:, j_coal], 0.45, rtol=1e-9)


def test_group_sums_give_coincident_peak(short_run):
    _, _, r = short_run
    g = np.array([0, 1, 0, 1, 0, 1])
    for k in (0, 1):
        assert_allclose(r.group_electric_kw[k], r.hourly_electricity_kw[g == k].sum(axis=0), rtol=1e-9)
    coincident = r.group_electric_kw.sum(axis=0).max(axis=1)
    assert np.all(coincident <= r.peak_electric_kw.sum(axis=0) + 1e-9)


def test_chunking_does_not_change_results(short_run):
    houses, climate, r = short_run
    r2 = simulate_season(houses, climate, synthetic_costs(), chunk_size=2)
    for name in ("delivered_heat_kwh", "electricity_kwh", "running_cost_cny", "unmet_hours", "co2_kg"):
        assert_allclose(getattr(r2, name), getattr(r, name), rtol=1e-9, err_msg=name)


def test_setback_house_uses_less_heat(short_run):
    houses, climate, r = short_run
    same = Houses(np.array([60.0]), np.array(["brick"]), np.array(["insulated"]), np.array([False]))
    r1 = simulate_season(same, climate, synthetic_costs(), technologies=["coal_stove"])
    assert r.season_heat_demand_kwh[4] < r1.season_heat_demand_kwh[0]


def test_undersized_solar_auxiliary_shows_unmet_heat():
    climate = synthetic_climate(days=10, warmup_days=1)
    houses = Houses(np.array([60.0, 60.0]), np.array(["brick", "brick"]), np.array(["uninsulated"] * 2))
    r = simulate_season(houses, climate, synthetic_costs(), technologies=["solar_aux"],
                        overrides={"solar.aux_kw": np.array([4.0, 20.0])})
    assert r.unmet_hours[0, 0] > 0 and r.unmet_heat_kwh[0, 0] > 0
    assert r.unmet_hours[1, 0] == 0


@pytest.fixture(scope="module")
def yanchi_run():
    from cleanheat.simulate.records import climate_for

    houses = Houses(np.array([60.0, 60.0, 90.0]), np.array(["brick", "cave", "brick"]),
                    np.array(["partly_insulated", "uninsulated", "insulated"]))
    return simulate_season(houses, climate_for("yanchi"), synthetic_costs())


def test_gshp_beats_ashp_in_yanchi(yanchi_run):
    j_g = TECHNOLOGIES.index(Technology.GSHP)
    j_a = TECHNOLOGIES.index(Technology.ASHP_WATER)
    assert np.all(yanchi_run.seasonal_efficiency[:, j_g] > yanchi_run.seasonal_efficiency[:, j_a])


def test_default_gshp_field_never_hits_antifreeze_limit(yanchi_run):
    j_g = TECHNOLOGIES.index(Technology.GSHP)
    assert np.all(yanchi_run.min_fluid_temp_c[:, j_g] > -3.0 + 0.05)


def test_storage_takes_three_quarters_in_valley_in_yanchi(yanchi_run):
    j = TECHNOLOGIES.index(Technology.STORAGE_ELECTRIC)
    share = yanchi_run.electricity_valley_kwh[:, j] / yanchi_run.electricity_kwh[:, j]
    assert np.all(share >= 0.75)


def test_heat_pumps_beat_resistance_and_coal_is_worst(yanchi_run):
    eff = yanchi_run.seasonal_efficiency
    idx = {t: TECHNOLOGIES.index(t) for t in TECHNOLOGIES}
    for hp in (Technology.ASHP_WATER, Technology.FAN_HEATER_DIRECT, Technology.CO2_ASHP, Technology.GSHP):
        assert np.all(eff[:, idx[hp]] > 1.6)
    assert np.all(eff[:, idx[Technology.STORAGE_ELECTRIC]] <= 1.0)
    assert np.all(eff[:, idx[Technology.COAL_STOVE]] < eff[:, idx[Technology.GAS_BOILER]])
    co2 = yanchi_run.co2_kg
    assert np.all(co2[:, idx[Technology.COAL_STOVE]] > co2[:, idx[Technology.GSHP]])
    sf = yanchi_run.solar_fraction[:, idx[Technology.SOLAR_AUX]]
    assert np.all((sf > 0.02) & (sf < 0.6))


@pytest.mark.parametrize("site, days, first_month", [("yanchi", 151, 11), ("beijing", 121, 11)])
def test_season_climate_starts_at_midnight_of_the_first_season_day(site, days, first_month):
    from cleanheat.climate.sites import get_site
    from cleanheat.climate.weather import load_typical_year
    from cleanheat.simulate.records import climate_for

    c = climate_for(site)
    year = load_typical_year(get_site(site))
    assert c.season_hours == 24 * days
    assert c.hour_of_day[c.warmup_hours] == 0 and c.hour_of_day[0] == 0
    first = int(np.flatnonzero(year.heating_season_mask() & (np.asarray(year.time.month) == first_month))[0])
    assert_allclose(c.temp_air_c[c.warmup_hours:c.warmup_hours + 48], year.temp_air_c[first:first + 48])
    # the season wraps the year end: its last hour is the typical year's last season hour in March
    last = int(np.flatnonzero(year.heating_season_mask() & (np.asarray(year.time.month) == 3))[-1])
    assert c.temp_air_c[-1] == year.temp_air_c[last]
    assert c.temp_earth_design_c < c.temp_ground_c
    assert c.recharge_yield_kwh_m2 > 100.0


def test_condensing_boiler_and_unreachable_supply_temperature():
    climate = synthetic_climate(days=5, warmup_days=1)
    houses = Houses(np.array([80.0]), np.array(["brick"]), np.array(["partly_insulated"]))
    base = simulate_season(houses, climate, synthetic_costs(), technologies=["gas_boiler", "ashp_water"])
    alt = simulate_season(houses, climate, synthetic_costs(), technologies=["gas_boiler", "ashp_water"],
                          overrides={"gas_boiler.condensing": True, "ashp_water.supply_design_c": 70.0})
    # condensing: 0.95 instead of 0.85 → 0.85/0.95 of the gas
    assert_allclose(alt.gas_m3[0, 0], base.gas_m3[0, 0] * 0.85 / 0.95, rtol=1e-9)
    # 70 °C at design is beyond the unit's 55–60 °C: in those hours the electric backup heats alone
    assert alt.seasonal_efficiency[0, 1] < base.seasonal_efficiency[0, 1]
    assert alt.unmet_hours[0, 1] == 0


@pytest.mark.parametrize("kind", ["electric", "gas", "biomass", "heat_pump"])
def test_solar_aux_auxiliary_kinds(kind):
    climate = synthetic_climate(days=6, warmup_days=1)
    houses = Houses(np.array([60.0]), np.array(["brick"]), np.array(["insulated"]))
    r = simulate_season(houses, climate, synthetic_costs(), technologies=["solar_aux"], keep_hourly=True,
                        overrides={"solar.aux_kind": kind})
    assert_allclose(r.hourly_delivered_kw + r.hourly_unmet_kw,
                    np.broadcast_to(r.hourly_heat_demand_kw[:, None, :], r.hourly_delivered_kw.shape), rtol=1e-9)
    assert r.solar_fraction[0, 0] > 0
    assert (r.gas_m3[0, 0] > 0) == (kind == "gas")
    assert (r.biomass_kg[0, 0] > 0) == (kind == "biomass")
    if kind == "heat_pump":
        assert r.seasonal_efficiency[0, 0] > 2.0
    if kind == "electric":
        assert 1.0 < r.seasonal_efficiency[0, 0] < 2.0


def test_per_house_emitters_balance_and_dedupe():
    climate = synthetic_climate(days=4, warmup_days=1)
    houses = Houses(np.full(4, 70.0), np.array(["brick"] * 4), np.array(["partly_insulated"] * 4),
                    emitter_supply_c=np.array([35.0, np.nan, 55.0, 35.0]))
    r = simulate_season(houses, climate, synthetic_costs(), keep_hourly=True)
    assert_allclose(r.hourly_delivered_kw + r.hourly_unmet_kw,
                    np.broadcast_to(r.hourly_heat_demand_kw[:, None, :], r.hourly_delivered_kw.shape), rtol=1e-9)
    j = TECHNOLOGIES.index(Technology.ASHP_WATER)
    assert r.seasonal_efficiency[0, j] > r.seasonal_efficiency[1, j] > r.seasonal_efficiency[2, j]  # 35 > 45 > 55 °C
    d = simulate_season(houses, climate, synthetic_costs())  # de-duplicated: houses 0 and 3 share a run
    assert d.extras["unique_houses"] == 3
    assert_allclose(d.electricity_kwh, r.electricity_kwh, rtol=1e-9)
