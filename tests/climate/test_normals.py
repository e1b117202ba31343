"""Mean-preserving interpolation from monthly normals to days."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from cleanheat.climate.normals import DAYS_IN_MONTH, MonthlyNormals, monthly_means, monthly_to_daily

YANCHI_TEMP_C = [-7.9, -3.8, 2.8, 10.4, 16.7, 21.2, 23.1, 20.9, 15.8, 8.7, 0.7, -5.8]


def test_monthly_means_are_reproduced_exactly():
    daily = monthly_to_daily(YANCHI_TEMP_C)
    assert daily.shape == (365,)
    assert_allclose(monthly_means(daily), YANCHI_TEMP_C, atol=1e-12)


def test_constant_months_give_a_constant_curve():
    assert_allclose(monthly_to_daily([3.0] * 12), 3.0, atol=1e-12)


def test_curve_is_continuous_and_bounded_by_neighbouring_months():
    daily = monthly_to_daily(YANCHI_TEMP_C)
    # day-to-day steps of a seasonal curve are small: at most ~0.3 K/d in spring and autumn
    assert np.max(np.abs(np.diff(np.r_[daily, daily[0]]))) < 0.35
    # the curve stays within the range of the normals, widened by the within-month slope
    assert daily.min() > min(YANCHI_TEMP_C) - 1.5
    assert daily.max() < max(YANCHI_TEMP_C) + 1.5


def test_noise_is_not_amplified():
    # a Fourier fit through 12 noisy means oscillates; the linear scheme stays near the data
    rng = np.random.default_rng(3)
    for _ in range(20):
        m = rng.normal(0.0, 1.0, 12)
        assert np.max(np.abs(monthly_to_daily(m))) < 3.0 * np.max(np.abs(m))


def test_wrong_length_is_rejected():
    with pytest.raises(ValueError, match="shape"):
        monthly_to_daily([1.0] * 11)


def test_normals_from_min_max_and_annual_mean():
    n = MonthlyNormals.from_min_max(YANCHI_TEMP_C, [-14.0] * 12, [0.1] * 12, [9.9] * 12)
    assert_allclose(n.temp_range_k, 14.1)
    # day-weighted annual mean of the Yanchi normals: 8.6 °C as the source's annual column
    assert n.annual_mean_temp_c == pytest.approx(np.dot(YANCHI_TEMP_C, DAYS_IN_MONTH) / 365)
    assert round(n.annual_mean_temp_c, 1) == 8.6
    assert_allclose(n.ghi_daily_kwh_m2, 9.9 / 3.6)


def test_normals_reject_negative_range():
    with pytest.raises(ValueError, match="temp_range_k"):
        MonthlyNormals(tuple(YANCHI_TEMP_C), (-1.0,) * 12, (9.9,) * 12)
