"""CSV and XLSX reading with the fields' types; errors name row and column."""

from __future__ import annotations

import datetime as dt

import pytest

from cleanheat.errors import InputError
from cleanheat.policy.rules.yanchi import FIELDS
from cleanheat.tables import read_records, write_xlsx

HEADERS = ["household_id", "township", "heated_area_m2", "dwelling", "technology", "self_install", "installed_on",
           "accepted_on", "invoice_cny"]


def test_xlsx_round_trip_with_excel_dates_and_chinese_booleans(tmp_path):
    path = tmp_path / "h.xlsx"
    row = ["YC-1", "青山乡", 72.5, "cave", "gshp", "是", dt.date(2022, 6, 1), None, 15000]
    write_xlsx(path, {"ledger": (HEADERS, [row])})
    rec = read_records(path, FIELDS)[0]
    assert rec["self_install"] is True and rec["installed_on"] == "2022-06-01" and rec["accepted_on"] is None
    assert rec["heated_area_m2"] == 72.5 and rec["invoice_cny"] == 15000


def test_bad_cell_names_row_and_column(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text(",".join(HEADERS) + "\nYC-1,青山乡,72,brick,gshp,maybe,2022-06-01,,15000\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_records(path, FIELDS)
    assert err.value.record == "row 2" and err.value.field == "self_install"


def test_unknown_format(tmp_path):
    with pytest.raises(InputError, match="expected"):
        read_records(tmp_path / "h.txt", FIELDS)
