"""Heat-pump performance: COP and capacity against source and supply temperature, defrost, dispatch.

Three COP models sit side by side, as pvlib keeps competing models as sibling functions:
:func:`cop_carnot_fraction` (a fixed fraction of Carnot, for ground-source and user-defined
units), :func:`cop_log_bilinear` (a datasheet fit for low-ambient air-source units, valid
−25…+15 °C outdoor and 35–60 °C supply) and :func:`cop_co2_transcritical` (a CO₂ cycle
computed with CoolProp properties, tabulated once and interpolated). :func:`cycling_factor` and
:func:`system_electricity_kw` widen the boundary from the unit's steady-state COP to the system a
household pays for (part-load cycling, pumps, standby: SEPEMO H2 and H4).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from cleanheat.units import KELVIN, FloatArray, Numeric

__all__ = [
    "cop_carnot",
    "cop_carnot_fraction",
    "fit_log_bilinear",
    "cop_log_bilinear",
    "fit_log_linear_outdoor",
    "cop_log_linear_outdoor",
    "capacity_fraction",
    "defrost_factor",
    "supply_temperature_c",
    "max_supply_temperature_c",
    "cop_co2_transcritical",
    "co2_cop_table",
    "dispatch_with_auxiliary",
    "cycling_factor",
    "system_electricity_kw",
    "co2_supply_return_c",
]


def cop_carnot(temp_source_c: Numeric, temp_supply_c: Numeric) -> Numeric:
    r"""
    Carnot (reversible) heating COP between a source and a supply temperature.

    Parameters
    ----------
    temp_source_c : numeric
        Source temperature (outdoor air, loop fluid). [°C]
    temp_supply_c : numeric
        Supply temperature to the emitters. [°C]

    Returns
    -------
    cop : numeric
        Broadcast shape of the inputs; ``inf`` where supply ≤ source. [unitless]

    Notes
    -----
    .. math:: COP_C = T_h / (T_h - T_c), \quad T \text{ in kelvin}

    No real unit can exceed this bound; tests hold every model to it.

    References
    ----------
    .. [1] Y. A. Çengel and M. A. Boles, Thermodynamics: An Engineering Approach, 8th ed.
       New York, NY, USA: McGraw-Hill, 2015, §6-10.
    """
    t_hot_k = np.asarray(temp_supply_c, dtype=float) + KELVIN
    t_cold_k = np.asarray(temp_source_c, dtype=float) + KELVIN
    lift_k = t_hot_k - t_cold_k
    with np.errstate(divide="ignore"):
        return np.where(lift_k > 0, t_hot_k / np.where(lift_k > 0, lift_k, 1.0), np.inf)


def cop_carnot_fraction(
    temp_source_c: Numeric,
    temp_supply_c: Numeric,
    eta_carnot: float = 0.45,
    approach_k: float = 5.0,
) -> Numeric:
    r"""
    Heating COP of a heat pump as a fixed fraction of the Carnot COP.

    Parameters
    ----------
    temp_source_c : numeric
        Source temperature: outdoor air for air-source units, loop fluid for ground-source
        units. [°C]
    temp_supply_c : numeric
        Supply temperature to the emitters. [°C]
    eta_carnot : float, default 0.45
        Fraction of the Carnot COP reached by the unit, fitted to one datasheet point. [unitless]
    approach_k : float, default 5.0
        Temperature approach at each heat exchanger. [K]

    Returns
    -------
    cop : numeric
        Broadcast shape of the inputs, e.g. (n_houses, n_hours). [unitless]

    Notes
    -----
    .. math:: COP = \eta_C \, T_h / (T_h - T_c)

    with :math:`T_h` = supply + approach and :math:`T_c` = source − approach, in kelvin.
    Because the approaches widen the lift, the result stays below :func:`cop_carnot` for any
    :math:`\eta_C \le 1`.

    References
    ----------
    .. [1] Y. A. Çengel and M. A. Boles, Thermodynamics: An Engineering Approach, 8th ed.
       New York, NY, USA: McGraw-Hill, 2015.
    """
    t_hot_k = np.asarray(temp_supply_c, dtype=float) + KELVIN + approach_k
    t_cold_k = np.asarray(temp_source_c, dtype=float) + KELVIN - approach_k
    return eta_carnot * t_hot_k / (t_hot_k - t_cold_k)


def fit_log_bilinear(points: Sequence[Sequence[float]]) -> tuple[float, float, float, float]:
    r"""
    Fit :math:`\ln COP = c_0 + c_1 T_o + c_2 T_s + c_3 T_o T_s` to datasheet points.

    Parameters
    ----------
    points : sequence of (temp_outdoor_c, temp_supply_c, cop)
        At least four datasheet points. [°C, °C, unitless]

    Returns
    -------
    coefficients : tuple of 4 floats
        :math:`(c_0, c_1, c_2, c_3)` for :func:`cop_log_bilinear`.

    Raises
    ------
    ValueError
        If fewer than four points are given or a COP is not positive.
    """
    arr = np.asarray(points, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != 3 or arr.shape[0] < 4:
        raise ValueError(f"points: need ≥ 4 rows of (temp_outdoor_c, temp_supply_c, cop), got shape {arr.shape}")
    if np.any(arr[:, 2] <= 0):
        raise ValueError("points: every COP must be > 0")
    t_o, t_s, cop = arr.T
    design = np.column_stack([np.ones_like(t_o), t_o, t_s, t_o * t_s])
    coef, *_ = np.linalg.lstsq(design, np.log(cop), rcond=None)
    return float(coef[0]), float(coef[1]), float(coef[2]), float(coef[3])


def cop_log_bilinear(
    temp_outdoor_c: Numeric,
    temp_supply_c: Numeric,
    coefficients: tuple[float, float, float, float],
) -> Numeric:
    r"""
    Heating COP of a low-ambient air-source heat pump from a datasheet fit.

    Parameters
    ----------
    temp_outdoor_c : numeric
        Outdoor dry-bulb temperature; valid −25…+15 °C (clipped to that range). [°C]
    temp_supply_c : numeric
        Supply water temperature; valid 35–60 °C (clipped to that range). [°C]
    coefficients : tuple of 4 floats
        From :func:`fit_log_bilinear`.

    Returns
    -------
    cop : numeric
        Broadcast shape of the inputs; frost-free steady-state COP (apply
        :func:`defrost_factor` for frosting losses). [unitless]

    Notes
    -----
    .. math:: \ln COP = c_0 + c_1 T_o + c_2 T_s + c_3 T_o T_s

    A log-linear form keeps COP positive and, fitted to the six points of the default
    parameters (two-stage unit at −20 °C: 2.4 / 2.2 / 1.9 at 35 / 45 / 55 °C; unit at 0 °C:
    3.8 / 2.8 / 2.2), reproduces each within 2.2 %, rises with outdoor temperature and falls
    with supply temperature over the whole validity range (checked in the tests). Generic
    fits such as hplib's clamp COP at 1.0 near −20 °C and do not represent the low-ambient
    (EVI, two-stage) units the Yanchi guide requires.

    References
    ----------
    .. [1] "Heat pump", Wikipedia, table "COP versus temperature" (source temperatures
       −20 °C and 0 °C), as copied in a public dataset; see
       ``cleanheat/data/defaults/technologies/SOURCE.md`` (confidence B−).
    """
    c0, c1, c2, c3 = coefficients
    t_o = np.clip(np.asarray(temp_outdoor_c, dtype=float), -25.0, 15.0)
    t_s = np.clip(np.asarray(temp_supply_c, dtype=float), 35.0, 60.0)
    return np.exp(c0 + c1 * t_o + c2 * t_s + c3 * t_o * t_s)


def fit_log_linear_outdoor(points: Sequence[Sequence[float]]) -> tuple[float, float]:
    r"""
    Fit :math:`\ln COP = b_0 + b_1 T_o` to (outdoor temperature, COP) points of an air heater.

    Parameters
    ----------
    points : sequence of (temp_outdoor_c, cop)
        At least two points. [°C, unitless]

    Returns
    -------
    coefficients : tuple of 2 floats
        :math:`(b_0, b_1)` for :func:`cop_log_linear_outdoor`.

    Raises
    ------
    ValueError
        If fewer than two points are given.
    """
    arr = np.asarray(points, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] < 2:
        raise ValueError(f"points: need ≥ 2 rows of (temp_outdoor_c, cop), got shape {arr.shape}")
    b1, b0 = np.polyfit(arr[:, 0], np.log(arr[:, 1]), 1)
    return float(b0), float(b1)


def cop_log_linear_outdoor(
    temp_outdoor_c: Numeric,
    coefficients: tuple[float, float],
    temp_condensing_c: float = 40.0,
) -> Numeric:
    r"""
    Heating COP of an air-to-air heat pump (热风机) as a function of outdoor temperature.

    Parameters
    ----------
    temp_outdoor_c : numeric
        Outdoor temperature; valid −25…+15 °C (clipped). [°C]
    coefficients : tuple of 2 floats
        From :func:`fit_log_linear_outdoor`.
    temp_condensing_c : float, default 40.0
        Condensing temperature used only to cap the result at the Carnot COP (parameter
        ``fan_heater.condensing_c``). [°C]

    Returns
    -------
    cop : numeric
        Shape of ``temp_outdoor_c``. [unitless]

    Notes
    -----
    .. math:: COP = \min(e^{b_0 + b_1 T_o},\; COP_{Carnot}(T_o, T_{cond}))

    Default points (``fan_heater.cop_points``) come from the same table as the air-to-water
    unit's (:func:`cop_log_bilinear`): its 35 °C-supply column, where a water unit condenses at
    about the 40 °C of an air-to-air unit, so both air-source methods rest on one class of data
    (typical low-ambient units, confidence B−). They give 2.88 at −12 °C and 2.4 at −20 °C, above
    the 煤改电 tender minima (2.4 and 2.0) the first version used as typical values.
    """
    b0, b1 = coefficients
    t_o = np.clip(np.asarray(temp_outdoor_c, dtype=float), -25.0, 15.0)
    return np.minimum(np.exp(b0 + b1 * t_o), cop_carnot(t_o, temp_condensing_c))


def capacity_fraction(
    temp_outdoor_c: Numeric,
    slope_per_k: float = 0.0125,
    temp_rated_c: float = 7.0,
    floor: float = 0.3,
    temp_supply_c: Numeric | None = None,
    supply_slope_per_k: float = 0.005,
    temp_supply_rated_c: float = 35.0,
) -> Numeric:
    r"""
    Heating capacity relative to the rated capacity, as a function of outdoor temperature.

    Parameters
    ----------
    temp_outdoor_c : numeric
        Outdoor (or source) temperature. [°C]
    slope_per_k : float, default 0.0125
        Fractional capacity change per kelvin. [1/K]
    temp_rated_c : float, default 7.0
        Temperature at which the rated capacity is given. [°C]
    floor : float, default 0.3
        Lower bound of the fraction. [unitless]
    temp_supply_c : numeric or None
        Supply water temperature; ``None`` ignores the supply dependence (air heaters). [°C]
    supply_slope_per_k : float, default 0.005
        Fractional capacity loss per kelvin of supply above ``temp_supply_rated_c``. [1/K]
    temp_supply_rated_c : float, default 35
        Supply temperature at which the rated capacity is given. [°C]

    Returns
    -------
    fraction : numeric
        Broadcast shape of the inputs, ≥ floor. [unitless]

    Notes
    -----
    .. math:: f = \max(f_{min}, (1 + s (T_o - T_{rated})) (1 - s_w (T_s - T_{s,rated})))

    A higher supply temperature raises the compression ratio and lowers the refrigerant mass
    flow, so capacity falls a little with supply temperature as well (−0.5 %/K assumed,
    unconfirmed).

    The default slope leaves 66 % of the rated capacity at −20 °C, typical of vapour-injection
    low-ambient units (unconfirmed; see SOURCE.md).
    """
    t_o = np.clip(np.asarray(temp_outdoor_c, dtype=float), -30.0, 15.0)
    f = 1.0 + slope_per_k * (t_o - temp_rated_c)
    if temp_supply_c is not None:
        f = f * (1.0 - supply_slope_per_k * (np.asarray(temp_supply_c, dtype=float) - temp_supply_rated_c))
    return np.maximum(floor, f)


def defrost_factor(
    temp_outdoor_c: Numeric,
    max_loss: float = 0.10,
    cold_loss: float = 0.03,
    temp_peak_low_c: float = -3.0,
    temp_peak_high_c: float = 3.0,
    temp_free_c: float = 7.0,
    temp_cold_c: float = -15.0,
) -> Numeric:
    r"""
    Multiplier (≤ 1) on COP and capacity of an air-source unit for defrost losses.

    Parameters
    ----------
    temp_outdoor_c : numeric
        Outdoor temperature. [°C]
    max_loss : float, default 0.10
        Loss in the frosting band (moist air near 0 °C). [unitless]
    cold_loss : float, default 0.03
        Loss at and below ``temp_cold_c`` (dry cold air frosts little). [unitless]
    temp_peak_low_c, temp_peak_high_c : float, default −3, +3
        Band of maximum loss. [°C]
    temp_free_c : float, default 7
        No frosting at and above this temperature. [°C]
    temp_cold_c : float, default −15
        Temperature from which the loss stays at ``cold_loss``. [°C]

    Returns
    -------
    factor : numeric
        Shape of the input, in [1 − max_loss, 1]. [unitless]

    Notes
    -----
    Piecewise linear in outdoor temperature; the weather data carry no humidity, so frosting
    is tied to temperature alone. Typical measured defrost penalties are 5–15 % near 0 °C
    (unconfirmed range, see SOURCE.md).
    """
    t = np.asarray(temp_outdoor_c, dtype=float)
    loss = np.interp(
        t,
        [temp_cold_c, temp_peak_low_c, temp_peak_high_c, temp_free_c],
        [cold_loss, max_loss, max_loss, 0.0],
    )
    return 1.0 - loss


def supply_temperature_c(
    temp_outdoor_c: Numeric,
    temp_supply_design_c: Numeric,
    temp_design_c: Numeric,
    temp_room_c: float = 18.0,
    temp_supply_min_c: float = 30.0,
) -> Numeric:
    r"""
    Weather-compensated supply temperature (heating curve) for an emitter system.

    Parameters
    ----------
    temp_outdoor_c : numeric
        Outdoor temperature. [°C]
    temp_supply_design_c : numeric
        Supply temperature at the design outdoor temperature (floor heating 35, low-temperature
        radiators 45, radiators 55). [°C]
    temp_design_c : numeric
        Heating design outdoor temperature of the site. [°C]
    temp_room_c : float, default 18
        Indoor set-point. [°C]
    temp_supply_min_c : float, default 30
        Lowest supply temperature. [°C]

    Returns
    -------
    temp_supply_c : numeric
        Broadcast shape, between ``temp_supply_min_c`` and ``temp_supply_design_c``
        (higher below the design temperature is not allowed). [°C]

    Notes
    -----
    Linear heating curve between (room, room) and (design, supply at design).
    """
    t_o = np.asarray(temp_outdoor_c, dtype=float)
    frac = np.clip((temp_room_c - t_o) / (temp_room_c - np.asarray(temp_design_c, dtype=float)), 0.0, 1.0)
    t_s = temp_room_c + (np.asarray(temp_supply_design_c, dtype=float) - temp_room_c) * frac
    return np.maximum(t_s, temp_supply_min_c)


def max_supply_temperature_c(
    temp_outdoor_c: Numeric,
    temp_max_mild_c: float = 60.0,
    temp_max_cold_c: float = 55.0,
    temp_mild_c: float = -15.0,
    temp_cold_c: float = -25.0,
) -> Numeric:
    r"""
    Highest supply water temperature a low-ambient air-source unit can reach.

    Parameters
    ----------
    temp_outdoor_c : numeric
        Outdoor temperature. [°C]
    temp_max_mild_c : float, default 60
        Maximum supply at and above ``temp_mild_c``. [°C]
    temp_max_cold_c : float, default 55
        Maximum supply at ``temp_cold_c`` (the Yanchi guide requires ≥ 55 °C at the design
        temperature). [°C]
    temp_mild_c, temp_cold_c : float, default −15, −25
        Ends of the linear derating. [°C]

    Returns
    -------
    temp_supply_max_c : numeric
        Shape of the input. [°C]
    """
    t = np.asarray(temp_outdoor_c, dtype=float)
    return np.interp(t, [temp_cold_c, temp_mild_c], [temp_max_cold_c, temp_max_mild_c])


# ------------------------------------------------------------------------------------------
# CO2 transcritical cycle
# ------------------------------------------------------------------------------------------

_CO2_T_SOURCE_C = np.arange(-30.0, 20.01, 5.0)
_CO2_T_RETURN_C = np.arange(15.0, 50.01, 5.0)


def _co2_cycle_cop(temp_source_c: float, temp_return_c: float, temp_supply_c: float,
                   eta_isentropic: float, approach_evap_k: float, approach_gc_k: float) -> float:
    """One CO₂ cycle point with CoolProp: evaporator, compressor, gas cooler at optimum pressure."""
    import CoolProp

    state = CoolProp.AbstractState("HEOS", "CO2")
    t_evap_k = temp_source_c - approach_evap_k + KELVIN
    t_gc_out_k = temp_return_c + approach_gc_k + KELVIN
    state.update(CoolProp.QT_INPUTS, 1.0, t_evap_k)
    p_evap = state.p()
    state.update(CoolProp.PT_INPUTS, p_evap, t_evap_k + 5.0)  # 5 K superheat
    h1, s1 = state.hmass(), state.smass()
    best = 0.0
    # search the gas-cooler pressure that maximises COP, with the discharge hot enough for supply
    for p_gc in np.arange(7.5e6, 14.01e6, 0.5e6):
        state.update(CoolProp.PSmass_INPUTS, p_gc, s1)
        h2 = h1 + (state.hmass() - h1) / eta_isentropic
        state.update(CoolProp.HmassP_INPUTS, h2, p_gc)
        if state.T() < temp_supply_c + approach_gc_k + KELVIN:
            continue
        state.update(CoolProp.PT_INPUTS, p_gc, t_gc_out_k)
        h3 = state.hmass()
        best = max(best, (h2 - h3) / (h2 - h1))
    return best


@functools.cache
def co2_cop_table(
    temp_supply_c: float = 60.0,
    eta_isentropic: float = 0.65,
    approach_evap_k: float = 8.0,
    approach_gc_k: float = 5.0,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """
    Tabulate the CO₂ cycle COP on a grid of source and return temperatures (CoolProp, cached).

    Parameters
    ----------
    temp_supply_c : float, default 60
        Supply water temperature; sets the minimum compressor discharge temperature. [°C]
    eta_isentropic : float, default 0.65
        Compressor overall isentropic efficiency (includes motor and mechanical losses). [unitless]
    approach_evap_k : float, default 8
        Outdoor air minus evaporating temperature. [K]
    approach_gc_k : float, default 5
        Gas-cooler CO₂ outlet minus return water temperature. [K]

    Returns
    -------
    temp_source_c, temp_return_c, cop : ndarray
        Grid axes (−30…20 °C, 15…50 °C, 5 K steps) and the COP table of shape
        (n_source, n_return). [°C, °C, unitless]
    """
    cop = np.array([[_co2_cycle_cop(ts, tr, temp_supply_c, eta_isentropic, approach_evap_k, approach_gc_k)
                     for tr in _CO2_T_RETURN_C] for ts in _CO2_T_SOURCE_C])
    return _CO2_T_SOURCE_C.copy(), _CO2_T_RETURN_C.copy(), cop


def cop_co2_transcritical(
    temp_outdoor_c: Numeric,
    temp_return_c: Numeric,
    temp_supply_c: float = 60.0,
    eta_isentropic: float = 0.65,
    system_factor: float = 0.85,
    approach_evap_k: float = 8.0,
    approach_gc_k: float = 5.0,
) -> Numeric:
    r"""
    Heating COP of a CO₂ (R744) transcritical air-source heat pump.

    Parameters
    ----------
    temp_outdoor_c : numeric
        Outdoor temperature; the table covers −30…+20 °C (clipped). [°C]
    temp_return_c : numeric
        Return water temperature entering the gas cooler; 15…50 °C (clipped). [°C]
    temp_supply_c : float, default 60
        Supply water temperature (CO₂ units suit high supply and a wide water ΔT). [°C]
    eta_isentropic : float, default 0.65
        Compressor overall isentropic efficiency. [unitless]
    system_factor : float, default 0.85
        Outdoor fan and heat-exchanger losses outside the ideal-component cycle (pumps, standby
        and cycling are added by :func:`system_electricity_kw`). [unitless]
    approach_evap_k : float, default 8
        Outdoor air minus evaporating temperature (``co2_ashp.approach_evap_k``). [K]
    approach_gc_k : float, default 5
        Gas-cooler CO₂ outlet minus return water temperature (``co2_ashp.approach_gc_k``). [K]

    Returns
    -------
    cop : numeric
        Broadcast shape of the inputs. [unitless]

    Notes
    -----
    Single-stage cycle with CoolProp's CO₂ equation of state: evaporation at outdoor −
    ``approach_evap_k`` with 5 K superheat, compression at ``eta_isentropic``, gas-cooler
    pressure chosen on a 0.5 MPa grid (7.5–14 MPa) to maximise COP subject to a discharge
    temperature above the supply, gas-cooler outlet at return + ``approach_gc_k``, isenthalpic
    expansion:

    .. math:: COP = f_{sys} (h_2 - h_3) / (h_2 - h_1)

    A cycle model rather than a datasheet fit, because the reference file holds only one
    prototype's points at 0 °C and none in the cold, and because a CO₂ unit's COP is set by
    the return (gas-cooler outlet) temperature more than by the supply temperature, which a
    cycle captures and a two-variable fit of an ordinary unit would not. Evaluated once on a
    5 K grid and interpolated bilinearly, so the hourly simulation never calls CoolProp.

    References
    ----------
    .. [1] I. H. Bell, J. Wronski, S. Quoilin and V. Lemort, "Pure and pseudo-pure fluid
       thermophysical property evaluation and the open-source thermophysical property library
       CoolProp," Ind. Eng. Chem. Res., vol. 53, no. 6, pp. 2498–2508, 2014.
    .. [2] G. Lorentzen, "Revival of carbon dioxide as a refrigerant," Int. J. Refrig.,
       vol. 17, no. 5, pp. 292–301, 1994.
    """
    t_src, t_ret, table = co2_cop_table(float(temp_supply_c), float(eta_isentropic), float(approach_evap_k),
                                        float(approach_gc_k))
    x = np.clip(np.asarray(temp_outdoor_c, dtype=float), t_src[0], t_src[-1])
    y = np.clip(np.asarray(temp_return_c, dtype=float), t_ret[0], t_ret[-1])
    x, y = np.broadcast_arrays(x, y)
    fx = (x - t_src[0]) / (t_src[1] - t_src[0])
    fy = (y - t_ret[0]) / (t_ret[1] - t_ret[0])
    i = np.minimum(fx.astype(np.int64), len(t_src) - 2)
    j = np.minimum(fy.astype(np.int64), len(t_ret) - 2)
    wx = fx - i
    wy = fy - j
    cop = (table[i, j] * (1 - wx) * (1 - wy) + table[i + 1, j] * wx * (1 - wy)
           + table[i, j + 1] * (1 - wx) * wy + table[i + 1, j + 1] * wx * wy)
    return system_factor * cop


# ------------------------------------------------------------------------------------------
# Dispatch
# ------------------------------------------------------------------------------------------


def dispatch_with_auxiliary(
    heat_demand_kw: FloatArray,
    capacity_hp_kw: FloatArray,
    cop: FloatArray,
    capacity_aux_kw: FloatArray,
    aux_allowed: FloatArray | bool = True,
    aux_efficiency: float = 1.0,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    r"""
    Heat pump first, electric auxiliary for the shortfall, the rest unmet.

    Parameters
    ----------
    heat_demand_kw : ndarray
        Hourly heat demand, shape (n_houses, n_hours). [kW]
    capacity_hp_kw : ndarray
        Available heat-pump heating capacity, broadcastable to the demand; 0 where the unit
        is off (below its operating limit). [kW]
    cop : ndarray
        Heat-pump COP, broadcastable to the demand. [unitless]
    capacity_aux_kw : ndarray
        Electric auxiliary capacity, broadcastable. [kW]
    aux_allowed : ndarray of bool or bool, default True
        Hours in which the auxiliary may run (fan heater: outdoor below −7 °C). [bool]
    aux_efficiency : float, default 1.0
        Auxiliary heat per unit of electricity (resistance heating: 1). [unitless]

    Returns
    -------
    heat_hp_kw, heat_aux_kw, electricity_kw, unmet_kw : ndarray
        Each of the demand's shape; ``heat_hp + heat_aux + unmet = demand`` exactly. [kW]
    """
    heat_hp = np.minimum(heat_demand_kw, capacity_hp_kw)
    unmet = heat_demand_kw - heat_hp
    heat_aux = np.minimum(unmet, np.where(aux_allowed, capacity_aux_kw, 0.0))
    unmet -= heat_aux
    electricity = np.divide(heat_hp, cop)
    if aux_efficiency == 1.0:
        electricity += heat_aux
    else:
        electricity += heat_aux / aux_efficiency
    return heat_hp, heat_aux, electricity, unmet


# ------------------------------------------------------------------------------------------
# System boundary: cycling, pumps, standby
# ------------------------------------------------------------------------------------------


def cycling_factor(capacity_ratio: Numeric, cycling_cd: float = 0.9, linear: bool = False) -> Numeric:
    r"""
    COP multiplier (≤ 1) of a unit cycling on and off below its lowest continuous capacity.

    Parameters
    ----------
    capacity_ratio : numeric
        CR = heat delivered / lowest continuous capacity (the full capacity for an on/off unit,
        ``min_modulation`` × capacity for an inverter unit); values ≥ 1 mean no cycling. [unitless]
    cycling_cd : float, default 0.9
        Degradation coefficient: Cc of water-based units (EN 14825 default 0.9) or, with
        ``linear``, Cd of air-to-air units (EN 14825 default 0.25). [unitless]
    linear : bool, default False
        Use the air-to-air form instead of the water-based one.

    Returns
    -------
    factor : numeric
        Shape of ``capacity_ratio``, in (0, 1]; 1 at CR ≥ 1. [unitless]

    Notes
    -----
    Water-based units (EN 14825, fixed-capacity and staged units):

    .. math:: COP_{pl} = COP \, \frac{CR}{C_c\,CR + 1 - C_c}

    so the electricity is :math:`(C_c Q + (1 - C_c) Q_{min}) / COP`: while the thermostat calls,
    the unit draws as if a share 1 − C_c of its minimum-capacity input ran all the time. Air-to-air
    units: :math:`COP_{pl} = COP (1 - C_d (1 - CR))`. An inverter unit is taken at its full-load
    COP down to its lowest continuous capacity (conservative: inverters are often better at part
    load) and cycles below it.

    References
    ----------
    .. [1] EN 14825:2018, Air conditioners, liquid chilling packages and heat pumps … Testing and
       rating at part load conditions and calculation of seasonal performance, cl. 8 (heating,
       water-based units) and cl. 6.4.2.1 (air-to-air units).
    """
    cr = np.clip(np.asarray(capacity_ratio, dtype=float), 0.0, 1.0)
    if linear:
        return 1.0 - cycling_cd * (1.0 - cr)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(cr > 0, cr / (cycling_cd * cr + 1.0 - cycling_cd), 1.0)


def system_electricity_kw(
    heat_hp_kw: FloatArray,
    cop: FloatArray,
    capacity_kw: FloatArray,
    heating_on: np.ndarray,
    *,
    min_modulation: float = 1.0,
    cycling_cd: float = 0.9,
    cycling_linear: bool = False,
    source_kw: Numeric = 0.0,
    standby_kw: float = 0.0,
    emitter_kw: Numeric = 0.0,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    r"""
    Electricity of a heat-pump system by SEPEMO boundary: compressor with cycling, source-side
    pump, standby, emitter-side pump.

    Parameters
    ----------
    heat_hp_kw : ndarray
        Heat delivered by the heat pump, shape (n_houses, n_hours). [kW]
    cop : ndarray
        Steady-state unit COP, broadcastable. [unitless]
    capacity_kw : ndarray
        Available heat-pump capacity in the hour, broadcastable (0 where the unit is off). [kW]
    heating_on : ndarray of bool
        Hours in which the house calls for heat (the emitter pump runs), broadcastable. [bool]
    min_modulation : float, default 1.0
        Lowest continuous capacity as a fraction of the available capacity (1: on/off unit). [unitless]
    cycling_cd : float, default 0.9
        Degradation coefficient, see :func:`cycling_factor`. [unitless]
    cycling_linear : bool, default False
        Air-to-air form of the degradation.
    source_kw : numeric, default 0
        Source-side pump power while the compressor runs (brine pump), per house. [kW]
    standby_kw : float, default 0
        Standby and crankcase-heater power while the compressor does not run. [kW]
    emitter_kw : numeric, default 0
        Emitter-side circulation pump power in hours with heat demand, per house. [kW]

    Returns
    -------
    unit_kw, source_kw, standby_kw, emitter_kw : ndarray
        Each of the heat's shape. [kW]

    Notes
    -----
    With :math:`Q_{min}` = ``min_modulation`` × capacity and CR = Q / Q_min, the run fraction of
    the hour is min(1, CR) (0 without heat); the source pump runs with the compressor, standby
    draws in the rest of the hour. SEPEMO H2 = Q_hp / (unit + source + standby); H4 adds the
    backup heater (to heat and electricity) and the emitter pump. For a household system the
    GB/T 50801-2013 system COP (user-side heat / all heat-pump units and water pumps) is the H4
    figure.

    References
    ----------
    .. [1] R. Nordman, A. Zottl et al., "SEPEMO-Build: System boundaries for SPF calculation,"
       IEE project SEPEMO-Build, D4.2, 2011.
    .. [2] EN 14825:2018 (cycling degradation), see :func:`cycling_factor`.
    """
    q = np.asarray(heat_hp_kw, dtype=float)
    cap_min = min_modulation * np.broadcast_to(np.asarray(capacity_kw, dtype=float), q.shape)
    cycling = (q > 0) & (q < cap_min)
    cr = np.where(cycling, q / np.where(cycling, cap_min, 1.0), 1.0)
    run = np.where(q > 0, cr, 0.0)
    cop_b = np.broadcast_to(np.asarray(cop, dtype=float), q.shape)
    if cycling_linear:
        unit = np.where(cycling, q / cop_b / (1.0 - cycling_cd * (1.0 - cr)), q / cop_b)
    else:
        unit = np.where(cycling, (cycling_cd * q + (1.0 - cycling_cd) * cap_min) / cop_b, q / cop_b)
    unit = np.where(q > 0, unit, 0.0)
    src = np.asarray(source_kw, dtype=float).reshape(-1, 1) * run if np.ndim(source_kw) else source_kw * run
    sb = standby_kw * (1.0 - run)
    on = np.broadcast_to(np.asarray(heating_on, dtype=bool), q.shape)
    em_kw = np.asarray(emitter_kw, dtype=float).reshape(-1, 1) if np.ndim(emitter_kw) else float(emitter_kw)
    emit = np.where(on, em_kw, 0.0)
    return unit, np.asarray(src, dtype=float), sb, emit


def co2_supply_return_c(
    temp_outdoor_c: Numeric,
    temp_supply_design_c: Numeric,
    delta_t_design_k: Numeric,
    temp_design_c: float,
    temp_supply_min_c: float = 40.0,
    temp_room_c: float = 18.0,
) -> tuple[Numeric, Numeric]:
    r"""
    Supply and return water temperatures of a CO₂ heat pump on a house's emitters.

    Parameters
    ----------
    temp_outdoor_c : numeric
        Outdoor temperature. [°C]
    temp_supply_design_c : numeric
        Emitter design supply temperature at the design outdoor temperature. [°C]
    delta_t_design_k : numeric
        Emitter design supply-minus-return difference. [K]
    temp_design_c : float
        Heating design outdoor temperature. [°C]
    temp_supply_min_c : float, default 40
        Lowest supply the CO₂ unit produces (``co2_ashp.supply_min_c``); capped at the design supply. [°C]
    temp_room_c : float, default 18
        Room temperature of the heating curve. [°C]

    Returns
    -------
    temp_supply_c, temp_return_c : numeric
        Broadcast shape of the inputs. [°C]

    Notes
    -----
    The supply follows the linear heating curve (:func:`supply_temperature_c`) but not below
    min(``temp_supply_min_c``, design supply); the emitter loop runs at constant flow (a
    fixed-speed circulation pump, the rural norm), so the water ΔT scales with the load fraction
    f = (room − outdoor) / (room − design), clipped to 0…1:

    .. math:: T_{ret} = T_{sup} - \Delta T_d \, f

    As the load falls the return rises toward the supply. The gas-cooler outlet, which sets a
    CO₂ unit's COP, follows the return: floor heating (35/30 °C) gives about 34 °C return and a
    cycle COP of 2.6 at +10 °C, the default 60/30 °C emitters about 32 °C and 2.7 — below the
    experimental maximum of 2.88 at +10 °C of a transcritical CO₂ space-heating unit (review S11).
    """
    t_o = np.asarray(temp_outdoor_c, dtype=float)
    s_d = np.asarray(temp_supply_design_c, dtype=float)
    frac = np.clip((temp_room_c - t_o) / (temp_room_c - float(temp_design_c)), 0.0, 1.0)
    curve = temp_room_c + (s_d - temp_room_c) * frac
    t_sup = np.maximum(curve, np.minimum(s_d, temp_supply_min_c))
    return t_sup, t_sup - np.asarray(delta_t_design_k, dtype=float) * frac
