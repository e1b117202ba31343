"""Properties of the Yanchi decision that hold for any household (hypothesis)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cleanheat.policy.decide import decide_yanchi
from cleanheat.policy.rules.yanchi import TOWNSHIPS, Dwelling, Technology

dates = st.dates(min_value=dt.date(2020, 6, 1), max_value=dt.date(2024, 6, 30))


@st.composite
def households(draw: Any, i: int = 0) -> dict[str, Any]:
    installed = draw(dates)
    accepted = draw(st.one_of(st.none(), st.integers(0, 400).map(lambda d: installed + dt.timedelta(days=d))))
    self_install = draw(st.booleans())
    return {
        "household_id": f"H-{draw(st.integers(0, 10**6))}",
        "township": draw(st.sampled_from(TOWNSHIPS)),
        "heated_area_m2": draw(st.floats(0, 400, allow_nan=False)),
        "dwelling": draw(st.sampled_from(list(Dwelling))).value,
        "technology": draw(st.sampled_from(list(Technology))).value,
        "with_rooftop_pv": draw(st.booleans()),
        "installed_on": installed.isoformat(),
        "self_install": self_install,
        "enterprise_registered": draw(st.booleans()),
        "previously_subsidised": draw(st.booleans()),
        "accepted_on": accepted.isoformat() if accepted else None,
        "invoice_cny": draw(st.integers(0, 60000)),
    }


@settings(max_examples=300, deadline=None)
@given(st.lists(households(), min_size=1, max_size=30))
def test_subsidy_never_exceeds_invoice_nor_5300(records: list[dict[str, Any]]) -> None:
    for rec, out in zip(records, decide_yanchi(records), strict=True):
        assert 0 <= out["total_cny"] <= min(rec["invoice_cny"], 5300)
        assert out["total_cny"] == out["central_cny"] + out["local_cny"]
        assert out["household_share_cny"] == rec["invoice_cny"] - out["total_cny"]
        assert isinstance(out["total_cny"], int)


@settings(max_examples=200, deadline=None)
@given(st.lists(households(), min_size=1, max_size=30))
def test_gas_boiler_never_gets_a_local_part(records: list[dict[str, Any]]) -> None:
    for rec, out in zip(records, decide_yanchi(records), strict=True):
        if rec["technology"] == "gas_boiler":
            assert out["local_cny"] == 0


@settings(max_examples=100, deadline=None)
@given(st.lists(households(), min_size=2, max_size=25), st.randoms(use_true_random=False))
def test_decision_does_not_depend_on_other_records_or_order(records: list[dict[str, Any]], rnd: Any) -> None:
    together = decide_yanchi(records)
    alone = [decide_yanchi([r])[0] for r in records]
    assert together == alone
    order = list(range(len(records)))
    rnd.shuffle(order)
    shuffled = decide_yanchi([records[k] for k in order])
    assert [shuffled[order.index(k)] for k in range(len(records))] == together


@settings(max_examples=100, deadline=None)
@given(st.lists(households(), min_size=1, max_size=20))
def test_same_input_same_decision(records: list[dict[str, Any]]) -> None:
    assert decide_yanchi(records) == decide_yanchi(records)


@settings(max_examples=200, deadline=None)
@given(households())
def test_status_consistent_with_amounts(rec: dict[str, Any]) -> None:
    out = decide_yanchi([rec])[0]
    if out["status"] == "ineligible":
        assert out["total_cny"] == 0
    if out["status"] == "payable":
        assert rec["accepted_on"] is not None
    if out["status"] == "pending_acceptance":
        assert rec["accepted_on"] is None
    if rec["technology"] == "coal_stove" or rec["heated_area_m2"] < 60 or rec["previously_subsidised"]:
        assert out["status"] == "ineligible"
