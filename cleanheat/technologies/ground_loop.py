"""Ground-source heat pump on household boreholes: pygfunction g-function, loop temperature, limits.

The borehole wall temperature follows from superposing daily extraction pulses on the
field's g-function (computed once per field geometry with pygfunction and cached); earlier
seasons (years of operation) and summer solar recharge are superposed as long pulses. The
fluid temperature adds the borehole resistance. The heat pump never takes the fluid below
the antifreeze limit: it delivers less, and the shortfall is reported as unmet heat.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numba import njit

from cleanheat.technologies.heat_pump import cop_carnot_fraction
from cleanheat.units import KELVIN, FloatArray

__all__ = ["BoreField", "g_function_table", "g_function", "GroundLoopResult", "simulate_ground_loop",
           "borehole_count", "add_system_electricity"]

SECONDS_PER_DAY = 86400.0
SECONDS_PER_YEAR = 365.0 * SECONDS_PER_DAY


@dataclass(frozen=True)
class BoreField:
    """Household borehole field: a line of ``n_boreholes`` vertical boreholes.

    Attributes: ``length_m`` per borehole, ``spacing_m``, ``radius_m`` (borehole radius),
    ``buried_m`` (depth of the top), ``conductivity_w_mk`` and ``diffusivity_m2_s`` of the
    ground, ``resistance_mk_w`` effective borehole thermal resistance (fluid to wall). [SI]
    """

    length_m: float = 100.0
    spacing_m: float = 6.0
    radius_m: float = 0.075
    buried_m: float = 2.0
    conductivity_w_mk: float = 2.0
    diffusivity_m2_s: float = 1.0e-6
    resistance_mk_w: float = 0.12


@functools.cache
def g_function_table(n_boreholes: int, field: BoreField, max_years: float = 30.0) -> tuple[FloatArray, FloatArray]:
    """
    g-function of a line of boreholes on a log-spaced time grid (pygfunction, cached).

    Parameters
    ----------
    n_boreholes : int
        Boreholes in a line at ``field.spacing_m``.
    field : BoreField
        Geometry and ground properties.
    max_years : float, default 30
        Longest time tabulated. [a]

    Returns
    -------
    time_s, g : ndarray
        Times (1 h … max_years) and the dimensionless g-function. [s, unitless]

    Notes
    -----
    Uniform borehole wall temperature boundary condition, pygfunction's 'equivalent' solver.

    References
    ----------
    .. [1] M. Cimmino and J. C. Cook, "pygfunction 2.2: New features and improvements in
       accuracy and computational efficiency," in Proc. IGSHPA Research Track, 2022.
    .. [2] P. Eskilson, "Thermal analysis of heat extraction boreholes," Ph.D. thesis,
       Lund University, 1987.
    """
    import pygfunction as gt

    bf = gt.borefield.Borefield.rectangle_field(
        N_1=int(n_boreholes), N_2=1, B_1=field.spacing_m, B_2=field.spacing_m,
        H=field.length_m, D=field.buried_m, r_b=field.radius_m,
    )
    time_s = np.geomspace(3600.0, max_years * SECONDS_PER_YEAR, 60)
    gfunc = gt.gfunction.gFunction(bf, field.diffusivity_m2_s, time=time_s, boundary_condition="UBWT",
                                   options={"disp": False}, method="equivalent")
    return time_s, np.asarray(gfunc.gFunc, dtype=float)


def g_function(time_s: FloatArray, n_boreholes: int, field: BoreField) -> FloatArray:
    """
    g-function of a line of boreholes at arbitrary times.

    Parameters
    ----------
    time_s : ndarray
        Times since a unit step of extraction. [s]
    n_boreholes : int
        Boreholes in the line.
    field : BoreField
        Geometry and ground properties.

    Returns
    -------
    g : ndarray
        Shape of ``time_s``; 0 at t ≤ 0, rising like ln t from 1 min to 1 h, then interpolated
        in ln t on :func:`g_function_table`. [unitless]
    """
    grid_t, grid_g = g_function_table(int(n_boreholes), field)
    t = np.asarray(time_s, dtype=float)
    with np.errstate(divide="ignore"):
        lt = np.log(np.maximum(t, 1e-9))
    # below one hour the g-function grows from 0 like ln(t); extend linearly in ln t to 0 at t=60 s
    g_small = grid_g[0] * np.clip((lt - np.log(60.0)) / (np.log(3600.0) - np.log(60.0)), 0.0, 1.0)
    g = np.interp(lt, np.log(grid_t), grid_g)
    return np.where(t <= 0, 0.0, np.where(t < 3600.0, g_small, g))


def borehole_count(
    design_heat_load_kw: FloatArray,
    cop_design: float,
    length_m: float,
    extraction_w_per_m: float,
) -> FloatArray:
    r"""
    Number of boreholes to size a household field.

    Parameters
    ----------
    design_heat_load_kw : ndarray
        Design heat load of each house. [kW]
    cop_design : float
        Heat-pump COP at design conditions. [unitless]
    length_m : float
        Length of one borehole. [m]
    extraction_w_per_m : float
        Design specific extraction rate. [W/m]

    Returns
    -------
    n_boreholes : ndarray of int
        ≥ 1. [unitless]

    Notes
    -----
    .. math:: n = \lceil Q_d (1 - 1/COP_d) / (q'_d L) \rceil
    """
    extraction_w = np.asarray(design_heat_load_kw) * 1000.0 * (1.0 - 1.0 / cop_design)
    return np.maximum(1, np.ceil(extraction_w / (extraction_w_per_m * length_m) - 1e-9)).astype(np.int64)


@dataclass
class GroundLoopResult:
    """Hourly results of :func:`simulate_ground_loop`, each (n_houses, n_hours) [kW, °C]."""

    heat_kw: FloatArray
    electricity_kw: FloatArray
    unmet_kw: FloatArray
    temp_fluid_c: FloatArray


def _pulse(t_now_s: FloatArray, t_start_s: float, t_end_s: float, n_b: int, field: BoreField) -> FloatArray:
    """Response g(t − t_start) − g(t − t_end) of a unit pulse over [t_start, t_end]. [unitless]"""
    return g_function(t_now_s - t_start_s, n_b, field) - g_function(t_now_s - t_end_s, n_b, field)


@functools.lru_cache(maxsize=256)
def _day_responses(nb: int, field: BoreField, n_days: int, years: int, recharge_days: float,
                   season_gap_days: float) -> tuple[FloatArray, float, FloatArray, FloatArray]:
    """Daily step responses of one field size, the same for every house and chunk (cached):
    ``w[m-1] = g(m Δ) − g((m−1) Δ)``, the effective resistance ``R_b + g(Δ/2)/(2πk)``, and per
    unit rate at the start of each day the response to the earlier seasons and to the summer
    recharge. [unitless, m K/W, unitless, unitless]"""
    two_pi_k = 2.0 * np.pi * field.conductivity_w_mk
    season_s = n_days * SECONDS_PER_DAY
    t_days = np.arange(n_days + 1, dtype=np.float64) * np.float64(SECONDS_PER_DAY)
    g_days = g_function(t_days, nb, field)
    w = np.diff(g_days)
    r_eff = field.resistance_mk_w + float(g_function(np.array([SECONDS_PER_DAY / 2]), nb, field)[0]) / two_pi_k
    hist_unit = np.zeros(n_days)
    rech_unit = np.zeros(n_days)
    for y in range(1, years):
        hist_unit += _pulse(t_days[:-1] + y * SECONDS_PER_YEAR, 0.0, season_s, nb, field)
    for y in range(0, years):
        end = -season_gap_days * SECONDS_PER_DAY - y * SECONDS_PER_YEAR
        rech_unit += _pulse(t_days[:-1], end - recharge_days * SECONDS_PER_DAY, end, nb, field)
    for a in (w, hist_unit, rech_unit):
        a.setflags(write=False)
    return w, r_eff, hist_unit, rech_unit


@njit(nogil=True, cache=True)
def _ground_days(d_rows, t_sup, cop_min, cap, cop_guess, q_prev_mean, rech, hist_unit, rech_unit, w,
                 two_pi_k, temp_ground_c, temp_fluid_min_c, r_eff, length, eta_carnot, approach_k, kelvin,
                 rows, heat, elec, t_fluid):
    """One pass of :func:`simulate_ground_loop` over the houses ``rows`` of one field size,
    compiled: day by day the wall temperature from the superposed daily extraction, then hour by
    hour capacity, heat, the COP's fixed point and the fluid temperature, written to ``heat``,
    ``elec``, ``t_fluid`` at ``rows``. Returns each house's season-mean extraction. [W/m]"""
    m, n_hours = d_rows.shape
    n_days = n_hours // 24
    shared = t_sup.shape[0] == 1
    # per supply row and hour, without divisions in the hour loop: COP = η T_h / (T_h − T_c) is
    # used as 1/COP = (T_h − T_c) / (η T_h), T_c = T_f + 273.15 − approach
    n_rows = t_sup.shape[0]
    lift0 = np.empty((n_rows, n_hours))  # T_h − 273.15 + approach: the lift is lift0 − T_f
    inv_eta_th = np.empty((n_rows, n_hours))
    cap_per_q = np.empty((n_rows, n_hours))  # ground-limited capacity per W/m of extraction [kW/(W/m)]
    for r in range(n_rows):
        for t in range(n_hours):
            t_hot = t_sup[r, t] + kelvin + approach_k
            lift0[r, t] = t_hot - kelvin + approach_k
            inv_eta_th[r, t] = 1.0 / (eta_carnot * t_hot)
            cap_per_q[r, t] = length / (1.0 - 1.0 / cop_min[r, t]) / 1000.0
    k_fluid = 1000.0 / length * r_eff  # fluid below the wall per kW of extraction [K/kW]
    q_mean = np.empty(m)
    q_days = np.empty(n_days)
    for i in range(m):
        r = 0 if shared else i
        row = rows[i]
        g_guess = 1.0 - 1.0 / cop_guess[i]
        qp = q_prev_mean[i]
        rc = rech[i]
        ci = cap[i]
        q_total = 0.0
        for d in range(n_days):
            dt_hist = (qp * hist_unit[d] - rc * rech_unit[d]) / two_pi_k
            acc = 0.0
            for j in range(d):
                acc += q_days[j] * w[d - 1 - j]
            t_wall = temp_ground_c - dt_hist - acc / two_pi_k
            q_max_w_m = max(t_wall - temp_fluid_min_c, 0.0) / r_eff
            q_day = 0.0
            for k in range(24):
                t = d * 24 + k
                dem = d_rows[i, t]
                cap_ground_kw = q_max_w_m * cap_per_q[r, t]
                cap_h = ci if ci < cap_ground_kw else cap_ground_kw
                h = dem if dem < cap_h else cap_h
                a = h * k_fluid
                l0 = lift0[r, t]
                c = inv_eta_th[r, t]
                t_f = t_wall - a * g_guess
                x = (l0 - t_f) * c  # 1 / COP
                for _it in range(2):
                    t_f = t_wall - a * (1.0 - x)
                    x = (l0 - t_f) * c
                q_day += h * 1000.0 * (1.0 - x)
                heat[row, t] = h
                elec[row, t] = h * x
                t_fluid[row, t] = t_f
            q_days[d] = q_day / 24.0 / length
            q_total += q_days[d]
        q_mean[i] = q_total / n_days if n_days else 0.0
    return q_mean


def simulate_ground_loop(
    heat_demand_kw: FloatArray,
    temp_supply_c: FloatArray,
    capacity_kw: FloatArray,
    n_boreholes: np.ndarray,
    temp_ground_c: float,
    *,
    field: BoreField = BoreField(),
    eta_carnot: float = 0.5,
    approach_k: float = 5.0,
    temp_fluid_min_c: float = -3.0,
    years: int = 10,
    recharge_w_per_m: FloatArray | None = None,
    recharge_days: float = 150.0,
    season_gap_days: float = 30.0,
    passes: int = 1,
) -> GroundLoopResult:
    r"""
    Hour-by-hour ground-source heat pump on each house's borehole field, in its ``years``-th season.

    Parameters
    ----------
    heat_demand_kw : ndarray
        Heat demand, shape (n_houses, n_hours); hour 0 is 00:00 of the first season day. [kW]
    temp_supply_c : ndarray
        Supply temperature, broadcastable to the demand. [°C]
    capacity_kw : ndarray
        Heat-pump heating capacity, shape (n_houses,). [kW]
    n_boreholes : ndarray of int
        Boreholes per house, shape (n_houses,).
    temp_ground_c : float
        Undisturbed ground temperature of the site. [°C]
    field : BoreField
        Borehole geometry and ground properties.
    eta_carnot : float, default 0.5
        Carnot fraction of the water/brine heat pump (see :func:`cop_carnot_fraction`). [unitless]
    approach_k : float, default 5
        Heat-exchanger approach. [K]
    temp_fluid_min_c : float, default −3
        Antifreeze lower limit of the mean fluid temperature. [°C]
    years : int, default 10
        Season simulated: the same season's loads are assumed for the ``years − 1`` before. [a]
    recharge_w_per_m : ndarray or None
        Mean heat injected per metre of borehole during the summer before each season (solar
        recharge), shape (n_houses,). [W/m]
    recharge_days : float, default 150
        Length of the summer recharge period, ending ``season_gap_days`` before the season. [d]
    season_gap_days : float, default 30
        Days between the end of recharge and the start of the heating season. [d]
    passes : int, default 1
        Fixed-point passes. Pass 1 takes earlier years' extraction as this season's demand ×
        (1 − 1/COP) with the COP at the undisturbed ground temperature − 3 K and the mean supply
        temperature; a second pass would use pass 1's actual extraction instead (it changes the
        fluid temperature by < 0.1 K for a sized field; for an undersized field pass 1
        overstates past extraction, which errs on the cold side). [unitless]

    Returns
    -------
    GroundLoopResult

    Notes
    -----
    Wall temperature at the start of day d, with daily mean extraction q_j per metre:

    .. math:: T_b(d) = T_g - \frac{1}{2\pi k}\Big[\sum_{j<d} q_j (g((d-j)\Delta) - g((d-j-1)\Delta))
              + \sum_{y=1}^{Y-1} \bar q\,(g(yP + t) - g(yP + t - S)) - \text{recharge}\Big]

    Within the day the fluid is :math:`T_f = T_b - q' R_{eff}` with
    :math:`R_{eff} = R_b + g(\Delta/2)/(2\pi k)`, the same day's own response folded into a
    resistance. Capacity is cut so that :math:`T_f \ge T_{min}`; the cut is unmet heat.

    References
    ----------
    .. [1] P. Eskilson, "Thermal analysis of heat extraction boreholes," Ph.D. thesis,
       Lund University, 1987.
    .. [2] M. Cimmino and J. C. Cook, pygfunction 2.2, IGSHPA Research Track, 2022.
    """
    demand = np.asarray(heat_demand_kw, dtype=float)
    n, n_hours = demand.shape
    n_days = n_hours // 24
    if n_days * 24 != n_hours:
        raise ValueError(f"heat_demand_kw: hours must be whole days, got {n_hours}")
    t_sup_in = np.asarray(temp_supply_c, dtype=float)
    shared_supply = t_sup_in.ndim < 2 or t_sup_in.shape[0] == 1  # one heating curve for every house
    t_sup = np.broadcast_to(t_sup_in, (1 if shared_supply else n, n_hours))
    cop_min_all = np.asarray(cop_carnot_fraction(temp_fluid_min_c, t_sup, eta_carnot, approach_k))
    cap = np.asarray(capacity_kw, dtype=float)
    nb_all = np.asarray(n_boreholes, dtype=np.int64)
    two_pi_k = 2.0 * np.pi * field.conductivity_w_mk
    heat = np.empty_like(demand)
    elec = np.empty_like(demand)
    t_fluid = np.empty_like(demand)
    for nb in np.unique(nb_all):
        rows = np.flatnonzero(nb_all == nb)
        length = nb * field.length_m
        d_rows = demand[rows]
        w, r_eff, hist_unit, rech_unit = _day_responses(int(nb), field, n_days, int(years), float(recharge_days),
                                                         float(season_gap_days))
        rech = np.zeros(len(rows)) if recharge_w_per_m is None else np.asarray(recharge_w_per_m)[rows]
        sup_rows = slice(None) if shared_supply else rows
        # per house (a batch mean would make one house's result depend on the others in the call)
        cop_guess = np.mean(cop_carnot_fraction(temp_ground_c - 3.0, t_sup[sup_rows], eta_carnot, approach_k),
                            axis=1) * np.ones(len(rows))
        q_prev_mean = d_rows.mean(axis=1) * 1000.0 * (1 - 1 / cop_guess) / length
        t_sup_rows = np.ascontiguousarray(t_sup[sup_rows])
        cop_min_rows = np.ascontiguousarray(cop_min_all[sup_rows])
        for _ in range(max(1, passes)):
            q_prev_mean = _ground_days(
                np.ascontiguousarray(d_rows), t_sup_rows, cop_min_rows, np.ascontiguousarray(cap[rows]),
                np.ascontiguousarray(cop_guess, dtype=float), np.ascontiguousarray(q_prev_mean, dtype=float),
                np.ascontiguousarray(rech, dtype=float), hist_unit, rech_unit, np.ascontiguousarray(w), two_pi_k,
                float(temp_ground_c), float(temp_fluid_min_c), float(r_eff), float(length), float(eta_carnot),
                float(approach_k), KELVIN, rows, heat, elec, t_fluid,
            )  # season-mean extraction of this pass [W/m]
    return GroundLoopResult(heat_kw=heat, electricity_kw=elec, unmet_kw=demand - heat, temp_fluid_c=t_fluid)


@njit(nogil=True, cache=True)
def add_system_electricity(heat, elec, demand, capacity_kw, min_modulation, cycling_cd, source_kw, standby_kw,
                           emitter_kw):
    """
    Widen the ground loop's compressor electricity to the system boundary, in place, in one pass.

    As :func:`cleanheat.technologies.heat_pump.system_electricity_kw` (water-based EN 14825
    cycling) on ``heat`` with COP = heat / elec: ``elec`` (n, h) becomes compressor with cycling +
    brine pump ``source_kw[i]`` while running + standby ``standby_kw`` while not + emitter pump
    ``emitter_kw[i]`` in hours with ``demand`` > 0. [kW]

    Returns
    -------
    sums : ndarray
        (n, 4) season sums of compressor, source-pump, standby and emitter-pump electricity. [kWh]
    """
    n, nh = heat.shape
    out = np.zeros((n, 4))
    for i in range(n):
        cap_min = min_modulation * capacity_kw[i]
        e_u = 0.0
        e_s = 0.0
        e_b = 0.0
        e_e = 0.0
        for t in range(nh):
            q = heat[i, t]
            e = elec[i, t]
            if q > 0.0:
                if q < cap_min:
                    run = q / cap_min
                    ec = (cycling_cd * q + (1.0 - cycling_cd) * cap_min) * (e / q)
                else:
                    run = 1.0
                    ec = e
            else:
                run = 0.0
                ec = 0.0
            es = source_kw[i] * run
            eb = standby_kw * (1.0 - run)
            ee = emitter_kw[i] if demand[i, t] > 0.0 else 0.0
            elec[i, t] = ec + es + eb + ee
            e_u += ec
            e_s += es
            e_b += eb
            e_e += ee
        out[i, 0] = e_u
        out[i, 1] = e_s
        out[i, 2] = e_b
        out[i, 3] = e_e
    return out
