"""Township grid load (盐政办发〔2022〕8号 六(四); issue #11): coincident peaks and the tariff split."""

import json
import subprocess
import sys

import numpy as np
import pytest

from cleanheat.errors import InputError
from cleanheat.simulate.grid import grid_load


def _house(i, tech, town="惠安堡镇", **kw):
    rng = np.random.default_rng(i)
    return {"house_id": f"H{i}", "site": town, "heated_area_m2": float(rng.integers(60, 140)),
            "dwelling": str(rng.choice(["brick", "cave"])), "envelope": str(rng.choice(["uninsulated",
                                                                                       "partly_insulated"])),
            "technology": tech, **kw}


@pytest.fixture(scope="module")
def mixed():
    techs = ["ashp_water", "fan_heater_direct", "storage_electric", "gshp", "coal_stove", "gas_boiler"]
    recs = [_house(i, techs[i % len(techs)], transformer=f"T{i % 3}") for i in range(24)]
    recs += [_house(100 + i, "ashp_water", town="大水坑镇") for i in range(5)]
    return recs, grid_load(recs, keep_hourly=True)


def test_coincident_peak_between_the_largest_house_and_the_sum(mixed):
    recs, out = mixed
    assert [t["name"] for t in out["townships"]] == ["惠安堡镇", "大水坑镇"]
    for g in out["townships"] + out["transformers"]:
        assert g["largest_house_peak_kw"] - 0.01 <= g["peak_kw"] <= g["sum_of_house_peaks_kw"] + 0.05, g["name"]
        assert g["valley_kwh"] + g["flat_kwh"] + g["peak_period_kwh"] == pytest.approx(g["electricity_kwh"], abs=2)
    town = out["townships"][0]
    assert town["households"] == 24 and town["peak_at"] is not None
    assert max(town["hourly_kw"]) == pytest.approx(town["peak_kw"], abs=0.05)


def test_transformers_add_up_to_the_township(mixed):
    _, out = mixed
    parts = [t for t in out["transformers"] if t["township"] == "惠安堡镇"]
    assert sorted(t["name"] for t in parts) == ["T0", "T1", "T2"]
    assert sum(t["households"] for t in parts) == 24
    assert sum(t["electricity_kwh"] for t in parts) == pytest.approx(out["townships"][0]["electricity_kwh"], abs=3)
    # the township's coincident peak is at most the sum of its transformers' peaks
    assert out["townships"][0]["peak_kw"] <= sum(t["peak_kw"] for t in parts) + 0.1


def test_storage_heaters_draw_in_the_valley():
    """Charged in valley hours (the Ningxia 2026 tariff has 16 valley hours), with a direct element
    for what the store cannot carry: three quarters or more of their electricity is valley power."""
    out = grid_load([_house(i, "storage_electric") for i in range(6)])
    assert out["townships"][0]["valley_share"] >= 0.75


def test_coal_draws_nothing():
    out = grid_load([_house(1, "coal_stove")])
    t = out["townships"][0]
    assert t["peak_kw"] == 0.0 and t["peak_at"] is None and t["electricity_kwh"] == 0


def test_bad_records_are_named():
    with pytest.raises(InputError) as exc:
        grid_load([_house(1, "ashp_water"), dict(_house(2, "ashp_watr"), heated_area_m2=-1)])
    text = str(exc.value)
    assert "record 1 (house_id=H2)" in text and "technology" in text and "did you mean 'ashp_water'" in text


def test_cli():
    recs = [_house(i, "ashp_water") for i in range(3)]
    p = subprocess.run([sys.executable, "-m", "cleanheat", "grid", "-"], input=json.dumps(recs),
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["townships"][0]["households"] == 3 and out["transformers"] == []
    p = subprocess.run([sys.executable, "-m", "cleanheat", "grid", "-"], input=json.dumps([{"site": "x"}]),
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "Traceback" not in p.stderr


def test_group_weights_count_a_house_in_each_of_its_groups():
    """A (n_groups, n_houses) weight matrix: a house in two groups (township and transformer) is
    simulated once and summed into both; de-duplicated houses carry every weight they stand for."""
    from cleanheat.simulate.records import climate_for, cost_inputs
    from cleanheat.simulate.season import Houses, simulate_season

    h = Houses(np.array([80.0, 80.0, 100.0]), np.array(["brick"] * 3), np.array(["uninsulated"] * 3))
    c, costs = climate_for("yanchi"), cost_inputs("yanchi")
    by_index = simulate_season(h, c, costs, technologies=("ashp_water",), groups=np.array([0, 0, 1]), n_groups=2)
    w = np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 1.0]])  # two townships, one transformer across
    by_weights = simulate_season(h, c, costs, technologies=("ashp_water",), groups=w)
    assert by_index.group_electric_kw is not None and by_weights.group_electric_kw is not None
    np.testing.assert_allclose(by_weights.group_electric_kw[:2], by_index.group_electric_kw, rtol=1e-12)
    alone = simulate_season(h, c, costs, technologies=("ashp_water",), groups=np.array([0, 1, 0]), n_groups=2)
    assert alone.group_electric_kw is not None
    np.testing.assert_allclose(by_weights.group_electric_kw[2], alone.group_electric_kw[0], rtol=1e-12)
