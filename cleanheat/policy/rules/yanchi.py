"""Yanchi household clean-heating subsidy, as rules.

Source: 盐池县人民政府办公室《盐池县冬季清洁取暖项目实施方案》盐政办发〔2022〕8号, 2022-02-28
(``seeds/003_ecbd40de0e384d46.txt``), read as SPEC §2. One function per legal quantity, each
vectorised over all households; every number and every date threshold is a dated parameter
under ``parameters/yanchi/``, read on the installation date (``installed_on``) unless the
rule says otherwise. Reason codes: each ``*_code`` rule returns one int per household that
picks the line of its :class:`~cleanheat.policy.engine.Reason` (−1: not shown).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cleanheat.codes import DWELLING_NAMES_ZH, TECHNOLOGY_NAMES_ZH, Dwelling, Technology
from cleanheat.errors import InputError
from cleanheat.policy.engine import Entity, Field, ParameterAccess, Reason, RuleSet
from cleanheat.records import raise_all
from cleanheat.units import BoolArray, IntArray

__all__ = ["Dwelling", "Technology", "TOWNSHIPS", "JURISDICTION_NAME", "FIELDS", "RULES", "REASONS", "outputs"]

DOC = "盐政办发〔2022〕8号"
JURISDICTION_NAME = "yanchi"


TOWNSHIPS: tuple[str, ...] = (
    "花马池镇", "惠安堡镇", "大水坑镇", "高沙窝镇", "王乐井乡", "青山乡", "冯记沟乡", "麻黄山乡",
)
"""The eight townships of Yanchi county, in the order of the plan's 附件1."""

MAX_HEATED_AREA_M2 = 2000
"""Plausibility bound of a household's heated area. [m²]

Not a policy number (the plan sets only the 60 m² minimum): a rural household in Yanchi heats
60–300 m², and 2,000 m² is far above any farmhouse, courtyard or cave dwelling, so a larger
value is a typing or unit error (80,000 for 80) that must not be decided as a real house.
"""

MAX_INVOICE_CNY = 1_000_000
"""Plausibility bound of one household's invoice. [CNY]

The plan's dearest method (ground-source heat pump) costs a few tens of thousands of yuan per
household; a million yuan is beyond any real household installation of any programme, and the
bound keeps every sum of a batch far inside 64-bit integers.
"""

FIELDS: tuple[Field, ...] = (
    Field("household_id", "str"),
    Field("township", "code", choices=TOWNSHIPS),
    Field("heated_area_m2", "number", maximum=MAX_HEATED_AREA_M2),
    Field("dwelling", "code", choices=tuple(Dwelling), labels=DWELLING_NAMES_ZH,
          aliases={zh: code for code, zh in DWELLING_NAMES_ZH.items()}),
    Field("technology", "code", choices=tuple(Technology), labels=TECHNOLOGY_NAMES_ZH,
          aliases={zh: code for code, zh in TECHNOLOGY_NAMES_ZH.items()}),
    Field("with_rooftop_pv", "bool", required=False, default=False),
    Field("installed_on", "date", not_future=True),
    Field("self_install", "bool", required=False, default=False),
    Field("enterprise_registered", "bool", required=False, default=None, nullable=True),
    Field("previously_subsidised", "bool", required=False, default=False),
    Field("accepted_on", "date", required=False, nullable=True, not_future=True),
    Field("invoice_cny", "int", maximum=MAX_INVOICE_CNY),
)

LEDGER_FIELDS: tuple[str, ...] = (
    "name", "id_number", "phone", "village", "address", "year", "enterprise_code",
)
"""Fields of the household ledger that a record may carry and a decision does not read."""

RULES = RuleSet(JURISDICTION_NAME)
rule = RULES.rule


def check_records(cols: dict[str, np.ndarray], records: list[Any]) -> None:
    """Cross-field checks that make a record impossible rather than ineligible.

    Raises
    ------
    InputError
        Acceptance dated before installation; an enterprise installation without
        ``enterprise_registered``. Every such record is listed, in one error.
    """
    errors: list[InputError] = []

    def label(i: int) -> str:
        return f"record {i} (household_id={cols['household_id'][i]})"

    early = ~np.isnat(cols["accepted_on"]) & (cols["accepted_on"] < cols["installed_on"])
    for i in np.flatnonzero(early).tolist():
        errors.append(InputError(
            f"accepted_on {cols['accepted_on'][i]} is before installed_on {cols['installed_on'][i]}",
            record=label(i), field="accepted_on",
        ))
    for i, r in enumerate(records):
        if not r.get("self_install") and r.get("enterprise_registered") is None:
            errors.append(InputError(
                "required for an enterprise installation (self_install is false): true or false",
                record=label(i), field="enterprise_registered",
            ))
    errors.sort(key=lambda e: int(str(e.record).split()[1]))
    raise_all(errors)
    cols["enterprise_registered"] = np.array([bool(r.get("enterprise_registered")) for r in records], dtype=bool)


# ---------------------------------------------------------------------------------------------
# Eligibility conditions
# ---------------------------------------------------------------------------------------------


@rule(reference=f"{DOC} 二(一), 五, 六(二)")
def assessed_on(h: Entity, p: ParameterAccess) -> np.ndarray:
    """The date on which the plan's conditions (methods, minimum area) are read.

    The installation date; for an installation before the programme opened
    (``yanchi.programme.open``), the programme's first day, so that such a household is told
    every condition of the plan it fails (a 45 m² house: below the minimum area) besides the
    window, not measured against conditions that were not yet in force (no methods, 0 m²).
    Its trace then shows the value in force from the programme's first day.
    """
    start = p.first_true("yanchi.programme.open")
    if np.isnat(start):
        return h.installed_on
    return np.where(h.installed_on < start, start, h.installed_on)


@rule(reference=f"{DOC} 五(一)(二), 六(二)2; SPEC §2 rule 10")
def clean_method(h: Entity, p: ParameterAccess) -> BoolArray:
    """The method is one of the plan's key or additional methods (``yanchi.eligibility.technologies``)."""
    result: BoolArray = p.on(h.assessed_on, "installed_on").yanchi.eligibility.technologies.contains(h.technology)
    return result


@rule(reference=f"{DOC} 六(二)")
def area_sufficient(h: Entity, p: ParameterAccess) -> BoolArray:
    """Heated area at least ``yanchi.eligibility.min_heated_area_m2``, cave dwellings (窑洞) included."""
    result: BoolArray = h.heated_area_m2 >= p.on(h.assessed_on, "installed_on").yanchi.eligibility.min_heated_area_m2
    return result


@rule(reference=f"{DOC} 二(一), 三(四); SPEC §2 decision 11")
def in_programme(h: Entity, p: ParameterAccess) -> BoolArray:
    """Installed within the programme's window (``yanchi.programme.open`` on the installation date)."""
    result: BoolArray = p.yanchi.programme.open
    return result


@rule(reference=f"{DOC} 六(二)4; SPEC §2 rule 8")
def first_subsidy(h: Entity, p: ParameterAccess) -> BoolArray:
    """A household is subsidised at most once."""
    result: BoolArray = ~h.previously_subsidised
    return result


@rule(reference=f"{DOC} 四, 六(二)4; SPEC §2 rules 5–6")
def installer_code(h: Entity, p: ParameterAccess) -> IntArray:
    """Who installed, and whether that installation qualifies.

    1 self-installed while ``yanchi.self_install.eligible``; 2 self-installed before; 3
    registered enterprise; 4 unregistered enterprise before the registration rule
    (``yanchi.enterprise.registration_required``); 5 unregistered enterprise after it
    (neither accepted nor subsidised).
    """
    self_ok = p.yanchi.self_install.eligible
    required = p.yanchi.enterprise.registration_required
    code = np.where(
        h.self_install,
        np.where(self_ok, 1, 2),
        np.where(h.enterprise_registered, 3, np.where(required, 5, 4)),
    )
    return code.astype(np.int64)


@rule(reference=f"{DOC} 四, 六(二)4")
def installer_ok(h: Entity, p: ParameterAccess) -> BoolArray:
    """The installation qualifies by who made it (self-install date, enterprise registration)."""
    result: BoolArray = np.isin(h.installer_code, (1, 3, 4))
    return result


@rule(reference=f"{DOC} 四; SPEC §2 rule 7, decision 11")
def acceptance_code(h: Entity, p: ParameterAccess) -> IntArray:
    """0 not yet accepted; 1 accepted while ``yanchi.acceptance.open``; 2 accepted before (not eligible)."""
    accepted = ~np.isnat(h.accepted_on)
    open_on_acceptance = p.on(h.accepted_on, "accepted_on").yanchi.acceptance.open
    return np.where(accepted, np.where(open_on_acceptance, 1, 2), 0).astype(np.int64)


@rule(reference=f"{DOC} 四 验收合格后，向农户一次性发放全额补贴")
def acceptance_shown_code(h: Entity, p: ParameterAccess) -> IntArray:
    """The acceptance line: as :func:`acceptance_code`, but 3 for an accepted household that is not
    eligible (accepted in time, yet no subsidy) and 4 for one not yet accepted that is not eligible
    either: an ineligible household is never told that a subsidy is paid or committed."""
    code = np.where((h.acceptance_code == 1) & ~h.eligible, 3, h.acceptance_code)
    return np.where((h.acceptance_code == 0) & ~h.eligible, 4, code).astype(np.int64)


@rule(reference=f"{DOC} 四, 六(二)")
def eligible(h: Entity, p: ParameterAccess) -> BoolArray:
    """All conditions met, acceptance aside (a pending household is eligible, not yet payable)."""
    result: BoolArray = (
        h.clean_method & h.area_sufficient & h.in_programme & h.first_subsidy & h.installer_ok
        & (h.acceptance_code != 2)
    )
    return result


# ---------------------------------------------------------------------------------------------
# Amounts
# ---------------------------------------------------------------------------------------------


@rule(reference=f"{DOC} 六(二)1–3")
def central_before_cap_cny(h: Entity, p: ParameterAccess) -> IntArray:
    """Central-budget part: ``yanchi.subsidy.central_cny`` for every subsidised method."""
    return np.where(h.eligible, p.yanchi.subsidy.central_cny, 0).astype(np.int64)


@rule(reference=f"{DOC} 六(二)1–2")
def gets_local_part(h: Entity, p: ParameterAccess) -> BoolArray:
    """Every subsidised method but the gas wall boiler gets the county part."""
    result: BoolArray = ~p.yanchi.subsidy.no_local_technologies.contains(h.technology)
    return result


@rule(reference=f"{DOC} 六(二)2–3")
def local_before_cap_cny(h: Entity, p: ParameterAccess) -> IntArray:
    """County part: ``yanchi.subsidy.local_cny``, none for the methods of ``no_local_technologies`` (gas)."""
    return np.where(h.eligible & h.gets_local_part, p.yanchi.subsidy.local_cny, 0).astype(np.int64)


@rule(reference=f"{DOC} 六(二) 补贴范围; SPEC §2 decision 9")
def over_invoice_cny(h: Entity, p: ParameterAccess) -> IntArray:
    """How far the subsidy would exceed the invoiced equipment and installation cost."""
    return np.maximum(h.central_before_cap_cny + h.local_before_cap_cny - h.invoice_cny, 0).astype(np.int64)


@rule(reference=f"{DOC} 六(二)2; SPEC §2 decision 9")
def local_subsidy_cny(h: Entity, p: ParameterAccess) -> IntArray:
    """County part after the invoice cap (reduced first)."""
    return (h.local_before_cap_cny - np.minimum(h.local_before_cap_cny, h.over_invoice_cny)).astype(np.int64)


@rule(reference=f"{DOC} 六(二)1–2; SPEC §2 decision 9")
def central_subsidy_cny(h: Entity, p: ParameterAccess) -> IntArray:
    """Central part after the invoice cap (reduced only once the county part is gone)."""
    local_cut = h.local_before_cap_cny - h.local_subsidy_cny
    return (h.central_before_cap_cny - (h.over_invoice_cny - local_cut)).astype(np.int64)


@rule(reference=f"{DOC} 六(二)")
def total_subsidy_cny(h: Entity, p: ParameterAccess) -> IntArray:
    """Central plus county part."""
    return (h.central_subsidy_cny + h.local_subsidy_cny).astype(np.int64)


@rule(reference=f"{DOC} 六(二)1–2 其余部分由农户承担")
def household_share_cny(h: Entity, p: ParameterAccess) -> IntArray:
    """What the household (and, for gas, the enterprise) pays of the invoice."""
    return (h.invoice_cny - h.total_subsidy_cny).astype(np.int64)


@rule(reference=f"{DOC} 四 验收合格后，向农户一次性发放全额补贴; SPEC §2 rule 7")
def status_code(h: Entity, p: ParameterAccess) -> IntArray:
    """0 ineligible, 1 pending acceptance (amounts are commitments), 2 payable once."""
    return np.where(h.eligible, np.where(h.acceptance_code == 1, 2, 1), 0).astype(np.int64)


STATUS = np.array(["ineligible", "pending_acceptance", "payable"])


# ---------------------------------------------------------------------------------------------
# Reason codes
# ---------------------------------------------------------------------------------------------


@rule(reference=f"{DOC} 六(二)")
def area_code(h: Entity, p: ParameterAccess) -> IntArray:
    """1 enough area; 2 enough area, a cave dwelling; 0 too small."""
    cave = h.dwelling == Dwelling.CAVE
    return np.where(h.area_sufficient, np.where(cave, 2, 1), 0).astype(np.int64)


@rule(reference=f"{DOC} 六(二)1–2")
def local_code(h: Entity, p: ParameterAccess) -> IntArray:
    """1 county part granted; 2 gas wall boiler: no county part; −1 not eligible."""
    return np.where(h.eligible, np.where(h.gets_local_part, 1, 2), -1).astype(np.int64)


@rule(reference=f"{DOC} 六(二) 补贴范围")
def cap_code(h: Entity, p: ParameterAccess) -> IntArray:
    """1 local part reduced; 2 local and central reduced; −1 within the invoice."""
    central_cut = h.central_before_cap_cny - h.central_subsidy_cny
    return np.where(h.over_invoice_cny > 0, np.where(central_cut > 0, 2, 1), -1).astype(np.int64)


@rule(reference=f"{DOC} 六(二)3, 六(六)")
def pv_code(h: Entity, p: ParameterAccess) -> IntArray:
    """1 PV + clean heating; −1 no rooftop PV."""
    _ = p.yanchi.subsidy.pv_county_subsidy_cny  # read for the trace: the county PV policy's amount
    return np.where(h.with_rooftop_pv, 1, -1).astype(np.int64)


@rule(reference=f"{DOC} 六(二)4; SPEC §2 rule 8")
def first_subsidy_code(h: Entity, p: ParameterAccess) -> IntArray:
    """0 already subsidised; 1 first subsidy."""
    return h.first_subsidy.astype(np.int64)


@rule(reference=f"{DOC} 五, 六(二)")
def clean_method_code(h: Entity, p: ParameterAccess) -> IntArray:
    """1 a method of the plan; 0 not (a coal stove)."""
    return h.clean_method.astype(np.int64)


@rule(reference=f"{DOC} 二(一), 三(四)")
def programme_code(h: Entity, p: ParameterAccess) -> IntArray:
    """1 within the window; 0 outside it."""
    return h.in_programme.astype(np.int64)


REASONS: tuple[Reason, ...] = (
    Reason("clean_method", f"{DOC} 五(一)(二), 六(二)2", {
        1: ("所选方式属于本方案七种重点安装方式或三种附加安装方式，可享受补贴",
            "The method is one of the plan's seven key or three additional clean-heating methods"),
        0: ("所选方式不属于本方案的清洁取暖安装方式（如散煤炉），不予补贴",
            "The method is not a clean-heating method of the plan (e.g. a coal stove): no subsidy"),
    }, fails=frozenset({0})),
    Reason("programme_window", f"{DOC} 二(一), 三(四)", {
        1: ("安装日期在项目实施期内（{yanchi.programme.open:span}）",
            "Installed within the programme ({yanchi.programme.open:span})"),
        0: ("安装日期不在项目实施期内（{yanchi.programme.open:span}），不予补贴",
            "Installed outside the programme ({yanchi.programme.open:span}): not eligible"),
    }, fails=frozenset({0})),
    Reason("minimum_heated_area", f"{DOC} 六(二)", {
        1: ("清洁取暖面积不低于{yanchi.eligibility.min_heated_area_m2}平方米",
            "Heated area is at least {yanchi.eligibility.min_heated_area_m2} m²"),
        2: ("窑洞计入清洁取暖面积，面积不低于{yanchi.eligibility.min_heated_area_m2}平方米",
            "Cave dwelling (窑洞) area counts; heated area is at least "
            "{yanchi.eligibility.min_heated_area_m2} m²"),
        0: ("清洁取暖面积低于{yanchi.eligibility.min_heated_area_m2}平方米，不予补贴",
            "Heated area below {yanchi.eligibility.min_heated_area_m2} m²: not eligible"),
    }, fails=frozenset({0})),
    Reason("once_per_household", f"{DOC} 六(二)4", {
        1: ("农户此前未享受清洁取暖补贴", "The household has not been subsidised before"),
        0: ("农户已享受清洁取暖补贴，每户只补贴一次", "Already subsidised: a household is subsidised once only"),
    }, fails=frozenset({0})),
    Reason("installer", f"{DOC} 四, 六(二)4", {
        1: ("自主安装，安装于{yanchi.self_install.eligible:from}以后（含当日），按同一标准补贴",
            "Self-installed on or after {yanchi.self_install.eligible:from}: subsidised at the same rates"),
        2: ("自主安装于{yanchi.self_install.eligible:from}之前，不予补贴",
            "Self-installed before {yanchi.self_install.eligible:from}: not eligible"),
        3: ("由经专家组认定登记的企业安装", "Installed by an enterprise registered by the expert panel"),
        4: ("由未登记企业安装于登记要求施行（{yanchi.enterprise.registration_required:from}）之前，登记要求尚未施行",
            "Installed by an unregistered enterprise before the registration rule "
            "({yanchi.enterprise.registration_required:from}): registration not yet required"),
        5: ("登记要求施行（{yanchi.enterprise.registration_required:from}）后由未经专家组认定登记的企业安装，"
            "一律不予验收及补贴",
            "Installed after the registration rule ({yanchi.enterprise.registration_required:from}) by an "
            "enterprise not registered by the expert panel: neither accepted nor subsidised"),
    }, fails=frozenset({2, 5})),
    Reason("acceptance", f"{DOC} 四", {
        0: ("尚未验收：设备全部安装完毕、达到供暖效果并经县住建局联合验收后一次性发放，应付金额计入资金承诺",
            "Not yet accepted: paid once after county acceptance; the amounts due are commitments, not paid"),
        1: ("已于{yanchi.acceptance.open:from}以后竣工验收合格，一次性发放全额补贴",
            "Accepted on or after {yanchi.acceptance.open:from}: the full subsidy is paid once"),
        2: ("竣工验收早于{yanchi.acceptance.open:from}，不属于本项目，不予补贴",
            "Accepted before {yanchi.acceptance.open:from}: completed before the programme, not eligible"),
        3: ("已于{yanchi.acceptance.open:from}以后竣工验收合格（因上列条件不符，不予补贴）",
            "Accepted on or after {yanchi.acceptance.open:from} (no subsidy: a condition above is not met)"),
        4: ("尚未竣工验收（因上列条件不符，验收后也不予补贴）",
            "Not yet accepted (no subsidy after acceptance either: a condition above is not met)"),
    }, fails=frozenset({0, 2, 4})),
    Reason("central_subsidy", f"{DOC} 六(二)1–2", {
        1: ("中央资金补贴{yanchi.subsidy.central_cny}元/户",
            "Central subsidy {yanchi.subsidy.central_cny} CNY per household"),
    }),
    Reason("local_subsidy", f"{DOC} 六(二)1–2", {
        1: ("地方资金补贴{yanchi.subsidy.local_cny}元/户，其余部分由农户承担",
            "County subsidy {yanchi.subsidy.local_cny} CNY per household; the household pays the rest"),
        2: ("燃气壁挂炉：无地方补贴，其余部分由企业和农户承担",
            "Gas wall boiler: no county subsidy; enterprise and household pay the rest"),
    }),
    Reason("invoice_cap", f"{DOC} 六(二) 补贴范围", {
        1: ("补贴不超过设备购置及安装发票金额：超出部分从地方补贴中扣减",
            "The subsidy may not exceed the invoiced purchase and installation cost: the county part is reduced"),
        2: ("补贴不超过设备购置及安装发票金额：地方补贴扣减为0后，再扣减中央补贴",
            "The subsidy may not exceed the invoice: the county part is reduced to 0, then the central part"),
    }),
    Reason("rooftop_pv", f"{DOC} 六(二)3, 六(六)", {
        1: ("光伏+清洁取暖：取暖部分按上述标准补贴；屋顶光伏另享县分布式光伏补贴，两项可同时享受",
            "PV + clean heating: heating subsidised as above; rooftop PV gets the county's distributed-PV "
            "subsidy on top, both can be held together"),
    }),
)
"""What each rule says, per outcome; every number and date is a parameter token (a reform shows)."""

_REASON_RULES = {
    "clean_method": "clean_method_code",
    "programme_window": "programme_code",
    "minimum_heated_area": "area_code",
    "once_per_household": "first_subsidy_code",
    "installer": "installer_code",
    "acceptance": "acceptance_shown_code",
    "central_subsidy": "central_shown_code",
    "local_subsidy": "local_code",
    "invoice_cap": "cap_code",
    "rooftop_pv": "pv_code",
}


@rule(reference=f"{DOC} 六(二)1–2")
def central_shown_code(h: Entity, p: ParameterAccess) -> IntArray:
    return np.where(h.eligible, 1, -1).astype(np.int64)


def reason_codes(h: Entity) -> list[IntArray]:
    """One code array per entry of :data:`REASONS`, in order."""
    return [getattr(h, _REASON_RULES[r.rule]) for r in REASONS]


def outputs(h: Entity) -> dict[str, np.ndarray]:
    """The SPEC §7 output fields of ``subsidy yanchi``, one array each."""
    return {
        "household_id": h.household_id,
        "status": STATUS[h.status_code],
        "central_cny": h.central_subsidy_cny,
        "local_cny": h.local_subsidy_cny,
        "total_cny": h.total_subsidy_cny,
        "household_share_cny": h.household_share_cny,
    }
