"""House records (SPEC §7 ``advise`` input) in, per-house simulation results out.

Validates records, groups them by site and by tariff/price overrides, builds each site's
season climate once, runs :func:`cleanheat.simulate.season.simulate_season` and shapes the
results as the ``simulate`` command's JSON. The advisor can reuse :func:`simulate_records`.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from cleanheat.building.service import (
    ServiceLevel,
    baseline_level_name,
    resolve_level,
    service_levels,
    set_point_schedule_c,
)
from cleanheat.errors import InputError
from cleanheat.simulate.season import (
    PERIOD_FLAT,
    PERIOD_PEAK,
    PERIOD_VALLEY,
    CostInputs,
    Houses,
    SeasonClimate,
    SeasonResult,
    season_climate,
    simulate_season,
)
from cleanheat.technologies.catalogue import TECHNOLOGIES

__all__ = ["HouseRecords", "canonical_override_names", "validate_records",
           "cost_inputs", "climate_for", "simulate_records", "option_dicts",
           "TARIFF_KEYS", "PRICE_KEYS"]

DWELLING_CODES = ("brick", "cave", "other")
ENVELOPE_CODES = ("uninsulated", "partly_insulated", "insulated")
EMITTER_CODES = ("floor_heating", "capillary_mat", "fan_coil", "low_temp_radiator", "radiator")
TARIFF_KEYS = ("price_by_hour_cny_per_kwh", "valley_cny_per_kwh", "flat_cny_per_kwh", "peak_cny_per_kwh",
               "valley_hours")
PRICE_KEYS = ("gas_cny_per_m3", "biomass_cny_per_kg", "coal_cny_per_kg")
SOLAR_AUX_KINDS = ("electric", "gas", "biomass", "heat_pump")
COMPARE_CODES = ("as_heated_now", "equal_comfort")
"""The two comparisons with the coal stove: against coal as the household heats with it now (the
baseline's own service level), or against coal at the house's service level (equal comfort)."""
NO_GAS_REASON = {"rule": "gas_available", "zh": "无天然气管网，不能采用燃气取暖",
                 "en": "no gas grid here: gas heating is not available"}
DEFAULT_ON = dt.date(2026, 1, 1)
"""Date at which tariffs and prices are read by default: the current Ningxia clean-heating tariff."""


@dataclass
class HouseRecords:
    """Validated records as columns; ``labels`` name each record for error messages."""

    house_id: list[str | None]
    site: list[str]
    site_key: list[str]
    heated_area_m2: np.ndarray
    dwelling: np.ndarray
    envelope: np.ndarray
    gas_available: np.ndarray
    setback: np.ndarray
    emitter: np.ndarray
    service: list[Any]
    compare_with: np.ndarray
    tariff: list[dict[str, Any]]
    prices: list[dict[str, float]]
    labels: list[str]


def _label(rec: Any, i: int) -> str:
    rid = rec.get("house_id") if isinstance(rec, Mapping) else None
    return f"record {i} (house_id={rid})" if isinstance(rid, str) and rid else f"record {i}"


def _number(v: Any, label: str, field: str, positive: bool = False) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(float(v)):
        raise InputError(f"must be a number, got {v!r}", record=label, field=field)
    if v < 0 or (positive and v <= 0):
        raise InputError(f"must be {'> 0' if positive else '≥ 0'}, got {v!r}", record=label, field=field)
    return float(v)


MAX_HEATED_AREA_M2 = 2000
"""Plausibility bound of a house's heated area. [m²]

The simulation models one rural household (a farmhouse of 60–300 m², a cave dwelling, a
courtyard); 2,000 m² is far above any of them, so a larger value is a typing or unit error
(80,000 for 80) rather than a house. A district or a block of flats is not a house record.
"""

MIN_HEATED_AREA_M2 = 10
"""Smallest heated area of a house record. [m²]

One room of a rural house is 10–20 m²; the house model's geometry (a 7 m deep single storey with
its two gable walls) is meaningless below that (a 1 m² "house" would have more wall than its mass
node can carry), so a smaller value is a typing or unit error. The heated share of a service level
can still take a smaller part of a house.
"""


def validate_records(records: Sequence[Any]) -> HouseRecords:
    """
    Check house records field by field.

    Raises
    ------
    InputError
        Naming the record (``record i (house_id=…)``) and the field; every fault of every record
        in one error (:class:`cleanheat.records.RecordErrors`) when there are several.
    """
    from cleanheat.climate.sites import get_site
    from cleanheat.records import Field, RecordErrors, raise_all, to_columns

    fields = [
        Field("house_id", "str", required=False),
        Field("site", "str"),
        Field("heated_area_m2", "number", maximum=MAX_HEATED_AREA_M2),
        Field("dwelling", "code", choices=DWELLING_CODES),
        Field("envelope", "code", choices=ENVELOPE_CODES),
        Field("gas_available", "bool", required=False, default=True),
        Field("night_setback", "bool", required=False, default=False),
        Field("emitter", "code", required=False, choices=EMITTER_CODES, default=""),
        Field("compare_with", "code", required=False, choices=COMPARE_CODES, default="as_heated_now"),
    ]
    errors: list[InputError] = []
    cols: dict[str, np.ndarray] = {}
    try:
        cols = to_columns(records, fields, "house_id", ignored=("tariff", "prices", "service_level"))
    except RecordErrors as exc:
        errors.extend(exc.errors)
    except InputError as exc:
        errors.append(exc)
    labels = [_label(r, i) for i, r in enumerate(records)]
    site_keys = []
    known: dict[str, str] = {}
    for i, rec in enumerate(records):
        if not isinstance(rec, Mapping):
            site_keys.append("")
            continue
        area = rec.get("heated_area_m2")
        if isinstance(area, int | float) and not isinstance(area, bool) and 0 <= area < MIN_HEATED_AREA_M2:
            errors.append(InputError(f"must be at least {MIN_HEATED_AREA_M2} m² (one room), got {area!r}",
                                     record=labels[i], field="heated_area_m2"))
        name = rec.get("site")
        if not isinstance(name, str):
            site_keys.append("")
            continue
        if name in known:
            site_keys.append(known[name])
            continue
        try:
            known[name] = get_site(name).name
            site_keys.append(known[name])
        except InputError as exc:
            errors.append(InputError(exc.reason, record=labels[i], field="site"))
            site_keys.append("")
    tariffs: list[dict[str, Any]] = []
    prices: list[dict[str, float]] = []
    service: list[Any] = []
    for i, rec in enumerate(records):
        if not isinstance(rec, Mapping):
            continue
        try:
            service.append(resolve_level(rec.get("service_level"), label=labels[i]))
        except InputError as exc:
            errors.append(exc)
        try:
            tariffs.append(_check_tariff(rec.get("tariff") or {}, labels[i]))
        except InputError as exc:
            errors.append(exc)
        try:
            prices.append(_check_prices(rec.get("prices") or {}, labels[i]))
        except InputError as exc:
            errors.append(exc)
    errors.sort(key=lambda e: int(str(e.record).split()[1]) if e.record else -1)
    raise_all(errors)
    return HouseRecords(
        house_id=[r.get("house_id") if isinstance(r.get("house_id"), str) else None for r in records],
        site=[str(s) for s in cols["site"]],
        site_key=site_keys,
        heated_area_m2=cols["heated_area_m2"].astype(float),
        dwelling=cols["dwelling"],
        envelope=cols["envelope"],
        gas_available=cols["gas_available"],
        setback=cols["night_setback"],
        emitter=cols["emitter"],
        service=service,
        compare_with=cols["compare_with"],
        tariff=tariffs,
        prices=prices,
        labels=labels,
    )


def _check_tariff(t: Any, label: str) -> dict[str, Any]:
    if not isinstance(t, Mapping):
        raise InputError(f"must be an object, got {t!r}", record=label, field="tariff")
    from cleanheat.records import suggest

    clean_t: dict[str, Any] = {}
    for k, v in t.items():
        f = f"tariff.{k}"
        if k not in TARIFF_KEYS:
            raise InputError(f"unknown item {k!r}{suggest(str(k), TARIFF_KEYS)}; expected one of "
                             f"{', '.join(TARIFF_KEYS)}", record=label, field=f)
        if k == "price_by_hour_cny_per_kwh":
            if not isinstance(v, list) or len(v) != 24:
                raise InputError("must be a list of 24 prices (hour 0–23)", record=label, field=f)
            clean_t[k] = [_number(x, label, f) for x in v]
        elif k == "valley_hours":
            if not isinstance(v, list) or not all(isinstance(x, int) and not isinstance(x, bool)
                                                  and 0 <= x <= 23 for x in v):
                raise InputError("must be a list of hours 0–23", record=label, field=f)
            clean_t[k] = sorted(set(v))
        else:
            clean_t[k] = _number(v, label, f)
    return clean_t


def _check_prices(pr: Any, label: str) -> dict[str, float]:
    if not isinstance(pr, Mapping):
        raise InputError(f"must be an object, got {pr!r}", record=label, field="prices")
    from cleanheat.records import suggest

    clean_p: dict[str, float] = {}
    for k, v in pr.items():
        if k not in PRICE_KEYS:
            raise InputError(f"unknown item {k!r}{suggest(str(k), PRICE_KEYS)}; expected one of "
                             f"{', '.join(PRICE_KEYS)}", record=label, field=f"prices.{k}")
        clean_p[k] = _number(v, label, f"prices.{k}")
    return clean_p


@functools.cache
def climate_for(site_name: str) -> SeasonClimate:
    """The season climate of a site (typical year, seed 0), built once per process."""
    from cleanheat.climate.sites import get_site
    from cleanheat.climate.weather import load_typical_year

    site = get_site(site_name)
    return season_climate(site, load_typical_year(site))


def _economics_costs(site_name: str, on: dt.date) -> CostInputs:
    """Read the tariff, prices, calorific values and CO₂ factors of ``cleanheat.economics``."""
    from cleanheat.economics import EmissionFactors, Prices, Tariff

    tariff = Tariff.for_site(site_name, on)
    hours = np.arange(24)
    pr = Prices.for_site(site_name, on)
    ef = EmissionFactors.for_site(site_name, on)
    return CostInputs(
        price_by_hour_cny_per_kwh=np.asarray(tariff.price_cny_per_kwh(hours), dtype=float),
        period_by_hour=np.asarray(tariff.period_of_hour(hours), dtype=np.int64),
        gas_cny_per_m3=pr.gas_cny_per_m3, biomass_cny_per_kg=pr.pellet_cny_per_kg, coal_cny_per_kg=pr.coal_cny_per_kg,
        grid_kg_co2_per_kwh=ef.grid_kg_co2_per_kwh, gas_kg_co2_per_m3=ef.gas_kg_co2_per_m3,
        coal_kg_co2_per_kg=ef.coal_kg_co2_per_kg, biomass_kg_co2_per_kg=ef.biomass_kg_co2_per_kg,
        gas_kwh_per_m3=pr.gas_kwh_per_m3, biomass_kwh_per_kg=pr.pellet_kwh_per_kg, coal_kwh_per_kg=pr.coal_kwh_per_kg,
        valley_subsidy_cny_per_kwh=tariff.valley_subsidy_cny_per_kwh,
        valley_subsidy_cap_kwh=tariff.valley_subsidy_cap_kwh,
    )


def cost_inputs(site_name: str, on: dt.date = DEFAULT_ON, tariff: Mapping[str, Any] | None = None,
                prices: Mapping[str, float] | None = None) -> CostInputs:
    """
    Tariff, fuel prices and CO₂ factors of a site from ``cleanheat.economics``, with overrides.

    Parameters
    ----------
    site_name : str
        Site (``yanchi``, ``beijing``).
    on : date
        Date of the tariff and prices.
    tariff : mapping or None
        ``price_by_hour_cny_per_kwh`` (24 values), or ``valley_cny_per_kwh`` /
        ``flat_cny_per_kwh`` / ``peak_cny_per_kwh`` replacing the price of those periods,
        and ``valley_hours`` (hours 0–23) replacing the valley window. [CNY/kWh]
    prices : mapping or None
        ``gas_cny_per_m3``, ``biomass_cny_per_kg``, ``coal_cny_per_kg``.
    """
    base = _economics_costs(site_name, on)
    price = np.asarray(base.price_by_hour_cny_per_kwh, dtype=float).copy()
    period = np.asarray(base.period_by_hour, dtype=np.int64).copy()
    t = dict(tariff or {})
    if "valley_hours" in t:
        vh = np.zeros(24, dtype=bool)
        vh[list(t["valley_hours"])] = True
        valley_price = float(price[period == PERIOD_VALLEY].min()) if (period == PERIOD_VALLEY).any() else price.min()
        other = price[period != PERIOD_VALLEY]
        other_price = float(other.max()) if other.size else float(price.max())
        period = np.where(vh, PERIOD_VALLEY, np.where(period == PERIOD_VALLEY, PERIOD_PEAK, period))
        price = np.where(vh, valley_price, np.where(price == valley_price, other_price, price))
    for key, code in (("valley_cny_per_kwh", PERIOD_VALLEY), ("flat_cny_per_kwh", PERIOD_FLAT),
                      ("peak_cny_per_kwh", PERIOD_PEAK)):
        if key in t:
            price = np.where(period == code, float(t[key]), price)
    if "price_by_hour_cny_per_kwh" in t:
        price = np.asarray(t["price_by_hour_cny_per_kwh"], dtype=float)
    p = dict(prices or {})
    return replace(
        base,
        price_by_hour_cny_per_kwh=price,
        period_by_hour=period,
        gas_cny_per_m3=float(p.get("gas_cny_per_m3", base.gas_cny_per_m3)),
        biomass_cny_per_kg=float(p.get("biomass_cny_per_kg", base.biomass_cny_per_kg)),
        coal_cny_per_kg=float(p.get("coal_cny_per_kg", base.coal_cny_per_kg)),
    )


def _r(x: float, nd: int = 2) -> float:
    return round(float(x), nd)


def option_dicts(res: SeasonResult, i: int) -> list[dict[str, Any]]:
    """The ``options`` list of house ``i``: one object per method, in SPEC order."""
    opts = []
    for j, code in enumerate(res.technologies):
        opts.append({
            "technology": str(code),
            "energy": {
                "electricity_kwh": _r(res.electricity_kwh[i, j], 1),
                "electricity_valley_kwh": _r(res.electricity_valley_kwh[i, j], 1),
                "electricity_flat_kwh": _r(res.electricity_flat_kwh[i, j], 1),
                "electricity_peak_kwh": _r(res.electricity_peak_kwh[i, j], 1),
                "gas_m3": _r(res.gas_m3[i, j], 1),
                "biomass_kg": _r(res.biomass_kg[i, j], 1),
                "coal_kg": _r(res.coal_kg[i, j], 1),
            },
            "seasonal_efficiency": _r(res.seasonal_efficiency[i, j], 3),
            "running_cost_cny": int(round(float(res.running_cost_cny[i, j]))),  # money: integer CNY (STYLE §2)
            "co2_kg": _r(res.co2_kg[i, j], 0),
            "unmet_hours": int(res.unmet_hours[i, j]),
            "delivered_heat_kwh": _r(res.delivered_heat_kwh[i, j], 1),
            "unmet_heat_kwh": _r(res.unmet_heat_kwh[i, j], 1),
            "peak_electric_kw": _r(res.peak_electric_kw[i, j], 2),
            "solar_fraction": _r(res.solar_fraction[i, j], 3),
        })
        h2 = None if res.spf_h2 is None else float(res.spf_h2[i, j])
        h4 = None if res.spf_h4 is None else float(res.spf_h4[i, j])
        if h2 is not None and h4 is not None and math.isfinite(h2) and math.isfinite(h4):
            # only heat-pump methods (and solar_aux with a heat-pump auxiliary) have a boundary
            opts[-1]["spf"] = {"h2": _r(h2, 3), "h4": _r(h4, 3), "boundary_note": SPF_BOUNDARY_NOTE}
    return opts


SPF_BOUNDARY_NOTE = (
    "SEPEMO-Build boundaries (Zottl et al., D4.2): h2 = heat-pump heat / (compressor incl. part-load cycling "
    "+ source-side pump or fan + standby); h4 = heat-pump and backup heat / (h2 electricity + backup heater "
    "+ emitter-side circulation pump), what the household pays for; for a household system h4 is also the "
    "GB/T 50801-2013 system COP (user-side heat / all heat-pump units and water pumps). Solar heat is outside "
    "both boundaries.")


def _emitter_delta_t_k(emitter: np.ndarray) -> np.ndarray | None:
    """Design supply-minus-return difference per house from its emitter code; NaN where none given. [K]"""
    from cleanheat.technologies.catalogue import technology_parameters

    if not any(emitter):
        return None
    p = technology_parameters()
    return np.array([p[f"emitters.{e}_delta_t_k"] if e else np.nan for e in emitter.tolist()], dtype=float)


def _emitter_supply_c(emitter: np.ndarray) -> np.ndarray | None:
    """Design supply temperature per house from its emitter code; NaN where none given. [°C]"""
    from cleanheat.technologies.catalogue import technology_parameters

    if not any(emitter):
        return None
    p = technology_parameters()
    return np.array([p[f"emitters.{e}_supply_c"] if e else np.nan for e in emitter.tolist()], dtype=float)


def canonical_override_names(overrides: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Overrides under the names of the one parameter namespace, and a notice per deprecated short name.

    ``technologies.gshp.borehole_length_m`` is the name (the one ``cleanheat params`` shows);
    the old short name ``gshp.borehole_length_m`` still works, with a deprecation notice.
    """
    from cleanheat.parameters import defaults_tree
    from cleanheat.technologies.catalogue import TECHNOLOGY_PREFIX

    tree = defaults_tree()
    out: dict[str, Any] = {}
    notices: list[str] = []
    for name, value in overrides.items():
        full = f"{TECHNOLOGY_PREFIX}.{name}"
        if name not in tree and full in tree:
            notices.append(f"已弃用 deprecated: --param {name} is the old short name; use {full} "
                           f"(the name `cleanheat params` shows)")
            name = full
        out[name] = value
    return out, notices


def _check_overrides(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Technology overrides by their full name: known, of the default's kind, within its range.

    Returns them keyed as :func:`cleanheat.technologies.catalogue.technology_parameters` keys
    them (below ``technologies.``).

    Raises
    ------
    InputError
        An unknown name (with the nearest), a parameter that is not a technology default, a
        datasheet list, or a value of the wrong kind or outside the parameter's range
        (``technologies.other_high_tech.eta_carnot=5``).
    """
    import warnings

    from cleanheat.errors import ParameterError
    from cleanheat.parameters import all_parameters
    from cleanheat.technologies.catalogue import TECHNOLOGY_PREFIX

    named, notices = canonical_override_names(overrides)
    for notice in notices:
        warnings.warn(notice, DeprecationWarning, stacklevel=3)
    tree = all_parameters()
    out: dict[str, Any] = {}
    for name, value in named.items():
        try:
            param = tree.get_suggesting(name)
        except ParameterError as exc:
            raise InputError(f"{exc} (see `cleanheat params {TECHNOLOGY_PREFIX}`)", field=name) from None
        if not name.startswith(TECHNOLOGY_PREFIX + "."):
            raise InputError(f"simulate --param replaces technology defaults ({TECHNOLOGY_PREFIX}.…) only, "
                             f"not {name}", field=name)
        key = name[len(TECHNOLOGY_PREFIX) + 1:]
        kind = param.kind
        if kind == "list":
            raise InputError("datasheet point lists cannot be overridden here", field=name)
        if kind == "str":
            if key == "solar.aux_kind" and value not in SOLAR_AUX_KINDS:
                raise InputError(f"must be one of {', '.join(SOLAR_AUX_KINDS)}, got {value!r}", field=name)
            out[key] = str(value)
            continue
        if kind == "bool":
            if value not in (0, 1, True, False):
                raise InputError(f"must be 0 or 1, got {value!r}", field=name)
            out[key] = bool(value)
            continue
        number = _number(value, "override", name) if not isinstance(value, int | float) or isinstance(value, bool) \
            else value
        try:
            out[key] = float(param.check_value(number))
        except ParameterError as exc:
            raise InputError(str(exc), field=name) from None
    return out


def _unavailable(technology: str, gas_available: bool, aux_kind: str) -> dict[str, str] | None:
    """Why a method cannot be chosen for a house, or None: gas heating (and a solar system with a
    gas auxiliary) needs a gas grid."""
    if gas_available:
        return None
    if technology == "gas_boiler" or (technology == "solar_aux" and aux_kind == "gas"):
        return NO_GAS_REASON
    return None


def _saving(base_cost: float, base_co2: float, cost: float, co2: float) -> dict[str, Any]:
    return {"running_cost_saved_cny": int(round(base_cost)) - int(round(cost)),
            "co2_saved_kg": _r(base_co2 - co2, 0) + 0.0}  # + 0.0: no "-0.0" in the JSON


def _house_output(hr: HouseRecords, i: int, res: SeasonResult, pos: int, base: SeasonResult, aux_kind: str,
                  baseline_level: ServiceLevel) -> dict[str, Any]:
    """One record's ``simulate`` object: the house, its service level, the coal baseline as the
    household heats now, and every method with its availability and both comparisons."""
    techs = [str(t) for t in res.technologies]
    j_coal = techs.index("coal_stove")
    area = float(hr.heated_area_m2[i])
    o: dict[str, Any] = {}
    if hr.house_id[i] is not None:
        o["house_id"] = hr.house_id[i]
    o["site"] = hr.site[i]
    o["design_heat_load_kw"] = _r(res.design_heat_load_kw[pos], 2)
    o["season_heat_demand_kwh"] = _r(res.season_heat_demand_kwh[pos], 1)
    o["service_level"] = hr.service[i].as_dict(area)
    b_cost, b_co2 = float(base.running_cost_cny[pos, 0]), float(base.co2_kg[pos, 0])
    o["baseline"] = {
        "technology": "coal_stove",
        "service_level": baseline_level.as_dict(area),
        "season_heat_demand_kwh": _r(base.season_heat_demand_kwh[pos], 1),
        "coal_kg": _r(base.coal_kg[pos, 0], 1),
        "running_cost_cny": int(round(b_cost)),
        "co2_kg": _r(b_co2, 0),
        "unmet_hours": int(base.unmet_hours[pos, 0]),
    }
    compare = str(hr.compare_with[i])
    o["compare_with"] = compare
    e_cost, e_co2 = float(res.running_cost_cny[pos, j_coal]), float(res.co2_kg[pos, j_coal])
    options = option_dicts(res, pos)
    for opt, code in zip(options, techs, strict=True):
        why = _unavailable(code, bool(hr.gas_available[i]), aux_kind)
        opt["available"] = why is None
        if why is not None:
            opt["unavailable_reason"] = dict(why)
        vs = {"as_heated_now": _saving(b_cost, b_co2, opt["running_cost_cny"], opt["co2_kg"]),
              "equal_comfort": _saving(e_cost, e_co2, opt["running_cost_cny"], opt["co2_kg"])}
        opt["versus_coal"] = vs
        opt.update(vs[compare])
    o["options"] = options
    ranked = [(opt["running_cost_cny"], opt["technology"]) for opt in options
              if opt["available"] and opt["technology"] != "coal_stove"]
    ranked.append((int(round(b_cost)) if compare == "as_heated_now" else options[j_coal]["running_cost_cny"],
                   "coal_stove"))
    o["ranking"] = [{"technology": t, "running_cost_cny": c} for c, t in sorted(ranked)]
    return o


def _houses(hr: HouseRecords, rows: np.ndarray, levels: list[ServiceLevel] | None = None,
            setback: bool = True) -> Houses:
    """The records at ``rows`` as :class:`Houses`, at their own service level or at ``levels``."""
    lv = [hr.service[int(i)] for i in rows] if levels is None else levels
    sb = hr.setback[rows] if setback else None
    return Houses(hr.heated_area_m2[rows], hr.dwelling[rows], hr.envelope[rows], sb,
                  _emitter_supply_c(hr.emitter[rows]),
                  heated_share=np.array([lvl.heated_share for lvl in lv], dtype=float),
                  set_point_c=set_point_schedule_c(lv, sb), emitter_delta_t_k=_emitter_delta_t_k(hr.emitter[rows]))


def simulate_records(
    records: Sequence[Any],
    *,
    on: dt.date = DEFAULT_ON,
    hourly_index: int | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """
    Simulate house records over their site's heating season with every method.

    Parameters
    ----------
    records : sequence of mapping
        SPEC §7 ``advise`` input records (``house_id``, ``site``, ``heated_area_m2``,
        ``dwelling``, ``envelope``, ``gas_available``, optional ``tariff``, ``prices``,
        ``night_setback``, ``emitter`` — floor_heating, capillary_mat, fan_coil,
        low_temp_radiator, radiator; without it each heat pump uses its default emitter —,
        ``service_level`` — a name or an object, :func:`cleanheat.building.service.resolve_level`;
        without it the calibrated rural default —, ``compare_with`` — ``as_heated_now``
        (default) or ``equal_comfort``: which coal comparison the savings are stated against).
    on : date
        Date of the tariff and prices.
    hourly_index : int or None
        Record whose hourly series to return as well.
    overrides : mapping or None
        Technology defaults to replace for every house, by the name ``cleanheat params`` shows
        (``technologies.other_high_tech.eta_carnot``, ``technologies.gshp.borehole_length_m`` …);
        the old short names (``gshp.borehole_length_m``) work with a DeprecationWarning.

    Raises
    ------
    InputError
        On a bad record (naming record and field) or an unknown override name.

    Returns
    -------
    results, hourly
        One dict per record, in input order; and for ``hourly_index`` a dict of hourly columns.

    Notes
    -----
    Every method runs at the house's service level. The coal stove runs a second time at the
    baseline level (``building.service.baseline_level``: how coal households heat today), the
    ``baseline``; each option states its running cost and CO₂ saved against that baseline
    (``as_heated_now``) and against the coal stove at the house's own level
    (``equal_comfort``). ``ranking`` orders the available methods by running cost, the coal
    stove at the chosen comparison's figure. Where ``gas_available`` is false the gas boiler
    (and ``solar_aux`` with a gas auxiliary) is marked unavailable and left out of the ranking.
    """
    from cleanheat.technologies.catalogue import Technology, technology_parameters

    hr = validate_records(records)
    ov = _check_overrides(overrides or {})
    aux_kind = str(ov.get("solar.aux_kind", technology_parameters()["solar.aux_kind"]))
    baseline_level = service_levels()[baseline_level_name()]
    n = len(records)
    out: list[dict[str, Any]] = [{} for _ in range(n)]
    keys: dict[tuple[str, str, str], list[int]] = {}
    for i in range(n):
        k = (hr.site_key[i], repr(sorted(hr.tariff[i].items())), repr(sorted(hr.prices[i].items())))
        keys.setdefault(k, []).append(i)
    hourly: dict[str, Any] | None = None
    for (site, _t, _p), idx in keys.items():
        rows = np.asarray(idx)
        climate = climate_for(site)
        costs = cost_inputs(site, on, hr.tariff[idx[0]], hr.prices[idx[0]])
        houses = _houses(hr, rows)
        res = simulate_season(houses, climate, costs, technologies=TECHNOLOGIES, overrides=ov)
        base = simulate_season(_houses(hr, rows, [baseline_level] * len(idx), setback=False), climate, costs,
                               technologies=(Technology.COAL_STOVE,), overrides=ov)
        for pos, i in enumerate(idx):
            out[i] = _house_output(hr, i, res, pos, base, aux_kind, baseline_level)
        if hourly_index is not None and hourly_index in idx:
            pos = idx.index(hourly_index)
            r1 = simulate_season(houses.take(slice(pos, pos + 1)), climate, costs, keep_hourly=True, overrides=ov)
            assert r1.hourly_heat_demand_kw is not None and r1.hourly_delivered_kw is not None
            assert r1.hourly_electricity_kw is not None
            hod = climate.season(climate.hour_of_day)
            hourly = {"hour": list(range(climate.season_hours)),
                      **({"time": climate.season(climate.time_label).tolist()}
                         if climate.time_label is not None else {}),
                      "hour_of_day": hod.tolist(),
                      "temp_air_c": np.round(climate.season(climate.temp_air_c), 2).tolist(),
                      "price_cny_per_kwh": np.asarray(costs.price_by_hour_cny_per_kwh)[hod].tolist(),
                      "heat_demand_kw": np.round(r1.hourly_heat_demand_kw[0], 4).tolist()}
            for j, code in enumerate(r1.technologies):
                hourly[f"{code}_delivered_kw"] = np.round(r1.hourly_delivered_kw[0, j], 4).tolist()
                hourly[f"{code}_electricity_kw"] = np.round(r1.hourly_electricity_kw[0, j], 4).tolist()
    return out, hourly
