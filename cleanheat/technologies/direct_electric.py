"""Direct electric resistance heating (heaters, electric kang): one unit of heat per kWh, capped."""

from __future__ import annotations

import numpy as np

from cleanheat.units import FloatArray

__all__ = ["simulate_direct_electric"]


def simulate_direct_electric(
    heat_demand_kw: FloatArray,
    capacity_kw: FloatArray,
    allowed: FloatArray | bool = True,
) -> tuple[FloatArray, FloatArray]:
    r"""
    Resistance heating limited by its rated power.

    Parameters
    ----------
    heat_demand_kw : ndarray
        Shape (n_houses, n_hours). [kW]
    capacity_kw : ndarray
        Rated power, broadcastable to the demand. [kW]
    allowed : ndarray of bool or bool, default True
        Hours in which the heater runs, broadcastable. [bool]

    Returns
    -------
    heat_kw, unmet_kw : ndarray
        Electricity equals ``heat_kw`` (efficiency 1 at the point of use). [kW]

    Notes
    -----
    .. math:: Q = E = \min(Q_{dem}, P)
    """
    demand = np.asarray(heat_demand_kw, dtype=float)
    heat = np.minimum(demand, np.where(allowed, capacity_kw, 0.0))
    return heat, demand - heat
