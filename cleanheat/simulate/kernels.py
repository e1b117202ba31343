"""Compiled (numba) kernels of the season simulation: one pass over each house's hours.

The numpy versions of the models make a dozen passes over (houses × hours) arrays per method
(minimum, subtract, divide, then sum, count, max, matrix product), each too large for the
cache, so the season simulation was bound by memory traffic. These kernels loop over houses,
then hours, keep the state of each house in registers and add up the season's totals on the
way; hourly arrays are written only when a caller asks for them. They release the GIL
(``nogil``), so the methods still run two at a time in threads.

Each kernel repeats the arithmetic of the numpy model it replaces, operation for operation, so
the results agree to rounding (sums are taken in a different order: ~1e-15 relative).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["N_SUMS", "reduce_hourly", "dispatch_sums"]

N_SUMS = 9
"""Columns of a sums array: delivered, unmet, unmet hours, electricity, valley, flat, peak
electricity, electricity cost, peak electric power. [kWh, kWh, h, kWh, kWh, kWh, kWh, CNY, kW]"""

S_DELIVERED, S_UNMET, S_UNMET_HOURS, S_ELEC, S_VALLEY, S_FLAT, S_PEAK_E, S_COST, S_PEAK_KW = range(N_SUMS)


@njit(nogil=True, cache=True)
def reduce_hourly(delivered, unmet, elec, period, price, threshold):
    """Season totals of hourly arrays (n, h): the sums columns of :data:`N_SUMS`."""
    n, nh = delivered.shape
    out = np.zeros((n, N_SUMS))
    for i in range(n):
        s_d = 0.0
        s_u = 0.0
        s_uh = 0.0
        s_e = 0.0
        s_v = 0.0
        s_f = 0.0
        s_p = 0.0
        s_c = 0.0
        pk = -np.inf if nh else 0.0
        for t in range(nh):
            u = unmet[i, t]
            e = elec[i, t]
            s_d += delivered[i, t]
            s_u += u
            if u > threshold:
                s_uh += 1.0
            s_e += e
            per = period[t]
            if per == 0:
                s_v += e
            elif per == 1:
                s_f += e
            elif per == 2:
                s_p += e
            s_c += e * price[t]
            if e > pk:
                pk = e
        out[i, 0] = s_d
        out[i, 1] = s_u
        out[i, 2] = s_uh
        out[i, 3] = s_e
        out[i, 4] = s_v
        out[i, 5] = s_f
        out[i, 6] = s_p
        out[i, 7] = s_c
        out[i, 8] = pk
    return out


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
        s_d = 0.0
        s_u = 0.0
        s_uh = 0.0
        s_e = 0.0
        s_v = 0.0
        s_f = 0.0
        s_p = 0.0
        s_c = 0.0
        pk = -np.inf if nh else 0.0
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
            s_d += dl
            s_u += u
            if u > threshold:
                s_uh += 1.0
            s_e += e
            per = period[t]
            if per == 0:
                s_v += e
            elif per == 1:
                s_f += e
            elif per == 2:
                s_p += e
            s_c += e * price[t]
            if e > pk:
                pk = e
        out[i, 0] = s_d
        out[i, 1] = s_u
        out[i, 2] = s_uh
        out[i, 3] = s_e
        out[i, 4] = s_v
        out[i, 5] = s_f
        out[i, 6] = s_p
        out[i, 7] = s_c
        out[i, 8] = pk
    return out
