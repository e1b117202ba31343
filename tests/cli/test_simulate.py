"""``cleanheat simulate``: one in → one out, list → list, bad records → exit 2, --hourly, --table."""

from __future__ import annotations

import csv
import io
import json
import sys

import pytest

from cleanheat.cli import main
from cleanheat.simulate import records as rec_mod
from tests.simulate.climate_fixture import synthetic_costs

HOUSE = {"house_id": "YC-1", "site": "大水坑镇", "heated_area_m2": 80, "dwelling": "brick",
         "envelope": "partly_insulated", "gas_available": False}


@pytest.fixture(autouse=True)
def _costs(monkeypatch):
    # the CLI's physics is under test here; tariffs and prices come from cleanheat.economics in production
    monkeypatch.setattr(rec_mod, "_economics_costs", lambda site, on: synthetic_costs())


def _run(monkeypatch, capsys, payload, *args):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(json.dumps(payload).encode())))
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "-", *args])
    cap = capsys.readouterr()
    return exc.value.code, cap.out, cap.err


def test_one_object_in_one_out(monkeypatch, capsys):
    code, out, _ = _run(monkeypatch, capsys, HOUSE)
    assert code == 0
    o = json.loads(out)
    assert o["house_id"] == "YC-1"
    assert o["design_heat_load_kw"] > 0 and o["season_heat_demand_kwh"] > 0
    assert len(o["options"]) == 11 and o["options"][-1]["technology"] == "coal_stove"
    opt = o["options"][1]
    assert set(opt["energy"]) >= {"electricity_kwh", "electricity_valley_kwh", "gas_m3", "biomass_kg", "coal_kg"}
    for k in ("seasonal_efficiency", "running_cost_cny", "co2_kg", "unmet_hours", "delivered_heat_kwh",
              "unmet_heat_kwh", "peak_electric_kw"):
        assert k in opt
    for opt in o["options"]:
        assert opt["delivered_heat_kwh"] + opt["unmet_heat_kwh"] == pytest.approx(o["season_heat_demand_kwh"],
                                                                                  abs=0.2)


def test_list_in_list_out_same_order(monkeypatch, capsys):
    recs = [dict(HOUSE, house_id="B", site="beijing"), dict(HOUSE, house_id="A"),
            dict(HOUSE, house_id="C", dwelling="cave", tariff={"valley_cny_per_kwh": 0.1})]
    code, out, _ = _run(monkeypatch, capsys, recs)
    assert code == 0
    got = json.loads(out)
    assert [o["house_id"] for o in got] == ["B", "A", "C"]
    assert got[0]["season_heat_demand_kwh"] < got[1]["season_heat_demand_kwh"]  # Beijing is milder


@pytest.mark.parametrize("bad, field", [
    ({"dwelling": "palace"}, "dwelling"),
    ({"heated_area_m2": -5}, "heated_area_m2"),
    ({"heated_area_m2": 0}, "heated_area_m2"),
    ({"heated_area_m2": 1}, "heated_area_m2"),  # below one room: a 500 from the house model before
    ({"site": "mars"}, "site"),
    ({"envelope": None}, "envelope"),
    ({"tariff": {"valley_cny_per_kwh": "cheap"}}, "tariff.valley_cny_per_kwh"),
    ({"prices": {"uranium_cny_per_kg": 1}}, "prices.uranium_cny_per_kg"),
])
def test_bad_record_exit_2_names_record_and_field(monkeypatch, capsys, bad, field):
    recs = [HOUSE, dict(HOUSE, house_id="BAD-7", **bad)]
    code, out, err = _run(monkeypatch, capsys, recs)
    assert code == 2
    assert out == ""
    assert "BAD-7" in err and field in err and "Traceback" not in err


def test_hourly_csv_and_table(monkeypatch, capsys, tmp_path):
    path = tmp_path / "h.csv"
    code, out, _ = _run(monkeypatch, capsys, [HOUSE, dict(HOUSE, house_id="Z", site="beijing")], "--hourly",
                        str(path), "--house", "1", "--table")
    assert code == 0
    assert "ashp_water" in out and "Z" in out
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 121 * 24  # Beijing season 15 Nov – 15 Mar
    r0 = rows[0]
    assert float(r0["gshp_delivered_kw"]) <= float(r0["heat_demand_kw"]) + 1e-6
    assert {"temp_air_c", "price_cny_per_kwh", "storage_electric_electricity_kw"} <= set(r0)
    if "time" in r0:  # the typical year's month-day-hour (climates built by season_climate carry it)
        assert rows[1]["time"][-5:] == "01:00"


def test_param_override_changes_only_that_method(monkeypatch, capsys):
    _, base, _ = _run(monkeypatch, capsys, HOUSE)
    _, better, _ = _run(monkeypatch, capsys, HOUSE, "--param", "technologies.other_high_tech.eta_carnot=0.6")
    b, o = json.loads(base)["options"], json.loads(better)["options"]
    assert o[6]["technology"] == "other_high_tech"
    assert o[6]["seasonal_efficiency"] > b[6]["seasonal_efficiency"]
    assert o[1] == b[1]


@pytest.mark.parametrize("args", [["--param", "nope=1"], ["--param", "gshp.years"], ["--on", "yesterday"]])
def test_bad_options_exit_2(monkeypatch, capsys, args):
    code, out, err = _run(monkeypatch, capsys, HOUSE, *args)
    assert code == 2 and out == "" and "Traceback" not in err


def test_real_tariffs_and_prices(monkeypatch, capsys):
    monkeypatch.undo()  # cleanheat.economics: Ningxia 2026 tariff (valley 16 h), prices, factors
    code, out, _ = _run(monkeypatch, capsys, dict(HOUSE, site="yanchi"))
    assert code == 0
    opts = {o["technology"]: o for o in json.loads(out)["options"]}
    storage = opts["storage_electric"]
    assert storage["energy"]["electricity_valley_kwh"] >= 0.75 * storage["energy"]["electricity_kwh"]
    # valley price 0.2486 CNY/kWh: all-valley storage costs 0.2486 per kWh
    assert storage["running_cost_cny"] == pytest.approx(0.2486 * storage["energy"]["electricity_kwh"], rel=0.01)
    assert opts["coal_stove"]["co2_kg"] > opts["gshp"]["co2_kg"]


def test_money_is_integer_cny(monkeypatch, capsys):
    _, out, _ = _run(monkeypatch, capsys, HOUSE)
    assert all(isinstance(o["running_cost_cny"], int) for o in json.loads(out)["options"])


def test_emitter_sets_heat_pump_supply_temperature(monkeypatch, capsys):
    _, floor, _ = _run(monkeypatch, capsys, dict(HOUSE, emitter="floor_heating"))
    _, rad, _ = _run(monkeypatch, capsys, dict(HOUSE, emitter="radiator"))
    f = {o["technology"]: o for o in json.loads(floor)["options"]}
    r = {o["technology"]: o for o in json.loads(rad)["options"]}
    for code in ("ashp_water", "gshp", "other_high_tech"):  # 35 °C floors beat 55 °C radiators
        assert f[code]["seasonal_efficiency"] > r[code]["seasonal_efficiency"]
    assert f["gas_boiler"] == r["gas_boiler"]
    code, out, err = _run(monkeypatch, capsys, [HOUSE, dict(HOUSE, house_id="E-1", emitter="stove")])
    assert code == 2 and "E-1" in err and "emitter" in err


def test_cli_start_does_not_import_the_engineering_stack():
    import subprocess

    code = ("import sys, cleanheat.cli.engineering as e; import cleanheat.cli; "
            "bad = [m for m in ('pvlib', 'pandas', 'pygfunction', 'CoolProp', 'cleanheat.simulate.season') "
            "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr


def test_user_weather_file_is_used(tmp_path, capsys):
    """A user's own typical-year EPW file, registered with --weather and named by the houses."""
    from tests.climate.test_epw import _write_epw

    epw = _write_epw(tmp_path / "mine.epw")
    house = {"house_id": "W1", "site": "my village", "heated_area_m2": 70, "dwelling": "brick",
             "envelope": "partly_insulated", "gas_available": False}
    path = tmp_path / "h.json"
    path.write_text(json.dumps([house, dict(house, house_id="Y1", site="yanchi")]), encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["simulate", str(path), "--weather", str(epw), "--site-name", "my village"])
    out = json.loads(capsys.readouterr().out)
    assert exc.value.code == 0
    # the synthetic file is about as cold as Yanchi (annual mean 7.9 °C, amplitude 13.8 K, no cold spells):
    # on the same loess it needs 0.6 % less heat (11,413 against 11,487 kWh), but a user site's soil is
    # ISO 13370's default for an unknown ground (sand/gravel, λ 2.0), whose floor loses more: 12,313 kWh
    demand = [o["season_heat_demand_kwh"] for o in out]
    assert 0 < demand[1] < demand[0] < 1.12 * demand[1]


def test_weather_applies_to_houses_of_one_other_site_and_says_so(tmp_path, capsys):
    """Before: houses naming `yanchi` silently ignored the --weather file."""
    from tests.climate.test_epw import _write_epw

    epw = _write_epw(tmp_path / "mine.epw")
    path = tmp_path / "h.json"
    path.write_text(json.dumps([dict(HOUSE, site="yanchi")]), encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["simulate", str(path), "--weather", str(epw), "--site-name", "village two"])
    cap = capsys.readouterr()
    assert exc.value.code == 0
    assert json.loads(cap.out)[0]["site"] == "village two"
    assert "simulated on the --weather file as site 'village two'" in cap.err


def test_weather_warns_for_houses_that_do_not_name_it(tmp_path, capsys):
    from tests.climate.test_epw import _write_epw

    epw = _write_epw(tmp_path / "mine.epw")
    path = tmp_path / "h.json"
    path.write_text(json.dumps([dict(HOUSE, site="yanchi"), dict(HOUSE, site="beijing")]), encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["simulate", str(path), "--weather", str(epw), "--site-name", "village three"])
    cap = capsys.readouterr()
    assert exc.value.code == 0
    assert "'beijing', 'yanchi' do not use the --weather file" in cap.err


def test_weather_site_name_taken_points_to_site_name_option(tmp_path, capsys):
    from tests.climate.test_epw import _write_epw

    epw = _write_epw(tmp_path / "mine.epw")
    path = tmp_path / "h.json"
    path.write_text(json.dumps([HOUSE]), encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["simulate", str(path), "--weather", str(epw), "--site-name", "beijing"])
    err = capsys.readouterr().err
    assert exc.value.code == 2
    assert "field '--site-name'" in err and "give the --weather site another name with --site-name" in err
