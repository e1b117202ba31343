"""Benchmark the money checks on the 27,000-household demo, SQLite and PostgreSQL. Prints a table.

Run: ``python benchmarks/bench_money.py`` (PostgreSQL rows when ``CLEANHEAT_TEST_POSTGRES_URL`` or
``--postgres URL`` is given; a fresh schema, dropped afterwards). Or ``--database-url URL`` to measure an
existing registry (read only: the dry run and the decision write nothing; nothing is reversed).

Rows, per backend
-----------------
* ``audit verify: chain``: the hash chain alone (:func:`cleanheat.registry.audit.verify`);
* ``audit verify: chain + money``: the chain and every payment, reversal, pay/recover fund-ledger entry
  and envelope cap against the log (``cleanheat audit verify``) — goal ≈ 2 s;
* ``pay --dry-run (whole programme)``: the preview of a run over every accepted installation, which
  writes nothing;
* ``household decision``: ``payment show`` of a household not paid (its failing rules), median of 20.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_registry import Backend  # noqa: E402

from cleanheat.registry import audit, db  # noqa: E402
from cleanheat.registry.services import payments  # noqa: E402
from cleanheat.registry.services.demo import load_demo  # noqa: E402

GOALS = {"audit verify: chain + money": 2.0}


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def measure(url: str, *, load: bool, seed: int) -> dict[str, float | str]:
    out: dict[str, float | str] = {}
    engine = db.open_database(url, create=load)
    try:
        if load:
            with db.session_scope(engine) as s:
                load_demo(session=s, seed=seed)
        with db.session_scope(engine) as s:
            out["audit verify: chain"], (n, _) = timed(lambda: audit.verify(s))
        with db.session_scope(engine) as s:
            out["audit verify: chain + money"], v = timed(lambda: audit.verify_all(s))
        out["rows checked"] = (f"{n:,} entries, " + ", ".join(f"{k} {c:,}" for k, c in v.checked.items())
                               + f"; reconciled: {v.reconciled}")
        with db.session_scope(engine) as s:
            out["pay --dry-run (whole programme)"], r = timed(
                lambda: payments.pay_accepted(session=s, actor="bench", dry_run=True))
        out["dry run"] = f"{r.paid:,} would be paid, {len(r.not_payable):,} not payable"
        with db.session_scope(engine) as s:
            unpaid = next((n["household_id"] for n in r.not_payable), None)
            if unpaid is not None:
                times = [timed(lambda: payments.household_decision(session=s, household_id=unpaid))[0]
                         for _ in range(20)]
                out["household decision"] = statistics.median(times)
    finally:
        engine.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--postgres", default=os.environ.get("CLEANHEAT_TEST_POSTGRES_URL"),
                    help="PostgreSQL URL (default: $CLEANHEAT_TEST_POSTGRES_URL)")
    ap.add_argument("--database-url", help="Measure this existing registry instead of a fresh demo.")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    results: dict[str, dict[str, float | str]] = {}
    if args.database_url:
        results["registry"] = measure(args.database_url, load=False, seed=args.seed)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            for kind in ["sqlite"] + (["postgresql"] if args.postgres else []):
                b = Backend(kind, args.postgres, Path(tmp))
                try:
                    results[kind] = measure(b.fresh_url(), load=True, seed=args.seed)
                finally:
                    b.cleanup()
    rows = list(next(iter(results.values())))
    width = max(len(r) for r in rows) + 2
    print(f"{'measure':<{width}}" + "".join(f"{k:>20}" for k in results) + f"{'goal':>10}")
    for r in rows:
        if any(isinstance(results[k].get(r), str) for k in results):
            print(f"{r:<{width}}" + "  |  ".join(f"{k}: {results[k].get(r)}" for k in results))
            continue
        cells = "".join(f"{results[k][r]:>19.3f}s" if isinstance(results[k].get(r), float) else f"{'—':>20}"
                        for k in results)
        goal = GOALS.get(r)
        print(f"{r:<{width}}{cells}" + (f"{'≈ ' + format(goal, 'g') + ' s':>10}" if goal else ""))


if __name__ == "__main__":
    main()
