"""The files a county office has, through ``ledger import``: identity numbers never corrupted, full-width
text, the template's example row, encodings, .xls, title rows, date forms, method names; template and export."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cleanheat.registry.models import Household, Installation
from cleanheat.registry.services import households, ledger
from cleanheat.registry.services.ledger import COLUMNS, LedgerImportError, RowError
from tests.registry import factories

HEADERS = [c.header for c in COLUMNS]
ID_1 = "640323198001010611"  # 6403231980010106 1 + check 1 (sum 220, 220 % 11 = 0 → "1")
ID_2 = "64032319851004000X"  # sum 222, 222 % 11 = 2 → "X"


def _id_number(k: int) -> str:
    from cleanheat.normalise import check_digit

    body = f"64032319900101{k:03d}"
    return body + check_digit(body)


def _row(k: int = 1, **over: Any) -> dict[str, Any]:
    r: dict[str, Any] = {
        "household_id": f"YC-2022-1006{k:02d}", "township": "大水坑镇", "village": "新泉井村", "name": f"王{k}",
        "id_number": {1: ID_1, 2: ID_2}.get(k) or _id_number(k), "phone": f"139123456{k:02d}",
        "address": f"新泉井村{k}号",
        "heated_area_m2": 80, "dwelling": "砖房", "technology": "空气源热泵热水机", "with_rooftop_pv": "否",
        "installed_on": "2022-06-01", "self_install": "是", "enterprise_code": "", "enterprise_registered": "",
        "previously_subsidised": "否", "accepted_on": "", "invoice_cny": 16500, "year": 2022,
    }
    r.update(over)
    return r


def _xlsx(path: Path, rows: list[dict[str, Any]], *, above: list[list[Any]] = (), serial: bool = False) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for line in above:
        ws.append(line)
    ws.append((["序号"] if serial else []) + HEADERS)
    for k, r in enumerate(rows, start=1):
        ws.append(([k] if serial else []) + [r[c.field] for c in COLUMNS])
    wb.save(path)
    return path


def _csv(path: Path, rows: list[dict[str, Any]], encoding: str) -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADERS)
        w.writerows([[r[c.field] for c in COLUMNS] for r in rows])
    return path


def _import(session: Session, path: Path) -> dict[str, Any]:
    return ledger.import_file(session=session, path=path, actor="大水坑镇")


def _errors(session: Session, path: Path) -> list[RowError]:
    with pytest.raises(LedgerImportError) as err:
        _import(session, path)
    assert session.execute(select(func.count()).select_from(Household)).scalar_one() == 0  # nothing imported
    return err.value.errors


@pytest.fixture
def programme(session: Session) -> Session:
    factories.programme(session)
    return session


# --------------------------------------------------------------------------------------------
# identity numbers
# --------------------------------------------------------------------------------------------

def test_identity_number_as_a_float_is_refused(programme: Session, tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "f.xlsx", [_row(1, id_number=6.40323198001011e17)])
    (e,) = _errors(programme, path)
    assert (e.row, e.column) == (2, "身份证号") and "number" in e.reason and "文本" in e.reason


def test_identity_number_as_an_integer_is_refused(programme: Session, tmp_path: Path) -> None:
    # the exact integer is in the file, and yet: Excel would have kept 15 digits, so no number cell is trusted
    path = _xlsx(tmp_path / "i.xlsx", [_row(1), _row(2, id_number=640323198001010610)])
    (e,) = _errors(programme, path)
    assert (e.row, e.column) == (3, "身份证号") and "number" in e.reason


def test_identity_number_with_a_bad_check_digit_is_refused(programme: Session, tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "c.xlsx", [_row(1, id_number="640323198001011234"),
                                      _row(2, id_number="999999999999999999")])
    errors = _errors(programme, path)
    assert [(e.row, e.column) for e in errors] == [(2, "身份证号"), (3, "身份证号")]
    assert "校验码" in errors[0].reason and "expected 5" in errors[0].reason  # 216 % 11 = 7 → "5"


def test_identity_number_with_a_bad_birth_date_is_refused(programme: Session, tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "b.xlsx", [_row(1, id_number="640323198002300614")])  # 30 February 1980
    (e,) = _errors(programme, path)
    assert e.column == "身份证号" and "出生日期 19800230" in e.reason


# --------------------------------------------------------------------------------------------
# full-width text
# --------------------------------------------------------------------------------------------

def test_full_width_phone_is_found_by_search(programme: Session, tmp_path: Path) -> None:
    _import(programme, _xlsx(tmp_path / "p.xlsx", [_row(1, phone="１３９１２３４５６７８")]))
    found = households.search(session=programme, query="13912345678")
    assert [h["household_id"] for h in found] == ["YC-2022-100601"] and found[0]["phone"] == "13912345678"
    assert [h["household_id"] for h in households.search(session=programme, query="１３９１２３４５６７８")] == [
        "YC-2022-100601"]


def test_full_width_household_id_is_the_same_household(programme: Session, tmp_path: Path) -> None:
    first = _import(programme, _xlsx(tmp_path / "a.xlsx", [_row(1, household_id="ＹＣ－２０２２－１００６０１",
                                                               heated_area_m2="８０", invoice_cny="１６５００")]))
    assert first["households_created"] == 1
    again = _import(programme, _xlsx(tmp_path / "b.xlsx", [_row(1)]))
    assert again["households_created"] == 0 and again["households_unchanged"] == 1
    ids = programme.execute(select(Household.household_id)).scalars().all()
    assert ids == ["YC-2022-100601"]
    assert [h["household_id"] for h in households.search(session=programme, query="ＹＣ－２０２２－１００６０１")] == [
        "YC-2022-100601"]


def test_amounts_with_units(programme: Session, tmp_path: Path) -> None:
    _import(programme, _xlsx(tmp_path / "u.xlsx", [_row(1, heated_area_m2="80平方米", invoice_cny="16,500元"),
                                                   _row(2, heated_area_m2="92.5㎡", invoice_cny="１６，５００")]))
    got = programme.execute(select(Household.heated_area_m2).order_by(Household.household_id)).scalars().all()
    assert got == [80.0, 92.5]
    assert programme.execute(select(Installation.invoice_cny)).scalars().all() == [16500, 16500]


# --------------------------------------------------------------------------------------------
# the template
# --------------------------------------------------------------------------------------------

def test_the_templates_example_never_becomes_a_household(programme: Session, tmp_path: Path) -> None:
    tpl = tmp_path / "tpl.xlsx"
    ledger.write_template(tpl)
    wb = openpyxl.load_workbook(tpl)
    ws = wb.worksheets[0]
    assert ws.title == "台账" and ws.max_row == 1  # nothing but the header on the sheet that is imported
    for r in (_row(1), _row(2)):
        ws.append([r[c.field] for c in COLUMNS])
    wb.save(tpl)
    summary = _import(programme, tpl)  # the template as it comes, rows added below the header
    assert summary["households_created"] == 2
    assert sorted(programme.execute(select(Household.household_id)).scalars()) == ["YC-2022-100601",
                                                                                  "YC-2022-100602"]


def test_the_example_row_copied_into_the_ledger_is_refused(programme: Session, tmp_path: Path) -> None:
    tpl = tmp_path / "tpl.xlsx"
    ledger.write_template(tpl)
    wb = openpyxl.load_workbook(tpl)
    example = [c.value for c in wb["示例"][2]]
    assert str(example[0]).startswith("示例")
    wb["台账"].append(example)
    wb.save(tpl)
    (e,) = [e for e in _errors(programme, tpl) if e.column == "农户编号"]
    assert e.row == 2 and "示例" in e.reason


def test_template_formats_and_drop_downs(tmp_path: Path) -> None:
    tpl = tmp_path / "tpl.xlsx"
    ledger.write_template(tpl)
    wb = openpyxl.load_workbook(tpl)
    ws = wb["台账"]
    letter = {c.value: c.column_letter for c in ws[1]}
    number = {c.value: c.column for c in ws[1]}

    def column_format(header: str) -> str:  # a <col> element may cover several columns
        (dim,) = [d for d in ws.column_dimensions.values() if d.min <= number[header] <= d.max]
        return str(dim.number_format)

    for header in ("农户编号", "身份证号", "联系电话", "安装企业编号"):
        assert column_format(header) == "@", header
    assert column_format("安装日期") == "yyyy-mm-dd" and column_format("发票金额(元)") == "#,##0"
    assert ws.column_dimensions[letter["住址"]].width >= 30  # room for an address (CJK counts 2)
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    lists = {str(dv.sqref).split(":")[0][:-1]: dv.formula1 for dv in ws.data_validations.dataValidation}
    assert "花马池镇,惠安堡镇,大水坑镇" in lists[letter["乡镇"]]
    assert lists[letter["房屋类型"]] == '"砖房,窑洞,其他"'
    assert "空气源热泵热水机" in lists[letter["取暖方式"]] and "燃气壁挂炉" in lists[letter["取暖方式"]]
    for header in ("屋顶光伏", "自主安装", "企业已登记", "已享受补贴"):
        assert lists[letter[header]] == '"是,否"', header
    notes = [[c for c in row if c] for row in wb["说明"].iter_rows(values_only=True)]
    text = " ".join(str(c) for row in notes for c in row)
    assert "SPEC" not in text and "18位居民身份证号" in text and "空气能" in text
    assert wb.sheetnames == ["台账", "示例", "说明"]


# --------------------------------------------------------------------------------------------
# files county offices have
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig"])
def test_csv_in_gbk_gb18030_utf8(programme: Session, tmp_path: Path, encoding: str) -> None:
    path = _csv(tmp_path / "l.csv", [_row(1), _row(2, technology="壁挂炉", dwelling="窑洞")], encoding)
    assert _import(programme, path)["households_created"] == 2
    assert sorted(programme.execute(select(Installation.technology)).scalars()) == ["ashp_water", "gas_boiler"]


def test_xls_file(programme: Session, tmp_path: Path) -> None:
    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("台账")
    date = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for k, h in enumerate(HEADERS):
        ws.write(0, k, h)
    for r, row in enumerate([_row(1), _row(2)], start=1):
        for k, c in enumerate(COLUMNS):
            value = row[c.field]
            if c.field == "installed_on":
                ws.write(r, k, dt.date(2022, 6, r), date)
            else:
                ws.write(r, k, value)
    path = tmp_path / "l.xls"
    wb.save(str(path))
    assert _import(programme, path)["households_created"] == 2
    assert sorted(programme.execute(select(Installation.installed_on)).scalars()) == [dt.date(2022, 6, 1),
                                                                                     dt.date(2022, 6, 2)]


def test_title_rows_and_a_serial_column(programme: Session, tmp_path: Path) -> None:
    above = [["盐池县2022年冬季清洁取暖改造农户台账"], ["填报单位：大水坑镇人民政府"]]
    path = _xlsx(tmp_path / "t.xlsx", [_row(1), _row(2)], above=above, serial=True)
    assert _import(programme, path)["households_created"] == 2
    bad = _xlsx(tmp_path / "bad.xlsx", [_row(1), _row(2, installed_on="2022/13/1")], above=above, serial=True)
    (e,) = _errors_after(programme, bad)
    assert (e.row, e.column) == (5, "安装日期")  # the spreadsheet's own row number: 2 title rows, header on 3


def _errors_after(session: Session, path: Path) -> list[RowError]:
    with pytest.raises(LedgerImportError) as err:
        _import(session, path)
    return err.value.errors


@pytest.mark.parametrize("written", ["2022-03-01", "2022/3/1", "2022.3.1", "2022年3月1日", "20220301",
                                     dt.datetime(2022, 3, 1), dt.date(2022, 3, 1)])
def test_date_forms(programme: Session, tmp_path: Path, written: Any) -> None:
    _import(programme, _xlsx(tmp_path / "d.xlsx", [_row(1, installed_on=written)]))
    assert programme.execute(select(Installation.installed_on)).scalar_one() == dt.date(2022, 3, 1)


def test_other_dates_are_refused_naming_row_and_column(programme: Session, tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "d.xlsx", [_row(1, installed_on="3/1/2022"), _row(2, accepted_on="明年")])
    errors = _errors(programme, path)
    assert [(e.row, e.column) for e in errors] == [(2, "安装日期"), (3, "验收日期")]
    assert "2022年3月1日" in errors[0].reason


def test_method_and_dwelling_names_as_written(programme: Session, tmp_path: Path) -> None:
    names = {"空气源热泵": "ashp_water", "空气能": "ashp_water", "电暖器": "fan_heater_direct",
             "蓄热式电暖器": "storage_electric", "壁挂炉": "gas_boiler", "地源热泵": "gshp",
             "太阳能+": "solar_aux", "生物质炉": "biomass"}
    rows = [_row(k, technology=name, dwelling="土窑") for k, name in enumerate(names, start=1)]
    _import(programme, _xlsx(tmp_path / "m.xlsx", rows))
    got = programme.execute(select(Household.household_id, Installation.technology, Household.dwelling)
                            .join(Installation, Installation.household_id == Household.id)
                            .order_by(Household.household_id)).all()
    assert [(t, d) for _, t, d in got] == [(code, "cave") for code in names.values()]


def test_unknown_method_gets_the_chinese_list(programme: Session, tmp_path: Path) -> None:
    (e,) = _errors(programme, _xlsx(tmp_path / "m.xlsx", [_row(1, technology="核能供暖")]))
    assert e.column == "取暖方式" and "未知取暖方式" in e.reason
    assert "空气源热泵热水机" in e.reason and "燃气壁挂炉" in e.reason and "(gas_boiler)" in e.reason


def test_township_without_its_suffix(programme: Session, tmp_path: Path) -> None:
    _import(programme, _xlsx(tmp_path / "t.xlsx", [_row(1, township="大水坑")]))
    (e,) = _errors_after(programme, _xlsx(tmp_path / "u.xlsx", [_row(2, township="大水坑乡")]))
    assert e.column == "乡镇" and "did you mean 大水坑镇" in e.reason
    assert "花马池镇、惠安堡镇、大水坑镇、高沙窝镇、王乐井乡、青山乡、冯记沟乡、麻黄山乡" in e.reason


# --------------------------------------------------------------------------------------------
# the export
# --------------------------------------------------------------------------------------------

def test_export_is_office_ready_and_imports_back(programme: Session, tmp_path: Path) -> None:
    from cleanheat.registry.services import payments

    _import(programme, _xlsx(tmp_path / "a.xlsx", [_row(1, accepted_on="2022-07-01"), _row(2, technology="壁挂炉"),
                                                   _row(3, accepted_on="2022-07-01", technology="地源")]))
    third = programme.execute(select(Installation.id).join(Household, Installation.household_id == Household.id)
                              .where(Household.household_id == "YC-2022-100603")).scalar_one()
    assert payments.pay_accepted(session=programme, actor="财务", paid_on=dt.date(2022, 8, 1),
                                 installation_ids=[third]).paid == 1
    out = tmp_path / "export.xlsx"
    assert ledger.export_xlsx(session=programme, path=out) == 3
    ws = openpyxl.load_workbook(out)["台账"]
    header = [c.value for c in ws[1]]
    assert header[: len(HEADERS)] == HEADERS and header[len(HEADERS):] == ["补贴金额(元)", "凭证号", "发放日期", "状态"]
    col = {h: k for k, h in enumerate(header)}
    rows = [[c for c in r] for r in ws.iter_rows(min_row=2)]
    assert [r[col["取暖方式"]].value for r in rows] == ["空气源热泵热水机", "燃气壁挂炉", "地源热泵"]
    assert [r[col["状态"]].value for r in rows] == ["已验收", "待验收", "已补贴"]
    assert rows[2][col["补贴金额(元)"]].value == 5300 and rows[2][col["发放日期"]].value == dt.datetime(2022, 8, 1)
    first = rows[0]
    assert first[col["身份证号"]].value == ID_1 and first[col["身份证号"]].number_format == "@"
    assert first[col["年度"]].value == 2022 and first[col["发票金额(元)"]].number_format == "#,##0"
    assert first[col["安装日期"]].value == dt.datetime(2022, 6, 1)
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    back = _import(programme, out)
    assert back["households_unchanged"] == 3 and back["households_created"] == 0
    assert back["installations_created"] == 0 and back["acceptances_recorded"] == 0


@pytest.mark.parametrize("name", ["out.csv", "folder"])
def test_export_refuses_a_folder_or_another_suffix(programme: Session, tmp_path: Path, name: str) -> None:
    from cleanheat.errors import InputError

    target = tmp_path / name
    if name == "folder":
        target.mkdir()
    with pytest.raises(InputError, match="xlsx"):
        ledger.export_xlsx(session=programme, path=target)


def test_unknown_column_is_named_on_the_header_row(programme: Session, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["盐池县台账"])
    ws.append(HEADERS + ["备注"])
    ws.append([_row(1)[c.field] for c in COLUMNS] + ["无"])
    wb.save(tmp_path / "u.xlsx")
    (e,) = _errors(programme, tmp_path / "u.xlsx")
    assert (e.row, e.column) == (2, "备注") and "未知列" in e.reason and "取暖面积(㎡)" in e.reason
