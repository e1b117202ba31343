"""The JSON commands are strict: every bad record in one run, unknown fields refused, impossible values refused.

Each test fails on the code before issue #8: unknown fields were dropped silently, one error per
run, no upper bounds (an 80,000 m² house, a 10²⁰ invoice, a 4·10¹⁵ investment that wrapped to a
negative support), acceptances in the future, a UTF-8 BOM refused.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import pytest

from cleanheat.cli import main
from cleanheat.errors import InputError
from cleanheat.policy.decide import decide_beijing, decide_yanchi
from cleanheat.records import RecordErrors

H = {"household_id": "YC-0042", "township": "大水坑镇", "heated_area_m2": 75, "dwelling": "brick",
     "technology": "ashp_water", "installed_on": "2022-09-12", "enterprise_registered": True,
     "accepted_on": "2022-10-30", "invoice_cny": 15200}
P = {"project_id": "BJ-1", "zone": "plain_new_towns", "source": "sewage", "kind": "expansion",
     "heated_area_m2": 120000, "investment_cny": {"water_intake": 3000000, "heat_pump_units": 4000000},
     "ground_heat_balance_ok": True, "applied_on": "2021-05-10"}


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def write(tmp_path: Path, obj: Any, name: str = "in.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")
    return str(path)


# ---- unknown fields ---------------------------------------------------------------------------------------


def test_misspelt_previously_subsidised_is_refused_with_a_suggestion():
    # before: ignored, and the household came out payable 5,300 CNY
    with pytest.raises(InputError) as err:
        decide_yanchi([dict(H, previously_subsidized=True)])
    assert err.value.field == "previously_subsidized"
    assert "household_id=YC-0042" in str(err.value)
    assert "did you mean 'previously_subsidised'" in str(err.value)


@pytest.mark.parametrize(("typo", "meant"), [("ground_heat_balance_okk", "ground_heat_balance_ok"),
                                             ("applied_onn", "applied_on")])
def test_misspelt_beijing_fields_are_refused(typo, meant):
    with pytest.raises(InputError) as err:
        decide_beijing([dict(P, **{typo: True})])
    assert err.value.field == typo and f"did you mean {meant!r}" in str(err.value)


def test_ledger_fields_a_decision_does_not_read_are_not_errors():
    out = decide_yanchi([dict(H, name="张军", phone="13912345678", village="萌城村")])
    assert out[0]["status"] == "payable"


# ---- every error in one run -------------------------------------------------------------------------------


def test_all_missing_fields_of_all_records_in_one_error(tmp_path, capsys):
    bad = [{"household_id": "YC-0042", "heated_area_m2": 75, "technology": "gas_boiler"},
           dict(H, household_id="YC-0043", dwelling="palace", invoice_cny=-1)]
    with pytest.raises(RecordErrors) as err:
        decide_yanchi(bad)
    faults = {(e.record, e.field) for e in err.value.errors}
    assert faults == {
        ("record 0 (household_id=YC-0042)", "township"), ("record 0 (household_id=YC-0042)", "dwelling"),
        ("record 0 (household_id=YC-0042)", "installed_on"), ("record 0 (household_id=YC-0042)", "invoice_cny"),
        ("record 1 (household_id=YC-0043)", "dwelling"), ("record 1 (household_id=YC-0043)", "invoice_cny"),
    }
    code, out, errtext = run(["subsidy", "yanchi", write(tmp_path, bad)], capsys)
    assert code == 2 and out == "" and "Traceback" not in errtext
    assert errtext.startswith("RecordErrors: 6 errors: record 0 (household_id=YC-0042), field 'township'")
    assert "record 1 (household_id=YC-0043), field 'invoice_cny': must be ≥ 0" in errtext


def test_cross_field_checks_list_every_record():
    bad = [dict(H, household_id="A", accepted_on="2022-09-01"), dict(H, household_id="B", accepted_on="2022-09-11")]
    with pytest.raises(RecordErrors) as err:
        decide_yanchi(bad)
    assert [(e.record, e.field) for e in err.value.errors] == [
        ("record 0 (household_id=A)", "accepted_on"), ("record 1 (household_id=B)", "accepted_on")]


def test_several_bad_investment_items_of_one_project():
    with pytest.raises(RecordErrors) as err:
        decide_beijing([dict(P, investment_cny={"ground_lop": 1, "wells": -5})])
    assert {e.field for e in err.value.errors} == {"investment_cny.ground_lop", "investment_cny.wells"}
    assert "did you mean 'ground_loop'" in str(err.value)


# ---- impossible values ------------------------------------------------------------------------------------


def test_a_house_of_80000_m2_is_refused():
    with pytest.raises(InputError, match=r"at most 2,000") as err:
        decide_yanchi([dict(H, heated_area_m2=80000)])
    assert err.value.field == "heated_area_m2"
    assert decide_yanchi([dict(H, heated_area_m2=2000)])[0]["status"] == "payable"  # the bound itself is a house


def test_an_acceptance_in_the_future_is_refused(monkeypatch):
    import cleanheat.clock

    monkeypatch.setattr(cleanheat.clock, "today", lambda: dt.date(2026, 12, 2))
    with pytest.raises(InputError, match="2030-10-01 is in the future") as err:
        decide_yanchi([dict(H, accepted_on="2030-10-01")])
    assert err.value.field == "accepted_on"
    with pytest.raises(InputError) as err:
        decide_yanchi([dict(H, installed_on="2026-12-03", accepted_on=None)])
    assert err.value.field == "installed_on"
    assert decide_yanchi([dict(H, installed_on="2026-12-02", accepted_on=None)])  # today is not the future


@pytest.mark.parametrize("invoice", [10**20, 1e20, 1_000_001])
def test_an_invoice_beyond_any_programme_is_refused(invoice):
    # before: 10**20 raised an OverflowError traceback (records.py:135)
    with pytest.raises(InputError, match=r"at most 1,000,000") as err:
        decide_yanchi([dict(H, invoice_cny=invoice)])
    assert err.value.field == "invoice_cny"


def test_invoice_1e20_through_the_cli_exits_2(tmp_path, capsys):
    path = tmp_path / "big.json"
    path.write_text(json.dumps(dict(H, invoice_cny=10**20)), encoding="utf-8")
    code, out, err = run(["subsidy", "yanchi", str(path)], capsys)
    assert code == 2 and out == "" and "invoice_cny" in err and "Traceback" not in err


def test_a_beijing_investment_beyond_any_project_is_refused(tmp_path, capsys):
    # before: 4e15 CNY of ground loop gave support_cny −644,674,405,720,956 with exit 0
    huge = dict(P, source="shallow_ground", investment_cny={"ground_loop": 4 * 10**15})
    with pytest.raises(InputError, match="at most 10,000,000,000") as err:
        decide_beijing([huge])
    assert err.value.field == "investment_cny.ground_loop"
    code, out, _ = run(["funding", "beijing", write(tmp_path, dict(huge, investment_cny={"ground_loop": 4e15}))],
                       capsys)
    assert code == 2 and out == ""
    # at the bound, every item at 10¹⁰: the support stays positive and exact (13 × 10¹⁰ × 30 %)
    from cleanheat.policy.rules.beijing import INVESTMENT_ITEMS

    top = decide_beijing([dict(P, investment_cny={k: 10**10 for k in INVESTMENT_ITEMS})])[0]
    assert top["support_cny"] > 0


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinite_numbers_are_refused(value):
    with pytest.raises(InputError, match="finite") as err:
        decide_yanchi([dict(H, heated_area_m2=value)])
    assert err.value.field == "heated_area_m2"


def test_nan_in_a_json_file_is_refused_with_the_reason(tmp_path, capsys):
    path = tmp_path / "nan.json"
    path.write_text(json.dumps(dict(H, heated_area_m2=math.nan)), encoding="utf-8")  # Python's json writes NaN
    code, out, err = run(["subsidy", "yanchi", str(path)], capsys)
    assert code == 2 and out == "" and "NaN and Infinity are not numbers" in err


@pytest.mark.parametrize(("field", "value"), [("heated_area_m2", True), ("invoice_cny", False),
                                              ("self_install", 1), ("enterprise_registered", 0)])
def test_booleans_and_numbers_are_not_interchangeable(field, value):
    with pytest.raises(InputError) as err:
        decide_yanchi([dict(H, **{field: value})])
    assert err.value.field == field


def test_a_utf8_bom_is_accepted(tmp_path, capsys):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(H, ensure_ascii=False).encode("utf-8"))  # Notepad's "UTF-8"
    code, out, _ = run(["subsidy", "yanchi", str(path)], capsys)
    assert code == 0 and json.loads(out)["total_cny"] == 5300


# ---- Beijing names ----------------------------------------------------------------------------------------


def test_chinese_zone_names_are_synonyms():
    a = decide_beijing([dict(P, zone="城市副中心")])[0]
    b = decide_beijing([dict(P, zone="city_sub_center")])[0]
    assert a == b


def test_an_unknown_zone_lists_chinese_names_beside_the_codes():
    with pytest.raises(InputError) as err:
        decide_beijing([dict(P, zone="城市副中")])
    text = str(err.value)
    assert "city_sub_center 城市副中心" in text and "did you mean '城市副中心'" in text


def test_the_plans_own_method_names_are_accepted_and_listed_beside_the_codes():
    assert decide_yanchi([dict(H, technology="地源热泵", dwelling="窑洞")]) == \
        decide_yanchi([dict(H, technology="gshp", dwelling="cave")])
    with pytest.raises(InputError) as err:
        decide_yanchi([dict(H, technology="燃气炉")])
    assert "gas_boiler 燃气壁挂炉" in str(err.value) and "fan_heater_direct 热泵热风机+电直热" in str(err.value)
