"""The dashboard (``/``): its figures are the services', each role sees its own, its charts are valid."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from cleanheat.registry import db
from cleanheat.registry.models import AuditEvent
from cleanheat.registry.services import payments, reports
from cleanheat.web import dashboard
from cleanheat.web.i18n import cny, number


@pytest.fixture(scope="module")
def demo(web_demo_file: Path) -> dict[str, Any]:
    """The services' own figures on the shared demo (read in one short transaction: a long one would
    hold SQLite's lock against the logins of the other tests)."""
    from cleanheat.registry.services.beijing import zone_progress

    engine = db.open_database(f"sqlite:///{web_demo_file}")
    try:
        with db.session_scope(engine, read_only=True) as s:
            return {"spending": payments.envelope_spending(session=s), "status": reports.status(session=s),
                    "plan": reports.plan(session=s), "zones": zone_progress(session=s)}
    finally:
        engine.dispose()


def value_of(html: str, name: str) -> str:
    match = re.search(rf'data-testid="{re.escape(name)}">([^<]*)<', html)
    assert match, f"no {name} on the page"
    return match.group(1).strip()


# --------------------------------------------------------------------------------------------
# Who gets in
# --------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(app_ro, client_for) -> None:
    c = client_for(app_ro)
    r = c.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/"
    assert c.get("/api/v1/dashboard").status_code == 401


@pytest.mark.parametrize(("user", "home"), [("inspector", "/acceptance"), ("ent01", "/tickets")])
def test_roles_without_a_dashboard_go_to_their_page(app_ro, client_for, user: str, home: str) -> None:
    c = client_for(app_ro, user)
    r = c.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == home
    assert c.get("/api/v1/dashboard").status_code == 403


@pytest.mark.parametrize("user", ["officer", "admin1", "auditor", "clerk_hab"])
def test_dashboard_roles_see_it(app_ro, client_for, user: str) -> None:
    r = client_for(app_ro, user).get("/")
    assert r.status_code == 200
    assert "分乡镇分年度改造户数与目标（附件1）" in r.text and 'class="chart"' in r.text


# --------------------------------------------------------------------------------------------
# The figures are the services'
# --------------------------------------------------------------------------------------------


def test_money_on_the_page_is_envelope_spending(app_ro, client_for, demo: dict[str, Any]) -> None:
    html = client_for(app_ro, "officer").get("/").text
    spending = demo["spending"]
    for source in ("central", "county", "household"):
        assert value_of(html, f"paid-{source}") == cny(spending[source]["paid_cny"])
    total = spending["central"]["paid_cny"] + spending["county"]["paid_cny"]
    assert value_of(html, "paid-total") == cny(total) == cny(demo["status"]["total_paid_cny"])
    assert total > 100_000_000  # the demo has paid most households


def test_pipeline_and_conversions_are_status_and_plan(app_ro, client_for, demo: dict[str, Any]) -> None:
    html = client_for(app_ro, "officer").get("/").text
    st = demo["status"]
    assert value_of(html, "pipeline-paid") == number(st["paid"])
    assert value_of(html, "kpi-awaiting-acceptance") == number(st["installations"] - st["accepted"])
    plan = {r["township"]: r for r in demo["plan"]}
    row = re.search(r'<tr data-township="大水坑镇">(.*?)</tr>', html, re.S)
    assert row
    cells = re.findall(r'<td class="num">([^<]*)</td>', row.group(1))
    p = plan["大水坑镇"]
    expected = [number(p[f"{k}_{y}"]) for y in (2021, 2022, 2023) for k in ("planned", "done", "paid")]
    assert cells[:9] == expected
    assert value_of(html, "kpi-converted") == number(plan["合计"]["done_total"])


def test_clerk_sees_only_the_own_township(app_ro, client_for) -> None:
    c = client_for(app_ro, "clerk_hab")
    html = c.get("/").text
    assert value_of(html, "scope") == "惠安堡镇"
    assert 'data-township="惠安堡镇"' in html
    assert "花马池镇" not in html and 'data-township="合计"' not in html
    assert 'data-testid="ranking"' not in html and 'data-testid="zones"' not in html
    fig = c.get("/api/v1/dashboard").json()
    assert [r["township"] for r in fig["conversions"]] == ["惠安堡镇"]
    assert {r["township"] for r in fig["lateness"]["by_township"]} == {"惠安堡镇"}
    assert {r["township"] for r in fig["lateness"]["laggards"]} <= {"惠安堡镇"}
    assert fig["ranking"] is None and fig["zones"] is None
    county = client_for(app_ro, "officer").get("/api/v1/dashboard").json()
    assert fig["envelopes"] == county["envelopes"]  # county-wide facts, read only
    assert fig["pipeline"]["installations"] < county["pipeline"]["installations"]


def test_ranking_and_zones_for_the_county(app_ro, client_for, demo: dict[str, Any]) -> None:
    fig = client_for(app_ro, "auditor").get("/api/v1/dashboard").json()
    assert fig["ranking"]["half"] == "2023-H2"
    last = fig["ranking"]["rows"][-1]
    assert last["enterprise"] == "ENT-12" and last["outcome"] == "revoke"  # the demo's poor service
    assert fig["zones"] == demo["zones"]


def test_english_page(app_ro, client_for) -> None:
    r = client_for(app_ro, "officer").get("/?lang=en")
    assert "Households converted vs target, by township and year (Annex 1)" in r.text
    assert "Air-source heat pump water heater" in r.text and "空气源热泵热水机" not in r.text


def test_the_page_after_a_payment_shows_the_new_total(app_rw, client_for, web_copy: Path) -> None:
    c = client_for(app_rw, "officer")
    before = c.get("/").text
    engine = db.open_database(f"sqlite:///{web_copy}")
    try:
        with db.session_scope(engine) as s:
            preview = payments.pay_accepted(session=s, actor="tests", township="青山乡", dry_run=True)
            first = preview.payments[0]
            paid = payments.pay_installation(session=s, installation_id=first["installation_id"], actor="web:officer")
        with db.session_scope(engine, read_only=True) as r:
            spending = payments.envelope_spending(session=r)
    finally:
        engine.dispose()
    after = c.get("/").text
    amount = lambda html, name: int(value_of(html, name).lstrip("¥").replace(",", ""))  # noqa: E731
    assert amount(after, "paid-central") == amount(before, "paid-central") + paid.central_cny
    assert amount(after, "paid-total") == amount(before, "paid-total") + paid.total_cny > 0
    assert amount(after, "paid-county") == spending["county"]["paid_cny"]
    assert int(value_of(after, "pipeline-paid").replace(",", "")) == int(
        value_of(before, "pipeline-paid").replace(",", "")) + 1


def test_the_dashboard_stores_nothing(app_rw, client_for, web_copy: Path) -> None:
    def entries() -> int:
        engine = db.open_database(f"sqlite:///{web_copy}")
        try:
            with db.session_scope(engine, read_only=True) as s:
                return s.query(AuditEvent).count()
        finally:
            engine.dispose()

    c = client_for(app_rw, "officer")
    n = entries()
    for path in ("/", "/?lang=en", "/api/v1/dashboard"):
        assert c.get(path).status_code == 200
    assert entries() == n


# --------------------------------------------------------------------------------------------
# Chart options (pure functions)
# --------------------------------------------------------------------------------------------

SERIES_TYPES = {"bar", "pie", "funnel"}


def check_option(option: dict[str, Any]) -> None:
    """An ECharts option as cleanheat.js hands it to ``setOption``: plain JSON, known series types,
    one value per category, finite numbers, named series."""
    text = json.dumps(option, allow_nan=False, ensure_ascii=False)
    assert json.loads(text) == option
    assert option["series"], "no series"
    categories = None
    for axis in ("xAxis", "yAxis"):
        if isinstance(option.get(axis), dict) and option[axis].get("type") == "category":
            categories = option[axis]["data"]
    for s in option["series"]:
        assert s["type"] in SERIES_TYPES and isinstance(s["name"], str) and s["name"]
        values = [d["value"] if isinstance(d, dict) else d for d in s["data"]]
        assert all(isinstance(v, int | float) and math.isfinite(v) for v in values)
        if s["type"] == "bar":
            assert categories is not None and len(values) == len(categories)
        else:
            assert all(isinstance(d["name"], str) and d["name"] for d in s["data"])


def test_chart_options_of_the_demo_are_valid(app_ro, client_for) -> None:
    fig = client_for(app_ro, "officer").get("/api/v1/dashboard").json()
    fig["years"] = [int(y) for y in fig["years"]]
    for r in fig["conversions"]:
        for k in ("planned", "done", "paid"):
            r[k] = {int(y): n for y, n in r[k].items()}
    for lang in ("zh_CN", "en"):
        options = [dashboard.conversions_chart(fig["conversions"], fig["years"], lang),
                   dashboard.envelope_chart(fig["envelopes"], lang), dashboard.method_chart(fig["methods"], lang),
                   dashboard.pipeline_chart(fig["pipeline"], lang),
                   dashboard.lateness_chart(fig["lateness"]["by_township"], lang),
                   dashboard.zone_chart(fig["zones"], lang)]
        for option in options:
            check_option(option)
    conv = dashboard.conversions_chart(fig["conversions"], fig["years"], "zh_CN")
    assert "合计" not in conv["xAxis"]["data"] and len(conv["xAxis"]["data"]) == 8
    assert [s["name"] for s in conv["series"]] == ["目标", "已验收", "已补贴"]


def test_one_township_is_charted_by_year() -> None:
    row = {"township": "惠安堡镇", "planned": {2021: 625, 2022: 3500, 2023: 1500},
           "done": {2021: 625, 2022: 3459, 2023: 1367}, "paid": {2021: 583, 2022: 3243, 2023: 1157},
           "planned_total": 5625, "done_total": 5451, "paid_total": 4983}
    option = dashboard.conversions_chart([row], [2021, 2022, 2023], "en")
    check_option(option)
    assert option["xAxis"]["data"] == ["2021", "2022", "2023"]
    assert option["series"][1] == {"name": "Accepted", "type": "bar", "barMaxWidth": 48, "data": [625, 3459, 1367]}


def test_envelope_chart_in_10k_cny_and_over_the_cap() -> None:
    envelopes = {
        "central": {"cap_cny": 94_500_000, "paid_cny": 90_000_000, "committed_cny": 6_000_000,
                    "left_cny": 4_500_000, "left_after_commitments_cny": -1_500_000},
        "county": {"cap_cny": 48_600_000, "paid_cny": 40_000_000, "committed_cny": 2_000_000,
                   "left_cny": 8_600_000, "left_after_commitments_cny": 6_600_000},
        "household": {"cap_cny": 216_000_000, "paid_cny": 0, "committed_cny": 0, "left_cny": 216_000_000,
                      "left_after_commitments_cny": 216_000_000},
    }
    option = dashboard.envelope_chart(envelopes, "zh_CN")
    check_option(option)
    assert option["yAxis"]["data"] == ["中央资金", "地方资金"]  # households' own funds are not paid here
    by_name = {s["name"]: s["data"] for s in option["series"]}
    # 90,000,000 CNY = 9,000 万元; central is 1,500,000 over its cap (150 万元), nothing left
    assert by_name["已支付"] == [9000.0, 4000.0] and by_name["已承诺未发放"] == [600.0, 200.0]
    assert by_name["扣除承诺后余额"] == [0.0, 660.0] and by_name["超出额度"] == [150.0, 0.0]
    assert "超出额度" not in {s["name"] for s in dashboard.envelope_chart(
        {"county": envelopes["county"]}, "zh_CN", sources=("county",))["series"]}


def test_method_and_zone_names_follow_the_language() -> None:
    methods = [{"technology": "gas_boiler", "installations": 3}, {"technology": "gshp", "installations": 1}]
    zh = dashboard.method_chart(methods, "zh_CN")
    en = dashboard.method_chart(methods, "en")
    check_option(zh)
    assert [d["name"] for d in zh["series"][0]["data"]] == ["燃气壁挂炉", "地源热泵"]
    assert [d["name"] for d in en["series"][0]["data"]] == ["Gas wall boiler", "Ground-source heat pump"]
    zones = [{"zone": "city_sub_center", "by_year": 2022, "target_m2": 4_500_000.0, "recorded_m2": 5_820_700.0}]
    option = dashboard.zone_chart(zones, "zh_CN")
    check_option(option)
    assert option["yAxis"]["data"] == ["北京城市副中心"] and option["series"][1]["data"] == [582.07]
    pipe = dashboard.pipeline_chart({"installations": 10, "accepted": 8, "paid": 5}, "en")
    check_option(pipe)
    assert [d["value"] for d in pipe["series"][0]["data"]] == [10, 8, 5]
    assert set(dashboard.METHOD_NAMES_EN) == set(dashboard.TECHNOLOGY_NAMES_ZH)
    assert set(dashboard.ZONE_NAMES_EN) == set(dashboard.ZONE_NAMES)
