"""Benchmark the ledger and the duplicate search of the registry (issue #8). Prints a table.

Run: ``python benchmarks/bench_ledger.py`` (SQLite; PostgreSQL too with ``--postgres URL`` or
``CLEANHEAT_TEST_POSTGRES_URL``, each run in a fresh schema dropped afterwards). ``--only import
--repeat 3`` times only the imports into an empty programme, three times each (medians in the table,
every run in a note below), from the rows of one SQLite demo export; ``-h`` lists the options.

Rows, per backend
-----------------
* ``demo load``: the full synthetic programme (27,000 households, 26 payment runs …) into an empty database;
* ``ledger export``: the whole ledger to XLSX;
* ``ledger re-import, unchanged (xlsx)`` / ``(csv)``: that export imported back into the programme
  it came from (every row unchanged), from the XLSX file and from the same rows as CSV — goal < 5 s;
* ``ledger import, empty programme (csv)`` / ``(xlsx)``: the export's 27,000 rows (template columns only)
  into a database holding only the reference data and the enterprises — goal < 5 s;
* ``duplicates list (demo)``: :func:`find_duplicates` over the 27,000 demo households — goal < 3 s;
* ``duplicates list, 30,000 in one township``: the review's case, a 30,000-row ledger imported into one
  township (five villages, no house numbers in the addresses), then the duplicate search — goal < 3 s.

The duplicate rows are also timed with :func:`baseline_find_duplicates`, the search as it was before
issue #8 (one ``process.cdist`` per village), in the same run; the benchmark asserts that both find
the same pairs. The other rows have no baseline in the run (the code they replace is gone); the
review's figures (10–18 s for an import, 23 s for the duplicate search) are on another machine.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from cleanheat.registry import db
from cleanheat.registry.models import Household
from cleanheat.registry.services import households, ledger, places
from cleanheat.registry.services.demo import ROGUE_ENTERPRISES, _insert_enterprises, load_demo

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_registry import Backend  # noqa: E402  (one fresh-database helper for the registry benchmarks)

GOALS = {"ledger re-import, unchanged (xlsx)": 5.0, "ledger re-import, unchanged (csv)": 5.0,
         "ledger import, empty programme (csv)": 5.0, "ledger import, empty programme (xlsx)": 5.0,
         "duplicates list (demo)": 3.0, "duplicates list, 30,000 in one township": 3.0}
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def baseline_find_duplicates(session: Session) -> list[households.DuplicatePair]:
    """The duplicate search before issue #8 (kept here as the baseline): per village, every name
    against every name (``process.cdist``), then the house numbers and the address compared."""
    from rapidfuzz import fuzz, process

    rows = session.execute(
        select(Household.id, Household.household_id, Household.id_number, Household.phone_normalised,
               Household.village_id, Household.name, Household.address).where(Household.merged_into_id.is_(None))
    ).all()
    code = {r.id: r.household_id for r in rows}
    found: dict[tuple[int, int], households.DuplicatePair] = {}

    def add(i: int, j: int, reason: str, score: float) -> None:
        key = (min(i, j), max(i, j))
        if i != j and key not in found:
            found[key] = households.DuplicatePair(code[key[0]], code[key[1]], reason, score)

    for attr, reason in (("id_number", "id_number"), ("phone_normalised", "phone")):
        groups: dict[str, list[int]] = defaultdict(list)
        for r in rows:
            if getattr(r, attr):
                groups[getattr(r, attr)].append(r.id)
        for ids in groups.values():
            for k in range(1, len(ids)):
                add(ids[0], ids[k], reason, 100.0)
    by_village: dict[int, list[Any]] = defaultdict(list)
    for r in rows:
        by_village[r.village_id].append(r)
    for members in by_village.values():
        if len(members) < 2:
            continue
        names = [households._squash(m.name) for m in members]
        scores = process.cdist(names, names, scorer=fuzz.ratio, score_cutoff=households.FUZZY_THRESHOLD, workers=1)
        ii, jj = scores.nonzero()
        for i, j in zip(ii.tolist(), jj.tolist(), strict=True):
            a, b = members[i], members[j]
            if a.id == b.id:
                continue
            addr_a, addr_b = households._address_key(a.address), households._address_key(b.address)
            if re.findall(r"\d+", addr_a) != re.findall(r"\d+", addr_b):
                continue
            addr = fuzz.ratio(addr_a, addr_b)
            if addr >= households.FUZZY_THRESHOLD:
                add(a.id, b.id, "fuzzy_name_address", min(float(scores[i, j]), addr))
    return sorted(found.values(), key=lambda p: (p.a, p.b))


CPU: dict[int, float] = {}
"""Process CPU seconds of the last :func:`timed` call (on SQLite the database works in the process)."""


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Wall seconds and result of ``fn()``; its CPU seconds go to ``CPU[0]``."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    CPU[0] = time.process_time() - c0
    return time.perf_counter() - t0, out


def in_transaction(engine: Any, fn: Callable[[Session], Any]) -> Any:
    """``fn(session)`` in one transaction, committed (as the command does)."""
    with db.session_scope(engine) as s:
        return fn(s)




def _xlsx_rows(path: Path) -> list[list[Any]]:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    finally:
        wb.close()


def _write_csv(path: Path, rows: list[list[Any]]) -> Path:
    def cell(v: Any) -> Any:
        if v is None:
            return ""
        if hasattr(v, "date") and callable(v.date):
            return v.date().isoformat()
        if hasattr(v, "isoformat"):
            return v.isoformat()
        return v

    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([[cell(v) for v in r] for r in rows])
    return path


def _write_xlsx(path: Path, rows: list[list[Any]]) -> Path:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("台账")
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def _id_number(k: int) -> str:
    born = np.datetime64("1950-01-01") + np.timedelta64(k // 500, "D")
    body = f"640323{str(born).replace('-', '')}{k % 500:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11]


def _one_township_rows(n: int, seed: int) -> list[list[Any]]:
    """The review's file: ``n`` households in 花马池镇, five villages, no address (so no house numbers)."""
    rng = np.random.default_rng(seed)
    surnames = list("王李张刘陈杨马赵黄周吴徐孙胡朱高林何郭罗")
    given = list("军华明丽芳强伟敏静磊洋艳勇杰娟涛超霞平刚桂英秀兰")
    header = [c.header for c in ledger.COLUMNS]
    rows: list[list[Any]] = [header]
    for k in range(n):
        name = surnames[rng.integers(len(surnames))] + "".join(
            given[rng.integers(len(given))] for _ in range(int(rng.integers(1, 3))))
        rec = {"household_id": f"YC-X-{k:06d}", "township": "花马池镇", "village": f"第{k % 5 + 1}村",
               "name": name, "id_number": _id_number(k), "phone": f"139{k:08d}", "address": "",
               "heated_area_m2": 80.0, "dwelling": "砖房", "technology": "ashp_water", "with_rooftop_pv": "否",
               "installed_on": "2022-06-01", "self_install": "是", "enterprise_code": "",
               "enterprise_registered": "", "previously_subsidised": "否", "accepted_on": "",
               "invoice_cny": 16000, "year": 2022}
        rows.append([rec[c.field] for c in ledger.COLUMNS])
    return rows


def _empty_programme(url: str) -> Any:
    from cleanheat.demo.yanchi import ENTERPRISE_CODES

    engine = db.open_database(url, create=True)
    with db.session_scope(engine) as s:
        places.ensure_reference_data(session=s)
        _insert_enterprises(s, list(ENTERPRISE_CODES) + list(ROGUE_ENTERPRISES), "bench")
    return engine


def _drop_sqlite_files(backend: Backend) -> None:
    """Delete the SQLite files of the runs so far (the 56 MB of each import need not pile up on disk)."""
    if backend.kind == "sqlite":
        for f in backend.tmp.glob("*.sqlite3*"):
            f.unlink()


Result = tuple[float, float, float | None] | str
"""(wall s, CPU s, baseline wall s) or a note."""


def demo_export(backend: Backend, seed: int, tmp: Path, out: dict[str, Result], *,
                full: bool = True) -> list[list[Any]]:
    """Load the demo into a fresh database and export it (timed into ``out``); with ``full``, also the
    re-imports and the duplicate search on it. Returns the export's rows (header first)."""
    engine = db.open_database(backend.fresh_url(), create=True)
    try:
        t, summary = timed(lambda: in_transaction(engine, lambda s: load_demo(session=s, seed=seed)))
        out["demo load"] = (t, CPU[0], None)
        export = tmp / f"export-{backend.kind}.xlsx"
        with db.session_scope(engine) as s:
            t, n = timed(lambda: ledger.export_xlsx(session=s, path=export))
        out["ledger export"] = (t, CPU[0], None)
        rows = _xlsx_rows(export)
        if not full:
            return rows
        export_csv = _write_csv(tmp / f"export-{backend.kind}.csv", rows)
        for label, path in (("xlsx", export), ("csv", export_csv)):
            t, res = timed(lambda path=path: in_transaction(
                engine, lambda s, path=path: ledger.import_file(session=s, path=path, actor="bench")))
            assert res["households_unchanged"] == n and not res["warnings"], res
            out[f"ledger re-import, unchanged ({label})"] = (t, CPU[0], None)
        with db.session_scope(engine) as s:
            t_new, new = timed(lambda: households.find_duplicates(session=s))
            c_new = CPU[0]
            t_old, old = timed(lambda: baseline_find_duplicates(s))
        assert [(p.a, p.b) for p in new] == [(p.a, p.b) for p in old]
        out["duplicates list (demo)"] = (t_new, c_new, t_old)
        out["demo: loaded"] = f"{summary['households']:,} households, {summary['paid']:,} paid; {len(new)} pairs"
        return rows
    finally:
        engine.dispose()


def fresh_imports(backend: Backend, rows: list[list[Any]], tmp: Path, out: dict[str, Result], *,
                  repeat: int = 1) -> None:
    """The export's rows (template columns only) into an empty programme, CSV then XLSX, ``repeat`` times
    each (a fresh database every time); the row holds the median wall and CPU seconds, a note every run."""
    template_only = [r[:len(ledger.COLUMNS)] for r in rows]
    n = len(template_only) - 1
    for label, path in (("csv", _write_csv(tmp / f"fresh-{backend.kind}.csv", template_only)),
                        ("xlsx", _write_xlsx(tmp / f"fresh-{backend.kind}.xlsx", template_only))):
        runs: list[tuple[float, float]] = []
        for _ in range(repeat):
            engine = _empty_programme(backend.fresh_url())
            try:
                t, res = timed(lambda path=path, engine=engine: in_transaction(
                    engine, lambda s, path=path: ledger.import_file(session=s, path=path, actor="bench")))
                assert res["households_created"] == n
                runs.append((t, CPU[0]))
            finally:
                engine.dispose()
            _drop_sqlite_files(backend)
        key = f"ledger import, empty programme ({label})"
        out[key] = (statistics.median(t for t, _ in runs), statistics.median(c for _, c in runs), None)
        if repeat > 1:
            out[f"{key}: runs"] = "wall " + " ".join(f"{t:.2f}" for t, _ in runs) + " s; cpu " + " ".join(
                f"{c:.2f}" for _, c in runs) + " s"


def one_township(backend: Backend, seed: int, tmp: Path, out: dict[str, Result]) -> None:
    """The review's case: 30,000 rows into one township, then the duplicate search against the baseline."""
    engine = _empty_programme(backend.fresh_url())
    try:
        big = _write_csv(tmp / f"one-township-{backend.kind}.csv", _one_township_rows(30_000, seed))
        t, res = timed(lambda: in_transaction(engine, lambda s: ledger.import_file(session=s, path=big, actor="bench")))
        out["ledger import, 30,000 into one township (csv)"] = (t, CPU[0], None)
        with db.session_scope(engine) as s:
            t_new, new = timed(lambda: households.find_duplicates(session=s))
            c_new = CPU[0]
            t_old, old = timed(lambda: baseline_find_duplicates(s))
        assert [(p.a, p.b) for p in new] == [(p.a, p.b) for p in old]
        out["duplicates list, 30,000 in one township"] = (t_new, c_new, t_old)
        out["one township: found"] = (f"{len(new):,} pairs; import warnings: "
                                      + "; ".join(w["reason"] for w in res["warnings"] if w["row"] == 0)[:160])
    finally:
        engine.dispose()


def bench(backend: Backend, seed: int, tmp: Path, *, only_import: bool = False, repeat: int = 1,
          rows: list[list[Any]] | None = None) -> dict[str, Result]:
    """Every row of the table for one backend; ``only_import``: the imports into an empty programme only
    (from ``rows`` if given, else from this backend's own demo export)."""
    out: dict[str, Result] = {}
    if rows is None:
        rows = demo_export(backend, seed, tmp, out, full=not only_import)
    fresh_imports(backend, rows, tmp, out, repeat=repeat)
    if not only_import:
        one_township(backend, seed, tmp, out)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--postgres", default=os.environ.get("CLEANHEAT_TEST_POSTGRES_URL"),
                    help="PostgreSQL URL (default: $CLEANHEAT_TEST_POSTGRES_URL)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", choices=("all", "import"), default="all",
                    help="import: only the imports into an empty programme (the demo is loaded and exported "
                         "once, on SQLite, for their rows)")
    ap.add_argument("--repeat", type=int, default=1, metavar="N",
                    help="run each import into an empty programme N times; the table shows the medians")
    args = ap.parse_args()
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    results: dict[str, dict[str, Result]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        rows: list[list[Any]] | None = None
        for kind in ["sqlite"] + (["postgresql"] if args.postgres else []):
            b = Backend(kind, args.postgres, Path(tmp))
            try:
                if args.only == "import" and rows is None:
                    setup: dict[str, Result] = {}
                    rows = demo_export(b, args.seed, Path(tmp), setup, full=False)
                    _drop_sqlite_files(b)
                results[kind] = bench(b, args.seed, Path(tmp), only_import=args.only == "import",
                                      repeat=args.repeat, rows=rows)
            finally:
                b.cleanup()
    rows = list(next(iter(results.values())))
    width = max(len(r) for r in rows) + 2
    print(f"{'measure':<{width}}" + "".join(f"{k + ' wall s':>18}{'cpu s':>8}{'baseline s':>12}{'ratio':>8}"
                                            for k in results) + f"{'goal':>9}")
    for r in rows:
        if any(isinstance(results[k][r], str) for k in results):
            print(f"{r:<{width}}" + "  |  ".join(f"{k}: {results[k][r]}" for k in results))
            continue
        cells = ""
        for k in results:
            t, cpu, base = results[k][r]  # type: ignore[misc]
            cells += f"{t:>18.2f}{cpu:>8.2f}" + (f"{base:>12.2f}{base / t:>7.1f}×" if base is not None
                                                 else f"{'':>12}{'':>8}")
        goal = GOALS.get(r)
        print(f"{r:<{width}}{cells}" + (f"{'< ' + format(goal, 'g') + ' s':>9}" if goal else ""))


if __name__ == "__main__":
    main()
