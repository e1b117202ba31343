"""Service level: how much of a house is heated, for how long, and how warm.

A rural household rarely heats its whole house to 18 °C round the clock: most heat one or two
rooms and the living room, part of the day, at 10–16 °C (``data/defaults/building/SOURCE.md``,
"Service level and calibration"). The season simulation therefore takes, per house, a
*service level*: the heated share of the floor area, the daily heating hours and the set-point
held in them, and what is held in the other hours (a lower set-back, or nothing: the rooms
float). Named levels live in ``data/defaults/building/service/<name>/`` as dated parameters:

- ``rural_typical`` — the default: what a household heats with its new system, calibrated
  against measured per-household electricity, gas and coal use;
- ``coal_observed`` — how coal-stove households heat today, calibrated against surveyed coal
  tonnes per household: the baseline of the "as the household heats now" comparison;
- ``full_comfort`` — the whole area at 18 °C all day (the design condition; the figures the
  simulation gave before service levels existed).

A record may name a level or give its own (``{"heated_share": 0.5, "heating_hours": 14,
"set_point_c": 16}``; what it leaves out comes from the default level).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cleanheat.errors import InputError
from cleanheat.units import FloatArray

__all__ = ["ServiceLevel", "service_levels", "default_level_name", "baseline_level_name", "resolve_level",
           "set_point_schedule_c", "night_setback_hours", "FREE_FLOAT_C", "LEVEL_FIELDS"]

SERVICE_PREFIX = "building.service"

FREE_FLOAT_C = -60.0
"""Set-point standing for "not heated" in the hourly schedule: below any temperature a house
floats to in the typical years (the coldest outdoor hour is −22 °C), so the heating never runs. [°C]"""

LEVEL_FIELDS = ("heated_share", "heating_hours", "set_point_c", "setback_c")


@dataclass(frozen=True)
class ServiceLevel:
    """One service level.

    Attributes
    ----------
    name : str
        A named level's name, or ``"custom"``.
    heated_share : float
        Share of the floor area that is heated, in (0, 1]. [unitless]
    heating_hours : int
        Hours a day the set-point is held, 1–24; which hours: the ``hour_order`` parameter
        (occupied hours first: evening, morning, then midday and night). [h]
    set_point_c : float
        Set-point held during the heating hours. [°C]
    setback_c : float or None
        Set-point held in the other hours; None: not heated, the rooms float. [°C]
    """

    name: str
    heated_share: float
    heating_hours: int
    set_point_c: float
    setback_c: float | None

    def as_dict(self, area_m2: float | None = None) -> dict[str, Any]:
        """The level as the ``service_level`` object of the ``simulate`` output."""
        out: dict[str, Any] = {"name": self.name, "heated_share": round(self.heated_share, 4),
                               "heating_hours": self.heating_hours, "set_point_c": self.set_point_c,
                               "setback_c": self.setback_c}
        if area_m2 is not None:
            out["heated_area_m2"] = round(area_m2 * self.heated_share, 2)
        return out


def _tree_values(on: dt.date) -> dict[str, Any]:
    from cleanheat.parameters import defaults_tree, values_under

    return values_under(defaults_tree(), SERVICE_PREFIX, on)


@functools.cache
def service_levels(on: dt.date = dt.date(2021, 6, 1)) -> dict[str, ServiceLevel]:
    """The named service levels of the parameter files at a date, by name."""
    v = _tree_values(on)
    names = sorted({k.split(".")[0] for k in v if k.count(".") == 1})
    out = {}
    for name in names:
        setback = v.get(f"{name}.setback_c")
        out[name] = ServiceLevel(
            name=name,
            heated_share=float(v[f"{name}.heated_share"]),
            heating_hours=int(v[f"{name}.heating_hours"]),
            set_point_c=float(v[f"{name}.set_point_c"]),
            setback_c=None if setback is None else float(setback),
        )
    return out


def default_level_name(on: dt.date = dt.date(2021, 6, 1)) -> str:
    """The level a house gets when its record names none (``building.service.default_level``)."""
    return str(_tree_values(on)["default_level"])


def baseline_level_name(on: dt.date = dt.date(2021, 6, 1)) -> str:
    """The level of the coal-stove baseline "as the household heats now" (``building.service.baseline_level``)."""
    return str(_tree_values(on)["baseline_level"])


@functools.cache
def _hour_order(on: dt.date) -> tuple[int, ...]:
    order = tuple(int(h) for h in _tree_values(on)["hour_order"])
    if sorted(order) != list(range(24)):
        raise ValueError(f"building.service.hour_order must list each hour 0–23 once, got {order}")
    return order


def night_setback_hours(on: dt.date = dt.date(2021, 6, 1)) -> np.ndarray:
    """Hours of day of the night set-back a record's ``night_setback`` asks for
    (``building.service.night_setback_hours``)."""
    return np.asarray(_tree_values(on)["night_setback_hours"], dtype=np.int64)


def _number(value: Any, label: str | None, field: str, low: float, high: float, *, whole: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(float(value)):
        raise InputError(f"must be a number, got {value!r}", record=label, field=field)
    if whole and float(value) != int(value):
        raise InputError(f"must be a whole number of hours, got {value!r}", record=label, field=field)
    if not low <= float(value) <= high:
        raise InputError(f"must be between {low:g} and {high:g}, got {value!r}", record=label, field=field)
    return float(value)


def resolve_level(value: Any, *, label: str | None = None, field: str = "service_level",
                  on: dt.date = dt.date(2021, 6, 1)) -> ServiceLevel:
    """
    A record's ``service_level`` as a :class:`ServiceLevel`.

    Parameters
    ----------
    value : None, str or mapping
        None: the default level; a name (``rural_typical``, ``coal_observed``,
        ``full_comfort``); or an object with any of ``heated_share`` (0.05–1),
        ``heating_hours`` (1–24, whole), ``set_point_c`` (5–26 °C), ``setback_c`` (0 °C up
        to the set-point, or null for none) and optionally ``name`` (a level to start from
        instead of the default).
    label, field : str
        Record and field named in errors.

    Raises
    ------
    InputError
        An unknown name (with the known ones) or a value out of range, naming record and field.
    """
    levels = service_levels(on)
    if value is None:
        return levels[default_level_name(on)]
    if isinstance(value, str):
        if value not in levels:
            from cleanheat.records import suggest

            raise InputError(f"unknown service level {value!r}{suggest(value, list(levels))}; expected one of "
                             f"{', '.join(levels)} or an object with {', '.join(LEVEL_FIELDS)}",
                             record=label, field=field)
        return levels[value]
    if not isinstance(value, Mapping):
        raise InputError(f"must be a level name or an object, got {value!r}", record=label, field=field)
    from cleanheat.records import suggest

    for key in value:
        if key not in (*LEVEL_FIELDS, "name"):
            raise InputError(f"unknown item {key!r}{suggest(str(key), [*LEVEL_FIELDS, 'name'])}; expected "
                             f"{', '.join(LEVEL_FIELDS)}", record=label, field=f"{field}.{key}")
    base = resolve_level(value.get("name"), label=label, field=f"{field}.name", on=on)
    share = base.heated_share if "heated_share" not in value else _number(
        value["heated_share"], label, f"{field}.heated_share", 0.05, 1.0)
    hours = base.heating_hours if "heating_hours" not in value else int(_number(
        value["heating_hours"], label, f"{field}.heating_hours", 1, 24, whole=True))
    sp = base.set_point_c if "set_point_c" not in value else _number(
        value["set_point_c"], label, f"{field}.set_point_c", 5.0, 26.0)
    setback: float | None = base.setback_c
    if "setback_c" in value:
        setback = None if value["setback_c"] is None else _number(
            value["setback_c"], label, f"{field}.setback_c", 0.0, sp)
    if setback is not None and setback > sp:
        setback = sp
    return ServiceLevel("custom", share, hours, sp, setback)


def set_point_schedule_c(levels: Sequence[ServiceLevel], night_setback: np.ndarray | None = None,
                         night_setback_c: float = 14.0, *, on: dt.date = dt.date(2021, 6, 1)) -> FloatArray:
    """
    Set-point by hour of day of each house, shape (n_houses, 24). [°C]

    The level's ``heating_hours`` first hours of ``hour_order`` hold ``set_point_c``; the
    others hold ``setback_c``, or :data:`FREE_FLOAT_C` (not heated). Where ``night_setback``
    is true, the hours of ``night_setback_hours`` (22:00–06:00) hold at most ``night_setback_c`` (the older per-record
    switch, kept).
    """
    order = _hour_order(on)
    n = len(levels)
    sp = np.empty((n, 24))
    for i, lv in enumerate(levels):
        sp[i, :] = FREE_FLOAT_C if lv.setback_c is None else lv.setback_c
        sp[i, list(order[:lv.heating_hours])] = lv.set_point_c
    if night_setback is not None:
        night = night_setback_hours(on)
        sb = np.asarray(night_setback, dtype=bool)
        sp[np.ix_(sb, night)] = np.minimum(sp[np.ix_(sb, night)], night_setback_c)
    return sp
