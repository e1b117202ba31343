"""The one spreadsheet reader and writer of the package: CSV, XLS and XLSX in, office-ready XLSX out.

Reading (:func:`read_table`, :func:`read_records`)
    * ``.xlsx``/``.xlsm``/``.xls``/``.ods`` through python-calamine (fast, and the only maintained
      reader of the old ``.xls``); ``.csv`` in UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode
      text") or GBK/GB18030 (what Excel on Chinese Windows writes), comma-, tab- or semicolon-separated.
      The encoding is detected: UTF-8 strictly first, then GB18030 (a superset of GBK).
    * The file's content decides, not only its name: a Word document, an HTML page or a text file
      named ``.xlsx``/``.xls`` gets a clear message with the fix (另存为 .xlsx).
    * The header row is found among the first :data:`HEADER_SCAN_ROWS` rows by matching the headers
      the caller knows, so a title row or merged cells above it do no harm; empty rows and trailing
      blank columns are dropped; every row keeps its real spreadsheet row number for messages.

Writing (:func:`write_workbook`)
    Chinese labels as given, ``#,##0`` for money and counts, years as whole numbers, dates as date
    cells, text columns (identity numbers, phones) formatted as text, column widths that fit CJK
    text (a CJK character counts 2), a frozen header with an auto-filter, an optional title line,
    an optional totals row of ``SUM`` formulas in bold, drop-down lists. The workbook is written to
    a temporary file in the target's folder and renamed over the target (``os.replace``): a failed
    write never leaves a truncated file. A directory or a name not ending in ``.xlsx`` is an
    :class:`InputError`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
import zipfile
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cleanheat import codes, normalise
from cleanheat.errors import InputError
from cleanheat.files import atomic_target

if TYPE_CHECKING:
    from cleanheat.records import Field

__all__ = [
    "HEADER_SCAN_ROWS",
    "Column",
    "Sheet",
    "Table",
    "header_key",
    "read_records",
    "read_table",
    "write_workbook",
    "write_xlsx",
]

HEADER_SCAN_ROWS = 10
"""How many rows from the top may stand above the header row (titles, notes, merged cells)."""

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")
_SAVE_AS = "请用 Excel 打开并另存为 Excel 工作簿 (.xlsx) open it in Excel and save it as an Excel workbook (.xlsx)"
IGNORED_HEADERS = frozenset({"序号", "编号序号", "no", "no.", "#"})
"""Header keys of columns that number the rows (序号) and are never data."""


# --------------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------------


def header_key(value: Any) -> str:
    """A header compared as NFKC text without any space (also inside: ``身份证\\n号`` is ``身份证号``)."""
    return "".join(normalise.text(value).split())


@dataclass(frozen=True)
class Table:
    """A sheet as read: its header row and its data rows, each with its spreadsheet row number (1-based)."""

    path: Path
    sheet: str | None
    header_row: int
    header: list[str]
    rows: list[tuple[int, list[Any]]]
    labels: list[str] = field(default_factory=list)
    """The header cells as written (NFKC, spaces at the ends removed), for messages; ``header`` holds
    their :func:`header_key`."""


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _cells(row: Iterable[Any]) -> list[Any]:
    """A row as Python: empty or blank text is None; a float holding a whole number below 2**53 is an int."""
    out: list[Any] = []
    append = out.append
    for v in row:
        t = type(v)
        if t is str:
            append(v if v and not v.isspace() else None)
        elif t is float:
            append(int(v) if v.is_integer() and -(2**53) < v < 2**53 else v)
        else:
            append(v)
    return out


def _kind_of(path: Path, head: bytes) -> str:
    """``xlsx``, ``xls``, ``ods`` or ``csv``, from the file's first bytes and name; InputError with the fix."""
    suffix = path.suffix.lower()
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
                mimetype = z.read("mimetype").decode("ascii", "replace") if "mimetype" in names else ""
        except (zipfile.BadZipFile, OSError) as exc:
            raise InputError(f"文件已损坏 {path} is a damaged file ({exc}); {_SAVE_AS}", field="file") from None
        if any(n.startswith("xl/") for n in names):
            return "xlsx"
        if "opendocument.spreadsheet" in mimetype:
            return "ods"
        what = "a Word document (Word 文档)" if any(n.startswith("word/") for n in names) else "a zip file"
        raise InputError(f"不是表格文件 {path} is {what}, not a spreadsheet; {_SAVE_AS}", field="file")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    text_head = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        if text_head.startswith((b"<html", b"<!doctype", b"<table", b"<?xml", b"<meta")):
            raise InputError(f"网页文件，不是 Excel 工作簿 {path} is a web page (HTML) under an Excel name; {_SAVE_AS}",
                             field="file")
        raise InputError(f"不是 Excel 工作簿 {path} is not an Excel workbook (its content is plain text; a CSV "
                         f"renamed?): rename it to .csv, or {_SAVE_AS}", field="file")
    return "csv"


def _check_suffix(path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix not in SPREADSHEET_SUFFIXES:
        raise InputError(f"不是表格文件 {path}: expected a spreadsheet (.xlsx, .xls or .csv), got "
                         f"{suffix or 'no suffix'!r}; {_SAVE_AS}", field="file")


def _decode(data: bytes, path: Path) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for enc in encodings:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputError(f"编码无法识别 {path}: the text is neither UTF-8 nor GBK/GB18030; save it as "
                     f"'CSV UTF-8' or .xlsx", field="file")


def _csv_rows(data: bytes, path: Path) -> list[list[Any]]:
    text = _decode(data, path)
    top = [line for line in text.splitlines()[: 4 * HEADER_SCAN_ROWS] if line.strip()][:HEADER_SCAN_ROWS]
    # the separator the header row uses most (a title line above it has none)
    delimiter = max(",\t;", key=lambda d: max((line.count(d) for line in top), default=0))
    return [_cells(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def _score(rows: Sequence[Sequence[Any]], known: Collection[str]) -> int:
    """How many known headers the best of the top rows holds."""
    return max((sum(header_key(v) in known for v in row if v) for row in rows), default=0)


def _workbook_rows(path: Path, prefer: Sequence[str], known: Collection[str]) -> tuple[str, list[list[Any]]]:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        visible = [m.name for m in wb.sheets_metadata
                   if str(m.visible).endswith("Visible") and str(m.typ).endswith("WorkSheet")]
        names = visible or list(wb.sheet_names)
        if not names:
            raise InputError(f"没有工作表 {path} has no worksheet", field="file")
        name = next((n for n in prefer if n in wb.sheet_names), None)
        if name is None:
            name = names[0]
            if known and len(names) > 1:  # the sheet whose top rows hold the most known headers
                tops = {n: wb.get_sheet_by_name(n).to_python(skip_empty_area=False, nrows=HEADER_SCAN_ROWS)
                        for n in names}
                name = max(names, key=lambda n: _score(tops[n], known))
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except InputError:
        raise
    except Exception as exc:  # calamine raises its own errors for damaged or password-protected files
        raise InputError(f"无法读取 cannot read {path} as a workbook ({type(exc).__name__}: {exc}); {_SAVE_AS}",
                         field="file") from None
    return name, [_cells(row) for row in rows]


def read_cells(path: Path, *, prefer_sheets: Sequence[str] = (), known_headers: Collection[str] = ()
               ) -> tuple[str | None, list[list[Any]]]:
    """The sheet's name (None for CSV) and every row from row 1, cells as Python values (empty = None).

    The sheet read is the first of ``prefer_sheets`` present, else the visible worksheet whose top rows
    hold the most of ``known_headers`` (compared by :func:`header_key`; the first sheet on a tie).
    """
    _check_suffix(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(512)
        kind = _kind_of(path, head)
        if kind == "csv":
            return None, _csv_rows(path.read_bytes(), path)
    except IsADirectoryError:
        raise InputError(f"无法读取 cannot read {path}: 这是文件夹 it is a folder, not a file", field="file") from None
    except OSError as exc:
        raise InputError(f"无法读取 cannot read {path}: {exc.strerror or exc}", field="file") from None
    return _workbook_rows(path, prefer_sheets, {header_key(h) for h in known_headers})


def read_table(path: Path, *, known_headers: Collection[str] = (), prefer_sheets: Sequence[str] = (),
               scan_rows: int = HEADER_SCAN_ROWS) -> Table:
    """The header row and the data rows of a spreadsheet.

    Parameters
    ----------
    path : Path
        ``.xlsx``, ``.xlsm``, ``.xls``, ``.ods`` or ``.csv``.
    known_headers : collection of str
        Headers the caller understands. The header row is the row, among the first ``scan_rows``
        non-empty rows, with the most cells that are known headers (compared by :func:`header_key`);
        without known headers it is the first non-empty row.
    prefer_sheets : sequence of str
        Sheet names to read first if present (e.g. ``台账``).

    Raises
    ------
    InputError
        Unreadable or not a spreadsheet (with the fix), or empty.
    """
    sheet, rows = read_cells(path, prefer_sheets=prefer_sheets, known_headers=known_headers)
    numbered = [(r, row) for r, row in enumerate(rows, start=1) if any(v is not None for v in row)]
    if not numbered:
        raise InputError(f"表格为空 {path} is empty", field="file")
    known = {header_key(h) for h in known_headers}
    header_at = 0
    if known:
        scores = [sum(header_key(v) in known for v in row if not _blank(v)) for _, row in numbered[:scan_rows]]
        if max(scores) > 0:
            header_at = scores.index(max(scores))
    header_row, raw_header = numbered[header_at]
    header = [header_key(h) for h in raw_header]
    while header and not header[-1]:
        header.pop()
    labels = [" ".join(normalise.text(h).split()) for h in raw_header[: len(header)]]
    width = len(header)
    data = [(r, row[:width]) for r, row in numbered[header_at + 1:]]
    data = [(r, row) for r, row in data if any(v is not None for v in row)]
    return Table(path=path, sheet=sheet, header_row=header_row, header=header, rows=data, labels=labels)


# --------------------------------------------------------------------------------------------
# records with the JSON types of a jurisdiction's fields (budget, subsidy on spreadsheets)
# --------------------------------------------------------------------------------------------

CODE_READERS: dict[str, Callable[[str], str]] = {
    "technology": lambda v: codes.technology_code(v).value,
    "dwelling": lambda v: codes.dwelling_code(v).value,
}
"""Fields whose codes are read through the synonym tables of :mod:`cleanheat.codes`."""


def _unit_of(name: str) -> str | None:
    return "m2" if name.endswith("_m2") else "cny" if name.endswith("_cny") else None


def convert(value: Any, f: Field) -> Any:
    """A cell as the JSON type of a :class:`cleanheat.records.Field`: bool, int, number, ISO date or code.

    Raises ValueError with the reason (the caller names row and column). An empty cell is None.
    """
    if _blank(value):
        return None
    if f.kind == "bool":
        return codes.yes_no(value)
    if f.kind in ("int", "number"):
        n = normalise.amount(value, unit=_unit_of(f.name))
        if f.kind == "int" and not float(n).is_integer():
            raise ValueError(f"不是整数 not a whole number: {value!r}")
        return int(n) if f.kind == "int" else n
    if f.kind == "date":
        return normalise.parse_date(value).isoformat()
    if f.kind == "code":
        if f.name in CODE_READERS:
            return CODE_READERS[f.name](normalise.text(value))
        if f.name == "township" and f.choices:
            return codes.township_name(normalise.text(value), f.choices)
        key = normalise.text(value)
        aliases = getattr(f, "aliases", None) or {}
        key = aliases.get(key, key)
        if f.choices and key not in f.choices:
            raise ValueError(f"expected one of {', '.join(f.choices)}, got {key!r}")
        return key
    if f.name.endswith("_id") or f.name == "household_id":
        return normalise.identifier(value)
    return normalise.text(value)


def read_records(path: Path, fields: Sequence[Field], *, headers: Mapping[str, str] | None = None
                 ) -> list[dict[str, Any]]:
    """Records of a spreadsheet with the fields' JSON types (what ``to_columns`` takes).

    Columns are headed by the field names or the Chinese labels of :data:`cleanheat.codes.FIELD_LABELS`
    (so the ledger template and the ledger export read as they are), or by ``headers`` (header →
    field). Columns of other known household fields (姓名, 身份证号 … of the ledger) and 序号 are
    left out; an unknown column is an error. Method and dwelling names go through the synonym
    tables; amounts may carry their unit (``16,500元``, ``80㎡``); dates take the usual forms.

    Raises
    ------
    InputError
        Unreadable file, an unknown column, or a cell that cannot be converted (row and column named).
    """
    alias: dict[str, str] = {header_key(k): k for k in codes.FIELD_LABELS}
    alias.update({header_key(v): k for k, v in codes.FIELD_LABELS.items()})
    alias.update({header_key(f.name): f.name for f in fields})
    alias.update({header_key(k): v for k, v in (headers or {}).items()})
    table = read_table(path, known_headers=alias.keys())
    by_name = {f.name: f for f in fields}
    names: list[str | None] = []
    for h in table.header:
        if not h or h.lower() in IGNORED_HEADERS:
            names.append(None)
        elif h in alias:
            name = alias[h] if alias[h] in by_name else None
            if name is not None and name in names:
                raise InputError(f"列重复 column {name} appears twice", record=f"row {table.header_row}", field=h)
            names.append(name)
        else:
            raise InputError(f"未知列 unknown column {h!r}; columns are {', '.join(by_name)} or their Chinese "
                             f"headers", record=f"row {table.header_row}", field=h)
    out: list[dict[str, Any]] = []
    for r, row in table.rows:
        rec: dict[str, Any] = {}
        for k, cell in enumerate(row):
            name = names[k] if k < len(names) else None
            if name is None:
                continue
            f = by_name[name]
            try:
                value = convert(cell, f)
            except ValueError as exc:
                raise InputError(str(exc), record=f"row {r}", field=table.header[k]) from None
            if value is not None or f.nullable:
                rec[name] = value
        out.append(rec)
    return out


# --------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------

FORMATS: dict[str, str | None] = {
    "text": "@",
    "general": None,
    "int": "#,##0",
    "money": "#,##0",
    "number": "#,##0.0",
    "year": "0",
    "date": "yyyy-mm-dd",
    "percent": "0.0%",
    "auto": None,
}
"""Excel number format of each column kind (``text`` cells are text: identity numbers, phones, ids);
``auto`` picks one per value: whole numbers ``#,##0``, fractions ``#,##0.0###``, dates ``yyyy-mm-dd``,
date-times with a time ``yyyy-mm-dd hh:mm:ss``."""


def _auto_format(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return "#,##0"
    if isinstance(value, float):
        return "#,##0.0###"
    if isinstance(value, dt.datetime):
        return "yyyy-mm-dd hh:mm:ss" if (value.hour, value.minute, value.second) != (0, 0, 0) else FORMATS["date"]
    if isinstance(value, dt.date):
        return FORMATS["date"]
    return None


@dataclass(frozen=True)
class Column:
    """One column of a written sheet.

    ``kind`` is a key of :data:`FORMATS`; ``total`` puts a ``SUM`` of the column in the totals row;
    ``choices`` makes a drop-down list of the data cells; ``width`` overrides the fitted width.
    """

    header: str
    kind: str = "general"
    total: bool = False
    choices: Sequence[str] = ()
    width: float | None = None


@dataclass
class Sheet:
    """A sheet to write: columns, rows, an optional title line above the header, an optional totals row
    (its label in the first column, ``SUM`` formulas under the ``total`` columns), blank rows to format
    for data entry (templates: ``blank_rows`` rows get the text formats and drop-downs). ``freeze``
    freezes the header and puts a filter on it (off for notes sheets); ``notes`` are lines below."""

    name: str
    columns: Sequence[Column | str]
    rows: Iterable[Sequence[Any]]
    title: str | None = None
    totals: str | None = None
    blank_rows: int = 0
    freeze: bool = True
    notes: Sequence[str] = field(default_factory=tuple)
    cell_formats: Mapping[tuple[int, int], str] = field(default_factory=dict)
    """Number formats of single data cells by (row, column) of the sheet as written, both 1-based."""


def display_width(value: Any) -> int:
    """Width of a value as a spreadsheet shows it: a CJK (wide) character counts 2."""
    if value is None:
        return 0
    if isinstance(value, float):
        s = f"{value:,.1f}"
    elif isinstance(value, int) and not isinstance(value, bool):
        s = f"{value:,}"
    elif isinstance(value, dt.date):
        s = "2022-03-01"
    else:
        s = str(value)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def check_target(path: Path) -> None:
    """InputError unless ``path`` can name a workbook: not a folder, ending in ``.xlsx``."""
    if path.is_dir():
        raise InputError(f"无法写入 cannot write {path}: 这是文件夹 it is a folder; give a file name ending in .xlsx",
                         field="file")
    if path.suffix.lower() != ".xlsx":
        raise InputError(f"无法写入 cannot write {path}: 工作簿须为 .xlsx a workbook is written as .xlsx (got "
                         f"{path.suffix or 'no suffix'!r}); give a file name ending in .xlsx", field="file")


def _excel_value(value: Any, kind: str) -> Any:
    if value is None or value == "":
        return None
    if kind == "text":
        return normalise.text(value) if not isinstance(value, str) else value
    if kind in ("int", "money", "year") and isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if kind == "date" and isinstance(value, str):
        try:
            return normalise.parse_date(value)
        except ValueError:
            return value
    return value


_WORKBOOK_OPTIONS = {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                     "strings_to_urls": False, "default_date_format": FORMATS["date"]}
"""xlsxwriter options: rows streamed to disk; text stays text (an id starting with = is no formula)."""


class _Formats:
    """The workbook's cell formats, made once per (number format, bold)."""

    def __init__(self, wb: Any) -> None:
        self.wb = wb
        self.made: dict[tuple[str | None, bool], Any] = {}
        self.header = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "align": "center", "valign": "vcenter",
                                     "text_wrap": True, "border": 1})
        self.title = wb.add_format({"bold": True, "font_size": 14})

    def __call__(self, num_format: str | None, bold: bool = False) -> Any:
        key = (num_format, bold)
        if key not in self.made:
            spec: dict[str, Any] = {"bold": True} if bold else {}
            if num_format:
                spec["num_format"] = num_format
            self.made[key] = self.wb.add_format(spec) if spec else None
        return self.made[key]


def _write_cell(ws: Any, r: int, k: int, value: Any, fmt: Any, date_fmt: Any) -> None:
    if value is None:
        return
    if isinstance(value, str):
        ws.write_string(r, k, value, fmt)
    elif isinstance(value, bool):
        ws.write_string(r, k, "是" if value else "否", fmt)
    elif isinstance(value, int | float | Decimal):
        f = float(value)
        if f != f or f in (float("inf"), float("-inf")):
            ws.write_string(r, k, str(value), fmt)
        else:
            ws.write_number(r, k, value, fmt)
    elif isinstance(value, dt.date):
        ws.write_datetime(r, k, value, fmt or date_fmt)
    else:
        ws.write_string(r, k, str(value), fmt)


def _write_sheet(wb: Any, formats: _Formats, sheet: Sheet, cols: list[Column], rows: list[list[Any]]) -> None:
    ws = wb.add_worksheet(sheet.name[:31])
    header_row = 1 if sheet.title else 0  # 0-based rows from here on
    first_data = header_row + 1
    last_data = header_row + len(rows)
    fmts = [FORMATS[c.kind] for c in cols]
    for k, c in enumerate(cols):
        sample = [r[k] for r in rows[:2000] if k < len(r)]
        width = c.width or max([display_width(c.header)] + [display_width(v) for v in sample]) + 2
        ws.set_column(k, k, min(max(width, 8), 60), formats(fmts[k]) if sheet.blank_rows else None)
    if sheet.freeze:
        ws.freeze_panes(first_data, 0)
    if sheet.title:
        if len(cols) > 1:
            ws.merge_range(0, 0, 0, len(cols) - 1, sheet.title, formats.title)
        else:
            ws.write_string(0, 0, sheet.title, formats.title)
    for k, c in enumerate(cols):
        ws.write_string(header_row, k, c.header, formats.header)
    cell_fmts = [formats(f) for f in fmts]
    date_fmt = formats(FORMATS["date"])
    kinds = [c.kind for c in cols]
    n_cols = len(cols)
    auto = [kind == "auto" for kind in kinds]
    overrides = sheet.cell_formats
    for i, row in enumerate(rows):
        r = first_data + i
        for k, v in enumerate(row):
            if k >= n_cols:  # beyond the header: formatted by the value
                value = v
                fmt = formats(_auto_format(value))
            else:
                value = _excel_value(v, kinds[k])
                fmt = formats(_auto_format(value)) if auto[k] else cell_fmts[k]
            if overrides and (r + 1, k + 1) in overrides:
                fmt = formats(overrides[(r + 1, k + 1)])
            _write_cell(ws, r, k, value, fmt, date_fmt)
    row_after = last_data + 1
    if sheet.totals is not None:
        ws.write_string(row_after, 0, sheet.totals, formats(None, bold=True))
        for k, c in enumerate(cols):
            if k == 0 or not c.total:
                continue
            letter = _column_letter(k)
            numbers = [v for v in (_excel_value(r[k], kinds[k]) for r in rows if k < len(r))
                       if isinstance(v, int | float) and not isinstance(v, bool)]
            ws.write_formula(row_after, k, f"=SUM({letter}{first_data + 1}:{letter}{max(last_data, first_data) + 1})",
                             formats(fmts[k], bold=True), sum(numbers))
        row_after += 1
    for note in sheet.notes:
        ws.write_string(row_after + 1, 0, note)
        row_after += 2
    entry_last = max(last_data, header_row + sheet.blank_rows, first_data)
    if cols and sheet.freeze:
        ws.autofilter(header_row, 0, entry_last, len(cols) - 1)
    for k, c in enumerate(cols):
        if not c.choices:
            continue
        if len(",".join(c.choices)) > 255:
            raise ValueError(f"drop-down of {c.header} longer than Excel's 255 characters")
        ws.data_validation(first_data, k, entry_last, k, {
            "validate": "list", "source": list(c.choices), "ignore_blank": True, "error_type": "warning",
            "error_title": c.header[:32],
            "error_message": "不在下拉列表中，请核对 not one of the listed values: check it"})


def _column_letter(k: int) -> str:
    """``A`` for column 0, ``AA`` for column 26."""
    letters = ""
    k += 1
    while k:
        k, rem = divmod(k - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def write_workbook(path: Path, sheets: Sequence[Sheet]) -> int:
    """Write sheets to an office-ready XLSX workbook, atomically; returns the number of data rows written.

    Raises
    ------
    InputError
        ``path`` is a folder, does not end in ``.xlsx``, or cannot be written (the old file is kept).
    """
    import xlsxwriter

    path = Path(path)
    check_target(path)
    prepared = [(s, [c if isinstance(c, Column) else Column(c) for c in s.columns], [list(r) for r in s.rows])
                for s in sheets]
    with atomic_target(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), _WORKBOOK_OPTIONS)
        try:
            formats = _Formats(wb)
            for sheet, cols, rows in prepared:
                _write_sheet(wb, formats, sheet, cols, rows)
        finally:
            try:
                wb.close()
            except xlsxwriter.exceptions.FileCreateError as exc:
                raise OSError(str(exc)) from None
    return sum(len(rows) for _, _, rows in prepared)


def _guess_kind(header: str, values: Sequence[Any]) -> str:
    present = [v for v in values if v is not None and v != ""]
    if any(w in header for w in ("年度", "year")) and all(isinstance(v, int) or str(v).isdigit() for v in present):
        return "year"
    if present and all(isinstance(v, dt.date) for v in present):
        return "date"
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "money" if ("cny" in header.lower() or "元" in header or "资金" in header) else "int"
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return "number"
    return "general"


def write_xlsx(path: Path, sheets: Mapping[str, tuple[Sequence[str], Sequence[Sequence[Any]]]]) -> None:
    """Write sheets of (headers, rows) through :func:`write_workbook`, each column's format guessed from
    its values (whole numbers ``#,##0``, years as years, dates as dates). Prefer :func:`write_workbook`."""
    out = []
    for title, (headers, rows) in sheets.items():
        cols = [Column(h, _guess_kind(str(h), [r[k] for r in rows if k < len(r)])) for k, h in enumerate(headers)]
        out.append(Sheet(title, cols, rows))
    write_workbook(path, out)
