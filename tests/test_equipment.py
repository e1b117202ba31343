"""Equipment against the technical guide (盐政办发〔2022〕8号 附件2; SPEC §4; issue #11).

Each requirement has a pass case, a fail case and a not-shown case, read off the guide's text
(the numbers: COP > 1.6 at −20 °C, ≥ 55 °C supply, storage ratio ≥ 75 %, surface ≤ 95 °C,
grille ≤ 115 °C, > 15 kW gas for ≥ 60 m², ≥ 60 tubes of ≥ 1.8 m per 60 m², ≥ 4 kW electric
auxiliary, fan heater not advised above 60 m²).
"""

import datetime as dt
import json
import subprocess
import sys

import pytest

from cleanheat.equipment.compliance import REQUIREMENTS, check_equipment, check_one, requirements_for
from cleanheat.errors import InputError

ALL_PROTECTIONS = ["antifreeze", "overheat", "lightning", "hail", "wind", "seismic", "electrical"]

CASES = {
    # requirement: (passing fields, failing fields)
    "fan_heater_direct.standard": ({"standards": ["JB/T 13573-2020"]}, {"standards": ["GB/T 25127.2"]}),
    "fan_heater_direct.cold_backup": ({"indoor_electric_heating": False, "extreme_cold_backup": True},
                                      {"indoor_electric_heating": False, "extreme_cold_backup": False}),
    "fan_heater_direct.unobstructed": ({"indoor_unit_unobstructed": True}, {"indoor_unit_unobstructed": False}),
    "fan_heater_direct.area": ({"heated_area_m2": 60}, {"heated_area_m2": 60.5}),
    "ashp_water.low_temperature_unit": ({"low_temperature_unit": True}, {"low_temperature_unit": False}),
    "ashp_water.rated_area": ({"rated_area_m2": 60}, {"rated_area_m2": 45}),
    "ashp_water.cop_minus20": ({"cop_minus20_no_aux": 1.61}, {"cop_minus20_no_aux": 1.6}),  # "> 1.6": 1.6 fails
    "ashp_water.supply_temperature": ({"max_supply_at_design_c": 55}, {"max_supply_at_design_c": 54.9}),
    "ashp_water.emitter": ({"emitter": "capillary_mat"}, {"emitter": "radiator"}),
    "ashp_water.airflow": ({"free_airflow": True}, {"free_airflow": False}),
    "ashp_water.condensate": ({"condensate_drained": True}, {"condensate_drained": False}),
    "storage_electric.power_from_load": ({"rated_heating_kw": 8, "design_heat_load_kw": 8},
                                         {"rated_heating_kw": 6, "design_heat_load_kw": 8}),
    "storage_electric.storage_ratio": ({"storage_ratio": 0.75}, {"storage_ratio": 0.74}),
    "storage_electric.adjustable": ({"adjustable_levels_and_times": True}, {"adjustable_levels_and_times": False}),
    "storage_electric.surface": ({"surface_temp_max_c": 95}, {"surface_temp_max_c": 96}),
    "storage_electric.grille": ({"has_grille": True, "grille_temp_max_c": 115},
                                {"has_grille": True, "grille_temp_max_c": 120}),
    "gas_boiler.standard": ({"standards": ["GB25034-2010"]}, {"standards": ["EN 15502"]}),
    "gas_boiler.power": ({"heated_area_m2": 60, "rated_heating_kw": 18},
                         {"heated_area_m2": 80, "rated_heating_kw": 15}),  # "> 15 kW": 15 fails
    "gas_boiler.room_interlock": ({"room_temp_interlock": True}, {"room_temp_interlock": False}),
    "gas_boiler.temperature_setting": ({"temperature_setting": True}, {"temperature_setting": False}),
    "gas_boiler.dhw_separated": ({"combi": True, "dhw_separated": True}, {"combi": True, "dhw_separated": False}),
    "gshp.site_survey": ({"site_survey": True}, {"site_survey": False}),
    "gshp.monitoring": ({"loop_monitoring": True}, {"loop_monitoring": False}),
    "gshp.antifreeze": ({"loop_antifreeze": True}, {"loop_antifreeze": False}),
    "gshp.pressure_test": ({"pressure_test": True}, {"pressure_test": False}),
    "solar_aux.tubes": ({"tubes": 90, "heated_area_m2": 90}, {"tubes": 60, "heated_area_m2": 90}),
    "solar_aux.tube_length": ({"tube_length_m": 1.8}, {"tube_length_m": 1.5}),
    "solar_aux.electric_aux_power": ({"aux_kind": "electric", "aux_power_kw": 4}, {"aux_kind": "electric",
                                                                                    "aux_power_kw": 3}),
    "solar_aux.electric_aux_certified": ({"aux_kind": "electric", "aux_certified": True},
                                         {"aux_kind": "electric", "aux_certified": False}),
    "solar_aux.aux_full_load": ({"aux_kind": "gas", "aux_covers_full_load": True},
                                {"aux_kind": "biomass", "aux_covers_full_load": False}),
    "solar_aux.solar_fraction": ({"aux_kind": "heat_pump", "solar_fraction_evaluated": True},
                                 {"aux_kind": "heat_pump", "solar_fraction_evaluated": False}),
    "solar_aux.solar_priority": ({"solar_priority_control": True}, {"solar_priority_control": False}),
    "solar_aux.heat_pump_cold_backup": ({"aux_kind": "heat_pump", "extreme_cold_backup": True},
                                        {"aux_kind": "heat_pump", "extreme_cold_backup": False}),
    "solar_aux.online_monitoring": ({"online_monitoring": True}, {"online_monitoring": False}),
    "solar_aux.protections": ({"protections": ALL_PROTECTIONS}, {"protections": ALL_PROTECTIONS[:-1]}),
    "solar_aux.storage_or_aux": ({"heat_storage": True}, {"heat_storage": False}),
    "solar_aux.leakage_protection": ({"aux_kind": "electric", "leakage_protection": True},
                                     {"aux_kind": "electric", "leakage_protection": False}),
    "biomass.no_coal": ({"prevents_coal_burning": True}, {"prevents_coal_burning": False}),
}
ON = dt.date(2022, 10, 1)


def test_every_requirement_has_cases():
    assert set(CASES) == {r.code for r in REQUIREMENTS}


def _result(code, fields):
    req = next(r for r in REQUIREMENTS if r.code == code)
    out = check_one({"technology": req.technology, **fields}, on=ON)
    return next(r for r in out["requirements"] if r["requirement"] == code)


@pytest.mark.parametrize("code", sorted(CASES))
def test_pass_fail_and_not_shown(code):
    good, bad = CASES[code]
    assert _result(code, good)["result"] == "pass", good
    assert _result(code, bad)["result"] == "fail", bad
    assert _result(code, {})["result"] == "not_shown"  # a value missing is never a silent pass


def test_conditional_requirements_do_not_apply_where_the_guide_says_so():
    assert _result("storage_electric.grille", {"has_grille": False})["result"] == "not_applicable"
    assert _result("gas_boiler.power", {"heated_area_m2": 59, "rated_heating_kw": 10})["result"] == "not_applicable"
    assert _result("gas_boiler.dhw_separated", {"combi": False})["result"] == "not_applicable"
    assert _result("solar_aux.electric_aux_power", {"aux_kind": "gas"})["result"] == "not_applicable"
    assert _result("solar_aux.heat_pump_cold_backup", {"aux_kind": "electric"})["result"] == "not_applicable"


def test_clauses_and_limits_come_from_the_guide():
    row = _result("ashp_water.cop_minus20", {"cop_minus20_no_aux": 2.0})
    assert row["clause"] == "盐政办发〔2022〕8号 附件2 二、一(一)" and row["mandatory"] is True
    assert "COP>1.6" in row["detail"] and "above 1.6" in row["detail_en"] and row["value"] == 2.0
    assert "90" in _result("solar_aux.tubes", {"heated_area_m2": 90})["detail"]
    assert _result("fan_heater_direct.area", {"heated_area_m2": 80})["mandatory"] is False


def test_verdicts():
    full = {"technology": "gshp", "site_survey": True, "loop_antifreeze": True, "pressure_test": True}
    assert check_one(full, on=ON)["verdict"] == "compliant"
    assert check_one(full, on=ON)["advice"] == ["gshp.monitoring"]  # a should-requirement not shown: advice only
    assert check_one(dict(full, pressure_test=False), on=ON)["verdict"] == "non_compliant"
    short = {k: v for k, v in full.items() if k != "site_survey"}
    out = check_one(short, on=ON)
    assert out["verdict"] == "incomplete" and out["not_shown"] == ["gshp.site_survey"]
    assert check_one({"technology": "co2_ashp"}, on=ON)["verdict"] == "not_covered"
    assert requirements_for("other_high_tech") == ()


def test_bad_records_name_record_and_field_all_at_once():
    with pytest.raises(InputError) as exc:
        check_equipment([{"technology": "ashp_water"},
                         {"equipment_id": "E-2", "technology": "ashp_watr", "storage_ratio": "high", "cop": 2}])
    text = str(exc.value)
    assert "record 1 (equipment_id=E-2)" in text
    assert "'technology'" in text and "did you mean 'ashp_water'" in text
    assert "'storage_ratio'" in text and "'cop'" in text
    with pytest.raises(InputError, match="technology"):
        check_equipment([{"equipment_id": "E-3"}])
    with pytest.raises(InputError, match="storage_ratio"):
        check_equipment([{"technology": "storage_electric", "storage_ratio": 10**400}])  # not an OverflowError
    with pytest.raises(InputError, match="protections"):
        check_equipment([{"technology": "solar_aux", "protections": ["flood"]}])


def test_cli_json_in_json_out():
    rec = {"equipment_id": "EQ-1", "technology": "ashp_water", "cop_minus20_no_aux": 1.5, "checked_on": "2022-10-01"}
    p = subprocess.run([sys.executable, "-m", "cleanheat", "check-equipment", "-"], input=json.dumps(rec),
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["equipment_id"] == "EQ-1" and out["verdict"] == "non_compliant"
    assert out["failed"] == ["ashp_water.cop_minus20"] and out["checked_on"] == "2022-10-01"
    p = subprocess.run([sys.executable, "-m", "cleanheat", "check-equipment", "-"], input=json.dumps([rec, rec]),
                       capture_output=True, text=True, timeout=60)
    assert isinstance(json.loads(p.stdout), list)
    p = subprocess.run([sys.executable, "-m", "cleanheat", "check-equipment", "-"],
                       input=json.dumps({"technology": "nope"}), capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "Traceback" not in p.stderr
