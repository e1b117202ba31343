"""Properties of the generated typical year."""

import time

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from cleanheat.climate import generate_typical_year, get_site, load_typical_year
from cleanheat.climate.normals import monthly_means


@pytest.fixture(scope="module")
def yanchi():
    return load_typical_year("yanchi", seed=0)


def test_shapes_dtypes_and_time_index(yanchi):
    for name in ("temp_air_c", "ghi_w_m2", "dni_w_m2", "dhi_w_m2", "solar_zenith_deg"):
        arr = getattr(yanchi, name)
        assert arr.shape == (8760,) and arr.dtype == np.float64
        assert np.all(np.isfinite(arr))
    assert isinstance(yanchi.time, pd.DatetimeIndex) and len(yanchi.time) == 8760
    assert yanchi.time[0].utcoffset() == pd.Timedelta(hours=8)  # China Standard Time
    assert not ((yanchi.time.month == 2) & (yanchi.time.day == 29)).any()
    assert (yanchi.time.hour.to_numpy() == yanchi.hour_of_day).all()


def test_monthly_mean_temperature_reproduced(yanchi):
    normals = yanchi.site.normals
    assert_allclose(monthly_means(yanchi.daily_mean_temp_c()), normals.temp_mean_c, atol=1e-9)


def test_monthly_ghi_reproduced(yanchi):
    daily_mj = yanchi.ghi_w_m2.reshape(365, 24).sum(axis=1) * 3600 / 1e6
    assert_allclose(monthly_means(daily_mj), yanchi.site.normals.ghi_daily_mj_m2, rtol=1e-6)
    # 5924 MJ/m² a year in the cdsrd dataset, 1645 kWh/m² (domain-facts §3)
    assert yanchi.ghi_w_m2.sum() / 1000 == pytest.approx(1645, rel=0.005)


def test_monthly_mean_daily_range_reproduced(yanchi):
    t = yanchi.temp_air_c.reshape(365, 24)
    # hourly sampling clips the extremes of a continuous curve a little
    assert_allclose(monthly_means(t.max(axis=1) - t.min(axis=1)), yanchi.site.normals.temp_range_k, atol=0.6)


def test_deterministic_per_seed_and_seeds_differ():
    site = get_site("yanchi")
    a = generate_typical_year(site, seed=7)
    b = generate_typical_year(site, seed=7)
    c = generate_typical_year(site, seed=8)
    assert np.array_equal(a.temp_air_c, b.temp_air_c) and np.array_equal(a.ghi_w_m2, b.ghi_w_m2)
    assert not np.allclose(a.temp_air_c, c.temp_air_c)


def test_cached_loader_returns_the_same_object():
    assert load_typical_year("yanchi", 0) is load_typical_year("花马池镇", 0)
    assert load_typical_year("yanchi", 0) is not load_typical_year("yanchi", 1)


def test_arrays_are_read_only(yanchi):
    with pytest.raises(ValueError):
        yanchi.temp_air_c[0] = 0.0


def test_ghi_below_extraterrestrial_and_zero_at_night(yanchi):
    cos_z = np.cos(np.radians(yanchi.solar_zenith_deg))
    etr_h = yanchi.dni_extra_w_m2 * np.clip(cos_z, 0, None)
    assert np.all(yanchi.ghi_w_m2 <= etr_h + 1e-9)
    night = yanchi.solar_zenith_deg >= 90
    assert night.sum() > 3000
    for arr in (yanchi.ghi_w_m2, yanchi.dni_w_m2, yanchi.dhi_w_m2):
        assert np.all(arr[night] == 0.0)
        assert np.all(arr >= 0.0)


def test_closure_dni_cos_z_plus_dhi_is_ghi(yanchi):
    cos_z = np.clip(np.cos(np.radians(yanchi.solar_zenith_deg)), 0, None)
    assert_allclose(yanchi.dni_w_m2 * cos_z + yanchi.dhi_w_m2, yanchi.ghi_w_m2, atol=1e-6)
    assert yanchi.dni_w_m2.max() < 1200  # below the solar constant


def test_diurnal_profile_min_near_sunrise_max_in_afternoon(yanchi):
    jan = yanchi.temp_air_c[: 31 * 24].reshape(31, 24)
    hour_min = np.bincount(jan.argmin(axis=1), minlength=24).argmax()
    hour_max = np.bincount(jan.argmax(axis=1), minlength=24).argmax()
    # Yanchi (107.4 °E, UTC+8): January sunrise ≈ 8:10, solar noon ≈ 12:55 local standard time
    assert 7 <= hour_min <= 8
    assert 14 <= hour_max <= 16


def test_cold_spells_exist(yanchi):
    # persistence: lag-one correlation of winter daily-mean anomalies is clearly positive
    d = yanchi.daily_mean_temp_c()
    winter = np.r_[d[334:], d[:59]]
    anomaly = winter - np.convolve(winter, np.ones(15) / 15, mode="same")
    assert np.corrcoef(anomaly[7:-8][:-1], anomaly[7:-8][1:])[0, 1] > 0.3
    # the coldest day is well below the coldest monthly mean (−7.9 °C in January)
    assert d.min() < -7.9 - 4.0


def test_heating_season_mask_and_indices():
    y = load_typical_year("yanchi")
    mask = y.heating_season_mask()
    idx = y.heating_season_indices()
    assert mask.sum() == 151 * 24 == len(idx)  # 1 Nov – 31 Mar, non-leap
    assert np.array_equal(np.sort(idx), np.flatnonzero(mask))
    assert y.time[idx[0]] == pd.Timestamp("2023-11-01 00:00", tz=y.site.tz)
    assert y.time[idx[-1]] == pd.Timestamp("2023-03-31 23:00", tz=y.site.tz)
    season_time = y.heating_season_time()
    assert season_time.is_monotonic_increasing and (np.diff(season_time) == pd.Timedelta(hours=1)).all()
    b = load_typical_year("beijing")
    assert b.heating_season_mask().sum() == 121 * 24  # 15 Nov – 15 Mar


def test_generation_is_fast():
    site = get_site("beijing")
    t0 = time.perf_counter()
    generate_typical_year(site, seed=123)
    assert time.perf_counter() - t0 < 1.0


def test_yanchi_colder_than_beijing_in_season():
    y, b = load_typical_year("yanchi"), load_typical_year("beijing")
    assert y.temp_air_c[y.heating_season_mask()].mean() < b.temp_air_c[b.heating_season_mask()].mean()


def test_replacing_the_site_recomputes_the_season():
    import dataclasses

    y = load_typical_year("yanchi")
    assert y.heating_season_mask().sum() == 151 * 24
    moved = dataclasses.replace(y, site=get_site("beijing"))
    assert moved.heating_season_mask().sum() == 121 * 24
