"""Evacuated-tube solar collectors on a tilted plane, a storage tank, and solar-priority heating.

Plane-of-array irradiance comes from pvlib (solar position, Hay–Davies transposition) once
per site, with the tubes' biaxial incidence-angle modifier (pvlib ``iam`` functions); the
collector loop (pipe losses, the loop's warm-up after each idle spell, pump electricity) and
the tank are stepped hour by hour, house by house, in one compiled pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit

from cleanheat.units import BoolArray, FloatArray, Numeric

__all__ = [
    "aperture_area_m2",
    "collector_efficiency",
    "plane_irradiance_w_m2",
    "tube_incidence_angles_deg",
    "iam_evacuated_tube",
    "collector_irradiance",
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
    iam: Numeric = 1.0,
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
    iam : numeric, default 1
        Effective incidence-angle modifier of the hour's irradiance (see
        :func:`collector_irradiance`). [unitless]

    Returns
    -------
    efficiency : numeric
        Broadcast shape; 0 where the irradiance is zero or losses exceed gains. [unitless]

    Notes
    -----
    .. math:: \eta = \eta_0 K - a_1 \frac{T_m - T_a}{G} - a_2 \frac{(T_m - T_a)^2}{G}

    Defaults are typical of all-glass evacuated tubes (η0 0.55–0.65, a1 1.2–2.0, a2
    0.005–0.012 on aperture); no certified test report was found (unconfirmed).

    References
    ----------
    .. [1] ISO 9806:2017 Solar energy — Solar thermal collectors — Test methods, §23.
    """
    g = np.asarray(irradiance_w_m2, dtype=float)
    dt = np.asarray(temp_mean_c, dtype=float) - np.asarray(temp_air_c, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        eta = eta0 * np.asarray(iam, dtype=float) - a1_w_m2k * dt / g - a2_w_m2k2 * dt * dt / g
    return np.where(g > 1.0, np.maximum(eta, 0.0), 0.0)


def _sun_and_plane(time: Any, latitude_deg: float, longitude_deg: float, elevation_m: float, ghi_w_m2: FloatArray,
                   dni_w_m2: FloatArray, dhi_w_m2: FloatArray, surface_tilt_deg: float, surface_azimuth_deg: float,
                   albedo: float) -> tuple[Any, Any]:
    """pvlib solar position (mid-hour) and Hay–Davies plane-of-array components."""
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
    return sp, poa


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
    _sp, poa = _sun_and_plane(time, latitude_deg, longitude_deg, elevation_m, ghi_w_m2, dni_w_m2, dhi_w_m2,
                              surface_tilt_deg, surface_azimuth_deg, albedo)
    out = np.asarray(poa["poa_global"], dtype=float)
    return np.nan_to_num(np.maximum(out, 0.0))


def tube_incidence_angles_deg(
    solar_zenith_deg: Numeric,
    solar_azimuth_deg: Numeric,
    surface_tilt_deg: float,
    surface_azimuth_deg: float = 180.0,
) -> tuple[Numeric, Numeric]:
    r"""
    Transversal and longitudinal incidence angles on a collector whose tubes run up the slope.

    Parameters
    ----------
    solar_zenith_deg, solar_azimuth_deg : numeric
        Apparent solar zenith and azimuth (clockwise from north). [°]
    surface_tilt_deg : float
        Collector tilt from horizontal. [°]
    surface_azimuth_deg : float, default 180
        Collector azimuth (south = 180); the tubes lie in the vertical plane of this azimuth. [°]

    Returns
    -------
    theta_t_deg, theta_l_deg : numeric
        Absolute transversal angle (the sun's direction projected on the plane across the tubes,
        from the collector normal) and longitudinal angle (projected on the plane along the
        tubes); 90 where the sun is behind the collector. [°]

    Notes
    -----
    With :math:`\cos\theta` the cosine of the angle of incidence (:func:`pvlib.irradiance.aoi`)
    and :math:`\theta_T` the projected solar zenith angle about the tube axis
    (:func:`pvlib.shading.projected_solar_zenith_angle`, axis tilt and azimuth those of the
    collector, whose normal is the axis' rotation-zero normal), the sun's components along the
    normal, across and along the tubes are :math:`s_n = \cos\theta`,
    :math:`s_t = s_n \tan\theta_T`, :math:`s_l = \sqrt{1 - s_n^2 - s_t^2}`, and
    :math:`\theta_L = \arctan(s_l / s_n)`.

    References
    ----------
    .. [1] ISO 9806:2017 Solar energy — Solar thermal collectors — Test methods, incidence angle
       modifier for collectors with biaxial optics.
    """
    import pvlib

    aoi = np.asarray(pvlib.irradiance.aoi(surface_tilt_deg, surface_azimuth_deg, solar_zenith_deg,
                                          solar_azimuth_deg), dtype=float)
    theta_t = np.abs(np.asarray(pvlib.shading.projected_solar_zenith_angle(
        solar_zenith_deg, solar_azimuth_deg, surface_tilt_deg, surface_azimuth_deg), dtype=float))
    s_n = np.cos(np.radians(aoi))
    front = s_n > 0.0
    with np.errstate(invalid="ignore"):
        s_t = s_n * np.tan(np.radians(np.minimum(theta_t, 89.999)))
        s_l = np.sqrt(np.maximum(1.0 - s_n * s_n - s_t * s_t, 0.0))
        theta_l = np.degrees(np.arctan2(s_l, s_n))
    return np.where(front, theta_t, 90.0), np.where(front, theta_l, 90.0)


def iam_evacuated_tube(
    theta_t_deg: Numeric,
    theta_l_deg: Numeric,
    theta_ref_deg: Any,
    iam_transversal_ref: Any,
    b0: float,
) -> Numeric:
    r"""
    Biaxial incidence-angle modifier of an evacuated-tube collector for beam irradiance.

    Parameters
    ----------
    theta_t_deg, theta_l_deg : numeric
        Transversal and longitudinal incidence angles (:func:`tube_incidence_angles_deg`). [°]
    theta_ref_deg, iam_transversal_ref : sequence of float
        The transversal modifier as an ISO 9806 :math:`K_T(\theta_T)` table, interpolated
        linearly (:func:`pvlib.iam.interp`, not normalised: values above 1 are kept). [°, unitless]
    b0 : float
        ASHRAE coefficient of the longitudinal modifier (:func:`pvlib.iam.ashrae`). [unitless]

    Returns
    -------
    iam : numeric
        Broadcast shape, ≥ 0. [unitless]

    Notes
    -----
    .. math:: K_b(\theta_T, \theta_L) = K_T(\theta_T)\, K_L(\theta_L), \qquad
              K_L = 1 - b_0 \left(\frac{1}{\cos\theta_L} - 1\right)

    the product (factorisation) of the two one-axis modifiers that ISO 9806 reports for
    collectors with biaxial optics (McIntire's approximation).

    References
    ----------
    .. [1] W. R. McIntire, "Factored approximations for biaxial incident angle modifiers,"
       Solar Energy, vol. 29, no. 4, pp. 315–322, 1982.
    .. [2] J. A. Duffie and W. A. Beckman, Solar Engineering of Thermal Processes, 4th ed.
       Hoboken, NJ, USA: Wiley, 2013, §6.17.
    """
    import pvlib

    k_t = pvlib.iam.interp(theta_t_deg, np.asarray(theta_ref_deg, dtype=float),
                           np.asarray(iam_transversal_ref, dtype=float), normalize=False)
    k_l = pvlib.iam.ashrae(theta_l_deg, b=b0)
    return np.maximum(np.asarray(k_t, dtype=float) * np.asarray(k_l, dtype=float), 0.0)


def collector_irradiance(
    time: Any,
    latitude_deg: float,
    longitude_deg: float,
    elevation_m: float,
    ghi_w_m2: FloatArray,
    dni_w_m2: FloatArray,
    dhi_w_m2: FloatArray,
    surface_tilt_deg: float,
    surface_azimuth_deg: float,
    theta_ref_deg: Any,
    iam_transversal_ref: Any,
    b0: float,
    iam_diffuse: float,
    albedo: float = 0.2,
) -> tuple[FloatArray, FloatArray]:
    r"""
    Irradiance on an evacuated-tube collector and its effective incidence-angle modifier, by hour.

    Parameters
    ----------
    time, latitude_deg, longitude_deg, elevation_m, ghi_w_m2, dni_w_m2, dhi_w_m2, albedo
        As :func:`plane_irradiance_w_m2`.
    surface_tilt_deg, surface_azimuth_deg : float
        Collector tilt and azimuth (south = 180). [°]
    theta_ref_deg, iam_transversal_ref, b0
        As :func:`iam_evacuated_tube`.
    iam_diffuse : float
        Modifier of the diffuse (sky and ground) irradiance, ISO 9806 :math:`K_d`. [unitless]

    Returns
    -------
    poa_global_w_m2 : ndarray
        Shape (n_hours,), ≥ 0, as :func:`plane_irradiance_w_m2`. [W/m²]
    iam : ndarray
        Shape (n_hours,): :math:`(K_b G_b + K_d G_d) / G`, the factor on :math:`\eta_0`
        (1 where :math:`G` ≤ 1 W/m²). [unitless]
    """
    sp, poa = _sun_and_plane(time, latitude_deg, longitude_deg, elevation_m, ghi_w_m2, dni_w_m2, dhi_w_m2,
                             surface_tilt_deg, surface_azimuth_deg, albedo)
    zen, azi = sp["apparent_zenith"].to_numpy(), sp["azimuth"].to_numpy()
    theta_t, theta_l = tube_incidence_angles_deg(zen, azi, surface_tilt_deg, surface_azimuth_deg)
    k_b = iam_evacuated_tube(theta_t, theta_l, theta_ref_deg, iam_transversal_ref, b0)
    g = np.nan_to_num(np.maximum(np.asarray(poa["poa_global"], dtype=float), 0.0))
    g_b = np.nan_to_num(np.maximum(np.asarray(poa["poa_direct"], dtype=float), 0.0))
    g_d = np.maximum(g - g_b, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        iam = np.where(g > 1.0, (k_b * g_b + iam_diffuse * g_d) / g, 1.0)
    return g, np.nan_to_num(iam, nan=1.0)


def collector_yield_fixed_temperature_kwh(
    poa_w_m2: FloatArray,
    temp_air_c: FloatArray,
    temp_mean_c: float,
    eta0: float = 0.60,
    a1_w_m2k: float = 1.6,
    a2_w_m2k2: float = 0.008,
    iam: FloatArray | float = 1.0,
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
    eta0, a1_w_m2k, a2_w_m2k2, iam : float
        As :func:`collector_efficiency`.
    """
    eta = collector_efficiency(poa_w_m2, temp_mean_c, temp_air_c, eta0, a1_w_m2k, a2_w_m2k2, iam)
    return float(np.sum(eta * poa_w_m2) / 1000.0)


@dataclass
class SolarTankResult:
    """Hourly results, each (n_houses, n_hours) [kW]: ``solar_kw`` heat from the tank to the
    house, ``collected_kw`` collector-loop yield into the tank (after the loop's pipe and warm-up
    losses), ``rest_kw`` demand left for the auxiliary, ``pump_kw`` electricity of the loop's pump."""

    solar_kw: FloatArray
    collected_kw: FloatArray
    rest_kw: FloatArray
    pump_on: BoolArray
    """Hours the loop's pump runs, (n_houses, n_hours)."""
    pump_power_kw: FloatArray
    """The pump's electric power per house, (n_houses,). [kW]"""

    @property
    def pump_kw(self) -> FloatArray:
        """Electricity of the loop's pump by hour, (n_houses, n_hours). [kW]"""
        return self.pump_on * self.pump_power_kw[:, None]


def simulate_solar_tank(
    heat_demand_kw: FloatArray,
    poa_w_m2: FloatArray,
    temp_air_c: FloatArray,
    aperture_m2: FloatArray,
    tank_volume_l: FloatArray,
    *,
    temp_tank_env_c: float,
    temp_tank_max_c: float,
    temp_use_c: Numeric = 35.0,
    eta0: float = 0.60,
    a1_w_m2k: float = 1.6,
    a2_w_m2k2: float = 0.008,
    iam: FloatArray | None = None,
    tank_ua_w_k: FloatArray | float = 2.5,
    collector_offset_k: float = 5.0,
    loop_ua_w_k: FloatArray | float = 0.0,
    loop_heat_capacity_kj_k: FloatArray | float = 0.0,
    pump_w: FloatArray | float = 0.0,
) -> SolarTankResult:
    r"""
    Collector loop → fully mixed tank → house, solar first; hour by hour, house by house.

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
    temp_tank_env_c : float
        Temperature around the tank (``solar.tank_env_c``). [°C]
    temp_tank_max_c : float
        Over-heat protection: heat above this is dumped (``solar.tank_max_c``). [°C]
    temp_use_c : numeric, default 35
        Lowest tank temperature the emitters can use, scalar, by hour (n_hours,) or by house and
        hour (n_houses, n_hours): the emitter's heating-curve supply temperature plus the
        tank-to-supply approach. The tank starts the run at its first hour's value. [°C]
    eta0, a1_w_m2k, a2_w_m2k2 : float
        Collector coefficients (see :func:`collector_efficiency`).
    iam : ndarray or None, default None
        Effective incidence-angle modifier by hour (:func:`collector_irradiance`), shape
        (n_hours,); None: 1. [unitless]
    tank_ua_w_k : ndarray or float, default 2.5
        Tank heat-loss coefficient. [W/K]
    collector_offset_k : float, default 5
        Collector mean fluid temperature above the tank temperature. [K]
    loop_ua_w_k : ndarray or float, default 0
        Heat-loss coefficient of the loop's pipes (to outdoor air) while the pump runs. [W/K]
    loop_heat_capacity_kj_k : ndarray or float, default 0
        Heat capacity of the collector and pipe contents, re-heated from outdoor air to the loop
        temperature each time the pump starts after an idle spell (night or cloud). [kJ/K]
    pump_w : ndarray or float, default 0
        Electric power of the loop's pump while it runs. [W]

    Returns
    -------
    SolarTankResult

    Notes
    -----
    Each hour, with :math:`\Delta T = T_{tank} + 5 - T_a`, the loop's net gain is

    .. math:: Q = A\,(\eta_0 K G - a_1 \Delta T - a_2 \Delta T^2) - UA_{loop}\,\Delta T

    The pump runs (an ideal differential controller) in the hours where :math:`Q > 0`; at each
    start the loop owes :math:`C_{loop} \Delta T`, paid from the gain before any heat reaches
    the tank (what is unpaid when the pump stops is lost to the night). The tank loses
    :math:`UA (T_{tank} - T_{env})`; the house draws
    :math:`\min(Q_{dem}, m c (T_{tank} - T_{use})/3.6\,\text{MJ})`; the remainder goes to the
    auxiliary, which heats the house directly so it does not take solar yield from the tank
    (solar priority, as the Yanchi guide requires). With the loop terms at 0 and :math:`K = 1`
    this is the collector of :func:`collector_efficiency` feeding the tank.
    """
    demand = np.asarray(heat_demand_kw, dtype=float)
    n, n_hours = demand.shape
    mc_kwh_k = np.asarray(tank_volume_l, dtype=float) * WATER_HEAT_CAPACITY_J_KGK / 3.6e6  # kg = L
    area = np.asarray(aperture_m2, dtype=float)
    ua_kw_k = np.asarray(tank_ua_w_k, dtype=float) / 1000.0
    t_use = np.asarray(temp_use_c, dtype=float)
    t_use_rows = np.broadcast_to(t_use, (n_hours,))[None, :] if t_use.ndim < 2 else np.broadcast_to(
        t_use, (n, n_hours))
    k = np.ones(n_hours) if iam is None else np.broadcast_to(np.asarray(iam, dtype=float), (n_hours,))
    solar = np.empty_like(demand)
    collected = np.empty_like(demand)
    rest = np.empty_like(demand)
    pump_on = np.empty(demand.shape, dtype=np.bool_)
    f = np.ascontiguousarray

    def per_house(x: Any, scale: float = 1.0) -> FloatArray:
        return f(np.broadcast_to(np.asarray(x, dtype=float) * scale, (n,)))

    _tank_hours(f(demand), f(poa_w_m2, dtype=float), f(k), f(temp_air_c, dtype=float), f(t_use_rows),
                per_house(area), per_house(mc_kwh_k), per_house(ua_kw_k), per_house(loop_ua_w_k, 1e-3),
                per_house(loop_heat_capacity_kj_k, 1.0 / 3600.0), float(eta0), float(a1_w_m2k), float(a2_w_m2k2),
                float(temp_tank_env_c), float(temp_tank_max_c), float(collector_offset_k), solar, collected, rest,
                pump_on)
    return SolarTankResult(solar_kw=solar, collected_kw=collected, rest_kw=rest, pump_on=pump_on,
                           pump_power_kw=per_house(pump_w, 1e-3))


@njit(inline="always", cache=True)
def _serve(tt, q_col, mc, ua, temp_env, t_use, d, temp_max):
    """Tank balance of one hour: collector heat in, loss to the surroundings, the house's draw down
    to the usable temperature; returns the new tank temperature (capped) and the heat used."""
    tt = tt + (q_col - ua * (tt - temp_env)) / mc
    avail = max(tt - t_use, 0.0) * mc
    use = d if d < avail else avail
    return min(tt - use / mc, temp_max), use

@njit(nogil=True, cache=True, error_model="numpy")
def _tank_hours(demand, poa, iam, temp_air, temp_use, area, mc_kwh_k, ua_kw_k, loop_ua_kw_k, loop_c_kwh_k,
                eta0, a1, a2, temp_env, temp_max, offset, solar, collected, rest, pump_on):
    """The hour loop of :func:`simulate_solar_tank`, compiled, house by house (same arithmetic
    as :func:`collector_efficiency` and the loop and tank balance). ``temp_use`` is (1, h),
    shared, or (n, h); ``pump_on`` (n, h) is written with the hours the loop runs. Sunny and
    dark hours run separate house loops (the branch is the same for every house of a block)."""
    n, n_hours = demand.shape
    shared_use = temp_use.shape[0] == 1
    block = 32  # houses stepped together: independent chains that the CPU overlaps (and vectorises)
    t_tank = np.empty(block)
    debt = np.zeros(block)  # warm-up heat the running loop still owes [kWh]
    was_on = np.zeros(block, dtype=np.bool_)
    for i0 in range(0, n, block):
        i1 = min(n, i0 + block)
        for i in range(i0, i1):
            t_tank[i - i0] = temp_use[0 if shared_use else i, 0] if n_hours else 0.0
            debt[i - i0] = 0.0
            was_on[i - i0] = False
        for h in range(n_hours):
            g = poa[h]
            t_a = temp_air[h]
            g_eff = eta0 * iam[h] * g
            t_use_h = temp_use[0, h]
            if g > 1.0:
                for i in range(i0, i1):
                    j = i - i0
                    tt = t_tank[j]
                    dt = (tt + offset) - t_a
                    q = area[i] * (g_eff - a1 * dt - a2 * dt * dt) / 1000.0 - loop_ua_kw_k[i] * dt
                    on = q > 0.0
                    owed = loop_c_kwh_k[i] * dt if not was_on[j] else debt[j]
                    owed = owed if on else 0.0
                    pay = q if q < owed else owed
                    q_col = q - pay if on else 0.0
                    debt[j] = owed - pay
                    was_on[j] = on
                    d = demand[i, h]
                    t_tank[j], use = _serve(tt, q_col, mc_kwh_k[i], ua_kw_k[i], temp_env,
                                            t_use_h if shared_use else temp_use[i, h], d, temp_max)
                    solar[i, h] = use
                    collected[i, h] = q_col
                    rest[i, h] = d - use
                    pump_on[i, h] = on
            else:
                for i in range(i0, i1):
                    j = i - i0
                    debt[j] = 0.0
                    was_on[j] = False
                    d = demand[i, h]
                    t_tank[j], use = _serve(t_tank[j], 0.0, mc_kwh_k[i], ua_kw_k[i], temp_env,
                                            t_use_h if shared_use else temp_use[i, h], d, temp_max)
                    solar[i, h] = use
                    collected[i, h] = 0.0
                    rest[i, h] = d - use
                    pump_on[i, h] = False
