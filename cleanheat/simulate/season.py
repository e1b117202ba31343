"""The heating-season simulation: many houses × many methods, hour by hour, vectorised over houses.

:func:`season_climate` turns a site and its typical year into the hourly arrays the models
need (once per site, with pvlib); :func:`simulate_season` computes each house's hourly heat
demand with the RC model and runs every method of the catalogue on it, in chunks of houses so
that memory does not grow with the number of houses. Loops run over hours (where a state
carries from one hour to the next) or over the eleven methods, never over houses.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cleanheat.building import heat_load as hl
from cleanheat.building.parameters import BuildingDefaults, building_defaults
from cleanheat.building.service import night_setback_hours
from cleanheat.climate.sites import default_soil, site_soil
from cleanheat.simulate import kernels
from cleanheat.technologies import combustion, ground_loop, heat_pump, solar_thermal, storage_heater
from cleanheat.technologies.catalogue import TECHNOLOGIES, Technology, technology_parameters
from cleanheat.units import FloatArray, IntArray

__all__ = [
    "SeasonClimate",
    "CostInputs",
    "Houses",
    "SeasonResult",
    "PERIOD_VALLEY",
    "PERIOD_FLAT",
    "PERIOD_PEAK",
    "season_climate",
    "simulate_season",
    "UNMET_THRESHOLD_KW",
]

log = logging.getLogger(__name__)

PERIOD_VALLEY, PERIOD_FLAT, PERIOD_PEAK = 0, 1, 2
UNMET_THRESHOLD_KW = 0.01
"""An hour counts as under-heated when unmet heat exceeds 10 W (numerical noise below). [kW]"""


@dataclass
class SeasonClimate:
    """Hourly climate of one site over its heating season, preceded by warm-up hours.

    Hour 0 is 00:00 local time of the first warm-up day. All arrays have shape
    (warmup_hours + season_hours,).
    """

    site: str
    temp_air_c: FloatArray
    irr_south_w_m2: FloatArray
    irr_north_w_m2: FloatArray
    poa_collector_w_m2: FloatArray
    temp_earth_c: FloatArray
    hour_of_day: IntArray
    warmup_hours: int
    temp_design_c: float
    temp_ground_c: float
    temp_earth_design_c: float
    recharge_yield_kwh_m2: float = 0.0
    recharge_days: float = 150.0
    time_label: np.ndarray | None = None
    """Month, day and hour of each step of the typical year ("11-01 00:00"), for hourly output."""
    temp_out_mean_c: float | None = None
    """Annual mean outdoor temperature, the steady part of ISO 13370's floor. None: the floor
    sees ``temp_ground_c``, constant (a climate built by hand without a year). [°C]"""
    temp_out_amplitude_k: float = 0.0
    """Annual amplitude of the monthly mean outdoor temperature (the floor's design month). [K]"""
    floor_wave_k: FloatArray | None = None
    """:func:`cleanheat.building.heat_load.floor_external_wave_k` per hour (same shape as
    ``temp_air_c``); None: no periodic floor term. [K]"""
    air_heat_capacity_wh_m3k: float | None = None
    """ρ c_p of air at the site's elevation; None: at sea level (parameter file). [Wh/(m³ K)]"""
    soil_conductivity_w_mk: float | None = None
    """Site soil λ; None: ISO 13370's default (``climate.soil_conductivity_default_w_mk``). [W/(m K)]"""
    soil_heat_capacity_j_m3k: float | None = None
    """Site soil ρc; None: ISO 13370's default. [J/(m³ K)]"""
    collector_iam: FloatArray | None = None
    """Effective incidence-angle modifier of the collector's irradiance by hour
    (:func:`cleanheat.technologies.solar_thermal.collector_irradiance`); None: 1. [unitless]"""

    @property
    def season_hours(self) -> int:
        return int(self.temp_air_c.shape[0] - self.warmup_hours)

    def season(self, arr: np.ndarray) -> np.ndarray:
        """The season part (warm-up dropped) of an hourly array."""
        return arr[self.warmup_hours:]


@dataclass
class CostInputs:
    """Tariff, fuel prices and CO₂ factors the running cost and emissions are computed with.

    ``price_by_hour_cny_per_kwh`` and ``period_by_hour`` (0 valley, 1 flat, 2 peak) have 24
    entries, by local hour of day. Prices in CNY per kWh / m³ / kg; factors in kg CO₂ per
    kWh / m³ / kg.
    """

    price_by_hour_cny_per_kwh: FloatArray
    period_by_hour: IntArray
    gas_cny_per_m3: float
    biomass_cny_per_kg: float
    coal_cny_per_kg: float
    grid_kg_co2_per_kwh: float
    gas_kg_co2_per_m3: float
    coal_kg_co2_per_kg: float
    biomass_kg_co2_per_kg: float
    gas_kwh_per_m3: float
    biomass_kwh_per_kg: float
    coal_kwh_per_kg: float
    valley_subsidy_cny_per_kwh: float = 0.0
    valley_subsidy_cap_kwh: float = 0.0


@dataclass
class Houses:
    """House records as arrays, shape (n_houses,): area [m²], dwelling and envelope codes,
    night set-back flag, the supply temperature of the house's emitters at the design
    temperature [°C] (NaN or ``None``: each method's default emitter), and the service level:
    ``heated_share`` of the area that is heated [unitless] and ``set_point_c``, the set-point
    by hour of day, shape (n_houses, 24) [°C] (:func:`cleanheat.building.service.set_point_schedule_c`;
    ``None``: the whole area at ``building.comfort.set_point_c`` all day — full comfort).

    ``heated_area_m2`` is the house's floor area the heating system serves (the ledger's
    heated area); the heated zone simulated is ``heated_share`` of it. ``emitter_delta_t_k`` is
    the emitters' design supply-minus-return difference [K] (NaN or ``None``: the method's default).
    """

    heated_area_m2: FloatArray
    dwelling: np.ndarray
    envelope: np.ndarray
    setback: np.ndarray | None = None
    emitter_supply_c: FloatArray | None = None
    heated_share: FloatArray | None = None
    set_point_c: FloatArray | None = None
    emitter_delta_t_k: FloatArray | None = None

    def take(self, idx: np.ndarray | slice) -> Houses:
        """The houses at ``idx``."""
        def cut(a: Any) -> Any:
            return None if a is None else np.asarray(a)[idx]
        return Houses(np.asarray(self.heated_area_m2)[idx], np.asarray(self.dwelling)[idx],
                      np.asarray(self.envelope)[idx], cut(self.setback), cut(self.emitter_supply_c),
                      cut(self.heated_share), cut(self.set_point_c),
                      emitter_delta_t_k=cut(self.emitter_delta_t_k))

    def __len__(self) -> int:
        return int(self.heated_area_m2.shape[0])


@dataclass
class SeasonResult:
    """Per house (rows) and method (columns, in ``technologies`` order).

    Energies in kWh, gas in m³, solid fuels in kg, money in CNY, CO₂ in kg, power in kW.
    ``hourly_*`` arrays are kept only when asked (small runs); ``group_electric_kw`` sums the
    hourly electric demand of the houses of each group (township) for every method:
    shape (n_groups, n_methods, season_hours).
    """

    technologies: tuple[Technology, ...]
    design_heat_load_kw: FloatArray
    season_heat_demand_kwh: FloatArray
    delivered_heat_kwh: FloatArray
    unmet_heat_kwh: FloatArray
    unmet_hours: IntArray
    electricity_kwh: FloatArray
    electricity_valley_kwh: FloatArray
    electricity_flat_kwh: FloatArray
    electricity_peak_kwh: FloatArray
    gas_m3: FloatArray
    biomass_kg: FloatArray
    coal_kg: FloatArray
    running_cost_cny: FloatArray
    co2_kg: FloatArray
    seasonal_efficiency: FloatArray
    peak_electric_kw: FloatArray
    solar_fraction: FloatArray
    min_fluid_temp_c: FloatArray
    hourly_heat_demand_kw: FloatArray | None = None
    hourly_delivered_kw: FloatArray | None = None
    hourly_electricity_kw: FloatArray | None = None
    hourly_unmet_kw: FloatArray | None = None
    group_electric_kw: FloatArray | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    spf_h2: FloatArray | None = None
    """Seasonal performance factor at SEPEMO boundary H2 (heat-pump heat / compressor with cycling,
    source-side pump or fan, standby); NaN for methods without a heat pump. [unitless]"""
    spf_h4: FloatArray | None = None
    """SEPEMO H4 (H2 + backup heater + emitter-side circulation pump: what the household pays for;
    for a household system also GB/T 50801's system COP); NaN without a heat pump. [unitless]"""


# ------------------------------------------------------------------------------------------
# Climate
# ------------------------------------------------------------------------------------------


def season_climate(site: Any, year: Any, *, warmup_days: int = 7, on: dt.date = dt.date(2021, 6, 1)) -> SeasonClimate:
    """
    Hourly arrays of one site's heating season from its typical year.

    Parameters
    ----------
    site : cleanheat.climate.sites.Site
        ``name``, ``latitude_deg``, ``longitude_deg``, ``elevation_m``, ``design_temp_c``,
        ``undisturbed_ground_temp_c``.
    year : cleanheat.climate.weather.TypicalYear
        8760 hourly values (``time``, ``temp_air_c``, ``ghi_w_m2``, ``dni_w_m2``,
        ``dhi_w_m2``) and ``heating_season_mask()``.
    warmup_days : int, default 7
        Days run before the season to settle the house's thermal mass. [d]
    on : date
        Date at which the building and technology defaults are read.

    Returns
    -------
    SeasonClimate

    Notes
    -----
    The season may wrap the year end (1 Nov – 31 Mar): the typical year is read circularly
    from 00:00 of the first season day minus the warm-up. Facade and collector irradiance come
    from :func:`cleanheat.technologies.solar_thermal.plane_irradiance_w_m2`; the earth around a
    cave follows :func:`cleanheat.building.heat_load.earth_temperature_c` with the site's
    undisturbed ground temperature as the mean and half the range of monthly mean air
    temperature as the amplitude.
    """
    bd = building_defaults(on)
    tp = technology_parameters(on)
    temp = np.asarray(year.temp_air_c, dtype=float)
    n_year = temp.shape[0]
    mask = np.asarray(year.heating_season_mask(), dtype=bool)
    starts = np.flatnonzero(mask & ~np.roll(mask, 1))
    if mask.all() or len(starts) == 0:
        start = 0
    else:
        lengths = [_run_length(mask, int(s)) for s in starts]
        start = int(starts[int(np.argmax(lengths))])
    n_season = int(mask.sum()) // 24 * 24
    idx = (start - 24 * warmup_days + np.arange(24 * warmup_days + n_season)) % n_year
    import pandas as pd

    time = pd.DatetimeIndex(year.time)
    ghi, dni, dhi = (np.asarray(a, dtype=float) for a in (year.ghi_w_m2, year.dni_w_m2, year.dhi_w_m2))
    lat, lon, elev = float(site.latitude_deg), float(site.longitude_deg), float(site.elevation_m)

    def plane(tilt: float, azimuth: float) -> FloatArray:
        return solar_thermal.plane_irradiance_w_m2(time, lat, lon, elev, ghi, dni, dhi, tilt, azimuth)

    south, north = plane(90.0, 180.0), plane(90.0, 0.0)
    tilt = min(90.0, abs(lat) + float(tp["solar.tilt_above_latitude_deg"]))
    iam_t = np.asarray(tp["solar.iam_transversal_points"], dtype=float)
    poa, iam = solar_thermal.collector_irradiance(
        time, lat, lon, elev, ghi, dni, dhi, tilt, 180.0, iam_t[:, 0], iam_t[:, 1],
        float(tp["solar.iam_longitudinal_b0"]), float(tp["solar.iam_diffuse"]))
    doy = np.asarray(time.day_of_year, dtype=float)
    monthly = np.array([temp[np.asarray(time.month) == m].mean() for m in range(1, 13)])
    amplitude = float(monthly.max() - monthly.min()) / 2.0
    coldest_day = float(15 + 30.4 * int(np.argmin(monthly)))
    t_ground = float(site.undisturbed_ground_temp_c)
    soil = site_soil(site)
    earth = np.asarray(hl.earth_temperature_c(doy, bd.cave_earth_depth_m, t_ground, amplitude, coldest_day,
                                              soil.diffusivity_m2_s))
    day_frac = doy + np.asarray(time.hour, dtype=float) / 24.0
    wave = hl.floor_external_wave_k(day_frac, amplitude, coldest_day, bd.floor_phase_lag_days)
    off = ~mask
    rech = solar_thermal.collector_yield_fixed_temperature_kwh(
        poa[off], temp[off], float(tp["solar_gshp.recharge_collector_temp_c"]),
        float(tp["solar.eta0"]), float(tp["solar.a1_w_m2k"]), float(tp["solar.a2_w_m2k2"]), iam[off])
    return SeasonClimate(
        site=str(site.name),
        temp_air_c=temp[idx],
        irr_south_w_m2=south[idx],
        irr_north_w_m2=north[idx],
        poa_collector_w_m2=poa[idx],
        temp_earth_c=earth[idx],
        hour_of_day=np.asarray(time.hour, dtype=np.int64)[idx],
        warmup_hours=24 * warmup_days,
        temp_design_c=float(site.design_temp_c),
        temp_ground_c=t_ground,
        temp_earth_design_c=float(earth.min()),
        recharge_yield_kwh_m2=rech,
        recharge_days=float(off.sum()) / 24.0,
        time_label=np.asarray(time.strftime("%m-%d %H:00"))[idx],
        temp_out_mean_c=float(monthly.mean()),
        temp_out_amplitude_k=amplitude,
        floor_wave_k=wave[idx],
        air_heat_capacity_wh_m3k=float(hl.air_heat_capacity_wh_m3k(elev, bd.air_heat_capacity_sea_level_j_m3k)),
        soil_conductivity_w_mk=soil.conductivity_w_mk,
        soil_heat_capacity_j_m3k=soil.heat_capacity_j_m3k,
        collector_iam=iam[idx],
    )


def _run_length(mask: np.ndarray, start: int) -> int:
    rolled = np.roll(mask, -start)
    return int(np.argmin(rolled)) if not rolled.all() else len(mask)


# ------------------------------------------------------------------------------------------
# Simulation
# ------------------------------------------------------------------------------------------


@dataclass
class _MethodOut:
    delivered_kw: FloatArray | None  # (n, h); None where the kernel gave the totals only
    unmet_kw: FloatArray | None  # (n, h), as the model reports it (not demand − delivered)
    electricity_kw: FloatArray | None  # (n, h); kept when hourly output or group sums are asked for
    gas_m3: FloatArray  # (n,)
    biomass_kg: FloatArray
    coal_kg: FloatArray
    solar_kwh: FloatArray
    min_fluid_c: FloatArray
    sums: FloatArray | None = None  # (n, kernels.N_SUMS) season totals, when a kernel computed them
    boundary: FloatArray | None = None  # (n, kernels.N_BOUNDARY) heat-pump boundary sums; None without a heat pump


@dataclass
class _Ctx:
    """What the kernels need besides the model inputs: tariff periods and prices by season
    hour, and which hourly arrays the caller keeps."""

    period: IntArray
    price: FloatArray
    keep_hourly: bool
    need_elec: bool


def _dispatch(demand: FloatArray, cap_i: FloatArray, cap_rows: FloatArray, cop_rows: FloatArray,
              aux_i: FloatArray, allowed: np.ndarray, ctx: _Ctx) -> tuple[FloatArray, FloatArray | None,
                                                                          FloatArray | None, FloatArray | None]:
    """Run :func:`kernels.dispatch_sums`; returns the sums and the hourly delivered heat, unmet
    heat and electricity (None unless kept)."""
    n, nh = demand.shape
    shape = (n, nh) if ctx.keep_hourly else (0, 0)
    h_del, h_unmet = np.empty(shape), np.empty(shape)
    h_elec = np.empty((n, nh) if (ctx.keep_hourly or ctx.need_elec) else (0, 0))
    f = np.ascontiguousarray
    sums = kernels.dispatch_sums(
        f(demand, dtype=float), f(np.broadcast_to(cap_i, (n,)), dtype=float), f(np.atleast_2d(cap_rows), dtype=float),
        f(np.atleast_2d(cop_rows), dtype=float), f(np.broadcast_to(aux_i, (n,)), dtype=float),
        f(np.broadcast_to(allowed, (nh,)), dtype=np.bool_), ctx.period, ctx.price, UNMET_THRESHOLD_KW,
        ctx.keep_hourly, h_del, h_unmet, h_elec)
    return (sums, h_del if ctx.keep_hourly else None, h_unmet if ctx.keep_hourly else None,
            h_elec if (ctx.keep_hourly or ctx.need_elec) else None)


def _dispatch_hp(demand: FloatArray, cap_i: FloatArray, cap_rows: FloatArray, cop_rows: FloatArray,
                 aux_i: FloatArray, allowed: np.ndarray, ctx: _Ctx, par: dict[str, Any]
                 ) -> tuple[FloatArray, FloatArray | None, FloatArray | None, FloatArray | None, FloatArray]:
    """Run :func:`kernels.dispatch_hp_sums` (a heat pump with cycling and parasitics ``par``, see
    :func:`_parasitics`); returns the sums, hourly delivered, unmet, electricity (None unless kept)
    and the boundary sums."""
    n, nh = demand.shape
    shape = (n, nh) if ctx.keep_hourly else (0, 0)
    h_del, h_unmet = np.empty(shape), np.empty(shape)
    h_elec = np.empty((n, nh) if (ctx.keep_hourly or ctx.need_elec) else (0, 0))
    f = np.ascontiguousarray
    cap_b = f(np.broadcast_to(cap_i, (n,)), dtype=float)
    sums, bnd = kernels.dispatch_hp_sums(
        f(demand, dtype=float), cap_b, f(np.atleast_2d(cap_rows), dtype=float),
        f(np.atleast_2d(cop_rows), dtype=float), f(np.broadcast_to(aux_i, (n,)), dtype=float),
        f(np.broadcast_to(allowed, (nh,)), dtype=np.bool_), ctx.period, ctx.price, UNMET_THRESHOLD_KW,
        ctx.keep_hourly, h_del, h_unmet, h_elec, float(par["min_modulation"]), float(par["cycling_cd"]),
        bool(par["cycling_linear"]), f(par["source_w_per_kw"] / 1000.0 * cap_b), float(par["standby_w"]) / 1000.0,
        f(par["emitter_w_per_kw"] / 1000.0 * cap_b))
    return (sums, h_del if ctx.keep_hourly else None, h_unmet if ctx.keep_hourly else None,
            h_elec if (ctx.keep_hourly or ctx.need_elec) else None, bnd)


def _parasitics(code: Technology, p: dict[str, Any]) -> dict[str, Any]:
    """Cycling and parasitic-power parameters of a heat-pump method (SEPEMO boundaries): the
    air-to-air unit has its fans inside its rated COP and no water pump; air-to-water units have
    their fan inside the COP and an emitter pump; the ground-source unit a brine and an emitter pump."""
    if code is Technology.FAN_HEATER_DIRECT:
        return {"min_modulation": p["fan_heater.min_modulation"], "cycling_cd": p["fan_heater.cycling_cd"],
                "cycling_linear": True, "source_w_per_kw": 0.0, "standby_w": p["air_source.standby_w"],
                "emitter_w_per_kw": 0.0}
    if code is Technology.GSHP:
        return {"min_modulation": p["gshp.min_modulation"], "cycling_cd": p["gshp.cycling_cd"],
                "cycling_linear": False, "source_w_per_kw": p["gshp.source_pump_w_per_kw"],
                "standby_w": p["gshp.standby_w"], "emitter_w_per_kw": p["gshp.emitter_pump_w_per_kw"]}
    return {"min_modulation": p["air_source.min_modulation"], "cycling_cd": p["air_source.cycling_cd"],
            "cycling_linear": False, "source_w_per_kw": 0.0, "standby_w": p["air_source.standby_w"],
            "emitter_w_per_kw": p["air_source.emitter_pump_w_per_kw"]}


def _house_arrays(houses: Houses, bd: BuildingDefaults, climate: SeasonClimate) -> hl.HouseArrays:
    """The RC network of each house, with the site's air heat capacity and soil (defaults where a
    hand-built climate has none)."""
    classes, index = bd.class_list()
    keys = list(zip(np.asarray(houses.dwelling).tolist(), np.asarray(houses.envelope).tolist(), strict=True))
    try:
        cls = np.array([index[k] for k in keys], dtype=np.int64)
    except KeyError as exc:
        raise ValueError(f"unknown dwelling/envelope pair {exc.args[0]!r}") from None
    soil = default_soil()
    air = climate.air_heat_capacity_wh_m3k
    return hl.house_arrays(
        houses.heated_area_m2, classes, cls, **bd.geometry_kwargs(),
        air_heat_capacity_wh_m3k=bd.air_heat_capacity_sea_level_j_m3k / 3600.0 if air is None else air,
        soil_conductivity_w_mk=(soil.conductivity_w_mk if climate.soil_conductivity_w_mk is None
                                else climate.soil_conductivity_w_mk),
        soil_heat_capacity_j_m3k=(soil.heat_capacity_j_m3k if climate.soil_heat_capacity_j_m3k is None
                                  else climate.soil_heat_capacity_j_m3k),
    )


def _floor_boundary(climate: SeasonClimate, ha: hl.HouseArrays) -> tuple[float, FloatArray | None, FloatArray]:
    """The floor's mean virtual ground temperature [°C], its hourly wave [K] (None: constant) and
    the design value per house [°C] (ISO 13370 Annex C, F)."""
    if climate.temp_out_mean_c is None:
        return climate.temp_ground_c, None, np.full(ha.area_m2.shape[0], climate.temp_ground_c)
    design = hl.floor_design_temperature_c(ha, climate.temp_out_mean_c, climate.temp_out_amplitude_k)
    return climate.temp_out_mean_c, climate.floor_wave_k, design


def _set_points(houses: Houses, bd: BuildingDefaults) -> FloatArray:
    """Set-point by hour of day per house, (n_houses, 24): the houses' service level, or full
    comfort (``bd.set_point_c`` all day), with the night set-back where asked for. [°C]"""
    n = len(houses)
    if houses.set_point_c is not None:
        sp = np.array(houses.set_point_c, dtype=float).reshape(n, 24)
    else:
        sp = np.full((n, 24), bd.set_point_c)
    if houses.setback is not None:
        night = night_setback_hours()
        sb = np.asarray(houses.setback, dtype=bool)
        sp[np.ix_(sb, night)] = np.minimum(sp[np.ix_(sb, night)], bd.setback_c)
    return sp


def _heated_zone(ha: hl.HouseArrays, share: FloatArray | None) -> hl.HouseArrays:
    """The heated part of each house: every conductance, capacity, solar aperture and the area
    scaled by the heated share (the heated rooms keep the house's exposure per m²; the walls to
    unheated rooms count as adiabatic — a simplification the calibration of the service level
    absorbs: building/SOURCE.md)."""
    return ha if share is None else ha.scaled(share)


def _row(x: np.ndarray) -> np.ndarray:
    """An hourly array as (1, n_hours) when shared by all houses, else as is (n_houses, n_hours)."""
    return x if x.ndim == 2 else x[None, :]


def _supply(t_o: FloatArray, default_c: float, emitter_c: FloatArray | None, c: SeasonClimate,
            p: dict[str, Any]) -> FloatArray:
    """Heating-curve supply temperature: shared (n_hours,) or per house (n_houses, n_hours); the
    curve's foot point and mild-weather floor are ``emitters.curve_room_c`` / ``curve_supply_min_c``. [°C]"""
    room, low = float(p["emitters.curve_room_c"]), float(p["emitters.curve_supply_min_c"])
    if emitter_c is None:
        return np.asarray(heat_pump.supply_temperature_c(t_o, default_c, c.temp_design_c, room, low))
    design_c = np.where(np.isnan(emitter_c), default_c, emitter_c)
    return np.asarray(heat_pump.supply_temperature_c(t_o[None, :], design_c[:, None], c.temp_design_c, room, low))


def _air_source(
    code: Technology, demand: FloatArray, design: FloatArray, area: FloatArray, c: SeasonClimate,
    p: dict[str, Any], ctx: _Ctx, emitter_c: FloatArray | None = None, emitter_dt: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray | None, FloatArray | None, FloatArray | None, FloatArray]:
    """An air-source unit with its electric auxiliary on ``demand``, with part-load cycling and
    parasitic power: season sums, hourly delivered heat, unmet heat, electricity (see
    :func:`_dispatch_hp`) and the SEPEMO boundary sums."""
    t_o = c.season(c.temp_air_c)
    defrost = np.asarray(heat_pump.defrost_factor(
        t_o, p["air_source.defrost_max_loss"], p["air_source.defrost_cold_loss"],
        p["air_source.defrost_temp_peak_low_c"], p["air_source.defrost_temp_peak_high_c"],
        p["air_source.defrost_temp_free_c"], p["air_source.defrost_temp_cold_c"]))
    running = t_o >= p["air_source.operating_limit_c"]
    slope = p["air_source.capacity_slope_per_k"]
    scale60 = area / 60.0
    if code is Technology.FAN_HEATER_DIRECT:
        coef2 = heat_pump.fit_log_linear_outdoor(p["fan_heater.cop_points"])
        cop = np.asarray(heat_pump.cop_log_linear_outdoor(t_o, coef2, p["fan_heater.condensing_c"])) * defrost
        f_m12 = heat_pump.capacity_fraction(-12.0, slope)
        cap_m12 = np.maximum(p["fan_heater.min_capacity_at_minus12_kw"],
                             design * f_m12 / heat_pump.capacity_fraction(c.temp_design_c, slope))
        cap_i = cap_m12
        cap_rows = (heat_pump.capacity_fraction(t_o, slope) / f_m12 * defrost * running)[None, :]
        aux = np.full_like(design, p["fan_heater.direct_heater_kw"] + p["fan_heater.kang_kw"])
        allowed = t_o < p["fan_heater.aux_below_c"]
    else:
        if code is Technology.CO2_ASHP:
            slope = p["co2_ashp.capacity_slope_per_k"]
            # the return follows the house's emitter: its design supply and ΔT, the ΔT scaled with load
            sup_d = float(p["co2_ashp.supply_c"])
            dt_d = sup_d - float(p["co2_ashp.return_design_c"])
            if emitter_c is None:
                _t_s, t_ret = heat_pump.co2_supply_return_c(t_o, sup_d, dt_d, c.temp_design_c,
                                                           p["co2_ashp.supply_min_c"], p["emitters.curve_room_c"])
            else:
                has = ~np.isnan(emitter_c)
                e_dt = np.full(emitter_c.shape, dt_d) if emitter_dt is None else emitter_dt
                s_h = np.where(has, emitter_c, sup_d)[:, None]
                dt_h = np.where(has & ~np.isnan(e_dt), e_dt, dt_d)[:, None]
                _t_s, t_ret = heat_pump.co2_supply_return_c(t_o[None, :], s_h, dt_h, c.temp_design_c,
                                                           p["co2_ashp.supply_min_c"], p["emitters.curve_room_c"])
            t_ret = np.asarray(t_ret)
            cop = np.asarray(heat_pump.cop_co2_transcritical(
                t_o, t_ret, p["co2_ashp.supply_c"], p["co2_ashp.eta_isentropic"], p["co2_ashp.system_factor"],
                p["co2_ashp.approach_evap_k"], p["co2_ashp.approach_gc_k"],
            )) * defrost
            aux_frac, min_kw = p["co2_ashp.aux_fraction"], p["ashp_water.min_capacity_kw_per_60m2"]
        elif code is Technology.OTHER_HIGH_TECH:
            t_sup = _supply(t_o, p["other_high_tech.supply_design_c"], emitter_c, c, p)
            cop = np.asarray(heat_pump.cop_carnot_fraction(t_o, t_sup, p["other_high_tech.eta_carnot"],
                                                           p["other_high_tech.approach_k"])) * defrost
            running = running & (t_sup <= heat_pump.max_supply_temperature_c(
                t_o, p["air_source.max_supply_mild_c"], p["air_source.max_supply_cold_c"]))
            aux_frac, min_kw = p["other_high_tech.aux_fraction"], p["ashp_water.min_capacity_kw_per_60m2"]
        else:  # ASHP_WATER
            coef = heat_pump.fit_log_bilinear(p["air_source.cop_points"])
            t_sup = _supply(t_o, p["ashp_water.supply_design_c"], emitter_c, c, p)
            cop = np.asarray(heat_pump.cop_log_bilinear(t_o, t_sup, coef)) * defrost
            # the unit cannot run where the heating curve asks for more than it can reach
            running = running & (t_sup <= heat_pump.max_supply_temperature_c(
                t_o, p["air_source.max_supply_mild_c"], p["air_source.max_supply_cold_c"]))
            aux_frac, min_kw = p["ashp_water.aux_fraction"], p["ashp_water.min_capacity_kw_per_60m2"]
        t_cap = t_ret if code is Technology.CO2_ASHP else t_sup  # CO₂: the return sets the gas-cooler duty
        t_cap_design = np.max(np.asarray(t_cap), axis=-1) if t_o.size else 35.0  # the curve's top
        s_w = p["air_source.capacity_supply_slope_per_k"]
        rated = np.maximum(min_kw * scale60, design / heat_pump.capacity_fraction(
            c.temp_design_c, slope, temp_supply_c=t_cap_design, supply_slope_per_k=s_w))
        cap_i = rated
        cap_rows = _row(np.asarray(heat_pump.capacity_fraction(
            t_o, slope, temp_supply_c=t_cap, supply_slope_per_k=s_w)) * defrost * running)
        aux = aux_frac * design
        allowed = np.ones(t_o.shape[0], dtype=bool)
    # as heat_pump.dispatch_with_auxiliary + heat_pump.system_electricity_kw, in one compiled pass
    return _dispatch_hp(demand, cap_i, cap_rows, _row(cop), aux, allowed, ctx, _parasitics(code, p))


def _ground_field(p: dict[str, Any]) -> ground_loop.BoreField:
    """The household borehole field of the technology parameters."""
    return ground_loop.BoreField(
        length_m=p["gshp.borehole_length_m"], spacing_m=p["gshp.borehole_spacing_m"],
        radius_m=p["gshp.borehole_radius_m"], buried_m=p["gshp.borehole_buried_m"],
        conductivity_w_mk=p["gshp.ground_conductivity_w_mk"], diffusivity_m2_s=p["gshp.ground_diffusivity_m2_s"],
        resistance_mk_w=p["gshp.borehole_resistance_mk_w"],
    )


def _ground(
    demand: FloatArray, design: FloatArray, area: FloatArray, c: SeasonClimate, p: dict[str, Any],
    recharge_w_per_m: FloatArray | None = None, n_boreholes: IntArray | None = None,
    emitter_c: FloatArray | None = None,
) -> tuple[ground_loop.GroundLoopResult, IntArray, ground_loop.BoreField, FloatArray]:
    """The ground-source heat pump on ``demand``, its field sized by simulation. The result's
    hourly electricity includes part-load cycling, the brine and emitter pumps and standby
    (:func:`heat_pump.system_electricity_kw`); the SEPEMO boundary sums are returned last."""
    t_o = c.season(c.temp_air_c)
    bf = _ground_field(p)
    nb = n_boreholes if n_boreholes is not None else ground_loop.borehole_count(
        design, p["gshp.cop_design"], bf.length_m, p["gshp.extraction_w_per_m"])
    t_sup = _row(_supply(t_o, p["gshp.supply_design_c"], emitter_c, c, p))
    cap = np.maximum(p["gshp.min_capacity_kw_per_60m2"] * area / 60.0, design)
    def run(rows: np.ndarray, nb_rows: IntArray) -> ground_loop.GroundLoopResult:
        return ground_loop.simulate_ground_loop(
            demand[rows], t_sup if t_sup.shape[0] == 1 else t_sup[rows], cap[rows], nb_rows, c.temp_ground_c, field=bf,
            eta_carnot=p["gshp.eta_carnot"], temp_fluid_min_c=p["gshp.fluid_min_c"], years=int(p["gshp.years"]),
            recharge_w_per_m=None if recharge_w_per_m is None else recharge_w_per_m[rows] * nb[rows] / nb_rows,
            recharge_days=max(c.recharge_days, 1.0), season_gap_days=0.0,
        )

    nb = np.asarray(nb, dtype=np.int64).copy() * np.ones(demand.shape[0], dtype=np.int64)
    res = run(np.arange(demand.shape[0]), nb)
    if n_boreholes is None:
        # size by simulation: add a borehole wherever the antifreeze limit cut the heat, up to 4 times
        for _ in range(4):
            limited = np.flatnonzero((res.temp_fluid_c.min(axis=1) <= p["gshp.fluid_min_c"] + 0.05)
                                     & (res.unmet_kw.sum(axis=1) > 1e-6))
            if limited.size == 0:
                break
            new_nb = nb[limited] + 1
            sub = run(limited, new_nb)
            nb[limited] = new_nb
            for name in ("heat_kw", "electricity_kw", "unmet_kw", "temp_fluid_c"):
                getattr(res, name)[limited] = getattr(sub, name)
    par = _parasitics(Technology.GSHP, p)
    cap_b = np.ascontiguousarray(np.broadcast_to(cap, (demand.shape[0],)), dtype=float)
    # as heat_pump.system_electricity_kw, in place in one compiled pass
    e_sums = ground_loop.add_system_electricity(
        res.heat_kw, res.electricity_kw, np.ascontiguousarray(demand, dtype=float), cap_b,
        float(par["min_modulation"]), float(par["cycling_cd"]), par["source_w_per_kw"] / 1000.0 * cap_b,
        float(par["standby_w"]) / 1000.0, par["emitter_w_per_kw"] / 1000.0 * cap_b)
    bnd = np.column_stack([res.heat_kw.sum(axis=1), np.zeros(demand.shape[0]), e_sums])
    return res, nb, bf, bnd


def _combustion(demand: FloatArray, cap: FloatArray, eff: float, aux_ratio: float, ctx: _Ctx
                ) -> tuple[FloatArray, FloatArray | None, FloatArray | None, FloatArray | None, FloatArray]:
    """As :func:`combustion.simulate_combustion` in one compiled pass: sums, hourly delivered,
    unmet, electricity, and the season's fuel energy per house [kWh]."""
    if not 0.0 < eff <= 1.1:
        raise ValueError(f"seasonal_efficiency must be in (0, 1.1], got {eff}")
    nh = demand.shape[1]
    with np.errstate(divide="ignore"):
        per_kwh = np.divide(1.0, np.float64(aux_ratio))  # electricity = heat × ratio = heat / (1 / ratio)
    sums, h_del, h_unmet, h_elec = _dispatch(demand, np.asarray(cap, dtype=float), np.ones((1, nh)),
                                             np.full((1, nh), per_kwh), np.zeros(1), np.zeros(nh, dtype=bool), ctx)
    return sums, h_del, h_unmet, h_elec, sums[:, kernels.S_DELIVERED] / eff


def _add_solar(sums: FloatArray, h_del: FloatArray | None, solar_kw: FloatArray, solar_kwh: FloatArray
               ) -> FloatArray | None:
    """Solar heat added to an auxiliary's delivered heat (sums in place; hourly returned)."""
    sums[:, kernels.S_DELIVERED] += solar_kwh
    return None if h_del is None else solar_kw + h_del


def _add_pump(sums: FloatArray | None, h_elec: FloatArray | None, st: solar_thermal.SolarTankResult, ctx: _Ctx
              ) -> FloatArray | None:
    """The solar loop's pump electricity added to an auxiliary's hourly electricity (in place) and
    to its electricity sums (:func:`kernels.add_electricity`; ``sums`` None: hourly only); the
    hourly electricity is returned when the caller keeps it."""
    assert h_elec is not None
    kernels.add_electricity(np.zeros((h_elec.shape[0], kernels.N_SUMS)) if sums is None else sums, h_elec,
                            st.pump_on, np.ascontiguousarray(st.pump_power_kw), ctx.period, ctx.price)
    return h_elec if (ctx.keep_hourly or ctx.need_elec or sums is None) else None


def _solar_tank(code: Technology, demand: FloatArray, area: FloatArray, c: SeasonClimate, p: dict[str, Any],
                overrides: dict[str, Any]) -> tuple[solar_thermal.SolarTankResult, FloatArray, FloatArray]:
    """The collectors, loop and tank of a solar method: hourly result, aperture [m²] and season
    solar heat [kWh] per house. The tank serves the emitter from its heating-curve supply
    temperature (the house's ``emitter_supply_c``, else ``solar.emitter``'s) plus
    ``solar.use_approach_k``."""
    n = demand.shape[0]
    t_o = c.season(c.temp_air_c)
    prefix = "solar" if code is Technology.SOLAR_AUX else "solar_gshp"
    tubes = np.asarray(overrides.get(f"{prefix}.tubes", p[f"{prefix}.tubes_per_60m2"] * area / 60.0),
                       dtype=float) * np.ones(n)
    aperture = np.asarray(solar_thermal.aperture_area_m2(tubes, p["solar.tube_length_m"], p["solar.tube_diameter_m"]))
    t_use = _supply(t_o, p[f"emitters.{p['solar.emitter']}_supply_c"], overrides.get("emitter_supply_c"), c, p) \
        + p["solar.use_approach_k"]
    st = solar_thermal.simulate_solar_tank(
        demand, c.season(c.poa_collector_w_m2), t_o, aperture, tubes * p["solar.tank_l_per_tube"],
        temp_tank_env_c=p["solar.tank_env_c"], temp_tank_max_c=p["solar.tank_max_c"], temp_use_c=t_use,
        eta0=p["solar.eta0"], a1_w_m2k=p["solar.a1_w_m2k"], a2_w_m2k2=p["solar.a2_w_m2k2"],
        iam=None if c.collector_iam is None else c.season(c.collector_iam), tank_ua_w_k=p["solar.tank_ua_w_k"],
        loop_ua_w_k=p["solar.pipe_loss_w_mk"] * p["solar.pipe_length_m"],
        loop_heat_capacity_kj_k=p["solar.loop_heat_capacity_kj_m2k"] * aperture, pump_w=p["solar.pump_w"],
    )
    return st, aperture, st.solar_kw.sum(axis=1)


def _run_method(
    code: Technology, demand: FloatArray, design: FloatArray, area: FloatArray, c: SeasonClimate,
    valley: np.ndarray, p: dict[str, Any], overrides: dict[str, Any], ctx: _Ctx,
) -> _MethodOut:
    n = demand.shape[0]
    zeros = np.zeros(n)
    nan = np.full(n, np.nan)
    if code in (Technology.FAN_HEATER_DIRECT, Technology.ASHP_WATER, Technology.CO2_ASHP, Technology.OTHER_HIGH_TECH):
        sums, heat, unmet, elec, bnd = _air_source(code, demand, design, area, c, p, ctx,
                                                   overrides.get("emitter_supply_c"),
                                                   overrides.get("emitter_delta_t_k"))
        return _MethodOut(heat, unmet, elec, zeros, zeros, zeros, zeros, nan, sums, bnd)
    if code is Technology.STORAGE_ELECTRIC:
        size = storage_heater.size_storage_heater(design, int(valley[:24].sum()), p["storage.storage_ratio"],
                                                  p["storage.margin"], p["storage.backup_fraction"],
                                                  p["storage.connection_kw"])
        sr = storage_heater.simulate_storage_heater(demand, valley, size, p["storage.standing_loss_per_h"])
        return _MethodOut(sr.heat_kw, sr.unmet_kw, sr.electricity_kw, zeros, zeros, zeros, zeros, nan)
    if code is Technology.GSHP:
        gr, _nb, _bf, bnd = _ground(demand, design, area, c, p, n_boreholes=overrides.get("gshp.n_boreholes"),
                                    emitter_c=overrides.get("emitter_supply_c"))
        return _MethodOut(gr.heat_kw, gr.unmet_kw, gr.electricity_kw, zeros, zeros, zeros, zeros,
                          gr.temp_fluid_c.min(axis=1), boundary=bnd)
    if code in (Technology.SOLAR_AUX, Technology.SOLAR_GSHP_SEASONAL):
        st, aperture, solar_kwh = _solar_tank(code, demand, area, c, p, overrides)
        if code is Technology.SOLAR_AUX:
            aux_kw = np.broadcast_to(np.asarray(overrides.get(
                "solar.aux_kw", np.maximum(p["solar.aux_min_kw"], p["solar.aux_fraction"] * design))), (n,))
            kind = str(p["solar.aux_kind"])
            ctx_e = dataclasses.replace(ctx, need_elec=True)  # the pump's power is added to the hourly electricity
            if kind == "electric":  # as direct_electric.simulate_direct_electric, in one compiled pass
                nh = demand.shape[1]
                sums, heat, unmet, elec = _dispatch(st.rest_kw, aux_kw, np.ones((1, nh)), np.ones((1, nh)),
                                                    np.zeros(1), np.zeros(nh, dtype=bool), ctx_e)
                heat = _add_solar(sums, heat, st.solar_kw, solar_kwh)
                return _MethodOut(heat, unmet, _add_pump(sums, elec, st, ctx), zeros, zeros, zeros,
                                  solar_kwh, nan, sums)
            if kind == "heat_pump":  # an ashp_water unit (with its backup for extreme cold) on the rest
                sums, heat, unmet, elec, bnd = _air_source(Technology.ASHP_WATER, st.rest_kw, design, area, c, p,
                                                           ctx_e, overrides.get("emitter_supply_c"))
                heat = _add_solar(sums, heat, st.solar_kw, solar_kwh)
                return _MethodOut(heat, unmet, _add_pump(sums, elec, st, ctx), zeros, zeros, zeros,
                                  solar_kwh, nan, sums, bnd)
            fuel = "gas_boiler" if kind == "gas" else "biomass"
            eff = p["gas_boiler.seasonal_efficiency"] if kind == "gas" else p["biomass.seasonal_efficiency"]
            sums, heat, unmet, elec, fuel_kwh = _combustion(st.rest_kw, aux_kw, float(eff),
                                                            p[f"{fuel}.aux_electricity_ratio"], ctx_e)
            gas = combustion.fuel_quantity(fuel_kwh, 3.6 * p["ncv.gas_kwh_per_m3"]) if kind == "gas" else zeros
            bio = combustion.fuel_quantity(fuel_kwh, 3.6 * p["ncv.biomass_kwh_per_kg"]) if kind != "gas" else zeros
            heat = _add_solar(sums, heat, st.solar_kw, solar_kwh)
            return _MethodOut(heat, unmet, _add_pump(sums, elec, st, ctx), gas, bio, zeros, solar_kwh, nan,
                              sums)
        nb = ground_loop.borehole_count(design, p["gshp.cop_design"], p["gshp.borehole_length_m"],
                                        p["gshp.extraction_w_per_m"])
        injected_kwh = aperture * c.recharge_yield_kwh_m2 * p["solar_gshp.recharge_efficiency"]
        recharge = injected_kwh * 1000.0 / (max(c.recharge_days, 1.0) * 24.0) / (nb * p["gshp.borehole_length_m"])
        gr, _nb, _bf, bnd = _ground(st.rest_kw, design, area, c, p, recharge_w_per_m=recharge,
                                    n_boreholes=overrides.get("solar_gshp.n_boreholes"),
                                    emitter_c=overrides.get("emitter_supply_c"))
        return _MethodOut(st.solar_kw + gr.heat_kw, gr.unmet_kw, _add_pump(None, gr.electricity_kw, st, ctx), zeros,
                          zeros, zeros, solar_kwh, gr.temp_fluid_c.min(axis=1), boundary=bnd)
    if code is Technology.GAS_BOILER:
        cap = np.maximum(p["gas_boiler.capacity_kw"], design)
        eff = (p["gas_boiler.seasonal_efficiency_condensing"] if p["gas_boiler.condensing"]
               else p["gas_boiler.seasonal_efficiency"])
        sums, heat, unmet, elec, fuel_kwh = _combustion(demand, cap, float(eff), p["gas_boiler.aux_electricity_ratio"],
                                                        ctx)
        gas = combustion.fuel_quantity(fuel_kwh, 3.6 * p["ncv.gas_kwh_per_m3"])
        return _MethodOut(heat, unmet, elec, gas, zeros, zeros, zeros, nan, sums)
    if code is Technology.BIOMASS:
        sums, heat, unmet, elec, fuel_kwh = _combustion(demand, p["biomass.capacity_factor"] * design,
                                                        float(p["biomass.seasonal_efficiency"]),
                                                        p["biomass.aux_electricity_ratio"], ctx)
        kg = combustion.fuel_quantity(fuel_kwh, 3.6 * p["ncv.biomass_kwh_per_kg"])
        return _MethodOut(heat, unmet, elec, zeros, kg, zeros, zeros, nan, sums)
    if code is Technology.COAL_STOVE:
        sums, heat, unmet, elec, fuel_kwh = _combustion(demand, p["coal_stove.capacity_factor"] * design,
                                                        float(p["coal_stove.seasonal_efficiency"]), 0.0, ctx)
        kg = combustion.fuel_quantity(fuel_kwh, 3.6 * p["ncv.coal_kwh_per_kg"])
        return _MethodOut(heat, unmet, elec, zeros, zeros, kg, zeros, nan, sums)
    raise ValueError(f"unknown technology {code!r}")  # pragma: no cover


def _group_members(weights: FloatArray) -> list[tuple[int, IntArray, FloatArray]]:
    """The houses of each group in a chunk's weights (n_groups, chunk): (group, columns, weights) for
    the groups with any house — a house sits in one group (or, de-duplicated, in a few)."""
    out = []
    for g in range(weights.shape[0]):
        cols = np.flatnonzero(weights[g])
        if cols.size:
            out.append((g, cols, weights[g, cols]))
    return out


def _group_sum(members: list[tuple[int, IntArray, FloatArray]], hourly: FloatArray, n_groups: int) -> FloatArray:
    """The weighted hourly sums per group, (n_groups, n_hours): ``weights @ hourly`` without the
    products by zero (a dense product cost as much as a method's dispatch). [kW]"""
    part = np.zeros((n_groups, hourly.shape[1]))
    for g, cols, w in members:
        part[g] = w @ hourly[cols]
    return part


def _dedupe_key(houses: Houses) -> np.ndarray:
    n = len(houses)
    sb = np.zeros(n, dtype=bool) if houses.setback is None else np.asarray(houses.setback, dtype=bool)
    em = (np.full(n, np.nan) if houses.emitter_supply_c is None
          else np.asarray(houses.emitter_supply_c, dtype=float))
    share = np.ones(n) if houses.heated_share is None else np.asarray(houses.heated_share, dtype=float)
    if houses.set_point_c is None:
        sched = [""] * n
    else:
        _, code = np.unique(np.asarray(houses.set_point_c, dtype=float).reshape(n, 24), axis=0, return_inverse=True)
        sched = [str(c) for c in np.asarray(code).ravel().tolist()]
    edt = (np.full(n, np.nan) if houses.emitter_delta_t_k is None
           else np.asarray(houses.emitter_delta_t_k, dtype=float))
    return np.array([f"{d}|{e}|{int(b)}|{a!r}|{t!r}|{f!r}|{k}|{x!r}" for d, e, b, a, t, f, k, x in zip(
        np.asarray(houses.dwelling).tolist(), np.asarray(houses.envelope).tolist(), sb.tolist(),
        np.asarray(houses.heated_area_m2, dtype=float).tolist(), em.tolist(), share.tolist(), sched, edt.tolist(),
        strict=True)])


def simulate_season(
    houses: Houses,
    climate: SeasonClimate,
    costs: CostInputs,
    *,
    technologies: Sequence[Technology | str] = TECHNOLOGIES,
    chunk_size: int = 256,
    keep_hourly: bool = False,
    groups: IntArray | FloatArray | None = None,
    n_groups: int | None = None,
    overrides: dict[str, Any] | None = None,
    deduplicate: bool = True,
    threads: int = 2,
    on: dt.date = dt.date(2021, 6, 1),
) -> SeasonResult:
    """
    Simulate every house × method over the heating season, hour by hour.

    Parameters
    ----------
    houses : Houses
        n houses at one site.
    climate : SeasonClimate
        From :func:`season_climate` (or built directly in tests).
    costs : CostInputs
        Tariff, prices and CO₂ factors.
    technologies : sequence of Technology, default all eleven in SPEC order
    chunk_size : int, default 256
        Houses per chunk; memory is about 15 arrays of chunk × season hours × 8 bytes per
        thread. Small chunks keep the hourly arrays in the cache and reuse the same memory
        (fresh large arrays cost page faults that dominated the run time).
    keep_hourly : bool, default False
        Keep hourly demand, delivered heat and electricity per house and method (small runs only).
    groups : ndarray of int or None
        Group (e.g. township) index per house; the hourly electric demand of each group and
        method is summed into ``group_electric_kw`` for coincident peaks. Or a weight matrix of
        shape (n_groups, n_houses), for houses in several groups at once (a township and its
        transformer): each house is still simulated once.
    n_groups : int or None
        Number of groups (default ``groups.max() + 1``).
    overrides : dict or None
        Per-run technology overrides by dotted name: sizes per house (``gshp.n_boreholes``,
        ``solar.tubes``, ``solar_gshp.tubes``, ``solar.aux_kw``; scalars or (n_houses,) arrays)
        and any default of :func:`cleanheat.technologies.catalogue.technology_parameters`.
    deduplicate : bool, default True
        Simulate physically identical houses (same dwelling, envelope, set-back and area, to the
        last bit) once and copy the results: exact, not an approximation. Off when per-house
        overrides or hourly output are asked for.
    threads : int, default 2
        Chunks of houses run this many at a time in threads (the compiled kernels release the
        GIL); 1 runs them one after the other. Results do not depend on it.
    on : date
        Date of the defaults.

    Returns
    -------
    SeasonResult
    """
    n = len(houses)
    ov = dict(overrides or {})
    per_house_ov = any(np.ndim(v) >= 1 for v in ov.values())
    weights = _group_weights(groups, n_groups, n)
    if deduplicate and not keep_hourly and not per_house_ov and n > 1:
        _, first, inverse = np.unique(_dedupe_key(houses), return_index=True, return_inverse=True)
        if len(first) < n:
            uniq = houses.take(first)
            w_uniq = None
            if weights is not None:  # a unique house carries the weights of every house it stands for
                w_uniq = np.zeros((weights.shape[0], len(first)))
                np.add.at(w_uniq.T, inverse, weights.T)
            r = _simulate(uniq, climate, costs, technologies, chunk_size, False, w_uniq, ov, threads, on)
            return _expand(r, inverse)
    return _simulate(houses, climate, costs, technologies, chunk_size, keep_hourly, weights, ov, threads, on)


def _group_weights(groups: Any, n_groups: int | None, n: int) -> FloatArray | None:
    """The (n_groups, n_houses) weights of ``groups``: a group index per house, or the matrix itself."""
    if groups is None:
        return None
    g = np.asarray(groups)
    if g.ndim == 2:
        if g.shape[1] != n:
            raise ValueError(f"group weights must have {n} columns (one per house), got {g.shape}")
        return np.asarray(g, dtype=float)
    g_arr = g.astype(np.int64)
    ng = int(n_groups if n_groups is not None else (g_arr.max() + 1 if n else 0))
    weights = np.zeros((ng, n))
    weights[g_arr, np.arange(n)] = 1.0
    return weights


def _expand(r: SeasonResult, inverse: IntArray) -> SeasonResult:
    """Copy per-unique-house rows back to every house."""
    kw: dict[str, Any] = {}
    for name, value in r.__dict__.items():
        if name in ("technologies", "group_electric_kw", "extras") or value is None:
            kw[name] = value
        else:
            kw[name] = np.asarray(value)[inverse]
    kw["extras"] = dict(r.extras, unique_houses=int(r.design_heat_load_kw.shape[0]))
    return SeasonResult(**kw)


def _simulate(
    houses: Houses, climate: SeasonClimate, costs: CostInputs, technologies: Sequence[Technology | str],
    chunk_size: int, keep_hourly: bool, group_weights: FloatArray | None, ov: dict[str, Any], threads: int,
    on: dt.date,
) -> SeasonResult:
    techs = tuple(Technology(t) for t in technologies)
    p = dict(technology_parameters(on))
    ov = dict(ov)
    for k in list(ov):
        if k in p:
            p[k] = ov.pop(k)
    p["ncv.gas_kwh_per_m3"] = costs.gas_kwh_per_m3
    p["ncv.biomass_kwh_per_kg"] = costs.biomass_kwh_per_kg
    p["ncv.coal_kwh_per_kg"] = costs.coal_kwh_per_kg
    bd = building_defaults(on)
    n = len(houses)
    m = len(techs)
    h = climate.season_hours
    hod = climate.season(climate.hour_of_day)
    period = np.asarray(costs.period_by_hour)[hod]
    price = np.asarray(costs.price_by_hour_cny_per_kwh, dtype=float)[hod]
    valley = period == PERIOD_VALLEY
    ctx = _Ctx(period=np.ascontiguousarray(period, dtype=np.int64), price=np.ascontiguousarray(price),
               keep_hourly=keep_hourly, need_elec=group_weights is not None)
    ha = _heated_zone(_house_arrays(houses, bd, climate), houses.heated_share)
    sp = _set_points(houses, bd)
    floor_mean_c, floor_wave, floor_design_c = _floor_boundary(climate, ha)
    design_all = hl.design_heat_load_kw(ha, climate.temp_design_c, floor_design_c,
                                        climate.temp_earth_design_c, sp.max(axis=1), set_point_c=sp,
                                        reheat_time_h=bd.reheat_time_h)
    out = {k: np.zeros((n, m)) for k in (
        "delivered", "unmet", "elec", "valley", "flat", "peak_e", "gas", "bio", "coal", "cost", "peak_kw", "solar",
        "minfluid")}
    unmet_hours = np.zeros((n, m), dtype=np.int64)
    boundary = np.full((n, m, kernels.N_BOUNDARY), np.nan)
    demand_total = np.zeros(n)
    group_elec = None if group_weights is None else np.zeros((group_weights.shape[0], m, h))
    hourly_demand = np.zeros((n, h)) if keep_hourly else None
    hourly_del = np.zeros((n, m, h)) if keep_hourly else None
    hourly_elec = np.zeros((n, m, h)) if keep_hourly else None
    hourly_unmet = np.zeros((n, m, h)) if keep_hourly else None
    step = max(1, chunk_size)

    def chunk(lo: int) -> list[FloatArray] | None:
        """Simulate the houses of one chunk with every method, writing their rows of the
        outputs; returns the chunk's group sums of hourly electricity per method (or None)."""
        sl = slice(lo, min(n, lo + step))
        ha_c = ha.take(sl)
        demand = hl.simulate_heat_demand(
            ha_c, climate.temp_air_c, floor_mean_c, climate.temp_earth_c, climate.irr_south_w_m2,
            climate.irr_north_w_m2, sp[sl], internal_gain_w_m2=bd.internal_gain_w_m2,
            internal_convective_fraction=bd.internal_convective_fraction, warmup_hours=climate.warmup_hours,
            floor_wave_k=floor_wave,
        )
        demand_total[sl] = demand.sum(axis=1)
        if hourly_demand is not None:
            hourly_demand[sl] = demand
        design = design_all[sl]
        # equipment minimums of the guide (per 60 m², tubes per 60 m²) follow the area served, not
        # the share heated on a typical day
        area = np.asarray(houses.heated_area_m2, dtype=float)[sl]
        chunk_ov = {k: (np.asarray(v)[sl] if np.ndim(v) == 1 and np.shape(v)[0] == n else v)
                    for k, v in ov.items()}
        if houses.emitter_supply_c is not None:
            chunk_ov["emitter_supply_c"] = np.asarray(houses.emitter_supply_c, dtype=float)[sl]
        if houses.emitter_delta_t_k is not None:
            chunk_ov["emitter_delta_t_k"] = np.asarray(houses.emitter_delta_t_k, dtype=float)[sl]
        group_parts: list[FloatArray] | None = None if group_weights is None else []
        members = None if group_weights is None else _group_members(group_weights[:, sl])
        for j, code in enumerate(techs):
            mo = _run_method(code, demand, design, area, climate, valley, p, chunk_ov, ctx)
            if mo.sums is None:
                assert mo.delivered_kw is not None and mo.unmet_kw is not None and mo.electricity_kw is not None
                mo.sums = kernels.reduce_hourly(
                    np.ascontiguousarray(mo.delivered_kw), np.ascontiguousarray(mo.unmet_kw),
                    np.ascontiguousarray(mo.electricity_kw), ctx.period, ctx.price, UNMET_THRESHOLD_KW)
            sums = mo.sums
            out["delivered"][sl, j] = sums[:, kernels.S_DELIVERED]
            out["unmet"][sl, j] = sums[:, kernels.S_UNMET]
            unmet_hours[sl, j] = sums[:, kernels.S_UNMET_HOURS].astype(np.int64)
            e = mo.electricity_kw
            out["elec"][sl, j] = sums[:, kernels.S_ELEC]
            out["valley"][sl, j] = sums[:, kernels.S_VALLEY]
            out["flat"][sl, j] = sums[:, kernels.S_FLAT]
            out["peak_e"][sl, j] = sums[:, kernels.S_PEAK_E]
            out["cost"][sl, j] = sums[:, kernels.S_COST]
            out["peak_kw"][sl, j] = sums[:, kernels.S_PEAK_KW]
            out["gas"][sl, j] = mo.gas_m3
            out["bio"][sl, j] = mo.biomass_kg
            out["coal"][sl, j] = mo.coal_kg
            out["solar"][sl, j] = mo.solar_kwh
            out["minfluid"][sl, j] = mo.min_fluid_c
            if mo.boundary is not None:
                boundary[sl, j] = mo.boundary
            if group_parts is not None and group_weights is not None:
                assert e is not None
                assert members is not None
                group_parts.append(_group_sum(members, e, group_weights.shape[0]))
            if hourly_del is not None and hourly_elec is not None and hourly_unmet is not None:
                hourly_del[sl, j] = mo.delivered_kw
                hourly_unmet[sl, j] = mo.unmet_kw
                hourly_elec[sl, j] = e
        return group_parts

    starts = range(0, n, step)
    # chunks run ``threads`` at a time: the kernels release the GIL and each chunk writes its
    # own rows; group sums are added in chunk order, so the result does not depend on threads.
    # The first chunk runs alone, so that per-process caches (CoolProp table, g-functions,
    # compiled kernels) are filled by one thread.
    pool = ThreadPoolExecutor(max_workers=threads) if threads > 1 and len(starts) > 2 else None
    try:
        first = [chunk(starts[0])] if len(starts) else []
        rest = starts[1:]
        parts_iter = itertools.chain(first, pool.map(chunk, rest) if pool is not None else map(chunk, rest))
        for parts in parts_iter:
            if parts is not None and group_elec is not None:
                for j, part in enumerate(parts):
                    group_elec[:, j, :] += part
    finally:
        if pool is not None:
            pool.shutdown()
    cost = (out["cost"] - costs.valley_subsidy_cny_per_kwh * np.minimum(out["valley"], costs.valley_subsidy_cap_kwh)
            + out["gas"] * costs.gas_cny_per_m3 + out["bio"] * costs.biomass_cny_per_kg
            + out["coal"] * costs.coal_cny_per_kg)
    co2 = (out["elec"] * costs.grid_kg_co2_per_kwh + out["gas"] * costs.gas_kg_co2_per_m3
           + out["coal"] * costs.coal_kg_co2_per_kg + out["bio"] * costs.biomass_kg_co2_per_kg)
    purchased_kwh = (out["elec"] + out["gas"] * costs.gas_kwh_per_m3 + out["bio"] * costs.biomass_kwh_per_kg
                     + out["coal"] * costs.coal_kwh_per_kg)
    with np.errstate(divide="ignore", invalid="ignore"):
        eff = np.where(purchased_kwh > 0, out["delivered"] / purchased_kwh, 0.0)
        solar_fraction = np.where(out["delivered"] > 0, out["solar"] / out["delivered"], 0.0)
        b = boundary
        e_h2 = b[..., kernels.B_E_UNIT] + b[..., kernels.B_E_SOURCE] + b[..., kernels.B_E_STANDBY]
        spf_h2 = b[..., kernels.B_Q_HP] / e_h2
        # backup heater: resistance, 1 kWh of electricity per kWh of heat
        spf_h4 = ((b[..., kernels.B_Q_HP] + b[..., kernels.B_Q_AUX])
                  / (e_h2 + b[..., kernels.B_Q_AUX] + b[..., kernels.B_E_EMITTER]))
    return SeasonResult(
        technologies=techs,
        design_heat_load_kw=design_all,
        season_heat_demand_kwh=demand_total,
        delivered_heat_kwh=out["delivered"],
        unmet_heat_kwh=out["unmet"],
        unmet_hours=unmet_hours,
        electricity_kwh=out["elec"],
        electricity_valley_kwh=out["valley"],
        electricity_flat_kwh=out["flat"],
        electricity_peak_kwh=out["peak_e"],
        gas_m3=out["gas"],
        biomass_kg=out["bio"],
        coal_kg=out["coal"],
        running_cost_cny=cost,
        co2_kg=co2,
        seasonal_efficiency=eff,
        peak_electric_kw=out["peak_kw"],
        solar_fraction=solar_fraction,
        min_fluid_temp_c=out["minfluid"],
        hourly_heat_demand_kw=hourly_demand,
        hourly_delivered_kw=hourly_del,
        hourly_electricity_kw=hourly_elec,
        hourly_unmet_kw=hourly_unmet,
        group_electric_kw=group_elec,
        spf_h2=spf_h2,
        spf_h4=spf_h4,
        # the storage method's peak_electric_kw is capped at this household connection [kW]
        extras={"storage_connection_kw": float(p["storage.connection_kw"])},
    )
