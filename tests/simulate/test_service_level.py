"""Service level (issue #10): heated share, heating hours and set-point per house; the coal baseline
at its own observed level; the two comparisons; gas availability.

Every test here fails on the code before service levels existed (no ``service_level``, no
``baseline``, no ``available``, no ``ranking``; a house was always heated whole at 18 °C all day).
"""

import numpy as np
import pytest

from cleanheat.building.service import (
    FREE_FLOAT_C,
    ServiceLevel,
    resolve_level,
    service_levels,
    set_point_schedule_c,
)
from cleanheat.errors import InputError
from cleanheat.simulate.records import climate_for, cost_inputs, simulate_records
from cleanheat.simulate.season import Houses, simulate_season

HOUSE = {"house_id": "H", "site": "yanchi", "heated_area_m2": 80, "dwelling": "brick", "envelope": "uninsulated"}


def _one(**kw):
    out, _ = simulate_records([dict(HOUSE, **kw)])
    return out[0]


def _opt(result, code):
    return next(o for o in result["options"] if o["technology"] == code)


# -- the levels ------------------------------------------------------------------------------


def test_named_levels_exist_and_full_comfort_is_the_design_condition():
    levels = service_levels()
    assert {"rural_typical", "coal_observed", "full_comfort"} <= set(levels)
    fc = levels["full_comfort"]
    assert (fc.heated_share, fc.heating_hours, fc.set_point_c) == (1.0, 24, 18.0)
    assert resolve_level(None).name == "rural_typical"


def test_schedule_holds_the_set_point_in_the_heating_hours_only():
    lv = ServiceLevel("x", 0.5, 10, 16.0, None)
    sp = set_point_schedule_c([lv, service_levels()["full_comfort"]])
    assert sp.shape == (2, 24)
    assert (sp[0] == 16.0).sum() == 10 and (sp[0] == FREE_FLOAT_C).sum() == 14
    assert (sp[1] == 18.0).all()
    # evening hours come first in hour_order
    assert sp[0, 18] == 16.0 and sp[0, 3] == FREE_FLOAT_C
    with_setback = set_point_schedule_c([ServiceLevel("y", 1, 16, 15.0, 9.0)])
    assert set(np.unique(with_setback)) == {9.0, 15.0}


def test_night_setback_switch_only_lowers():
    sp = set_point_schedule_c([service_levels()["full_comfort"], ServiceLevel("z", 1, 24, 12.0, None)],
                              np.array([True, True]), 14.0)
    assert sp[0, 23] == 14.0 and sp[0, 12] == 18.0
    assert sp[1, 23] == 12.0  # already below the set-back: unchanged


def test_object_levels_fill_from_the_default_and_are_checked():
    lv = resolve_level({"heated_share": 0.3})
    base = service_levels()["rural_typical"]
    assert lv.heated_share == 0.3 and lv.heating_hours == base.heating_hours and lv.name == "custom"
    assert resolve_level({"name": "full_comfort", "set_point_c": 20}).heating_hours == 24
    with pytest.raises(InputError, match="did you mean 'full_comfort'"):
        resolve_level("full_comfrt")
    for bad, field in (({"heated_share": 0}, "service_level.heated_share"),
                       ({"heating_hours": 7.5}, "service_level.heating_hours"),
                       ({"heating_hours": 25}, "service_level.heating_hours"),
                       ({"set_point_c": "warm"}, "service_level.set_point_c"),
                       ({"setback_c": 30, "set_point_c": 16}, "service_level.setback_c"),
                       ({"rooms": 2}, "service_level.rooms")):
        with pytest.raises(InputError) as exc:
            resolve_level(bad, label="record 0")
        assert exc.value.field == field, bad


def test_a_bad_level_in_a_record_names_the_record_and_field():
    with pytest.raises(InputError) as exc:
        simulate_records([HOUSE, dict(HOUSE, house_id="B", service_level={"heated_share": 2})])
    assert "record 1 (house_id=B)" in str(exc.value) and "service_level.heated_share" in str(exc.value)
    with pytest.raises(InputError, match="compare_with"):
        simulate_records([dict(HOUSE, compare_with="cheapest")])


# -- the physics -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def yanchi():
    return climate_for("yanchi"), cost_inputs("yanchi")


def test_full_comfort_reproduces_the_whole_house_figures_exactly(yanchi):
    """The full_comfort level is the model as it was: every output equal to the run without a level."""
    c, costs = yanchi
    area = np.array([60.0, 80.0, 120.0])
    dw, env = np.array(["brick", "cave", "other"]), np.array(["uninsulated", "partly_insulated", "insulated"])
    old = simulate_season(Houses(area, dw, env), c, costs, deduplicate=False)
    fc = service_levels()["full_comfort"]
    new = simulate_season(Houses(area, dw, env, heated_share=np.ones(3), set_point_c=set_point_schedule_c([fc] * 3)),
                          c, costs, deduplicate=False)
    for name in ("season_heat_demand_kwh", "design_heat_load_kw", "electricity_kwh", "coal_kg", "gas_m3",
                 "running_cost_cny", "unmet_hours"):
        np.testing.assert_array_equal(getattr(old, name), getattr(new, name), err_msg=name)


def test_heated_share_scales_demand_in_proportion(yanchi):
    """The heated zone keeps the house's exposure per m²: every conductance, capacity and gain
    scales with the share, so the RC model's demand scales exactly (it is linear in them)."""
    c, costs = yanchi
    lv = [ServiceLevel("a", 1.0, 14, 16.0, None), ServiceLevel("b", 0.35, 14, 16.0, None)]
    h = Houses(np.full(2, 90.0), np.array(["brick"] * 2), np.array(["uninsulated"] * 2),
               heated_share=np.array([1.0, 0.35]), set_point_c=set_point_schedule_c(lv))
    r = simulate_season(h, c, costs, technologies=("coal_stove",), deduplicate=False)
    assert r.season_heat_demand_kwh[1] == pytest.approx(0.35 * r.season_heat_demand_kwh[0], rel=1e-9)
    assert r.design_heat_load_kw[1] == pytest.approx(0.35 * r.design_heat_load_kw[0], rel=1e-9)


def test_less_service_less_heat(yanchi):
    c, costs = yanchi
    lv = [service_levels()[n] for n in ("full_comfort", "rural_typical", "coal_observed")]
    h = Houses(np.full(3, 80.0), np.array(["brick"] * 3), np.array(["uninsulated"] * 3),
               heated_share=np.array([x.heated_share for x in lv]), set_point_c=set_point_schedule_c(lv))
    d = simulate_season(h, c, costs, technologies=("coal_stove",), deduplicate=False).season_heat_demand_kwh
    assert d[0] > 2.5 * d[1] and d[1] > d[2] > 0


def test_energy_balance_every_hour_with_intermittent_heating(yanchi):
    c, costs = yanchi
    lv = [service_levels()["rural_typical"], ServiceLevel("n", 0.6, 8, 17.0, 10.0)]
    h = Houses(np.array([80.0, 110.0]), np.array(["brick", "cave"]), np.array(["uninsulated", "partly_insulated"]),
               heated_share=np.array([x.heated_share for x in lv]), set_point_c=set_point_schedule_c(lv))
    r = simulate_season(h, c, costs, keep_hourly=True)
    assert r.hourly_delivered_kw is not None and r.hourly_unmet_kw is not None and r.hourly_heat_demand_kw is not None
    gap = r.hourly_delivered_kw + r.hourly_unmet_kw - r.hourly_heat_demand_kw[:, None, :]
    assert np.abs(gap).max() < 1e-6
    # unheated hours ask for no heat
    hod = c.season(c.hour_of_day)
    off = set_point_schedule_c(lv)[0][hod] == FREE_FLOAT_C
    assert r.hourly_heat_demand_kw[0, off].max() < 1e-9  # floating point noise of the free-float solve


# -- the output ------------------------------------------------------------------------------


def test_output_states_the_level_the_baseline_and_both_comparisons():
    r = _one()
    assert r["service_level"]["name"] == "rural_typical"
    assert r["service_level"]["heated_area_m2"] == pytest.approx(80 * r["service_level"]["heated_share"])
    base = r["baseline"]
    assert base["technology"] == "coal_stove" and base["service_level"]["name"] == "coal_observed"
    assert r["compare_with"] == "as_heated_now"
    coal = _opt(r, "coal_stove")
    for o in r["options"]:
        vs = o["versus_coal"]
        assert vs["as_heated_now"]["running_cost_saved_cny"] == base["running_cost_cny"] - o["running_cost_cny"]
        assert vs["equal_comfort"]["running_cost_saved_cny"] == coal["running_cost_cny"] - o["running_cost_cny"]
        assert o["running_cost_saved_cny"] == vs["as_heated_now"]["running_cost_saved_cny"]
        assert o["co2_saved_kg"] == vs["as_heated_now"]["co2_saved_kg"]
    assert coal["versus_coal"]["equal_comfort"] == {"running_cost_saved_cny": 0, "co2_saved_kg": 0.0}
    eq = _one(compare_with="equal_comfort")
    assert eq["compare_with"] == "equal_comfort"
    assert _opt(eq, "gshp")["running_cost_saved_cny"] == _opt(eq, "gshp")["versus_coal"]["equal_comfort"][
        "running_cost_saved_cny"]


def test_no_gas_grid_no_gas_in_the_ranking():
    """`gas_available: false` was validated and then ignored: gas was still priced and ranked."""
    r = _one(gas_available=False)
    gas = _opt(r, "gas_boiler")
    assert gas["available"] is False and gas["unavailable_reason"]["rule"] == "gas_available"
    assert "gas_boiler" not in [x["technology"] for x in r["ranking"]]
    assert all(o["available"] for o in r["options"] if o["technology"] != "gas_boiler")
    with_gas = _one(gas_available=True)
    assert _opt(with_gas, "gas_boiler")["available"] is True
    assert "gas_boiler" in [x["technology"] for x in with_gas["ranking"]]
    assert len(with_gas["ranking"]) == 11 and len(r["ranking"]) == 10


def test_a_gas_auxiliary_needs_a_gas_grid_too():
    out, _ = simulate_records([dict(HOUSE, gas_available=False)], overrides={"technologies.solar.aux_kind": "gas"})
    assert _opt(out[0], "solar_aux")["available"] is False
    out, _ = simulate_records([dict(HOUSE, gas_available=False)])
    assert _opt(out[0], "solar_aux")["available"] is True  # electric auxiliary by default


@pytest.mark.parametrize("envelope", ["uninsulated", "partly_insulated"])
def test_as_households_heat_now_coal_is_not_the_dearest_and_gas_costs_more(envelope):
    """The review's inverted ranking: at equal full comfort coal came out the dearest method in
    Yanchi (10,893 CNY, 80 m² uninsulated). As households heat now, coal is costed at the coal
    households' own service level, and gas — 2.33 CNY/m³ in Ningxia against 900 CNY/t coal,
    heated more as gas households do — costs more than coal, as households report (S3: about
    8,000 CNY of gas against 5,000 of coal)."""
    r = _one(envelope=envelope, gas_available=True)
    ranking = [x["technology"] for x in r["ranking"]]
    assert ranking[-1] != "coal_stove"
    cost = {x["technology"]: x["running_cost_cny"] for x in r["ranking"]}
    assert cost["gas_boiler"] > cost["coal_stove"]
    assert cost["coal_stove"] == r["baseline"]["running_cost_cny"]
