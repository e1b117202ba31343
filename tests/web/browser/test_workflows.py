"""The programme office's day in a real browser (Debian Chromium driven by Playwright), Chinese first.

One server per module over its own copy of the demo; each test signs in as the user whose work it is.
"""

from __future__ import annotations

import re

from tests.web.conftest import PASSWORD


def sign_in(page, live, user: str) -> None:  # noqa: ANN001
    page.goto(f"{live.url}/login")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/login" not in page.url, f"{user} could not sign in"


def number(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text))


def test_the_public_calculator_answers_anonymously_in_chinese(page, live):  # noqa: ANN001
    page.goto(f"{live.url}/calculators")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    form = page.locator("[data-testid=yanchi-form]")
    form.locator("#household_id").fill("YC-0042")
    form.locator("#heated_area_m2").fill("75")
    form.locator("#installed_on").fill("2022-09-12")
    form.locator("#accepted_on").fill("2022-10-20")
    form.locator("#invoice_cny").fill("6800")
    form.locator("button[type=submit]").click()
    decision = page.locator("[data-testid=yanchi-result] [data-testid=decision]")
    decision.wait_for()
    assert decision.locator("[data-testid=reasons] li").count() >= 3
    assert "盐政办发〔2022〕8号" in decision.inner_text()
    assert "/login" not in page.url


def test_an_inspector_records_an_acceptance(page, live):  # noqa: ANN001
    sign_in(page, live, "inspector")
    page.goto(f"{live.url}/acceptance?page=5")  # the first pages are the oldest, refused ones
    row = page.locator("[data-testid=acceptance-list] tbody tr:not(.table-warning) a").first
    row.click()
    page.wait_for_load_state("networkidle")
    form = page.locator("[data-testid=accept-form]")
    installed = form.locator("#accepted_on").get_attribute("min")
    today = form.locator("#accepted_on").get_attribute("max")
    assert installed and today
    form.locator("#accepted_on").fill(today)
    form.locator("#he_yes").check()
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=recorded]").is_visible()
    assert "验收" in page.locator("[data-testid=recorded]").inner_text()


def test_an_enterprise_cannot_record_an_acceptance(page, live):  # noqa: ANN001
    sign_in(page, live, "ent01")
    page.goto(f"{live.url}/acceptance")
    link = page.locator("[data-testid=acceptance-list] tbody tr a").first
    link.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=accept-form]").count() == 0


def test_an_officer_previews_and_pays_a_run_and_the_dashboard_changes(page, live):  # noqa: ANN001
    sign_in(page, live, "officer")
    page.goto(f"{live.url}/")
    paid_before = number(page.locator("[data-testid=kpi-paid]").inner_text())
    page.goto(f"{live.url}/payments")
    page.locator("[data-testid=preview-form] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    pay = page.locator("[data-testid=pay-form] button[type=submit]")
    to_pay = number(re.search(r"\d[\d,]*", pay.inner_text()).group(0))
    assert to_pay > 0
    pay.click()
    page.wait_for_load_state("networkidle")
    page.goto(f"{live.url}/")
    paid_after = number(page.locator("[data-testid=kpi-paid]").inner_text())
    assert paid_after == paid_before + to_pay
    assert page.locator(".chart svg").count() >= 3  # ECharts drew the charts


def test_switching_to_english_is_remembered(page, live):  # noqa: ANN001
    sign_in(page, live, "auditor")
    page.goto(f"{live.url}/audit")
    assert "审计" in page.content()
    page.locator("a[hreflang=en]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Sign out" in page.content()
    page.goto(f"{live.url}/")
    assert page.locator("html").get_attribute("lang") == "en"
    page.locator("a[hreflang=zh-CN]").click()
    page.wait_for_load_state("networkidle")
    assert "退出" in page.content()


def test_a_clerk_finds_a_household_and_sees_why_a_ledger_file_is_refused(page, live, tmp_path):  # noqa: ANN001
    from tests.web.test_ledger import csv_bytes, row

    sign_in(page, live, "clerk_hab")
    page.goto(f"{live.url}/households")
    first = page.locator("a[href^='/households/YC-']").first
    household_id = first.inner_text().strip()
    page.fill("#q", household_id)
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    page.locator(f"a[href='/households/{household_id}']").first.click()
    page.wait_for_load_state("networkidle")
    assert household_id in page.content() and "惠安堡镇" in page.content()
    assert page.locator("[data-testid=reasons] li").count() >= 1  # the decision explains itself

    bad = tmp_path / "台账.csv"
    bad.write_bytes(csv_bytes([row(1), row(2, 身份证号="64032319900101002X"), row(3)]))
    page.goto(f"{live.url}/ledger")
    page.set_input_files("#file", str(bad))
    page.locator("[data-testid=upload] button[type=submit]").click()
    page.locator("[data-testid=job][data-outcome]:not([data-outcome=''])").wait_for()
    page.locator("[data-testid=not-imported]").wait_for()
    errors = page.locator("[data-testid=errors]")
    assert errors.is_visible()
    text = errors.inner_text()
    assert "身份证号" in text and "3" in text  # the row (header is row 1) and the column are named
