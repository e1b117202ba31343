"""The parameter pages: public reading, search, dated values, the original text, and the CLI's JSON on the API."""

from __future__ import annotations

import json

import pytest

from cleanheat.cli import main
from cleanheat.web.parameters import search, show_value, unit_text


def test_anonymous_visitors_read_the_parameters(app_ro, client_for):
    r = client_for(app_ro).get("/parameters")
    assert r.status_code == 200
    assert 'data-name="yanchi.subsidy.local_cny"' in r.text and "盐政办发〔2022〕8号 六(二)2–3" in r.text
    assert "不能在此编辑（管理员也不能）" in r.text  # the page says why nobody edits them here


def test_search_finds_by_name_clause_or_original_text(app_ro, client_for):
    c = client_for(app_ro)
    by_name = c.get("/parameters", params={"q": "local_cny"}, headers={"HX-Request": "true", "HX-Target": "results"})
    assert "<html" not in by_name.text and 'data-name="yanchi.subsidy.local_cny"' in by_name.text
    assert 'data-name="yanchi.subsidy.central_cny"' not in by_name.text
    by_text = c.get("/parameters", params={"q": "1800元/户"}).text  # words of the plan's own text
    assert 'data-name="yanchi.subsidy.local_cny"' in by_text
    folder = c.get("/parameters", params={"folder": "beijing"}).text
    assert 'data-name="beijing.approval.municipal_threshold_ratio"' in folder and 'data-name="yanchi.' not in folder


def test_value_on_a_date(app_ro, client_for):
    c = client_for(app_ro)
    # yanchi.programme.open: true from 2021-01-01, false from 2024-01-01 (the programme closes)
    r = c.get("/parameters", params={"q": "yanchi.programme.open", "on": "2022-09-01"})
    row = r.text.split('data-name="yanchi.programme.open"')[1].split("</tr>")[0]
    assert "是" in row and "2021-01-01" in row
    later = c.get("/parameters", params={"q": "yanchi.programme.open", "on": "2024-06-01"}).text
    row = later.split('data-name="yanchi.programme.open"')[1].split("</tr>")[0]
    assert "否" in row and "2024-01-01" in row
    assert c.get("/parameters", params={"on": "2022-13-01"}).status_code == 422


def test_one_parameter_with_its_dated_values_and_original_text(app_ro, client_for):
    r = client_for(app_ro).get("/parameters", params={"name": "yanchi.programme.open", "on": "2024-06-01"})
    assert r.status_code == 200
    assert "各时期数值" in r.text and "2021-01-01" in r.text and "2024-01-01" in r.text
    assert 'data-testid="on-value"' in r.text and "2024-06-01 当日：否" in r.text
    doc = client_for(app_ro).get("/parameters", params={"name": "yanchi.subsidy.local_cny"}).text
    assert "地方资金补贴标准为1800元/户" in doc and "cleanheat params yanchi.subsidy.local_cny" in doc
    assert "¥" not in doc.split('data-testid="values"')[1].split("</table>")[0]  # a value, not money formatting


def test_a_folder_name_goes_to_the_search_and_an_unknown_name_is_422(app_ro, client_for):
    c = client_for(app_ro)
    r = c.get("/parameters", params={"name": "yanchi.subsidy"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/parameters?q=yanchi.subsidy"
    bad = c.get("/parameters", params={"name": "yanchi.subsidy.locl_cny"})
    assert bad.status_code == 422 and "yanchi.subsidy.local_cny" in bad.text  # did you mean …


def test_api_is_the_cli_document_for_signed_in_users(app_ro, client_for, capsys):
    assert client_for(app_ro).get("/api/v1/parameters").status_code == 401
    c = client_for(app_ro, "ent01")
    r = c.get("/api/v1/parameters", params={"path": "yanchi.subsidy", "on": "2022-09-01"})
    with pytest.raises(SystemExit) as exc:
        main(["params", "yanchi.subsidy", "--on", "2022-09-01", "--json"])
    assert exc.value.code in (0, None)
    assert r.status_code == 200 and r.json() == json.loads(capsys.readouterr().out)
    assert c.get("/api/v1/parameters", params={"path": "nothing.here"}).status_code == 422


def test_nobody_can_post_to_the_parameters(app_ro, client_for):
    c = client_for(app_ro, "admin1")
    assert c.post("/parameters", data={"csrf_token": c.csrf}).status_code == 405


def test_value_and_unit_texts():
    assert show_value(None).startswith("—")
    assert show_value(["gshp", "ashp_water"]) == "gshp, ashp_water"
    assert show_value({"a": 1500000, "b": 0.25}) == "a: 1,500,000; b: 0.25"
    assert show_value(0.2486) == "0.2486" and show_value(3500) == "3,500"
    assert unit_text("1") == "—" and unit_text("W/(m2 K)") == "W/(m² K)" and unit_text("degC") == "°C"
    assert unit_text("currency-CNY") == "CNY"
    params = [{"name": "a.b", "description": "County subsidy", "reference": "六(二)", "documentation": "1800元"}]
    assert search(params, "county 1800") == params and search(params, "county 1900") == []
