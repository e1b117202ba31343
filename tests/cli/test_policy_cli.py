"""The policy commands end to end: contracts of SPEC §7 and every kind of bad input (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cleanheat.cli import main

H = {"household_id": "CC-1", "township": "大水坑镇", "heated_area_m2": 75, "dwelling": "brick", "technology": "gshp",
     "with_rooftop_pv": False, "installed_on": "2022-09-12", "self_install": False, "enterprise_registered": True,
     "previously_subsidised": False, "accepted_on": "2022-10-30", "invoice_cny": 15200}
P = {"project_id": "CC-P1", "zone": "plain_new_towns", "source": "sewage", "kind": "expansion",
     "heated_area_m2": 120000, "investment_cny": {"water_intake": 3000000, "heat_pump_units": 4000000},
     "ground_heat_balance_ok": True, "applied_on": "2021-05-10"}


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def write(tmp_path: Path, obj: Any, name: str = "in.json") -> str:
    path = tmp_path / name
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_one_object_in_one_object_out(tmp_path, capsys):
    code, out, _ = run(["subsidy", "yanchi", write(tmp_path, H)], capsys)
    assert code == 0
    obj = json.loads(out)
    # gshp, 75 m², registered enterprise, accepted: 3500 + 1800; 15200 − 5300 = 9900
    assert obj["status"] == "payable" and obj["total_cny"] == 5300 and obj["household_share_cny"] == 9900
    assert all({"rule", "clause", "detail"} <= set(r) for r in obj["reasons"])


def test_list_in_list_out_same_order(tmp_path, capsys):
    recs = [dict(H, household_id=f"CC-{k}", technology=t) for k, t in enumerate(["gas_boiler", "gshp", "coal_stove"])]
    code, out, _ = run(["subsidy", "yanchi", write(tmp_path, recs)], capsys)
    got = json.loads(out)
    assert code == 0 and [o["household_id"] for o in got] == ["CC-0", "CC-1", "CC-2"]
    assert [o["status"] for o in got] == ["payable", "payable", "ineligible"]


def test_trace_flag_adds_versioned_trace(tmp_path, capsys):
    code, out, _ = run(["subsidy", "yanchi", write(tmp_path, H), "--trace"], capsys)
    trace = json.loads(out)["trace"]
    assert code == 0 and trace["package_version"] and trace["parameters"]


def test_funding_beijing_contract(tmp_path, capsys):
    code, out, _ = run(["funding", "beijing", write(tmp_path, P)], capsys)
    obj = json.loads(out)
    assert code == 0
    # (3,000,000 + 4,000,000) × 0.3 = 2,100,000
    assert obj["eligible"] is True and obj["support_cny"] == 2100000 and obj["support_ratio"] == 0.3
    assert set(obj["approval"]) == {"project_approved_by", "project_document", "fund_report_approved_by"}


BAD_YANCHI = [
    ("missing field", {k: v for k, v in H.items() if k != "invoice_cny"}, "invoice_cny"),
    ("ill-typed field", dict(H, heated_area_m2="seventy"), "heated_area_m2"),
    ("ill-typed bool", dict(H, self_install="yes"), "self_install"),
    ("unknown technology", dict(H, technology="nuclear"), "technology"),
    ("unknown dwelling", dict(H, dwelling="palace"), "dwelling"),
    ("unknown township", dict(H, township="北京"), "township"),
    ("negative area", dict(H, heated_area_m2=-1), "heated_area_m2"),
    ("negative amount", dict(H, invoice_cny=-100), "invoice_cny"),
    ("impossible date", dict(H, installed_on="2022-02-30"), "installed_on"),
    ("acceptance before installation", dict(H, accepted_on="2022-09-01"), "accepted_on"),
]


@pytest.mark.parametrize(("label", "bad", "field"), BAD_YANCHI, ids=[b[0] for b in BAD_YANCHI])
def test_bad_yanchi_record_exit_2_names_record_and_field(tmp_path, capsys, label, bad, field):
    good = dict(H, household_id="OK-1")
    bad = dict(bad, household_id="BAD-7")
    code, out, err = run(["subsidy", "yanchi", write(tmp_path, [good, bad])], capsys)
    assert code == 2
    assert out == ""  # nothing partial on stdout
    assert "BAD-7" in err and field in err and "record 1" in err
    assert "Traceback" not in err


BAD_BEIJING = [
    ("unknown zone", dict(P, zone="mars"), "zone"),
    ("unknown source", dict(P, source="volcano"), "source"),
    ("unknown kind", dict(P, kind="demolition"), "kind"),
    ("negative investment", dict(P, investment_cny={"water_intake": -1}), "investment_cny.water_intake"),
    ("missing applied_on", {k: v for k, v in P.items() if k != "applied_on"}, "applied_on"),
]


@pytest.mark.parametrize(("label", "bad", "field"), BAD_BEIJING, ids=[b[0] for b in BAD_BEIJING])
def test_bad_beijing_record(tmp_path, capsys, label, bad, field):
    code, out, err = run(["funding", "beijing", write(tmp_path, [dict(bad, project_id="BP-3")])], capsys)
    assert code == 2 and out == "" and "BP-3" in err and field in err


def test_record_without_id_is_named_by_position(tmp_path, capsys):
    bad = {k: v for k, v in H.items() if k != "household_id"}
    code, _, err = run(["subsidy", "yanchi", write(tmp_path, [H, H, bad])], capsys)
    assert code == 2 and "record 2" in err and "household_id" in err


def test_file_that_is_not_json(tmp_path, capsys):
    code, out, err = run(["subsidy", "yanchi", write(tmp_path, "household_id,township\nX,Y\n")], capsys)
    assert code == 2 and out == "" and "not valid JSON" in err


def test_missing_file(tmp_path, capsys):
    code, out, err = run(["subsidy", "yanchi", str(tmp_path / "nope.json")], capsys)
    assert code == 2 and out == "" and "cannot read" in err


def test_json_that_is_not_an_object(tmp_path, capsys):
    code, _, err = run(["subsidy", "yanchi", write(tmp_path, "42")], capsys)
    assert code == 2 and "expected a JSON object" in err


def test_params_shows_value_on_a_date(capsys):
    code, out, _ = run(["params", "yanchi.enterprise.registration_required", "--on", "2022-02-28", "--json"], capsys)
    view = json.loads(out)
    assert code == 0 and view["parameters"][0]["on"]["value"] is False
    code, out, _ = run(["params", "yanchi.enterprise.registration_required", "--on", "2022-03-01", "--json"], capsys)
    p = json.loads(out)["parameters"][0]
    assert p["on"]["value"] is True and p["on"]["effective_from"] == "2022-03-01"
    assert "未经专家组认定登记" in p["documentation"] and p["reference"].startswith("盐政办发")


def test_params_unknown_path(capsys):
    code, out, err = run(["params", "yanchi.nope"], capsys)
    assert code == 2 and out == "" and "yanchi.nope" in err


def test_params_folder_lists_children(capsys):
    code, out, _ = run(["params", "beijing.support", "--json"], capsys)
    names = [p["name"] for p in json.loads(out)["parameters"]]
    assert code == 0 and "beijing.support.retrofit_ratio" in names and len(names) == 4


def test_budget_demo_matches_targets_and_reform(tmp_path, capsys):
    xlsx = tmp_path / "budget.xlsx"
    code, out, _ = run(["budget", "yanchi", "--demo", "--json", "--set", "yanchi.subsidy.local_cny=2000",
                        "--xlsx", str(xlsx)], capsys)
    b = json.loads(out)
    assert code == 0 and b["households"] == 27000
    assert b["envelopes"] == {"central_cny": 94500000, "county_cny": 48600000}
    per_year: dict[int, int] = {}
    for row in b["rows"]:
        per_year[row["year"]] = per_year.get(row["year"], 0) + row["households"]
    assert per_year == {2021: 3000, 2022: 14000, 2023: 10000}
    eligible = b["totals"]["payable"] + b["totals"]["pending_acceptance"]
    assert b["totals"]["central_cny"] <= 3500 * eligible
    assert b["reform"]["totals"]["local_cny"] > b["totals"]["local_cny"]
    from openpyxl import load_workbook

    wb = load_workbook(xlsx, read_only=True)
    assert wb.sheetnames == ["预算 budget", "说明 notes"]
    rows = list(wb["预算 budget"].iter_rows(values_only=True))
    wb.close()
    assert rows[0][0].startswith("盐池县") and rows[1][0] == "乡镇 township"  # title line, then the header
    assert rows[1][-1].startswith("改革后 reform")
    data, total = rows[2:-1], rows[-1]
    assert all(isinstance(r[1], int) for r in data)  # years as numbers
    assert sum(r[2] for r in data) == 27000 and sum(r[6] for r in data) == b["totals"]["central_cny"]
    assert sum(r[-4] for r in data) == b["reform"]["totals"]["central_cny"]
    last = len(rows) - 1
    assert total[0] == "合计 total" and total[2] == f"=SUM(C3:C{last})" and total[6] == f"=SUM(G3:G{last})"


def test_budget_warns_when_the_county_cap_would_be_exceeded(capsys):
    code, out, _ = run(["budget", "yanchi", "--demo", "--json", "--set", "yanchi.subsidy.local_cny=3000"], capsys)
    reform = json.loads(out)["reform"]
    assert code == 0 and any(w["code"] == "county_cap_exceeded" for w in reform["warnings"])


def test_budget_reads_csv(tmp_path, capsys):
    csv_path = tmp_path / "h.csv"
    header = list(H)
    rows = [",".join(str(H[k]).lower() if isinstance(H[k], bool) else str(H[k]) for k in header)]
    csv_path.write_text(",".join(header) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    code, out, _ = run(["budget", "yanchi", str(csv_path), "--json"], capsys)
    assert code == 0 and json.loads(out)["totals"]["total_cny"] == 5300


def test_budget_xlsx_must_be_an_xlsx_file(tmp_path, capsys):
    for target in (tmp_path, tmp_path / "out.csv"):
        code, _, err = run(["budget", "yanchi", "--demo", "--xlsx", str(target)], capsys)
        assert code == 2 and "xlsx" in err and "Traceback" not in err
    assert not (tmp_path / "out.csv").exists()


def test_budget_reads_the_ledger_template(tmp_path, capsys):
    import openpyxl

    from cleanheat.registry.services.ledger import COLUMNS, write_template

    tpl = tmp_path / "tpl.xlsx"
    write_template(tpl)
    wb = openpyxl.load_workbook(tpl)
    row = {"household_id": "YC-1", "township": "青山乡", "village": "猫头梁村", "name": "李一",
           "id_number": "64032319851004000X", "phone": "13800000001", "heated_area_m2": "72㎡", "dwelling": "窑洞",
           "technology": "太阳能", "installed_on": "2022/7/1", "self_install": "是", "accepted_on": "2022年9月1日",
           "invoice_cny": "18,000元"}
    wb["台账"].append([row.get(c.field) for c in COLUMNS])
    wb.save(tpl)
    code, out, err = run(["budget", "yanchi", str(tpl), "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["totals"]["total_cny"] == 5300  # solar_aux on a 72 m² cave: 3500 + 1800


def test_budget_bad_set(capsys):
    code, out, err = run(["budget", "yanchi", "--demo", "--set", "yanchi.subsidy.local_cny=lots"], capsys)
    assert code == 2 and out == "" and "--set" in err


def test_typer_exit_code_is_kept(capsys):
    import typer

    from cleanheat.cli import app

    @app.command("_exit_probe", hidden=True)
    def _probe() -> None:
        raise typer.Exit(3)

    try:
        code, _, _ = run(["_exit_probe"], capsys)
    finally:
        app.registered_commands[:] = [c for c in app.registered_commands if c.name != "_exit_probe"]
    assert code == 3


def test_unknown_command_is_a_usage_error_without_traceback(capsys):
    code, out, err = run(["policy"], capsys)
    assert code == 2 and "No such command" in err and "Traceback" not in err


def test_unknown_option_is_a_usage_error(capsys):
    code, _, err = run(["subsidy", "yanchi", "--frobnicate", "x.json"], capsys)
    assert code == 2 and "Traceback" not in err


def test_version(capsys):
    from cleanheat import __version__

    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out.strip() == __version__


def test_params_typo_gets_a_suggestion(capsys):
    code, out, err = run(["params", "yanchi.subsidy.locl_cny"], capsys)
    assert code == 2 and out == "" and "did you mean 'yanchi.subsidy.local_cny'" in err


def test_params_table_is_bilingual_with_readable_units(capsys):
    code, out, _ = run(["params", "yanchi.subsidy"], capsys)
    assert code == 0
    assert "参数 parameter" in out and "单位 unit" in out and "依据 reference" in out
    assert "元" in out and "currency-CNY" not in out
    code, out, _ = run(["params", "technologies.gshp"], capsys)
    assert code == 0 and "technologies.gshp.borehole_length_m" in out
    code, out, _ = run(["params", "technologies.other_high_tech.eta_carnot"], capsys)
    assert "单位 unit: —" in out and "取值范围 valid range: 0 – 1" in out


def test_params_json_gives_the_valid_range(capsys):
    code, out, _ = run(["params", "yanchi.subsidy.local_cny", "--json"], capsys)
    assert json.loads(out)["parameters"][0]["range"] == {"min": 0.0, "max": None, "whole": True}


def test_subsidy_table_names_the_failed_conditions_in_chinese(tmp_path, capsys):
    bad = dict(H, household_id="CC-9", heated_area_m2=45)
    code, out, _ = run(["subsidy", "yanchi", write(tmp_path, [H, bad]), "--table"], capsys)
    assert code == 0
    assert "农户自筹 household 元" in out and "可发放 payable" in out and "不符合 ineligible" in out
    assert "清洁取暖面积低于60平方米" in out and "9,900" in out


def test_funding_beijing_takes_chinese_zone_names(tmp_path, capsys):
    code, out, _ = run(["funding", "beijing", write(tmp_path, dict(P, zone="城市副中心"))], capsys)
    assert code == 0 and json.loads(out)["project_id"] == "CC-P1"
    code, out, err = run(["funding", "beijing", write(tmp_path, dict(P, zone="副中心区"))], capsys)
    assert code == 2 and "city_sub_center 城市副中心" in err


def test_funding_beijing_refuses_misspelt_top_level_fields(tmp_path, capsys):
    code, out, err = run(["funding", "beijing", write(tmp_path, dict(P, ground_heat_balance_okk=True,
                                                                     applied_onn="2021-05-10"))], capsys)
    assert code == 2 and out == ""
    assert "2 errors" in err and "did you mean 'ground_heat_balance_ok'" in err and "did you mean 'applied_on'" in err
