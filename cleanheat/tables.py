"""Reading and writing records as tables: kept for its callers; everything lives in :mod:`cleanheat.spreadsheets`."""

from __future__ import annotations

from cleanheat.spreadsheets import read_records, write_workbook, write_xlsx

__all__ = ["read_records", "write_workbook", "write_xlsx"]
