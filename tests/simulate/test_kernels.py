"""The compiled kernels held equal to the numpy models they stand in for, on the same inputs.

pvlib's pattern (``pvlib/tests/test_spa.py``: one test base, ``NumpySpaTest`` and ``NumbaSpaTest``):
each hand-value test below runs against both implementations through the ``impl`` fixture, and
random inputs compare the two directly. Pairs (see ``docs/architecture.md``, engineering core):

- ``heat_pump.dispatch_with_auxiliary``, ``combustion.simulate_combustion`` and
  ``direct_electric.simulate_direct_electric`` ↔ ``kernels.dispatch_sums`` (as ``season._dispatch``
  and ``season._combustion`` call it);
- numpy season totals ↔ ``kernels.reduce_hourly`` and ``kernels.add_electricity``;
- the hour loops ``solar_thermal._tank_hours`` and ``storage_heater._storage_hours`` have one
  implementation (the public functions wrap them): compiled ↔ the same code run as Python
  (``py_func``, what ``NUMBA_DISABLE_JIT`` runs in the benchmark's plain-Python loop).
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from cleanheat.simulate import kernels, season
from cleanheat.technologies import combustion, direct_electric, heat_pump, solar_thermal, storage_heater

RTOL = 1e-12
THRESHOLD = 0.01


def _ctx(nh: int, keep: bool = True, seed: int = 0) -> season._Ctx:
    rng = np.random.default_rng(seed)
    return season._Ctx(period=rng.integers(0, 3, nh).astype(np.int64), price=rng.random(nh), keep_hourly=keep,
                       need_elec=False)


def _numpy_sums(delivered, unmet, elec, period, price):
    """The season totals of hourly arrays, written with numpy (the reference of the kernels)."""
    return np.stack([
        delivered.sum(axis=1), unmet.sum(axis=1), (unmet > THRESHOLD).sum(axis=1).astype(float), elec.sum(axis=1),
        elec[:, period == 0].sum(axis=1), elec[:, period == 1].sum(axis=1), elec[:, period == 2].sum(axis=1),
        elec @ price, elec.max(axis=1)], axis=1)


# ---- dispatch: heat pump + auxiliary -------------------------------------------------------------


def _dispatch_numpy(demand, cap_i, cap_rows, cop_rows, aux_i, allowed):
    h, a, e, u = heat_pump.dispatch_with_auxiliary(demand, cap_i[:, None] * cap_rows, cop_rows, aux_i[:, None],
                                                   allowed[None, :])
    return h + a, u, e


def _dispatch_kernel(demand, cap_i, cap_rows, cop_rows, aux_i, allowed):
    ctx = _ctx(demand.shape[1])
    _sums, dl, u, e = season._dispatch(demand, cap_i, cap_rows, cop_rows, aux_i, allowed, ctx)
    return dl, u, e


@pytest.fixture(params=["numpy", "kernel"])
def impl(request):
    """The dispatch model as numpy (``dispatch_with_auxiliary``) or as the compiled kernel."""
    return _dispatch_numpy if request.param == "numpy" else _dispatch_kernel


def test_dispatch_hand_values(impl):
    # demand 5 kW, heat pump 3 kW at COP 2, auxiliary 1 kW in hours 0 and 2 only:
    # delivered 4 / 3 / 4, unmet 1 / 2 / 1, electricity 3/2 + 1 = 2.5, 1.5, 2.5
    dl, u, e = impl(np.array([[5.0, 5.0, 5.0]]), np.array([3.0]), np.ones((1, 3)), np.full((1, 3), 2.0),
                    np.array([1.0]), np.array([True, False, True]))
    assert_allclose(dl, [[4.0, 3.0, 4.0]])
    assert_allclose(u, [[1.0, 2.0, 1.0]])
    assert_allclose(e, [[2.5, 1.5, 2.5]])


@pytest.mark.parametrize("per_house_rows", [False, True])
def test_dispatch_kernel_equals_dispatch_with_auxiliary(per_house_rows):
    """Random demand, capacities (shared or per-house rows), COPs and auxiliary window: the kernel's
    hourly delivered heat, unmet heat and electricity equal the numpy model's, and its season
    totals equal numpy reductions of those hourly arrays."""
    rng = np.random.default_rng(1)
    n, nh = 9, 200
    demand = rng.random((n, nh)) * 8
    cap_i = rng.random(n) * 5
    rows = n if per_house_rows else 1
    cap_rows = rng.random((rows, nh)) * (rng.random((rows, nh)) > 0.1)  # some hours off
    cop_rows = 1.5 + 3 * rng.random((rows, nh))
    aux_i = rng.random(n) * 3
    allowed = rng.random(nh) > 0.4
    ref = _dispatch_numpy(demand, cap_i, cap_rows, cop_rows, aux_i, allowed)
    ctx = _ctx(nh)
    sums, dl, u, e = season._dispatch(demand, cap_i, cap_rows, cop_rows, aux_i, allowed, ctx)
    for got, want in zip((dl, u, e), ref, strict=True):
        assert_allclose(got, want, rtol=RTOL, atol=1e-14)
    assert_allclose(sums, _numpy_sums(*ref, ctx.period, ctx.price), rtol=1e-12)
    assert ref[1].max() > 0 and (ref[1] > THRESHOLD).any()  # unmet hours occur: the comparison covers them
    # totals without the hourly arrays are the same
    sums_only, *_ = season._dispatch(demand, cap_i, cap_rows, cop_rows, aux_i, allowed, _ctx(nh, keep=False))
    assert_allclose(sums_only, sums, rtol=0, atol=0)


def test_combustion_kernel_equals_simulate_combustion():
    """``season._combustion`` (the kernel) against ``combustion.simulate_combustion`` (numpy):
    heat, unmet, auxiliary electricity per hour and the season's fuel energy."""
    rng = np.random.default_rng(2)
    demand = rng.random((6, 150)) * 20
    cap = rng.random(6) * 15 + 2
    for eff, ratio in ((0.85, 0.01), (0.45, 0.0)):
        ref = combustion.simulate_combustion(demand, cap, eff, ratio)
        sums, dl, u, e, fuel_kwh = season._combustion(demand, cap, eff, ratio, _ctx(150))
        assert_allclose(dl, ref.heat_kw, rtol=RTOL)
        assert_allclose(u, ref.unmet_kw, rtol=RTOL, atol=1e-14)
        assert_allclose(e, ref.electricity_kw, rtol=RTOL, atol=1e-300)
        assert_allclose(fuel_kwh, ref.fuel_kw.sum(axis=1), rtol=1e-12)
        assert ref.unmet_kw.sum() > 0


def test_direct_electric_kernel_equals_simulate_direct_electric():
    """The electric auxiliary of solar_aux as ``season._run_method`` dispatches it (capacity row of
    ones, COP 1, no second auxiliary) against ``direct_electric.simulate_direct_electric``."""
    rng = np.random.default_rng(3)
    n, nh = 5, 120
    demand = rng.random((n, nh)) * 6
    cap = rng.random(n) * 4 + 1
    heat, unmet = direct_electric.simulate_direct_electric(demand, cap[:, None])
    sums, dl, u, e = season._dispatch(demand, cap, np.ones((1, nh)), np.ones((1, nh)), np.zeros(1),
                                      np.zeros(nh, dtype=bool), _ctx(nh))
    assert_allclose(dl, heat, rtol=RTOL)
    assert_allclose(u, unmet, rtol=RTOL, atol=1e-14)
    assert_allclose(e, heat, rtol=RTOL)  # efficiency 1 at the point of use
    assert unmet.sum() > 0


# ---- reductions ----------------------------------------------------------------------------------


def test_reduce_hourly_equals_numpy_sums():
    rng = np.random.default_rng(4)
    n, nh = 7, 300
    dl, u, e = rng.random((n, nh)), rng.random((n, nh)) * 0.03, rng.random((n, nh)) * 4
    ctx = _ctx(nh)
    assert_allclose(kernels.reduce_hourly(dl, u, e, ctx.period, ctx.price, THRESHOLD),
                    _numpy_sums(dl, u, e, ctx.period, ctx.price), rtol=1e-12)
    # no hours: zeros, peak 0
    assert_allclose(kernels.reduce_hourly(np.zeros((2, 0)), np.zeros((2, 0)), np.zeros((2, 0)), ctx.period[:0],
                                          ctx.price[:0], THRESHOLD), 0.0)


def test_add_electricity_equals_numpy():
    """A parasitic load added after a dispatch: electricity columns as if it had been in the
    hourly electricity from the start, heat columns unchanged."""
    rng = np.random.default_rng(5)
    n, nh = 4, 100
    dl, u, e = rng.random((n, nh)), rng.random((n, nh)) * 0.03, rng.random((n, nh))
    on = rng.random((n, nh)) > 0.5
    power = rng.random(n)
    extra = on * power[:, None]
    ctx = _ctx(nh)
    sums = kernels.reduce_hourly(dl, u, e, ctx.period, ctx.price, THRESHOLD)
    h_elec = e.copy()
    kernels.add_electricity(sums, h_elec, on, power, ctx.period, ctx.price)
    assert_allclose(h_elec, e + extra, rtol=0)
    assert_allclose(sums, _numpy_sums(dl, u, e + extra, ctx.period, ctx.price), rtol=1e-12)


# ---- hour loops: compiled against the same code as Python -------------------------------------------


def test_tank_kernel_compiled_equals_python():
    rng = np.random.default_rng(6)
    n, nh = 3, 24 * 6
    hod = np.arange(nh) % 24
    poa = np.clip(np.sin(np.pi * (hod - 7) / 10), 0, None) * 700
    args = (rng.random((n, nh)) * 4, poa, 0.9 + 0.1 * rng.random(nh), -5 + 5 * rng.random(nh),
            30 + 10 * rng.random((n, nh)), np.full(n, 6.3), np.full(n, 0.35), np.full(n, 2.5e-3),
            np.full(n, 6e-3), np.full(n, 0.02), 0.6, 1.6, 0.008, 15.0, 95.0, 5.0)
    outs = [tuple(np.empty((n, nh)) for _ in range(3)) + (np.empty((n, nh), dtype=bool),) for _ in range(2)]
    solar_thermal._tank_hours(*args, *outs[0])
    solar_thermal._tank_hours.py_func(*args, *outs[1])
    for a, b in zip(*outs, strict=True):
        assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    assert outs[0][3].sum() > 0 and outs[0][0].sum() > 0  # the pump ran and the tank served the house


def test_storage_kernel_compiled_equals_python_and_need_helper():
    rng = np.random.default_rng(7)
    n, nh = 3, 24 * 5
    hod = np.arange(nh) % 24
    valley = ((hod >= 13) & (hod < 17)) | (hod >= 20) | (hod < 8)
    demand = rng.random((n, nh)) * 6
    size = storage_heater.size_storage_heater(np.array([6.0, 4.0, 2.0]), 16, connection_kw=9.0)
    args = (demand, valley, size.charge_kw, size.capacity_kwh, size.backup_kw, 0.005, 1.1)
    outs = [tuple(np.empty((n, nh)) for _ in range(4)) for _ in range(2)]
    storage_heater._storage_hours(*args, *outs[0])
    storage_heater._storage_hours.py_func(*args, *outs[1])
    for a, b in zip(*outs, strict=True):
        assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    # the need of the next off-valley block: hand value for one day of 1 kW (valley 20–08, 13–17):
    # at 07:00 the next block is 08–13 → 5 kWh; at 16:00 the block 17–20 → 3 kWh
    need = storage_heater.next_offpeak_need_kwh(np.ones((1, 48)), np.tile(valley[:24], 2))
    assert need[0, 7] == 5.0 and need[0, 16] == 3.0 and need[0, 10] == 0.0
