"""Sites: where a house stands, its heating season and design temperature, and where its weather comes from.

The built-in sites (``yanchi``, ``beijing``) are read from the dated parameter files under
``cleanheat/data/defaults/climate/<site>/``; the eight Yanchi townships resolve to the Yanchi
site. Users add sites from monthly normals (:func:`add_site_from_normals`) or from an EPW file
(:func:`add_site_from_epw`).
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cleanheat.climate.normals import MonthlyNormals
from cleanheat.errors import InputError
from cleanheat.parameters import ParameterTree, defaults_tree

__all__ = [
    "Site",
    "Soil",
    "add_site_from_epw",
    "add_site_from_normals",
    "default_soil",
    "get_site",
    "ground_temp_offset_k",
    "site_names",
    "site_soil",
]

YANCHI_TOWNSHIPS = ("花马池镇", "惠安堡镇", "大水坑镇", "高沙窝镇", "王乐井乡", "青山乡", "冯记沟乡", "麻黄山乡")
"""The eight townships of Yanchi county (盐池县); each maps to the Yanchi site."""

BUILTIN_SITES = ("yanchi", "beijing")



def ground_temp_offset_k() -> float:
    """Excess of the undisturbed ground temperature over the annual mean air temperature. [K]

    Rule of thumb: at 10–100 m depth the ground is 1–2 K warmer than the annual mean air (snow
    cover, solar gain on the surface and the geothermal gradient). One source for every site,
    built-in or user: the parameter ``climate.ground_temp_offset_k`` (unconfirmed).
    """
    return float(_latest(defaults_tree(), "climate.ground_temp_offset_k"))

@dataclass(frozen=True)
class Soil:
    """The ground at a site: what the floor (ISO 13370) and a cave's earth are set in.

    Attributes
    ----------
    conductivity_w_mk : float
        Thermal conductivity λ of the unfrozen ground. [W/(m K)]
    heat_capacity_j_m3k : float
        Volumetric heat capacity ρc. [J/(m³ K)]
    source : str
        Where the values come from.
    """

    conductivity_w_mk: float
    heat_capacity_j_m3k: float
    source: str = ""

    def __post_init__(self) -> None:
        for fld in ("conductivity_w_mk", "heat_capacity_j_m3k"):
            v = getattr(self, fld)
            if not (isinstance(v, int | float) and v > 0):
                raise InputError(f"soil {fld} must be > 0, got {v!r}", field=fld)

    @property
    def diffusivity_m2_s(self) -> float:
        """Thermal diffusivity λ / ρc. [m²/s]"""
        return self.conductivity_w_mk / self.heat_capacity_j_m3k


def default_soil() -> Soil:
    """The soil of a site that gives none: ISO 13370 Table 7's default when the ground type is not
    known (sand or gravel, parameters ``climate.soil_*_default_*``)."""
    tree = defaults_tree()
    return Soil(float(_latest(tree, "climate.soil_conductivity_default_w_mk")),
                float(_latest(tree, "climate.soil_heat_capacity_default_j_m3k")),
                source="ISO 13370 default (ground type not known)")


def site_soil(site: Any) -> Soil:
    """The soil of a site (its ``soil``), or :func:`default_soil` for a site without one."""
    soil = getattr(site, "soil", None)
    return soil if isinstance(soil, Soil) else default_soil()


_REGIONS = {
    # site: (tariff/price region, grid region of the emission factor)
    "yanchi": ("ningxia", "northwest"),
    "beijing": ("beijing", "north_china"),
}


@dataclass(frozen=True)
class Site:
    """A site: location, heating design data, and the source of its typical-year weather.

    Attributes
    ----------
    name : str
        Lower-case identifier (``yanchi``).
    latitude_deg, longitude_deg : float
        Geographic coordinates, north and east positive. [°]
    elevation_m : float
        Elevation above sea level. [m]
    tz : str
        IANA time zone of local standard time, without daylight saving (``Etc/GMT-8`` = UTC+8).
    design_temp_c : float
        Heating design outdoor temperature (供暖室外计算温度, GB 50736-2012 4.1.2). [°C]
    heating_season_start, heating_season_end : tuple of int
        First and last day of the heating season as (month, day), both included; the season
        may wrap the year end (Nov–Mar).
    undisturbed_ground_temp_c : float
        Undisturbed ground temperature for borehole models. [°C]
    normals : MonthlyNormals or None
        Monthly normals from which a typical year is generated.
    epw_path : pathlib.Path or None
        EPW typical-year file; used instead of the generator when given.
    tariff_region : str
        Folder of ``tariffs/`` and ``prices/`` that applies (``ningxia``, ``beijing``).
    grid_region : str
        Regional grid of the electricity emission factor (``northwest``, ``north_china``, ``national``).
    source : str
        Where the site data come from.
    soil : Soil or None
        The ground at the site; None: :func:`default_soil` (read through :func:`site_soil`).
    """

    name: str
    latitude_deg: float
    longitude_deg: float
    elevation_m: float
    tz: str
    design_temp_c: float
    heating_season_start: tuple[int, int]
    heating_season_end: tuple[int, int]
    undisturbed_ground_temp_c: float
    normals: MonthlyNormals | None = None
    epw_path: Path | None = None
    tariff_region: str = "ningxia"
    grid_region: str = "national"
    source: str = ""
    soil: Soil | None = None

    def __post_init__(self) -> None:
        if not -90.0 <= self.latitude_deg <= 90.0:
            raise InputError(f"latitude_deg must be in [-90, 90], got {self.latitude_deg}", field="latitude_deg")
        if not -180.0 <= self.longitude_deg <= 180.0:
            raise InputError(
                f"longitude_deg must be in [-180, 180], got {self.longitude_deg}", field="longitude_deg"
            )
        for fld in ("heating_season_start", "heating_season_end"):
            month, day = getattr(self, fld)
            try:
                dt.date(2023, int(month), int(day))
            except (TypeError, ValueError):
                raise InputError(f"{fld} must be a (month, day) pair, got {(month, day)!r}", field=fld) from None
        if self.normals is None and self.epw_path is None:
            raise InputError(f"site {self.name!r} needs monthly normals or an EPW file", field="normals")

    @property
    def heating_season_days(self) -> int:
        """Length of the heating season in a non-leap year, both ends included. [d]"""
        start = dt.date(2023, *self.heating_season_start)
        end = dt.date(2023, *self.heating_season_end)
        days = (end - start).days
        return days + 1 if days >= 0 else days + 366


# --------------------------------------------------------------------------------------------
# Parameter files
# --------------------------------------------------------------------------------------------


def _latest(tree: ParameterTree, name: str) -> Any:
    """The latest value of a parameter (site data are not dated by policy)."""
    param = tree[name]
    return param.at(param.values[-1].start)


def _month_day(text: str) -> tuple[int, int]:
    month, day = str(text).split("-")
    return int(month), int(day)


@functools.cache
def _builtin_site(name: str) -> Site:
    tree = defaults_tree()
    p = f"climate.{name}."
    normals = MonthlyNormals.from_min_max(
        _latest(tree, p + "temp_mean_c"),
        _latest(tree, p + "temp_min_mean_c"),
        _latest(tree, p + "temp_max_mean_c"),
        _latest(tree, p + "ghi_daily_mj_m2"),
        source=tree[p + "temp_mean_c"].reference,
    )
    offset_k = ground_temp_offset_k()
    tariff_region, grid_region = _REGIONS[name]
    return Site(
        name=name,
        latitude_deg=float(_latest(tree, p + "latitude_deg")),
        longitude_deg=float(_latest(tree, p + "longitude_deg")),
        elevation_m=float(_latest(tree, p + "elevation_m")),
        tz=str(_latest(tree, p + "tz")),
        design_temp_c=float(_latest(tree, p + "design_temp_c")),
        heating_season_start=_month_day(_latest(tree, p + "heating_season_start")),
        heating_season_end=_month_day(_latest(tree, p + "heating_season_end")),
        undisturbed_ground_temp_c=round(normals.annual_mean_temp_c + offset_k, 2),
        normals=normals,
        tariff_region=tariff_region,
        grid_region=grid_region,
        source=f"parameter files climate/{name}/",
        soil=Soil(float(_latest(tree, p + "soil_conductivity_w_mk")),
                  float(_latest(tree, p + "soil_heat_capacity_j_m3k")),
                  source=tree[p + "soil_conductivity_w_mk"].reference),
    )


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------

_USER_SITES: dict[str, Site] = {}
_LOCK = threading.Lock()


def _key(name: str) -> str:
    return str(name).strip().lower()


def site_names() -> list[str]:
    """Names ``get_site`` accepts: built-in sites, Yanchi townships and user sites."""
    return [*BUILTIN_SITES, *YANCHI_TOWNSHIPS, *sorted(_USER_SITES)]


def get_site(name: str | Site) -> Site:
    """The site of a name: ``yanchi``, ``beijing``, a Yanchi township (→ Yanchi) or a user site.

    Raises
    ------
    InputError
        If the name is unknown (the message names the value and the accepted names).
    """
    if isinstance(name, Site):
        return name
    key = _key(name)
    if key in _USER_SITES:
        return _USER_SITES[key]
    if key in BUILTIN_SITES:
        return _builtin_site(key)
    if str(name).strip() in YANCHI_TOWNSHIPS:
        return _builtin_site("yanchi")
    raise InputError(f"unknown site {name!r}; known: {', '.join(site_names())}", field="site")


def _register(site: Site) -> Site:
    key = _key(site.name)
    if key in BUILTIN_SITES or site.name.strip() in YANCHI_TOWNSHIPS:
        raise InputError(f"site name {site.name!r} is taken by a built-in site", field="name")
    with _LOCK:
        _USER_SITES[key] = site
    return site


def add_site_from_normals(
    name: str,
    *,
    latitude_deg: float,
    longitude_deg: float,
    elevation_m: float,
    normals: MonthlyNormals,
    tz: str = "Etc/GMT-8",
    design_temp_c: float | None = None,
    heating_season_start: tuple[int, int] = (11, 1),
    heating_season_end: tuple[int, int] = (3, 31),
    undisturbed_ground_temp_c: float | None = None,
    tariff_region: str = "ningxia",
    grid_region: str = "national",
    soil: Soil | None = None,
) -> Site:
    """Register a user site whose typical year is generated from monthly normals.

    ``design_temp_c`` defaults to :func:`cleanheat.climate.weather.derive_design_temp_c`
    (20 generated years, confidence C); ``undisturbed_ground_temp_c`` to the annual mean air
    temperature plus :func:`ground_temp_offset_k`. [°C] ``soil`` defaults to :func:`default_soil`.
    """
    ground_c = (
        normals.annual_mean_temp_c + ground_temp_offset_k()
        if undisturbed_ground_temp_c is None
        else undisturbed_ground_temp_c
    )
    site = Site(
        name=_key(name),
        latitude_deg=float(latitude_deg),
        longitude_deg=float(longitude_deg),
        elevation_m=float(elevation_m),
        tz=tz,
        design_temp_c=float("nan") if design_temp_c is None else float(design_temp_c),
        heating_season_start=heating_season_start,
        heating_season_end=heating_season_end,
        undisturbed_ground_temp_c=float(ground_c),
        normals=normals,
        tariff_region=tariff_region,
        grid_region=grid_region,
        source="user normals",
        soil=soil,
    )
    if design_temp_c is None:
        from cleanheat.climate.weather import derive_design_temp_c

        site = _replace_design(site, derive_design_temp_c(site))
    return _register(site)


def add_site_from_epw(
    path: str | Path,
    *,
    name: str | None = None,
    design_temp_c: float | None = None,
    heating_season_start: tuple[int, int] = (11, 1),
    heating_season_end: tuple[int, int] = (3, 31),
    undisturbed_ground_temp_c: float | None = None,
    tariff_region: str = "ningxia",
    grid_region: str = "national",
    soil: Soil | None = None,
) -> Site:
    """Register a user site whose typical year is read from an EPW file.

    Location, elevation and time zone come from the file's LOCATION header; ``name`` defaults
    to its city. ``design_temp_c`` defaults to the design statistic of the file's year (see
    :func:`cleanheat.climate.weather.derived_design_temp_c`), the ground temperature to the
    file's annual mean plus :func:`ground_temp_offset_k`. [°C] ``soil`` defaults to
    :func:`default_soil`.

    Raises
    ------
    InputError
        If the file does not exist or cannot be read as EPW.
    """
    from cleanheat.climate.weather import derived_design_temp_c, read_epw

    year = read_epw(path)
    base = year.site
    annual_c = float(np.mean(year.temp_air_c))
    site = Site(
        name=_key(name or base.name),
        latitude_deg=base.latitude_deg,
        longitude_deg=base.longitude_deg,
        elevation_m=base.elevation_m,
        tz=base.tz,
        design_temp_c=derived_design_temp_c(year) if design_temp_c is None else float(design_temp_c),
        heating_season_start=heating_season_start,
        heating_season_end=heating_season_end,
        undisturbed_ground_temp_c=(
            annual_c + ground_temp_offset_k() if undisturbed_ground_temp_c is None else undisturbed_ground_temp_c
        ),
        normals=base.normals,
        epw_path=Path(path).resolve(),
        tariff_region=tariff_region,
        grid_region=grid_region,
        source=base.source,
        soil=soil,
    )
    return _register(site)


def _replace_design(site: Site, design_temp_c: float) -> Site:
    from dataclasses import replace

    return replace(site, design_temp_c=round(float(design_temp_c), 1))
