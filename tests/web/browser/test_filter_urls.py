"""Filter forms that update the results with HTMX and push the URL (the household ledger, the tickets list): the
pushed URL names the filters set and nothing else, a reload of it shows the same rows with the same filters
chosen, the pager keeps the filters, and going back restores the page before. In a real browser (Chromium)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.web.browser.test_workflows import sign_in


def _query(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def _rows(page, selector: str) -> list[str]:  # noqa: ANN001
    return [a.get_attribute("href") or "" for a in page.locator(selector).all()]


def _wait_for_query(page, pair: tuple[str, str]) -> None:  # noqa: ANN001
    """Until HTMX has swapped the results in and pushed a URL with ``key=value``."""
    page.wait_for_function("([k, v]) => new URLSearchParams(location.search).get(k) === v", arg=list(pair))
    page.wait_for_load_state("networkidle")


CASES = {
    "tickets": ("/tickets", {"#f-stage": "closed", "#f-kind": "complaint"}, "button[type=submit]",
                "[data-testid=tickets] a[href^='/tickets/']", [("stage", "closed"), ("kind", "complaint")]),
    "households": ("/households", {"#status": "paid", "#year": "2022"}, "button[type=submit]",
                   "[data-testid=households] a[href^='/households/YC-']", [("status", "paid"), ("year", "2022")]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_filtered_list_survives_a_reload_and_the_pager_keeps_its_filters(page, live, case):  # noqa: ANN001
    path, choices, submit, links, wanted = CASES[case]
    sign_in(page, live, "officer")
    page.goto(f"{live.url}{path}")
    everything = _rows(page, links)
    for selector, value in choices.items():
        page.select_option(selector, value)
    page.locator(f"[data-testid=filters] {submit}").first.click()
    _wait_for_query(page, wanted[0])
    assert sorted(_query(page.url)) == sorted(wanted), page.url  # the filters set, no empty ones
    first = _rows(page, links)
    assert first and first != everything
    page.reload()
    page.wait_for_load_state("networkidle")
    assert _rows(page, links) == first and "<html" in page.content()
    for selector, value in choices.items():
        assert page.locator(selector).input_value() == value
    page.locator("nav[aria-label] a.page-link", has_text="下一页").first.click()
    _wait_for_query(page, ("page", "2"))
    assert sorted(_query(page.url)) == sorted([*wanted, ("page", "2")]), page.url
    second = _rows(page, links)
    assert second and set(second).isdisjoint(first)
    page.reload()
    page.wait_for_load_state("networkidle")
    assert _rows(page, links) == second
    for selector, value in choices.items():
        assert page.locator(selector).input_value() == value
    page.go_back()
    page.wait_for_load_state("networkidle")
    assert sorted(_query(page.url)) == sorted(wanted) and _rows(page, links) == first
