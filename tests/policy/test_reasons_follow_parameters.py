"""Reasons tell the truth: dates and amounts from the parameters they cite, a pass or a failure each,
and a reform value is checked against its parameter instead of being truncated."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from cleanheat.cli import main
from cleanheat.errors import ParameterError
from cleanheat.policy.decide import decide_yanchi
from cleanheat.policy.engine import default_tree

H = {"household_id": "YC-1", "township": "大水坑镇", "heated_area_m2": 80, "dwelling": "brick",
     "technology": "ashp_water", "installed_on": "2022-09-12", "enterprise_registered": True,
     "accepted_on": "2022-10-30", "invoice_cny": 15200}


def reasons(rec: dict[str, Any], tree: Any = None) -> dict[str, dict[str, Any]]:
    return {r["rule"]: r for r in decide_yanchi([rec], tree=tree)[0]["reasons"]}


def test_a_reform_keeping_the_programme_open_shows_its_own_window():
    # before: "Installed within the 2021–2023 programme" for an installation of 2024-09-01
    tree = default_tree().with_overrides({"yanchi.programme.open": True})
    rec = dict(H, installed_on="2024-09-01", accepted_on="2024-10-01")
    out = decide_yanchi([rec], tree=tree)[0]
    assert out["status"] == "payable"
    window = {r["rule"]: r for r in out["reasons"]}["programme_window"]
    assert window["detail"] == "安装日期在项目实施期内（2021年1月1日起）"
    assert window["detail_en"] == "Installed within the programme (from 2021-01-01)"
    assert "2023" not in window["detail"] + window["detail_en"]


def test_the_shipped_window_reads_from_the_parameter():
    out = reasons(dict(H, installed_on="2024-09-01", accepted_on="2024-10-01"))["programme_window"]
    assert out["detail"] == "安装日期不在项目实施期内（2021年1月1日至2023年12月31日），不予补贴"
    assert out["passed"] is False


def test_a_reform_of_the_self_install_date_shows_in_the_installer_reason():
    tree = default_tree().with_overrides({"yanchi.self_install.eligible": False}, start=dt.date(2021, 1, 1))
    tree = tree.with_overrides({"yanchi.self_install.eligible": True}, start=dt.date(2022, 1, 1))
    rec = dict(H, self_install=True, enterprise_registered=None)
    r = reasons(rec, tree)["installer"]
    assert r["detail"] == "自主安装，安装于2022年1月1日以后（含当日），按同一标准补贴"
    assert r["detail_en"] == "Self-installed on or after 2022-01-01: subsidised at the same rates"


def test_amounts_in_reasons_follow_a_reform():
    tree = default_tree().with_overrides({"yanchi.subsidy.local_cny": 2500})
    assert reasons(H, tree)["local_subsidy"]["detail"].startswith("地方资金补贴2500元/户")


def test_a_pre_programme_install_is_outside_the_window_not_unclean_nor_0_m2():
    # the newcomer's case (review C): gshp, 45 m², installed 2020-09-12, accepted 2022-10-01
    rec = dict(H, technology="gshp", heated_area_m2=45, installed_on="2020-09-12", accepted_on="2022-10-01")
    out = decide_yanchi([rec])[0]
    assert out["status"] == "ineligible"
    r = {x["rule"]: x for x in out["reasons"]}
    assert r["clean_method"]["passed"] is True  # a ground-source heat pump is a clean method
    assert r["programme_window"]["passed"] is False
    assert r["minimum_heated_area"]["detail"] == "清洁取暖面积低于60平方米，不予补贴"
    assert r["minimum_heated_area"]["passed"] is False
    assert all("0平方米" not in x["detail"].replace("60平方米", "") for x in out["reasons"])
    assert all("全额补贴" not in x["detail"] and "paid once" not in x["detail_en"] for x in out["reasons"])
    assert sorted(x["rule"] for x in out["reasons"] if not x["passed"]) == ["minimum_heated_area",
                                                                          "programme_window"]


def test_a_2022_install_failing_only_the_area_is_not_told_it_will_be_paid():
    out = decide_yanchi([dict(H, heated_area_m2=45)])[0]
    assert out["status"] == "ineligible"
    assert [x["rule"] for x in out["reasons"] if not x["passed"]] == ["minimum_heated_area"]
    acceptance = {x["rule"]: x for x in out["reasons"]}["acceptance"]
    assert "全额补贴" not in acceptance["detail"] and acceptance["passed"] is True


def test_an_ineligible_household_not_yet_accepted_is_not_told_of_a_commitment():
    out = decide_yanchi([dict(H, heated_area_m2=45, accepted_on=None)])[0]
    acceptance = {x["rule"]: x for x in out["reasons"]}["acceptance"]
    assert acceptance["detail"] == "尚未竣工验收（因上列条件不符，验收后也不予补贴）"
    assert "一次性发放" not in acceptance["detail"] and "commitment" not in acceptance["detail_en"]


def test_every_reason_says_pass_or_fail_and_keeps_the_contract_fields():
    out = decide_yanchi([H])[0]
    assert out["status"] == "payable"
    for r in out["reasons"]:
        assert set(r) == {"rule", "clause", "detail", "detail_en", "passed"} and r["passed"] is True
    pending = decide_yanchi([dict(H, accepted_on=None)])[0]
    assert [x["rule"] for x in pending["reasons"] if not x["passed"]] == ["acceptance"]


def test_no_reason_template_holds_a_number_or_date_of_its_own():
    import re

    from cleanheat.policy.rules import beijing, yanchi

    for reason in (*yanchi.REASONS, *beijing.REASONS):
        for zh, en in reason.details.values():
            for text in (zh, en):
                bare = re.sub(r"\{[^}]*\}", "", text)
                assert not re.search(r"\d{2,}", bare.replace("GB/T 50801-2013", "")), (reason.rule, text)


# ---- reform values: refused when they do not fit, never truncated ------------------------------------------


def test_an_area_reform_keeps_its_decimals():
    # before: 59.5 was stored as 59, and a 59.2 m² house turned payable
    tree = default_tree().with_overrides({"yanchi.eligibility.min_heated_area_m2": 59.5})
    assert tree["yanchi.eligibility.min_heated_area_m2"].at(dt.date(2022, 1, 1)) == 59.5
    assert decide_yanchi([dict(H, heated_area_m2=59.2)], tree=tree)[0]["status"] == "ineligible"
    assert decide_yanchi([dict(H, heated_area_m2=59.5)], tree=tree)[0]["status"] == "payable"
    assert reasons(dict(H, heated_area_m2=59.2), tree)["minimum_heated_area"]["detail"] == \
        "清洁取暖面积低于59.5平方米，不予补贴"


@pytest.mark.parametrize(("name", "value", "why"), [
    ("yanchi.subsidy.local_cny", 2500.5, "whole number"),
    ("yanchi.subsidy.local_cny", -1, "within 0–∞"),
    ("yanchi.subsidy.local_cny", True, "number"),
    ("yanchi.programme.open", 1, "true or false"),
    ("beijing.support.heat_source_ratio", 1.5, "within 0–1"),
    ("yanchi.subsidy.locl_cny", 2000, "did you mean 'yanchi.subsidy.local_cny'"),
])
def test_a_reform_value_that_does_not_fit_is_refused(name, value, why):
    with pytest.raises(ParameterError, match=why):
        default_tree().with_overrides({name: value})


def test_a_whole_yuan_reform_given_as_2500_point_0_is_2500():
    tree = default_tree().with_overrides({"yanchi.subsidy.local_cny": 2500.0})
    value = tree["yanchi.subsidy.local_cny"].at(dt.date(2022, 1, 1))
    assert value == 2500 and isinstance(value, int)


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def test_budget_set_refuses_half_a_yuan_and_keeps_an_area_decimal(tmp_path, capsys):
    path = tmp_path / "h.json"
    houses = [dict(H, heated_area_m2=59.2), dict(H, household_id="YC-2", heated_area_m2=59.7)]
    path.write_text(json.dumps(houses, ensure_ascii=False), encoding="utf-8")
    code, out, err = run(["budget", "yanchi", str(path), "--set", "yanchi.subsidy.local_cny=2500.5"], capsys)
    assert code == 2 and out == "" and "takes a whole number (currency-CNY), got 2500.5" in err
    code, out, _ = run(["budget", "yanchi", str(path), "--json", "--set",
                        "yanchi.eligibility.min_heated_area_m2=59.5"], capsys)
    assert code == 0
    result = json.loads(out)
    # base (60 m²): neither; reform 59.5 m²: the 59.7 m² house only (truncated to 59, both were)
    assert result["totals"]["payable"] == 0 and result["reform"]["totals"]["payable"] == 1
    assert result["reform"]["overrides"] == {"yanchi.eligibility.min_heated_area_m2": 59.5}


def test_budget_set_suggests_the_parameter_name(capsys):
    code, _, err = run(["budget", "yanchi", "--demo", "--set", "yanchi.subsidy.locl_cny=2000"], capsys)
    assert code == 2 and "did you mean 'yanchi.subsidy.local_cny'" in err
