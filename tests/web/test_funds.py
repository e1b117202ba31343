"""Funds (``/funds``): envelopes, township split and the fund ledger as the services compute them; who reads it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from cleanheat.registry import db
from cleanheat.registry.services import dashboard_view, payments
from cleanheat.spreadsheets import read_cells
from cleanheat.web import funds
from cleanheat.web.i18n import cny, number


@pytest.fixture(scope="module")
def demo(web_demo_file: Path) -> dict[str, Any]:
    """The services' figures on the shared demo, read in one short transaction."""
    engine = db.open_database(f"sqlite:///{web_demo_file}")
    try:
        with db.session_scope(engine, read_only=True) as s:
            return {"spending": payments.envelope_spending(session=s),
                    "hmc_central_pay": dashboard_view.fund_ledger_page(session=s, township="花马池镇", kind="pay",
                                                                       envelope="central"),
                    "by_month": dashboard_view.paid_by_month(session=s)}
    finally:
        engine.dispose()


def value_of(html: str, name: str) -> str:
    match = re.search(rf'data-testid="{re.escape(name)}">([^<]*)<', html)
    assert match, f"no {name} on the page"
    return match.group(1).strip()


PATHS = ("/funds", "/funds/ledger", "/funds/ledger.xlsx", "/api/v1/funds", "/api/v1/funds/ledger")


@pytest.mark.parametrize("user", ["clerk_hab", "inspector", "ent01"])
def test_other_roles_are_refused(app_ro, client_for, user: str) -> None:
    c = client_for(app_ro, user)
    for path in PATHS:
        assert c.get(path).status_code == 403, path


def test_anonymous_is_sent_to_login(app_ro, client_for) -> None:
    c = client_for(app_ro)
    r = c.get("/funds/ledger?kind=pay", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/funds/ledger%3Fkind%3Dpay"
    assert c.get("/api/v1/funds").status_code == 401


@pytest.mark.parametrize("user", ["officer", "admin1", "auditor"])
def test_readers_see_the_envelopes_as_envelope_spending(app_ro, client_for, demo: dict[str, Any], user: str) -> None:
    html = client_for(app_ro, user).get("/funds").text
    spending = demo["spending"]
    for source in ("central", "county", "household"):
        assert value_of(html, f"paid-{source}") == cny(spending[source]["paid_cny"])
        assert value_of(html, f"committed-{source}") == cny(spending[source]["committed_cny"])
    assert value_of(html, "paid-total") == cny(sum(e["paid_cny"] for e in spending.values()))
    assert "资金台账" in html and 'data-testid="ledger"' in html


def test_nothing_to_write_here(app_ro, client_for) -> None:
    html = client_for(app_ro, "auditor").get("/funds").text
    posts = re.findall(r'<form[^>]*method="post"[^>]*>', html)
    assert posts == ['<form method="post" action="/logout" class="d-inline">']
    c = client_for(app_ro, "officer")
    assert c.post("/funds", headers={"X-CSRF-Token": c.csrf}).status_code == 405  # type: ignore[attr-defined]


def test_township_split_adds_up(app_ro, client_for, demo: dict[str, Any]) -> None:
    fig = client_for(app_ro, "officer").get("/api/v1/funds").json()
    spending = demo["spending"]
    assert fig["envelopes"] == spending
    for source in ("central", "county"):
        assert sum(r["paid_cny"][source] for r in fig["by_township"]) == spending[source]["paid_cny"]
        assert sum(r["committed_cny"][source] for r in fig["by_township"]) == spending[source]["committed_cny"]
        assert sum(m["paid_cny"][source] for m in fig["by_month"]) == spending[source]["paid_cny"]


def test_filtered_ledger_page(app_ro, client_for, demo: dict[str, Any]) -> None:
    c = client_for(app_ro, "officer")
    expected = demo["hmc_central_pay"]
    r = c.get("/funds/ledger", params={"township": "花马池镇", "kind": "pay", "envelope": "central", "page": 2})
    assert r.status_code == 200 and "<html" in r.text
    assert value_of(r.text, "total") == f"共 {number(expected['total'])} 条，第 2 / {number(expected['pages'])} 页"
    rows = re.findall(r'<tr data-entry="\d+">(.*?)</tr>', r.text, re.S)
    assert len(rows) == funds.PER_PAGE
    assert all("中央资金" in row and "发放" in row and "花马池镇" in row and "¥3,500" in row for row in rows)
    assert f'data-kind="pay">{cny(expected["amount_cny"])}<' in r.text
    fragment = c.get("/funds/ledger", params={"kind": "pay"}, headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and 'data-testid="ledger"' in fragment.text
    assert 'href="/funds/ledger?kind=pay&amp;page=2"' in fragment.text  # the pager keeps the filter


def test_ledger_api_pages_and_filters(app_ro, client_for, demo: dict[str, Any]) -> None:
    c = client_for(app_ro, "auditor")
    body = c.get("/api/v1/funds/ledger", params={"township": "花马池镇", "kind": "pay", "envelope": "central",
                                                  "per_page": 5}).json()
    assert body["total"] == demo["hmc_central_pay"]["total"] and len(body["rows"]) == 5
    assert {(r["envelope"], r["kind"], r["township"]) for r in body["rows"]} == {("central", "pay", "花马池镇")}
    dated = c.get("/api/v1/funds/ledger", params={"date_from": "2022-09-01", "date_to": "2022-09-30"}).json()
    assert dated["total"] > 0 and all(r["booked_on"].startswith("2022-09") for r in dated["rows"])
    month = next(m for m in demo["by_month"] if m["month"] == "2022-09")
    assert dated["amount_by_kind_cny"]["pay"] == month["total_cny"]  # no recovery in the demo


@pytest.mark.parametrize(("params", "field"), [({"envelope": "provincial"}, "envelope"), ({"kind": "gift"}, "kind"),
                                               ({"date_from": "2022-13-01"}, "date_from"),
                                               ({"date_from": "2023-02-01", "date_to": "2023-01-01"}, "date_from"),
                                               ({"township": "北京"}, "township")])
def test_bad_filters_are_422_naming_the_field(app_ro, client_for, params: dict[str, str], field: str) -> None:
    c = client_for(app_ro, "officer")
    r = c.get("/api/v1/funds/ledger", params=params)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == field
    page = c.get("/funds/ledger", params=params)
    assert page.status_code == 422 and field in page.text


def test_empty_form_fields_are_no_filter(app_ro, client_for) -> None:
    c = client_for(app_ro, "officer")
    r = c.get("/funds/ledger?envelope=&kind=&township=&date_from=&date_to=")
    assert r.status_code == 200 and value_of(r.text, "total").startswith("共 95,269 条")


def test_xlsx_of_the_filtered_ledger(app_ro, client_for, demo: dict[str, Any], tmp_path: Path) -> None:
    r = client_for(app_ro, "officer").get("/funds/ledger.xlsx", params={"township": "花马池镇", "kind": "pay",
                                                                         "envelope": "central"})
    assert r.status_code == 200 and r.headers["content-type"] == funds.XLSX_TYPE
    assert "filename*=UTF-8''%E8%B5%84%E9%87%91%E5%8F%B0%E8%B4%A6" in r.headers["content-disposition"]
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(r.content)
    _sheet, rows = read_cells(path)
    assert rows[0][0].startswith("盐池县清洁取暖资金台账")  # title line
    assert rows[1][:4] == ["记账日期 booked on", "资金来源 envelope", "类型 kind", "金额(元) amount CNY"]
    data, totals = rows[2:-1], rows[-1]
    expected = demo["hmc_central_pay"]
    assert len(data) == expected["total"]
    assert {(row[1], row[2], row[6]) for row in data} == {("中央资金", "发放", "花马池镇")}
    assert totals[0] == "合计 total" and totals[3] == expected["amount_cny"]


def test_monthly_chart_is_valid() -> None:
    from tests.web.test_dashboard import check_option

    by_month = [{"month": "2022-08", "paid_cny": {"central": 350_000, "county": 180_000}, "total_cny": 530_000},
                {"month": "2022-09", "paid_cny": {"central": -3_500, "county": -1_800}, "total_cny": -5_300}]
    option = funds.monthly_chart(by_month, "zh_CN")
    check_option(option)
    assert option["xAxis"]["data"] == ["2022-08", "2022-09"]
    assert [s["name"] for s in option["series"]] == ["中央资金", "地方资金"]
    assert option["series"][0]["data"] == [35.0, -0.35]
