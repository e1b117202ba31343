"""Electricity tariffs, fuel prices and emission factors of a site on a date, from the dated parameter files.

The numbers live in ``cleanheat/data/defaults/{tariffs,prices,fuels,emission_factors}/`` (STYLE §4
schema, each with its reference; unconfirmed ones say so). This module only reads them into
typed records and applies the tariff to hourly energy arrays.

Per-kWh prices are floats (they are rates, not payments); a season's cost from
:meth:`Tariff.energy_cost_cny` is a float in CNY that callers round to integer CNY when it
becomes a payment (STYLE §2).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from cleanheat.climate.sites import Site, get_site
from cleanheat.errors import ParameterError
from cleanheat.parameters import ParameterTree, defaults_tree
from cleanheat.units import BoolArray, FloatArray, IntArray

__all__ = ["PERIODS", "EmissionFactors", "Prices", "Tariff"]

PERIODS = ("valley", "flat", "peak")
"""Tariff periods; :meth:`Tariff.period_of_hour` returns their index (0 valley, 1 flat, 2 peak)."""


def _site(site: str | Site) -> Site:
    return get_site(site)


def _read(tree: ParameterTree, name: str, on: dt.date) -> object:
    return tree[name].at(on)


@dataclass(frozen=True)
class Tariff:
    """A residential time-of-use electricity tariff in force on one date.

    Attributes
    ----------
    region : str
        Tariff folder (``ningxia``, ``beijing``).
    on : datetime.date
        Date at which the parameters were read.
    valley_hours, flat_hours, peak_hours : frozenset of int
        Hours of the day (0–23, local standard time, hour *h* = h:00–h+1:00) in each period;
        together they cover the 24 hours once.
    valley_price_cny_per_kwh, flat_price_cny_per_kwh, peak_price_cny_per_kwh : float
        Energy price in each period, before any subsidy. [CNY/kWh]
    valley_subsidy_cny_per_kwh : float
        Subsidy per valley kWh (Beijing 煤改电). [CNY/kWh]
    valley_subsidy_cap_kwh : float
        Valley energy per household and season that earns the subsidy. [kWh]
    """

    region: str
    on: dt.date
    valley_hours: frozenset[int]
    flat_hours: frozenset[int]
    peak_hours: frozenset[int]
    valley_price_cny_per_kwh: float
    flat_price_cny_per_kwh: float
    peak_price_cny_per_kwh: float
    valley_subsidy_cny_per_kwh: float = 0.0
    valley_subsidy_cap_kwh: float = 0.0

    def __post_init__(self) -> None:
        sets = (self.valley_hours, self.flat_hours, self.peak_hours)
        counts = np.zeros(24, dtype=np.int64)
        for hours in sets:
            for h in hours:
                if not 0 <= int(h) <= 23:
                    raise ParameterError(f"tariff {self.region} on {self.on}: hour {h} is not in 0–23")
                counts[int(h)] += 1
        if not np.all(counts == 1):
            bad = [h for h in range(24) if counts[h] != 1]
            raise ParameterError(
                f"tariff {self.region} on {self.on}: hours {bad} are not in exactly one period"
            )

    @classmethod
    def for_region(cls, region: str, on: dt.date, tree: ParameterTree | None = None) -> Tariff:
        """The tariff of a folder ``tariffs/<region>/`` in force on a date.

        Raises
        ------
        ParameterError
            If the region has no tariff, or a parameter has no value on that date.
        """
        tree = tree or defaults_tree()
        p = f"tariffs.{region}."
        if not tree.is_folder(f"tariffs.{region}"):
            raise ParameterError(f"no tariff for region {region!r}")

        def hours(name: str) -> frozenset[int]:
            return frozenset(int(h) for h in tree[p + name].at(on))

        def price(name: str) -> float:
            return float(tree[p + name].at(on))

        return cls(
            region=region,
            on=on,
            valley_hours=hours("valley_hours"),
            flat_hours=hours("flat_hours"),
            peak_hours=hours("peak_hours"),
            valley_price_cny_per_kwh=price("valley_price_cny_per_kwh"),
            flat_price_cny_per_kwh=price("flat_price_cny_per_kwh"),
            peak_price_cny_per_kwh=price("peak_price_cny_per_kwh"),
            valley_subsidy_cny_per_kwh=price("valley_subsidy_cny_per_kwh"),
            valley_subsidy_cap_kwh=price("valley_subsidy_cap_kwh"),
        )

    @classmethod
    def for_site(cls, site: str | Site, on: dt.date, tree: ParameterTree | None = None) -> Tariff:
        """The tariff that applies at a site (its ``tariff_region``) on a date."""
        return cls.for_region(_site(site).tariff_region, on, tree)

    def period_of_hour(self, hour_of_day: IntArray | int) -> IntArray:
        """Tariff period of each hour: 0 valley, 1 flat, 2 peak (see :data:`PERIODS`); input shape."""
        table = np.empty(24, dtype=np.int64)
        for k, hours in enumerate((self.valley_hours, self.flat_hours, self.peak_hours)):
            table[sorted(hours)] = k
        out: IntArray = table[np.asarray(hour_of_day, dtype=np.int64) % 24]
        return out

    def price_cny_per_kwh(self, hour_of_day: IntArray | int) -> FloatArray:
        """Energy price of each hour of the day, before subsidy, input shape. [CNY/kWh]"""
        prices = np.array(
            [self.valley_price_cny_per_kwh, self.flat_price_cny_per_kwh, self.peak_price_cny_per_kwh]
        )
        out: FloatArray = prices[self.period_of_hour(hour_of_day)]
        return out

    def is_valley(self, hour_of_day: IntArray | int) -> BoolArray:
        """Whether each hour of the day lies in the valley period, input shape."""
        out: BoolArray = self.period_of_hour(hour_of_day) == 0
        return out

    def energy_cost_cny(self, electric_kwh: FloatArray, hour_of_day: IntArray) -> FloatArray:
        r"""
        Electricity cost over a season, net of the capped valley subsidy.

        Parameters
        ----------
        electric_kwh : numpy.ndarray, shape (..., n_hours)
            Electricity bought in each hour, e.g. (n_houses, n_hours). [kWh]
        hour_of_day : numpy.ndarray, shape (n_hours,)
            Hour of the day (0–23) of each hour.

        Returns
        -------
        cost_cny : numpy.ndarray, shape (...)
            :math:`\sum_t p(h_t) E_t - s \min(E_{valley}, C)` with the valley subsidy *s* and
            cap *C* per household and season. [CNY]
        """
        e = np.asarray(electric_kwh, dtype=np.float64)
        gross = e @ self.price_cny_per_kwh(hour_of_day)
        valley_kwh = e @ self.is_valley(hour_of_day).astype(np.float64)
        subsidy = self.valley_subsidy_cny_per_kwh * np.minimum(valley_kwh, self.valley_subsidy_cap_kwh)
        out: FloatArray = gross - subsidy
        return out


@dataclass(frozen=True)
class Prices:
    """Fuel prices at a site and fuel heating values, on one date.

    Attributes
    ----------
    gas_cny_per_m3 : float
        Residential natural gas price. [CNY/m³]
    pellet_cny_per_kg, coal_cny_per_kg : float
        Biomass pellet and raw coal prices delivered. [CNY/kg]
    gas_kwh_per_m3 : float
        Net calorific value of natural gas. [kWh/m³]
    pellet_kwh_per_kg, coal_kwh_per_kg : float
        Net calorific values of pellets and raw coal. [kWh/kg]
    """

    region: str
    on: dt.date
    gas_cny_per_m3: float
    pellet_cny_per_kg: float
    coal_cny_per_kg: float
    gas_kwh_per_m3: float
    pellet_kwh_per_kg: float
    coal_kwh_per_kg: float

    @classmethod
    def for_site(cls, site: str | Site, on: dt.date, tree: ParameterTree | None = None) -> Prices:
        """Prices of the site's ``tariff_region`` (``prices/<region>/``) and fuel values on a date.

        Raises
        ------
        ParameterError
            If the region has no prices or a value is not in force on that date.
        """
        tree = tree or defaults_tree()
        region = _site(site).tariff_region
        if not tree.is_folder(f"prices.{region}"):
            raise ParameterError(f"no fuel prices for region {region!r}")
        p = f"prices.{region}."
        return cls(
            region=region,
            on=on,
            gas_cny_per_m3=float(tree[p + "gas_cny_per_m3"].at(on)),
            pellet_cny_per_kg=float(tree[p + "pellet_cny_per_kg"].at(on)),
            coal_cny_per_kg=float(tree[p + "coal_cny_per_kg"].at(on)),
            gas_kwh_per_m3=float(tree["fuels.natural_gas_ncv_kwh_per_m3"].at(on)),
            pellet_kwh_per_kg=float(tree["fuels.pellet_ncv_kwh_per_kg"].at(on)),
            coal_kwh_per_kg=float(tree["fuels.coal_ncv_kwh_per_kg"].at(on)),
        )


@dataclass(frozen=True)
class EmissionFactors:
    """CO₂ (and GB/T 50801 SO₂, dust) factors that apply at a site on one date.

    Attributes
    ----------
    grid_kg_co2_per_kwh : float
        Regional grid average factor of the site's ``grid_region``. [kg/kWh]
    gas_kg_co2_per_m3 : float
        Natural gas combustion. [kg/m³]
    coal_kg_co2_per_kg : float
        Raw coal combustion. [kg/kg]
    biomass_kg_co2_per_kg : float
        Fossil CO₂ counted for biomass pellets (0: biogenic). [kg/kg]
    standard_coal_kg_co2_per_kgce, standard_coal_kg_so2_per_kgce, standard_coal_kg_dust_per_kgce : float
        GB/T 50801-2013 factors per kg of standard coal replaced. [kg/kgce]
    standard_coal_mj_per_kgce : float
        Heat value of standard coal. [MJ/kgce]
    """

    grid_region: str
    on: dt.date
    grid_kg_co2_per_kwh: float
    gas_kg_co2_per_m3: float
    coal_kg_co2_per_kg: float
    biomass_kg_co2_per_kg: float
    standard_coal_kg_co2_per_kgce: float
    standard_coal_kg_so2_per_kgce: float
    standard_coal_kg_dust_per_kgce: float
    standard_coal_mj_per_kgce: float

    @classmethod
    def for_site(cls, site: str | Site, on: dt.date, tree: ParameterTree | None = None) -> EmissionFactors:
        """Factors for the site's grid region on a date.

        Raises
        ------
        ParameterError
            If the grid region has no factor or a value is not in force on that date.
        """
        tree = tree or defaults_tree()
        region = _site(site).grid_region
        f = "emission_factors.fuel."
        return cls(
            grid_region=region,
            on=on,
            grid_kg_co2_per_kwh=float(tree[f"emission_factors.grid.{region}_kg_per_kwh"].at(on)),
            gas_kg_co2_per_m3=float(tree[f + "natural_gas_kg_per_m3"].at(on)),
            coal_kg_co2_per_kg=float(tree[f + "coal_kg_per_kg"].at(on)),
            biomass_kg_co2_per_kg=float(tree[f + "biomass_kg_per_kg"].at(on)),
            standard_coal_kg_co2_per_kgce=float(tree[f + "standard_coal_kg_per_kgce"].at(on)),
            standard_coal_kg_so2_per_kgce=float(tree[f + "standard_coal_so2_kg_per_kgce"].at(on)),
            standard_coal_kg_dust_per_kgce=float(tree[f + "standard_coal_dust_kg_per_kgce"].at(on)),
            standard_coal_mj_per_kgce=float(tree["fuels.standard_coal_mj_per_kgce"].at(on)),
        )

    # Short aliases used by ``cleanheat.simulate.records`` (same values, same units).
    @property
    def grid_kg_per_kwh(self) -> float:
        """Alias of :attr:`grid_kg_co2_per_kwh`. [kg/kWh]"""
        return self.grid_kg_co2_per_kwh

    @property
    def gas_kg_per_m3(self) -> float:
        """Alias of :attr:`gas_kg_co2_per_m3`. [kg/m³]"""
        return self.gas_kg_co2_per_m3

    @property
    def coal_kg_per_kg(self) -> float:
        """Alias of :attr:`coal_kg_co2_per_kg`. [kg/kg]"""
        return self.coal_kg_co2_per_kg
