"""Benchmark the spreadsheet reader and writer on a 27,000-row ledger. Prints a table.

Run: ``python benchmarks/bench_spreadsheets.py`` (no database needed).

Rows
----
* ``write ledger workbook``: the demo programme's 27,000 households in the ledger's layout through
  ``spreadsheets.write_workbook`` (formats, widths, frozen header, filter; atomic write);
* ``read: calamine (read_table)``: the same file through ``spreadsheets.read_table`` (python-calamine, the
  header row found, empty rows dropped, row numbers kept);
* ``read: openpyxl read-only``: the same file through openpyxl's read-only mode, what the ledger read before;
* ``read: CSV in GBK``: the same rows as a GBK CSV through ``read_table``;
* ``convert cells``: every cell of the workbook through the ledger's field conversions (identity-number
  check, phones, amounts, dates, method names).
The whole ledger import has a goal of < 5 s (issue #8); reading and converting are its first two steps.
"""

from __future__ import annotations

import csv
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> None:
    from cleanheat import spreadsheets
    from cleanheat.codes import DWELLING_NAMES, TECHNOLOGY_NAMES
    from cleanheat.demo.yanchi import generate_households
    from cleanheat.registry.services import ledger

    methods = {str(t): n for t, n in TECHNOLOGY_NAMES.items()}
    dwellings = {str(d): n for d, n in DWELLING_NAMES.items()}
    yes_no = {True: "是", False: "否", None: ""}
    rows = []
    for h in generate_households(0):
        h = {**h, "technology": methods[h["technology"]], "dwelling": dwellings[h["dwelling"]]}
        rows.append([yes_no[h.get(c.field)] if c.kind == "bool" else h.get(c.field) for c in ledger.COLUMNS])
    results: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ledger.xlsx"
        cols = ledger._sheet_columns(template=False)
        sheet = spreadsheets.Sheet("台账", cols, rows)
        results.append(("write ledger workbook", _timed(lambda: spreadsheets.write_workbook(path, [sheet]))[0]))
        elapsed, (header, data) = _timed(lambda: ledger.read_table(path))
        results.append(("read: calamine (read_table)", elapsed))

        def openpyxl_read() -> int:
            import openpyxl

            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                return sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True))
            finally:
                wb.close()

        results.append(("read: openpyxl read-only", _timed(openpyxl_read)[0]))
        gbk = Path(tmp) / "ledger.csv"
        with gbk.open("w", encoding="gbk", newline="") as fh:
            w = csv.writer(fh)
            w.writerow([c.header for c in ledger.COLUMNS])
            w.writerows([["" if v is None else v for v in r] for r in rows])
        results.append(("read: CSV in GBK", _timed(lambda: ledger.read_table(gbk))[0]))
        columns, _ = ledger._columns(header)

        def convert() -> None:
            for _, row in data:
                for col, raw in zip(columns, row, strict=False):
                    if col is not None:
                        try:
                            ledger._convert(col, raw)
                        except ValueError:
                            pass

        results.append(("convert cells", _timed(convert)[0]))
    print(f"{'step (27,000 ledger rows)':<34} {'seconds':>8}")
    for name, seconds in results:
        print(f"{name:<34} {seconds:>8.2f}")


if __name__ == "__main__":
    main()
