"""The township household ledger (台账) as a spreadsheet: template, all-or-nothing import, export.

Columns may be headed by the template's Chinese headers or by the field names of the ``subsidy yanchi``
input plus ``name``, ``id_number``, ``phone``, ``village`` (and the optional ``address``,
``enterprise_code``, ``year``); a 序号 column and the export's own columns are skipped. Files are read
through :mod:`cleanheat.spreadsheets` (``.xlsx``, ``.xls``, CSV in UTF-8 or GBK; title rows above the
header; real row numbers in messages), values through :mod:`cleanheat.normalise` and the synonym tables
of :mod:`cleanheat.codes`. Every row is validated; any error and nothing changes. Re-importing a file
updates households in place (by ``household_id``) and never duplicates them or their installations.

The template has three sheets: 台账 (headers only; identity number, phone and ids formatted as text;
drop-downs), 示例 (one example row whose 农户编号 starts with 示例, refused on import) and 说明.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import gc
import io
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cleanheat import normalise, spreadsheets
from cleanheat.codes import (
    DWELLING_NAMES,
    DWELLING_SYNONYMS,
    FIELD_LABELS,
    METHOD_SYNONYMS,
    NO,
    TECHNOLOGY_NAMES,
    YES,
    Dwelling,
    Technology,
    dwelling_code,
    technology_code,
    township_name,
    yes_no,
)
from cleanheat.errors import InputError
from cleanheat.policy.rules.yanchi import TOWNSHIPS
from cleanheat.registry import audit
from cleanheat.registry.db import BULK_ROWS, refresh_statistics
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
from cleanheat.spreadsheets import IGNORED_HEADERS, Sheet, header_key
from cleanheat.spreadsheets import Column as SheetColumn

__all__ = ["COLUMNS", "LedgerImportError", "RowError", "export_xlsx", "import_file", "read_table", "write_template"]


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    required: bool
    kind: str  # str, ident, township, id_number, phone, number, int, bool, date, code
    note: str


_L = FIELD_LABELS
COLUMNS: tuple[Column, ...] = (
    Column("household_id", _L["household_id"], True, "ident",
           "农户唯一编号，如 YC-2022-000123 (unique ledger id of the household)"),
    Column("township", _L["township"], True, "township", "八个乡镇之一：" + "、".join(TOWNSHIPS) + " (township)"),
    Column("village", _L["village"], True, "str", "行政村名称 (administrative village)"),
    Column("name", _L["name"], True, "str", "户主姓名 (head of household)"),
    Column("id_number", _L["id_number"], True, "id_number",
           "18位居民身份证号，末位可为X；本列为文本格式，请勿改为数字 (18-character identity number, kept as text)"),
    Column("phone", _L["phone"], True, "phone", "手机号或带区号的座机号 (mobile, or landline with area code)"),
    Column("address", _L["address"], False, "str", "住址，含门牌号；不填则为乡镇+行政村 (address with house number)"),
    Column("heated_area_m2", _L["heated_area_m2"], True, "number",
           "取暖面积（平方米，窑洞计入），如 80 或 80㎡ (heated area in m², caves included)"),
    Column("dwelling", _L["dwelling"], True, "code", "砖房 / 窑洞 / 其他 (brick / cave / other)"),
    Column("technology", _L["technology"], True, "code",
           "取暖方式，填下表中的名称或代码 (heating method: a name or code of the table below)"),
    Column("with_rooftop_pv", _L["with_rooftop_pv"], False, "bool", "是/否：同时安装屋顶光伏 (rooftop PV)"),
    Column("installed_on", _L["installed_on"], True, "date",
           "安装日期，如 2022-03-01、2022/3/1、2022年3月1日 (installation date)"),
    Column("self_install", _L["self_install"], True, "bool", "是/否：农户自主安装 (self-installed)"),
    Column("enterprise_code", _L["enterprise_code"], False, "ident",
           "已登记安装企业的编号，自主安装不填 (registered enterprise code; empty for self-install)"),
    Column("enterprise_registered", _L["enterprise_registered"], False, "bool",
           "是/否：安装时企业已登记，导入时与企业登记簿核对 (checked against the enterprise register)"),
    Column("previously_subsidised", _L["previously_subsidised"], False, "bool",
           "是/否：已享受过清洁取暖补贴 (already had a clean-heating subsidy)"),
    Column("accepted_on", _L["accepted_on"], False, "date", "验收日期，未验收不填 (acceptance date; empty if not yet)"),
    Column("invoice_cny", _L["invoice_cny"], True, "int",
           "设备购置及安装发票金额（元），如 16500 或 16,500元 (invoice, CNY)"),
    Column("year", _L["year"], False, "int",
           "计划年度 2021–2023，不填为安装年份 (programme year; default: year installed)"),
)
BY_FIELD = {c.field: c for c in COLUMNS}
EXPORT_ONLY = (_L["paid_cny"], _L["voucher_no"], _L["paid_on"], _L["status"], "paid_cny", "voucher_no", "paid_on",
               "status")
"""Columns ``ledger export`` adds (the payment, the state); an import ignores them, so an export imports back."""
EXPORT_HEADERS = (_L["paid_cny"], _L["voucher_no"], _L["paid_on"], _L["status"])
BY_HEADER = {header_key(c.header): c for c in COLUMNS}
IGNORED = {header_key(h) for h in EXPORT_ONLY} | set(IGNORED_HEADERS)
"""Header keys an import skips: the export's own columns and a 序号 (row number) column."""
LEDGER_SHEET = "台账"
EXAMPLE_SHEET = "示例"
EXAMPLE_MARK = "示例"
"""The template's example row is on its own sheet and its 农户编号 starts with 示例: an import refuses it."""

TECH_NAMES = {name: str(code) for code, name in TECHNOLOGY_NAMES.items()}
"""The plan's name of each method → code (every synonym: :data:`cleanheat.codes.METHOD_SYNONYMS`)."""
TECH_CODES = set(TECH_NAMES.values())


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


class HeaderRow(list[str]):
    """The header texts of a ledger file, with ``row``, the header's spreadsheet row number."""

    row: int = 1


def read_table(path: Path) -> tuple[HeaderRow, list[tuple[int, list[Any]]]]:
    """Header and data rows of a ledger file (XLSX, XLS, CSV in UTF-8 or GBK; see :mod:`cleanheat.spreadsheets`).

    The sheet 台账 is read if present, else the first sheet; the header row is found below any title
    rows; each data row comes with its spreadsheet row number, empty rows left out.
    """
    known = [c.header for c in COLUMNS] + [c.field for c in COLUMNS]
    table = spreadsheets.read_table(path, known_headers=known, prefer_sheets=(LEDGER_SHEET,))
    header = HeaderRow(table.labels)
    header.row = table.header_row
    return header, table.rows


def _text(v: Any) -> str:
    return normalise.text(v)


def _convert_column(col: Column, cells: list[Any]) -> tuple[list[Any], list[tuple[int, str]]]:
    """The converted cells of one column (``None`` where a cell is bad) and the bad ones as (index, reason).

    Each distinct cell is converted once (a cell is the same as another only if of the same type: ``1``,
    ``1.0`` and ``True`` are three): a ledger's townships, methods, dates, flags, amounts, villages and
    enterprises repeat down the column; identity numbers and phones do not, and cost a look-up more.
    """
    try:
        keys: list[Any] = cells if _one_kind_of_number(cells) else [(c.__class__, c) for c in cells]
        distinct = dict.fromkeys(keys)
    except TypeError:  # an unhashable cell (no reader gives one): each converted on its own
        keys = list(range(len(cells)))
        distinct = dict.fromkeys(keys)
        cells_of = dict(zip(keys, cells, strict=True))
    else:
        cells_of = {k: (k if keys is cells else k[1]) for k in distinct}
    done: dict[Any, tuple[bool, Any]] = {}
    for key in distinct:
        try:
            done[key] = (True, _convert_one(col, cells_of[key]))
        except ValueError as exc:
            done[key] = (False, str(exc))
    if all(ok for ok, _ in done.values()):
        value_of = {k: v for k, (_, v) in done.items()}
        return list(map(value_of.__getitem__, keys)), []
    results = [done[k] for k in keys]
    return ([v if ok else None for ok, v in results],
            [(i, v) for i, (ok, v) in enumerate(results) if not ok])


def _one_kind_of_number(cells: list[Any]) -> bool:
    """Whether the cells hold at most one type of number, so that equal cells are cells of one type
    (``True == 1 == 1.0``, but a text, a date and ``None`` equal only their own kind)."""
    kinds = set(map(type, cells))
    return len([k for k in kinds if issubclass(k, int | float | Decimal)]) <= 1


def _convert_one(col: Column, raw: Any) -> Any:
    text = _text(raw)
    if text == "":
        if col.required:
            raise ValueError("必填，为空 required, empty")
        return None
    if col.kind == "str":
        return " ".join(text.split())
    if col.kind == "ident":
        ident = normalise.identifier(raw)
        if col.field == "household_id" and ident.startswith(EXAMPLE_MARK):
            raise ValueError(f"模板示例行，不是农户：请删除此行 the template's example row ({ident}), not a household: "
                             "delete it")
        return ident
    if col.kind == "township":
        return township_name(text, TOWNSHIPS)
    if col.kind == "id_number":
        return normalise.id_number(raw)
    if col.kind == "phone":
        return normalise.phone(raw)
    if col.kind == "number":
        v = normalise.amount(raw, unit="m2" if col.field.endswith("_m2") else None)
        if v <= 0:
            raise ValueError(f"应大于0 must be > 0, got {text}")
        return float(v)
    if col.kind == "int":
        v = normalise.amount(raw, unit="cny" if col.field.endswith("_cny") else None)
        if not float(v).is_integer() or v < 0:
            raise ValueError(f"应为非负整数 must be a whole number ≥ 0, got {text}")
        return int(v)
    if col.kind == "bool":
        return yes_no(raw)
    if col.kind == "date":
        return normalise.parse_date(raw)
    if col.field == "dwelling":
        return dwelling_code(text).value
    if col.field == "technology":
        return technology_code(text).value
    raise AssertionError(col)  # pragma: no cover


def _columns(header: list[str]) -> tuple[list[Column | None], list[RowError]]:
    """The column of each header cell (None: skipped) and the header's errors (unknown, twice, missing)."""
    row = getattr(header, "row", 1)
    errors: list[RowError] = []
    cols: list[Column | None] = []
    for h in header:
        key = header_key(h)
        col = BY_HEADER.get(key) or BY_FIELD.get(key)
        if col is None and key and key.lower() not in IGNORED and key not in IGNORED:
            errors.append(RowError(row, h, f"未知列 unknown column; 可用的列 columns: "
                                   f"{'、'.join(c.header for c in COLUMNS)} (or their field names; 序号 is skipped)"))
        if col is not None and col in cols:
            errors.append(RowError(row, h, f"列重复 column {col.header} ({col.field}) appears twice"))
        cols.append(col)
    present = {c.field for c in cols if c}
    for c in COLUMNS:
        if c.required and c.field not in present:
            errors.append(RowError(row, c.header, f"缺少必填列 required column missing (header {c.header} or "
                                   f"{c.field})"))
    return cols, errors


def _validate(session: Session, header: list[str], rows: list[tuple[int, list[Any]]]
              ) -> tuple[list[dict[str, Any]], list[RowError]]:
    cols, errors = _columns(header)
    if errors:
        return [], errors
    towns = set(places.township_ids(session=session))
    ents = {code: eid for code, eid in session.execute(select(Enterprise.code, Enterprise.id))}
    book = status_book(session=session)
    seen: dict[str, int] = {}
    years = places.programme_years()
    data = [(r, raw_row) for r, raw_row in rows if not all(v in (None, "") for v in raw_row)]
    fields: list[str] = []
    columns: list[list[Any]] = []
    cell_errors: dict[int, list[RowError]] = {}
    width = len(cols)  # rows padded to the header's width; cells beyond it (no header) are left out
    padded = (raw_row if len(raw_row) >= width else [*raw_row, *[None] * (width - len(raw_row))] for _, raw_row in data)
    by_column = list(zip(*padded, strict=False)) if data else [() for _ in cols]
    for k, col in enumerate(cols):
        if col is None:
            continue
        values, bad = _convert_column(col, list(by_column[k]))
        fields.append(col.field)
        columns.append(values)
        for i, reason in bad:
            cell_errors.setdefault(i, []).append(RowError(data[i][0], header[k], reason))
    absent = [c.field for c in COLUMNS if c.field not in fields]
    out: list[dict[str, Any]] = []
    for i, ((r, _raw_row), converted) in enumerate(zip(data, zip(*columns, strict=True), strict=True)):
        rec: dict[str, Any] = dict(zip(fields, converted, strict=True))
        for f in absent:
            rec[f] = None
        row_errors: list[RowError] = cell_errors.get(i, [])

        def err(field: str, reason: str, r: int = r, sink: list[RowError] = row_errors) -> None:
            sink.append(RowError(r, _header_of(field, header), reason))

        hid = rec.get("household_id")
        if hid:
            if hid in seen:
                err("household_id", f"household {hid} appears again (first on row {seen[hid]})")
            seen.setdefault(hid, r)
        if rec.get("township") and rec["township"] not in towns:
            err("township", f"unknown township {rec['township']!r}; one of {'、'.join(sorted(towns))}")
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
        if year is not None and year not in years:
            err("year", f"programme years are {years[0]}–{years[-1]}, got {year}")
        errors.extend(row_errors)
        rec["_row"] = r
        out.append(rec)
    if not out and not errors:
        errors.append(RowError(getattr(header, "row", 1) + 1, "", "没有数据行 no data rows"))
    return out, errors


def _header_of(field: str, header: list[str]) -> str:
    col = BY_FIELD[field]
    for h in header:
        if header_key(h) in (header_key(col.header), col.field):
            return h
    return col.header


IMPORT_STEPS = 6
"""Steps an import reports to its ``progress`` callback: read, check rows, compare with the registry,
write households, write installations and acceptances, programme checks."""
_PAYMENT_COLUMNS = {header_key(h): f for h, f in (
    (_L["paid_cny"], "paid_cny"), ("paid_cny", "paid_cny"), (_L["voucher_no"], "voucher_no"),
    ("voucher_no", "voucher_no"), (_L["paid_on"], "paid_on"), ("paid_on", "paid_on"))}
"""Export-only payment columns, compared with the registry on import (never applied)."""


@dataclass
class _Plan:
    """What an import would write, found before anything is written."""

    errors: list[RowError]
    warnings: list[RowError]
    new_households: list[hh_service.HouseholdIn]
    household_updates: list[tuple[hh_service.HouseholdState, hh_service.Change]]
    recommit_households: list[int]
    new_installations: list[dict[str, Any]]
    installation_updates: list[tuple[inst_service.LiveInstallation, hh_service.Change, str]]
    new_acceptances: list[tuple[str, int | None, dt.date]]
    acceptance_changes: list[tuple[inst_service.LiveInstallation, dt.date, str]]
    unchanged: int = 0


def _plain(v: Any) -> str:
    """A cell or a stored value as comparable text: ``5300.0`` → ``5300``, a date as ISO."""
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and math.isfinite(v) and v.is_integer():
        return str(int(v))
    text = unicodedata.normalize("NFKC", str(v)).strip().replace(",", "")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[ T]00:00(:00)?", text):
        return text[:10]
    if re.fullmatch(r"\d+\.0+", text):
        return text.split(".")[0]
    return text


def _row_warnings(recs: list[dict[str, Any]], header: list[str]) -> list[RowError]:
    """Rows of one file that share an identity number under different household ids."""
    out: list[RowError] = []
    first: dict[str, tuple[int, str]] = {}
    for r in recs:
        idn = str(r["id_number"]).upper()
        if idn in first and first[idn][1] != r["household_id"]:
            row, other = first[idn]
            out.append(RowError(r["_row"], _header_of("id_number", header),
                                f"同一身份证号 same identity number as row {row} (household {other}): one household "
                                "twice? (`cleanheat duplicates list`)"))
        first.setdefault(idn, (r["_row"], r["household_id"]))
    return out


def _plan(session: Session, header: list[str], rows: list[tuple[int, list[Any]]],
          recs: list[dict[str, Any]]) -> _Plan:
    """Compare the checked rows with the registry: what to create, what to correct, what to refuse."""
    plan = _Plan([], _row_warnings(recs, header), [], [], [], [], [], [], [])
    col = {f: _header_of(f, header) for f in BY_FIELD}
    stored = hh_service.states(session=session, household_ids=[r["household_id"] for r in recs])
    lives = inst_service.live_installations(session=session, household_pks=[st.pk for st in stored.values()])
    book = status_book(session=session)
    ent_ids = {code: eid for code, eid in session.execute(select(Enterprise.code, Enterprise.id))}
    pay_cols = [(k, _PAYMENT_COLUMNS[header_key(h)], h) for k, h in enumerate(header)
                if header_key(h) in _PAYMENT_COLUMNS]
    raw_rows = dict(rows)
    new_ids: dict[str, str] = {}
    for r in recs:
        row, code = r["_row"], r["household_id"]

        def err(field: str, reason: str, row: int = row) -> None:
            plan.errors.append(RowError(row, col[field], reason))

        area = r["heated_area_m2"]
        if isinstance(area, float) and not math.isfinite(area):
            err("heated_area_m2", f"not a finite number: {area}")
            continue
        st = stored.get(code)
        mine = lives.get(st.pk, []) if st else []
        li: inst_service.LiveInstallation | None = None
        if len(mine) == 1:
            li = mine[0]
        elif len(mine) > 1:
            same = [x for x in mine if (x.technology, x.installed_on) == (r["technology"], r["installed_on"])]
            if len(same) != 1:
                err("technology", f"household {code} holds {len(mine)} live installations "
                    f"({', '.join(str(x.id) for x in mine)}); void the wrong ones (`cleanheat void`) before "
                    "re-importing")
                continue
            li = same[0]
        for pos, field, h in pay_cols:
            cells = raw_rows.get(row, [])
            got = _plain(cells[pos] if pos < len(cells) else None)
            have = _plain(getattr(li, field)) if li is not None else ""
            if got != have:
                plan.warnings.append(RowError(row, h, f"未导入 ignored: the registry holds {have or '(none)'}; a "
                                              "payment is made by `pay`, reversed only by an audited recovery (追回)"))
        values = {"name": r["name"], "id_number": str(r["id_number"]).upper(), "phone": r["phone"],
                  "township": r["township"], "village": r["village"], "address": r["address"],
                  "heated_area_m2": float(area), "dwelling": r["dwelling"],
                  "previously_subsidised": r["previously_subsidised"], "programme_year": r["year"]}
        if st is None:
            values["address"] = values["address"] or f"{r['township']}{r['village']}"
            values["previously_subsidised"] = bool(values["previously_subsidised"])
            values["programme_year"] = values["programme_year"] or r["installed_on"].year
            plan.new_households.append(hh_service.HouseholdIn(household_id=code, **values))
            new_ids[values["id_number"]] = code
        else:
            if st.merged_into_id is not None:
                err("household_id", f"household {code} was merged into another record; import that one instead")
                continue
            for k in ("address", "previously_subsidised", "programme_year"):
                if values[k] is None:  # an empty optional cell keeps what is stored
                    values.pop(k)
            change = hh_service.diff(st, values)
            accepted = any(x.acceptance_id is not None for x in mine)
            paid = any(x.payment_id is not None for x in mine)
            refused = [k for k in change if k in hh_service.PROTECTED_FIELDS
                       or (paid and k in hh_service.DECISION_FIELDS)] if (accepted or paid) else []
            for k in refused:
                old, new = change[k]
                held = "已发放补贴，导入不予修改 paid" if paid else "已验收，导入不予修改 accepted"
                err(k, f"{held}, not changed by an import: household {code}: a re-import does not "
                    f"change {col[k]} ({old} → {new}); amend it on purpose with `cleanheat household amend "
                    f"{code} --set {k}=… --why …`" + (" (after reversing the payment 追回)" if paid else ""))
            if refused:
                continue
            if change:
                plan.household_updates.append((st, change))
                if set(change) & set(hh_service.DECISION_FIELDS):
                    plan.recommit_households.append(st.pk)
            else:
                plan.unchanged += 1
        # the installation of the row
        self_install = bool(r["self_install"])
        wanted = {"technology": r["technology"], "installed_on": r["installed_on"],
                  "invoice_cny": int(r["invoice_cny"]), "self_install": self_install,
                  "enterprise_code": None if self_install else r["enterprise_code"],
                  "with_rooftop_pv": r["with_rooftop_pv"]}
        if li is None:
            wanted["with_rooftop_pv"] = bool(wanted["with_rooftop_pv"])
            plan.new_installations.append({"household_id": code, **wanted})
            if r["accepted_on"] is not None:
                plan.new_acceptances.append((code, None, r["accepted_on"]))
            continue
        if wanted["with_rooftop_pv"] is None:
            wanted.pop("with_rooftop_pv")
        ich = {k: (getattr(li, k), v) for k, v in wanted.items() if getattr(li, k) != v}
        acc_new = r["accepted_on"]
        acc_changed = acc_new is not None and li.accepted_on is not None and acc_new != li.accepted_on
        if li.payment_id is not None:
            for k, (old, new) in ich.items():
                err(k, f"已发放补贴，导入不予修改 paid, not changed by an import: installation {li.id} of household "
                    f"{code} was paid {li.paid_cny:,} CNY (voucher "
                    f"{li.voucher_no}): {col[k]} stays {old} (the file says {new}); a paid subsidy is reversed only "
                    "by an audited recovery (追回)")
            if acc_changed:
                err("accepted_on", f"已发放补贴，导入不予修改 paid, not changed by an import: installation {li.id} "
                    f"of household {code}: 验收日期 stays "
                    f"{li.accepted_on} (the file says {acc_new})")
            if ich or acc_changed:
                continue
        if li.acceptance_id is not None and "technology" in ich:
            old, new = ich["technology"]
            err("technology", f"已验收，导入不予修改 accepted, not changed by an import: installation {li.id} of "
                f"household {code}: a re-import does not "
                f"change its method ({old} → {new}); amend it on purpose with `cleanheat household amend {code} "
                "--set technology=… --why …`")
            continue
        accepted_on = acc_new or li.accepted_on
        if accepted_on is not None and not self_install and ("enterprise_code" in ich or "installed_on" in ich):
            code_e, inst_on = wanted["enterprise_code"], wanted["installed_on"]
            eid = ent_ids.get(code_e) if code_e else None
            if eid is not None and inst_service.registration_required(inst_on):
                state = book.status_on(eid, inst_on)
                if state != "registered":
                    err("enterprise_code", f"installation {li.id} is accepted, but enterprise {code_e} was "
                        f"{state or 'not registered'} on {inst_on} (盐政办发〔2022〕8号 四)")
                    continue
        if accepted_on is not None and accepted_on < wanted["installed_on"]:
            err("accepted_on", f"accepted on {accepted_on}, before installed on {wanted['installed_on']}")
            continue
        if ich:
            plan.installation_updates.append((li, ich, code))
        if acc_new is not None and li.acceptance_id is None:
            plan.new_acceptances.append((code, li.id, acc_new))
        elif acc_changed:
            plan.acceptance_changes.append((li, acc_new, code))
        elif acc_new is None and li.accepted_on is not None:
            plan.warnings.append(RowError(row, col["accepted_on"], f"empty; the acceptance of {li.accepted_on} in "
                                          "the registry is kept (an empty cell does not withdraw it)"))
    if new_ids:
        for chunk in _chunks(sorted(new_ids), 5000):
            for idn, other in session.execute(select(Household.id_number, Household.household_id)
                                              .where(Household.id_number.in_(chunk),
                                                     Household.merged_into_id.is_(None))):
                row = next(r["_row"] for r in recs if r["household_id"] == new_ids[idn])
                plan.warnings.append(RowError(row, col["id_number"], f"同一身份证号 same identity number as household "
                                              f"{other} in the registry: one household twice? (`cleanheat duplicates "
                                              "list`)"))
    plan.warnings.sort(key=lambda w: (w.row, w.column))
    return plan


def _chunks(values: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _programme_warnings(session: Session, towns: set[str]) -> list[RowError]:
    """After an import: townships and years with more households than their target (附件1), and envelopes
    whose commitments and payments exceed their cap (二(一))."""
    from cleanheat.registry.services.payments import envelope_spending

    out: list[RowError] = []
    counts = session.execute(
        select(Township.name, Household.programme_year, func.count())
        .join(Village, Household.village_id == Village.id).join(Township, Village.township_id == Township.id)
        .where(Household.merged_into_id.is_(None), Township.name.in_(sorted(towns)))
        .group_by(Township.name, Household.programme_year)).all()
    plan = places.targets()
    for town, year, n in sorted(counts, key=lambda x: (x[0], x[1] or 0)):
        target = plan.get((town, year)) if year is not None else None
        if target is not None and n > target:
            out.append(RowError(0, "乡镇", f"{town} {year}年: {n:,} 户 households in the registry, target 目标 "
                                f"{target:,} (盐政办发〔2022〕8号 附件1)"))
    for source, v in envelope_spending(session=session).items():
        if source in ("central", "county") and v["left_after_commitments_cny"] < 0:
            out.append(RowError(0, "", f"{source} envelope 资金: paid {v['paid_cny']:,} + committed "
                                f"{v['committed_cny']:,} CNY exceed the cap {v['cap_cny']:,} CNY by "
                                f"{-v['left_after_commitments_cny']:,} (盐政办发〔2022〕8号 二(一))"))
    return out


def import_file(*, session: Session, path: Path, actor: str,
                progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Import a ledger file in the session's transaction (the caller commits; any error raises first).

    A row of a new household creates it and its installation (and acceptance). A row of a stored one
    corrects it where that is safe, each change audited with old and new values:

    - household fields are updated; once the household holds an accepted or paid installation its
      township, village and heated area are not (nor, once paid, its dwelling or earlier subsidy): such
      a row is an error naming row and column, and :func:`~cleanheat.registry.services.households.amend`
      is the audited path;
    - the household's single live installation is corrected in place (method, install date, invoice,
      installer, rooftop PV; a second installation is never created), its acceptance recorded or its
      date corrected, and its commitments follow; once paid, any such difference is an error (a paid
      subsidy is reversed only by an audited recovery, 追回); once accepted, so is a change of method;
    - an empty optional cell keeps the stored value.

    What the import reads but does not apply is returned in ``warnings`` (row, column, reason): the
    export's payment columns when they differ from the registry, an empty acceptance date of an
    accepted installation, two rows or a new row and a stored household with one identity number, a
    township and year over its target, an envelope over its cap.

    ``progress(done, total)`` is called after each of :data:`IMPORT_STEPS` steps.

    Raises
    ------
    LedgerImportError
        Listing every (row, column, reason); nothing is written.
    """
    with _gc_paused():
        return _import_file(session=session, path=path, actor=actor, progress=progress)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector during an import.

    An import holds a few hundred thousand rows, values and audit entries at once, all acyclic; each
    collection walked all of them (about 20 % of a 27,000-row import). What cycles SQLAlchemy makes are
    collected once the collector runs again.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _import_file(*, session: Session, path: Path, actor: str,
                 progress: Callable[[int, int], None] | None) -> dict[str, Any]:
    """:func:`import_file`, with the collector paused."""
    def step(k: int) -> None:
        if progress is not None:
            progress(k, IMPORT_STEPS)

    places.ensure_reference_data(session=session)
    header, rows = read_table(path)
    step(1)
    recs, errors = _validate(session, header, rows)
    if errors:
        raise LedgerImportError(str(path), errors)
    step(2)
    plan = _plan(session, header, rows, recs)
    if plan.errors:
        raise LedgerImportError(str(path), plan.errors)
    step(3)
    why = f"ledger import {path.name}"
    ids = {st.household_id: st.pk for st, _ in plan.household_updates}
    ids.update(hh_service.create_many(session=session, items=plan.new_households, actor=actor, why=why))
    hh_service.update_many(session=session, updates=plan.household_updates, actor=actor, why=why)
    step(4)
    inst_service.update_many(session=session, updates=plan.installation_updates, actor=actor, why=why)
    if plan.recommit_households:
        recommit_ids = [li.id for lst in inst_service.live_installations(
            session=session, household_pks=plan.recommit_households).values() for li in lst]
        inst_service.recommit(session=session, installation_ids=recommit_ids, actor=actor, why=why)
    ents = {code: eid for code, eid in session.execute(select(Enterprise.code, Enterprise.id))}
    hpk = dict(ids)
    missing = [it["household_id"] for it in plan.new_installations if it["household_id"] not in hpk]
    hpk.update({c: st.pk for c, st in hh_service.states(session=session, household_ids=missing).items()})
    new_iids = inst_service.register_installations(session=session, actor=actor, why=why, items=[
        inst_service.InstallationIn(
            household_pk=hpk[it["household_id"]], technology=it["technology"], installed_on=it["installed_on"],
            invoice_cny=it["invoice_cny"], self_install=it["self_install"],
            enterprise_id=ents[it["enterprise_code"]] if it["enterprise_code"] else None,
            with_rooftop_pv=it["with_rooftop_pv"])
        for it in plan.new_installations])
    iid_of = {it["household_id"]: iid for it, iid in zip(plan.new_installations, new_iids, strict=True)}
    acceptances = [inst_service.AcceptanceIn(iid if iid is not None else iid_of[code], on)
                   for code, iid, on in plan.new_acceptances]
    inst_service.accept_many(session=session, items=acceptances, actor=actor, why=why)
    inst_service.change_acceptance_dates(session=session, items=plan.acceptance_changes, actor=actor, why=why)
    step(5)
    warnings = plan.warnings + _programme_warnings(session, {r["township"] for r in recs})
    step(6)
    summary: dict[str, Any] = {
        "file": str(path), "rows": len(recs), "households_created": len(plan.new_households),
        "households_updated": len(plan.household_updates), "households_unchanged": plan.unchanged,
        "installations_created": len(new_iids), "installations_updated": len(plan.installation_updates),
        "acceptances_recorded": len(acceptances), "acceptances_corrected": len(plan.acceptance_changes),
    }
    audit.record(session, actor=actor, action="ledger.imported", resource=f"ledger/{path.name}",
                 data={**summary, "warnings": len(warnings)})
    if len(recs) >= BULK_ROWS:
        refresh_statistics(session, ["household", "installation", "acceptance", "fund_ledger", "audit_event"])
    return {**summary, "warnings": [w.as_dict() for w in warnings]}


def _bool_zh(v: bool | None) -> str:
    return "" if v is None else ("是" if v else "否")


_KINDS = {"str": "general", "ident": "text", "township": "general", "id_number": "text", "phone": "text",
          "number": "number", "int": "money", "bool": "general", "date": "date", "code": "general"}
"""The spreadsheet column kind of each ledger column kind: identity numbers, phones and ids as text."""
_CHOICES: dict[str, tuple[str, ...]] = {
    "township": TOWNSHIPS,
    "dwelling": tuple(DWELLING_NAMES.values()),
    "technology": tuple(TECHNOLOGY_NAMES.values()),
}


_TEMPLATE_WIDTHS = {"household_id": 18, "township": 12, "village": 14, "name": 12, "id_number": 22, "phone": 16,
                    "address": 36, "dwelling": 12, "technology": 30, "installed_on": 14, "enterprise_code": 16,
                    "accepted_on": 14, "invoice_cny": 16}
"""Column widths of the empty template (display width, a CJK character counts 2): room for the values."""


def _sheet_columns(*, template: bool) -> list[SheetColumn]:
    """The ledger's columns for a workbook; the template's with drop-downs and widths for the values to come."""
    out = []
    for c in COLUMNS:
        kind = "year" if c.field == "year" else _KINDS[c.kind]
        pick: tuple[str, ...] = ("是", "否") if c.kind == "bool" else _CHOICES.get(c.field, ())
        out.append(SheetColumn(c.header, kind, choices=pick if template else (),
                               width=_TEMPLATE_WIDTHS.get(c.field) if template else None))
    return out


EXAMPLE_ROW = (f"{EXAMPLE_MARK}-YC-2022-000001", "花马池镇", "红井子村", "张军（示例）", "64032319851004000X",
               "13630889253", "花马池镇红井子村1号", 92.9, "砖房", TECHNOLOGY_NAMES[Technology.ASHP_WATER], "否",
               dt.date(2022, 6, 8), "否", "ENT-01", "是", "否", dt.date(2022, 8, 7), 16500, 2022)
"""The template's example (sheet 示例): its 农户编号 starts with 示例, which an import refuses."""


def write_template(path: Path) -> None:
    """An XLSX template: sheet 台账 with the Chinese headers and nothing else, identity number, phone and
    ids formatted as text, drop-downs for 乡镇, 房屋类型, 取暖方式 and 是/否; sheet 示例 with one example
    row (refused if it is ever imported); sheet 说明 explaining each column and the method names.

    Raises
    ------
    InputError
        ``path`` is a folder, does not end in ``.xlsx``, or cannot be written.
    """
    ledger = Sheet(LEDGER_SHEET, _sheet_columns(template=True), [], blank_rows=2000)
    example = Sheet(EXAMPLE_SHEET, _sheet_columns(template=False), [list(EXAMPLE_ROW)],
                    notes=["示例行仅供参考，请在「台账」表中填写；导入时编号以「示例」开头的行会被拒绝。",
                           "This row only shows the format: fill in the sheet 台账; a row whose 农户编号 starts "
                           "with 示例 is refused on import."])
    notes_rows: list[list[Any]] = [[c.header, c.field, "是" if c.required else "否", c.note] for c in COLUMNS]
    notes_rows.append([])
    notes_rows.append(["取暖方式 heating method", "代码 code", "", "也可填写 also accepted"])
    synonyms: dict[Technology, list[str]] = {t: [] for t in Technology}
    for name, code in METHOD_SYNONYMS.items():
        synonyms[code].append(name)
    for key, name in TECHNOLOGY_NAMES.items():
        tech = Technology(key)
        extra = "、".join(synonyms[tech]) + ("、以「太阳能+」开头的名称" if tech is Technology.SOLAR_AUX else "")
        notes_rows.append([name, str(tech), "", extra])
    notes_rows.append([])
    notes_rows.append(["房屋类型 dwelling", "代码 code", "", "也可填写 also accepted"])
    dwelling_syn: dict[Dwelling, list[str]] = {d: [] for d in Dwelling}
    for name, d in DWELLING_SYNONYMS.items():
        dwelling_syn[d].append(name)
    for key, name in DWELLING_NAMES.items():
        notes_rows.append([name, key, "", "、".join(dwelling_syn[Dwelling(key)])])
    notes_rows.append([])
    notes_rows.append(["是/否 yes/no", "", "", f"是：{'、'.join(YES)}；否：{'、'.join(NO)}"])
    notes_rows.append(["日期 dates", "", "", normalise.DATE_FORMS_SHOWN + "，或 Excel 日期单元格 (or a date cell)"])
    notes_rows.append(["乡镇 township", "", "",
                       "可省略「镇」「乡」，如 大水坑 = 大水坑镇 (the suffix may be left out)"])
    notes_rows.append(["序号", "", "", "可有序号列，导入时忽略 (a row-number column is skipped)"])
    notes = Sheet("说明", [SheetColumn("列 column"), SheetColumn("字段 field"), SheetColumn("必填 required"),
                          SheetColumn("说明 notes", width=80)], notes_rows, freeze=False)
    spreadsheets.write_workbook(path, [ledger, example, notes])


STATUS_LABELS = {"paid": "已补贴", "accepted": "已验收", "failed": "验收不合格", "pending": "待验收",
                 "none": "未安装"}
"""The 状态 column of the export: the state from the installation, acceptance and payment (the words of
``household show``; the export runs no rules, so an accepted household is 已验收, paid or not payable
being for ``household show`` and ``pay --dry-run`` to say)."""


def export_rows(*, session: Session) -> Iterable[list[Any]]:
    """Ledger rows (template columns + payment columns + 状态), one per household and installation.

    Only a standing payment shows (a recovered one, 追回, does not), so a repaid installation is one row."""
    from cleanheat.registry.services.payments import standing

    stmt = (
        select(Household, Township.name, Village.name, Installation, Enterprise.code, Acceptance.accepted_on,
               Acceptance.heating_effect_reached, Payment.total_cny, Payment.voucher_no, Payment.paid_on)
        .join(Village, Household.village_id == Village.id)
        .join(Township, Village.township_id == Township.id)
        .outerjoin(Installation, (Installation.household_id == Household.id) & Installation.void.is_(False))
        .outerjoin(Enterprise, Installation.enterprise_id == Enterprise.id)
        .outerjoin(Acceptance, Acceptance.installation_id == Installation.id)
        .outerjoin(Payment, (Payment.installation_id == Installation.id) & standing())
        .where(Household.merged_into_id.is_(None))
        .order_by(Household.household_id, Installation.id)
    )
    book = status_book(session=session)
    dwellings = {str(d): n for d, n in DWELLING_NAMES.items()}
    methods = {str(t): n for t, n in TECHNOLOGY_NAMES.items()}
    for h, town, village, inst, ent_code, acc_on, effect, paid, voucher, paid_on in session.execute(stmt):
        registered = (book.registered_on(inst.enterprise_id, inst.installed_on)
                      if inst is not None and inst.enterprise_id is not None else None)
        state = ("none" if inst is None else "paid" if paid is not None else "pending" if acc_on is None
                 else "accepted" if effect is not False else "failed")
        yield [
            h.household_id, town, village, h.name, h.id_number, h.phone, h.address, h.heated_area_m2,
            dwellings.get(h.dwelling, h.dwelling),
            methods.get(inst.technology, inst.technology) if inst else "",
            _bool_zh(inst.with_rooftop_pv) if inst else "",
            inst.installed_on if inst else None, _bool_zh(inst.self_install) if inst else "", ent_code or "",
            _bool_zh(registered), _bool_zh(h.previously_subsidised), acc_on, inst.invoice_cny if inst else None,
            h.programme_year, paid, voucher or "", paid_on, STATUS_LABELS[state],
        ]


def export_xlsx(*, session: Session, path: Path, progress: Callable[[int, int], None] | None = None) -> int:
    """Write the whole ledger to an XLSX file in the template's layout plus payment and 状态 columns; returns
    the rows. The file is written to a temporary file and renamed (the old export is kept if anything fails).
    ``progress(done, total)`` is called every 1,000 rows read and once the file is written (the total is
    the households plus one).

    Raises
    ------
    InputError
        ``path`` is a folder, does not end in ``.xlsx``, or cannot be written.
    """
    cols = _sheet_columns(template=False) + [
        SheetColumn(EXPORT_HEADERS[0], "money"), SheetColumn(EXPORT_HEADERS[1], "text"),
        SheetColumn(EXPORT_HEADERS[2], "date"), SheetColumn(EXPORT_HEADERS[3]),
    ]
    spreadsheets.check_target(path)
    total = 1 + session.execute(select(func.count()).select_from(Household)
                                .where(Household.merged_into_id.is_(None))).scalar_one()
    rows: list[list[Any]] = []
    for row in export_rows(session=session):
        rows.append(row)
        if progress is not None and len(rows) % 1000 == 0:
            progress(min(len(rows), total - 1), total)
    n = spreadsheets.write_workbook(path, [Sheet(LEDGER_SHEET, cols, rows)])
    if progress is not None:
        progress(total, total)
    return n


def write_csv(rows: list[list[Any]], header: list[str]) -> str:
    """CSV text of rows (for tests and small exports)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()
