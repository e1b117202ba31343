"""Electric thermal-storage heaters (电蓄热): sized from the design load, charged in valley hours."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from cleanheat.units import BoolArray, FloatArray

__all__ = ["StorageSize", "size_storage_heater", "StorageResult", "simulate_storage_heater", "next_offpeak_need_kwh"]


@dataclass
class StorageSize:
    """Per-house size: ``charge_kw`` element power, ``capacity_kwh`` heat storable,
    ``backup_kw`` direct (non-storage) element for an empty store. Shapes (n_houses,)."""

    charge_kw: FloatArray
    capacity_kwh: FloatArray
    backup_kw: FloatArray


def size_storage_heater(
    design_heat_load_kw: FloatArray,
    valley_hours_per_day: int,
    storage_ratio: float = 0.75,
    margin: float = 1.1,
    backup_fraction: float = 0.25,
    connection_kw: float | None = None,
) -> StorageSize:
    r"""
    Size a storage heater from the building's design load (Yanchi guide: "power sized from
    the building heat load; storage ratio ≥ 75 %").

    Parameters
    ----------
    design_heat_load_kw : ndarray
        Design heat load. [kW]
    valley_hours_per_day : int
        Hours of the valley tariff per day. [h]
    storage_ratio : float, default 0.75
        Share of the design day's heat that must come from storage (the guide's minimum). [unitless]
    margin : float, default 1.1
        Sizing margin on power and capacity. [unitless]
    backup_fraction : float, default 0.25
        Direct element as a fraction of the design load. [unitless]
    connection_kw : float or None, default None
        Household connection capacity (``storage.connection_kw``): the charge element and the
        direct element each draw at most this; None: no cap. [kW]

    Returns
    -------
    StorageSize

    Raises
    ------
    ValueError
        If ``connection_kw`` is not > 0.

    Notes
    -----
    .. math:: P = m\,Q_d\,24 / n_v, \qquad E = m\,\max(r, 1 - n_v/24)\,Q_d\,24

    so that a design day is covered from valley electricity: the charge element delivers the
    whole day's heat within the valley hours and the store carries at least the off-valley
    hours (and never less than the storage ratio of the day). The element powers are then
    capped at the household connection, :math:`P \le P_{conn}` (an 80 m² uninsulated Yanchi
    house asks for 24 kW with the 16 h valley of 2026, 38 kW with a 10 h valley; a rural
    煤改电 connection gives about 9 kW): on cold days the capped store runs empty and
    :func:`simulate_storage_heater` reports the heat it could not store as unmet.

    References
    ----------
    .. [1] 盐池县冬季清洁取暖项目实施方案 (盐政办发〔2022〕8号) 附件2, 电蓄热.
    """
    q = np.asarray(design_heat_load_kw, dtype=float)
    nv = max(int(valley_hours_per_day), 1)
    cap = np.inf if connection_kw is None else float(connection_kw)
    if not cap > 0.0:
        raise ValueError(f"connection_kw must be > 0, got {connection_kw}")
    return StorageSize(
        charge_kw=np.minimum(margin * q * 24.0 / nv, cap),
        capacity_kwh=margin * max(storage_ratio, 1.0 - nv / 24.0) * q * 24.0,
        backup_kw=np.minimum(backup_fraction * q, cap),
    )


def next_offpeak_need_kwh(heat_demand_kw: FloatArray, valley: BoolArray) -> FloatArray:
    """
    For each hour, the heat demand of the next block of non-valley hours (perfect forecast,
    as a controller with an outdoor sensor and adjustable charge levels approximates). [kWh]

    Parameters
    ----------
    heat_demand_kw : ndarray
        Shape (n_houses, n_hours). [kW]
    valley : ndarray of bool
        Valley tariff flag per hour, shape (n_hours,).

    Returns
    -------
    need_kwh : ndarray
        Shape (n_houses, n_hours). [kWh]
    """
    demand = np.ascontiguousarray(heat_demand_kw, dtype=float)
    n, n_hours = demand.shape
    v = np.ascontiguousarray(np.broadcast_to(np.asarray(valley, dtype=bool), (n_hours,)))
    need = np.zeros_like(demand)
    for i in range(n):
        _offpeak_need(demand[i], v, need[i])
    return need


@njit(nogil=True, cache=True, inline="always")
def _offpeak_need(demand, valley, need):
    """:func:`next_offpeak_need_kwh` of one house (demand and need (n_hours,)), in place: the
    one implementation, inlined into :func:`_storage_hours`."""
    n_hours = demand.shape[0]
    block = 0.0
    nxt = 0.0
    for h in range(n_hours - 1, -1, -1):
        if valley[h]:
            if h + 1 < n_hours and not valley[h + 1]:
                nxt = block
                block = 0.0
            need[h] = nxt
        else:
            need[h] = 0.0
            block = block + demand[h]


@dataclass
class StorageResult:
    """Hourly results, each (n_houses, n_hours) [kW]."""

    heat_kw: FloatArray
    electricity_kw: FloatArray
    unmet_kw: FloatArray
    loss_kw: FloatArray


def simulate_storage_heater(
    heat_demand_kw: FloatArray,
    valley: BoolArray,
    size: StorageSize,
    standing_loss_per_h: float = 0.005,
    charge_margin: float = 1.1,
) -> StorageResult:
    r"""
    Storage heater: charges only in valley hours, releases heat in the other hours.

    Parameters
    ----------
    heat_demand_kw : ndarray
        Shape (n_houses, n_hours). [kW]
    valley : ndarray of bool
        Valley tariff flag, shape (n_hours,).
    size : StorageSize
        From :func:`size_storage_heater`.
    standing_loss_per_h : float, default 0.005
        Share of the stored heat lost per hour through the casing and not useful (casing loss
        into the room at unwanted times counted as loss: conservative; unconfirmed). [1/h]
    charge_margin : float, default 1.1
        Charge target above the forecast need of the next non-valley block. [unitless]

    Returns
    -------
    StorageResult

    Notes
    -----
    In a valley hour the element heats the room directly (up to its power) and charges the
    store with the power left, towards the next off-valley block's need. Outside the valley
    the store discharges; if empty, the direct backup element runs (at peak or flat price);
    what is left is unmet. ``heat + unmet = demand`` each hour.
    """
    demand = np.asarray(heat_demand_kw, dtype=float)
    n, n_hours = demand.shape
    heat = np.empty_like(demand)
    elec = np.empty_like(demand)
    loss = np.empty_like(demand)
    unmet = np.empty_like(demand)
    f = np.ascontiguousarray
    _storage_hours(f(demand), f(np.broadcast_to(np.asarray(valley, dtype=bool), (n_hours,))),
                   f(np.broadcast_to(size.charge_kw, (n,)), dtype=float),
                   f(np.broadcast_to(size.capacity_kwh, (n,)), dtype=float),
                   f(np.broadcast_to(size.backup_kw, (n,)), dtype=float), float(standing_loss_per_h),
                   float(charge_margin), heat, elec, loss, unmet)
    return StorageResult(heat_kw=heat, electricity_kw=elec, unmet_kw=unmet, loss_kw=loss)


@njit(nogil=True, cache=True, error_model="numpy")
def _storage_hours(demand, valley, charge_kw, capacity_kwh, backup_kw, standing_loss, charge_margin,
                   heat, elec, loss, unmet):
    """The hour loop of :func:`simulate_storage_heater` (with :func:`next_offpeak_need_kwh`),
    compiled, house by house."""
    n, n_hours = demand.shape
    need = np.zeros(n_hours)
    for i in range(n):
        _offpeak_need(demand[i], valley, need)
        e = 0.0
        p_charge = charge_kw[i]
        cap = capacity_kwh[i]
        p_backup = backup_kw[i]
        for h in range(n_hours):
            d = demand[i, h]
            if valley[h]:
                direct = d if d < p_charge else p_charge
                target = charge_margin * need[h]
                target = cap if cap < target else target
                charge = min(max(target - e, 0.0), p_charge - direct)
                e = e + charge
                heat[i, h] = direct
                elec[i, h] = direct + charge
                unmet[i, h] = d - direct
            else:
                dis = d if d < e else e
                e = e - dis
                short = d - dis
                backup = short if short < p_backup else p_backup
                heat[i, h] = dis + backup
                elec[i, h] = backup
                unmet[i, h] = d - (dis + backup)
            lost = standing_loss * e
            e = e - lost
            loss[i, h] = lost
