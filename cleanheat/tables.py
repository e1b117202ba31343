"""Reading and writing records as tables: CSV and XLSX, the formats a county office works in.

Cells are converted to the JSON types of the fields (a bool from ``true``/``是``/``1``, a date
from an Excel date or ``YYYY-MM-DD``, a number from ``75`` or ``75.0``); an empty cell is
missing. A cell that cannot be converted raises :class:`InputError` naming the row and column.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cleanheat.errors import InputError
from cleanheat.records import Field

__all__ = ["read_records", "write_xlsx"]

_TRUE = {"true", "yes", "y", "1", "是", "t", "√"}
_FALSE = {"false", "no", "n", "0", "否", "f", ""}


def read_records(
    path: Path, fields: Sequence[Field], *, headers: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Read a CSV or XLSX file into records with the fields' JSON types.

    Parameters
    ----------
    path : Path
        ``.csv`` (UTF-8, with or without BOM) or ``.xlsx`` (first sheet, headers in row 1).
    fields : sequence of Field
        The fields to convert; other columns are kept as text.
    headers : mapping, optional
        Alternative column headers (e.g. Chinese) → field name.

    Raises
    ------
    InputError
        Unreadable file, or a cell that cannot be converted (row and column named).
    """
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            with path.open(encoding="utf-8-sig", newline="") as stream:
                rows: list[list[Any]] = list(csv.reader(stream))
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read {path}: {exc}") from None
    elif suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise InputError(f"cannot read {path} as an Excel workbook: {exc}") from None
        try:
            rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
        finally:
            wb.close()
    else:
        raise InputError(f"{path}: expected a .json, .csv or .xlsx file")
    if not rows:
        return []
    alias = dict(headers or {})
    names = [alias.get(str(h).strip(), str(h).strip()) if h is not None else "" for h in rows[0]]
    by_name = {f.name: f for f in fields}
    out: list[dict[str, Any]] = []
    for r, row in enumerate(rows[1:], start=2):
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in row):
            continue
        rec: dict[str, Any] = {}
        for name, cell in zip(names, row, strict=False):
            if not name:
                continue
            f = by_name.get(name)
            value = _convert(cell, f, row=r, column=name) if f else (None if cell is None else str(cell))
            if value is not None or (f is not None and f.nullable):
                rec[name] = value
        out.append(rec)
    return out


def _convert(cell: Any, f: Field, *, row: int, column: str) -> Any:
    where = f"row {row}"
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None
    text = cell.strip() if isinstance(cell, str) else cell
    try:
        if f.kind == "bool":
            if isinstance(text, bool):
                return text
            key = str(text).strip().lower()
            if key in _TRUE:
                return True
            if key in _FALSE:
                return False
            raise ValueError(f"expected true/false (是/否), got {text!r}")
        if f.kind in ("int", "number"):
            if isinstance(text, bool):
                raise ValueError(f"expected a number, got {text!r}")
            value = float(text)
            return int(value) if f.kind == "int" and value.is_integer() else value
        if f.kind == "date":
            if isinstance(text, dt.datetime):
                return text.date().isoformat()
            if isinstance(text, dt.date):
                return text.isoformat()
            return dt.date.fromisoformat(str(text)).isoformat()
        return str(text)
    except ValueError as exc:
        raise InputError(str(exc), record=where, field=column) from None


def write_xlsx(path: Path, sheets: Mapping[str, tuple[Sequence[str], Sequence[Sequence[Any]]]]) -> None:
    """Write sheets of (headers, rows) to an XLSX workbook, headers bold and frozen."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    if wb.active is not None:
        wb.remove(wb.active)
    for title, (headers, rows) in sheets.items():
        ws = wb.create_sheet(title=title[:31])
        ws.append(list(headers))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append(list(row))
        ws.freeze_panes = "A2"
        for k, header in enumerate(headers, start=1):
            width = max([len(str(header))] + [len(str(r[k - 1])) for r in rows[:200] if k - 1 < len(r)])
            ws.column_dimensions[ws.cell(row=1, column=k).column_letter].width = min(max(10, width * 1.3), 40)
    wb.save(path)
