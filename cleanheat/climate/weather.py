"""Typical-year weather for a site: EPW reader, the cached loader and climate statistics.

``load_typical_year(site)`` reads the site's EPW file when it has one (pvlib.iotools), and
otherwise generates the year from the site's monthly normals
(:func:`cleanheat.climate.typical_year.generate_typical_year`).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pvlib

from cleanheat.climate.normals import MonthlyNormals, monthly_means
from cleanheat.climate.sites import Site, get_site, ground_temp_offset_k
from cleanheat.climate.typical_year import (
    HOURS_PER_YEAR,
    TypicalYear,
    generate_typical_year,
    hourly_index,
    solar_geometry,
)
from cleanheat.errors import InputError
from cleanheat.units import FloatArray

__all__ = [
    "DESIGN_UNPROTECTED_DAYS",
    "EPW_MISSING_FLAGS",
    "EPW_VALID_RANGE",
    "MAX_FILLED_GAP_H",
    "degree_days_k_d",
    "derive_design_temp_c",
    "derived_design_temp_c",
    "design_day_temp_c",
    "hours_below",
    "load_typical_year",
    "normals_from_year",
    "read_epw",
]

DESIGN_UNPROTECTED_DAYS = 5
"""Days per year allowed below the heating design temperature ("不保证5天", GB 50736-2012 4.1.2). [d]"""

DESIGN_TYPICAL_YEAR_OFFSET_K = -2.3
"""Correction from the single-year design statistic of a typical year to the multi-year one. [K]

Calibrated on Beijing: GB 50736-2012 App. A gives −7.6 °C from 1971–2000 daily data; the same
statistic on the ASHRAE IWEC typical year gives −5.3 °C (a typical year lacks the extreme
cold spells of a 30-year record), hence −2.3 K. Derived (confidence C), one station only.
"""


EPW_MISSING_FLAGS: dict[str, float] = {
    "temp_air": 99.9, "temp_dew": 99.9, "relative_humidity": 999.0, "atmospheric_pressure": 999999.0,
    "ghi": 9999.0, "dni": 9999.0, "dhi": 9999.0, "ghi_infrared": 9999.0, "wind_direction": 999.0,
    "wind_speed": 999.0,
}
"""The EPW "missing" value of each field (EnergyPlus Auxiliary Programs, EPW data dictionary):
99.9 °C is no temperature but a missing dry-bulb reading, 9999 W/m² a missing irradiance."""

EPW_VALID_RANGE: dict[str, tuple[float, float]] = {
    "temp_air": (-70.0, 70.0), "ghi": (0.0, 9998.0), "dni": (0.0, 9998.0), "dhi": (0.0, 9998.0),
}
"""Valid ranges of the fields the simulation reads (dry bulb −70…70 °C per the EPW dictionary,
irradiance ≥ 0): a value outside is treated as missing."""

MAX_FILLED_GAP_H = 6
"""Longest run of missing hours that :func:`read_epw` fills (linearly between the neighbours). [h]

A few hours of a day's course are well bridged by a straight line; a longer gap would invent a
day's weather, so a file with one is refused.
"""


def _fill_gaps(values: FloatArray, field: str, where: str) -> tuple[FloatArray, int]:
    """Missing values (flag, NaN, out of range) filled linearly over runs ≤ :data:`MAX_FILLED_GAP_H` h.

    The year wraps (31 Dec 23:00 → 1 Jan 00:00), as a typical year does.

    Raises
    ------
    InputError
        A run of missing hours longer than :data:`MAX_FILLED_GAP_H`, or a field missing entirely.
    """
    lo, hi = EPW_VALID_RANGE[field]
    flag = EPW_MISSING_FLAGS[field]
    bad = ~np.isfinite(values) | (values >= flag) | (values < lo) | (values > hi)
    n_bad = int(bad.sum())
    if n_bad == 0:
        return values, 0
    if n_bad == values.size:
        raise InputError(f"weather file {where}: every hour of {field} is missing", field="epw_path")
    n = values.size
    start = int(np.flatnonzero(~bad)[0])  # rotate so that the year starts on a valid hour
    rolled = np.roll(values, -start)
    rbad = np.roll(bad, -start)
    edges = np.diff(np.concatenate([[0], rbad.astype(np.int8), [0]]))
    runs = list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))
    longest = max(b - a for a, b in runs)
    if longest > MAX_FILLED_GAP_H:
        a, b = max(runs, key=lambda r: r[1] - r[0])
        first = (a + start) % n
        day, hour = divmod(first, 24)
        raise InputError(
            f"weather file {where}: {n_bad} hours of {field} are missing (EPW flag {flag:g} or out of range), "
            f"the longest gap {b - a} h from hour {first} (day {day + 1} of the year, {hour:02d}:00); "
            f"only gaps up to {MAX_FILLED_GAP_H} h are filled", field="epw_path")
    good = np.flatnonzero(~rbad)
    filled = rolled.copy()
    filled[rbad] = np.interp(np.flatnonzero(rbad), np.concatenate([good, [n]]),
                             np.concatenate([rolled[good], [rolled[good[0]]]]))
    return np.roll(filled, start), n_bad


def read_epw(path: str | Path, name: str | None = None) -> TypicalYear:
    """Read an EPW typical-year file into a :class:`TypicalYear`.

    Parameters
    ----------
    path : str or pathlib.Path
        EPW file (EnergyPlus weather format).
    name : str, optional
        Site name; defaults to the file's LOCATION city, lower-case.

    Returns
    -------
    TypicalYear
        The file's hours relabelled to the non-leap typical year (29 February dropped if
        present), local standard time of the file's time-zone field. The site carries the
        file's location and monthly normals computed from the file; its design temperature is
        :func:`derived_design_temp_c` of the year and its heating season 1 Nov – 31 Mar.

    Raises
    ------
    InputError
        If the file is missing or is not an 8760/8784-hour EPW file, or if a field the
        simulation reads (dry bulb, GHI, DNI, DHI) has a gap of missing values longer than
        :data:`MAX_FILLED_GAP_H` hours.

    Notes
    -----
    EPW hour *h* covers (h−1):00–h:00 local standard time; pvlib labels it by its start,
    as :class:`TypicalYear` does.

    Missing values (the EPW flags of :data:`EPW_MISSING_FLAGS`, e.g. 99.9 °C, and values outside
    :data:`EPW_VALID_RANGE`) are not weather: gaps up to :data:`MAX_FILLED_GAP_H` hours are
    filled by linear interpolation between the neighbouring hours, and the year's ``source``
    (and the site's) says how many hours of which field were filled.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"weather file {str(p)!r} does not exist", field="epw_path")
    try:
        data, meta = pvlib.iotools.read_epw(str(p))
    except Exception as exc:  # pvlib raises various parse errors
        raise InputError(f"weather file {str(p)!r} is not a readable EPW file: {exc}", field="epw_path") from exc
    keep = ~((data["month"] == 2) & (data["day"] == 29))
    data = data.loc[keep.to_numpy()]
    if len(data) != HOURS_PER_YEAR:
        raise InputError(f"weather file {str(p)!r} has {len(data)} hours, expected 8760", field="epw_path")
    offset_h = float(meta["TZ"])
    tz = "UTC" if offset_h == 0 else f"Etc/GMT{-int(offset_h):+d}"
    if offset_h != int(offset_h):
        raise InputError(f"weather file {str(p)!r}: fractional time zone {offset_h} not supported", field="epw_path")
    where = repr(str(p))
    columns = {}
    filled_h: dict[str, int] = {}
    for fld in ("temp_air", "ghi", "dni", "dhi"):
        columns[fld], k = _fill_gaps(data[fld].to_numpy(dtype=np.float64), fld, where)
        if k:
            filled_h[fld] = k
    temp, ghi, dni, dhi = (columns[f] for f in ("temp_air", "ghi", "dni", "dhi"))
    filled_note = "".join(f"; filled {k} h of missing {f} (linear, gaps ≤ {MAX_FILLED_GAP_H} h)"
                          for f, k in filled_h.items())
    daily_ghi_mj = ghi.reshape(365, 24).sum(axis=1) * 3600.0 / 1e6
    day_t = temp.reshape(365, 24)
    normals = MonthlyNormals(
        temp_mean_c=tuple(np.round(monthly_means(day_t.mean(axis=1)), 3)),
        temp_range_k=tuple(np.round(monthly_means(day_t.max(axis=1) - day_t.min(axis=1)), 3)),
        ghi_daily_mj_m2=tuple(np.round(monthly_means(daily_ghi_mj), 3)),
        source=f"monthly means of {p.name}",
    )
    site = Site(
        name=(name or str(meta.get("city", p.stem))).strip().lower(),
        latitude_deg=float(meta["latitude"]),
        longitude_deg=float(meta["longitude"]),
        elevation_m=float(meta["altitude"]),
        tz=tz,
        design_temp_c=float("nan"),
        heating_season_start=(11, 1),
        heating_season_end=(3, 31),
        undisturbed_ground_temp_c=float(temp.mean()) + ground_temp_offset_k(),
        normals=normals,
        epw_path=p.resolve(),
        source=f"EPW file {p.name}{filled_note}",
    )
    time = hourly_index(tz)
    solpos = solar_geometry(site, time)
    year = TypicalYear(
        site=site,
        time=time,
        temp_air_c=temp,
        ghi_w_m2=ghi,
        dni_w_m2=dni,
        dhi_w_m2=dhi,
        solar_zenith_deg=solpos["apparent_zenith"].to_numpy(),
        solar_azimuth_deg=solpos["azimuth"].to_numpy(),
        dni_extra_w_m2=solpos["dni_extra"].to_numpy(),
        source=f"EPW file {p}{filled_note}",
    )
    from dataclasses import replace

    site = replace(site, design_temp_c=round(derived_design_temp_c(year), 1))
    return replace(year, site=site)


@functools.lru_cache(maxsize=64)
def _load(site: Site, seed: int) -> TypicalYear:
    if site.epw_path is not None:
        from dataclasses import replace

        year = read_epw(site.epw_path, name=site.name)
        return replace(year, site=site)
    return generate_typical_year(site, seed=seed)


def load_typical_year(site_or_name: str | Site, seed: int = 0) -> TypicalYear:
    """The typical year of a site: its EPW file if it has one, else generated from its normals.

    Cached per (site, seed); the arrays of the returned year are read-only.

    Raises
    ------
    InputError
        If the site name is unknown or its EPW file cannot be read.
    """
    return _load(get_site(site_or_name), int(seed))


# --------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------


def degree_days_k_d(temp_air_c: FloatArray, base_c: float = 18.0) -> float:
    r"""
    Heating degree-days from hourly temperatures, by daily means.

    Parameters
    ----------
    temp_air_c : numpy.ndarray, shape (24 n,)
        Hourly air temperature over whole days. [°C]
    base_c : float, default 18.0
        Base temperature (JGJ 26-2018 uses 18 °C). [°C]

    Returns
    -------
    float
        :math:`\sum_d \max(0, T_b - \bar T_d)`. [K·d]
    """
    daily = np.asarray(temp_air_c, dtype=np.float64).reshape(-1, 24).mean(axis=1)
    return float(np.clip(base_c - daily, 0.0, None).sum())


def hours_below(temp_air_c: FloatArray, threshold_c: float) -> int:
    """Number of hours with air temperature below a threshold. [h]"""
    return int(np.count_nonzero(np.asarray(temp_air_c) < threshold_c))


def design_day_temp_c(year: TypicalYear, unprotected_days: int = DESIGN_UNPROTECTED_DAYS) -> float:
    """Design-day statistic of one year: daily mean with ``unprotected_days`` colder days. [°C]

    The single-year form of GB 50736-2012 4.1.2 ("历年平均不保证5天的日平均温度"): the mean
    of the 5th and 6th lowest daily mean temperatures of the year.
    """
    daily = np.sort(year.daily_mean_temp_c())
    return float(0.5 * (daily[unprotected_days - 1] + daily[unprotected_days]))


def derived_design_temp_c(year: TypicalYear) -> float:
    """Heating design temperature estimated from a typical year, where no published value exists. [°C]

    :func:`design_day_temp_c` of the year plus :data:`DESIGN_TYPICAL_YEAR_OFFSET_K`
    (calibrated on Beijing). Confidence C: a derived value, to be replaced by the
    GB 50736 (or local) figure when found.
    """
    return design_day_temp_c(year) + DESIGN_TYPICAL_YEAR_OFFSET_K


def derive_design_temp_c(site: Site, n_years: int = 20) -> float:
    """Heating design temperature of a site with normals only, derived from generated years. [°C]

    Mean of :func:`design_day_temp_c` over ``n_years`` generated years (seeds 0, 1, …) plus
    :data:`DESIGN_TYPICAL_YEAR_OFFSET_K`, rounded to 0.1 K. This is how the Yanchi value in
    ``climate/yanchi/design_temp_c.yaml`` was obtained (confidence C).
    """
    stats = [design_day_temp_c(generate_typical_year(site, seed=seed)) for seed in range(n_years)]
    return round(float(np.mean(stats)) + DESIGN_TYPICAL_YEAR_OFFSET_K, 1)


def normals_from_year(year: TypicalYear) -> MonthlyNormals:
    """Monthly normals (mean temperature, mean daily range, mean daily GHI) of an hourly year."""
    day_t = np.asarray(year.temp_air_c).reshape(365, 24)
    daily_ghi_mj = np.asarray(year.ghi_w_m2).reshape(365, 24).sum(axis=1) * 3600.0 / 1e6
    return MonthlyNormals(
        temp_mean_c=tuple(float(v) for v in monthly_means(day_t.mean(axis=1))),
        temp_range_k=tuple(float(v) for v in monthly_means(day_t.max(axis=1) - day_t.min(axis=1))),
        ghi_daily_mj_m2=tuple(float(v) for v in monthly_means(daily_ghi_mj)),
        source=f"monthly means of {year.source}",
    )
