"""House heat load: envelope heat-loss coefficients, a lumped RC model of the house, design load.

The house is a three-conductance, one-capacitance network derived from ISO 13790's 5R1C
model (the surface node folded into the air node): an indoor air node without capacity,
one thermal-mass node, windows and ventilation from air to outdoors, opaque walls and roof
from mass to outdoors, floor (and for a cave dwelling the earth-sheltered vault and back
wall) from mass to the ground. The floor sees ISO 13370's virtual ground temperature (steady
part to the annual-mean outdoor temperature plus the periodic term). The model is stepped hour
by hour, vectorised over houses; the heating system holds the air node at its set-point, and
the heat it needs is the demand. The design load adds EN 12831's reheat allowance for
intermittent schedules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numba import njit

from cleanheat.units import FloatArray, Numeric

__all__ = [
    "DWELLINGS",
    "ENVELOPES",
    "EnvelopeClass",
    "HouseArrays",
    "FloorCoefficients",
    "wall_u_value",
    "slab_on_ground_u_value",
    "periodic_penetration_depth_m",
    "slab_on_ground_coefficients",
    "floor_external_wave_k",
    "floor_virtual_temperature_c",
    "floor_design_temperature_c",
    "earth_temperature_c",
    "barometric_pressure_ratio",
    "air_heat_capacity_wh_m3k",
    "house_arrays",
    "design_heat_load_kw",
    "reheat_allowance_kw",
    "simulate_heat_demand",
]

DWELLINGS = ("brick", "cave", "other")
ENVELOPES = ("uninsulated", "partly_insulated", "insulated")

SECONDS_PER_YEAR_ISO13370 = 3.15e7
"""Period of the annual temperature wave in ISO 13370:2017 eq. (H.1). [s]"""

ISA_T0_K = 288.15
"""Sea-level temperature of the ISO standard atmosphere (ISO 2533:1975). [K]"""
ISA_LAPSE_RATE_K_M = 0.0065
"""Temperature lapse rate of the ISO standard atmosphere below 11 km (ISO 2533:1975). [K/m]"""
ISA_PRESSURE_EXPONENT = 5.25588
"""g₀ M / (R L) of the ISO standard atmosphere: 9.80665 × 0.0289644 / (8.31447 × 0.0065). [unitless]"""


def wall_u_value(
    layers: list[tuple[float, float]],
    r_si_m2k_w: float,
    r_se_m2k_w: float,
) -> float:
    r"""
    Thermal transmittance of a layered wall from layer thicknesses and conductivities.

    Parameters
    ----------
    layers : list of (thickness_m, conductivity_w_mk)
        Layers from inside to outside. [m, W/(m K)]
    r_si_m2k_w : float
        Internal surface resistance (GB 50176 winter: 0.11 walls, 0.10 roofs, parameter files
        ``building/surfaces``). [m² K/W]
    r_se_m2k_w : float
        External surface resistance (GB 50176 winter: 0.04). [m² K/W]

    Returns
    -------
    u_w_m2k : float
        [W/(m² K)]

    Raises
    ------
    ValueError
        If a thickness is negative or a conductivity not positive.

    Notes
    -----
    .. math:: U = 1 / (R_{si} + \sum_i d_i / \lambda_i + R_{se})

    References
    ----------
    .. [1] GB 50176-2016 民用建筑热工设计规范, §3.4 and Appendix B (material properties).
    """
    r = r_si_m2k_w + r_se_m2k_w
    for d, lam in layers:
        if d < 0 or lam <= 0:
            raise ValueError(f"layers: thickness must be ≥ 0 and conductivity > 0, got ({d}, {lam})")
        r += d / lam
    return 1.0 / r


def _equivalent_thickness_m(wall_thickness_m: Numeric, conductivity_w_mk: float, r_floor_m2k_w: Numeric,
                            r_si_m2k_w: float, r_se_m2k_w: float) -> FloatArray:
    """ISO 13370:2017 eq. (2): d_t = w + λ (R_si + R_f + R_se). [m]"""
    return np.asarray(wall_thickness_m, dtype=float) + conductivity_w_mk * (
        r_si_m2k_w + np.asarray(r_floor_m2k_w, dtype=float) + r_se_m2k_w)


def slab_on_ground_u_value(
    floor_area_m2: Numeric,
    exposed_perimeter_m: Numeric,
    wall_thickness_m: Numeric,
    r_floor_m2k_w: Numeric,
    ground_conductivity_w_mk: float,
    r_si_m2k_w: float,
    r_se_m2k_w: float,
) -> FloatArray:
    r"""
    Steady-state U-value of a slab-on-ground floor (ISO 13370 simplified method).

    Parameters
    ----------
    floor_area_m2 : numeric
        Floor area. [m²]
    exposed_perimeter_m : numeric
        Perimeter of the floor next to the outside. [m]
    wall_thickness_m : numeric
        Full thickness of the external walls, w. [m]
    r_floor_m2k_w : numeric
        Thermal resistance of floor insulation, R_f. [m² K/W]
    ground_conductivity_w_mk : float
        Ground thermal conductivity λ (ISO 13370 Table 7: clay/silt 1.5, sand/gravel 2.0). [W/(m K)]
    r_si_m2k_w, r_se_m2k_w : float
        Surface resistances in d_t (ISO 6946: 0.17 downwards, 0.04). [m² K/W]

    Returns
    -------
    u_w_m2k : ndarray
        Broadcast shape. [W/(m² K)]

    Notes
    -----
    With :math:`B' = A / (0.5 P)` and :math:`d_t = w + \lambda (R_{si} + R_f + R_{se})`
    (ISO 13370:2017 eqs. (1), (2)):

    .. math:: U = \frac{2\lambda}{\pi B' + d_t} \ln\left(\frac{\pi B'}{d_t} + 1\right)
              \quad (d_t < B'), \qquad U = \frac{\lambda}{0.457 B' + d_t} \quad (d_t \ge B')

    The U-value includes the ground's resistance between the floor and the outside air: it
    applies to the difference between the internal and the annual-mean *external*
    temperature (ISO 13370:2017 Annex C).

    References
    ----------
    .. [1] ISO 13370:2017 Thermal performance of buildings — Heat transfer via the ground —
       Calculation methods, §9.1.2, eqs. (3) and (4) (numbered (8), (9) in the 2007 edition).
    """
    lam = ground_conductivity_w_mk
    b = np.asarray(floor_area_m2, dtype=float) / (0.5 * np.asarray(exposed_perimeter_m, dtype=float))
    d_t = _equivalent_thickness_m(wall_thickness_m, lam, r_floor_m2k_w, r_si_m2k_w, r_se_m2k_w)
    thin = 2.0 * lam / (np.pi * b + d_t) * np.log(np.pi * b / d_t + 1.0)
    thick = lam / (0.457 * b + d_t)
    return np.asarray(np.where(d_t < b, thin, thick))


def periodic_penetration_depth_m(conductivity_w_mk: Numeric, heat_capacity_j_m3k: Numeric) -> Numeric:
    r"""
    Periodic penetration depth of the annual temperature wave in the ground.

    Parameters
    ----------
    conductivity_w_mk : numeric
        Ground thermal conductivity λ. [W/(m K)]
    heat_capacity_j_m3k : numeric
        Ground volumetric heat capacity ρc. [J/(m³ K)]

    Returns
    -------
    delta_m : numeric
        Broadcast shape. [m]

    Notes
    -----
    .. math:: \delta = \sqrt{3.15 \times 10^7 \, \lambda / (\pi \rho c)}

    Clay or silt (λ 1.5, ρc 3.0e6): 2.24 m; sand or gravel (2.0, 2.0e6): 3.17 m — Table H.1
    lists 2.2 and 3.2 m.

    References
    ----------
    .. [1] ISO 13370:2017, Annex H, eq. (H.1) and Table H.1.
    """
    return np.sqrt(SECONDS_PER_YEAR_ISO13370 * np.asarray(conductivity_w_mk, dtype=float)
                   / (np.pi * np.asarray(heat_capacity_j_m3k, dtype=float)))


@dataclass(frozen=True)
class FloorCoefficients:
    """ISO 13370 coefficients of a slab-on-ground floor, each of the broadcast shape of the inputs.

    ``u_w_m2k`` steady U-value [W/(m² K)]; ``h_g_w_k`` = A U, steady coefficient [W/K];
    ``h_pi_w_k`` / ``h_pe_w_k`` internal / external periodic coefficients [W/K];
    ``d_t_m`` equivalent thickness and ``delta_m`` periodic penetration depth [m].
    """

    u_w_m2k: FloatArray
    h_g_w_k: FloatArray
    h_pi_w_k: FloatArray
    h_pe_w_k: FloatArray
    d_t_m: FloatArray
    delta_m: FloatArray


def slab_on_ground_coefficients(
    floor_area_m2: Numeric,
    exposed_perimeter_m: Numeric,
    wall_thickness_m: Numeric,
    r_floor_m2k_w: Numeric,
    ground_conductivity_w_mk: float,
    ground_heat_capacity_j_m3k: float,
    r_si_m2k_w: float,
    r_se_m2k_w: float,
) -> FloorCoefficients:
    r"""
    Steady and periodic heat transfer coefficients of a slab-on-ground floor (ISO 13370:2017).

    Parameters
    ----------
    floor_area_m2, exposed_perimeter_m, wall_thickness_m, r_floor_m2k_w, ground_conductivity_w_mk,
    r_si_m2k_w, r_se_m2k_w
        As :func:`slab_on_ground_u_value`. [m², m, m, m² K/W, W/(m K), m² K/W]
    ground_heat_capacity_j_m3k : float
        Ground volumetric heat capacity ρc (ISO 13370 Table 7: clay/silt 3.0e6). [J/(m³ K)]

    Returns
    -------
    FloorCoefficients

    Notes
    -----
    Uninsulated or all-over insulated slab (ISO 13370:2017 Annex H, eqs. (H.2), (H.3)):

    .. math::
        H_g = A U, \qquad
        H_{pi} = A \frac{\lambda}{d_t} \sqrt{\frac{2}{(1 + \delta/d_t)^2 + 1}}, \qquad
        H_{pe} = 0.37 \, P \lambda \ln\left(\frac{\delta}{d_t} + 1\right)

    with :math:`\delta` from :func:`periodic_penetration_depth_m`. The monthly heat flow is
    then (Annex C, eq. (C.3))
    :math:`\Phi_m = H_g(\bar\theta_i - \bar\theta_e) - H_{pi}\hat\theta_i\cos(2\pi(m - \tau + \alpha)/12)
    + H_{pe}\hat\theta_e\cos(2\pi(m - \tau - \beta)/12)`.

    References
    ----------
    .. [1] ISO 13370:2017, §9.1.2, Annex C and Annex H.
    """
    lam = ground_conductivity_w_mk
    area = np.asarray(floor_area_m2, dtype=float)
    perimeter = np.asarray(exposed_perimeter_m, dtype=float)
    d_t = _equivalent_thickness_m(wall_thickness_m, lam, r_floor_m2k_w, r_si_m2k_w, r_se_m2k_w)
    delta = np.asarray(periodic_penetration_depth_m(lam, ground_heat_capacity_j_m3k), dtype=float)
    u = slab_on_ground_u_value(area, perimeter, wall_thickness_m, r_floor_m2k_w, lam, r_si_m2k_w, r_se_m2k_w)
    h_pi = area * lam / d_t * np.sqrt(2.0 / ((1.0 + delta / d_t) ** 2 + 1.0))
    h_pe = 0.37 * perimeter * lam * np.log(delta / d_t + 1.0)
    shape = np.broadcast(area, perimeter, d_t).shape
    return FloorCoefficients(
        u_w_m2k=np.broadcast_to(u, shape).copy(), h_g_w_k=np.broadcast_to(area * u, shape).copy(),
        h_pi_w_k=np.broadcast_to(h_pi, shape).copy(), h_pe_w_k=np.broadcast_to(h_pe, shape).copy(),
        d_t_m=np.broadcast_to(d_t, shape).copy(), delta_m=np.broadcast_to(delta, shape).copy(),
    )


def floor_external_wave_k(
    day_of_year: Numeric, amplitude_k: float, day_coldest: float, lag_days: float,
) -> FloatArray:
    r"""
    Periodic part of the external temperature as the floor feels it, lagged: :math:`\hat\theta_e
    \cos(2\pi(t - t_0 - \beta)/365)`.

    Parameters
    ----------
    day_of_year : numeric
        Day of the year (fractional days allowed), shape (n_hours,). [d]
    amplitude_k : float
        Annual amplitude of the monthly mean external temperature, :math:`\hat\theta_e`
        (half of warmest minus coldest monthly mean). [K]
    day_coldest : float
        Day of the coldest monthly mean, :math:`t_0` (τ of ISO 13370). [d]
    lag_days : float
        Phase lag β of the floor's periodic heat flow. [d]

    Returns
    -------
    wave_k : ndarray
        Shape of ``day_of_year``; +amplitude ``lag_days`` after the coldest day. [K]

    References
    ----------
    .. [1] ISO 13370:2017, Annex C, eqs. (C.2), (C.3).
    """
    t = np.asarray(day_of_year, dtype=float)
    return np.asarray(amplitude_k * np.cos(2.0 * np.pi * (t - day_coldest - lag_days) / 365.0))


def floor_virtual_temperature_c(house: HouseArrays, temp_out_mean_c: float, wave_k: FloatArray) -> FloatArray:
    r"""
    Virtual ground-side temperature of each house's floor, hour by hour (ISO 13370 Annex F).

    Parameters
    ----------
    house : HouseArrays
        From :func:`house_arrays` (``floor_pe_ratio`` = :math:`H_{pe}/H_g`).
    temp_out_mean_c : float
        Annual mean external temperature :math:`\bar\theta_e`. [°C]
    wave_k : ndarray
        :func:`floor_external_wave_k`, shape (n_hours,). [K]

    Returns
    -------
    temp_virtual_c : ndarray
        Shape (n_houses, n_hours). [°C]

    Notes
    -----
    With the internal temperature held at its mean (:math:`\hat\theta_i = 0`: the house is kept
    at its set-point through the season; the summer float is not modelled), eq. (F.2) with the
    heat flow of eq. (C.3) gives

    .. math:: \theta_{vi}(t) = \theta_i - \Phi(t)/H_g
              = \bar\theta_e - \frac{H_{pe}}{H_g}\hat\theta_e\cos\left(\frac{2\pi(t - t_0 - \beta)}{365}\right)

    so that :math:`H_g(\theta_i - \theta_{vi})` is ISO 13370's floor heat flow. The RC model
    (:func:`simulate_heat_demand`) uses exactly this series, as ``temp_ground_c`` and
    ``floor_wave_k``; it is written out here for tests and reports.

    References
    ----------
    .. [1] ISO 13370:2017, Annex C eq. (C.3) and Annex F eq. (F.2).
    """
    return np.asarray(temp_out_mean_c - house.floor_pe_ratio[:, None] * np.asarray(wave_k, dtype=float)[None, :])


def floor_design_temperature_c(house: HouseArrays, temp_out_mean_c: float, amplitude_k: float) -> FloatArray:
    r"""
    Virtual ground temperature of each floor in the month of the largest floor loss. [°C]

    :math:`\bar\theta_e - (H_{pe}/H_g)\hat\theta_e`: with it, the floor's design loss is
    ISO 13370:2017 eq. (C.9), :math:`\Phi_{max} = H_g(\bar\theta_i - \bar\theta_e) + H_{pe}\hat\theta_e`.
    Shape (n_houses,).
    """
    return np.asarray(temp_out_mean_c - house.floor_pe_ratio * amplitude_k)


def earth_temperature_c(
    day_of_year: Numeric,
    depth_m: float,
    temp_mean_c: float,
    amplitude_k: float,
    day_coldest: float,
    diffusivity_m2_s: float,
) -> Numeric:
    r"""
    Undisturbed earth temperature at a depth, through the year (Kusuda–Achenbach).

    Parameters
    ----------
    day_of_year : numeric
        Day of the year, 1–366. [d]
    depth_m : float
        Depth (for a cave: the effective thickness of earth around the vault). [m]
    temp_mean_c : float
        Annual mean earth surface temperature (≈ undisturbed ground temperature). [°C]
    amplitude_k : float
        Annual amplitude of the surface temperature (half of warmest minus coldest monthly
        mean). [K]
    day_coldest : float
        Day of the coldest surface temperature. [d]
    diffusivity_m2_s : float
        Soil thermal diffusivity λ / ρc (the site soil). [m²/s]

    Returns
    -------
    temp_earth_c : numeric
        Shape of ``day_of_year``. [°C]

    Notes
    -----
    .. math:: T(z, t) = T_m - A e^{-z/d} \cos\left(\frac{2\pi}{365}(t - t_0) - z/d\right),
              \quad d = \sqrt{365 \cdot 86400\, \alpha / \pi}

    References
    ----------
    .. [1] T. Kusuda and P. R. Achenbach, "Earth temperature and thermal diffusivity at
       selected stations in the United States," ASHRAE Trans., vol. 71, pt. 1, pp. 61–75, 1965.
    """
    damping_depth_m = np.sqrt(365.0 * 86400.0 * diffusivity_m2_s / np.pi)
    zd = depth_m / damping_depth_m
    phase = 2.0 * np.pi / 365.0 * (np.asarray(day_of_year, dtype=float) - day_coldest) - zd
    return temp_mean_c - amplitude_k * np.exp(-zd) * np.cos(phase)


def barometric_pressure_ratio(elevation_m: Numeric) -> Numeric:
    r"""
    Air pressure at an elevation relative to sea level, ISO standard atmosphere.

    Parameters
    ----------
    elevation_m : numeric
        Elevation above sea level, below 11 km. [m]

    Returns
    -------
    pressure_ratio : numeric
        :math:`p(z)/p_0`. [unitless]

    Notes
    -----
    .. math:: p/p_0 = (1 - L z / T_0)^{g_0 M / (R L)}, \quad L = 0.0065\ \mathrm{K/m},
              \ T_0 = 288.15\ \mathrm{K},\ g_0 M/(R L) = 5.25588

    Yanchi station (1350.4 m): 0.8499; Beijing (31.3 m): 0.9963.

    References
    ----------
    .. [1] ISO 2533:1975 Standard Atmosphere; U.S. Standard Atmosphere, 1976 (NOAA/NASA/USAF),
       eq. (33a).
    """
    z = np.asarray(elevation_m, dtype=float)
    return (1.0 - ISA_LAPSE_RATE_K_M * z / ISA_T0_K) ** ISA_PRESSURE_EXPONENT


def air_heat_capacity_wh_m3k(elevation_m: Numeric, sea_level_j_m3k: float) -> Numeric:
    r"""
    Volumetric heat capacity of air ρ c_p at a site's elevation. [Wh/(m³ K)]

    ρ scales with pressure at a given temperature (ideal gas), c_p does not:
    :math:`\rho c_p(z) = \rho c_p(0) \cdot p(z)/p_0` with :func:`barometric_pressure_ratio`.
    Yanchi (1350.4 m): 1200 → 1020 J/(m³ K), i.e. 0.2833 Wh/(m³ K).
    """
    return np.asarray(sea_level_j_m3k * barometric_pressure_ratio(elevation_m) / 3600.0)


@dataclass(frozen=True)
class EnvelopeClass:
    """Heat-loss parameters of one dwelling × envelope class (see data/defaults/building).

    Attributes: U-values [W/(m² K)], floor insulation resistance [m² K/W], air changes [1/h],
    window-to-wall ratios [unitless], window solar transmittance [unitless], effective heat
    capacity per floor area [J/(m² K)] and effective mass area per floor area (ISO 13790 Table 12)
    [unitless], external wall thickness (ISO 13370's w) [m], and for caves the earth-contact
    area per floor area [unitless] and the loess layer between the vault and the damped earth
    temperature [m].
    """

    u_wall: float
    u_roof: float
    u_window: float
    r_floor_m2k_w: float
    air_changes_per_h: float
    window_ratio_south: float
    window_ratio_north: float
    g_window: float
    heat_capacity_j_m2k: float
    mass_area_ratio: float
    wall_thickness_m: float
    earth_contact_ratio: float = 0.0
    earth_layer_thickness_m: float = 0.0


@dataclass
class HouseArrays:
    """Per-house coefficients of the RC network, each of shape (n_houses,).

    Network conductances [W/K]: ``h_air_w_k`` windows + ventilation (air ↔ outdoor);
    ``h_ms_w_k`` air ↔ mass; ``h_em_w_k`` opaque walls and roof (mass ↔ outdoor);
    ``h_floor_w_k`` floor (mass ↔ virtual ground temperature); ``h_earth_w_k`` cave vault ↔
    earth — the three mass-side ones scaled so that, in series with ``h_ms_w_k``, they give the
    UA values. ``h_floor_iso_w_k`` is ISO 13370's H_g = A U, ``h_floor_pi_w_k`` /
    ``h_floor_pe_w_k`` its periodic coefficients and ``floor_pe_ratio`` = H_pe / H_g [unitless];
    ``c_j_k`` thermal capacity [J/K]; ``a_sol_south_m2`` / ``a_sol_north_m2`` effective solar
    apertures (area × g × frame) [m²]; ``area_m2`` heated floor area [m²].
    """

    area_m2: FloatArray
    h_air_w_k: FloatArray
    h_ms_w_k: FloatArray
    h_em_w_k: FloatArray
    h_floor_w_k: FloatArray
    h_earth_w_k: FloatArray
    c_j_k: FloatArray
    a_sol_south_m2: FloatArray
    a_sol_north_m2: FloatArray
    h_floor_iso_w_k: FloatArray
    h_floor_pi_w_k: FloatArray
    h_floor_pe_w_k: FloatArray
    floor_pe_ratio: FloatArray

    INTENSIVE: ClassVar[frozenset[str]] = frozenset({"floor_pe_ratio"})
    """Fields that do not grow with the house (ratios); every other field is extensive."""

    def take(self, idx: np.ndarray | slice) -> HouseArrays:
        """The houses at ``idx`` (an index array or slice)."""
        return HouseArrays(**{k: v[idx] for k, v in self.__dict__.items()})

    def scaled(self, share: FloatArray) -> HouseArrays:
        """A part of each house with the same exposure per m²: every extensive field times
        ``share`` (shape (n_houses,)), the ratios unchanged (the heated zone of a service level)."""
        f = np.asarray(share, dtype=float)
        return HouseArrays(**{k: (np.asarray(v) if k in self.INTENSIVE else np.asarray(v) * f)
                              for k, v in self.__dict__.items()})


def house_arrays(
    heated_area_m2: FloatArray,
    classes: list[EnvelopeClass],
    class_index: np.ndarray,
    *,
    storey_height_m: float,
    depth_m: float,
    cave_depth_m: float,
    cave_width_m: float,
    frame_factor: float,
    h_mass_surface_w_m2k: float,
    r_si_floor_m2k_w: float,
    r_se_floor_m2k_w: float,
    r_si_earth_m2k_w: float,
    air_heat_capacity_wh_m3k: float,
    soil_conductivity_w_mk: float,
    soil_heat_capacity_j_m3k: float,
) -> HouseArrays:
    r"""
    Conductances and capacity of each house's RC network from its area, class and site.

    Parameters
    ----------
    heated_area_m2 : ndarray
        Heated floor area, shape (n_houses,). [m²]
    classes : list of EnvelopeClass
        The distinct classes.
    class_index : ndarray of int
        Index into ``classes`` per house, shape (n_houses,).
    storey_height_m : float
        Single-storey rural house: floor to ceiling. [m]
    depth_m : float
        House depth (north–south); length = area / depth. [m]
    cave_depth_m, cave_width_m : float
        One cave (窑洞) bay; a house of area A has A / (w d) bays side by side, facade south. [m]
    frame_factor : float
        Glazed fraction of the window opening times a shading allowance. [unitless]
    h_mass_surface_w_m2k : float
        ISO 13790 §12.2.2 heat transfer coefficient between mass and surface nodes (9.1). [W/(m² K)]
    r_si_floor_m2k_w, r_se_floor_m2k_w : float
        Surface resistances in ISO 13370's d_t. [m² K/W]
    r_si_earth_m2k_w : float
        Internal surface resistance of the cave vault. [m² K/W]
    air_heat_capacity_wh_m3k : float
        ρ c_p of air at the site (:func:`air_heat_capacity_wh_m3k`). [Wh/(m³ K)]
    soil_conductivity_w_mk, soil_heat_capacity_j_m3k : float
        The site's ground (floor and cave earth). [W/(m K), J/(m³ K)]

    Returns
    -------
    HouseArrays

    Raises
    ------
    ValueError
        If the mass-side UA reaches the air–mass conductance (the series split has no solution).

    Notes
    -----
    Brick and other houses: rectangle ``L × depth``, walls ``2 (L + depth) h``, windows
    ``L h`` × ratio on the south and north facades, roof = floor, floor to the ground through
    :func:`slab_on_ground_coefficients`, ventilation ``ρc_p n V``. Cave dwelling: only the
    south facade (bay width × h per bay) faces the air, with its window ratio; the vault and
    back wall (``earth_contact_ratio`` × floor area) exchange heat with earth at
    :func:`earth_temperature_c` through :math:`U = 1/(R_{si} + d/\lambda_{soil})`; no roof to the air.

    The opaque, floor and earth paths all run from the mass node, in series with
    :math:`H_{ms} = h_{ms} A_m` (:math:`A_m` = ``mass_area_ratio`` × floor area, ISO 13790
    Table 12). ISO 13790 §12.2.2 splits the opaque path as :math:`H_{em} = 1/(1/H_{op} - 1/H_{ms})`;
    for several mass-side paths to different temperatures the split that keeps each one's steady
    UA is a common factor :math:`k = H_{ms}/(H_{ms} - \sum UA)` on all of them
    (:math:`H_{em} = k H_{op}`, floor :math:`k H_g`, earth :math:`k U_e A_e`), so the steady
    state of the network is the UA sum exactly.

    References
    ----------
    .. [1] ISO 13790:2008 Energy performance of buildings — Calculation of energy use for
       space heating and cooling, §12.2 and Table 12.
    .. [2] ISO 13370:2017, §9.1.2 and Annex H.
    """
    area = np.asarray(heated_area_m2, dtype=float)
    idx = np.asarray(class_index)
    field = {name: np.array([getattr(c, name) for c in classes])[idx] for name in EnvelopeClass.__dataclass_fields__}
    is_cave = field["earth_contact_ratio"] > 0
    h = storey_height_m
    length = area / depth_m
    n_bays = area / (cave_width_m * cave_depth_m)
    facade_len = np.where(is_cave, n_bays * cave_width_m, length)
    south_gross = facade_len * h
    north_gross = np.where(is_cave, 0.0, length * h)
    side_gross = np.where(is_cave, 0.0, 2.0 * depth_m * h)
    a_win_s = field["window_ratio_south"] * south_gross
    a_win_n = field["window_ratio_north"] * north_gross
    a_wall = south_gross + north_gross + side_gross - a_win_s - a_win_n
    a_roof = np.where(is_cave, 0.0, area)
    volume = area * h
    h_win = field["u_window"] * (a_win_s + a_win_n)
    h_ve = air_heat_capacity_wh_m3k * field["air_changes_per_h"] * volume
    h_op = field["u_wall"] * a_wall + field["u_roof"] * a_roof
    perimeter = np.where(is_cave, facade_len, 2.0 * (length + depth_m))
    fc = slab_on_ground_coefficients(area, perimeter, field["wall_thickness_m"], field["r_floor_m2k_w"],
                                     soil_conductivity_w_mk, soil_heat_capacity_j_m3k, r_si_floor_m2k_w,
                                     r_se_floor_m2k_w)
    u_earth = np.where(is_cave, 1.0 / (r_si_earth_m2k_w + field["earth_layer_thickness_m"] / soil_conductivity_w_mk),
                       0.0)
    h_earth = u_earth * field["earth_contact_ratio"] * area
    h_ms = h_mass_surface_w_m2k * field["mass_area_ratio"] * area
    ua_mass = h_op + fc.h_g_w_k + h_earth
    if np.any(ua_mass >= h_ms):
        raise ValueError("mass-side UA must stay below h_mass_surface_w_m2k × mass area; got "
                         f"{float(np.max(ua_mass / h_ms)):.3f} of it")
    k = h_ms / (h_ms - ua_mass)
    return HouseArrays(
        area_m2=area,
        h_air_w_k=h_win + h_ve,
        h_ms_w_k=h_ms,
        h_em_w_k=k * h_op,
        h_floor_w_k=k * fc.h_g_w_k,
        h_earth_w_k=k * h_earth,
        c_j_k=field["heat_capacity_j_m2k"] * area,
        a_sol_south_m2=a_win_s * field["g_window"] * frame_factor,
        a_sol_north_m2=a_win_n * field["g_window"] * frame_factor,
        h_floor_iso_w_k=fc.h_g_w_k,
        h_floor_pi_w_k=fc.h_pi_w_k,
        h_floor_pe_w_k=fc.h_pe_w_k,
        floor_pe_ratio=fc.h_pe_w_k / fc.h_g_w_k,
    )


def _steady_loss_w(
    house: HouseArrays, temp_in_c: Numeric, temp_out_c: Numeric, temp_ground_c: Numeric,
    temp_earth_c: Numeric,
) -> FloatArray:
    """Steady-state heat loss of the network with the air node at ``temp_in_c``. [W]"""
    h_mass_out = house.h_em_w_k + house.h_floor_w_k + house.h_earth_w_k
    t_m = (house.h_ms_w_k * temp_in_c + house.h_em_w_k * temp_out_c + house.h_floor_w_k * temp_ground_c
           + house.h_earth_w_k * temp_earth_c) / (house.h_ms_w_k + h_mass_out)
    return np.asarray(house.h_air_w_k * (temp_in_c - temp_out_c) + house.h_ms_w_k * (temp_in_c - t_m))


def design_heat_load_kw(
    house: HouseArrays,
    temp_design_c: Numeric,
    temp_ground_c: Numeric,
    temp_earth_design_c: Numeric,
    temp_set_c: Numeric,
    *,
    set_point_c: FloatArray | None = None,
    reheat_time_h: int = 1,
) -> FloatArray:
    r"""
    Design heat load: steady-state loss at the site's design outdoor temperature, no gains,
    plus the reheat allowance of an intermittent schedule.

    Parameters
    ----------
    house : HouseArrays
        From :func:`house_arrays`.
    temp_design_c : numeric
        Heating design outdoor temperature (供暖室外计算温度). [°C]
    temp_ground_c : numeric
        Virtual ground temperature under the floor in its coldest month
        (:func:`floor_design_temperature_c`), scalar or (n_houses,). [°C]
    temp_earth_design_c : numeric
        Earth temperature around a cave's vault at its coldest. [°C]
    temp_set_c : numeric
        Indoor design temperature (GB 50736 §3.0.1: 18–24 °C in severe cold and cold zones). [°C]
    set_point_c : ndarray or None
        The houses' daily set-point schedules, shape (n_houses, 24); with it the result adds
        :func:`reheat_allowance_kw` (zero for a constant schedule). [°C]
    reheat_time_h : int, default 1
        Reheat time of the allowance (parameter ``building.reheat.reheat_time_h``). [h]

    Returns
    -------
    design_heat_load_kw : ndarray
        Shape (n_houses,). [kW]

    Notes
    -----
    The network of :func:`house_arrays` solved in steady state (mass node at its equilibrium
    temperature): the UA sum, the load the GB 50736 §5.2 method gives (transmission + air
    infiltration), without its orientation and height corrections, and with the floor as
    ISO 13370 eq. (C.9). Systems are sized from this value, so sizing includes the reheat
    allowance (EN 12831-1:2017, :math:`\Phi_{HL} = \Phi_T + \Phi_V + \Phi_{hu}`).

    References
    ----------
    .. [1] GB 50736-2012 民用建筑供暖通风与空气调节设计规范, §5.2.
    .. [2] EN 12831-1:2017 Energy performance of buildings — Method for calculation of the
       design heat load — Part 1: Space heating load.
    """
    steady = _steady_loss_w(house, temp_set_c, temp_design_c, temp_ground_c, temp_earth_design_c) / 1000.0
    if set_point_c is None:
        return steady
    return steady + reheat_allowance_kw(house, set_point_c, temp_design_c, temp_ground_c, temp_earth_design_c,
                                        temp_set_c, reheat_time_h)


def reheat_allowance_kw(
    house: HouseArrays,
    set_point_c: FloatArray,
    temp_design_c: Numeric,
    temp_ground_c: Numeric,
    temp_earth_design_c: Numeric,
    temp_set_c: Numeric,
    reheat_time_h: int,
    settle_days: int = 10,
) -> FloatArray:
    r"""
    Reheat (heating-up) allowance of each house's daily schedule at design conditions.

    Parameters
    ----------
    house : HouseArrays
        From :func:`house_arrays`.
    set_point_c : ndarray
        Daily set-point schedule by hour of day, shape (n_houses, 24); hours not heated carry a
        low set-point. [°C]
    temp_design_c, temp_ground_c, temp_earth_design_c, temp_set_c : numeric
        As :func:`design_heat_load_kw`. [°C]
    reheat_time_h : int
        Time allowed for the recovery. [h]
    settle_days : int, default 10
        Design days run before the one evaluated (the mass reaches its periodic state; the
        slowest class has a time constant near 2 days). [d]

    Returns
    -------
    reheat_allowance_kw : ndarray
        :math:`\Phi_{hu} = A f_{hu}` ≥ 0, shape (n_houses,); exactly 0 for a constant schedule. [kW]

    Notes
    -----
    EN 12831-1:2017 adds a heating-up power :math:`\Phi_{hu} = A \, f_{hu}` whose factor depends on
    the set-back's temperature drop, its length, the reheat time and the building's mass, and
    allows it to be found by a dynamic calculation instead of its tables (the tables themselves
    were not available to check). Here the dynamic calculation is the house's own RC network:
    the design day (constant design outdoor temperature, no sun, no internal gains) is repeated
    with the house's schedule until the mass is periodic, and

    .. math:: \Phi_{hu} = \max\left(0,\ \max_t \frac{1}{t_{RH}}\sum_{j=0}^{t_{RH}-1} \Phi(t + j)
              - \Phi_{design}\right)

    the highest ``reheat_time_h``-hour mean demand of that day (hours read circularly) above
    the steady design load at ``temp_set_c``. The drop and the length of the lowered period are
    thus those the schedule gives the house (a heavy house cools less in 8 h than a light one).
    With ``reheat_time_h = 1``, the simulation's step, a unit of that capacity holds the
    schedule's set-points on the design day.

    References
    ----------
    .. [1] EN 12831-1:2017, heating-up power Φ_hu (clause and table not seen — recalled);
       EN 12831:2003 §6.6 and Annex D (f_RH tables, recalled).
    """
    n = house.area_m2.shape[0]
    sp = np.asarray(set_point_c, dtype=float).reshape(n, -1)
    out = np.zeros(n)
    varying = np.flatnonzero(np.ptp(sp, axis=1) > 0.0)
    if varying.size == 0:
        return out
    if not 1 <= int(reheat_time_h) <= sp.shape[1]:
        raise ValueError(f"reheat_time_h must be within 1–{sp.shape[1]}, got {reheat_time_h}")
    sub = house.take(varying)
    hours = 24 * (int(settle_days) + 1)
    zeros = np.zeros(hours)
    t_g = np.broadcast_to(np.asarray(temp_ground_c, dtype=float), (n,))[varying]
    day = simulate_heat_demand(sub, np.full(hours, float(temp_design_c)), t_g,
                               np.full(hours, float(temp_earth_design_c)), zeros, zeros, sp[varying],
                               internal_gain_w_m2=0.0, internal_convective_fraction=0.0, warmup_hours=hours - 24)
    k = int(reheat_time_h)
    ring = np.concatenate([day, day[:, : k - 1]], axis=1)
    window = np.cumsum(np.concatenate([np.zeros((ring.shape[0], 1)), ring], axis=1), axis=1)
    peak = ((window[:, k:] - window[:, :-k]) / k).max(axis=1)
    t_set = np.broadcast_to(np.asarray(temp_set_c, dtype=float), (n,))[varying]
    steady = _steady_loss_w(sub, t_set, temp_design_c, t_g, temp_earth_design_c) / 1000.0
    out[varying] = np.maximum(peak - steady, 0.0)
    return out


def simulate_heat_demand(
    house: HouseArrays,
    temp_out_c: FloatArray,
    temp_ground_c: Numeric,
    temp_earth_c: FloatArray,
    irr_south_w_m2: FloatArray,
    irr_north_w_m2: FloatArray,
    set_point_c: FloatArray,
    *,
    internal_gain_w_m2: float,
    internal_convective_fraction: float,
    warmup_hours: int = 0,
    floor_wave_k: FloatArray | None = None,
) -> FloatArray:
    r"""
    Hourly space-heating demand of many houses from a lumped RC model.

    Parameters
    ----------
    house : HouseArrays
        From :func:`house_arrays`, n houses.
    temp_out_c : ndarray
        Outdoor temperature, shape (n_hours,); hour 0 is 00:00 local time (the set-point
        schedule is read by hour of day). [°C]
    temp_ground_c : numeric
        Mean virtual ground temperature of the floor, scalar or (n_houses,): the annual-mean
        outdoor temperature for ISO 13370's floor (with ``floor_wave_k``), or a design value. [°C]
    temp_earth_c : ndarray
        Earth temperature around a cave's vault, shape (n_hours,). [°C]
    irr_south_w_m2, irr_north_w_m2 : ndarray
        Global irradiance on the vertical south and north facades, shape (n_hours,). [W/m²]
    set_point_c : ndarray
        Indoor set-point, shape (n_houses, 24) by hour of day (night set-back lives here), or
        (n_houses,). [°C]
    internal_gain_w_m2 : float
        Internal heat gains per floor area (parameter ``building.gains.internal_w_m2``). [W/m²]
    internal_convective_fraction : float
        Share of the internal gains given to the air node, the rest to the mass. [unitless]
    warmup_hours : int, default 0
        Leading hours run to settle the mass temperature and dropped from the output. [h]
    floor_wave_k : ndarray or None
        :func:`floor_external_wave_k`, shape (n_hours,); the floor's virtual ground temperature
        is then ``temp_ground_c − floor_pe_ratio × floor_wave_k``
        (:func:`floor_virtual_temperature_c`). None: constant ``temp_ground_c``. [K]

    Returns
    -------
    heat_demand_kw : ndarray
        Shape (n_houses, n_hours − warmup_hours), ≥ 0. [kW]

    Notes
    -----
    Backward-Euler step of the mass node (Δt = 1 h), air node quasi-steady:

    .. math::
        C/\Delta t\,(T_m' - T_m) = H_{ms}(T_i - T_m') + H_{em}(T_e - T_m') + H_{f}(T_{vi} - T_m')
        + H_{ea}(T_{ea} - T_m') + \Phi_m

        0 = H_{ms}(T_m' - T_i) + H_{air}(T_e - T_i) + \Phi_a + \Phi_h

    with :math:`T_{vi} = T_g - (H_{pe}/H_g) w(t)` the floor's virtual ground temperature and
    :math:`T_{ea}` the cave's earth. First the free-floating :math:`T_i` (:math:`\Phi_h = 0`) is
    solved; where it falls below the set-point, :math:`T_i` is fixed at the set-point and
    :math:`\Phi_h` solved. ``internal_convective_fraction`` of the internal gains go to the air
    node, the rest and all solar gains to the mass node (a simplification of ISO 13790 §C.3).
    No cooling: above the set-point the house floats. The loop runs over hours only; every
    operation is vectorised over houses (compiled in ``_rc_hours``, house by house).

    References
    ----------
    .. [1] ISO 13790:2008, Annex C (simple hourly method).
    .. [2] ISO 13370:2017, Annex F (virtual ground temperature).
    """
    n_hours = temp_out_c.shape[0]
    n = house.area_m2.shape[0]
    c_dt = house.c_j_k / 3600.0
    h_ms, h_air, h_em = house.h_ms_w_k, house.h_air_w_k, house.h_em_w_k
    h_g = house.h_floor_w_k + house.h_earth_w_k
    temp_gs_num_floor = house.h_floor_w_k * np.asarray(temp_ground_c, dtype=float)
    pe_floor = house.h_floor_w_k * house.floor_pe_ratio
    wave = np.zeros(n_hours) if floor_wave_k is None else np.asarray(floor_wave_k, dtype=float)
    if wave.shape != (n_hours,):
        raise ValueError(f"floor_wave_k must have shape ({n_hours},), got {wave.shape}")
    s = c_dt + h_ms + h_em + h_g
    k_free = h_ms + h_air - h_ms * h_ms / s
    phi_int_air = internal_convective_fraction * internal_gain_w_m2 * house.area_m2
    phi_int_mass = (1.0 - internal_convective_fraction) * internal_gain_w_m2 * house.area_m2
    sp = np.asarray(set_point_c, dtype=float)
    sp_by_hour = sp.reshape(n, -1) if sp.ndim == 2 else sp.reshape(n, 1)
    n_sp = sp_by_hour.shape[1]
    t_m0 = sp_by_hour.mean(axis=1) - 1.0
    out = np.empty((n, n_hours - warmup_hours))
    f = np.ascontiguousarray
    _rc_hours(f(temp_out_c, dtype=float), f(temp_earth_c, dtype=float), f(irr_south_w_m2, dtype=float),
              f(irr_north_w_m2, dtype=float), f(wave), f(np.broadcast_to(c_dt, (n,)), dtype=float),
              f(h_ms, dtype=float),
              f(h_air, dtype=float), f(h_em, dtype=float), f(house.h_earth_w_k, dtype=float),
              f(np.broadcast_to(temp_gs_num_floor, (n,))), f(pe_floor, dtype=float), f(s, dtype=float),
              f(k_free, dtype=float), f(phi_int_air, dtype=float), f(phi_int_mass, dtype=float),
              f(house.a_sol_south_m2, dtype=float), f(house.a_sol_north_m2, dtype=float), f(sp_by_hour), n_sp == 24,
              f(t_m0), int(warmup_hours), out)
    return out


@njit(nogil=True, cache=True, error_model="numpy")
def _rc_hours(temp_out, temp_earth, irr_s, irr_n, floor_wave, c_dt, h_ms, h_air, h_em, h_earth, tg_floor, pe_floor,
              s, k_free, phi_int_air, phi_int_mass, a_sol_s, a_sol_n, sp_by_hour, by_hour, t_m0, warmup_hours, out):
    """The hour loop of :func:`simulate_heat_demand`, compiled, house by house (the same
    arithmetic, operation for operation)."""
    n = out.shape[0]
    n_hours = temp_out.shape[0]
    n_sp = sp_by_hour.shape[1]
    block = 32  # houses stepped together: independent chains that the CPU overlaps (and vectorises)
    t_m = np.empty(block)
    for i0 in range(0, n, block):
        i1 = min(n, i0 + block)
        for i in range(i0, i1):
            t_m[i - i0] = t_m0[i]
        for t in range(n_hours):
            t_e = temp_out[t]
            g_s = irr_s[t]
            g_n = irr_n[t]
            t_earth = temp_earth[t]
            wv = floor_wave[t]
            k = t % n_sp if by_hour else 0
            w = t - warmup_hours
            for i in range(i0, i1):
                phi_m = phi_int_mass[i] + a_sol_s[i] * g_s + a_sol_n[i] * g_n
                b = (c_dt[i] * t_m[i - i0] + h_em[i] * t_e + tg_floor[i] - pe_floor[i] * wv + h_earth[i] * t_earth
                     + phi_m)
                rhs = h_ms[i] * b / s[i] + h_air[i] * t_e + phi_int_air[i]
                t_set = sp_by_hour[i, k]
                t_free = rhs / k_free[i]
                t_i = t_free if t_free > t_set else t_set
                t_m[i - i0] = (b + h_ms[i] * t_i) / s[i]
                if w >= 0:
                    q = k_free[i] * t_i - rhs
                    out[i, w] = (q if q > 0.0 else 0.0) / 1000.0
