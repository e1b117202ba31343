"""The township grid load (盐政办发〔2022〕8号 六(四)): coincident electric demand of the households' methods.

Each household's chosen method is simulated hour by hour on its site's typical year, at the
house's service level (:func:`cleanheat.simulate.records.simulate_records`' inputs), and the hourly
electricity is summed per township — and per transformer where the record names one — in the same
pass (:func:`cleanheat.simulate.season.simulate_season`'s group sums, each house simulated once).
The coincident peak of a group is at most the sum of its houses' peaks and at least the largest
of them; their ratio is the group's coincidence factor.

Every house of a service level heats in the same hours (``building.service.hour_order``), and the
weather is one typical year for the whole site, so the houses' morning recoveries coincide: the
coincidence factor comes out near 1 and the township peak is an upper bound for planning — the
diversity of real households' schedules is not modelled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from cleanheat.errors import InputError

__all__ = ["grid_load", "GRID_FIELDS"]

GRID_FIELDS = ("technology", "township", "transformer")
"""Fields a grid record has beside a ``simulate`` house record: the method installed or chosen, the
group it is summed in (default: the record's ``site``) and, optionally, its transformer."""


def _split(records: Sequence[Any]) -> tuple[list[dict[str, Any]], list[tuple[str, str, str | None]]]:
    """House records for the simulation, and (technology, township, transformer) per record."""
    from cleanheat.codes import TECHNOLOGIES
    from cleanheat.records import raise_all, record_label, suggest

    codes = [str(t) for t in TECHNOLOGIES]
    houses: list[dict[str, Any]] = []
    keys: list[tuple[str, str, str | None]] = []
    errors: list[InputError] = []
    for i, rec in enumerate(records):
        label = record_label(rec, i, "house_id")
        if not isinstance(rec, Mapping):
            errors.append(InputError(f"must be an object, got {type(rec).__name__}", record=label))
            continue
        tech = rec.get("technology")
        if tech not in codes:
            errors.append(InputError(f"must be one of {', '.join(codes)}, got {tech!r}{suggest(str(tech), codes)}",
                                     record=label, field="technology"))
        town = rec.get("township", rec.get("site"))
        if not isinstance(town, str) or not town.strip():
            errors.append(InputError("must be a township name (or give the site)", record=label, field="township"))
        tr = rec.get("transformer")
        if tr is not None and not isinstance(tr, str | int):
            errors.append(InputError(f"must be a name or number, got {tr!r}", record=label, field="transformer"))
        houses.append({k: v for k, v in rec.items() if k not in GRID_FIELDS})
        keys.append((str(tech), str(town), None if tr is None else str(tr)))
    raise_all(errors)
    return houses, keys


def _summary(name: str, hourly_kw: np.ndarray, house_peaks_kw: np.ndarray, period: np.ndarray,
             labels: np.ndarray | None, n: int) -> dict[str, Any]:
    from cleanheat.simulate.season import PERIOD_FLAT, PERIOD_PEAK, PERIOD_VALLEY

    k = int(np.argmax(hourly_kw)) if hourly_kw.size else 0
    total = float(hourly_kw.sum())
    by = {c: float(hourly_kw[period == c].sum()) for c in (PERIOD_VALLEY, PERIOD_FLAT, PERIOD_PEAK)}
    peak = float(hourly_kw.max()) if hourly_kw.size else 0.0
    s_peaks = float(house_peaks_kw.sum())
    return {
        "name": name,
        "households": n,
        "peak_kw": round(peak, 1),
        "peak_at": None if labels is None or peak <= 0 else str(labels[k]),
        "sum_of_house_peaks_kw": round(s_peaks, 1),
        "largest_house_peak_kw": round(float(house_peaks_kw.max()) if n else 0.0, 2),
        "coincidence_factor": round(peak / s_peaks, 3) if s_peaks > 0 else 0.0,
        "electricity_kwh": round(total, 0),
        "valley_kwh": round(by[PERIOD_VALLEY], 0),
        "flat_kwh": round(by[PERIOD_FLAT], 0),
        "peak_period_kwh": round(by[PERIOD_PEAK], 0),
        "valley_share": round(by[PERIOD_VALLEY] / total, 3) if total > 0 else 0.0,
    }


def grid_load(records: Sequence[Any], *, on: dt.date | None = None, keep_hourly: bool = False) -> dict[str, Any]:
    """
    Coincident electric load per township and transformer of the households' methods.

    Parameters
    ----------
    records : sequence of mapping
        ``simulate`` house records (``site`` … ``service_level``) with ``technology`` (the method
        installed or chosen), optionally ``township`` (the group; default the ``site``) and
        ``transformer`` (a transformer-sized group inside the township).
    on : date or None
        Date of the tariff (its valley / flat / peak hours); default that of ``simulate``.
    keep_hourly : bool
        Add each township's hourly load (``hourly_kw``) and the season's time labels.

    Returns
    -------
    dict
        ``townships``: per township (in the order first seen) ``name``, ``households``, ``peak_kw``
        and ``peak_at`` (month-day hour of the typical year), ``sum_of_house_peaks_kw``,
        ``largest_house_peak_kw``, ``coincidence_factor``, ``electricity_kwh`` and its
        ``valley_kwh`` / ``flat_kwh`` / ``peak_period_kwh`` split with ``valley_share``;
        ``transformers``: the same per (township, transformer) where records name one.

    Raises
    ------
    InputError
        A bad record or field, named (the house fields as ``simulate`` checks them).
    """
    from cleanheat.simulate.records import DEFAULT_ON, _houses, climate_for, cost_inputs, validate_records
    from cleanheat.simulate.season import simulate_season

    houses_in, keys = _split(records)
    hr = validate_records(houses_in)
    day = on or DEFAULT_ON
    towns: dict[tuple[str, str], list[int]] = {}
    trans: dict[tuple[str, str, str], list[int]] = {}
    for i, (_tech, town, tr) in enumerate(keys):
        towns.setdefault((hr.site_key[i], town), []).append(i)
        if tr is not None:
            trans.setdefault((hr.site_key[i], town, tr), []).append(i)
    group_names = list(towns) + list(trans)
    group_of_town = {k: g for g, k in enumerate(towns)}
    group_of_tr = {k: len(towns) + g for g, k in enumerate(trans)}
    out_town: list[dict[str, Any]] = []
    out_tr: list[dict[str, Any]] = []
    for site in dict.fromkeys(hr.site_key):
        rows = [i for i in range(len(keys)) if hr.site_key[i] == site]
        climate = climate_for(site)
        costs = cost_inputs(site, day, hr.tariff[rows[0]], hr.prices[rows[0]])
        hod = climate.season(climate.hour_of_day)
        period = np.asarray(costs.period_by_hour)[hod]
        n_groups = len(group_names)
        hourly = np.zeros((n_groups, climate.season_hours))
        house_peak = np.zeros(len(keys))
        for tech in dict.fromkeys(keys[i][0] for i in rows):
            idx = np.array([i for i in rows if keys[i][0] == tech])
            # each house counts in its township's group and, if named, in its transformer's
            weights = np.zeros((n_groups, idx.size))
            for col, i in enumerate(idx):
                weights[group_of_town[(site, keys[i][1])], col] = 1.0
                if keys[i][2] is not None:
                    weights[group_of_tr[(site, keys[i][1], keys[i][2])], col] = 1.0
            res = simulate_season(_houses(hr, idx), climate, costs, technologies=(tech,), groups=weights)
            assert res.group_electric_kw is not None
            hourly += res.group_electric_kw[:, 0, :]
            house_peak[idx] = res.peak_electric_kw[:, 0]
        labels = None if climate.time_label is None else climate.season(climate.time_label)
        for key, members in towns.items():
            if key[0] != site:
                continue
            doc = _summary(key[1], hourly[group_of_town[key]], house_peak[members], period, labels, len(members))
            doc["site"] = site
            if keep_hourly:
                doc["hourly_kw"] = np.round(hourly[group_of_town[key]], 3).tolist()
            out_town.append(doc)
        for tkey, members in trans.items():
            if tkey[0] != site:
                continue
            doc = _summary(tkey[2], hourly[group_of_tr[tkey]], house_peak[members], period, labels, len(members))
            doc["township"] = tkey[1]
            doc["site"] = site
            out_tr.append(doc)
    return {"townships": out_town, "transformers": out_tr}
