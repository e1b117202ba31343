"""The technical guide's equipment requirements (附件2), checked one by one on an equipment record.

Each requirement of SPEC §4 is one :class:`Requirement`: the guide's clause, whether the guide
says 应 / 不应 (shall: ``mandatory``) or 宜 / 不建议 (should: advice), the record fields it reads
and its check. A check answers ``pass``, ``fail``, ``not_shown`` (the record does not give the
value: never a silent pass) or ``not_applicable`` (e.g. the grille rule for a heater without a
grille). Thresholds are dated parameters (``yanchi.guide.*``), read on ``checked_on``.

Verdict of a record: ``non_compliant`` when a mandatory requirement fails, else ``incomplete``
when one is not shown, else ``compliant``; ``not_covered`` for a method the guide sets no
equipment requirement for (the demonstration methods, ``other_high_tech``, the coal stove).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cleanheat.errors import InputError

__all__ = ["Requirement", "REQUIREMENTS", "FIELDS", "check_equipment", "check_one", "requirements_for",
           "PROTECTIONS", "AUX_KINDS", "LOW_TEMPERATURE_EMITTERS"]

GUIDE = "盐政办发〔2022〕8号 附件2"
PLAN = "盐政办发〔2022〕8号"

PROTECTIONS = ("antifreeze", "overheat", "lightning", "hail", "wind", "seismic", "electrical")
"""附件2 六、一(二)1: 防冻、防过热、防雷、防雹、抗风、抗震和保证电气安全."""
AUX_KINDS = ("electric", "biomass", "gas", "heat_pump")
LOW_TEMPERATURE_EMITTERS = ("floor_heating", "low_temp_radiator", "fan_coil", "capillary_mat")
"""附件2 二、一(三): 地面辐射供暖末端、低温散热器供暖末端、风机盘管、毛细管网辐射末端."""
EMITTERS = (*LOW_TEMPERATURE_EMITTERS, "radiator")

FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    # name: (kind, choices)
    "equipment_id": ("str", ()),
    "technology": ("code", ()),  # choices: the SPEC §2 codes, filled below
    "checked_on": ("date", ()),
    "heated_area_m2": ("number", ()),
    "design_heat_load_kw": ("number", ()),
    "standards": ("list", ()),
    "model": ("str", ()),
    "manufacturer": ("str", ()),
    # fan_heater_direct
    "indoor_electric_heating": ("bool", ()),
    "extreme_cold_backup": ("bool", ()),
    "indoor_unit_unobstructed": ("bool", ()),
    # ashp_water
    "low_temperature_unit": ("bool", ()),
    "cop_minus20_no_aux": ("number", ()),
    "max_supply_at_design_c": ("number", ()),
    "rated_area_m2": ("number", ()),
    "emitter": ("code", EMITTERS),
    "free_airflow": ("bool", ()),
    "condensate_drained": ("bool", ()),
    # storage_electric
    "rated_heating_kw": ("number", ()),
    "storage_ratio": ("number", ()),
    "adjustable_levels_and_times": ("bool", ()),
    "surface_temp_max_c": ("number", ()),
    "has_grille": ("bool", ()),
    "grille_temp_max_c": ("number", ()),
    # gas_boiler
    "room_temp_interlock": ("bool", ()),
    "temperature_setting": ("bool", ()),
    "combi": ("bool", ()),
    "dhw_separated": ("bool", ()),
    # gshp
    "site_survey": ("bool", ()),
    "loop_monitoring": ("bool", ()),
    "loop_antifreeze": ("bool", ()),
    "pressure_test": ("bool", ()),
    # solar_aux
    "tubes": ("number", ()),
    "tube_length_m": ("number", ()),
    "aux_kind": ("code", AUX_KINDS),
    "aux_power_kw": ("number", ()),
    "aux_certified": ("bool", ()),
    "aux_covers_full_load": ("bool", ()),
    "solar_priority_control": ("bool", ()),
    "protections": ("codes", PROTECTIONS),
    "heat_storage": ("bool", ()),
    "leakage_protection": ("bool", ()),
    "online_monitoring": ("bool", ()),
    "solar_fraction_evaluated": ("bool", ()),
    # biomass
    "prevents_coal_burning": ("bool", ()),
}
"""Fields of an equipment record, what they hold (see ``docs/equipment.md``)."""

Result = tuple[str, Any, Any]  # (result, value shown, limit)


@dataclass(frozen=True)
class Requirement:
    """One requirement of the guide for one method.

    ``check(record, p)`` returns (result, value, limit): result ``pass`` | ``fail`` |
    ``not_shown`` | ``not_applicable``; ``p(name)`` reads ``yanchi.guide.<name>`` on the
    record's date. ``zh`` / ``en`` say what is required, with ``{limit}`` filled in.
    """

    code: str
    technology: str
    clause: str
    mandatory: bool
    zh: str
    en: str
    fields: tuple[str, ...]
    check: Callable[[Mapping[str, Any], Callable[[str], Any]], Result]


# -- the checks ------------------------------------------------------------------------------


def _flag(field: str) -> Callable[[Mapping[str, Any], Callable[[str], Any]], Result]:
    """A yes/no statement of the record: True passes, False fails, missing is not shown."""
    def check(r: Mapping[str, Any], p: Callable[[str], Any]) -> Result:
        v = r.get(field)
        return ("not_shown" if v is None else "pass" if v else "fail"), v, True
    return check


def _either(*fields: str) -> Callable[[Mapping[str, Any], Callable[[str], Any]], Result]:
    """Any one of several statements true passes; all false fails; none given is not shown."""
    def check(r: Mapping[str, Any], p: Callable[[str], Any]) -> Result:
        vals = [r.get(f) for f in fields]
        if any(v is True for v in vals):
            return "pass", True, True
        if all(v is None for v in vals):
            return "not_shown", None, True
        return ("fail", False, True) if all(v is False for v in vals) else ("not_shown", None, True)
    return check


def _at_least(field: str, limit: str, *, strict: bool = False) -> Callable[[Mapping[str, Any], Callable[[str], Any]],
                                                                            Result]:
    def check(r: Mapping[str, Any], p: Callable[[str], Any]) -> Result:
        v, lim = r.get(field), p(limit)
        if v is None:
            return "not_shown", None, lim
        ok = v > lim if strict else v >= lim
        return ("pass" if ok else "fail"), v, lim
    return check


def _at_most(field: str, limit: str) -> Callable[[Mapping[str, Any], Callable[[str], Any]], Result]:
    def check(r: Mapping[str, Any], p: Callable[[str], Any]) -> Result:
        v, lim = r.get(field), p(limit)
        if v is None:
            return "not_shown", None, lim
        return ("pass" if v <= lim else "fail"), v, lim
    return check


def _standard(number: str, label: str) -> Callable[[Mapping[str, Any], Callable[[str], Any]], Result]:
    """The record's ``standards`` list names the standard (spaces, case and the year ignored)."""
    def check(r: Mapping[str, Any], p: Callable[[str], Any]) -> Result:
        stds = r.get("standards")
        if stds is None:
            return "not_shown", None, label
        found = any(number in re.sub(r"[\s/._-]", "", str(s)).upper() for s in stds)
        return ("pass" if found else "fail"), list(stds), label
    return check


def _grille(r: Mapping[str, Any], p: Callable[[str], Any]) -> Result:
    if r.get("has_grille") is False:
        return "not_applicable", None, p("storage_grille_max_c")
    if r.get("has_grille") is None and r.get("grille_temp_max_c") is None:
        return "not_shown", None, p("storage_grille_max_c")
    return _at_most("grille_temp_max_c", "storage_grille_max_c")(r, p)


def _power_from_load(r: Mapping[str, Any], p: Callable[[str], Any]) -> Result:
    v, load = r.get("rated_heating_kw"), r.get("design_heat_load_kw")
    if v is None or load is None:
        return "not_shown", v, load
    return ("pass" if v >= load else "fail"), v, load


def _gas_power(r: Mapping[str, Any], p: Callable[[str], Any]) -> Result:
    area, lim = r.get("heated_area_m2"), p("gas_power_min_kw")
    if area is None:
        return "not_shown", None, lim
    if area < p("gas_power_area_m2"):
        return "not_applicable", None, lim
    return _at_least("rated_heating_kw", "gas_power_min_kw", strict=True)(r, p)


def _dhw(r: Mapping[str, Any], p: Callable[[str], Any]) -> Result:
    if r.get("combi") is False:
        return "not_applicable", None, True
    if r.get("combi") is None and r.get("dhw_separated") is None:
        return "not_shown", None, True
    return _flag("dhw_separated")(r, p)


def _tubes(r: Mapping[str, Any], p: Callable[[str], Any]) -> Result:
    """≥ 60 tubes for a design area of 60 m²; a larger house needs proportionally more (a reading:
    the guide sizes its configuration per 60 m², as it prices every method)."""
    per60 = p("solar_tubes_per_60m2_min")
    area = r.get("heated_area_m2")
    lim = math.ceil(per60 * max(float(area), 60.0) / 60.0) if area is not None else per60
    v = r.get("tubes")
    if v is None:
        return "not_shown", None, lim
    return ("pass" if v >= lim else "fail"), v, lim


def _aux_electric(r: Mapping[str, Any], p: Callable[[str], Any]) -> Result:
    if r.get("aux_kind") not in (None, "electric"):
        return "not_applicable", None, p("solar_aux_electric_min_kw")
    if r.get("aux_kind") is None and r.get("aux_power_kw") is None:
        return "not_shown", None, p("solar_aux_electric_min_kw")
    return _at_least("aux_power_kw", "solar_aux_electric_min_kw")(r, p)


def _only_if_aux(kinds: Sequence[str], inner: Callable[[Mapping[str, Any], Callable[[str], Any]], Result],
                 ) -> Callable[[Mapping[str, Any], Callable[[str], Any]], Result]:
    def check(r: Mapping[str, Any], p: Callable[[str], Any]) -> Result:
        kind = r.get("aux_kind")
        if kind is None:
            return "not_shown", None, True
        if kind not in kinds:
            return "not_applicable", None, True
        return inner(r, p)
    return check


def _protections(r: Mapping[str, Any], p: Callable[[str], Any]) -> Result:
    got = r.get("protections")
    if got is None:
        return "not_shown", None, list(PROTECTIONS)
    missing = [x for x in PROTECTIONS if x not in got]
    return ("pass" if not missing else "fail"), list(got), list(PROTECTIONS)


def _storage_or_aux(r: Mapping[str, Any], p: Callable[[str], Any]) -> Result:
    if r.get("heat_storage") is True or r.get("aux_kind") is not None:
        return "pass", True, True
    if r.get("heat_storage") is False:
        return "fail", False, True
    return "not_shown", None, True


def _emitter(r: Mapping[str, Any], p: Callable[[str], Any]) -> Result:
    e = r.get("emitter")
    if e is None:
        return "not_shown", None, list(LOW_TEMPERATURE_EMITTERS)
    return ("pass" if e in LOW_TEMPERATURE_EMITTERS else "fail"), e, list(LOW_TEMPERATURE_EMITTERS)


def _area_advice(r: Mapping[str, Any], p: Callable[[str], Any]) -> Result:
    return _at_most("heated_area_m2", "fan_heater_advised_area_max_m2")(r, p)


R = Requirement
REQUIREMENTS: tuple[Requirement, ...] = (
    # 一、热泵热风机+电直热
    R("fan_heater_direct.standard", "fan_heater_direct", f"{GUIDE} 一、一(一)", True,
      "热泵热风机满足JB/T 13573《低环境温度空气源热泵热风机》", "fan heater meets JB/T 13573",
      ("standards",), _standard("JBT13573", "JB/T 13573")),
    R("fan_heater_direct.cold_backup", "fan_heater_direct", f"{GUIDE} 一、一(二)", True,
      "室内机配置电加热，或户式供暖系统有应对极寒天气的供暖设备",
      "indoor unit with electric heating, or a heater for extreme cold in the house",
      ("indoor_electric_heating", "extreme_cold_backup"), _either("indoor_electric_heating", "extreme_cold_backup")),
    R("fan_heater_direct.unobstructed", "fan_heater_direct", f"{GUIDE} 一、一(三)", False,
      "室内机安装不被阻挡，形成良好的室内气流组织（宜）", "indoor unit unobstructed, good room air flow (advice)",
      ("indoor_unit_unobstructed",), _flag("indoor_unit_unobstructed")),
    R("fan_heater_direct.area", "fan_heater_direct", f"{GUIDE} 一、三", False,
      "房屋面积{limit}平方米以上不建议采用热泵热风机", "not advised above {limit} m² of heated area",
      ("heated_area_m2",), _area_advice),
    # 二、空气源热泵热水机
    R("ashp_water.low_temperature_unit", "ashp_water", f"{GUIDE} 二", True,
      "空气源热泵供暖机组为低温机组", "a low-ambient-temperature unit",
      ("low_temperature_unit",), _flag("low_temperature_unit")),
    R("ashp_water.rated_area", "ashp_water", f"{GUIDE} 二", True,
      "机组满足至少{limit}平方米供热面积（3P机组）", "unit rated for at least {limit} m² (a 3P unit)",
      ("rated_area_m2",), _at_least("rated_area_m2", "ashp_area_min_m2")),
    R("ashp_water.cop_minus20", "ashp_water", f"{GUIDE} 二、一(一)", True,
      "零下20℃低温工况、不使用电辅加热时COP>{limit}", "COP above {limit} at −20 °C without electric auxiliary",
      ("cop_minus20_no_aux",), _at_least("cop_minus20_no_aux", "ashp_cop_minus20_min", strict=True)),
    R("ashp_water.supply_temperature", "ashp_water", f"{GUIDE} 二、一(二)", True,
      "供暖室外计算温度下机组最高供水温度不低于{limit}℃",
      "highest supply temperature at the heating design outdoor temperature at least {limit} °C",
      ("max_supply_at_design_c",), _at_least("max_supply_at_design_c", "ashp_supply_at_design_min_c")),
    R("ashp_water.emitter", "ashp_water", f"{GUIDE} 二、一(三)", False,
      "采用地面辐射、低温散热器、风机盘管、毛细管网等低温末端（宜）",
      "low-temperature emitters: floor heating, low-temperature radiators, fan coils, capillary mats (advice)",
      ("emitter",), _emitter),
    R("ashp_water.airflow", "ashp_water", f"{GUIDE} 二、一(四)", True,
      "室外机进风与排风通畅，无明显气流短路", "outdoor unit with free air inlet and outlet, no short circuit",
      ("free_airflow",), _flag("free_airflow")),
    R("ashp_water.condensate", "ashp_water", f"{GUIDE} 二、一(五)", True,
      "热泵冷凝水有组织排放", "condensate drained", ("condensate_drained",), _flag("condensate_drained")),
    # 三、电蓄热
    R("storage_electric.power_from_load", "storage_electric", f"{GUIDE} 三、一(一)", True,
      "根据建筑热负荷确定设备功率（额定功率不低于设计热负荷）",
      "power sized from the building's heat load (rated power at least the design load)",
      ("rated_heating_kw", "design_heat_load_kw"), _power_from_load),
    R("storage_electric.storage_ratio", "storage_electric", f"{GUIDE} 三、一(一)", True,
      "设备蓄热率不低于{limit}", "storage ratio at least {limit}", ("storage_ratio",),
      _at_least("storage_ratio", "storage_ratio_min")),
    R("storage_electric.adjustable", "storage_electric", f"{GUIDE} 三、一(二)", True,
      "能设置蓄热（散热）调节档位和时间段", "adjustable charge/discharge levels and time windows",
      ("adjustable_levels_and_times",), _flag("adjustable_levels_and_times")),
    R("storage_electric.surface", "storage_electric", f"{GUIDE} 三、一(三)", True,
      "可接触部分表面温度不高于{limit}℃", "touchable surface at most {limit} °C", ("surface_temp_max_c",),
      _at_most("surface_temp_max_c", "storage_surface_max_c")),
    R("storage_electric.grille", "storage_electric", f"{GUIDE} 三、一(三)", True,
      "有格栅时格栅温度不高于{limit}℃", "grille, where there is one, at most {limit} °C",
      ("has_grille", "grille_temp_max_c"), _grille),
    # 四、燃气壁挂炉
    R("gas_boiler.standard", "gas_boiler", f"{GUIDE} 四、一(一)", True,
      "采暖热水炉满足GB 25034-2010《燃气采暖热水炉》", "boiler meets GB 25034-2010",
      ("standards",), _standard("GB25034", "GB 25034-2010")),
    R("gas_boiler.power", "gas_boiler", f"{GUIDE} 四", True,
      "用于60平方米以上时热功率大于{limit}千瓦", "heat output above {limit} kW for 60 m² and more",
      ("heated_area_m2", "rated_heating_kw"), _gas_power),
    R("gas_boiler.room_interlock", "gas_boiler", f"{GUIDE} 四、一(二)", True,
      "壁挂炉启停与室内供暖温度联动", "boiler on/off linked to the room temperature",
      ("room_temp_interlock",), _flag("room_temp_interlock")),
    R("gas_boiler.temperature_setting", "gas_boiler", f"{GUIDE} 四、一(三)", True,
      "壁挂炉具有温度控制、设定功能", "temperature control and setting", ("temperature_setting",),
      _flag("temperature_setting")),
    R("gas_boiler.dhw_separated", "gas_boiler", f"{GUIDE} 四、一(四)", True,
      "两用壁挂炉的采暖系统与生活热水系统隔离", "a combi boiler's heating circuit separate from hot water",
      ("combi", "dhw_separated"), _dhw),
    # 五、地源热泵
    R("gshp.site_survey", "gshp", f"{GUIDE} 五、一(一)", True,
      "设计前进行工程现场调查并勘查浅层地热", "site survey of the shallow ground before design",
      ("site_survey",), _flag("site_survey")),
    R("gshp.monitoring", "gshp", f"{GUIDE} 五、一(二)", False,
      "地埋管系统设置流量、水温、地下温度场监测（宜）",
      "monitoring of loop flow, water and ground temperature (advice)",
      ("loop_monitoring",), _flag("loop_monitoring")),
    R("gshp.antifreeze", "gshp", f"{GUIDE} 五、一(三)", True,
      "地埋管换热系统有防冻措施", "antifreeze protection of the ground loop", ("loop_antifreeze",),
      _flag("loop_antifreeze")),
    R("gshp.pressure_test", "gshp", f"{GUIDE} 五、一(四)", True,
      "每户地埋管安装完成后进行水压试验", "pressure test of each household's loop", ("pressure_test",),
      _flag("pressure_test")),
    # 六、太阳能+多种辅助能源
    R("solar_aux.tubes", "solar_aux", f"{GUIDE} 六、一(一)1", True,
      "真空管集热器不少于{limit}根（每60平方米60根）", "at least {limit} evacuated tubes (60 per 60 m²)",
      ("tubes", "heated_area_m2"), _tubes),
    R("solar_aux.tube_length", "solar_aux", f"{GUIDE} 六、一(一)1", True,
      "真空管长度不低于{limit}米", "each tube at least {limit} m long", ("tube_length_m",),
      _at_least("tube_length_m", "solar_tube_length_min_m")),
    R("solar_aux.electric_aux_power", "solar_aux", f"{GUIDE} 六、一(一)2", True,
      "电辅助加热功率不低于{limit}kW", "electric auxiliary at least {limit} kW", ("aux_kind", "aux_power_kw"),
      _aux_electric),
    R("solar_aux.electric_aux_certified", "solar_aux", f"{GUIDE} 六、一(一)2", True,
      "辅助电热设备为检测合格的电供暖设备", "electric auxiliary a tested, certified heater",
      ("aux_kind", "aux_certified"), _only_if_aux(("electric",), _flag("aux_certified"))),
    R("solar_aux.aux_full_load", "solar_aux", f"{GUIDE} 六、一(一)3", True,
      "生物质锅炉、燃气壁挂炉等辅助设备能在太阳能不足时满足供暖需求",
      "a biomass, gas or heat-pump auxiliary carries the full load without sun",
      ("aux_kind", "aux_covers_full_load"),
      _only_if_aux(("biomass", "gas", "heat_pump"), _flag("aux_covers_full_load"))),
    R("solar_aux.solar_fraction", "solar_aux", f"{GUIDE} 六、一(一)4", True,
      "太阳能与热泵耦合时考虑太阳能供热保证率，满足GB/T 50801",
      "coupled with a heat pump: solar fraction evaluated per GB/T 50801",
      ("aux_kind", "solar_fraction_evaluated"), _only_if_aux(("heat_pump",), _flag("solar_fraction_evaluated"))),
    R("solar_aux.solar_priority", "solar_aux", f"{GUIDE} 六、一(一)5", True,
      "具备优先采用太阳能供暖的控制策略", "solar-priority control", ("solar_priority_control",),
      _flag("solar_priority_control")),
    R("solar_aux.heat_pump_cold_backup", "solar_aux", f"{GUIDE} 六、一(一)5", True,
      "采用空气源热泵作为辅助能源时有极寒天气备用热源", "with a heat-pump auxiliary: a backup for extreme cold",
      ("aux_kind", "extreme_cold_backup"), _only_if_aux(("heat_pump",), _flag("extreme_cold_backup"))),
    R("solar_aux.online_monitoring", "solar_aux", f"{GUIDE} 六、一(一)5", False,
      "系统具备网上监测功能（宜）", "online monitoring (advice)", ("online_monitoring",),
      _flag("online_monitoring")),
    R("solar_aux.protections", "solar_aux", f"{GUIDE} 六、一(二)1", True,
      "防冻、防过热、防雷、防雹、抗风、抗震和电气安全措施",
      "antifreeze, overheat, lightning, hail, wind, seismic and electrical protection",
      ("protections",), _protections),
    R("solar_aux.storage_or_aux", "solar_aux", f"{GUIDE} 六、一(二)2", True,
      "设置蓄热系统或其他辅助加热设备", "a heat store or another auxiliary heater",
      ("heat_storage", "aux_kind"), _storage_or_aux),
    R("solar_aux.leakage_protection", "solar_aux", f"{GUIDE} 六、一(二)3", True,
      "电辅助供热设备自带漏电保护", "electric auxiliary with its own leakage protection",
      ("aux_kind", "leakage_protection"), _only_if_aux(("electric",), _flag("leakage_protection"))),
    # 五(二)3 生物质
    R("biomass.no_coal", "biomass", f"{PLAN} 五(二)3", True,
      "户式生物质炉具有防止燃烧煤或其他污染燃料的措施",
      "household stove prevents burning coal or other polluting fuel",
      ("prevents_coal_burning",), _flag("prevents_coal_burning")),
)
"""Every requirement of SPEC §4, in the guide's order."""


def requirements_for(technology: str) -> tuple[Requirement, ...]:
    """The requirements the guide sets for one method (empty: none)."""
    return tuple(r for r in REQUIREMENTS if r.technology == technology)


# -- records ---------------------------------------------------------------------------------


def _label(rec: Any, i: int) -> str:
    from cleanheat.records import record_label

    return record_label(rec, i, "equipment_id")


def _clean(rec: Any, label: str) -> dict[str, Any]:
    """One record checked field by field: known names, the right kinds, finite numbers ≥ 0."""
    from cleanheat.codes import TECHNOLOGIES
    from cleanheat.records import suggest

    if not isinstance(rec, Mapping):
        raise InputError(f"must be an object, got {type(rec).__name__}", record=label)
    out: dict[str, Any] = {}
    errors: list[InputError] = []
    for key, v in rec.items():
        if key not in FIELDS:
            errors.append(InputError(f"unknown field{suggest(str(key), list(FIELDS))}", record=label,
                                      field=str(key)))
            continue
        kind, choices = FIELDS[key]
        if key == "technology":
            choices = tuple(str(t) for t in TECHNOLOGIES)
        if v is None:
            continue
        try:
            out[key] = _value(v, kind, choices, label, key)
        except InputError as exc:
            errors.append(exc)
    if "technology" not in rec and not errors:
        errors.append(InputError("is required", record=label, field="technology"))
    if errors:
        from cleanheat.records import raise_all

        raise_all(errors)
    return out


def _value(v: Any, kind: str, choices: tuple[str, ...], label: str, key: str) -> Any:
    if kind == "bool":
        if not isinstance(v, bool):
            raise InputError(f"must be true or false, got {v!r}", record=label, field=key)
        return v
    if kind == "number":
        try:
            finite = not isinstance(v, bool) and isinstance(v, int | float) and math.isfinite(float(v))
        except OverflowError:  # an integer past a float: not a datasheet value
            finite = False
        if not finite or v < 0:
            raise InputError(f"must be a number ≥ 0, got {str(v)[:40]!r}", record=label, field=key)
        return v
    if kind == "str":
        if not isinstance(v, str):
            raise InputError(f"must be text, got {v!r}", record=label, field=key)
        return v
    if kind == "date":
        if not isinstance(v, str):
            raise InputError(f"must be a date like 2022-10-15, got {v!r}", record=label, field=key)
        try:
            return dt.date.fromisoformat(v)
        except ValueError:
            raise InputError(f"must be a date like 2022-10-15, got {v!r}", record=label, field=key) from None
    if kind == "code":
        if v not in choices:
            from cleanheat.records import suggest

            raise InputError(f"must be one of {', '.join(choices)}, got {v!r}{suggest(str(v), list(choices))}",
                             record=label, field=key)
        return v
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise InputError(f"must be a list of text, got {v!r}", record=label, field=key)
    if kind == "codes":
        bad = [x for x in v if x not in choices]
        if bad:
            raise InputError(f"unknown item {bad[0]!r}; expected any of {', '.join(choices)}", record=label,
                             field=key)
    return list(v)


def _params(on: dt.date) -> Callable[[str], Any]:
    from cleanheat.parameters import all_parameters

    tree = all_parameters()

    def p(name: str) -> Any:
        return tree[f"yanchi.guide.{name}"].at(on)
    return p


def _fmt(limit: Any) -> str:
    if isinstance(limit, float) and limit.is_integer():
        return f"{int(limit)}"
    return f"{limit:g}" if isinstance(limit, float) else str(limit)


def check_one(record: Mapping[str, Any], *, on: dt.date | None = None, label: str = "record 0") -> dict[str, Any]:
    """Check one equipment record (already a mapping); see :func:`check_equipment`."""
    from cleanheat import clock

    rec = _clean(record, label)
    day = rec.get("checked_on") or on or clock.today()
    p = _params(day)
    tech = rec["technology"]
    rows = []
    for req in requirements_for(tech):
        result, value, limit = req.check(rec, p)
        row: dict[str, Any] = {"requirement": req.code, "clause": req.clause, "mandatory": req.mandatory,
                               "result": result, "detail": req.zh.format(limit=_fmt(limit)),
                               "detail_en": req.en.format(limit=_fmt(limit)), "fields": list(req.fields)}
        if value is not None:
            row["value"] = value
        rows.append(row)
    failed = [r["requirement"] for r in rows if r["mandatory"] and r["result"] == "fail"]
    missing = [r["requirement"] for r in rows if r["mandatory"] and r["result"] == "not_shown"]
    advice = [r["requirement"] for r in rows if not r["mandatory"] and r["result"] in ("fail", "not_shown")]
    verdict = ("not_covered" if not rows else "non_compliant" if failed else "incomplete" if missing
               else "compliant")
    out: dict[str, Any] = {}
    if "equipment_id" in rec:
        out["equipment_id"] = rec["equipment_id"]
    out.update({"technology": tech, "checked_on": day.isoformat(), "verdict": verdict, "failed": failed,
                "not_shown": missing, "advice": advice, "requirements": rows})
    if not rows:
        out["note"] = "技术指南（附件2）未规定该方式的设备要求"
        out["note_en"] = "the technical guide (附件2) sets no equipment requirement for this method"
    return out


def check_equipment(records: Sequence[Any], *, on: dt.date | None = None) -> list[dict[str, Any]]:
    """
    Check equipment records against the technical guide, requirement by requirement.

    Parameters
    ----------
    records : sequence of mapping
        Equipment records: ``technology`` (SPEC §2 code) and the datasheet and installation
        values of :data:`FIELDS`; ``checked_on`` (ISO date) picks the guide's parameters
        (default ``on``, else today).
    on : date or None

    Returns
    -------
    list of dict
        Per record, in order: ``equipment_id`` (echoed), ``technology``, ``checked_on``,
        ``verdict``, ``failed`` / ``not_shown`` (mandatory requirements), ``advice`` (should-
        requirements not met or not shown) and ``requirements``: one object per requirement
        with ``requirement``, ``clause``, ``mandatory``, ``result``, ``detail`` (Chinese),
        ``detail_en``, ``fields`` and the ``value`` shown.

    Raises
    ------
    InputError
        Every bad record and field at once (unknown field with the nearest name, wrong kind).
    """
    from cleanheat.records import raise_all

    out: list[dict[str, Any]] = []
    errors: list[InputError] = []
    for i, rec in enumerate(records):
        try:
            out.append(check_one(rec, on=on, label=_label(rec, i)))
        except InputError as exc:
            errors.extend(getattr(exc, "errors", None) or [exc])
    raise_all(errors)
    return out
