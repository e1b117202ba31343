"""The public calculators and the SPEC §7 API: the same decisions as the CLI, byte for byte, and the boundaries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cleanheat.cli import main
from cleanheat.web import public
from tests.web.conftest import csrf_of

# SPEC §7 / README examples: a gas boiler awaiting acceptance in a cave dwelling, a GSHP accepted
H = {"household_id": "YC-0042", "township": "大水坑镇", "heated_area_m2": 75, "dwelling": "cave",
     "technology": "gas_boiler", "installed_on": "2022-09-12", "enterprise_registered": True,
     "accepted_on": None, "invoice_cny": 6800}
H2 = {"household_id": "CC-1", "township": "大水坑镇", "heated_area_m2": 75, "dwelling": "brick", "technology": "gshp",
      "with_rooftop_pv": False, "installed_on": "2022-09-12", "self_install": False, "enterprise_registered": True,
      "previously_subsidised": False, "accepted_on": "2022-10-30", "invoice_cny": 15200}
P = {"project_id": "CC-P1", "zone": "plain_new_towns", "source": "sewage", "kind": "expansion",
     "government_invested": False, "self_funded": False, "main_project_specifies_heat_pump": False,
     "heated_area_m2": 120000, "investment_cny": {"water_intake": 3000000, "heat_pump_units": 4000000,
                                                  "primary_network": 1500000, "indoor_terminals": 900000},
     "permits": {"mining": False, "water_extraction": False}, "ground_heat_balance_ok": True,
     "enterprise_dishonest": False, "applied_on": "2021-05-10"}
P2 = dict(P, project_id="CC-P2", source="deep_geothermal", kind="new_build",
          investment_cny={"wells": 5000000, "heat_pump_units": 3000000, "secondary_network": 800000},
          permits={"mining": True, "water_extraction": True})
HOUSE = {"house_id": "CC-H1", "site": "yanchi", "heated_area_m2": 70, "dwelling": "brick",
         "envelope": "partly_insulated", "gas_available": False}


def cli(args: list[str], payload: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    path = tmp_path / "in.json"
    path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main([*args, str(path)])
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


# ---------------------------------------------------------------------------------------------
# API = CLI
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "args", "records"), [
    ("/api/v1/subsidy/yanchi", ["subsidy", "yanchi"], [H, H2]),
    ("/api/v1/funding/beijing", ["funding", "beijing"], [P, P2]),
])
def test_api_answers_exactly_what_the_cli_prints_for_a_list(app_ro, client_for, tmp_path, capsys, path, args,
                                                            records):
    r = client_for(app_ro).post(path, json=records)
    code, out, _ = cli(args, records, tmp_path, capsys)
    assert r.status_code == 200 and code == 0
    assert r.headers["content-type"] == "application/json"
    assert r.text + "\n" == out  # the same bytes, Chinese kept as is
    got = r.json()
    assert [g.get("household_id", g.get("project_id")) for g in got] == [
        rec.get("household_id", rec.get("project_id")) for rec in records]


def test_api_amounts_and_reasons_are_the_rules(app_ro, client_for):
    got = client_for(app_ro).post("/api/v1/subsidy/yanchi", json=[H, H2]).json()
    # gas boiler: central 3500, no county part, not accepted yet; 6800 − 3500 = 3300 for the household
    assert (got[0]["status"], got[0]["central_cny"], got[0]["local_cny"], got[0]["household_share_cny"]) == (
        "pending_acceptance", 3500, 0, 3300)
    # GSHP, accepted: 3500 + 1800 = 5300; 15200 − 5300 = 9900
    assert (got[1]["status"], got[1]["total_cny"], got[1]["household_share_cny"]) == ("payable", 5300, 9900)
    assert all({"rule", "clause", "detail"} <= set(x) for x in got[1]["reasons"])
    bj = client_for(app_ro).post("/api/v1/funding/beijing", json=P).json()
    # sewage source, expansion: 30 % of heat source + primary network = 0.3 × (3.0 + 4.0 + 1.5) M = 2.55 M
    assert bj["support_cny"] == 2_550_000 and bj["eligible_investment_cny"] == 8_500_000
    assert bj["approval"]["project_approved_by"] == "district_drc"


def test_one_object_in_one_object_out(app_ro, client_for, tmp_path, capsys):
    r = client_for(app_ro).post("/api/v1/subsidy/yanchi", json=H)
    code, out, _ = cli(["subsidy", "yanchi"], H, tmp_path, capsys)
    assert isinstance(r.json(), dict) and r.text + "\n" == out and code == 0


def test_trace_as_the_cli_flag(app_ro, client_for):
    got = client_for(app_ro).post("/api/v1/subsidy/yanchi?trace=true", json=H).json()
    assert got["trace"]["jurisdiction"] == "yanchi" and got["trace"]["parameters"]
    assert "trace" not in client_for(app_ro).post("/api/v1/subsidy/yanchi", json=H).json()


def test_a_bad_record_is_422_naming_record_and_field(app_ro, client_for, tmp_path, capsys):
    bad = [dict(H, household_id="OK-0"), dict(H, household_id="BAD-1", heated_area_m2="abc")]
    r = client_for(app_ro).post("/api/v1/subsidy/yanchi", json=bad)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert detail == [{"message": "must be a number, got 'abc'", "record": "record 1 (household_id=BAD-1)",
                       "field": "heated_area_m2"}]
    code, out, err = cli(["subsidy", "yanchi"], bad, tmp_path, capsys)
    assert code == 2 and out == "" and "record 1 (household_id=BAD-1)" in err and "heated_area_m2" in err


def test_every_bad_field_is_listed(app_ro, client_for):
    r = client_for(app_ro).post("/api/v1/funding/beijing", json=[P, dict(P, project_id="X", zone="mars",
                                                                         heated_area_m2=-1)])
    assert r.status_code == 422
    fields = {(d["record"], d["field"]) for d in r.json()["detail"]}
    assert fields == {("record 1 (project_id=X)", "zone"), ("record 1 (project_id=X)", "heated_area_m2")}


@pytest.mark.parametrize("body", [b"", b"{", b"[1, 2]", b'"text"', b"42", b"null", b"[[]]",
                                  b'{"household_id": NaN}', b"[{}]", b'{"heated_area_m2": 1e999}'])
def test_malformed_bodies_are_422_never_500(app_ro, client_for, body):
    r = client_for(app_ro).post("/api/v1/subsidy/yanchi", content=body,
                                headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["detail"] and all("message" in d for d in r.json()["detail"])


def test_an_empty_list_gives_an_empty_list(app_ro, client_for):
    r = client_for(app_ro).post("/api/v1/funding/beijing", json=[])
    assert r.status_code == 200 and r.json() == []


def test_simulate_needs_a_signed_in_user(app_ro, client_for):
    r = client_for(app_ro).post("/api/v1/simulate", json=HOUSE)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"


def test_simulate_bounds_the_list_before_any_work(app_ro, client_for):
    c = client_for(app_ro, "clerk_hab")
    many = [dict(HOUSE, house_id=f"H{k}") for k in range(public.MAX_SIMULATE_RECORDS + 1)]
    r = c.post("/api/v1/simulate", json=many, headers={"X-CSRF-Token": c.csrf})
    assert r.status_code == 422
    assert f"at most {public.MAX_SIMULATE_RECORDS}" in r.json()["detail"][0]["message"]


def test_simulate_answers_what_the_cli_prints(app_ro, client_for, tmp_path, capsys):
    c = client_for(app_ro, "inspector")
    houses = [HOUSE, dict(HOUSE, house_id="CC-H2", heated_area_m2=95, envelope="insulated")]
    r = c.post("/api/v1/simulate", json=houses, headers={"X-CSRF-Token": c.csrf})
    code, out, _ = cli(["simulate"], houses, tmp_path, capsys)
    assert r.status_code == 200 and code == 0
    assert r.text + "\n" == out
    assert [o["house_id"] for o in r.json()] == ["CC-H1", "CC-H2"] and len(r.json()[0]["options"]) == 11


def test_simulate_from_a_signed_in_browser_needs_the_csrf_header(app_ro, client_for):
    c = client_for(app_ro, "officer")
    assert c.post("/api/v1/simulate", json=HOUSE).status_code == 403


def test_the_openapi_document_describes_the_bodies(app_ro, client_for):
    doc = client_for(app_ro).get("/openapi.json").json()
    body = doc["paths"]["/api/v1/subsidy/yanchi"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    one = body["oneOf"][0]
    assert "heated_area_m2" in one["required"] and "gas_boiler" in one["properties"]["technology"]["enum"]
    assert "/api/v1/simulate" in doc["paths"] and "/api/v1/funding/beijing" in doc["paths"]


# ---------------------------------------------------------------------------------------------
# the calculator pages
# ---------------------------------------------------------------------------------------------


def test_calculator_page_is_open_to_anonymous_visitors_in_chinese(app_ro, client_for):
    r = client_for(app_ro).get("/calculators")
    assert r.status_code == 200
    assert "盐池县农户补贴" in r.text and "北京热泵项目资金支持" in r.text
    assert "燃气壁挂炉" in r.text and "窑洞" in r.text  # the plan's method and dwelling names
    assert 'name="csrf_token"' in r.text and "cleanheat_csrf" in r.headers.get("set-cookie", "")


def _form(c, calc: str, **fields: str) -> dict[str, str]:
    token = csrf_of(c.get("/calculators").text)
    return {"csrf_token": token, "calc": calc, **fields}


YANCHI_FORM = {"household_id": "YC-0042", "township": "大水坑镇", "heated_area_m2": "75", "dwelling": "cave",
               "technology": "gas_boiler", "installed_on": "2022-09-12", "enterprise_registered": "true",
               "accepted_on": "", "invoice_cny": "6,800"}


def test_calculator_answers_with_the_cli_decision_and_every_reason(app_ro, client_for):
    c = client_for(app_ro)
    r = c.post("/calculators", data=_form(c, "yanchi", **YANCHI_FORM), headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert "<html" not in r.text  # an HTMX fragment for the result box
    expected = public.yanchi_record(YANCHI_FORM)
    assert expected == H | {"with_rooftop_pv": False, "self_install": False, "previously_subsidised": False}
    from cleanheat.policy.decide import decide_yanchi

    (decision,) = decide_yanchi([expected])
    assert 'data-status="pending_acceptance"' in r.text and "待验收" in r.text
    assert "¥3,500" in r.text and "¥3,300" in r.text
    for reason in decision["reasons"]:
        assert reason["detail"] in r.text and reason["clause"] in r.text
    assert "所选方式属于本方案七种重点安装方式或三种附加安装方式" in r.text


def test_calculator_in_english_shows_the_english_reasons(app_ro, client_for):
    c = client_for(app_ro)
    c.cookies.set("cleanheat_lang", "en")
    r = c.post("/calculators", data=_form(c, "yanchi", **YANCHI_FORM), headers={"HX-Request": "true"})
    assert "Pending acceptance" in r.text and "The method is one of the plan" in r.text


def test_calculator_without_javascript_gets_the_whole_page(app_ro, client_for):
    c = client_for(app_ro)
    r = c.post("/calculators", data=_form(c, "yanchi", **YANCHI_FORM))
    assert r.status_code == 200 and "<html" in r.text and 'data-testid="decision"' in r.text
    assert 'value="6,800"' in r.text  # the form keeps what was typed


def test_calculator_bad_input_names_the_field(app_ro, client_for):
    c = client_for(app_ro)
    r = c.post("/calculators", data=_form(c, "yanchi", **(YANCHI_FORM | {"heated_area_m2": "abc"})),
               headers={"HX-Request": "true"})
    assert r.status_code == 422
    assert "取暖面积" in r.text and "heated_area_m2" in r.text and "must be a number, got &#39;abc&#39;" in r.text
    assert 'data-testid="decision"' not in r.text


def test_beijing_calculator(app_ro, client_for):
    c = client_for(app_ro)
    fields = {"project_id": "BJ-X", "zone": "plain_new_towns", "source": "sewage", "kind": "expansion",
              "heated_area_m2": "120000", "investment_cny.water_intake": "3000000",
              "investment_cny.heat_pump_units": "4000000", "investment_cny.primary_network": "1500000",
              "investment_cny.indoor_terminals": "900000", "ground_heat_balance_ok": "true",
              "applied_on": "2021-05-10"}
    r = c.post("/calculators", data=_form(c, "beijing", **fields), headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert "¥2,550,000" in r.text and "¥8,500,000" in r.text and "30 %" in r.text
    assert "区发展改革部门" in r.text and "市发展改革委" in r.text  # the approval route (四(一))
    assert "进驻市公共资源综合交易平台开展招投标" in r.text  # an obligation (五(一))
    assert public.beijing_record(fields)["permits"] == {"mining": False, "water_extraction": False}


def test_anonymous_calculator_post_needs_the_double_submit_token(app_ro, client_for):
    c = client_for(app_ro)
    c.get("/calculators")
    r = c.post("/calculators", data={"calc": "yanchi", **YANCHI_FORM})
    assert r.status_code == 403
    r = c.post("/calculators", data={"csrf_token": "forged", "calc": "yanchi", **YANCHI_FORM})
    assert r.status_code == 403


def test_the_form_names_agree_with_the_plan(app_ro):
    """The catalog's Chinese for each method, dwelling and zone is the programme's own name."""
    from cleanheat.codes import DWELLING_NAMES_ZH, TECHNOLOGY_NAMES_ZH
    from cleanheat.registry.services.beijing import SOURCE_NAMES, ZONE_NAMES
    from cleanheat.web.i18n import translations

    zh = translations("zh_CN").gettext
    assert {k: zh(v) for k, v in public.TECHNOLOGY_LABELS.items()} == {str(k): v for k, v in
                                                                       TECHNOLOGY_NAMES_ZH.items()}
    assert {k: zh(v) for k, v in public.DWELLING_LABELS.items()} == {str(k): v for k, v in DWELLING_NAMES_ZH.items()}
    assert {k: zh(v) for k, v in public.ZONE_LABELS.items()} == ZONE_NAMES
    assert {k: zh(v) for k, v in public.SOURCE_LABELS.items()} == SOURCE_NAMES


def test_form_record_leaves_validation_to_the_rules():
    rec = public.yanchi_record({"household_id": " A ", "heated_area_m2": "abc", "invoice_cny": "6800.0",
                                "enterprise_registered": "", "self_install": "true", "accepted_on": ""})
    assert rec["household_id"] == "A" and rec["heated_area_m2"] == "abc" and rec["invoice_cny"] == 6800
    assert rec["enterprise_registered"] is None and rec["self_install"] is True and rec["accepted_on"] is None
    assert "township" not in rec  # missing: the engine names it


# ---------------------------------------------------------------------------------------------
# the boundaries of every route of these areas (public, parameters, audit, beijing, admin)
# ---------------------------------------------------------------------------------------------

ANONYMOUS_OK = {("GET", "/calculators"), ("POST", "/calculators"), ("POST", "/api/v1/subsidy/yanchi"),
                ("POST", "/api/v1/funding/beijing"), ("GET", "/parameters")}
COMPUTING = {("POST", "/calculators"), ("POST", "/api/v1/subsidy/yanchi"), ("POST", "/api/v1/funding/beijing"),
             ("POST", "/api/v1/simulate"), ("POST", "/audit/verify"), ("POST", "/api/v1/audit/verify")}
"""Unsafe methods that store nothing (a calculation, a verification): the auditor may use them."""


def _area_routes():  # noqa: ANN202
    from cleanheat.web import admin, audit, beijing, parameters
    from tests.web.conftest import area_routes

    return area_routes(public, parameters, audit, beijing, admin, fill="BJ-0001")


def test_anonymous_visitors_reach_only_the_calculators_and_the_parameter_pages(app_ro, client_for):
    c = client_for(app_ro)
    token = csrf_of(c.get("/calculators").text)
    seen = 0
    for method, path, url in _area_routes():
        if (method, path) in ANONYMOUS_OK:
            continue
        r = c.request(method, url, data={"csrf_token": token} if method != "GET" else None, follow_redirects=False)
        seen += 1
        if path.startswith("/api/"):
            assert r.status_code == 401, f"{method} {path}: {r.status_code}"
        else:
            assert r.status_code == 303 and r.headers["location"].startswith("/login"), f"{method} {path}"
    assert seen >= 20


def test_the_auditor_changes_nothing_here(app_ro, client_for):
    c = client_for(app_ro, "auditor")
    seen = 0
    for method, path, url in _area_routes():
        if method == "GET" or (method, path) in COMPUTING:
            continue
        r = c.request(method, url, headers={"X-CSRF-Token": c.csrf}, follow_redirects=False)
        seen += 1
        assert r.status_code == 403, f"auditor {method} {path}: {r.status_code}"
    assert seen >= 8


def test_these_areas_catalogs_agree_with_the_shared_one():
    """A text in two catalogs is merged into one: the same Chinese, or the menu and a page would disagree."""
    from babel.messages.pofile import read_po

    from cleanheat.web.i18n import LOCALE_DIR

    def catalog(name: str) -> dict[str, str]:
        with (LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / f"{name}.po").open("rb") as f:
            return {m.id: m.string for m in read_po(f) if isinstance(m.id, str) and m.id and m.string}

    shared = catalog("messages")
    for area in ("public", "audit", "beijing", "parameters", "admin"):
        clash = {k: (v, shared[k]) for k, v in catalog(area).items() if k in shared and shared[k] != v}
        assert not clash, f"{area}.po differs from messages.po: {clash}"
