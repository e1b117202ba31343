"""The one spreadsheet reader and writer: encodings, .xls, title rows, file checks, office formats, atomic writes."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest

from cleanheat.errors import InputError
from cleanheat.policy.rules.yanchi import FIELDS
from cleanheat.spreadsheets import Column, Sheet, display_width, read_records, read_table, write_workbook

HEADER = "农户编号,乡镇,取暖面积(㎡),房屋类型,取暖方式,自主安装,安装日期,验收日期,发票金额(元)"
ROW = "YC-1,大水坑镇,80平方米,砖瓦房,空气源热泵,否,2022/3/1,2022年5月1日,\"16,500元\""


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig", "utf-16"])
def test_csv_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "h.csv"
    path.write_bytes(f"{HEADER}\r\n{ROW}\r\n".encode(encoding))
    (rec,) = read_records(path, FIELDS)
    assert rec == {"household_id": "YC-1", "township": "大水坑镇", "heated_area_m2": 80, "dwelling": "brick",
                   "technology": "ashp_water", "self_install": False, "installed_on": "2022-03-01",
                   "accepted_on": "2022-05-01", "invoice_cny": 16500}


def test_gb18030_beyond_gbk(tmp_path: Path) -> None:
    # 𠀀 (U+20000) exists in GB18030 only: a GBK decoder fails on it
    path = tmp_path / "h.csv"
    path.write_bytes("户主姓名,农户编号\r\n王𠀀,YC-1\r\n".encode("gb18030"))
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("gbk")
    table = read_table(path, known_headers=["农户编号"])
    assert table.rows == [(2, ["王𠀀", "YC-1"])]


def test_tab_separated_csv_with_a_title_line(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("盐池县台账\n农户编号\t乡镇\nYC-1\t青山乡\n", encoding="utf-8")
    assert read_table(path, known_headers=["农户编号"]).rows == [(3, ["YC-1", "青山乡"])]


def test_the_sheet_with_the_headers_is_read(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    notes = wb.active
    assert notes is not None
    notes.title = "填表说明"
    notes.append(["请按下表填写"])
    data = wb.create_sheet("Sheet2")
    data.append(["农户编号", "乡镇"])
    data.append(["YC-1", "青山乡"])
    path = tmp_path / "two.xlsx"
    wb.save(path)
    table = read_table(path, known_headers=["农户编号", "乡镇"])
    assert table.sheet == "Sheet2" and table.rows == [(2, ["YC-1", "青山乡"])]


def test_xls_file(tmp_path: Path) -> None:
    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("Sheet1")
    for k, h in enumerate(HEADER.split(",")):
        ws.write(0, k, h)
    date = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for k, v in enumerate(["YC-1", "青山乡", 72.5, "窑洞", "地源热泵", "是"]):
        ws.write(1, k, v)
    ws.write(1, 6, dt.date(2022, 6, 1), date)
    ws.write(1, 8, 15000)
    path = tmp_path / "h.xls"
    wb.save(str(path))
    (rec,) = read_records(path, FIELDS)
    assert rec == {"household_id": "YC-1", "township": "青山乡", "heated_area_m2": 72.5, "dwelling": "cave",
                   "technology": "gshp", "self_install": True, "installed_on": "2022-06-01", "accepted_on": None,
                   "invoice_cny": 15000}


def test_title_rows_a_serial_column_empty_rows_and_blank_columns(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["盐池县2022年冬季清洁取暖改造台账"])
    ws.merge_cells("A1:E1")
    ws.append(["填报单位：大水坑镇", None, None, "填报日期：2022-12-01"])
    ws.append([])
    ws.append(["序号", "农户编号", "乡镇 ", "取暖面积\n(㎡)", "房屋类型", None, None])
    ws.append([1, "YC-1", "大水坑", 80, "砖房"])
    ws.append([None, None, None])
    ws.append([2, "YC-2", "青山乡", "90㎡", "窑洞", None, ""])
    path = tmp_path / "t.xlsx"
    wb.save(path)
    table = read_table(path, known_headers=["农户编号", "乡镇", "取暖面积(㎡)", "房屋类型"])
    assert table.header_row == 4
    assert table.header == ["序号", "农户编号", "乡镇", "取暖面积(m2)", "房屋类型"]
    assert [r for r, _ in table.rows] == [5, 7]  # the spreadsheet's own row numbers
    recs = read_records(path, FIELDS)
    assert recs == [{"household_id": "YC-1", "township": "大水坑镇", "heated_area_m2": 80, "dwelling": "brick"},
                    {"household_id": "YC-2", "township": "青山乡", "heated_area_m2": 90, "dwelling": "cave"}]


def test_bad_cell_keeps_the_real_row_number(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text(f"盐池县台账\n\n{HEADER}\n{ROW.replace('空气源热泵', '核电')}\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_records(path, FIELDS)
    assert err.value.record == "row 4" and err.value.field == "取暖方式" and "空气源热泵热水机" in str(err.value)


def test_unknown_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("household_id,township,previously_subsidized\nYC-1,青山乡,是\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_records(path, FIELDS)
    assert err.value.field == "previously_subsidized" and "unknown column" in str(err.value)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("fake.xlsx", b"household_id,township\nYC-1,x\n", "plain text"),
    ("page.xls", b"<html><table><tr><td>1</td></tr></table></html>", "web page"),
    ("notes.docx", None, "expected a spreadsheet"),
    ("word.xlsx", "word", "Word"),
    ("notes.txt", b"hello", "expected a spreadsheet"),
])
def test_not_a_spreadsheet_gets_the_fix(tmp_path: Path, name: str, content: bytes | str | None,
                                        message: str) -> None:
    path = tmp_path / name
    if content is None or content == "word":
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("word/document.xml", "<w:document/>")
    else:
        assert isinstance(content, bytes)
        path.write_bytes(content)
    with pytest.raises(InputError, match=message) as err:
        read_table(path)
    assert ".xlsx" in str(err.value) and "Traceback" not in str(err.value)


def test_display_width_counts_cjk_twice() -> None:
    assert display_width("花马池镇") == 8 and display_width("YC-1") == 4 and display_width(1234567) == 9


def _budget_like(path: Path, title: str | None = None) -> None:
    cols = [Column("乡镇 township"), Column("年度 year", "year"), Column("户数 households", "int", total=True),
            Column("补贴合计 subsidy (元)", "money", total=True), Column("验收日期 accepted", "date"),
            Column("身份证号", "text")]
    rows = [["花马池镇", 2022, 1000, 5_300_000, dt.date(2022, 8, 1), "64032319851004000X"],
            ["青山乡", "2023", 1000, 5_300_000, "2023-08-01", None]]
    write_workbook(path, [Sheet("预算 budget", cols, rows, title=title, totals="合计 total")])


def test_workbook_formats(tmp_path: Path) -> None:
    path = tmp_path / "b.xlsx"
    _budget_like(path)
    ws = openpyxl.load_workbook(path)["预算 budget"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:F3"
    assert ws["A1"].font.b and ws["A1"].value == "乡镇 township"
    assert ws["B2"].value == 2022 and ws["B3"].value == 2023 and ws["B2"].number_format == "0"  # years as numbers
    assert ws["C2"].number_format == "#,##0" and ws["D2"].number_format == "#,##0"
    assert ws["E2"].value == dt.datetime(2022, 8, 1) and ws["E3"].value == dt.datetime(2023, 8, 1)
    assert ws["E2"].number_format == "yyyy-mm-dd"
    assert ws["F2"].value == "64032319851004000X" and ws["F2"].number_format == "@"
    assert ws["A4"].value == "合计 total" and ws["A4"].font.b
    assert ws["C4"].value == "=SUM(C2:C3)" and ws["D4"].value == "=SUM(D2:D3)" and ws["D4"].font.b
    assert ws["D4"].number_format == "#,##0" and ws["B4"].value is None
    assert ws.column_dimensions["A"].width >= display_width("乡镇 township")


def test_workbook_title_line(tmp_path: Path) -> None:
    path = tmp_path / "b.xlsx"
    _budget_like(path, title="盐池县冬季清洁取暖预算 programme budget")
    ws = openpyxl.load_workbook(path)["预算 budget"]
    assert ws["A1"].value.startswith("盐池县") and ws["A2"].value == "乡镇 township"
    assert ws.freeze_panes == "A3" and ws.auto_filter.ref == "A2:F4" and ws["C5"].value == "=SUM(C3:C4)"
    assert "A1:F1" in {str(r) for r in ws.merged_cells.ranges}


@pytest.mark.parametrize("name", ["out.csv", "out", "out.xls"])
def test_a_workbook_is_written_as_xlsx_only(tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError, match=r"\.xlsx"):
        _budget_like(tmp_path / name)
    assert not (tmp_path / name).exists()


def test_a_folder_is_not_a_workbook(tmp_path: Path) -> None:
    folder = tmp_path / "out.xlsx"
    folder.mkdir()
    with pytest.raises(InputError, match="folder"):
        _budget_like(folder)


def test_a_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "b.xlsx"
    _budget_like(path)
    before = path.read_bytes()

    def rows():
        yield ["花马池镇", 2022]
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        write_workbook(path, [Sheet("x", ["乡镇", "年度"], rows())])
    assert path.read_bytes() == before  # not truncated, not half-written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.xlsx"]  # no temporary file left


def test_unwritable_folder_is_an_input_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError, match="cannot write"):
        _budget_like(blocker / "b.xlsx")


def test_drop_downs(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    write_workbook(path, [Sheet("台账", [Column("乡镇", choices=("花马池镇", "青山乡")), Column("身份证号", "text")],
                                [], blank_rows=100)])
    ws = openpyxl.load_workbook(path)["台账"]
    (dv,) = ws.data_validations.dataValidation
    assert dv.type == "list" and dv.formula1 == '"花马池镇,青山乡"' and str(dv.sqref) == "A2:A101"
    (dim,) = [d for d in ws.column_dimensions.values() if d.min <= 2 <= d.max]  # a <col> may span columns
    assert dim.number_format == "@"
