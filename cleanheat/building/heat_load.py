"""House heat load: envelope heat-loss coefficients, a lumped RC model of the house, design load.

The house is a three-conductance, one-capacitance network derived from ISO 13790's 5R1C
model (the surface node folded into the air node): an indoor air node without capacity,
one thermal-mass node, windows and ventilation from air to outdoors, opaque walls and roof
from mass to outdoors, floor (and for a cave dwelling the earth-sheltered vault and back
wall) from mass to the ground. The model is stepped hour by hour, vectorised over houses;
the heating system holds the air node at its set-point, and the heat it needs is the demand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from cleanheat.units import FloatArray, Numeric

__all__ = [
    "DWELLINGS",
    "ENVELOPES",
    "EnvelopeClass",
    "HouseArrays",
    "wall_u_value",
    "slab_on_ground_u_value",
    "earth_temperature_c",
    "house_arrays",
    "design_heat_load_kw",
    "simulate_heat_demand",
    "AIR_HEAT_CAPACITY_WH_M3K",
]

DWELLINGS = ("brick", "cave", "other")
ENVELOPES = ("uninsulated", "partly_insulated", "insulated")

AIR_HEAT_CAPACITY_WH_M3K = 1200.0 / 3600.0
"""Volumetric heat capacity of air, ρ c = 1.2 kg/m³ × 1000 J/(kg K). [Wh/(m³ K)]"""


def wall_u_value(
    layers: list[tuple[float, float]],
    r_si_m2k_w: float = 0.11,
    r_se_m2k_w: float = 0.04,
) -> float:
    r"""
    Thermal transmittance of a layered wall from layer thicknesses and conductivities.

    Parameters
    ----------
    layers : list of (thickness_m, conductivity_w_mk)
        Layers from inside to outside. [m, W/(m K)]
    r_si_m2k_w : float, default 0.11
        Internal surface resistance. [m² K/W]
    r_se_m2k_w : float, default 0.04
        External surface resistance. [m² K/W]

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

    Surface resistances as GB 50176-2016 §3.4 (winter: R_i = 0.11, R_e = 0.04 m² K/W).

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


def slab_on_ground_u_value(
    floor_area_m2: Numeric,
    exposed_perimeter_m: Numeric,
    wall_thickness_m: float = 0.3,
    r_floor_m2k_w: float = 0.0,
    ground_conductivity_w_mk: float = 2.0,
) -> Numeric:
    r"""
    Steady-state U-value of a slab-on-ground floor (ISO 13370 simplified method).

    Parameters
    ----------
    floor_area_m2 : numeric
        Floor area. [m²]
    exposed_perimeter_m : numeric
        Perimeter of the floor next to the outside. [m]
    wall_thickness_m : float, default 0.3
        Thickness of the external walls. [m]
    r_floor_m2k_w : float, default 0
        Thermal resistance of floor insulation. [m² K/W]
    ground_conductivity_w_mk : float, default 2.0
        Ground thermal conductivity (ISO 13370 default for clay/silt 1.5, sand/gravel 2.0). [W/(m K)]

    Returns
    -------
    u_w_m2k : numeric
        Broadcast shape. [W/(m² K)]

    Notes
    -----
    With :math:`B' = A / (0.5 P)` and :math:`d_t = w + \lambda (R_{si} + R_f + R_{se})`,
    :math:`R_{si} = 0.17`, :math:`R_{se} = 0.04`:

    .. math:: U = \frac{2\lambda}{\pi B' + d_t} \ln\left(\frac{\pi B'}{d_t} + 1\right)
              \quad (d_t < B')

    References
    ----------
    .. [1] ISO 13370:2017 Thermal performance of buildings — Heat transfer via the ground —
       Calculation methods, §9.1.2, eq. (8).
    """
    lam = ground_conductivity_w_mk
    b = np.asarray(floor_area_m2, dtype=float) / (0.5 * np.asarray(exposed_perimeter_m, dtype=float))
    d_t = wall_thickness_m + lam * (0.17 + r_floor_m2k_w + 0.04)
    return 2.0 * lam / (np.pi * b + d_t) * np.log(np.pi * b / d_t + 1.0)


def earth_temperature_c(
    day_of_year: Numeric,
    depth_m: float,
    temp_mean_c: float,
    amplitude_k: float,
    day_coldest: float = 15.0,
    diffusivity_m2_s: float = 0.6e-6,
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
    day_coldest : float, default 15
        Day of the coldest surface temperature. [d]
    diffusivity_m2_s : float, default 0.6e-6
        Soil thermal diffusivity (dry loess, unconfirmed). [m²/s]

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


@dataclass(frozen=True)
class EnvelopeClass:
    """Heat-loss parameters of one dwelling × envelope class (see data/defaults/building).

    Attributes: U-values [W/(m² K)], air changes [1/h], window-to-wall ratios [unitless],
    window solar transmittance [unitless], effective heat capacity per floor area [J/(m² K)],
    and for caves the earth-contact area per floor area [unitless] and its U-value.
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
    earth_contact_ratio: float = 0.0
    u_earth: float = 0.0


@dataclass
class HouseArrays:
    """Per-house coefficients of the RC network, each of shape (n_houses,).

    ``h_air_w_k`` windows + ventilation (air ↔ outdoor); ``h_ms_w_k`` air ↔ mass;
    ``h_em_w_k`` opaque walls and roof (mass ↔ outdoor); ``h_floor_w_k`` floor ↔ ground;
    ``h_earth_w_k`` cave vault ↔ earth; ``c_j_k`` thermal capacity;
    ``a_sol_south_m2`` / ``a_sol_north_m2`` effective solar apertures (area × g × frame);
    ``area_m2`` heated floor area.
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

    def take(self, idx: np.ndarray | slice) -> HouseArrays:
        """The houses at ``idx`` (an index array or slice)."""
        return HouseArrays(**{k: v[idx] for k, v in self.__dict__.items()})


def house_arrays(
    heated_area_m2: FloatArray,
    classes: list[EnvelopeClass],
    class_index: np.ndarray,
    *,
    storey_height_m: float = 3.0,
    depth_m: float = 7.0,
    cave_depth_m: float = 8.0,
    cave_width_m: float = 3.6,
    frame_factor: float = 0.7,
    mass_area_ratio: float = 3.0,
    h_mass_surface_w_m2k: float = 9.1,
) -> HouseArrays:
    r"""
    Conductances and capacity of each house's RC network from its area and class.

    Parameters
    ----------
    heated_area_m2 : ndarray
        Heated floor area, shape (n_houses,). [m²]
    classes : list of EnvelopeClass
        The distinct classes.
    class_index : ndarray of int
        Index into ``classes`` per house, shape (n_houses,).
    storey_height_m : float, default 3.0
        Single-storey rural house: floor to ceiling. [m]
    depth_m : float, default 7.0
        House depth (north–south); length = area / depth. [m]
    cave_depth_m, cave_width_m : float, default 8.0, 3.6
        One cave (窑洞) bay; a house of area A has A / (w d) bays side by side, facade south. [m]
    frame_factor : float, default 0.7
        Glazed fraction of the window opening times a shading allowance. [unitless]
    mass_area_ratio : float, default 3.0
        ISO 13790 Table 12 effective mass area per floor area (heavy). [unitless]
    h_mass_surface_w_m2k : float, default 9.1
        ISO 13790 §12.2.2 heat transfer coefficient between mass and surface nodes. [W/(m² K)]

    Returns
    -------
    HouseArrays

    Notes
    -----
    Brick and other houses: rectangle ``L × depth``, walls ``2 (L + depth) h``, windows
    ``L h`` × ratio on the south and north facades, roof = floor, floor to ground through
    :func:`slab_on_ground_u_value`, ventilation ``0.333 n V`` W/K. Cave dwelling: only the
    south facade (bay width × h per bay) faces the air, with its window ratio; the vault and
    back wall (``earth_contact_ratio`` × floor area) exchange heat with earth at
    :func:`earth_temperature_c`; no roof to the air.
    :math:`H_{em} = 1 / (1/H_{op} - 1/H_{ms})` splits the opaque path around the mass node
    as ISO 13790 §12.2.2 does.

    References
    ----------
    .. [1] ISO 13790:2008 Energy performance of buildings — Calculation of energy use for
       space heating and cooling, §12.2 and Table 12.
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
    h_ve = AIR_HEAT_CAPACITY_WH_M3K * field["air_changes_per_h"] * volume
    h_op = field["u_wall"] * a_wall + field["u_roof"] * a_roof
    perimeter = np.where(is_cave, facade_len, 2.0 * (length + depth_m))
    u_floor = slab_on_ground_u_value(area, perimeter, r_floor_m2k_w=field["r_floor_m2k_w"])
    h_floor = u_floor * area
    h_earth = field["u_earth"] * field["earth_contact_ratio"] * area
    h_ms = h_mass_surface_w_m2k * mass_area_ratio * area
    h_em = 1.0 / (1.0 / np.maximum(h_op, 1e-9) - 1.0 / h_ms)
    return HouseArrays(
        area_m2=area,
        h_air_w_k=h_win + h_ve,
        h_ms_w_k=h_ms,
        h_em_w_k=np.maximum(h_em, 0.0),
        h_floor_w_k=h_floor,
        h_earth_w_k=h_earth,
        c_j_k=field["heat_capacity_j_m2k"] * area,
        a_sol_south_m2=a_win_s * field["g_window"] * frame_factor,
        a_sol_north_m2=a_win_n * field["g_window"] * frame_factor,
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
    temp_set_c: Numeric = 18.0,
) -> FloatArray:
    r"""
    Design heat load: steady-state loss at the site's design outdoor temperature, no gains.

    Parameters
    ----------
    house : HouseArrays
        From :func:`house_arrays`.
    temp_design_c : numeric
        Heating design outdoor temperature (供暖室外计算温度). [°C]
    temp_ground_c : numeric
        Ground temperature under the floor (undisturbed ground temperature). [°C]
    temp_earth_design_c : numeric
        Earth temperature around a cave's vault at its coldest. [°C]
    temp_set_c : numeric, default 18
        Indoor design temperature (GB 50736 §3.0.1: 18–24 °C in severe cold and cold zones). [°C]

    Returns
    -------
    design_heat_load_kw : ndarray
        Shape (n_houses,). [kW]

    Notes
    -----
    The network of :func:`house_arrays` solved in steady state (mass node at its equilibrium
    temperature). This is the load the GB 50736 §5.2 method gives (transmission + air
    infiltration), without its orientation and height corrections.

    References
    ----------
    .. [1] GB 50736-2012 民用建筑供暖通风与空气调节设计规范, §5.2.
    """
    return _steady_loss_w(house, temp_set_c, temp_design_c, temp_ground_c, temp_earth_design_c) / 1000.0


def simulate_heat_demand(
    house: HouseArrays,
    temp_out_c: FloatArray,
    temp_ground_c: Numeric,
    temp_earth_c: FloatArray,
    irr_south_w_m2: FloatArray,
    irr_north_w_m2: FloatArray,
    set_point_c: FloatArray,
    internal_gain_w_m2: float = 3.8,
    warmup_hours: int = 0,
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
        Ground temperature under the floor, scalar or (n_houses,). [°C]
    temp_earth_c : ndarray
        Earth temperature around a cave's vault, shape (n_hours,). [°C]
    irr_south_w_m2, irr_north_w_m2 : ndarray
        Global irradiance on the vertical south and north facades, shape (n_hours,). [W/m²]
    set_point_c : ndarray
        Indoor set-point, shape (n_houses, 24) by hour of day (night set-back lives here), or
        (n_houses,). [°C]
    internal_gain_w_m2 : float, default 3.8
        Internal heat gains per floor area (JGJ 26-2010 §4.3 calculation value, recalled;
        unconfirmed). [W/m²]
    warmup_hours : int, default 0
        Leading hours run to settle the mass temperature and dropped from the output. [h]

    Returns
    -------
    heat_demand_kw : ndarray
        Shape (n_houses, n_hours − warmup_hours), ≥ 0. [kW]

    Notes
    -----
    Backward-Euler step of the mass node (Δt = 1 h), air node quasi-steady:

    .. math::
        C/\Delta t\,(T_m' - T_m) = H_{ms}(T_i - T_m') + H_{em}(T_e - T_m') + H_{g}(T_g - T_m') + \Phi_m

        0 = H_{ms}(T_m' - T_i) + H_{air}(T_e - T_i) + \Phi_a + \Phi_h

    First the free-floating :math:`T_i` (:math:`\Phi_h = 0`) is solved; where it falls below
    the set-point, :math:`T_i` is fixed at the set-point and :math:`\Phi_h` solved. Half of
    the internal gains go to the air node, the rest and all solar gains to the mass node (a
    simplification of ISO 13790 §C.3). No cooling: above the set-point the house floats.
    The loop runs over hours only; every operation is vectorised over houses.

    References
    ----------
    .. [1] ISO 13790:2008, Annex C (simple hourly method).
    """
    n_hours = temp_out_c.shape[0]
    n = house.area_m2.shape[0]
    c_dt = house.c_j_k / 3600.0
    h_ms, h_air, h_em = house.h_ms_w_k, house.h_air_w_k, house.h_em_w_k
    h_g = house.h_floor_w_k + house.h_earth_w_k
    temp_gs_num_floor = house.h_floor_w_k * np.asarray(temp_ground_c, dtype=float)
    s = c_dt + h_ms + h_em + h_g
    k_free = h_ms + h_air - h_ms * h_ms / s
    phi_int_air = 0.5 * internal_gain_w_m2 * house.area_m2
    phi_int_mass = phi_int_air
    sp = np.asarray(set_point_c, dtype=float)
    sp_by_hour = sp.reshape(n, -1) if sp.ndim == 2 else sp.reshape(n, 1)
    n_sp = sp_by_hour.shape[1]
    t_m0 = sp_by_hour.mean(axis=1) - 1.0
    out = np.empty((n, n_hours - warmup_hours))
    f = np.ascontiguousarray
    _rc_hours(f(temp_out_c, dtype=float), f(temp_earth_c, dtype=float), f(irr_south_w_m2, dtype=float),
              f(irr_north_w_m2, dtype=float), f(np.broadcast_to(c_dt, (n,)), dtype=float), f(h_ms, dtype=float),
              f(h_air, dtype=float), f(h_em, dtype=float), f(house.h_earth_w_k, dtype=float),
              f(np.broadcast_to(temp_gs_num_floor, (n,))), f(s, dtype=float), f(k_free, dtype=float),
              f(phi_int_air, dtype=float), f(phi_int_mass, dtype=float), f(house.a_sol_south_m2, dtype=float),
              f(house.a_sol_north_m2, dtype=float), f(sp_by_hour), n_sp == 24, f(t_m0), int(warmup_hours), out)
    return out


@njit(nogil=True, cache=True, error_model="numpy")
def _rc_hours(temp_out, temp_earth, irr_s, irr_n, c_dt, h_ms, h_air, h_em, h_earth, tg_floor, s, k_free,
              phi_int_air, phi_int_mass, a_sol_s, a_sol_n, sp_by_hour, by_hour, t_m0, warmup_hours, out):
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
            k = t % n_sp if by_hour else 0
            w = t - warmup_hours
            for i in range(i0, i1):
                phi_m = phi_int_mass[i] + a_sol_s[i] * g_s + a_sol_n[i] * g_n
                b = c_dt[i] * t_m[i - i0] + h_em[i] * t_e + tg_floor[i] + h_earth[i] * t_earth + phi_m
                rhs = h_ms[i] * b / s[i] + h_air[i] * t_e + phi_int_air[i]
                t_set = sp_by_hour[i, k]
                t_free = rhs / k_free[i]
                t_i = t_free if t_free > t_set else t_set
                t_m[i - i0] = (b + h_ms[i] * t_i) / s[i]
                if w >= 0:
                    q = k_free[i] * t_i - rhs
                    out[i, w] = (q if q > 0.0 else 0.0) / 1000.0
