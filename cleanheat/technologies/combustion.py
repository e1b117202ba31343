"""Fuel-fired heaters: gas wall-hung boiler, biomass pellet stove/boiler, the coal stove baseline."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cleanheat.units import FloatArray

__all__ = ["CombustionResult", "simulate_combustion", "fuel_quantity"]


@dataclass
class CombustionResult:
    """Hourly ``heat_kw``, ``fuel_kw`` (fuel energy, LHV), ``electricity_kw`` (fans, pumps,
    augers) and ``unmet_kw``, each (n_houses, n_hours). [kW]"""

    heat_kw: FloatArray
    fuel_kw: FloatArray
    electricity_kw: FloatArray
    unmet_kw: FloatArray


def simulate_combustion(
    heat_demand_kw: FloatArray,
    capacity_kw: FloatArray,
    seasonal_efficiency: float,
    auxiliary_electricity_ratio: float = 0.0,
) -> CombustionResult:
    r"""
    A boiler or stove at a constant seasonal efficiency, limited by its output.

    Parameters
    ----------
    heat_demand_kw : ndarray
        Shape (n_houses, n_hours). [kW]
    capacity_kw : ndarray
        Nominal heat output, shape (n_houses,) or broadcastable. [kW]
    seasonal_efficiency : float
        Heat delivered per unit of fuel energy (LHV basis), over the season. [unitless]
    auxiliary_electricity_ratio : float, default 0
        Electricity for fan, pump or auger per unit of heat. [unitless]

    Returns
    -------
    CombustionResult

    Raises
    ------
    ValueError
        If ``seasonal_efficiency`` is not in (0, 1.1].

    Notes
    -----
    .. math:: Q_{fuel} = Q / \eta_s, \quad E_{el} = r_{el} Q, \quad Q = \min(Q_{dem}, P)

    A constant seasonal efficiency already averages part-load and cycling losses (GB 20665
    gives rated and 30 %-load efficiencies for gas boilers; the season's mean lies between).
    """
    if not 0.0 < seasonal_efficiency <= 1.1:
        raise ValueError(f"seasonal_efficiency must be in (0, 1.1], got {seasonal_efficiency}")
    demand = np.asarray(heat_demand_kw, dtype=float)
    heat = np.minimum(demand, np.asarray(capacity_kw, dtype=float).reshape(-1, 1))
    return CombustionResult(
        heat_kw=heat,
        fuel_kw=heat / seasonal_efficiency,
        electricity_kw=heat * auxiliary_electricity_ratio,
        unmet_kw=demand - heat,
    )


def fuel_quantity(fuel_kwh: FloatArray, lower_heating_value_mj_per_unit: float) -> FloatArray:
    """
    Fuel quantity from fuel energy: kWh × 3.6 / LHV.

    Parameters
    ----------
    fuel_kwh : ndarray
        Fuel energy (LHV). [kWh]
    lower_heating_value_mj_per_unit : float
        Lower heating value per m³ (gas) or kg (solid fuel). [MJ/m³ or MJ/kg]

    Returns
    -------
    quantity : ndarray
        [m³ or kg]
    """
    return np.asarray(fuel_kwh, dtype=float) * 3.6 / lower_heating_value_mj_per_unit
