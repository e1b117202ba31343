"""Benchmark the programme registry on SQLite and PostgreSQL. Prints a table.

Run: ``python benchmarks/bench_registry.py`` (PostgreSQL rows when ``CLEANHEAT_TEST_POSTGRES_URL`` or
``--postgres URL`` is given; each run uses a fresh schema, dropped afterwards).

Rows, per backend
-----------------
* ``demo load``: the full synthetic programme (27,000 households, installations, acceptances, 26
  monthly payment runs through the payment service, tickets, 248 monthly reports, 200 Beijing projects)
  into an empty, migrated database — goal < 60 s;
* ``batch payment``: the same programme loaded without payments, then one ``pay_accepted`` call paying
  every accepted installation (≈ 24,400 payable of 25,900 accepted) in one transaction, with the rules
  engine, the duplicate check, the envelope guard, the fund ledger and one audit entry per payment —
  goal < 10 s;
* ``monthly reports, one year``: the 8 townships × 12 months of 2023 from the ledger — goal < 2 s;
* ``search``: a household by ledger id, identity number, phone and name prefix among 27,000, median of
  50 runs each (worst of the four shown) — goal < 50 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from cleanheat.registry import db
from cleanheat.registry.services import households, payments, reports
from cleanheat.registry.services.demo import load_demo

GOALS = {"demo load": 60.0, "batch payment": 10.0, "monthly reports, one year": 2.0, "search (worst median)": 0.05}


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


class Backend:
    """A fresh database per use: a SQLite file, or a PostgreSQL schema dropped at the end."""

    def __init__(self, kind: str, pg_url: str | None, tmp: Path) -> None:
        self.kind, self.pg_url, self.tmp = kind, pg_url, tmp
        self.schemas: list[str] = []

    def fresh_url(self) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.tmp / f'{uuid.uuid4().hex[:8]}.sqlite3'}"
        assert self.pg_url
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(self.pg_url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        self.schemas.append(schema)
        sep = "&" if "?" in self.pg_url else "?"
        return f"{self.pg_url}{sep}options=-csearch_path%3D{schema}"

    def cleanup(self) -> None:
        if self.kind == "postgresql" and self.schemas:
            admin = create_engine(self.pg_url or "")
            with admin.begin() as conn:
                for s in self.schemas:
                    conn.execute(text(f'DROP SCHEMA "{s}" CASCADE'))
            admin.dispose()


def bench(backend: Backend, seed: int) -> dict[str, float | str]:
    out: dict[str, float | str] = {}
    # demo load, full
    engine = db.open_database(backend.fresh_url(), create=True)
    try:
        def load() -> dict[str, Any]:
            with db.session_scope(engine) as s:
                return load_demo(session=s, seed=seed)

        out["demo load"], summary = timed(load)
        months = [f"2023-{m:02d}" for m in range(1, 13)]

        def all_reports() -> int:
            with db.session_scope(engine) as s:
                return len(reports.monthly_all(session=s, months=months))

        out["monthly reports, one year"], n_reports = timed(all_reports)
        assert n_reports == 96
        with db.session_scope(engine) as s:
            probes = {"ledger id": "YC-2022-012345", "identity number": "64032319851004000X",
                      "phone": "13630889253", "name prefix": "张军"}
            worst = 0.0
            for q in probes.values():
                times = []
                for _ in range(50):
                    t, res = timed(lambda q=q: households.search(session=s, query=q))
                    times.append(t)
                worst = max(worst, statistics.median(times))
            out["search (worst median)"] = worst
    finally:
        engine.dispose()
    # batch payment of the whole programme
    engine = db.open_database(backend.fresh_url(), create=True)
    try:
        with db.session_scope(engine) as s:
            load_demo(session=s, seed=seed, pay=False)

        def pay_all() -> payments.PayResult:
            with db.session_scope(engine) as s:
                return payments.pay_accepted(session=s, actor="bench")

        out["batch payment"], result = timed(pay_all)
        out["batch payment: paid"] = f"{result.paid:,} households, {result.total_cny:,} CNY"
        with db.session_scope(engine) as s:
            t, again = timed(lambda: payments.pay_accepted(session=s, actor="bench"))
        out["batch payment rerun (pays 0)"] = t
        assert again.paid == 0
    finally:
        engine.dispose()
    out["demo: loaded"] = (f"{summary['households']:,} households, {summary['paid']:,} paid, "
                           f"{summary['tickets']:,} tickets, {summary['beijing_projects']} Beijing projects")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--postgres", default=os.environ.get("CLEANHEAT_TEST_POSTGRES_URL"),
                    help="PostgreSQL URL (default: $CLEANHEAT_TEST_POSTGRES_URL)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    results: dict[str, dict[str, float | str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        kinds = ["sqlite"] + (["postgresql"] if args.postgres else [])
        for kind in kinds:
            b = Backend(kind, args.postgres, Path(tmp))
            try:
                results[kind] = bench(b, args.seed)
            finally:
                b.cleanup()
    rows = list(next(iter(results.values())))
    width = max(len(r) for r in rows) + 2
    print(f"{'measure':<{width}}" + "".join(f"{k:>20}" for k in results) + f"{'goal':>10}")
    for r in rows:
        cells = ""
        for k in results:
            v = results[k][r]
            cells += f"{v:>19.3f}s" if isinstance(v, float) else ""
        goal = GOALS.get(r)
        if any(isinstance(results[k][r], str) for k in results):
            print(f"{r:<{width}}" + "  |  ".join(f"{k}: {results[k][r]}" for k in results))
            continue
        print(f"{r:<{width}}{cells}" + (f"{'< ' + format(goal, 'g') + ' s':>10}" if goal else ""))


if __name__ == "__main__":
    main()
