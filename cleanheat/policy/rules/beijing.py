"""Beijing municipal funding of heat-pump projects, as rules.

Source: 北京市《关于进一步加快热泵系统应用 推动清洁供暖的实施意见》(2019)
(``seeds/000_4fc3fc127faa1013.txt``), read as SPEC §5. Parameters live under
``parameters/beijing/`` and are read on the application date (``applied_on``).

Funding cases (:func:`case_code`), in order of precedence:

== =========================================================================================
0  self-funded: no municipal support; the district DRC approves (四(一))
1  government-invested / public institution: support per the main project's policy (二(三))
2  shallow-ground, reclaimed-water or sewage source: 30 % of heat source + primary network (二(一))
3  existing coal / oil boiler converted to a heat pump: 50 % of total investment (二(一))
4  whole-village (rural) or community-wide (urban) coal → shallow ground: 50 % of total (二(一))
5  waste heat: 30 % of heat source + primary network (二(二))
6  deep geothermal with mining and water-extraction licences: 50 % of heat source + network (二(四))
7  deep geothermal without both licences: not supported (二(四))
== =========================================================================================

Thermal storage and solar make-up heat built with a case-2, 5 or 6 project count as heat-source
investment at the same ratio (二(五)); in cases 3 and 4 they are part of the total anyway.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import numpy as np

from cleanheat.errors import InputError
from cleanheat.policy.engine import Entity, Field, ParameterAccess, Reason, RuleSet
from cleanheat.records import raise_all
from cleanheat.units import BoolArray, FloatArray, IntArray

__all__ = ["Zone", "Source", "Kind", "ZONE_NAMES_ZH", "ZONE_SYNONYMS", "SOURCE_NAMES_ZH", "KIND_NAMES_ZH",
           "INVESTMENT_ITEMS", "FIELDS", "RULES", "REASONS", "outputs"]

DOC = "京热泵实施意见(2019)"


class Zone(StrEnum):
    CITY_SUB_CENTER = "city_sub_center"
    DAXING_AIRPORT = "daxing_airport"
    EXPO_2019 = "expo_2019"
    HUAIROU_SCIENCE_CITY = "huairou_science_city"
    FUTURE_SCIENCE_CITY = "future_science_city"
    ZHONGGUANCUN_ETDZ = "zhongguancun_etdz"
    PLAIN_NEW_TOWNS = "plain_new_towns"
    ECOLOGICAL_CONSERVATION = "ecological_conservation"


class Source(StrEnum):
    SHALLOW_GROUND = "shallow_ground"
    RECLAIMED_WATER = "reclaimed_water"
    SEWAGE = "sewage"
    WASTE_HEAT = "waste_heat"
    DEEP_GEOTHERMAL = "deep_geothermal"


class Kind(StrEnum):
    NEW_BUILD = "new_build"
    EXPANSION = "expansion"
    COAL_BOILER_RETROFIT = "coal_boiler_retrofit"
    OIL_BOILER_RETROFIT = "oil_boiler_retrofit"
    RURAL_WHOLE_VILLAGE_COAL = "rural_whole_village_coal"
    URBAN_COMMUNITY_COAL = "urban_community_coal"


INVESTMENT_ITEMS: tuple[str, ...] = (
    "ground_loop", "water_intake", "waste_heat_intake", "wells", "machine_room", "heat_pump_units",
    "primary_network", "controls_monitoring", "thermal_storage", "solar_makeup", "secondary_network",
    "indoor_terminals", "other",
)
PERMITS: tuple[str, ...] = ("mining", "water_extraction")

ZONE_NAMES_ZH: dict[str, str] = {
    Zone.CITY_SUB_CENTER: "城市副中心",
    Zone.DAXING_AIRPORT: "北京大兴国际机场及临空经济区",
    Zone.EXPO_2019: "2019年北京世园会",
    Zone.HUAIROU_SCIENCE_CITY: "怀柔科学城",
    Zone.FUTURE_SCIENCE_CITY: "未来科学城",
    Zone.ZHONGGUANCUN_ETDZ: "中关村科学城和北京经济技术开发区",
    Zone.PLAIN_NEW_TOWNS: "平原新城",
    Zone.ECOLOGICAL_CONSERVATION: "生态涵养区",
}
"""The key zones' names as the opinion writes them (三(一)–(四))."""

ZONE_SYNONYMS: dict[str, str] = {
    **{zh: code for code, zh in ZONE_NAMES_ZH.items()},
    "北京城市副中心": Zone.CITY_SUB_CENTER, "副中心": Zone.CITY_SUB_CENTER,
    "大兴国际机场": Zone.DAXING_AIRPORT, "北京大兴国际机场": Zone.DAXING_AIRPORT, "大兴机场": Zone.DAXING_AIRPORT,
    "临空经济区": Zone.DAXING_AIRPORT,
    "世园会": Zone.EXPO_2019, "北京世园会": Zone.EXPO_2019,
    "中关村科学城": Zone.ZHONGGUANCUN_ETDZ, "北京经济技术开发区": Zone.ZHONGGUANCUN_ETDZ,
    "经济技术开发区": Zone.ZHONGGUANCUN_ETDZ, "经开区": Zone.ZHONGGUANCUN_ETDZ,
}
"""Zone names people write, mapped to the codes (``funding beijing`` accepts them)."""

SOURCE_NAMES_ZH: dict[str, str] = {
    Source.SHALLOW_GROUND: "浅层地源", Source.RECLAIMED_WATER: "再生水源", Source.SEWAGE: "污水源",
    Source.WASTE_HEAT: "余热", Source.DEEP_GEOTHERMAL: "深层地热",
}
KIND_NAMES_ZH: dict[str, str] = {
    Kind.NEW_BUILD: "新建", Kind.EXPANSION: "改扩建", Kind.COAL_BOILER_RETROFIT: "既有燃煤锅炉改热泵",
    Kind.OIL_BOILER_RETROFIT: "既有燃油锅炉改热泵", Kind.RURAL_WHOLE_VILLAGE_COAL: "农村整村煤改浅层地源热泵",
    Kind.URBAN_COMMUNITY_COAL: "城镇社区统一煤改浅层地源热泵",
}

MAX_INVESTMENT_ITEM_CNY = 10_000_000_000
"""Plausibility bound of one investment item of a project. [CNY]

Ten billion yuan (100亿元) per item is beyond any heat-pump project in Beijing (the largest, the
Daxing airport ground-source system, cost well under one billion); the bound also keeps
base × basis points inside 64-bit integers (13 items × 10¹⁰ × 10⁴ ≈ 1.3·10¹⁵ ≪ 9.2·10¹⁸),
where 4·10¹⁵ CNY used to wrap to a negative support.
"""

MAX_PROJECT_AREA_M2 = 50_000_000
"""Plausibility bound of a project's heated area: more than twice the city's whole 20 M m² target. [m²]"""

FIELDS: tuple[Field, ...] = (
    Field("project_id", "str"),
    Field("zone", "code", choices=tuple(Zone), aliases=ZONE_SYNONYMS, labels=ZONE_NAMES_ZH),
    Field("source", "code", choices=tuple(Source), labels=SOURCE_NAMES_ZH,
          aliases={zh: code for code, zh in SOURCE_NAMES_ZH.items()}),
    Field("kind", "code", choices=tuple(Kind), labels=KIND_NAMES_ZH,
          aliases={zh: code for code, zh in KIND_NAMES_ZH.items()}),
    Field("government_invested", "bool", required=False, default=False),
    Field("self_funded", "bool", required=False, default=False),
    Field("main_project_specifies_heat_pump", "bool", required=False, default=False),
    Field("heated_area_m2", "number", maximum=MAX_PROJECT_AREA_M2),
    Field("investment_cny", "mapping", choices=INVESTMENT_ITEMS, maximum=MAX_INVESTMENT_ITEM_CNY),
    Field("permits", "mapping", required=False, choices=PERMITS, item_kind="bool"),
    Field("ground_heat_balance_ok", "bool", required=False, default=None, nullable=True),
    Field("enterprise_dishonest", "bool", required=False, default=False),
    Field("applied_on", "date"),
)

RULES = RuleSet("beijing")
rule = RULES.rule


def check_records(cols: dict[str, np.ndarray], records: list[Any]) -> None:
    """Spread the investment items and permits into one column each; check what needs records.

    Raises
    ------
    InputError
        A shallow-ground project without ``ground_heat_balance_ok`` (its review is a condition).
    """
    inv = cols["investment_cny"]
    for item in INVESTMENT_ITEMS:
        cols[f"investment_{item}_cny"] = np.fromiter((m.get(item, 0) for m in inv), dtype=np.int64, count=len(inv))
    permits = cols["permits"]
    for permit in PERMITS:
        cols[f"permit_{permit}"] = np.fromiter(
            ((m or {}).get(permit, False) if isinstance(m, dict) else False for m in permits), dtype=bool,
            count=len(permits))
    balance = np.array([r.get("ground_heat_balance_ok") for r in records], dtype=object)
    missing = np.flatnonzero((cols["source"] == Source.SHALLOW_GROUND) & (balance == None))  # noqa: E711
    raise_all([
        InputError(
            "required for a shallow-ground project (the underground heat-balance review, 五(一)): true or false",
            record=f"record {i} (project_id={cols['project_id'][i]})", field="ground_heat_balance_ok",
        )
        for i in missing.tolist()
    ])
    cols["ground_heat_balance_ok"] = np.array([b is not False for b in balance], dtype=bool)


def _sum_items(h: Entity, items: Any) -> IntArray:
    """Sum of the investment items in a list parameter (per record)."""
    total = np.zeros(h.n, dtype=np.int64)
    for item in INVESTMENT_ITEMS:
        total += np.where(items.contains(np.full(h.n, item)), getattr(h, f"investment_{item}_cny"), 0)
    return total


# ---------------------------------------------------------------------------------------------
# Conditions
# ---------------------------------------------------------------------------------------------


@rule(reference=f"{DOC} 末段 本意见自公布之日起 30 日后施行，至 2022 年 12 月 31 日止")
def in_force(h: Entity, p: ParameterAccess) -> BoolArray:
    """The application falls within the opinion's validity window."""
    start = p.beijing.policy.published_on + p.beijing.policy.days_to_effect.astype("timedelta64[D]")
    result: BoolArray = (h.applied_on >= start) & (h.applied_on <= p.beijing.policy.expires_on)
    return result


@rule(reference=f"{DOC} 五(一)")
def heat_balance_code(h: Entity, p: ParameterAccess) -> IntArray:
    """Shallow ground only: 1 the underground cooling/heating balance is kept, 0 it is not; −1 n/a."""
    shallow = h.source == Source.SHALLOW_GROUND
    return np.where(shallow, h.ground_heat_balance_ok.astype(np.int64), -1).astype(np.int64)


@rule(reference=f"{DOC} 五(三)")
def dishonest_code(h: Entity, p: ParameterAccess) -> IntArray:
    """0 a dishonest enterprise (失信企业), barred from government funding; −1 otherwise."""
    return np.where(h.enterprise_dishonest, 0, -1).astype(np.int64)


@rule(reference=f"{DOC} 二(一)(二)(三)(四)")
def case_code(h: Entity, p: ParameterAccess) -> IntArray:
    """The funding case of the project (see the module docstring)."""
    total_kinds = p.beijing.base.total_investment_kinds.contains(h.kind)
    conversion = p.beijing.base.shallow_ground_conversion_kinds.contains(h.kind)
    shallow = h.source == Source.SHALLOW_GROUND
    geo = h.source == Source.DEEP_GEOTHERMAL
    licensed = h.permit_mining & h.permit_water_extraction
    conditions = [
        h.self_funded,
        h.government_invested,
        geo & ~licensed,
        total_kinds,
        conversion & shallow,
        geo,
        h.source == Source.WASTE_HEAT,
    ]
    choices = [0, 1, 7, 3, 4, 6, 5]
    return np.select(conditions, choices, default=2).astype(np.int64)


@rule(reference=f"{DOC} 二, 五(一), 五(三), 末段")
def eligible(h: Entity, p: ParameterAccess) -> BoolArray:
    """Municipal support is granted: in force, a supported case, balance kept, no dishonest enterprise."""
    supported = np.isin(h.case_code, (1, 2, 3, 4, 5, 6))
    result: BoolArray = h.in_force & supported & (h.heat_balance_code != 0) & (h.dishonest_code != 0)
    return result


# ---------------------------------------------------------------------------------------------
# Amounts
# ---------------------------------------------------------------------------------------------


@rule(reference=f"{DOC} 二(一)(二)(四)")
def case_ratio(h: Entity, p: ParameterAccess) -> FloatArray:
    """The support ratio of the case, before conditions."""
    s = p.beijing.support
    table = np.zeros((8, h.n))
    table[2] = s.heat_source_ratio
    table[3] = s.retrofit_ratio
    table[4] = s.retrofit_ratio
    table[5] = s.waste_heat_ratio
    table[6] = s.deep_geothermal_ratio
    result: FloatArray = table[h.case_code, np.arange(h.n)]
    return result


@rule(reference=f"{DOC} 二(一)(二)(四)(五)")
def case_base_cny(h: Entity, p: ParameterAccess) -> IntArray:
    """The investment the ratio applies to: heat source + primary network, or the total."""
    b = p.beijing.base
    additions = _sum_items(h, b.heat_source_additions)
    total = sum((getattr(h, f"investment_{item}_cny") for item in INVESTMENT_ITEMS), np.zeros(h.n, dtype=np.int64))
    base = np.select(
        [h.case_code == 2, np.isin(h.case_code, (3, 4)), h.case_code == 5, h.case_code == 6],
        [_sum_items(h, b.heat_source_items) + additions, total,
         _sum_items(h, b.waste_heat_items) + additions, _sum_items(h, b.deep_geothermal_items) + additions],
        default=0,
    )
    return base.astype(np.int64)


@rule(reference=f"{DOC} 二")
def support_ratio(h: Entity, p: ParameterAccess) -> FloatArray:
    result: FloatArray = np.where(h.eligible, h.case_ratio, 0.0)
    return result


@rule(reference=f"{DOC} 二")
def eligible_investment_cny(h: Entity, p: ParameterAccess) -> IntArray:
    return np.where(h.eligible, h.case_base_cny, 0).astype(np.int64)


@rule(reference=f"{DOC} 二; rounded down to the yuan")
def support_cny(h: Entity, p: ParameterAccess) -> IntArray:
    """Base × ratio in whole yuan, rounded down (the ratio taken in basis points: no float money)."""
    basis_points = np.rint(h.support_ratio * 10000).astype(np.int64)
    return (h.eligible_investment_cny * basis_points // 10000).astype(np.int64)


# ---------------------------------------------------------------------------------------------
# Approval route (四(一))
# ---------------------------------------------------------------------------------------------


@rule(reference=f"{DOC} 四(一)")
def approval_code(h: Entity, p: ParameterAccess) -> IntArray:
    """0 no approval under this opinion; 1 district 核准 + municipal fund report (30 %); 2 municipal
    project proposal (≥ 50 %); 3 main project already specifies heat pumps: fund report only;
    4 self-funded or not funded: district 核准; 5 government-invested: the main project's procedure."""
    threshold = p.beijing.approval.municipal_threshold_ratio
    funded = h.eligible & (h.case_code != 1)
    blocked = ~h.in_force | (h.heat_balance_code == 0)
    code = np.select(
        [blocked, h.case_code == 0, funded & h.main_project_specifies_heat_pump, h.case_code == 1,
         funded & (h.case_ratio >= threshold), funded],
        [0, 4, 3, 5, 2, 1],
        default=4,
    )
    return code.astype(np.int64)


_APPROVALS: tuple[dict[str, str | None], ...] = (
    {"project_approved_by": None, "project_document": None, "fund_report_approved_by": None},
    {"project_approved_by": "district_drc", "project_document": "approval", "fund_report_approved_by": "municipal_drc"},
    {"project_approved_by": "municipal_drc", "project_document": "project_proposal", "fund_report_approved_by": None},
    {"project_approved_by": None, "project_document": None, "fund_report_approved_by": "municipal_drc"},
    {"project_approved_by": "district_drc", "project_document": "approval", "fund_report_approved_by": None},
    {"project_approved_by": None, "project_document": None, "fund_report_approved_by": None},
)


# ---------------------------------------------------------------------------------------------
# Obligations
# ---------------------------------------------------------------------------------------------

OBLIGATIONS: tuple[tuple[str, str, str, str], ...] = (
    ("public_bidding", f"{DOC} 五(一)", "进驻市公共资源综合交易平台开展招投标",
     "Tender on the municipal public resource trading platform"),
    ("ground_heat_balance", f"{DOC} 五(一)", "地下冷热负荷平衡计算及设计方案经审核，运行中保持地下冷热平衡",
     "Underground heating/cooling balance reviewed in design and kept in operation"),
    ("online_monitoring", f"{DOC} 五(二)", "安装在线监控监测系统，数据传输至北京市新能源和可再生能源监管服务平台",
     "Install online monitoring and send the data to the municipal renewable-energy platform"),
    ("annual_post_evaluation", f"{DOC} 五(二)", "竣工验收后按年度接受后评估，评估结果公示",
     "Yearly post-evaluation after completion; results published"),
    ("gbt50801_compliance", f"{DOC} 五(二)",
     "不符合GB/T 50801-2013要求的，暂停下达投资计划、暂停拨付或收回已拨付资金",
     "Failing GB/T 50801-2013 suspends the investment plan or recovers funds already paid"),
    ("full_reinjection", f"{DOC} 五(二)", "水热循环系统全封闭运行、全部回灌，回灌衰减应及时整改",
     "Closed-loop operation with 100 % reinjection, monitored; decay is rectified"),
    ("residential_peak_valley_tariff", f"{DOC} 四(四)", "村集体煤改电集中供暖用电执行居民峰谷电价",
     "Village-collective coal-to-electric central heating pays the residential peak-valley tariff"),
)


@rule(reference=f"{DOC} 四(四), 五(一)(二)")
def obligation_flags(h: Entity, p: ParameterAccess) -> IntArray:
    """One bit per entry of OBLIGATIONS."""
    applies = h.in_force & (h.heat_balance_code != 0)
    funded = applies & h.eligible & (h.support_cny > 0)
    flags = [
        applies,
        applies & (h.source == Source.SHALLOW_GROUND),
        funded,
        funded,
        funded,
        applies & (h.source == Source.DEEP_GEOTHERMAL),
        applies & (h.kind == Kind.RURAL_WHOLE_VILLAGE_COAL),
    ]
    bits = np.zeros(h.n, dtype=np.int64)
    for k, flag in enumerate(flags):
        bits |= flag.astype(np.int64) << k
    return bits


def _obligation_lists(bits: IntArray) -> np.ndarray:
    out = np.empty(len(bits), dtype=object)
    for value in np.unique(bits):
        shared = [
            {"obligation": code, "clause": clause, "detail": zh, "detail_en": en}
            for k, (code, clause, zh, en) in enumerate(OBLIGATIONS) if int(value) >> k & 1
        ]
        for i in np.flatnonzero(bits == value):
            out[i] = shared
    return out


# ---------------------------------------------------------------------------------------------
# Reasons
# ---------------------------------------------------------------------------------------------

REASONS: tuple[Reason, ...] = (
    Reason("validity", f"{DOC} 末段", {
        1: ("申请日期在意见有效期内（{beijing.policy.published_on}公布，"
            "公布之日起{beijing.policy.days_to_effect}日后施行，至{beijing.policy.expires_on}止）",
            "Applied while the opinion is in force (published {beijing.policy.published_on}, in force "
            "{beijing.policy.days_to_effect} days later until {beijing.policy.expires_on})"),
        0: ("申请日期不在意见有效期内（{beijing.policy.published_on}公布，"
            "公布之日起{beijing.policy.days_to_effect}日后施行，至{beijing.policy.expires_on}止），不予支持",
            "Applied outside the opinion's validity window (published {beijing.policy.published_on}, in force "
            "{beijing.policy.days_to_effect} days later until {beijing.policy.expires_on}): no support under it"),
    }, fails=frozenset({0})),
    Reason("funding_case", f"{DOC} 二", {
        0: ("建设单位利用自有资金建设，不申请市政府固定资产投资支持", "Self-funded: no municipal support requested"),
        1: ("政府投资项目或公共机构：按照主体项目支持政策给予资金支持（不在本意见比例内计算）",
            "Government-invested / public institution: supported per the main project's policy, not by this ratio"),
        2: ("新建、改扩建浅层地源、再生水或污水源热泵系统：热源和一次管网投资的{beijing.support.heat_source_ratio}",
            "New or expanded shallow-ground / reclaimed-water / sewage system: "
            "{beijing.support.heat_source_ratio} of heat source and primary network"),
        3: ("既有燃煤、燃油供暖锅炉改热泵：工程建设投资的{beijing.support.retrofit_ratio}",
            "Existing coal/oil boiler converted to a heat pump: {beijing.support.retrofit_ratio} of total investment"),
        4: ("整村（农村）或社区统一（城镇）煤改浅层地源热泵：工程建设投资的{beijing.support.retrofit_ratio}",
            "Whole-village or community-wide coal to shallow ground: {beijing.support.retrofit_ratio} of total"),
        5: ("余热热泵系统：热源和一次管网投资的{beijing.support.waste_heat_ratio}",
            "Waste-heat heat pump: {beijing.support.waste_heat_ratio} of heat source and primary network"),
        6: ("取得采矿许可证和取水许可证的地热供暖项目：热源及一次管网投资的{beijing.support.deep_geothermal_ratio}",
            "Deep geothermal with mining and water-extraction licences: "
            "{beijing.support.deep_geothermal_ratio} of heat source and primary network"),
        7: ("深层地热项目未同时取得采矿许可证和取水许可证，不予支持",
            "Deep geothermal without both a mining and a water-extraction licence: not supported"),
    }, fails=frozenset({7})),
    Reason("heat_source_additions", f"{DOC} 二(五)", {
        1: ("配套蓄热（蓄冷）及太阳能补热系统投资纳入热源投资，按热源同比例支持",
            "Thermal storage and solar make-up heat count as heat-source investment at the same ratio"),
    }),
    Reason("ground_heat_balance", f"{DOC} 五(一)", {
        1: ("地下冷热负荷平衡计算经审核，能保证冷热平衡", "Underground heat balance reviewed and kept"),
        0: ("不能保证地下冷热平衡，不予核准、不予申报资金申请",
            "Underground heat balance not kept: neither approved nor funded"),
    }, fails=frozenset({0})),
    Reason("dishonest_enterprise", f"{DOC} 五(三)", {
        0: ("存在重大问题的失信企业，限制享受政府性资金支持",
            "Enterprise listed as dishonest (失信): barred from government funding"),
    }, fails=frozenset({0})),
    Reason("approval_route", f"{DOC} 四(一)", {
        0: ("不予核准", "Not approved under this opinion"),
        1: ("申请低于{beijing.approval.municipal_threshold_ratio}的支持："
            "由所在区发展改革部门核准，市发展改革委审批资金申请报告",
            "Support below {beijing.approval.municipal_threshold_ratio}: the district DRC approves the project, "
            "the municipal DRC the fund application report"),
        2: ("申请{beijing.approval.municipal_threshold_ratio}及以上支持："
            "由市发展改革委审批项目建议书（代可行性研究报告）",
            "{beijing.approval.municipal_threshold_ratio} or more: the municipal DRC approves the project proposal "
            "in place of the feasibility study"),
        3: ("主体项目核准或备案文件已明确配套热泵供暖：不再单独核准，市发展改革委直接审批资金申请报告",
            "Main project already specifies heat pumps: no separate approval; "
            "the municipal DRC approves the fund report"),
        4: ("利用自有资金建设、不申请市政府投资支持的热泵、地热项目：由区发展改革部门核准",
            "Self-funded (or unfunded) heat-pump / geothermal project: the district DRC approves"),
        5: ("政府投资项目：按主体项目审批程序办理", "Government-invested: follows the main project's procedure"),
    }, fails=frozenset({0})),
)


@rule(reference=f"{DOC} 二(五)")
def additions_code(h: Entity, p: ParameterAccess) -> IntArray:
    """1 where storage or solar make-up investment is counted into the heat-source base."""
    additions = _sum_items(h, p.beijing.base.heat_source_additions)
    shown = h.eligible & np.isin(h.case_code, (2, 5, 6)) & (additions > 0)
    return np.where(shown, 1, -1).astype(np.int64)


@rule(reference=f"{DOC} 末段")
def validity_code(h: Entity, p: ParameterAccess) -> IntArray:
    return h.in_force.astype(np.int64)


@rule(reference=f"{DOC} 二")
def case_shown_code(h: Entity, p: ParameterAccess) -> IntArray:
    return np.where(h.in_force, h.case_code, -1).astype(np.int64)


def reason_codes(h: Entity) -> list[IntArray]:
    """One code array per entry of :data:`REASONS`, in order."""
    return [h.validity_code, h.case_shown_code, h.additions_code, h.heat_balance_code, h.dishonest_code,
            h.approval_code]


CASES = np.array(["self_funded", "main_project_policy", "heat_source_30", "boiler_retrofit_50",
                  "coal_to_shallow_ground_50", "waste_heat_30", "deep_geothermal_50", "unlicensed_geothermal"])


def outputs(h: Entity) -> dict[str, np.ndarray]:
    """The SPEC §7 output fields of ``funding beijing``, one array each."""
    approvals = np.empty(len(_APPROVALS), dtype=object)
    approvals[:] = list(_APPROVALS)
    return {
        "project_id": h.project_id,
        "eligible": h.eligible,
        "funding_case": CASES[h.case_code],
        "support_ratio": h.support_ratio,
        "eligible_investment_cny": h.eligible_investment_cny,
        "support_cny": h.support_cny,
        "approval": approvals[h.approval_code],
        "obligations": _obligation_lists(h.obligation_flags),
    }
