"""A third jurisdiction is a parameter folder plus a rules module: the engine is not touched.

"Toyland" pays a bonus per bicycle, from a dated parameter in ``toyland_params/``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cleanheat.errors import InputError
from cleanheat.policy.decide import decide
from cleanheat.policy.engine import Entity, Field, Jurisdiction, ParameterAccess, Reason, RuleSet

RULES = RuleSet("toyland")


@RULES.rule(reference="Toyland Bicycle Act §1")
def bonus_cny(h: Entity, p: ParameterAccess) -> np.ndarray:
    """Bonus per bicycle times the number of bicycles."""
    return (h.bicycles * p.toyland.bonus_cny).astype(np.int64)


@RULES.rule(reference="Toyland Bicycle Act §1")
def bonus_code(h: Entity, p: ParameterAccess) -> np.ndarray:
    return np.where(h.bicycles > 0, 1, 0)


TOYLAND = Jurisdiction(
    name="toyland",
    fields=(Field("citizen_id", "str"), Field("bicycles", "int"), Field("bought_on", "date")),
    id_field="citizen_id",
    period_field="bought_on",
    rules=RULES,
    reasons=(Reason("bonus", "Toyland Bicycle Act §1", {
        1: ("每辆自行车奖励{toyland.bonus_cny}元", "A bonus of {toyland.bonus_cny} CNY per bicycle"),
        0: ("没有自行车", "No bicycle"),
    }),),
    reason_codes=lambda h: [h.bonus_code],
    outputs=lambda h: {"citizen_id": h.citizen_id, "bonus_cny": h.bonus_cny},
    parameter_root=Path(__file__).parent / "toyland_params",
)


def test_third_jurisdiction_decides_with_its_own_parameters_and_reasons():
    out = decide(TOYLAND, [
        {"citizen_id": "A", "bicycles": 2, "bought_on": "2022-12-31"},  # 2 × 100
        {"citizen_id": "B", "bicycles": 2, "bought_on": "2023-01-01"},  # 2 × 150
        {"citizen_id": "C", "bicycles": 0, "bought_on": "2023-01-01"},
    ]).to_records(trace=True)
    assert [o["bonus_cny"] for o in out] == [200, 300, 0]
    assert out[1]["reasons"][0]["detail_en"] == "A bonus of 150 CNY per bicycle"
    assert out[1]["trace"]["parameters"][0]["effective_from"] == "2023-01-01"
    assert out[2]["reasons"][0]["rule"] == "bonus"


def test_third_jurisdiction_validates_its_fields():
    with pytest.raises(InputError, match="citizen_id=A") as err:
        decide(TOYLAND, [{"citizen_id": "A", "bicycles": -1, "bought_on": "2022-01-01"}])
    assert err.value.field == "bicycles"
