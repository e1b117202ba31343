"""Compiled (numba) kernels of the season simulation: one pass over each house's hours.

The numpy versions of the models make a dozen passes over (houses × hours) arrays per method
(minimum, subtract, divide, then sum, count, max, matrix product), each too large for the
cache, so the season simulation was bound by memory traffic. These kernels loop over houses,
then hours, keep the state of each house in registers and add up the season's totals on the
way; hourly arrays are written only when a caller asks for them. They release the GIL
(``nogil``), so the methods still run two at a time in threads.

Each kernel repeats the arithmetic of the numpy model it replaces, operation for operation, so
the results agree to rounding (sums are taken in a different order: ~1e-15 relative);
``tests/simulate/test_kernels.py`` holds each kernel equal to its numpy model on the same inputs.
The season totals of an hour are added by one helper, :func:`_add_hour`, that numba inlines
into every kernel (the running sums stay scalars in registers).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["N_SUMS", "reduce_hourly", "dispatch_sums", "add_electricity"]

N_SUMS = 9
"""Columns of a sums array: delivered, unmet, unmet hours, electricity, valley, flat, peak
electricity, electricity cost, peak electric power. [kWh, kWh, h, kWh, kWh, kWh, kWh, CNY, kW]"""

S_DELIVERED, S_UNMET, S_UNMET_HOURS, S_ELEC, S_VALLEY, S_FLAT, S_PEAK_E, S_COST, S_PEAK_KW = range(N_SUMS)


@njit(inline="always")
def _no_sums(nh):
    """Running season totals before the first hour: zeros, and a peak of −∞ (0 without hours)."""
    return (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -np.inf if nh else 0.0)


@njit(inline="always")
def _add_hour(s, dl, u, e, per, pr, threshold):
    """One hour added to the running totals ``s`` (the columns of :data:`N_SUMS`): delivered
    heat ``dl``, unmet heat ``u`` [kWh], electricity ``e`` [kWh] in tariff period ``per`` at
    price ``pr`` [CNY/kWh]; an hour with ``u > threshold`` counts as under-heated."""
    s_d, s_u, s_uh, s_e, s_v, s_f, s_p, s_c, pk = s
    s_d += dl
    s_u += u
    if u > threshold:
        s_uh += 1.0
    s_e += e
    if per == 0:
        s_v += e
    elif per == 1:
        s_f += e
    elif per == 2:
        s_p += e
    s_c += e * pr
    if e > pk:
        pk = e
    return (s_d, s_u, s_uh, s_e, s_v, s_f, s_p, s_c, pk)


@njit(inline="always")
def _store(out, i, s):
    """Write the totals ``s`` into row ``i`` of a sums array."""
    out[i, 0] = s[0]
    out[i, 1] = s[1]
    out[i, 2] = s[2]
    out[i, 3] = s[3]
    out[i, 4] = s[4]
    out[i, 5] = s[5]
    out[i, 6] = s[6]
    out[i, 7] = s[7]
    out[i, 8] = s[8]


@njit(nogil=True, cache=True)
def reduce_hourly(delivered, unmet, elec, period, price, threshold):
    """Season totals of hourly arrays (n, h): the sums columns of :data:`N_SUMS`."""
    n, nh = delivered.shape
    out = np.zeros((n, N_SUMS))
    for i in range(n):
        s = _no_sums(nh)
        for t in range(nh):
            s = _add_hour(s, delivered[i, t], unmet[i, t], elec[i, t], period[t], price[t], threshold)
        _store(out, i, s)
    return out


@njit(nogil=True, cache=True)
def add_electricity(sums, h_elec, on, power_kw, period, price):
    """
    Add a load of ``power_kw[i]`` [kW] in the hours ``on[i, t]`` (n, h) to the hourly electricity
    ``h_elec`` (n, h) in place, and recompute the electricity columns of ``sums`` (total, valley,
    flat, peak, cost, peak power) from the new hourly values; the heat columns are left as they
    are. Used for a parasitic load (the solar loop's pump) on top of a dispatch computed by
    :func:`dispatch_sums`.
    """
    n, nh = h_elec.shape
    for i in range(n):
        s = _no_sums(nh)
        p_i = power_kw[i]
        for t in range(nh):
            e = h_elec[i, t] + (p_i if on[i, t] else 0.0)
            h_elec[i, t] = e
            s = _add_hour(s, 0.0, 0.0, e, period[t], price[t], np.inf)
        for k in (S_ELEC, S_VALLEY, S_FLAT, S_PEAK_E, S_COST, S_PEAK_KW):
            sums[i, k] = s[k]
    return sums


@njit(nogil=True, cache=True)
def dispatch_sums(demand, cap_i, cap_rows, cop_rows, aux_i, allowed, period, price, threshold,
                  keep, h_del, h_unmet, h_elec):
    """
    A capped primary unit, then a capped auxiliary (efficiency 1), the rest unmet; season totals.

    Per house i and hour t: capacity ``cap_i[i] * cap_rows[r, t]``, electricity per unit of
    primary heat ``1 / cop_rows[r, t]`` (``r`` = 0 for a shared row, else i), auxiliary
    ``aux_i[i]`` where ``allowed[t]``. As :func:`cleanheat.technologies.heat_pump.dispatch_with_auxiliary`.
    With ``keep`` the hourly delivered heat, unmet heat and electricity are written to
    ``h_del``, ``h_unmet``, ``h_elec`` (else those may be empty); ``h_elec`` alone is written
    when it has the demand's shape and ``keep`` is False.
    """
    n, nh = demand.shape
    out = np.zeros((n, N_SUMS))
    write_elec = keep or (h_elec.shape[0] == n and h_elec.shape[1] == nh and n > 0)
    shared_cap = cap_rows.shape[0] == 1
    shared_cop = cop_rows.shape[0] == 1
    # electricity per unit of primary heat, once per row and hour (a product in the hour loop
    # instead of a division: the same to one rounding)
    inv_cop = np.empty(cop_rows.shape)
    for r in range(cop_rows.shape[0]):
        for t in range(nh):
            inv_cop[r, t] = 1.0 / cop_rows[r, t]
    for i in range(n):
        ci = cap_i[i]
        ai = aux_i[i]
        rc = 0 if shared_cap else i
        rp = 0 if shared_cop else i
        s = _no_sums(nh)
        for t in range(nh):
            d = demand[i, t]
            cap = ci * cap_rows[rc, t]
            hp = d if d < cap else cap
            u = d - hp
            a_cap = ai if allowed[t] else 0.0
            a = u if u < a_cap else a_cap
            u -= a
            e = hp * inv_cop[rp, t] + a
            dl = hp + a
            if keep:
                h_del[i, t] = dl
                h_unmet[i, t] = u
            if write_elec:
                h_elec[i, t] = e
            s = _add_hour(s, dl, u, e, period[t], price[t], threshold)
        _store(out, i, s)
    return out
