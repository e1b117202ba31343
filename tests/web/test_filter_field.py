"""The filter forms' one field macro (``templates/macros.html``: ``filter_field``): a label for its control, the
chosen value selected or filled in, the empty choice that does not filter, translated choices, a fixed scope
shown but not sent; and the list pages' filter forms made of it keep a reloaded URL's filters."""

from __future__ import annotations

import re

import pytest

from cleanheat.web.app import template_environments


def _render(source: str, **context: object) -> str:
    env = template_environments()["zh_CN"]
    page = env.from_string('{% import "macros.html" as m with context %}' + source)
    return " ".join(page.render(**context).split())


def test_a_select_has_its_label_the_empty_choice_and_the_chosen_value():
    html = _render('{{ m.filter_field("stage", "阶段", "closed", id="f-stage", options=stages.items(), '
                   'translate=true, all="全部") }}', stages={"opened": "Opened", "closed": "Closed"})
    assert '<label class="form-label small mb-0" for="f-stage">阶段</label>' in html
    assert '<select class="form-select form-select-sm" id="f-stage" name="stage">' in html
    assert '<option value="">全部</option>' in html
    assert '<option value="opened">已受理</option>' in html  # through the catalog
    assert '<option value="closed" selected>' in html and html.count(" selected") == 1


def test_values_labels_numbers_and_no_empty_choice():
    html = _render('{{ m.filter_field("year", "年度", 2022, options=[2021, 2022]) }}'
                   '{{ m.filter_field("status", "状态", "", options=["paid"], labels={"paid": "已补贴"}, '
                   'all="全部") }}')
    assert '<option value="2022" selected>2022</option>' in html and '<option value="2021">2021</option>' in html
    assert 'id="year" name="year"> <option value="2021">' in html  # no empty choice asked for
    assert '<option value="paid">已补贴</option>' in html and "selected>已补贴" not in html


def test_inputs_and_a_fixed_scope():
    html = _render('{{ m.filter_field("since", "从", "2022-01-01", type="date") }}'
                   '{{ m.filter_field("q", "查找", none, placeholder="YC-", autocomplete="off") }}'
                   '{{ m.filter_field("township", "乡镇", "惠安堡镇", disabled=true) }}'
                   '{% call m.filter_field("actor", "操作人", "demo", list="actors") %}<datalist id="actors">'
                   '</datalist>{% endcall %}')
    assert '<input class="form-control form-control-sm" type="date" id="since" name="since" value="2022-01-01">' in html
    assert 'id="q" name="q" value="" placeholder="YC-" autocomplete="off">' in html
    assert '<input class="form-control form-control-sm" id="township" value="惠安堡镇" disabled>' in html  # not sent
    assert 'list="actors"> <datalist id="actors"></datalist></div>' in html


@pytest.mark.parametrize(("path", "chosen"), [
    ("/tickets?stage=closed&kind=complaint", {"stage": "closed", "kind": "complaint"}),
    ("/households?status=paid&year=2022&township=惠安堡镇", {"status": "paid", "year": "2022", "township": "惠安堡镇"}),
    ("/funds/ledger?envelope=central&kind=pay", {"envelope": "central", "kind": "pay"}),
    ("/payments/vouchers?state=reversed&township=青山乡", {"state": "reversed", "township": "青山乡"}),
    ("/acceptance?state=failed&township=青山乡", {"state": "failed", "township": "青山乡"}),
    ("/beijing?zone=daxing_airport&status=funded", {"zone": "daxing_airport", "status": "funded"}),
    ("/parameters?folder=yanchi", {"folder": "yanchi"}),
])
def test_each_list_page_shows_the_filters_of_its_url(app_ro, client_for, path, chosen):
    """Every label of the filter form names a control of the form, and the URL's filters are the ones chosen."""
    page = client_for(app_ro, "officer").get(path)
    assert page.status_code == 200
    form = re.search(r'<form[^>]*data-testid="(?:ledger-)?filters".*?</form>', page.text, re.S)
    assert form, path
    for target in re.findall(r'<label class="form-label small mb-0" for="([^"]+)"', form.group(0)):
        assert f'id="{target}"' in form.group(0), target
    for name, value in chosen.items():
        select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', form.group(0), re.S)
        assert select, name
        assert re.search(rf'<option value="{re.escape(value)}"[^>]* selected', select.group(1)), (name, value)
