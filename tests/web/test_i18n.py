"""Every text the web pages show has its Chinese (zh_CN is the default language), and formats hold."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from babel.messages.extract import extract_from_dir

from cleanheat.web import i18n

WEB = Path(i18n.__file__).parent
METHOD_MAP = [("**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "N_": None, "ngettext": (1, 2)}


def _messages() -> list[tuple[str, int, str]]:
    found = []
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(WEB), METHOD_MAP, options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n"}},
            keywords=KEYWORDS):
        for m in message if isinstance(message, tuple) else (message,):
            if m:
                found.append((filename, lineno, m))
    return found


def test_pages_have_texts_to_translate():
    assert len(_messages()) > 40


def test_every_page_text_has_chinese():
    zh = i18n.translations("zh_CN")
    missing = sorted({f"{f}:{n}: {m!r}" for f, n, m in _messages() if zh.gettext(m) == m})
    assert not missing, "no zh_CN translation (run scripts/i18n.sh, then translate):\n" + "\n".join(missing)


def test_english_falls_back_to_the_message_id():
    assert i18n.translations("en").gettext("Sign in") == "Sign in"
    assert i18n.translations("zh_CN").gettext("Sign in") == "登录"


def test_language_choice():
    assert i18n.language_of(None) == "zh_CN"
    assert i18n.language_of("en") == "en"
    assert i18n.language_of("fr") == "zh_CN"
    assert i18n.language_of(None, "en") == "en"


def test_formats():
    assert i18n.number(1234567) == "1,234,567"
    assert i18n.number(1234.5, "en", digits=1) == "1,234.5"
    assert i18n.cny(27000000) == "¥27,000,000"
    assert i18n.cny(Decimal("12.50")) == "¥12.50"
    assert i18n.cny(None) == "—"
    assert i18n.date_text(dt.date(2022, 3, 1)) == "2022-03-01"
    assert i18n.date_text(dt.datetime(2022, 8, 1, 1, 0, tzinfo=dt.UTC)).startswith("2022-08-01 09:00")


def test_one_message_has_one_chinese_in_every_catalog():
    """The area catalogs are merged into one: an English id translated two ways would show the wrong one."""
    from babel.messages.pofile import read_po

    seen: dict[str, dict[str, list[str]]] = {}
    for po in sorted((i18n.LOCALE_DIR / "zh_CN" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as f:
            for m in read_po(f, locale="zh_CN"):
                if m.id and m.string and not m.fuzzy:
                    seen.setdefault(str(m.id), {}).setdefault(str(m.string), []).append(po.stem)
    clashes = {k: v for k, v in seen.items() if len(v) > 1}
    assert not clashes, "give these ids one translation, or a more specific English id:\n" + "\n".join(
        f"{k!r}: {v}" for k, v in clashes.items())
