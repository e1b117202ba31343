"""The township household ledger (台账) as a spreadsheet: template, all-or-nothing import, export.

Columns may be headed by the template's Chinese headers or by the field names of SPEC §7's
``subsidy yanchi`` input plus ``name``, ``id_number``, ``phone``, ``village`` (and the optional
``address``, ``enterprise_code``, ``year``). Every row is validated; any error and nothing changes.
Re-importing a file updates households in place (by ``household_id``) and never duplicates them or
their installations.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cleanheat.errors import InputError
from cleanheat.registry import audit
from cleanheat.registry.models import (
    Acceptance,
    Enterprise,
    Household,
    Installation,
    Payment,
    Township,
    Village,
)
from cleanheat.registry.services import households as hh_service
from cleanheat.registry.services import installations as inst_service
from cleanheat.registry.services import places
from cleanheat.registry.services.enterprises import status_book

__all__ = ["COLUMNS", "LedgerImportError", "RowError", "export_xlsx", "import_file", "read_table", "write_template"]


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    required: bool
    kind: str  # str, number, int, bool, date, code
    note: str


COLUMNS: tuple[Column, ...] = (
    Column("household_id", "农户编号", True, "str", "unique ledger id of the household, e.g. YC-2022-000123"),
    Column("township", "乡镇", True, "str", "one of the eight townships"),
    Column("village", "行政村", True, "str", "administrative village"),
    Column("name", "户主姓名", True, "str", "head of household"),
    Column("id_number", "身份证号", True, "str", "18-character resident identity number"),
    Column("phone", "联系电话", True, "str", "mobile phone"),
    Column("address", "住址", False, "str", "address (house number included)"),
    Column("heated_area_m2", "取暖面积(㎡)", True, "number", "heated area, caves included"),
    Column("dwelling", "房屋类型", True, "code", "brick 砖房 | cave 窑洞 | other 其他"),
    Column("technology", "取暖方式", True, "code", "method code of SPEC §2 (or its Chinese name)"),
    Column("with_rooftop_pv", "屋顶光伏", False, "bool", "是/否"),
    Column("installed_on", "安装日期", True, "date", "YYYY-MM-DD"),
    Column("self_install", "自主安装", True, "bool", "是/否"),
    Column("enterprise_code", "安装企业编号", False, "str", "registered enterprise code (empty for self-install)"),
    Column("enterprise_registered", "企业已登记", False, "bool", "cross-checked against the registry"),
    Column("previously_subsidised", "已享受补贴", False, "bool", "是/否"),
    Column("accepted_on", "验收日期", False, "date", "YYYY-MM-DD, empty if not yet accepted"),
    Column("invoice_cny", "发票金额(元)", True, "int", "equipment and installation invoice, CNY"),
    Column("year", "年度", False, "int", "programme year 2021–2023 (default: year installed)"),
)
BY_FIELD = {c.field: c for c in COLUMNS}
EXPORT_ONLY = ("补贴金额(元)", "凭证号", "发放日期", "paid_cny", "voucher_no", "paid_on")
"""Columns ``ledger export`` adds (the payment); an import ignores them, so an export imports back."""
BY_HEADER = {c.header: c for c in COLUMNS}

DWELLINGS = {"brick": "brick", "砖房": "brick", "cave": "cave", "窑洞": "cave", "other": "other", "其他": "other"}
TECH_NAMES = {
    "热泵热风机+电直热": "fan_heater_direct", "空气源热泵热水机": "ashp_water", "电蓄热": "storage_electric",
    "燃气壁挂炉": "gas_boiler", "地源热泵": "gshp", "太阳能+多种辅助能源": "solar_aux",
    "其他高科技节能清洁能源": "other_high_tech", "二氧化碳低温空气源热泵": "co2_ashp",
    "太阳能与地源热泵耦合跨季节蓄热": "solar_gshp_seasonal", "生物质": "biomass", "散煤炉": "coal_stove",
}
TECH_CODES = set(TECH_NAMES.values())
TRUE = {"true", "1", "yes", "y", "是", "有", "t"}
FALSE = {"false", "0", "no", "n", "否", "无", "f", ""}
ID_NUMBER = re.compile(r"^\d{17}[\dX]$")


@dataclass(frozen=True)
class RowError:
    """One problem of an imported file: spreadsheet row (header = 1), column header, reason."""

    row: int
    column: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


class LedgerImportError(InputError):
    """A ledger file with errors; nothing was imported. ``errors`` lists every one."""

    def __init__(self, path: str, errors: list[RowError]) -> None:
        self.errors = errors
        first = errors[0]
        super().__init__(
            f"{len(errors)} error(s), nothing imported; first: row {first.row}, column {first.column!r}: "
            f"{first.reason}", record=path, field=first.column,
        )


def read_table(path: Path) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of an XLSX (first sheet) or CSV (UTF-8, with or without BOM) file."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            import openpyxl

            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                ws = wb.worksheets[0]
                rows = [list(r) for r in ws.iter_rows(values_only=True)]
            finally:
                wb.close()
        elif suffix == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as fh:
                rows = [list(r) for r in csv.reader(fh)]
        else:
            raise InputError(f"{path}: expected an .xlsx or .csv file", field="file")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}", field="file") from None
    except InputError:
        raise
    except Exception as exc:  # a corrupt workbook
        raise InputError(f"cannot read {path} as a spreadsheet: {exc}", field="file") from None
    while rows and all(v in (None, "") for v in rows[-1]):
        rows.pop()
    if not rows:
        raise InputError(f"{path} is empty", field="file")
    header = ["" if h is None else str(h).strip() for h in rows[0]]
    return header, rows[1:]


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _convert(col: Column, raw: Any) -> Any:
    """Converted value, or raise ValueError with the reason."""
    text = _text(raw)
    if text == "":
        if col.required:
            raise ValueError("required, empty")
        return None
    if col.kind == "str":
        return text
    if col.kind == "number":
        try:
            v = float(text)
        except ValueError:
            raise ValueError(f"not a number: {text!r}") from None
        if v <= 0:
            raise ValueError(f"must be > 0, got {text}")
        return v
    if col.kind == "int":
        try:
            f = float(text)
        except ValueError:
            raise ValueError(f"not a whole number: {text!r}") from None
        if not f.is_integer() or f < 0:
            raise ValueError(f"must be a whole number ≥ 0, got {text}")
        return int(f)
    if col.kind == "bool":
        low = text.lower()
        if low in TRUE:
            return True
        if low in FALSE:
            return False
        raise ValueError(f"expected 是/否 (true/false), got {text!r}")
    if col.kind == "date":
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        try:
            return dt.date.fromisoformat(text.replace("/", "-"))
        except ValueError:
            raise ValueError(f"expected a date YYYY-MM-DD, got {text!r}") from None
    if col.field == "dwelling":
        if text not in DWELLINGS:
            raise ValueError(f"expected brick/cave/other (砖房/窑洞/其他), got {text!r}")
        return DWELLINGS[text]
    if col.field == "technology":
        code = TECH_NAMES.get(text, text)
        if code not in TECH_CODES:
            raise ValueError(f"unknown method {text!r}; one of {', '.join(sorted(TECH_CODES))}")
        return code
    raise AssertionError(col)  # pragma: no cover


def _validate(session: Session, header: list[str], rows: list[list[Any]]) -> tuple[list[dict[str, Any]],
                                                                               list[RowError]]:
    errors: list[RowError] = []
    cols: list[Column | None] = []
    for k, h in enumerate(header):
        col = BY_HEADER.get(h) or BY_FIELD.get(h)
        if col is None and h and h not in EXPORT_ONLY:
            errors.append(RowError(1, h, "unknown column"))
        if col is not None and col in cols:
            errors.append(RowError(1, h, f"column {col.field} appears twice"))
        cols.append(col)
        del k
    present = {c.field for c in cols if c}
    for c in COLUMNS:
        if c.required and c.field not in present:
            errors.append(RowError(1, c.header, f"required column missing (header {c.header} or {c.field})"))
    if errors:
        return [], errors
    towns = set(places.township_ids(session=session))
    ents = {code: eid for code, eid in session.execute(select(Enterprise.code, Enterprise.id))}
    book = status_book(session=session)
    seen: dict[str, int] = {}
    out: list[dict[str, Any]] = []
    for r, raw_row in enumerate(rows, start=2):
        if all(v in (None, "") for v in raw_row):
            continue
        rec: dict[str, Any] = {}
        row_errors: list[RowError] = []
        for k, col in enumerate(cols):
            if col is None:
                continue
            raw = raw_row[k] if k < len(raw_row) else None
            try:
                rec[col.field] = _convert(col, raw)
            except ValueError as exc:
                row_errors.append(RowError(r, header[k], str(exc)))
        for c in COLUMNS:
            rec.setdefault(c.field, None)

        def err(field: str, reason: str, r: int = r, sink: list[RowError] = row_errors) -> None:
            sink.append(RowError(r, _header_of(field, header), reason))

        hid = rec.get("household_id")
        if hid:
            if hid in seen:
                err("household_id", f"household {hid} appears again (first on row {seen[hid]})")
            seen.setdefault(hid, r)
        if rec.get("township") and rec["township"] not in towns:
            err("township", f"unknown township {rec['township']!r}; one of {'、'.join(sorted(towns))}")
        if rec.get("id_number") and not ID_NUMBER.match(str(rec["id_number"]).upper()):
            err("id_number", f"not an 18-character identity number: {rec['id_number']!r}")
        if rec.get("phone") and len(hh_service.normalise_phone(rec["phone"])) < 7:
            err("phone", f"not a phone number: {rec['phone']!r}")
        inst_on, acc_on = rec.get("installed_on"), rec.get("accepted_on")
        if isinstance(inst_on, dt.date) and isinstance(acc_on, dt.date) and acc_on < inst_on:
            err("accepted_on", f"accepted on {acc_on}, before installed on {inst_on}")
        code = rec.get("enterprise_code")
        if rec.get("self_install") is True and code:
            err("enterprise_code", "a self-installation has no enterprise")
        if rec.get("self_install") is False:
            if not code:
                err("enterprise_code", "an enterprise installation needs the enterprise's code")
            elif code not in ents:
                err("enterprise_code", f"unknown enterprise {code!r}")
            elif isinstance(inst_on, dt.date):
                state = book.status_on(ents[code], inst_on)
                registered = state == "registered"
                if rec.get("enterprise_registered") is not None and rec["enterprise_registered"] != registered:
                    err("enterprise_registered", f"the ledger says {rec['enterprise_registered']}, but enterprise "
                        f"{code} was {state or 'not registered'} on {inst_on}")
                if acc_on and not registered and inst_service.registration_required(inst_on):
                    err("accepted_on", f"cannot be accepted: installed on {inst_on} by {code}, which was "
                        f"{state or 'not registered'} then (盐政办发〔2022〕8号 四)")
        year = rec.get("year")
        if year is not None and year not in (2021, 2022, 2023):
            err("year", f"programme years are 2021–2023, got {year}")
        errors.extend(row_errors)
        rec["_row"] = r
        out.append(rec)
    if not out and not errors:
        errors.append(RowError(2, "", "no data rows"))
    return out, errors


def _header_of(field: str, header: list[str]) -> str:
    col = BY_FIELD[field]
    for h in header:
        if h in (col.header, col.field):
            return h
    return col.header


def import_file(*, session: Session, path: Path, actor: str) -> dict[str, Any]:
    """Import a ledger file in the session's transaction (the caller commits; any error raises first).

    Raises
    ------
    LedgerImportError
        Listing every (row, column, reason); nothing is written.
    """
    places.ensure_reference_data(session=session)
    header, rows = read_table(path)
    recs, errors = _validate(session, header, rows)
    if errors:
        raise LedgerImportError(str(path), errors)
    hh = hh_service.upsert_many(session=session, actor=actor, why=f"ledger import {path.name}", items=[
        hh_service.HouseholdIn(
            household_id=r["household_id"], name=r["name"], id_number=str(r["id_number"]).upper(), phone=r["phone"],
            township=r["township"], village=r["village"],
            address=r["address"] or f"{r['township']}{r['village']}", heated_area_m2=r["heated_area_m2"],
            dwelling=r["dwelling"], previously_subsidised=bool(r["previously_subsidised"]),
            programme_year=r["year"] or r["installed_on"].year)
        for r in recs
    ])
    ids: dict[str, int] = hh["ids"]
    ents = {code: eid for code, eid in session.execute(select(Enterprise.code, Enterprise.id))}
    existing: dict[tuple[int, str, dt.date], tuple[int, int | None]] = {
        (hpk, tech, on): (iid, acc)
        for chunk in inst_service.chunked(sorted(ids.values()))
        for iid, hpk, tech, on, acc in session.execute(
            select(Installation.id, Installation.household_id, Installation.technology, Installation.installed_on,
                   Acceptance.id).outerjoin(Acceptance, Acceptance.installation_id == Installation.id)
            .where(Installation.household_id.in_(chunk), Installation.void.is_(False)))
    }
    new_items: list[inst_service.InstallationIn] = []
    new_keys: list[tuple[int, str, dt.date]] = []
    for r in recs:
        key = (ids[r["household_id"]], r["technology"], r["installed_on"])
        if key in existing:
            continue
        new_keys.append(key)
        new_items.append(inst_service.InstallationIn(
            household_pk=key[0], technology=r["technology"], installed_on=r["installed_on"],
            invoice_cny=int(r["invoice_cny"]), self_install=bool(r["self_install"]),
            enterprise_id=ents.get(r["enterprise_code"]) if r["enterprise_code"] else None,
            with_rooftop_pv=bool(r["with_rooftop_pv"])))
    new_ids = inst_service.register_installations(session=session, items=new_items, actor=actor,
                                                  why=f"ledger import {path.name}")
    for key, iid in zip(new_keys, new_ids, strict=True):
        existing[key] = (iid, None)
    acceptances: list[inst_service.AcceptanceIn] = []
    for r in recs:
        if r["accepted_on"] is None:
            continue
        iid, acc = existing[(ids[r["household_id"]], r["technology"], r["installed_on"])]
        if acc is None:
            acceptances.append(inst_service.AcceptanceIn(iid, r["accepted_on"]))
    inst_service.accept_many(session=session, items=acceptances, actor=actor, why=f"ledger import {path.name}")
    summary = {"file": str(path), "rows": len(recs), "households_created": hh["created"],
               "households_updated": hh["updated"], "households_unchanged": hh["unchanged"],
               "installations_created": len(new_ids), "acceptances_recorded": len(acceptances)}
    audit.record(session, actor=actor, action="ledger.imported", resource=f"ledger/{path.name}", data=summary)
    return summary


def _bool_zh(v: bool | None) -> str:
    return "" if v is None else ("是" if v else "否")


def write_template(path: Path) -> None:
    """An XLSX template: Chinese headers, one example row, a sheet explaining each column."""
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "台账"
    ws.append([c.header for c in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.append(["YC-2022-000001", "花马池镇", "红井子村", "张军", "64032319851004000X", "13630889253",
               "花马池镇红井子村1号", 92.9, "砖房", "ashp_water", "否", "2022-06-08", "否", "ENT-01", "是", "否",
               "2022-08-07", 16500, 2022])
    for k, c in enumerate(COLUMNS, start=1):
        ws.column_dimensions[openpyxl.utils.get_column_letter(k)].width = max(12, len(c.header) * 2 + 4)
    notes = wb.create_sheet("说明")
    notes.append(["列", "字段", "必填", "说明"])
    for c in COLUMNS:
        notes.append([c.header, c.field, "是" if c.required else "否", c.note])
    notes.append([])
    notes.append(["取暖方式", "code"])
    for name, code in TECH_NAMES.items():
        notes.append([name, code])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def export_rows(*, session: Session) -> Iterable[list[Any]]:
    """Ledger rows (template columns + payment columns), one per household and installation."""
    stmt = (
        select(Household, Township.name, Village.name, Installation, Enterprise.code, Acceptance.accepted_on,
               Payment.total_cny, Payment.voucher_no, Payment.paid_on)
        .join(Village, Household.village_id == Village.id)
        .join(Township, Village.township_id == Township.id)
        .outerjoin(Installation, (Installation.household_id == Household.id) & Installation.void.is_(False))
        .outerjoin(Enterprise, Installation.enterprise_id == Enterprise.id)
        .outerjoin(Acceptance, Acceptance.installation_id == Installation.id)
        .outerjoin(Payment, Payment.installation_id == Installation.id)
        .where(Household.merged_into_id.is_(None))
        .order_by(Household.household_id, Installation.id)
    )
    book = status_book(session=session)
    for h, town, village, inst, ent_code, acc_on, paid, voucher, paid_on in session.execute(stmt):
        registered = (book.registered_on(inst.enterprise_id, inst.installed_on)
                      if inst is not None and inst.enterprise_id is not None else None)
        yield [
            h.household_id, town, village, h.name, h.id_number, h.phone, h.address, h.heated_area_m2,
            {"brick": "砖房", "cave": "窑洞", "other": "其他"}.get(h.dwelling, h.dwelling),
            inst.technology if inst else "", _bool_zh(inst.with_rooftop_pv) if inst else "",
            inst.installed_on if inst else None, _bool_zh(inst.self_install) if inst else "", ent_code or "",
            _bool_zh(registered), _bool_zh(h.previously_subsidised), acc_on, inst.invoice_cny if inst else None,
            h.programme_year, paid, voucher or "", paid_on,
        ]


def export_xlsx(*, session: Session, path: Path) -> int:
    """Write the whole ledger to an XLSX file in the template's layout plus payment columns; returns rows."""
    import openpyxl

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb"):  # fail early (OSError) if the file cannot be written
        pass
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("台账")
    ws.append([c.header for c in COLUMNS] + list(EXPORT_ONLY[:3]))
    n = 0
    for row in export_rows(session=session):
        ws.append(row)
        n += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return n


def write_csv(rows: list[list[Any]], header: list[str]) -> str:
    """CSV text of rows (for tests and small exports)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()
