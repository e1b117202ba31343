"""Benchmark of the season simulation: the whole Yanchi programme, a per-house loop, a province by chunks.

Run: ``python benchmarks/bench_simulate.py`` (add ``--skip-province`` for the short version).

1. Yanchi programme: 27,000 houses (seeded mix of dwellings, envelopes and integer areas
   60–150 m², in the eight townships) × all 11 methods × every hour of the heating season.
   Reports wall time, house-method-seasons per second, peak memory (the process's maximum
   RSS, and the tracemalloc peak of Python/numpy allocations in a second, traced run), and the
   largest township coincident peak.
2. No repeats: 27,000 distinct houses (the same mix with areas to 0.1 m², as a real ledger can
   have, and 0.01 m² where needed to make every house differ), so that de-duplication cannot
   help; all of them, with the township sums, against the 10 s goal.
3. A straightforward per-house loop over the same model code (one house per call, every
   model stepping hour by hour), timed on a sample of 20 houses and scaled to 27,000; and the
   same loop as plain Python (``NUMBA_DISABLE_JIT=1`` in a child process: the compiled kernels
   run as the Python loops they are written as), timed on 2 houses and scaled.
4. A province: 1,000,000 houses in chunks of 50,000, showing memory does not grow.

Setup (typical year, pvlib transposition, CoolProp CO₂ table, pygfunction g-functions) is
done once per process and timed separately.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cleanheat.simulate.season import PERIOD_PEAK, PERIOD_VALLEY, CostInputs, Houses, simulate_season  # noqa: E402
from cleanheat.technologies.catalogue import TECHNOLOGIES  # noqa: E402

N_PROGRAMME = 27_000
N_PROVINCE = 1_000_000
PROVINCE_CHUNK = 50_000


SERVICE_LEVEL = None
"""The service level every house gets (``--service-level``; None: the default level of a record)."""


def programme_houses(n: int, seed: int = 0) -> tuple[Houses, np.ndarray]:
    """A seeded stand-in for the programme ledger: integer areas (the ledger records whole m²),
    every house at the service level a record without one gets (or ``--service-level``)."""
    from cleanheat.building.service import resolve_level, set_point_schedule_c

    rng = np.random.default_rng(seed)
    setback = rng.random(n) < 0.3
    level = resolve_level(SERVICE_LEVEL)
    houses = Houses(
        heated_area_m2=rng.integers(60, 151, n).astype(float),
        dwelling=rng.choice(np.array(["brick", "cave", "other"]), n, p=[0.7, 0.15, 0.15]),
        envelope=rng.choice(np.array(["uninsulated", "partly_insulated", "insulated"]), n, p=[0.5, 0.3, 0.2]),
        setback=setback,
        heated_share=np.full(n, level.heated_share),
        set_point_c=set_point_schedule_c([level] * n, setback),
    )
    return houses, rng.integers(0, 8, n)


def distinct_houses(houses: Houses, seed: int = 2) -> Houses:
    """The programme houses with areas to 0.1 m² (0.01 m² where that is needed to make them
    differ): no two houses alike, so de-duplication has nothing to share."""
    from cleanheat.simulate.season import _dedupe_key

    rng = np.random.default_rng(seed)
    n = len(houses)
    area = houses.heated_area_m2 + rng.integers(0, 10, n) / 10.0
    for _ in range(100):
        out = Houses(np.round(area, 2), houses.dwelling, houses.envelope, houses.setback,
                     heated_share=houses.heated_share, set_point_c=houses.set_point_c)
        _, first = np.unique(_dedupe_key(out), return_index=True)
        if len(first) == n:
            return out
        dup = np.setdiff1d(np.arange(n), first)
        area[dup] += 0.01 * rng.integers(1, 10, dup.size)
    raise RuntimeError("could not make the houses distinct")  # pragma: no cover


def costs() -> CostInputs:
    """Tariff and prices from cleanheat.economics when present, else the Ningxia 2026 tariff inline."""
    try:
        from cleanheat.simulate.records import cost_inputs

        return cost_inputs("yanchi")
    except ImportError:
        hod = np.arange(24)
        valley = ((hod >= 13) & (hod < 17)) | (hod >= 20) | (hod < 8)  # 宁发改价格(管理)〔2025〕736号
        return CostInputs(np.where(valley, 0.2486, 0.4986), np.where(valley, PERIOD_VALLEY, PERIOD_PEAK),
                          gas_cny_per_m3=2.5, biomass_cny_per_kg=1.0, coal_cny_per_kg=1.0, grid_kg_co2_per_kwh=0.5857,
                          gas_kg_co2_per_m3=2.162, coal_kg_co2_per_kg=1.764,
                          biomass_kg_co2_per_kg=0.0, gas_kwh_per_m3=10.814, biomass_kwh_per_kg=4.6,
                          coal_kwh_per_kg=5.815)


def subset(h: Houses, idx: np.ndarray | slice) -> Houses:
    return h.take(idx)


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def plain_loop(n: int) -> None:
    """Child-process mode: time ``n`` houses one by one and print seconds per house (last line)."""
    from cleanheat.simulate.records import climate_for

    climate = climate_for("yanchi")
    c = costs()
    houses, _ = programme_houses(N_PROGRAMME)
    simulate_season(subset(houses, slice(0, 1)), climate, c, deduplicate=False)  # caches, tables
    t = time.perf_counter()
    for i in range(1, n + 1):
        simulate_season(subset(houses, slice(i, i + 1)), climate, c, deduplicate=False)
    print((time.perf_counter() - t) / n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-province", action="store_true", help="Skip the 1,000,000-house run.")
    ap.add_argument("--service-level", default=None,
                    help="Service level of every house (rural_typical, coal_observed, full_comfort; default: the "
                         "level a record without one gets). full_comfort is the model before service levels.")
    ap.add_argument("--plain-loop", type=int, default=0, help=argparse.SUPPRESS)  # child process mode
    args = ap.parse_args()
    global SERVICE_LEVEL
    SERVICE_LEVEL = args.service_level
    if args.plain_loop:
        plain_loop(args.plain_loop)
        return
    rows: list[tuple[str, str]] = []
    m = len(TECHNOLOGIES)

    t0 = time.perf_counter()
    from cleanheat.simulate.records import climate_for

    climate = climate_for("yanchi")
    c = costs()
    houses, townships = programme_houses(N_PROGRAMME)
    simulate_season(subset(houses, slice(0, 50)), climate, c)  # CoolProp table, parameter files
    from cleanheat.simulate.season import _ground_field
    from cleanheat.technologies.catalogue import technology_parameters
    from cleanheat.technologies.ground_loop import g_function_table

    for nb in range(1, 9):  # g-functions of every field size the programme uses, cached per process
        g_function_table(nb, _ground_field(technology_parameters()))
    setup_s = time.perf_counter() - t0
    rows.append(("setup (typical year, pvlib, CoolProp table, g-functions)", f"{setup_s:.1f} s"))
    hours = climate.season_hours

    t = time.perf_counter()
    res = simulate_season(houses, climate, c, groups=townships, n_groups=8)
    wall = time.perf_counter() - t
    rss_after = rss_mib()
    # memory in a second, traced run (tracemalloc slows the many small allocations of the hour loops)
    tracemalloc.start()
    t = time.perf_counter()
    simulate_season(houses, climate, c, groups=townships, n_groups=8)
    traced_wall = time.perf_counter() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rate = N_PROGRAMME * m / wall
    rows += [
        (f"Yanchi programme: {N_PROGRAMME:,} houses × {m} methods × {hours} h", f"{wall:.2f} s"),
        ("  unique house types simulated (exact de-duplication)", f"{res.extras.get('unique_houses', N_PROGRAMME):,}"),
        ("  house-method-seasons per second", f"{rate:,.0f}"),
        ("  house-method-hours per second", f"{rate * hours:,.3g}"),
        ("  process max RSS after the run", f"{rss_after:,.0f} MiB"),
        (f"  peak traced memory (tracemalloc, second run: {traced_wall:.1f} s)", f"{peak / 2**20:,.0f} MiB"),
    ]
    assert res.group_electric_kw is not None
    j = TECHNOLOGIES.index("ashp_water")  # type: ignore[arg-type]
    town_peak = res.group_electric_kw[:, j, :].max(axis=1)
    rows.append(("  largest township coincident peak, all on ashp_water", f"{town_peak.max() / 1000:,.1f} MW"))

    distinct = distinct_houses(houses)
    t = time.perf_counter()
    res_d = simulate_season(distinct, climate, c, groups=townships, n_groups=8, deduplicate=False)
    vec_s = time.perf_counter() - t
    assert res_d.extras.get("unique_houses") is None
    goal = "met" if vec_s < 10.0 else "NOT MET"
    rows += [
        (f"NO REPEATS: {N_PROGRAMME:,} distinct houses (areas to 0.1 m², no de-duplication) × {m} methods",
         f"{vec_s:.2f} s  (goal < 10 s: {goal})"),
        ("  house-method-seasons per second", f"{N_PROGRAMME * m / vec_s:,.0f}"),
        ("  process max RSS after the no-repeat run", f"{rss_mib():,.0f} MiB"),
    ]

    n_loop = 20
    t = time.perf_counter()
    for i in range(n_loop):
        simulate_season(subset(houses, slice(i, i + 1)), climate, c, deduplicate=False)
    loop_s = (time.perf_counter() - t) * N_PROGRAMME / n_loop
    rows += [
        (f"per-house loop, same models ({n_loop} sampled, scaled)", f"{loop_s:,.0f} s"),
        ("  speed-up of the programme run over the loop", f"{loop_s / wall:,.0f}×"),
        ("  speed-up of the no-repeat run over the loop", f"{loop_s / vec_s:,.0f}×"),
    ]

    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    child = subprocess.run([sys.executable, __file__, "--plain-loop", "2",
                            *(["--service-level", args.service_level] if args.service_level else [])],
                           env=env, check=True, capture_output=True, text=True)
    per_house_s = float(child.stdout.strip().splitlines()[-1])
    plain_s = per_house_s * N_PROGRAMME
    rows += [
        ("plain-Python per-house loop, same models (NUMBA_DISABLE_JIT, 2 sampled, scaled)", f"{plain_s:,.0f} s"),
        ("  speed-up of the programme run over the plain loop", f"{plain_s / wall:,.0f}×  (goal ≥ 20×)"),
        ("  speed-up of the no-repeat run over the plain loop", f"{plain_s / vec_s:,.0f}×  (goal ≥ 20×)"),
    ]

    if not args.skip_province:
        province, towns = programme_houses(N_PROVINCE, seed=1)
        t = time.perf_counter()
        peaks = []
        town_elec = np.zeros((8, m, hours))
        for lo in range(0, N_PROVINCE, PROVINCE_CHUNK):
            sl = slice(lo, lo + PROVINCE_CHUNK)
            r = simulate_season(subset(province, sl), climate, c, groups=towns[sl], n_groups=8)
            assert r.group_electric_kw is not None
            town_elec += r.group_electric_kw
            peaks.append(rss_mib())
        prov_s = time.perf_counter() - t
        rows += [
            (f"province: {N_PROVINCE:,} houses in chunks of {PROVINCE_CHUNK:,}", f"{prov_s:.1f} s"),
            ("  max RSS after chunk 1 / 10 / 20", f"{peaks[0]:,.0f} / {peaks[9]:,.0f} / {peaks[-1]:,.0f} MiB"),
            ("  house-method-seasons per second", f"{N_PROVINCE * m / prov_s:,.0f}"),
        ]

    width = max(len(k) for k, _ in rows)
    print(f"{'measure':<{width}}  value")
    print(f"{'-' * width}  -----")
    for k, v in rows:
        print(f"{k:<{width}}  {v}")


if __name__ == "__main__":
    main()
