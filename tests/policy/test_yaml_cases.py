"""Run the YAML rule cases (OpenFisca's test format): one sentence of a document, amounts by hand.

A case has ``name`` (with the clause), ``period`` (the installation / application date unless
the input says otherwise), ``input`` (merged over a plain base record), ``output`` (decision
fields or rule quantities), and optionally ``parameters`` (overrides: a reform) and ``error``
(the field an input error must name).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from cleanheat.errors import InputError
from cleanheat.policy.decide import decide
from cleanheat.policy.engine import default_tree

HERE = Path(__file__).parent

BASE: dict[str, dict[str, Any]] = {
    "yanchi": {
        "household_id": "T-1", "township": "花马池镇", "heated_area_m2": 80, "dwelling": "brick",
        "technology": "ashp_water", "with_rooftop_pv": False, "self_install": False, "enterprise_registered": True,
        "previously_subsidised": False, "invoice_cny": 16000,
    },
    "beijing": {
        "project_id": "P-1", "zone": "plain_new_towns", "source": "shallow_ground", "kind": "new_build",
        "government_invested": False, "self_funded": False, "main_project_specifies_heat_pump": False,
        "heated_area_m2": 100000,
        "investment_cny": {"ground_loop": 4000000, "machine_room": 1000000, "heat_pump_units": 3000000,
                           "primary_network": 1500000, "controls_monitoring": 500000,
                           "secondary_network": 2000000, "indoor_terminals": 1000000},
        "permits": {"mining": False, "water_extraction": False}, "ground_heat_balance_ok": True,
        "enterprise_dishonest": False,
    },
}
PERIOD_FIELD = {"yanchi": "installed_on", "beijing": "applied_on"}


def _cases() -> list[Any]:
    out = []
    for juris in ("yanchi", "beijing"):
        for path in sorted((HERE / juris).glob("*.yaml")):
            for k, case in enumerate(yaml.safe_load(path.read_text(encoding="utf-8"))):
                out.append(pytest.param(juris, case, id=f"{juris}/{path.stem}[{k}] {case['name']}"))
    return out


def _record(juris: str, case: dict[str, Any]) -> dict[str, Any]:
    rec = dict(BASE[juris])
    period = case["period"]
    period = period.isoformat() if isinstance(period, dt.date) else str(period)
    rec[PERIOD_FIELD[juris]] = period
    if juris == "yanchi":
        try:
            rec["accepted_on"] = (dt.date.fromisoformat(period) + dt.timedelta(days=30)).isoformat()
        except ValueError:  # an impossible period is itself the case under test
            rec["accepted_on"] = None
    for key, value in (case.get("input") or {}).items():
        rec[key] = value.isoformat() if isinstance(value, dt.date) else value
    return rec


@pytest.mark.parametrize(("juris", "case"), _cases())
def test_case(juris: str, case: dict[str, Any]) -> None:
    rec = _record(juris, case)
    tree = default_tree()
    if case.get("parameters"):
        tree = tree.with_overrides(case["parameters"])
    if "error" in case:
        with pytest.raises(InputError) as err:
            decide(juris, [rec], tree=tree)
        assert err.value.field == case["error"]
        return
    d = decide(juris, [rec], tree=tree)
    out = d.to_records()[0]
    for key, expected in case["output"].items():
        if key == "reasons_include":
            assert set(expected) <= {r["rule"] for r in out["reasons"]}, out["reasons"]
        elif key == "obligations_include":
            assert set(expected) <= {o["obligation"] for o in out["obligations"]}
        elif key == "obligations_exclude":
            assert not set(expected) & {o["obligation"] for o in out["obligations"]}
        elif key in out:
            assert out[key] == expected, f"{key}: {out[key]!r} != {expected!r}"
        else:
            value = getattr(d.entity, key)[0]
            assert value.item() == expected, f"{key}: {value!r} != {expected!r}"


def test_every_case_file_is_collected() -> None:
    assert len(_cases()) >= 60
