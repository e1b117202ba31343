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
import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
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
    years = places.programme_years()
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
        if year is not None and year not in years:
            err("year", f"programme years are {years[0]}–{years[-1]}, got {year}")
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


IMPORT_STEPS = 6
"""Steps an import reports to its ``progress`` callback: read, check rows, compare with the registry,
write households, write installations and acceptances, programme checks."""
_PAYMENT_COLUMNS = {"补贴金额(元)": "paid_cny", "paid_cny": "paid_cny", "凭证号": "voucher_no",
                    "voucher_no": "voucher_no", "发放日期": "paid_on", "paid_on": "paid_on"}
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


def _plan(session: Session, header: list[str], rows: list[list[Any]], recs: list[dict[str, Any]]) -> _Plan:
    """Compare the checked rows with the registry: what to create, what to correct, what to refuse."""
    plan = _Plan([], _row_warnings(recs, header), [], [], [], [], [], [], [])
    col = {f: _header_of(f, header) for f in BY_FIELD}
    stored = hh_service.states(session=session, household_ids=[r["household_id"] for r in recs])
    lives = inst_service.live_installations(session=session, household_pks=[st.pk for st in stored.values()])
    book = status_book(session=session)
    ent_ids = {code: eid for code, eid in session.execute(select(Enterprise.code, Enterprise.id))}
    pay_cols = [(k, _PAYMENT_COLUMNS[h], h) for k, h in enumerate(header) if h in _PAYMENT_COLUMNS]
    raw_rows = dict(enumerate(rows, start=2))
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
    return {**summary, "warnings": [w.as_dict() for w in warnings]}


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
