"""Cell values as county offices type them, normalised before validation, storage and search.

Every reader of records (the ledger import, ``budget`` on CSV/XLSX, the JSON record readers) calls
these, so that a value means the same thing wherever it comes in:

* :func:`text` — Unicode NFKC (full-width ``１３９`` → ``139``, ``ＹＣ`` → ``YC``, ``（）`` → ``()``,
  the ideographic space U+3000 → a space), stray spaces at both ends removed;
* :func:`identifier` — :func:`text`, then every space removed and the dashes people type
  (``－ — – ‐ ‑ −`` and ``_`` are *not* the same: only dashes) turned into ``-``:
  ``ＹＣ－２０２２－１００６０１`` is ``YC-2022-100601``;
* :func:`id_number` — the 18-character resident identity number (身份证号) of GB 11643-1999, its
  birth date and its ISO 7064 MOD 11-2 check digit verified; a spreadsheet cell that holds a *number*
  is refused (see below);
* :func:`phone` and :func:`phone_digits` — a phone as typed, and the digits that search and duplicate
  detection compare;
* :func:`amount` — ``16,500元``, ``80平方米``, ``80㎡``, ``８０`` as numbers;
* :func:`parse_date` — ``2022-03-01``, ``2022/3/1``, ``2022.3.1``, ``2022年3月1日``, ``20220301`` and
  spreadsheet date cells.

Each function raises :class:`ValueError` with a bilingual reason; the callers add the row and column
(or the record and field) and raise :class:`cleanheat.errors.InputError`.

Identity numbers as numbers
    Excel keeps 15 significant digits of a number. An 18-digit identity number typed into a
    *General* cell becomes ``6.40323198001011E+17`` and its last three digits are lost: reading it
    back gives a different, made-up number (``640323198001010610`` → ``640323198001010560``). No
    digit of such a cell can be trusted, so any numeric cell (int or float) in the identity column
    is refused, with the fix: format the column as text (设置单元格格式 → 文本) and type the number again.
    A CSV string in scientific notation (``6.40323E+17``, what Excel writes for such a cell) is
    refused the same way.

15-digit identity numbers
    First-generation 15-digit numbers (birth year in two digits, no check digit) stopped being
    valid on 2013-01-01 (第一代居民身份证自2013年1月1日起停止使用); every holder has had an
    18-digit number since, years before the programme (2021–2023). They are refused, naming the
    18-digit form that the standard conversion gives, so that the clerk can check it against the
    card; the number is never converted silently.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "amount",
    "check_digit",
    "id_number",
    "identifier",
    "parse_date",
    "phone",
    "phone_digits",
    "text",
]

_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d\u30fc"})
_SPACES = re.compile(r"\s+")


def text(value: Any) -> str:
    """The value as NFKC text without spaces at either end; ``None`` is ``""``.

    A float that is a whole number is written without ``.0`` (a spreadsheet's ``1.0`` is ``1``).
    """
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    s = str(value)
    return s.strip() if s.isascii() else unicodedata.normalize("NFKC", s).strip()  # ASCII is NFKC already


def identifier(value: Any) -> str:
    """An identifier (household id, enterprise code, voucher number) as NFKC text, no spaces,
    every dash a hyphen-minus: ``ＹＣ－２０２２－１００６０１`` → ``YC-2022-100601``. Case is kept."""
    return _SPACES.sub("", text(value).translate(_DASHES))


# --------------------------------------------------------------------------------------------
# identity numbers (GB 11643-1999)
# --------------------------------------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d*)?[eE][+-]?\d+$")
_NUMBER_HINT = ("单元格是数字格式，Excel 只保留15位有效数字，后几位已丢失：请把该列设置为文本格式后重新输入 "
                "(the cell is a number; Excel keeps only 15 digits, so the last digits are lost: format the column "
                "as text and type the number again)")


def check_digit(body: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits of an identity number (GB 11643-1999 5.4)."""
    if len(body) != 17 or not body.isascii() or not body.isdigit():
        raise ValueError(f"expected 17 digits, got {body!r}")
    return _ID_CHECK[sum(map(operator.mul, map(int, body), _ID_WEIGHTS)) % 11]


def id_number(value: Any, *, today: dt.date | None = None) -> str:
    """The 18-character identity number with an upper-case ``X``, or ValueError with the reason.

    Verified: 17 digits then a digit or ``X``; the birth date (digits 7–14) is a real date between
    1900-01-01 and ``today``; the check character (GB 11643-1999, ISO 7064 MOD 11-2). A numeric cell
    is refused, and so is a 15-digit first-generation number (module notes).

    Parameters
    ----------
    value : str (or a spreadsheet cell)
        The cell as read.
    today : date, optional
        Latest birth date allowed (default :func:`cleanheat.clock.today`).
    """
    if isinstance(value, bool) or isinstance(value, int | float | Decimal):
        raise ValueError(f"身份证号不能是数字 identity number stored as a number ({value!r}): {_NUMBER_HINT}")
    raw = identifier(value)
    if _SCIENTIFIC.match(raw):
        raise ValueError(f"身份证号是科学计数法 {raw!r} (scientific notation): {_NUMBER_HINT}")
    number = raw.upper()
    if re.fullmatch(r"\d{15}", number):
        body = number[:6] + "19" + number[6:]
        raise ValueError(f"15位旧身份证号已于2013年停止使用 first-generation 15-digit number {number!r}, no longer "
                         f"valid since 2013-01-01: give the 18-digit number (by the standard conversion "
                         f"{body + check_digit(body)}; check it against the card)")
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise ValueError(f"身份证号应为18位 (17位数字加数字或X) not an 18-character identity number: {raw!r} "
                         f"({len(number)} characters)")
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValueError(f"身份证号中的出生日期 {number[6:14]} 不存在 the birth date in identity number {number} "
                         f"is not a real date") from None
    if today is None:
        from cleanheat import clock

        # no time zone is more than a day from UTC: a birth date before yesterday (UTC) is not in the future,
        # and the programme's date (which reads the settings) is needed only near today
        utc_date = clock.now_utc().date()
        today = utc_date - dt.timedelta(days=1) if born < utc_date - dt.timedelta(days=1) else clock.today()
    if not dt.date(1900, 1, 1) <= born <= today:
        raise ValueError(f"身份证号中的出生日期 {born.isoformat()} 不可能 the birth date in identity number {number} "
                         f"is impossible (before 1900 or after {today.isoformat()})")
    expected = check_digit(number[:17])
    if number[17] != expected:
        raise ValueError(f"身份证号校验码错误 check digit of identity number {number} is wrong (GB 11643: expected "
                         f"{expected}, got {number[17]}); a digit is mistyped")
    return number


# --------------------------------------------------------------------------------------------
# phones
# --------------------------------------------------------------------------------------------

def phone_digits(value: Any) -> str:
    """The digits of a phone without a ``+86``/``0086`` prefix: ``＋８６ １３６-３０８８-９２５３`` →
    ``13630889253``. Search and duplicate detection compare these."""
    digits = re.sub(r"[^0-9]", "", text(value))
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            digits = digits[len(prefix):]
    return digits


def phone(value: Any) -> str:
    """A phone as stored: NFKC text (the separators the clerk typed are kept), or ValueError.

    Accepted: a mobile number (11 digits starting with 1), a landline with its area code
    (10–12 digits starting with 0) or a local landline (7–8 digits). A spreadsheet number is
    accepted only as an 11-digit mobile number: a landline's leading 0 is lost in a number cell.
    """
    if isinstance(value, bool):
        raise ValueError(f"not a phone number: {value!r}")
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"不是电话号码 not a phone number: {value!r}")
        digits = str(int(value))
        if not re.fullmatch(r"1\d{10}", digits):
            raise ValueError(f"电话号码是数字格式 the phone {digits} is stored as a number (a leading 0 is lost): "
                             "format the column as text and type it again")
        return digits
    shown = _SPACES.sub(" ", text(value))
    digits = phone_digits(shown)
    ok = (re.fullmatch(r"1\d{10}", digits) or re.fullmatch(r"0\d{9,11}", digits)
          or re.fullmatch(r"[2-9]\d{6,7}", digits))
    if not ok or re.search(r"[^0-9+\-() ]", shown):
        raise ValueError(f"不是电话号码 not a phone number: {shown!r} (mobile 11 digits, or landline with area code)")
    return shown


# --------------------------------------------------------------------------------------------
# amounts
# --------------------------------------------------------------------------------------------

UNITS: dict[str, tuple[str, ...]] = {
    "cny": ("元", "人民币元", "cny", "rmb"),
    "m2": ("平方米", "平米", "m2", "平方"),
}
"""Units accepted after a number, by the quantity's unit (compared after NFKC and lower-case):
``㎡`` and ``m²`` are ``m2`` after NFKC. ``¥``/``￥`` may stand before an amount of money."""

_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def amount(value: Any, *, unit: str | None = None) -> float | int:
    """A number from a cell: ``16,500元`` → 16500, ``80平方米`` / ``80㎡`` → 80, ``８０`` → 80.

    Thousands separators must group by three (``16,500``; ``16,5`` is refused, it might be a
    decimal comma). A unit is accepted only if it is the quantity's (``unit`` a key of
    :data:`UNITS`): ``80元`` is refused as an area. ``万元`` is refused rather than scaled: a
    ledger that mixes 元 and 万元 is more likely a mistake than meant. NaN and infinity are refused.

    Returns an ``int`` when the text has no decimals (or the cell is a whole number), else a float.
    """
    if isinstance(value, bool):
        raise ValueError(f"不是数字 not a number: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        f = float(value)
        if f != f or f in (float("inf"), float("-inf")):
            raise ValueError(f"不是数字 not a number: {value!r}")
        return int(f) if f.is_integer() else f
    raw = text(value)
    s = _SPACES.sub("", raw).lower()
    if unit == "cny":
        s = s.removeprefix("¥")
    if unit is not None:
        for u in sorted(UNITS[unit], key=len, reverse=True):
            if s.endswith(u) and len(s) > len(u):
                s = s[: -len(u)]
                break
    if "," in s:
        if not _GROUPED.match(s):
            raise ValueError(f"不是数字 not a number: {raw!r} (thousands separators group three digits: 16,500)")
        s = s.replace(",", "")
    if not _PLAIN.match(s):
        hint = f" (unit {'/'.join(UNITS[unit])})" if unit else ""
        raise ValueError(f"不是数字 not a number: {raw!r}{hint}")
    try:
        d = Decimal(s)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise ValueError(f"不是数字 not a number: {raw!r}") from None
    if "." not in s:
        return int(d)
    return float(d)


# --------------------------------------------------------------------------------------------
# dates
# --------------------------------------------------------------------------------------------

_DATE_FORMS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_MIDNIGHT = re.compile(r"[ T]0{1,2}:00(:00(\.0+)?)?$")
DATE_FORMS_SHOWN = "2022-03-01, 2022/3/1, 2022.3.1, 2022年3月1日, 20220301"
"""The written forms :func:`parse_date` accepts, as messages show them."""


def parse_date(value: Any) -> dt.date:
    """A date from a cell or a JSON string, or ValueError naming the forms accepted.

    Accepted: a date or datetime (a spreadsheet date cell; a datetime's time is dropped),
    ``2022-03-01``, ``2022/3/1``, ``2022.3.1``, ``2022年3月1日``, ``20220301`` (also as the
    number 20220301 of a spreadsheet cell), each possibly with a midnight time ``00:00:00`` as a
    spreadsheet's CSV writes it; full-width digits are normalised. Anything else — a two-digit
    year, ``3/1/2022`` (month or day first?), an Excel serial number such as 44621 — is refused.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise ValueError(f"不是日期 not a date: {value!r}; write {DATE_FORMS_SHOWN}")
    if isinstance(value, int | float) and not (isinstance(value, float) and not value.is_integer()):
        if 19000101 <= value <= 29991231:
            value = str(int(value))
        else:
            raise ValueError(f"不是日期 not a date: the number {value!r} (format the cell as a date, or write "
                             f"{DATE_FORMS_SHOWN})")
    raw = text(value)
    s = _MIDNIGHT.sub("", _SPACES.sub(" ", raw))
    for form in _DATE_FORMS:
        m = form.match(s)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            try:
                return dt.date(y, mo, d)
            except ValueError:
                raise ValueError(f"日期不存在 no such date: {raw!r}") from None
    raise ValueError(f"不是日期 not a date: {raw!r}; write {DATE_FORMS_SHOWN}")
