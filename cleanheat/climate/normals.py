"""Monthly climate normals of a site and the mean-preserving interpolation from months to days."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cleanheat.units import FloatArray

__all__ = [
    "DAYS_IN_MONTH",
    "MonthlyNormals",
    "day_month",
    "monthly_means",
    "monthly_to_daily",
]

DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
"""Days in each month of the (non-leap) typical year. [d]"""

MJ_PER_KWH = 3.6


def day_month() -> np.ndarray:
    """Month (1–12) of each day of a non-leap year, shape (365,)."""
    return np.repeat(np.arange(1, 13), DAYS_IN_MONTH)


@dataclass(frozen=True)
class MonthlyNormals:
    """Monthly climate normals of a site (tuples of 12 values, January first).

    Attributes
    ----------
    temp_mean_c : tuple of float
        Monthly mean air temperature (mean of the daily means). [°C]
    temp_range_k : tuple of float
        Monthly mean of the daily temperature range, daily maximum minus daily minimum. [K]
    ghi_daily_mj_m2 : tuple of float
        Monthly mean daily global horizontal irradiation. [MJ/m²·d]
    source : str
        Where the normals come from (document, period, confidence).
    """

    temp_mean_c: tuple[float, ...]
    temp_range_k: tuple[float, ...]
    ghi_daily_mj_m2: tuple[float, ...]
    source: str = ""

    def __post_init__(self) -> None:
        for name in ("temp_mean_c", "temp_range_k", "ghi_daily_mj_m2"):
            values = getattr(self, name)
            if len(values) != 12:
                raise ValueError(f"{name} needs 12 monthly values, got {len(values)}")
            if not all(np.isfinite(float(v)) for v in values):
                raise ValueError(f"{name} has a value that is not a finite number: {values}")
        if min(self.temp_range_k) < 0:
            raise ValueError(f"temp_range_k must be ≥ 0, got {self.temp_range_k}")
        if min(self.ghi_daily_mj_m2) <= 0:
            raise ValueError(f"ghi_daily_mj_m2 must be > 0, got {self.ghi_daily_mj_m2}")

    @classmethod
    def from_min_max(
        cls,
        temp_mean_c: tuple[float, ...] | list[float],
        temp_min_mean_c: tuple[float, ...] | list[float],
        temp_max_mean_c: tuple[float, ...] | list[float],
        ghi_daily_mj_m2: tuple[float, ...] | list[float],
        source: str = "",
    ) -> MonthlyNormals:
        """Normals from the monthly mean daily minimum and maximum (range = max − min). [°C]"""
        rng = tuple(float(hi) - float(lo) for lo, hi in zip(temp_min_mean_c, temp_max_mean_c, strict=True))
        return cls(
            tuple(float(v) for v in temp_mean_c), rng, tuple(float(v) for v in ghi_daily_mj_m2), source
        )

    @property
    def annual_mean_temp_c(self) -> float:
        """Day-weighted annual mean air temperature. [°C]"""
        return float(np.dot(self.temp_mean_c, DAYS_IN_MONTH) / DAYS_IN_MONTH.sum())

    @property
    def ghi_daily_kwh_m2(self) -> FloatArray:
        """Monthly mean daily global horizontal irradiation, shape (12,). [kWh/m²·d]"""
        return np.asarray(self.ghi_daily_mj_m2, dtype=np.float64) / MJ_PER_KWH


def monthly_means(daily: FloatArray) -> FloatArray:
    """Mean of a daily series (365,) over each month, shape (12,)."""
    sums = np.add.reduceat(np.asarray(daily, dtype=np.float64), np.r_[0, np.cumsum(DAYS_IN_MONTH)[:-1]])
    return sums / DAYS_IN_MONTH


def _hat_basis() -> FloatArray:
    """Periodic piecewise-linear "hat" functions with knots at mid-month; shape (365, 12)."""
    mid = np.r_[0, np.cumsum(DAYS_IN_MONTH)[:-1]] + DAYS_IN_MONTH / 2.0  # knot positions [d]
    t = np.arange(365) + 0.5
    knots = np.r_[mid[-1] - 365.0, mid, mid[0] + 365.0]
    basis = np.empty((365, 12))
    for j in range(12):
        values = np.zeros(14)
        values[j + 1] = 1.0
        if j == 0:
            values[13] = 1.0
        if j == 11:
            values[0] = 1.0
        basis[:, j] = np.interp(t, knots, values)
    return basis


_BASIS = _hat_basis()
_MONTH_OPERATOR = np.stack([monthly_means(_BASIS[:, j]) for j in range(12)], axis=1)


def monthly_to_daily(monthly: FloatArray | tuple[float, ...] | list[float]) -> FloatArray:
    r"""
    Daily curve, linear between mid-month knots, whose monthly means equal the given values exactly.

    Parameters
    ----------
    monthly : array_like, shape (12,)
        Monthly mean values, January first. [any unit]

    Returns
    -------
    daily : numpy.ndarray, shape (365,)
        One value per day of a non-leap year, same unit; periodic (December joins January).

    Notes
    -----
    The knot values :math:`c` solve :math:`M c = m`, where :math:`M_{ij}` is the mean over
    month *i* of the hat function of knot *j*: the mean-preserving linear interpolation of
    Killworth [1]_. :math:`M` is diagonally dominant (condition number ≈ 2), so noise in the
    monthly values is not amplified, unlike a Fourier fit through 12 monthly means.

    References
    ----------
    .. [1] P. D. Killworth, "Time interpolation of forcing fields in ocean models,"
       J. Phys. Oceanogr., vol. 26, no. 1, pp. 136–143, 1996.
    """
    m = np.asarray(monthly, dtype=np.float64)
    if m.shape != (12,):
        raise ValueError(f"monthly needs shape (12,), got {m.shape}")
    coef = np.linalg.solve(_MONTH_OPERATOR, m)
    daily: FloatArray = _BASIS @ coef
    return daily
