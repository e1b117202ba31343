"""Evacuated-tube solar collectors on a tilted plane, a storage tank, and solar-priority heating.

Plane-of-array irradiance comes from pvlib (solar position, Hay–Davies transposition) once
per site; the collector and tank are stepped hour by hour, vectorised over houses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit

from cleanheat.units import FloatArray, Numeric

__all__ = [
    "aperture_area_m2",
    "collector_efficiency",
    "plane_irradiance_w_m2",
    "SolarTankResult",
    "simulate_solar_tank",
    "collector_yield_fixed_temperature_kwh",
]

WATER_HEAT_CAPACITY_J_KGK = 4186.0


def aperture_area_m2(n_tubes: Numeric, tube_length_m: Numeric, tube_diameter_m: float = 0.058) -> Numeric:
    r"""
    Aperture area of an evacuated-tube collector without reflector.

    Parameters
    ----------
    n_tubes : numeric
        Number of tubes. [unitless]
    tube_length_m : numeric
        Exposed length of each tube. [m]
    tube_diameter_m : float, default 0.058
        Outer diameter of the glass tube (Ø58 mm all-glass tubes are the Chinese standard
        size, GB/T 17049). [m]

    Returns
    -------
    area_m2 : numeric
        [m²]

    Notes
    -----
    .. math:: A_a = n \, L \, d

    the projected area of the tubes (ISO 9488 aperture of a tube collector without reflector).
    The guide's minimum for 60 m², 60 tubes × 1.8 m, gives 6.26 m².

    References
    ----------
    .. [1] ISO 9488:2022 Solar energy — Vocabulary, aperture area.
    """
    return np.asarray(n_tubes, dtype=float) * np.asarray(tube_length_m, dtype=float) * tube_diameter_m


def collector_efficiency(
    irradiance_w_m2: Numeric,
    temp_mean_c: Numeric,
    temp_air_c: Numeric,
    eta0: float = 0.60,
    a1_w_m2k: float = 1.6,
    a2_w_m2k2: float = 0.008,
) -> Numeric:
    r"""
    Collector efficiency from the quadratic ISO 9806 steady-state model, floored at zero.

    Parameters
    ----------
    irradiance_w_m2 : numeric
        Plane-of-array irradiance. [W/m²]
    temp_mean_c : numeric
        Mean fluid temperature in the collector. [°C]
    temp_air_c : numeric
        Ambient air temperature. [°C]
    eta0 : float, default 0.60
        Peak (zero-loss) efficiency on the aperture area. [unitless]
    a1_w_m2k : float, default 1.6
        First-order heat-loss coefficient. [W/(m² K)]
    a2_w_m2k2 : float, default 0.008
        Second-order heat-loss coefficient. [W/(m² K²)]

    Returns
    -------
    efficiency : numeric
        Broadcast shape; 0 where the irradiance is zero or losses exceed gains. [unitless]

    Notes
    -----
    .. math:: \eta = \eta_0 - a_1 \frac{T_m - T_a}{G} - a_2 \frac{(T_m - T_a)^2}{G}

    Defaults are typical of all-glass evacuated tubes (η0 0.55–0.65, a1 1.2–2.0, a2
    0.005–0.012 on aperture); no certified test report was found (unconfirmed).

    References
    ----------
    .. [1] ISO 9806:2017 Solar energy — Solar thermal collectors — Test methods, §23.
    """
    g = np.asarray(irradiance_w_m2, dtype=float)
    dt = np.asarray(temp_mean_c, dtype=float) - np.asarray(temp_air_c, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        eta = eta0 - a1_w_m2k * dt / g - a2_w_m2k2 * dt * dt / g
    return np.where(g > 1.0, np.maximum(eta, 0.0), 0.0)


def plane_irradiance_w_m2(
    time: Any,
    latitude_deg: float,
    longitude_deg: float,
    elevation_m: float,
    ghi_w_m2: FloatArray,
    dni_w_m2: FloatArray,
    dhi_w_m2: FloatArray,
    surface_tilt_deg: float,
    surface_azimuth_deg: float = 180.0,
    albedo: float = 0.2,
) -> FloatArray:
    r"""
    Global irradiance on a tilted plane (pvlib solar position and Hay–Davies transposition).

    Parameters
    ----------
    time : pandas.DatetimeIndex
        Hourly time stamps (time-zone aware, or local standard time); each stamp is the start
        of its hour and the sun is placed at mid-hour. [—]
    latitude_deg, longitude_deg : float
        Site position. [°]
    elevation_m : float
        Site elevation. [m]
    ghi_w_m2, dni_w_m2, dhi_w_m2 : ndarray
        Global horizontal, direct normal and diffuse horizontal irradiance, shape (n_hours,). [W/m²]
    surface_tilt_deg : float
        Tilt from horizontal (vertical facade: 90). [°]
    surface_azimuth_deg : float, default 180
        Azimuth, clockwise from north (south = 180). [°]
    albedo : float, default 0.2
        Ground reflectance. [unitless]

    Returns
    -------
    poa_global_w_m2 : ndarray
        Shape (n_hours,), ≥ 0. [W/m²]

    References
    ----------
    .. [1] W. F. Holmgren, C. W. Hansen and M. A. Mikofski, "pvlib python: a python package
       for modeling solar energy systems," J. Open Source Softw., vol. 3, no. 29, p. 884, 2018.
    .. [2] J. E. Hay and J. A. Davies, "Calculation of the solar radiation incident on an
       inclined surface," in Proc. First Canadian Solar Radiation Data Workshop, 1980, pp. 59–72.
    """
    import pandas as pd
    import pvlib

    times = pd.DatetimeIndex(time) + pd.Timedelta(minutes=30)
    sp = pvlib.solarposition.get_solarposition(times, latitude_deg, longitude_deg, altitude=elevation_m)
    dni_extra = pvlib.irradiance.get_extra_radiation(np.asarray(times.day_of_year, dtype=float))
    poa = pvlib.irradiance.get_total_irradiance(
        surface_tilt_deg, surface_azimuth_deg, sp["apparent_zenith"].to_numpy(), sp["azimuth"].to_numpy(),
        np.asarray(dni_w_m2, dtype=float), np.asarray(ghi_w_m2, dtype=float), np.asarray(dhi_w_m2, dtype=float),
        dni_extra=np.asarray(dni_extra, dtype=float), albedo=albedo, model="haydavies",
    )
    out = np.asarray(poa["poa_global"], dtype=float)
    return np.nan_to_num(np.maximum(out, 0.0))


def collector_yield_fixed_temperature_kwh(
    poa_w_m2: FloatArray,
    temp_air_c: FloatArray,
    temp_mean_c: float,
    eta0: float = 0.60,
    a1_w_m2k: float = 1.6,
    a2_w_m2k2: float = 0.008,
) -> float:
    """
    Yield per m² aperture of a collector held at a fixed mean fluid temperature (e.g. a
    ground-recharge loop), summed over the hours given. [kWh/m²]

    Parameters
    ----------
    poa_w_m2, temp_air_c : ndarray
        Plane-of-array irradiance and air temperature, shape (n_hours,). [W/m², °C]
    temp_mean_c : float
        Mean fluid temperature. [°C]
    eta0, a1_w_m2k, a2_w_m2k2 : float
        As :func:`collector_efficiency`.
    """
    eta = collector_efficiency(poa_w_m2, temp_mean_c, temp_air_c, eta0, a1_w_m2k, a2_w_m2k2)
    return float(np.sum(eta * poa_w_m2) / 1000.0)


@dataclass
class SolarTankResult:
    """Hourly results, each (n_houses, n_hours) [kW]: ``solar_kw`` heat from the tank to the
    house, ``collected_kw`` collector yield into the tank, ``rest_kw`` demand left for the auxiliary."""

    solar_kw: FloatArray
    collected_kw: FloatArray
    rest_kw: FloatArray


def simulate_solar_tank(
    heat_demand_kw: FloatArray,
    poa_w_m2: FloatArray,
    temp_air_c: FloatArray,
    aperture_m2: FloatArray,
    tank_volume_l: FloatArray,
    *,
    eta0: float = 0.60,
    a1_w_m2k: float = 1.6,
    a2_w_m2k2: float = 0.008,
    tank_ua_w_k: FloatArray | float = 2.5,
    temp_tank_env_c: float = 15.0,
    temp_use_min_c: float = 35.0,
    temp_tank_max_c: float = 95.0,
    collector_offset_k: float = 5.0,
) -> SolarTankResult:
    r"""
    Collector → fully mixed tank → house, solar first; hour by hour, vectorised over houses.

    Parameters
    ----------
    heat_demand_kw : ndarray
        Space-heating demand, shape (n_houses, n_hours). [kW]
    poa_w_m2 : ndarray
        Irradiance on the collector plane, shape (n_hours,). [W/m²]
    temp_air_c : ndarray
        Outdoor temperature, shape (n_hours,). [°C]
    aperture_m2 : ndarray
        Collector aperture per house, shape (n_houses,). [m²]
    tank_volume_l : ndarray
        Tank volume per house, shape (n_houses,). [L]
    eta0, a1_w_m2k, a2_w_m2k2 : float
        Collector coefficients (see :func:`collector_efficiency`).
    tank_ua_w_k : ndarray or float, default 2.5
        Tank heat-loss coefficient. [W/K]
    temp_tank_env_c : float, default 15
        Temperature around the tank. [°C]
    temp_use_min_c : float, default 35
        Lowest tank temperature usable for floor heating. [°C]
    temp_tank_max_c : float, default 95
        Over-heat protection: heat above this is dumped. [°C]
    collector_offset_k : float, default 5
        Collector mean fluid temperature above the tank temperature. [K]

    Returns
    -------
    SolarTankResult

    Notes
    -----
    Each hour: collector gain :math:`A\,\eta(G, T_{tank} + 5, T_a)\,G` enters the tank; the
    tank loses :math:`UA (T_{tank} - T_{env})`; the house draws
    :math:`\min(Q_{dem}, m c (T_{tank} - T_{use})/3.6\,\text{MJ})`; the remainder goes to the
    auxiliary, which heats the house directly so it does not take solar yield from the tank
    (solar priority, as the Yanchi guide requires).
    """
    demand = np.asarray(heat_demand_kw, dtype=float)
    n, n_hours = demand.shape
    mc_kwh_k = np.asarray(tank_volume_l, dtype=float) * WATER_HEAT_CAPACITY_J_KGK / 3.6e6  # kg = L
    area = np.asarray(aperture_m2, dtype=float)
    ua_kw_k = np.asarray(tank_ua_w_k, dtype=float) / 1000.0
    solar = np.empty_like(demand)
    collected = np.empty_like(demand)
    rest = np.empty_like(demand)
    f = np.ascontiguousarray
    _tank_hours(f(demand), f(poa_w_m2, dtype=float), f(temp_air_c, dtype=float), f(np.broadcast_to(area, (n,))),
                f(np.broadcast_to(mc_kwh_k, (n,))), f(np.broadcast_to(ua_kw_k, (n,))), float(eta0), float(a1_w_m2k),
                float(a2_w_m2k2), float(temp_tank_env_c), float(temp_use_min_c), float(temp_tank_max_c),
                float(collector_offset_k), solar, collected, rest)
    return SolarTankResult(solar_kw=solar, collected_kw=collected, rest_kw=rest)


@njit(nogil=True, cache=True, error_model="numpy")
def _tank_hours(demand, poa, temp_air, area, mc_kwh_k, ua_kw_k, eta0, a1, a2, temp_env, temp_use_min,
                temp_max, offset, solar, collected, rest):
    """The hour loop of :func:`simulate_solar_tank`, compiled, house by house (same arithmetic
    as :func:`collector_efficiency` and the tank balance)."""
    n, n_hours = demand.shape
    block = 32  # houses stepped together: independent chains that the CPU overlaps (and vectorises)
    t_tank = np.empty(block)
    for i0 in range(0, n, block):
        i1 = min(n, i0 + block)
        for i in range(i0, i1):
            t_tank[i - i0] = temp_use_min
        for h in range(n_hours):
            g = poa[h]
            t_a = temp_air[h]
            sunny = g > 1.0
            for i in range(i0, i1):
                tt = t_tank[i - i0]
                mc = mc_kwh_k[i]
                if sunny:
                    dt = (tt + offset) - t_a
                    eta = eta0 - a1 * dt / g - a2 * dt * dt / g
                    if not eta >= 0.0:
                        eta = 0.0 if eta < 0.0 else eta
                    q_col = area[i] * eta * g / 1000.0
                else:
                    q_col = 0.0
                tt = tt + (q_col - ua_kw_k[i] * (tt - temp_env)) / mc
                avail = max(tt - temp_use_min, 0.0) * mc
                d = demand[i, h]
                use = d if d < avail else avail
                t_tank[i - i0] = min(tt - use / mc, temp_max)
                solar[i, h] = use
                collected[i, h] = q_col
                rest[i, h] = d - use
