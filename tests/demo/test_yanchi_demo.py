"""The synthetic programme follows the plan's targets and is deterministic."""

from __future__ import annotations

from collections import Counter

from cleanheat.demo.yanchi import generate_households, township_year_targets
from cleanheat.policy.decide import decide_yanchi
from cleanheat.policy.engine import to_columns
from cleanheat.policy.rules.yanchi import FIELDS, LEDGER_FIELDS


def test_2021_split_in_proportion_to_later_years():
    t = township_year_targets()
    assert sum(t[2021].values()) == 3000
    # 花马池镇: (1000 + 2000) / 24000 × 3000 = 375 exactly; 麻黄山乡: 600 / 24000 × 3000 = 75
    assert t[2021]["花马池镇"] == 375 and t[2021]["麻黄山乡"] == 75
    # 高沙窝镇 312.5 and 王乐井乡 562.5 share the one remainder household: the earlier in 附件1 gets it
    assert t[2021]["高沙窝镇"] + t[2021]["王乐井乡"] == 875


def test_demo_matches_targets_per_township_and_year():
    hs = generate_households(0)
    assert len(hs) == 27000
    counts = Counter((h["year"], h["township"]) for h in hs)
    # the plan's 附件1 numbers, as the parameter files yanchi/targets/2022.yaml and 2023.yaml give them
    plan = {2022: {"花马池镇": 1000, "惠安堡镇": 3500, "大水坑镇": 3000, "高沙窝镇": 1500, "王乐井乡": 2500,
                   "青山乡": 1000, "冯记沟乡": 1200, "麻黄山乡": 300},
            2023: {"花马池镇": 2000, "惠安堡镇": 1500, "大水坑镇": 1000, "高沙窝镇": 1000, "王乐井乡": 2000,
                   "青山乡": 1000, "冯记沟乡": 1200, "麻黄山乡": 300}}
    for year, towns in plan.items():
        for town, n in towns.items():
            assert counts[(year, town)] == n
    assert sum(v for (y, _), v in counts.items() if y == 2021) == 3000


def test_demo_is_deterministic_and_seeded():
    assert generate_households(5, 300) == generate_households(5, 300)
    assert generate_households(5, 300) != generate_households(6, 300)


def test_demo_is_valid_input_and_realistic():
    hs = generate_households(0)
    to_columns(hs, FIELDS, "household_id", LEDGER_FIELDS)  # raises on any invalid record
    small = sum(h["heated_area_m2"] < 60 for h in hs)
    caves = sum(h["dwelling"] == "cave" for h in hs)
    assert 0.02 * 27000 < small < 0.12 * 27000
    assert caves > 1000
    assert len({h["id_number"] for h in hs}) == 27000
    status = Counter(o["status"] for o in decide_yanchi(hs))
    assert status["payable"] > status["ineligible"] > 0 and status["pending_acceptance"] > 0
