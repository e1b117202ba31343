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

__all__ = ["N_SUMS", "N_BOUNDARY", "reduce_hourly", "dispatch_sums", "dispatch_hp_sums", "add_electricity"]

N_SUMS = 9
"""Columns of a sums array: delivered, unmet, unmet hours, electricity, valley, flat, peak
electricity, electricity cost, peak electric power. [kWh, kWh, h, kWh, kWh, kWh, kWh, CNY, kW]"""

S_DELIVERED, S_UNMET, S_UNMET_HOURS, S_ELEC, S_VALLEY, S_FLAT, S_PEAK_E, S_COST, S_PEAK_KW = range(N_SUMS)

N_BOUNDARY = 6
"""Columns of a heat-pump boundary-sums array (SEPEMO terms): heat from the heat pump, heat from the
backup heater, compressor electricity (with cycling), source-side pump, standby, emitter-side pump.
[kWh each]"""

B_Q_HP, B_Q_AUX, B_E_UNIT, B_E_SOURCE, B_E_STANDBY, B_E_EMITTER = range(N_BOUNDARY)


@njit(inline="always")
def _inverse(cop_rows):
    """Electricity per unit of primary heat, once per row and hour (a product in the hour loop
    instead of a division: the same to one rounding)."""
    inv = np.empty(cop_rows.shape)
    for r in range(cop_rows.shape[0]):
        for t in range(cop_rows.shape[1]):
            inv[r, t] = 1.0 / cop_rows[r, t]
    return inv


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
    inv_cop = _inverse(cop_rows)
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


@njit(nogil=True, cache=True)
def dispatch_hp_sums(demand, cap_i, cap_rows, cop_rows, aux_i, allowed, period, price, threshold,
                     keep, h_del, h_unmet, h_elec, min_modulation, cycling_cd, cycling_linear,
                     source_kw_i, standby_kw, emitter_kw_i):
    """
    :func:`dispatch_sums` for a heat-pump system: the same dispatch, plus part-load cycling and
    parasitic power, with the SEPEMO boundary sums.

    As :func:`cleanheat.technologies.heat_pump.dispatch_with_auxiliary` followed by
    :func:`cleanheat.technologies.heat_pump.system_electricity_kw`, operation for operation.
    Per house i and hour t, with the available capacity ``cap = cap_i[i] * cap_rows[r, t]`` and
    heat-pump heat ``hp``: run fraction and compressor electricity from the lowest continuous
    capacity ``min_modulation * cap``; source pump ``source_kw_i[i]`` while running, standby
    ``standby_kw`` while not, emitter pump ``emitter_kw_i[i]`` in every hour with demand. The
    hourly electricity (and so the tariff sums, cost and peak) includes all of them.

    Returns
    -------
    sums, boundary : ndarray
        (n, N_SUMS) as :func:`dispatch_sums`; (n, N_BOUNDARY) season sums of heat-pump heat,
        backup heat, compressor, source-pump, standby and emitter-pump electricity. [kWh]
    """
    n, nh = demand.shape
    out = np.zeros((n, N_SUMS))
    bnd = np.zeros((n, N_BOUNDARY))
    write_elec = keep or (h_elec.shape[0] == n and h_elec.shape[1] == nh and n > 0)
    shared_cap = cap_rows.shape[0] == 1
    shared_cop = cop_rows.shape[0] == 1
    inv_cop = _inverse(cop_rows)
    for i in range(n):
        ci = cap_i[i]
        ai = aux_i[i]
        p_src = source_kw_i[i]
        p_em = emitter_kw_i[i]
        rc = 0 if shared_cap else i
        rp = 0 if shared_cop else i
        s = _no_sums(nh)
        q_hp = 0.0
        q_aux = 0.0
        e_unit = 0.0
        e_src = 0.0
        e_sb = 0.0
        e_emit = 0.0
        for t in range(nh):
            d = demand[i, t]
            cap = ci * cap_rows[rc, t]
            hp = d if d < cap else cap
            u = d - hp
            a_cap = ai if allowed[t] else 0.0
            a = u if u < a_cap else a_cap
            u -= a
            if hp > 0.0:
                cap_min = min_modulation * cap
                if hp < cap_min:
                    cr = hp / cap_min
                    run = cr
                    if cycling_linear:
                        ec = hp * inv_cop[rp, t] / (1.0 - cycling_cd * (1.0 - cr))
                    else:
                        ec = (cycling_cd * hp + (1.0 - cycling_cd) * cap_min) * inv_cop[rp, t]
                else:
                    run = 1.0
                    ec = hp * inv_cop[rp, t]
            else:
                run = 0.0
                ec = 0.0
            es = p_src * run
            eb = standby_kw * (1.0 - run)
            ee = p_em if d > 0.0 else 0.0
            e = ec + es + eb + a + ee
            dl = hp + a
            if keep:
                h_del[i, t] = dl
                h_unmet[i, t] = u
            if write_elec:
                h_elec[i, t] = e
            s = _add_hour(s, dl, u, e, period[t], price[t], threshold)
            q_hp += hp
            q_aux += a
            e_unit += ec
            e_src += es
            e_sb += eb
            e_emit += ee
        _store(out, i, s)
        bnd[i, 0] = q_hp
        bnd[i, 1] = q_aux
        bnd[i, 2] = e_unit
        bnd[i, 3] = e_src
        bnd[i, 4] = e_sb
        bnd[i, 5] = e_emit
    return out, bnd
