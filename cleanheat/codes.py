"""Canonical codes shared by the rules, the engineering models and the registry (SPEC §2, §7).

Spelled exactly as SPEC; used everywhere: code, files, API, UI keys.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Dwelling", "Technology", "TECHNOLOGIES"]


class Technology(StrEnum):
    """Clean-heating methods of SPEC §2, in SPEC order, and the ``coal_stove`` baseline last."""

    FAN_HEATER_DIRECT = "fan_heater_direct"
    ASHP_WATER = "ashp_water"
    STORAGE_ELECTRIC = "storage_electric"
    GAS_BOILER = "gas_boiler"
    GSHP = "gshp"
    SOLAR_AUX = "solar_aux"
    OTHER_HIGH_TECH = "other_high_tech"
    CO2_ASHP = "co2_ashp"
    SOLAR_GSHP_SEASONAL = "solar_gshp_seasonal"
    BIOMASS = "biomass"
    COAL_STOVE = "coal_stove"


TECHNOLOGIES: tuple[Technology, ...] = tuple(Technology)
"""All eleven methods in SPEC §2 order (coal_stove last)."""


class Dwelling(StrEnum):
    """Dwelling types of SPEC §7: brick house, cave dwelling (窑洞), other."""

    BRICK = "brick"
    CAVE = "cave"
    OTHER = "other"
