"""Tariff, price and emission-factor records read from the parameter files."""

import datetime as dt

import numpy as np
import pytest
from numpy.testing import assert_allclose

from cleanheat.economics import EmissionFactors, Prices, Tariff
from cleanheat.errors import InputError, ParameterError

HOURS = np.arange(24)


def test_ningxia_2026_windows_and_prices():
    t = Tariff.for_site("yanchi", dt.date(2026, 1, 1))
    # 宁发改价格(管理)〔2025〕736号: valley 13–17 and 20–08 (16 h) at 0.2486, peak 08–13 and 17–20 at 0.4986
    valley = t.is_valley(HOURS)
    assert valley.sum() == 16
    assert valley[[0, 7, 13, 16, 20, 23]].all() and not valley[[8, 12, 17, 19]].any()
    assert_allclose(t.price_cny_per_kwh(np.array([3, 9, 14, 18])), [0.2486, 0.4986, 0.2486, 0.4986])


def test_ningxia_before_2026_has_ten_valley_hours():
    t = Tariff.for_site("花马池镇", dt.date(2022, 11, 1))
    # 宁价商发〔2017〕35号: valley 10 h / peak 14 h (windows assumed 22–08)
    assert t.is_valley(HOURS).sum() == 10
    assert (t.period_of_hour(HOURS) == 2).sum() == 14
    # the change takes effect on the date of the notice, not before
    assert Tariff.for_site("yanchi", dt.date(2025, 12, 31)).is_valley(HOURS).sum() == 10


def test_scalar_and_array_hours_and_wrap():
    t = Tariff.for_site("yanchi", dt.date(2026, 2, 1))
    assert float(t.price_cny_per_kwh(14)) == 0.2486
    hod = np.tile(HOURS, (3, 2))  # any shape
    assert t.price_cny_per_kwh(hod).shape == (3, 48)


def test_beijing_valley_subsidy_is_capped():
    t = Tariff.for_site("beijing", dt.date(2022, 1, 1))
    assert t.is_valley(HOURS).sum() == 12 and t.valley_subsidy_cny_per_kwh == 0.2
    hod = np.tile(HOURS, 120)  # 120 days
    # house A: 2 kWh every hour → 2 × 12 × 120 = 2880 valley kWh, 2880 flat kWh
    # cost = 2880 × 0.3 + 2880 × 0.4883 − 0.2 × 2880 = 864 + 1406.30 − 576 = 1694.30
    # house B: 8 kWh every hour → 11,520 valley kWh, subsidy capped at 10,000 kWh
    # cost = 11520 × 0.3 + 11520 × 0.4883 − 0.2 × 10000 = 3456 + 5625.22 − 2000 = 7081.22
    e = np.stack([np.full(hod.size, 2.0), np.full(hod.size, 8.0)])
    assert_allclose(t.energy_cost_cny(e, hod), [1694.304, 7081.216], atol=1e-6)


def test_ningxia_cost_without_subsidy():
    t = Tariff.for_site("yanchi", dt.date(2026, 1, 1))
    # 1 kWh each hour of one day: 16 × 0.2486 + 8 × 0.4986 = 3.9776 + 3.9888 = 7.9664
    assert float(t.energy_cost_cny(np.ones(24), HOURS)) == pytest.approx(7.9664)


def test_hours_must_partition_the_day():
    with pytest.raises(ParameterError, match=r"\[5\]"):
        Tariff("x", dt.date(2020, 1, 1), frozenset(range(5)), frozenset(range(6, 24)), frozenset(), 0.1, 0.2, 0.3)


def test_unknown_region_and_date_before_first_value():
    with pytest.raises(ParameterError, match="atlantis"):
        Tariff.for_region("atlantis", dt.date(2022, 1, 1))
    with pytest.raises(ParameterError, match="no value in force"):
        Tariff.for_site("yanchi", dt.date(2010, 1, 1))
    with pytest.raises(InputError):
        Prices.for_site("nowhere", dt.date(2022, 1, 1))


def test_prices_and_factors_by_site():
    p = Prices.for_site("yanchi", dt.date(2022, 1, 1))
    assert p.region == "ningxia" and p.gas_kwh_per_m3 == pytest.approx(10.814)
    f_yc = EmissionFactors.for_site("yanchi", dt.date(2022, 6, 1))
    f_bj = EmissionFactors.for_site("beijing", dt.date(2022, 6, 1))
    assert f_yc.grid_kg_co2_per_kwh == 0.5857 and f_bj.grid_kg_co2_per_kwh == 0.6776
    assert f_yc.gas_kg_co2_per_m3 == 2.162 and f_yc.biomass_kg_co2_per_kg == 0.0
    assert f_yc.standard_coal_kg_co2_per_kgce == 2.47 and f_yc.standard_coal_mj_per_kgce == 29.307


def test_short_aliases_match():
    f = EmissionFactors.for_site("yanchi", dt.date(2022, 6, 1))
    assert (f.grid_kg_per_kwh, f.gas_kg_per_m3, f.coal_kg_per_kg) == (
        f.grid_kg_co2_per_kwh, f.gas_kg_co2_per_m3, f.coal_kg_co2_per_kg)
