"""One parameter namespace: the name `cleanheat params` shows is the name `simulate --param` takes;
overrides are checked against the parameter's range; house records are strict."""

from __future__ import annotations

import io
import json
import sys
import warnings

import pytest

from cleanheat.cli import main
from cleanheat.errors import InputError
from cleanheat.parameters import all_parameters, defaults_tree
from cleanheat.simulate import records as rec_mod
from cleanheat.simulate.records import _check_overrides, canonical_override_names, validate_records
from tests.simulate.climate_fixture import synthetic_costs

HOUSE = {"house_id": "YC-1", "site": "大水坑镇", "heated_area_m2": 80, "dwelling": "brick",
         "envelope": "partly_insulated", "gas_available": False}


def test_every_technology_default_listed_by_params_is_accepted_by_simulate_under_that_name():
    names = [n for n in all_parameters().names("technologies") if all_parameters()[n].kind in ("int", "float")]
    assert "technologies.gshp.borehole_length_m" in names
    for name in names:
        value = all_parameters()[name].values[-1].value
        assert _check_overrides({name: value}) == {name.removeprefix("technologies."): float(value)}


def test_the_old_short_name_still_works_with_a_deprecation_notice():
    named, notices = canonical_override_names({"gshp.borehole_length_m": 120.0})
    assert named == {"technologies.gshp.borehole_length_m": 120.0}
    assert "use technologies.gshp.borehole_length_m" in notices[0]
    with pytest.warns(DeprecationWarning):
        assert _check_overrides({"gshp.borehole_length_m": 120.0}) == {"gshp.borehole_length_m": 120.0}


def test_a_carnot_fraction_above_1_is_refused():
    # before: accepted, and other_high_tech came out with a seasonal efficiency of 22.67
    with pytest.raises(InputError, match=r"must be within 0–1") as err:
        _check_overrides({"technologies.other_high_tech.eta_carnot": 5})
    assert err.value.field == "technologies.other_high_tech.eta_carnot"


def test_a_typo_gets_the_nearest_name_and_a_building_default_is_not_a_technology():
    with pytest.raises(InputError, match="did you mean 'technologies.gshp.borehole_length_m'"):
        _check_overrides({"technologies.gshp.borehole_lenght_m": 120})
    with pytest.raises(InputError, match="technology defaults"):
        _check_overrides({"building.comfort.set_point_c": 20})


def test_one_loader_one_root():
    from cleanheat.building.parameters import BUILDING_DEFAULTS_ROOT
    from cleanheat.technologies.catalogue import TECHNOLOGY_DEFAULTS_ROOT, technology_parameters

    assert TECHNOLOGY_DEFAULTS_ROOT.parent == BUILDING_DEFAULTS_ROOT.parent
    tree = defaults_tree()
    assert technology_parameters()["gshp.eta_carnot"] == tree["technologies.gshp.eta_carnot"].values[-1].value
    assert set(tree.names()) <= set(all_parameters().names())


def test_the_ground_temperature_offset_has_one_source():
    import cleanheat.climate.sites as sites
    import cleanheat.climate.weather as weather

    assert not hasattr(sites, "GROUND_TEMP_OFFSET_K") and not hasattr(weather, "GROUND_TEMP_OFFSET_K")
    assert sites.ground_temp_offset_k() == defaults_tree()["climate.ground_temp_offset_k"].values[-1].value


@pytest.mark.parametrize(("typo", "meant"), [("night_setbak", "night_setback"), ("emiter", "emitter")])
def test_misspelt_house_fields_are_refused(typo, meant):
    with pytest.raises(InputError, match=f"did you mean {meant!r}") as err:
        validate_records([dict(HOUSE, **{typo: True})])
    assert err.value.field == typo


def test_a_house_of_80000_m2_is_refused():
    with pytest.raises(InputError, match="at most 2,000") as err:
        validate_records([dict(HOUSE, heated_area_m2=80000)])
    assert err.value.field == "heated_area_m2"


def test_all_missing_house_fields_in_one_error():
    with pytest.raises(InputError) as err:
        validate_records([{"house_id": "A"}, dict(HOUSE, site="atlantis", envelope="paper")])
    text = str(err.value)
    for part in ("field 'site'", "field 'heated_area_m2'", "field 'dwelling'", "field 'envelope'",
                 "record 1 (house_id=YC-1), field 'site'", "record 1 (house_id=YC-1), field 'envelope'"):
        assert part in text, part
    assert text.startswith("6 errors")


def _run(monkeypatch, capsys, payload, *args):
    monkeypatch.setattr(rec_mod, "_economics_costs", lambda site, on: synthetic_costs())
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(json.dumps(payload).encode())))
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "-", *args])
    cap = capsys.readouterr()
    return exc.value.code, cap.out, cap.err


def test_cli_eta_carnot_5_exits_2(monkeypatch, capsys):
    code, out, err = _run(monkeypatch, capsys, HOUSE, "--param", "technologies.other_high_tech.eta_carnot=5")
    assert code == 2 and out == "" and "must be within 0–1" in err


def test_cli_short_name_prints_a_deprecation_notice(monkeypatch, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the CLI says it on stderr, not as a Python warning
        code, out, err = _run(monkeypatch, capsys, HOUSE, "--param", "other_high_tech.eta_carnot=0.5")
    assert code == 0 and json.loads(out)["options"][6]["technology"] == "other_high_tech"
    assert "deprecated" in err and "technologies.other_high_tech.eta_carnot" in err


def test_cli_table_is_bilingual(monkeypatch, capsys):
    code, out, _ = _run(monkeypatch, capsys, HOUSE, "--table")
    assert code == 0
    assert "取暖方式 method" in out and "热泵热风机+电直热 fan_heater_direct" in out and "运行费用 元" in out
