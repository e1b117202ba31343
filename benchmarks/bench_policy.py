"""Benchmark the rules: records decided per second, against a plain per-record Python loop.

Run: ``python benchmarks/bench_policy.py`` (add ``--quick`` for a smaller run). Prints a table.

Rows
----
* decide 27,000 / 1,000,000 Yanchi households from dicts: validation + rules + reasons
  materialised as JSON-ready dicts (the reason lists are shared objects);
* the same 1,000,000 from already-validated columns (the engine alone);
* a per-record Python loop of the same rules (no numpy), timed on the same households;
* 10,000 Beijing projects;
* the CLI end to end on 27,000 households (a subprocess: JSON file in, JSON out) against a bare
  ``json.load`` + ``json.dump`` of the same file in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from cleanheat.demo.yanchi import generate_households
from cleanheat.policy.decide import decide
from cleanheat.policy.engine import default_tree, reason_texts, to_columns
from cleanheat.policy.rules import yanchi
from cleanheat.policy.rules.yanchi import FIELDS, LEDGER_FIELDS


def timed(fn: Any, repeat: int = 1) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def loop_yanchi(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same Yanchi rules as a straightforward per-record loop (the baseline).

    It reads the same dated parameters record by record and writes the same output, reasons
    included (``main`` checks that both agree on a sample).
    """
    tree = default_tree()
    by_rule = {r.rule: r for r in yanchi.REASONS}

    def value(name: str, on: dt.date | None) -> Any:
        dv = tree[name].effective(on) if on is not None else None
        return tree[name].neutral() if dv is None or dv.value is None else dv.value

    def reason(rule: str, code: int, values: dict[str, Any]) -> dict[str, Any]:
        r = by_rule[rule]
        zh, en = reason_texts(r, code, values, tree)
        return {"rule": rule, "clause": r.clause, "detail": zh, "detail_en": en, "passed": r.passed(code)}

    programme_start = tree["yanchi.programme.open"].true_span()[0]

    out = []
    for r in records:
        installed = dt.date.fromisoformat(r["installed_on"])
        accepted = dt.date.fromisoformat(r["accepted_on"]) if r.get("accepted_on") else None
        assessed = max(installed, programme_start) if programme_start else installed
        values = {name: value(name, installed) for name in (
            "yanchi.programme.open", "yanchi.self_install.eligible", "yanchi.enterprise.registration_required",
            "yanchi.subsidy.central_cny", "yanchi.subsidy.local_cny", "yanchi.subsidy.no_local_technologies")}
        values |= {name: value(name, assessed) for name in (
            "yanchi.eligibility.technologies", "yanchi.eligibility.min_heated_area_m2")}
        clean = r["technology"] in values["yanchi.eligibility.technologies"]
        area_ok = r["heated_area_m2"] >= values["yanchi.eligibility.min_heated_area_m2"]
        in_prog = values["yanchi.programme.open"]
        first = not r.get("previously_subsidised", False)
        if r.get("self_install", False):
            installer = 1 if values["yanchi.self_install.eligible"] else 2
        elif r.get("enterprise_registered"):
            installer = 3
        else:
            installer = 5 if values["yanchi.enterprise.registration_required"] else 4
        acceptance = 0 if accepted is None else (1 if value("yanchi.acceptance.open", accepted) else 2)
        eligible = clean and area_ok and in_prog and first and installer in (1, 3, 4) and acceptance != 2
        gets_local = r["technology"] not in values["yanchi.subsidy.no_local_technologies"]
        central = values["yanchi.subsidy.central_cny"] if eligible else 0
        local = values["yanchi.subsidy.local_cny"] if eligible and gets_local else 0
        over = max(central + local - r["invoice_cny"], 0)
        cut_local = min(local, over)
        local -= cut_local
        central -= over - cut_local
        status = "ineligible" if not eligible else ("payable" if acceptance == 1 else "pending_acceptance")
        reasons = [
            reason("clean_method", int(clean), values),
            reason("programme_window", int(in_prog), values),
            reason("minimum_heated_area", (2 if r["dwelling"] == "cave" else 1) if area_ok else 0, values),
            reason("once_per_household", int(first), values),
            reason("installer", installer, values),
            reason("acceptance", acceptance if eligible else {1: 3, 0: 4}.get(acceptance, acceptance), values),
        ]
        if eligible:
            reasons.append(reason("central_subsidy", 1, values))
            reasons.append(reason("local_subsidy", 1 if gets_local else 2, values))
        if over > 0:
            reasons.append(reason("invoice_cap", 2 if over > cut_local else 1, values))
        if r.get("with_rooftop_pv"):
            reasons.append(reason("rooftop_pv", 1, values))
        out.append({"household_id": r["household_id"], "status": status, "central_cny": central,
                    "local_cny": local, "total_cny": central + local,
                    "household_share_cny": r["invoice_cny"] - central - local, "reasons": reasons})
    return out


def beijing_projects(n: int) -> list[dict[str, Any]]:
    sources = ["shallow_ground", "reclaimed_water", "sewage", "waste_heat", "deep_geothermal"]
    kinds = ["new_build", "expansion", "coal_boiler_retrofit", "oil_boiler_retrofit", "rural_whole_village_coal",
             "urban_community_coal"]
    zones = ["city_sub_center", "daxing_airport", "expo_2019", "huairou_science_city", "future_science_city",
             "zhongguancun_etdz", "plain_new_towns", "ecological_conservation"]
    return [{
        "project_id": f"BJ-{i:05d}", "zone": zones[i % 8], "source": sources[i % 5], "kind": kinds[i % 6],
        "government_invested": i % 17 == 0, "self_funded": i % 13 == 0, "main_project_specifies_heat_pump": i % 7 == 0,
        "heated_area_m2": 10000 + i, "investment_cny": {"ground_loop": 1000000 + i, "machine_room": 200000,
                                                        "heat_pump_units": 900000, "wells": 500000 * (i % 2),
                                                        "indoor_terminals": 300000},
        "permits": {"mining": i % 3 > 0, "water_extraction": i % 4 > 0}, "ground_heat_balance_ok": i % 11 > 0,
        "enterprise_dishonest": i % 29 == 0,
        "applied_on": (dt.date(2019, 1, 1) + dt.timedelta(days=i % 1600)).isoformat(),
    } for i in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="200,000 instead of 1,000,000 households")
    args = ap.parse_args()
    big = 200_000 if args.quick else 1_000_000
    rows: list[tuple[str, int, float]] = []

    small = generate_households(0, 27000)
    assert loop_yanchi(small) == decide("yanchi", small).to_records(), "the loop baseline must decide the same"
    t, _ = timed(lambda: decide("yanchi", small).to_records(), repeat=3)
    rows.append(("yanchi: 27,000 from dicts (validate + rules + reasons)", 27000, t))

    many = generate_households(1, big)
    t_big, _ = timed(lambda: decide("yanchi", many).to_records())
    rows.append((f"yanchi: {big:,} from dicts (validate + rules + reasons)", big, t_big))
    cols = to_columns(many, FIELDS, "household_id", LEDGER_FIELDS)
    from cleanheat.policy.rules.yanchi import check_records

    check_records(cols, many)
    t_cols, _ = timed(lambda: decide("yanchi", many, columns=cols).to_records())
    rows.append((f"yanchi: {big:,} from columns (rules + reasons)", big, t_cols))
    t_loop, _ = timed(lambda: loop_yanchi(many))
    rows.append((f"baseline: per-record Python loop, {big:,}", big, t_loop))

    projects = beijing_projects(10000)
    t, _ = timed(lambda: decide("beijing", projects).to_records(), repeat=3)
    rows.append(("beijing: 10,000 projects", 10000, t))

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "h.json"
        path.write_text(json.dumps(small, ensure_ascii=False), encoding="utf-8")

        def bare() -> None:
            with path.open(encoding="utf-8") as f:
                data = json.load(f)
            with open(os.devnull, "w", encoding="utf-8") as f:
                json.dump(data, f, ensure_ascii=False)

        t_bare, _ = timed(bare, repeat=3)
        exe = [sys.executable, "-m", "cleanheat", "subsidy", "yanchi", str(path)]
        t_cli, _ = timed(lambda: subprocess.run(exe, check=True, stdout=subprocess.DEVNULL), repeat=3)
    rows.append(("bare json.load + json.dump, 27,000 (in process)", 27000, t_bare))
    rows.append(("CLI end to end, 27,000 (process start included)", 27000, t_cli))

    width = max(len(r[0]) for r in rows)
    print(f"{'benchmark':<{width}}  {'records':>10}  {'seconds':>8}  {'records/s':>12}")
    for name, n, sec in rows:
        print(f"{name:<{width}}  {n:>10,}  {sec:>8.3f}  {n / sec:>12,.0f}")
    print()
    print(f"vectorised vs per-record loop ({big:,}, from dicts): {t_loop / t_big:.1f}× faster")
    print(f"CLI 27,000 / bare json load+dump: {t_cli / t_bare:.2f}× (goal ≤ 3×)")
    print(f"{big:,} decisions with reasons from dicts: {t_big:.2f} s (goal < 3 s for 1,000,000)")


if __name__ == "__main__":
    main()
