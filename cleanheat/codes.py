"""Canonical codes shared by the rules, the engineering models and the registry (SPEC §2, §7).

Spelled exactly as SPEC; used everywhere: code, files, API, UI keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

__all__ = [
    "DWELLING_NAMES",
    "DWELLING_NAMES_ZH",
    "FIELD_LABELS",
    "DWELLING_SYNONYMS",
    "METHOD_SYNONYMS",
    "NO",
    "TECHNOLOGIES",
    "TECHNOLOGY_NAMES",
    "TECHNOLOGY_NAMES_ZH",
    "YES",
    "Dwelling",
    "Technology",
    "dwelling_code",
    "technology_code",
    "technology_label",
    "township_name",
    "yes_no",
]


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


FIELD_LABELS: dict[str, str] = {
    "household_id": "农户编号",
    "township": "乡镇",
    "village": "行政村",
    "name": "户主姓名",
    "id_number": "身份证号",
    "phone": "联系电话",
    "address": "住址",
    "heated_area_m2": "取暖面积(㎡)",
    "dwelling": "房屋类型",
    "technology": "取暖方式",
    "with_rooftop_pv": "屋顶光伏",
    "installed_on": "安装日期",
    "self_install": "自主安装",
    "enterprise_code": "安装企业编号",
    "enterprise_registered": "企业已登记",
    "previously_subsidised": "已享受补贴",
    "accepted_on": "验收日期",
    "invoice_cny": "发票金额(元)",
    "year": "年度",
    "status": "状态",
    "paid_cny": "补贴金额(元)",
    "voucher_no": "凭证号",
    "paid_on": "发放日期",
}
"""The Chinese column header of each household field: the ledger template's and export's headers, which
every spreadsheet reader (``ledger import``, ``budget yanchi FILE.xlsx``) accepts beside the field name."""


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


# --------------------------------------------------------------------------------------------
# Names as people write them (ledgers, spreadsheets): the one synonym table of the package.
# docs/nomenclature.md ("Names as written") gives the reason of every entry; a test keeps the two equal.
# --------------------------------------------------------------------------------------------

TECHNOLOGY_NAMES = TECHNOLOGY_NAMES_ZH
"""The plan's own name of each method (the same table as :data:`TECHNOLOGY_NAMES_ZH`): what workbooks and
drop-downs show."""

METHOD_SYNONYMS: dict[str, Technology] = {
    # 热泵热风机+电直热: the plan's only method with direct electric heating
    "热风机": Technology.FAN_HEATER_DIRECT,
    "热泵热风机": Technology.FAN_HEATER_DIRECT,
    "空气源热泵热风机": Technology.FAN_HEATER_DIRECT,
    "电直热": Technology.FAN_HEATER_DIRECT,
    "电暖器": Technology.FAN_HEATER_DIRECT,
    "电暖气": Technology.FAN_HEATER_DIRECT,
    "电热炕": Technology.FAN_HEATER_DIRECT,
    # 空气源热泵热水机
    "空气源热泵": Technology.ASHP_WATER,
    "空气能": Technology.ASHP_WATER,
    "空气源": Technology.ASHP_WATER,
    "热泵热水机": Technology.ASHP_WATER,
    "空气能热水机": Technology.ASHP_WATER,
    "低温空气源热泵": Technology.ASHP_WATER,
    # 电蓄热
    "蓄热式电暖器": Technology.STORAGE_ELECTRIC,
    "蓄热式电暖气": Technology.STORAGE_ELECTRIC,
    "蓄热电暖器": Technology.STORAGE_ELECTRIC,
    "电蓄热暖器": Technology.STORAGE_ELECTRIC,
    # 燃气壁挂炉
    "壁挂炉": Technology.GAS_BOILER,
    "燃气炉": Technology.GAS_BOILER,
    "天然气壁挂炉": Technology.GAS_BOILER,
    "燃气采暖炉": Technology.GAS_BOILER,
    # 地源热泵
    "地源": Technology.GSHP,
    "浅层地热能": Technology.GSHP,
    # 太阳能+多种辅助能源 (and every name that starts with 太阳能+, see technology_code)
    "太阳能": Technology.SOLAR_AUX,
    "太阳能+": Technology.SOLAR_AUX,
    # 二氧化碳低温空气源热泵
    "二氧化碳热泵": Technology.CO2_ASHP,
    "二氧化碳空气源热泵": Technology.CO2_ASHP,
    "CO2热泵": Technology.CO2_ASHP,
    # 生物质
    "生物质炉": Technology.BIOMASS,
    "生物质颗粒炉": Technology.BIOMASS,
    "生物质锅炉": Technology.BIOMASS,
    # 散煤炉 (the baseline: recorded, never subsidised)
    "煤炉": Technology.COAL_STOVE,
    "散煤": Technology.COAL_STOVE,
    "燃煤炉": Technology.COAL_STOVE,
}
"""Method names as ledgers write them → code, beside the plan's names and the codes themselves."""

DWELLING_NAMES = DWELLING_NAMES_ZH
"""The name each dwelling type shows in workbooks and drop-downs (the same table as :data:`DWELLING_NAMES_ZH`)."""

DWELLING_SYNONYMS: dict[str, Dwelling] = {
    "砖瓦房": Dwelling.BRICK,
    "砖混房": Dwelling.BRICK,
    "砖混": Dwelling.BRICK,
    "砖木房": Dwelling.BRICK,
    "土窑": Dwelling.CAVE,
    "土窑洞": Dwelling.CAVE,
    "窑": Dwelling.CAVE,
    "砖窑": Dwelling.CAVE,
    "箍窑": Dwelling.CAVE,
    "其它": Dwelling.OTHER,
    "土坯房": Dwelling.OTHER,
    "土木房": Dwelling.OTHER,
    "彩钢房": Dwelling.OTHER,
    "楼房": Dwelling.OTHER,
}
"""Dwelling names as ledgers write them → code."""

YES: tuple[str, ...] = ("是", "有", "√", "✓", "✔", "y", "yes", "true", "t", "1")
NO: tuple[str, ...] = ("否", "无", "没有", "×", "✗", "✘", "n", "no", "false", "f", "0")
"""是/否 as written (compared after NFKC, lower-case); an empty cell is missing, neither yes nor no."""
_YES, _NO = frozenset(YES), frozenset(NO)


def _key(name: str) -> str:
    import unicodedata

    return "".join(unicodedata.normalize("NFKC", name).split()).lower()


_METHODS: dict[str, Technology] = {
    **{_key(t.value): t for t in Technology},
    **{_key(n): Technology(t) for t, n in TECHNOLOGY_NAMES.items()},
    **{_key(n): t for n, t in METHOD_SYNONYMS.items()},
}
_DWELLINGS: dict[str, Dwelling] = {
    **{_key(d.value): d for d in Dwelling},
    **{_key(n): Dwelling(d) for d, n in DWELLING_NAMES.items()},
    **{_key(n): d for n, d in DWELLING_SYNONYMS.items()},
}


def _accepted(names: dict[Any, str], synonyms: dict[str, Any]) -> str:
    by_code: dict[Any, list[str]] = {c: [n] for c, n in names.items()}
    for n, c in synonyms.items():
        by_code[c].append(n)
    return "; ".join(f"{'/'.join(ns)} ({c})" for c, ns in by_code.items())


_METHOD_SHOWN = {_key(n): n for n in [*TECHNOLOGY_NAMES.values(), *METHOD_SYNONYMS]}
_DWELLING_SHOWN = {_key(n): n for n in [*DWELLING_NAMES.values(), *DWELLING_SYNONYMS]}


def _did_you_mean(key: str, shown: dict[str, str]) -> str:
    import difflib

    close = difflib.get_close_matches(key, shown, n=2, cutoff=0.6)
    return f" (是否为 did you mean {'、'.join(shown[c] for c in close)}?)" if close else ""


def technology_code(name: str) -> Technology:
    """The method a ledger's name means (the plan's name, a synonym of :data:`METHOD_SYNONYMS`, or the
    code); spaces and full-width forms do not matter, and any name starting with ``太阳能+`` is
    ``solar_aux``.

    Raises
    ------
    ValueError
        An unknown name, with the Chinese list of accepted names and their codes.
    """
    key = _key(name)
    if key in _METHODS:
        return _METHODS[key]
    if key.startswith("太阳能+"):
        return Technology.SOLAR_AUX
    raise ValueError(f"未知取暖方式 unknown heating method {name!r}{_did_you_mean(key, _METHOD_SHOWN)}; 可填 accepted: "
                     f"{_accepted(TECHNOLOGY_NAMES, METHOD_SYNONYMS)}")


def dwelling_code(name: str) -> Dwelling:
    """The dwelling type a ledger's name means, or ValueError listing the accepted names."""
    key = _key(name)
    if key in _DWELLINGS:
        return _DWELLINGS[key]
    raise ValueError(f"未知房屋类型 unknown dwelling {name!r}{_did_you_mean(key, _DWELLING_SHOWN)}; 可填 accepted: "
                     f"{_accepted(DWELLING_NAMES, DWELLING_SYNONYMS)}")


def yes_no(value: Any) -> bool:
    """True or False from 是/否, 有/无, √/×, Y/N, true/false, 1/0 (or a spreadsheet boolean)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    key = _key(str(value))
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise ValueError(f"应填 是/否 expected 是/否 (yes/no, √/×, 有/无), got {value!r}")


def township_name(name: str, townships: Sequence[str]) -> str:
    """The township ``name`` means, among ``townships`` (in their canonical order).

    Accepted: the exact name, or the name without its 镇/乡 suffix when exactly one township has
    it (``大水坑`` → ``大水坑镇``). Anything else raises ValueError with "did you mean" when one
    name is close (same name, other suffix: ``王乐井镇`` → ``王乐井乡``) and the list in order.
    """
    key = _key(name)
    if key in townships:
        return key
    bare = {t: t[:-1] if t[-1] in "镇乡" else t for t in townships}
    hits = [t for t, b in bare.items() if b == key]
    if len(hits) == 1:
        return hits[0]
    close = [t for t, b in bare.items() if key and (b == key[:-1] or (len(key) >= 2 and b.startswith(key)))]
    hint = f"; 是否为 did you mean {'、'.join(close)}?" if close else ""
    raise ValueError(f"未知乡镇 unknown township {name!r}{hint}; 可填 one of {'、'.join(townships)}")
