"""A deterministic synthetic Yanchi programme: 27,000 households over the eight townships.

The households follow the plan's targets as the dated parameters ``yanchi.targets.<year>`` give
them (SPEC §3; 2021's 3000 split in proportion to each township's 2022 + 2023 targets, largest
remainder: :func:`cleanheat.policy.programme.township_targets`), with areas, dwellings, methods, dates and
invoices drawn to look like a county ledger (台账): some areas under 60 m², cave dwellings in
the hilly south, gas boilers only where gas reaches, invoices inside the guide's cost ranges
(附件2 安装成本, per 60 m², scaled by area), a few self-installations, a few unregistered
installers after the plan, a few not yet accepted at the end of 2023. Same seed, same programme.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from cleanheat.parameters import defaults_tree
from cleanheat.policy.programme import township_targets
from cleanheat.policy.rules.yanchi import TOWNSHIPS

__all__ = ["ENTERPRISE_CODES", "generate_households", "township_year_targets"]


# Methods and their share of households (synthetic; the plan sets no split). Invoices are drawn in
# each method's installed-cost range per 60 m², read from the dated parameters ``capex.<tech>.*``
# (the guide's 附件2 安装成本 where it gives one; documented assumptions otherwise).
METHOD_SHARES: tuple[tuple[str, float], ...] = (
    ("fan_heater_direct", 0.27),
    ("ashp_water", 0.16),
    ("storage_electric", 0.12),
    ("gas_boiler", 0.09),
    ("gshp", 0.05),
    ("solar_aux", 0.17),
    ("other_high_tech", 0.02),
    ("co2_ashp", 0.03),
    ("solar_gshp_seasonal", 0.005),
    ("biomass", 0.075),
    ("coal_stove", 0.005),
)
COAL_STOVE_INVOICE_CNY_PER_60M2 = (800, 1500)
"""Ledger mistakes: a new coal stove invoiced as if it were clean heating (synthetic; the advisor's
``capex.coal_stove`` is 0 because there it is the existing stove, not a purchase)."""


def _cost_range_cny_per_60m2(code: str) -> tuple[int, int]:
    if code == "coal_stove":
        return COAL_STOVE_INVOICE_CNY_PER_60M2
    tree = defaults_tree()
    # the latest dated ranges: the demo is one synthetic programme, not a dated ledger
    return (int(tree[f"capex.{code}.low_cny_per_60m2"].at(dt.date.max)),
            int(tree[f"capex.{code}.high_cny_per_60m2"].at(dt.date.max)))


METHODS: tuple[tuple[str, float, tuple[int, int]], ...] = tuple(
    (code, share, _cost_range_cny_per_60m2(code)) for code, share in METHOD_SHARES
)
"""(code, share of households, installed-cost range per 60 m² [CNY])."""
GAS_TOWNSHIPS = ("花马池镇", "惠安堡镇", "大水坑镇")
"""Townships taken as reached by the gas network in the demo (an assumption)."""
CAVE_SHARE = {"麻黄山乡": 0.35, "大水坑镇": 0.20, "惠安堡镇": 0.12, "冯记沟乡": 0.15, "青山乡": 0.15}
ENTERPRISE_CODES: tuple[str, ...] = tuple(f"ENT-{k:02d}" for k in range(1, 31))

SURNAMES = "王李张刘马杨赵陈周吴孙冯苏何郭田丁白杜高鲁黄曹谢罗"
GIVEN = "国志建军明华文兴福海林宝玉秀兰英梅芳春霞红强刚平安学成生有德山新忠义"
VILLAGE_STEMS = ("柳杨堡", "皖记沟", "红井子", "萌城", "东塘", "西沟", "南梁", "北湾", "石山子", "沙边子",
                 "杨寨子", "李家庄", "王圈梁", "高记沟", "马儿庄", "官滩", "猫头梁", "侯家河", "井沟", "佟记圈")


def township_year_targets() -> dict[int, dict[str, int]]:
    """Households per township and year, from the dated targets (:func:`.programme.township_targets`)."""
    return township_targets()


def _scaled(counts: dict[str, int], factor: float) -> dict[str, int]:
    return {t: int(round(c * factor)) for t, c in counts.items()}


def _id_check_digit(body: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]


def generate_households(seed: int = 0, n: int = 27000) -> list[dict[str, Any]]:
    """A deterministic synthetic programme of ``n`` households (27,000: the plan's programme).

    Returns
    -------
    list of dict
        The ``subsidy yanchi`` input fields (SPEC §7) plus ``name``, ``id_number`` (18 digits,
        valid check digit, county code 640323), ``phone``, ``village``, ``address``, ``year`` and
        ``enterprise_code`` (None for a self-installation).
    """
    rng = np.random.default_rng(seed)
    plan = township_year_targets()
    factor = n / 27000
    cells: list[tuple[int, str, int]] = []
    for year in sorted(plan):
        for t, c in _scaled(plan[year], factor).items():
            cells.append((year, t, c))
    diff = n - sum(c for _, _, c in cells)
    y0, t0, c0 = cells[-1]
    cells[-1] = (y0, t0, c0 + diff)
    years = np.concatenate([np.full(c, y) for y, _, c in cells])
    towns = np.concatenate([np.full(c, TOWNSHIPS.index(t)) for _, t, c in cells])
    m = len(years)

    area = np.clip(rng.lognormal(np.log(90.0), 0.25, m), 30, 260).round(1)
    cave_p = np.array([CAVE_SHARE.get(t, 0.05) for t in TOWNSHIPS])[towns]
    u = rng.random(m)
    dwelling = np.where(u < cave_p, "cave", np.where(u < cave_p + 0.06, "other", "brick"))

    shares = np.array([s for _, s, _ in METHODS])
    method_idx = rng.choice(len(METHODS), size=m, p=shares / shares.sum())
    gas_ok = np.isin(towns, [TOWNSHIPS.index(t) for t in GAS_TOWNSHIPS])
    gas = method_idx == 3
    method_idx[gas & ~gas_ok] = 0  # no gas network: the household takes a fan heater instead
    tech = np.array([code for code, _, _ in METHODS])[method_idx]
    lo = np.array([r[0] for _, _, r in METHODS])[method_idx]
    hi = np.array([r[1] for _, _, r in METHODS])[method_idx]
    per60 = lo + rng.random(m) * (hi - lo)
    # equipment is sized sub-linearly with area: cost ∝ √(area / 60 m²) (an assumption)
    invoice = (per60 * np.sqrt(np.maximum(area, 60) / 60) / 10).round().astype(np.int64) * 10

    self_install = rng.random(m) < 0.07
    # installation day: 2021 from June (self-installs counted from 2021-06-01); others May–November
    start = np.array([dt.date(y, 5, 1).toordinal() for y in (2021, 2022, 2023)])[years - 2021]
    start = np.where(years == 2021, dt.date(2021, 6, 1).toordinal(), start)
    span = np.where(years == 2021, 183, 214)
    installed = start + (rng.random(m) * span).astype(np.int64)
    # a few self-installs made before the programme window opened for them
    early = self_install & (years == 2021) & (rng.random(m) < 0.05)
    installed = np.where(early, dt.date(2021, 4, 10).toordinal() + (rng.random(m) * 45).astype(np.int64), installed)
    accepted = installed + 12 + (rng.random(m) * 50).astype(np.int64)
    end_2023 = dt.date(2023, 12, 31).toordinal()
    pending = (accepted > end_2023) | ((years == 2023) & (rng.random(m) < 0.04))
    unregistered = (~self_install) & (rng.random(m) < 0.012)
    previously = rng.random(m) < 0.003
    pv = rng.random(m) < 0.06
    enterprise = np.array(ENTERPRISE_CODES)[rng.integers(0, len(ENTERPRISE_CODES), m)]

    villages = {t: [f"{VILLAGE_STEMS[(k * 7 + i) % len(VILLAGE_STEMS)]}村" for i in range(8 + k % 5)]
                for k, t in enumerate(TOWNSHIPS)}
    sur = rng.integers(0, len(SURNAMES), m)
    g1 = rng.integers(0, len(GIVEN), m)
    g2 = rng.integers(0, len(GIVEN), m)
    two = rng.random(m) < 0.7
    birth = dt.date(1940, 1, 1).toordinal() + rng.integers(0, 365 * 60, m)
    phone_tail = rng.integers(0, 10**8, m)
    prefix = np.array(["139", "138", "151", "189", "177", "136", "150", "182"])[rng.integers(0, 8, m)]
    vil_pick = rng.random(m)

    out: list[dict[str, Any]] = []
    used_ids: set[str] = set()
    for i in range(m):
        t = TOWNSHIPS[int(towns[i])]
        vlist = villages[t]
        village = vlist[int(vil_pick[i] * len(vlist))]
        b = dt.date.fromordinal(int(birth[i]))
        seq = i % 1000
        body = f"640323{b:%Y%m%d}{seq:03d}"
        while body in used_ids:  # same birth date and sequence: take the next free sequence number
            seq = (seq + 1) % 1000
            body = f"640323{b:%Y%m%d}{seq:03d}"
        used_ids.add(body)
        name = SURNAMES[sur[i]] + GIVEN[g1[i]] + (GIVEN[g2[i]] if two[i] else "")
        hid = f"YC-{int(years[i])}-{i + 1:06d}"
        out.append({
            "household_id": hid,
            "township": t,
            "heated_area_m2": float(area[i]),
            "dwelling": str(dwelling[i]),
            "technology": str(tech[i]),
            "with_rooftop_pv": bool(pv[i]),
            "installed_on": dt.date.fromordinal(int(installed[i])).isoformat(),
            "self_install": bool(self_install[i]),
            "enterprise_registered": bool(not unregistered[i]) if not self_install[i] else None,
            "previously_subsidised": bool(previously[i]),
            "accepted_on": None if pending[i] else dt.date.fromordinal(int(accepted[i])).isoformat(),
            "invoice_cny": int(invoice[i]),
            "name": name,
            "id_number": body + _id_check_digit(body),
            "phone": f"{prefix[i]}{int(phone_tail[i]):08d}",
            "village": village,
            "address": f"宁夏回族自治区吴忠市盐池县{t}{village}{1 + i % 97}号",
            "year": int(years[i]),
            "enterprise_code": None if self_install[i] else str(enterprise[i]),
        })
    return out
