"""Languages of the web application: gettext catalogs (Babel), Chinese first, and number, money and date formats.

Message ids are English; ``locale/zh_CN/LC_MESSAGES/*.po`` give the Chinese, ``locale/en`` the
English (an empty ``msgstr`` falls back to the id). There is one catalog per area (``households.po``
for ``households.py`` and ``templates/households/``) and ``messages.po`` for the shared pieces; they
are merged and compiled in memory when the application starts (:func:`translations`), so no binary
``.mo`` file is committed or can go stale. Refresh the catalogs after changing a text::

    scripts/i18n.sh          # pybabel extract + update; then translate the new zh_CN entries

The visitor's language is the ``cleanheat_lang`` cookie (set by ``/lang/{code}``), else
``Settings.default_language`` (``zh_CN``).
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from cleanheat.clock import format_local

__all__ = ["LANGUAGES", "LANGUAGE_COOKIE", "LOCALE_DIR", "cny", "date_text", "language_of", "number", "translations"]

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES: dict[str, str] = {"zh_CN": "中文", "en": "English"}
"""The languages a visitor can choose, with their own names (the switch shows them as they are)."""
LANGUAGE_COOKIE = "cleanheat_lang"


@cache
def translations(language: str) -> gettext.GNUTranslations:
    """The compiled catalog of ``language`` (one of :data:`LANGUAGES`), read from its ``.po`` file once."""
    if language not in LANGUAGES:
        raise KeyError(language)
    merged = Catalog(locale=language)
    for po in sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as f:
            for message in read_po(f, locale=language):
                if message.id and message.string and not message.fuzzy:
                    merged[message.id] = message
    buf = io.BytesIO()
    write_mo(buf, merged)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def language_of(cookie: str | None, default: str = "zh_CN") -> str:
    """The language to answer in: the cookie's if it names one of :data:`LANGUAGES`, else ``default``."""
    if cookie in LANGUAGES:
        return str(cookie)
    return default if default in LANGUAGES else "zh_CN"


def _babel_locale(language: str) -> str:
    return "zh_Hans_CN" if language == "zh_CN" else "en_US"


def number(value: int | float | Decimal | None, language: str = "zh_CN", *, digits: int = 0) -> str:
    """``value`` with thousands separators and ``digits`` decimals (``12,345``; ``—`` for ``None``)."""
    if value is None:
        return "—"
    fmt = "#,##0" + ("." + "0" * digits if digits else "")
    return str(format_decimal(value, format=fmt, locale=_babel_locale(language)))


def cny(value: int | Decimal | None, language: str = "zh_CN") -> str:
    """An amount of money in CNY: ``¥12,345`` (whole yuan as the registry keeps them), ``—`` for ``None``."""
    if value is None:
        return "—"
    if isinstance(value, Decimal) and value != value.to_integral_value():
        return "¥" + number(value, language, digits=2)
    return "¥" + number(int(value), language)


def date_text(value: dt.date | dt.datetime | str | None) -> str:
    """A date as ``2022-03-01``; an instant as the programme's wall-clock time with its offset
    (``2022-08-01 17:00 (UTC+8)``, :func:`cleanheat.clock.format_local`); ``—`` for ``None``."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        return format_local(value)
    return value.isoformat()
