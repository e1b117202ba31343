"""The programme's clock: one time zone for every business date, instants stored in UTC.

A payment date, an acceptance date, a report's lateness and a ticket's deadline are civil dates
of the programme's own time zone (``CLEANHEAT_TIMEZONE``, default ``Asia/Shanghai``: Yanchi and
Beijing keep China Standard Time, UTC+8, with no daylight saving). Instants (audit times, ticket
times, decision times) are time-zone-aware UTC ``datetime`` values; they are turned into the
programme's civil time only to be shown or compared with a civil date.
"""

from __future__ import annotations

import datetime as dt
import os
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cleanheat.errors import InputError

__all__ = [
    "DEFAULT_TIMEZONE",
    "add_years",
    "as_utc",
    "at_local",
    "format_local",
    "local_date",
    "local_time",
    "now_utc",
    "programme_tz",
    "today",
]

DEFAULT_TIMEZONE = "Asia/Shanghai"


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown time zone {name!r} (an IANA name such as Asia/Shanghai)",
                         field="timezone") from None


def programme_tz() -> ZoneInfo:
    """The programme time zone of this process (``CLEANHEAT_TIMEZONE``, default Asia/Shanghai).

    Read from the environment on every call (a test or a service may change it), but only the
    variable itself: building :class:`cleanheat.config.Settings` here cost a page 1 ms.
    """
    return _zone(os.environ.get("CLEANHEAT_TIMEZONE") or DEFAULT_TIMEZONE)


def now_utc() -> dt.datetime:
    """The current instant, time-zone aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def as_utc(at: dt.datetime) -> dt.datetime:
    """An instant in UTC; a naive value is taken as UTC (what SQLite hands back for an aware column)."""
    return at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)


def local_time(at: dt.datetime) -> dt.datetime:
    """An instant as the programme's civil time (aware, in the programme time zone)."""
    return as_utc(at).astimezone(programme_tz())


def local_date(at: dt.datetime) -> dt.date:
    """The programme's civil date of an instant."""
    return local_time(at).date()


def today() -> dt.date:
    """Today's date in the programme time zone (never the host's local date)."""
    return local_date(now_utc())


def at_local(on: dt.date, time: dt.time = dt.time(0)) -> dt.datetime:
    """The instant (aware, UTC) of a civil date and wall-clock time of the programme time zone.

    ``at_local(2022-08-01, 09:00)`` in Asia/Shanghai is 2022-08-01 01:00 UTC: a clerk's "9 in the
    morning" is 09:00 in Yanchi, not 09:00 UTC.
    """
    return dt.datetime.combine(on, time, programme_tz()).astimezone(dt.UTC)


def format_local(at: dt.datetime | None, *, seconds: bool = False) -> str:
    """An instant as the programme's wall-clock time with its offset: ``2022-08-01 17:00 (UTC+8)``.

    ``None`` (no time yet) is the empty string.
    """
    if at is None:
        return ""
    local = local_time(at)
    offset = local.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    zone = f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
    return f"{local:%Y-%m-%d %H:%M{':%S' if seconds else ''}} ({zone})"


def add_years(on: dt.date, years: int) -> dt.date:
    """The same day ``years`` later; 29 February becomes 28 February in a year that has none.

    A period of *n* years that starts on 29 February ends on 28 February (not 1 March): the period
    never runs longer than *n* calendar years (our reading, documented in docs/architecture.md).
    """
    try:
        return on.replace(year=on.year + years)
    except ValueError:  # 29 February into a common year
        return on.replace(year=on.year + years, day=28)
