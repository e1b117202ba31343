"""Canonical codes shared by the rules, the engineering models and the registry (SPEC §2, §7).

Spelled exactly as SPEC; used everywhere: code, files, API, UI keys.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["DWELLING_NAMES_ZH", "Dwelling", "TECHNOLOGIES", "TECHNOLOGY_NAMES_ZH", "Technology", "technology_label"]


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


# ---------------------------------------------------------------------------------------------
# Chinese names of the codes (the policy helper's mapping; keep it separate from the synonyms)
# ---------------------------------------------------------------------------------------------

TECHNOLOGY_NAMES_ZH: dict[str, str] = {
    Technology.FAN_HEATER_DIRECT: "热泵热风机+电直热",
    Technology.ASHP_WATER: "空气源热泵热水机",
    Technology.STORAGE_ELECTRIC: "电蓄热",
    Technology.GAS_BOILER: "燃气壁挂炉",
    Technology.GSHP: "地源热泵",
    Technology.SOLAR_AUX: "太阳能+多种辅助能源",
    Technology.OTHER_HIGH_TECH: "其他高科技节能清洁能源",
    Technology.CO2_ASHP: "二氧化碳低温空气源热泵",
    Technology.SOLAR_GSHP_SEASONAL: "太阳能与地源热泵耦合跨季节蓄热",
    Technology.BIOMASS: "生物质",
    Technology.COAL_STOVE: "散煤炉",
}
"""The methods' names as 盐政办发〔2022〕8号 五(一)(二) writes them (``coal_stove``: the baseline 散煤炉).

``fan_heater_direct`` is the plan's 热泵热风机+电直热: an air-to-air heat pump with a direct
electric heater, so its seasonal efficiency is above 1.
"""

DWELLING_NAMES_ZH: dict[str, str] = {Dwelling.BRICK: "砖房", Dwelling.CAVE: "窑洞", Dwelling.OTHER: "其他"}
"""Dwelling types in Chinese."""


def technology_label(code: str) -> str:
    """``"地源热泵 gshp"``: the Chinese name first, the code beside (the code alone if unknown)."""
    zh = TECHNOLOGY_NAMES_ZH.get(code)
    return f"{zh} {code}" if zh else str(code)
