"""Payment runs, vouchers and recoveries (追回) over the demo: the preview pays exactly what it showed, a stale
preview is refused, two officers confirming at once pay each household once, the run's XLSX adds up, and
every role's boundary (officer pays; auditor reads; clerk, inspector and enterprise see nothing)."""

from __future__ import annotations

import io
import threading
from typing import Any

import openpyxl
import orjson
from sqlalchemy import func, select

from cleanheat import clock
from cleanheat.registry import db
from cleanheat.registry.models import AuditEvent, AuditHead, Payment, PaymentReversal
from cleanheat.registry.services import acceptance_view, payment_runs
from cleanheat.registry.services.payments import standing


def _read(app: Any):  # noqa: ANN202 - a session context manager
    return db.session_scope(app.state.web.engine, read_only=True)


def _payments(app: Any) -> dict[int, tuple[int, int, int]]:
    """Installation id → (central, county, total) of every payment."""
    with _read(app) as s:
        return {i: (c, loc, t) for i, c, loc, t in s.execute(
            select(Payment.installation_id, Payment.central_cny, Payment.local_cny, Payment.total_cny))}


def _head(app: Any) -> int:
    with _read(app) as s:
        return int(s.execute(select(AuditHead.seq)).scalar_one())


def _preview(c: Any, **body: Any) -> dict[str, Any]:
    r = c.post("/api/v1/payment-runs/preview", headers={"X-CSRF-Token": c.csrf}, json=body)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _pay_form(c: Any, preview: dict[str, Any]) -> dict[str, str]:
    return {"csrf_token": c.csrf, "fingerprint": preview["fingerprint"], "paid_on": preview["paid_on"],
            "township": preview["township"] or "", "why": "月度补贴发放"}


def test_the_preview_pays_exactly_what_it_showed(app_rw, client_for):
    c = client_for(app_rw, "officer")
    before = _payments(app_rw)
    preview = _preview(c, township="惠安堡镇")
    assert preview["paid"] > 0 and preview["dry_run"] is True
    assert preview["total_cny"] == sum(p["total_cny"] for p in preview["payments"])
    assert _payments(app_rw) == before  # a preview writes nothing
    page = c.get("/payments/preview", params={"township": "惠安堡镇", "paid_on": preview["paid_on"]})
    assert page.status_code == 200
    assert preview["fingerprint"] in page.text and f"确认发放 {preview['paid']:,} 户" in page.text
    assert f"¥{preview['total_cny']:,}" in page.text and "对各项资金的影响" in page.text
    r = c.post("/payments/runs", data=_pay_form(c, preview), follow_redirects=False)
    assert r.status_code == 303, r.text
    seq = int(r.headers["location"].rsplit("/", 1)[1])
    after = _payments(app_rw)
    new = {i: v for i, v in after.items() if i not in before}
    assert new == {p["installation_id"]: (p["central_cny"], p["local_cny"], p["total_cny"])
                   for p in preview["payments"]}
    with _read(app_rw) as s:
        ev = s.execute(select(AuditEvent).where(AuditEvent.seq == seq)).scalar_one()
    assert ev.type == "cn.cleanheat.payment.batch" and ev.actor == "web:officer" and ev.why == "月度补贴发放"
    assert ev.subject == "township/惠安堡镇" and orjson.loads(ev.data)["total_cny"] == preview["total_cny"]
    run = c.get(r.headers["location"])
    assert run.status_code == 200 and f"¥{preview['total_cny']:,}" in run.text
    # the envelope effect the preview showed is what happened
    central = next(e for e in preview["envelopes"] if e["source"] == "central")
    assert orjson.loads(ev.data)["envelopes"]["central"]["paid_cny"] == central["paid_after_cny"]


def test_the_api_pays_a_previewed_run(app_rw, client_for):
    c = client_for(app_rw, "officer")
    preview = _preview(c, township="花马池镇")
    r = c.post("/api/v1/payment-runs", headers={"X-CSRF-Token": c.csrf},
               json={"fingerprint": preview["fingerprint"], "paid_on": preview["paid_on"], "township": "花马池镇"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["paid"], body["total_cny"], body["fingerprint"]) == (preview["paid"], preview["total_cny"],
                                                                       preview["fingerprint"])
    listed = c.get("/api/v1/payment-runs").json()
    assert listed["items"][0]["seq"] == body["seq"] and listed["items"][0]["township"] == "花马池镇"


def test_a_stale_preview_is_refused_and_pays_nothing(app_rw, client_for):
    officer = client_for(app_rw, "officer")
    preview = _preview(officer)
    # meanwhile an inspector accepts an installation that the rules will pay
    with _read(app_rw) as s:
        rows = acceptance_view.awaiting_acceptance(session=s, per_page=500).rows
        iid = next(r.installation_id for r in rows if not r.refusals and acceptance_view.installation_acceptance(
            session=s, installation_id=r.installation_id)["decision"]["status"] == "payable")
    inspector = client_for(app_rw, "inspector")
    assert inspector.post(f"/api/v1/installations/{iid}/accept", headers={"X-CSRF-Token": inspector.csrf},
                          json={"date": clock.today().isoformat(), "heating_effect_ok": True}).status_code == 201
    before, head = _payments(app_rw), _head(app_rw)
    r = officer.post("/payments/runs", data=_pay_form(officer, preview), follow_redirects=False)
    assert r.status_code == 409
    assert "自预览以来项目数据已变化" in r.text and "preview again" in r.text
    assert f"确认发放 {preview['paid'] + 1:,} 户" in r.text  # the fresh preview counts the newly payable one
    api = officer.post("/api/v1/payment-runs", headers={"X-CSRF-Token": officer.csrf},
                       json={"fingerprint": preview["fingerprint"], "paid_on": preview["paid_on"]})
    assert api.status_code == 409 and api.json()["stale"] is True
    assert "the programme changed since the preview" in api.json()["detail"]
    assert _payments(app_rw) == before and _head(app_rw) == head  # nothing paid, nothing audited
    fresh = _preview(officer)
    assert fresh["paid"] == preview["paid"] + 1 and fresh["fingerprint"] != preview["fingerprint"]


def test_a_forged_or_missing_fingerprint_is_refused(app_rw, client_for):
    c = client_for(app_rw, "officer")
    preview = _preview(c, township="青山乡")
    before = _payments(app_rw)
    forged = c.post("/api/v1/payment-runs", headers={"X-CSRF-Token": c.csrf},
                    json={"fingerprint": "0" * 64, "paid_on": preview["paid_on"], "township": "青山乡"})
    assert forged.status_code == 409 and forged.json()["stale"]
    short = c.post("/api/v1/payment-runs", headers={"X-CSRF-Token": c.csrf},
                   json={"fingerprint": "abc", "paid_on": preview["paid_on"]})
    assert short.status_code == 422 and short.json()["detail"][0]["field"] == "fingerprint"
    page = c.post("/payments/runs", data={**_pay_form(c, preview), "fingerprint": ""}, follow_redirects=False)
    assert page.status_code == 422
    # the preview's township is part of what was confirmed
    other = c.post("/api/v1/payment-runs", headers={"X-CSRF-Token": c.csrf},
                   json={"fingerprint": preview["fingerprint"], "paid_on": preview["paid_on"], "township": "麻黄山乡"})
    assert other.status_code == 409
    assert _payments(app_rw) == before


def test_two_officers_confirming_at_once_pay_each_household_once(app_rw, client_for):
    clients = [client_for(app_rw, "officer"), client_for(app_rw, "officer")]
    preview = _preview(clients[0])
    before = _payments(app_rw)
    barrier = threading.Barrier(2)
    codes: list[int] = []
    lock = threading.Lock()

    def confirm(c: Any) -> None:
        form = _pay_form(c, preview)
        barrier.wait(timeout=30)
        r = c.post("/payments/runs", data=form, follow_redirects=False)
        with lock:
            codes.append(r.status_code)

    threads = [threading.Thread(target=confirm, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(codes) == [303, 409], codes
    new = set(_payments(app_rw)) - set(before)
    assert len(new) == preview["paid"]
    with _read(app_rw) as s:
        per_household = s.execute(select(Payment.household_id, func.count()).where(standing())
                                  .group_by(Payment.household_id).having(func.count() > 1)).all()
        batches = s.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.type == "cn.cleanheat.payment.batch", AuditEvent.actor == "web:officer")).scalar_one()
    assert per_household == [] and batches == 1


def test_the_run_xlsx_opens_and_sums_to_the_paid_total(app_rw, client_for):
    c = client_for(app_rw, "officer")
    preview = _preview(c, township="大水坑镇")
    r = c.post("/payments/runs", data=_pay_form(c, preview), follow_redirects=False)
    seq = int(r.headers["location"].rsplit("/", 1)[1])
    x = c.get(f"/payments/runs/{seq}.xlsx")
    assert x.status_code == 200 and x.headers["content-type"].startswith("application/vnd.openxmlformats")
    wb = openpyxl.load_workbook(io.BytesIO(x.content), data_only=True)
    ws = wb["已发放 paid"]
    header = [cell.value for cell in ws[1]]
    col = header.index("合计 total CNY")
    data = [row for row in ws.iter_rows(min_row=2, values_only=True) if row[0] != "合计 total"]
    assert len(data) == preview["paid"]
    assert sum(row[col] for row in data) == preview["total_cny"]
    totals = next(row for row in ws.iter_rows(min_row=2, values_only=True) if row[0] == "合计 total")
    assert totals[col] == preview["total_cny"]
    assert {row[header.index("凭证号 voucher")] for row in data} == {p["voucher_no"] for p in preview["payments"]}
    # and the preview's own workbook lists who is not payable, with the failing rules
    px = c.get("/payments/preview.xlsx", params={"township": "大水坑镇"})
    pwb = openpyxl.load_workbook(io.BytesIO(px.content), data_only=True)
    assert "不予补贴 not payable" in pwb.sheetnames


def test_vouchers_are_listed_paged_and_one_has_its_page(app_ro, client_for):
    c = client_for(app_ro, "auditor")
    with _read(app_ro) as s:
        total = s.execute(select(func.count()).select_from(Payment)).scalar_one()
        expected = payment_runs.list_payments(session=s, township="王乐井乡", page=2, per_page=50)
    api = c.get("/api/v1/payments", params={"per_page": 20}).json()
    assert api["total"] == total and len(api["items"]) == 20 and api["pages"] == -(-total // 20)
    second = c.get("/api/v1/payments", params={"per_page": 20, "page": 2}).json()
    assert not {i["voucher_no"] for i in api["items"]} & {i["voucher_no"] for i in second["items"]}
    page = c.get("/payments/vouchers", params={"township": "王乐井乡", "page": 2})
    assert page.status_code == 200 and f"共 {expected.total:,} 条" in page.text
    assert expected.rows[0]["voucher_no"] in page.text
    v = expected.rows[0]
    one = c.get(f"/payments/vouchers/{v['voucher_no']}")
    assert one.status_code == 200 and f"¥{v['total_cny']:,}" in one.text and "盐政办发〔2022〕8号" in one.text
    assert 'data-testid="reverse-form"' not in one.text  # the auditor cannot recover
    assert c.get("/payments/vouchers/BT19990101-NOPE").status_code == 404
    assert c.get("/api/v1/payments/BT19990101-NOPE").status_code == 404


def test_a_recovery_needs_a_reason_and_is_audited(app_rw, client_for):
    c = client_for(app_rw, "officer")
    with _read(app_rw) as s:
        v = payment_runs.list_payments(session=s, per_page=1).rows[0]
    url = f"/payments/vouchers/{v['voucher_no']}"
    assert 'data-testid="reverse-form"' in c.get(url).text
    head = _head(app_rw)
    empty = c.post(f"{url}/reverse", data={"csrf_token": c.csrf, "why": "  ", "on": ""}, follow_redirects=False)
    assert empty.status_code == 422 and 'data-testid="error-why"' in empty.text
    assert _head(app_rw) == head
    r = c.post(f"{url}/reverse", data={"csrf_token": c.csrf, "why": "重复申报，核实后追回", "on": ""},
               follow_redirects=False)
    assert r.status_code == 303
    shown = c.get(r.headers["location"])
    assert "补贴已追回" in shown.text and "重复申报，核实后追回" in shown.text
    with _read(app_rw) as s:
        rev = s.execute(select(PaymentReversal).join(Payment, Payment.id == PaymentReversal.payment_id)
                        .where(Payment.voucher_no == v["voucher_no"])).scalar_one()
        ev = s.execute(select(AuditEvent).where(AuditEvent.type == "cn.cleanheat.payment.reversed")).scalar_one()
    assert rev.actor == "web:officer" and rev.total_cny == v["total_cny"]
    assert ev.actor == "web:officer" and orjson.loads(ev.data)["payment_voucher_no"] == v["voucher_no"]
    again = c.post(f"{url}/reverse", data={"csrf_token": c.csrf, "why": "再次"}, follow_redirects=False)
    assert again.status_code == 409
    api = c.post(f"/api/v1/payments/{v['voucher_no']}/reversal", headers={"X-CSRF-Token": c.csrf},
                 json={"why": "再次"})
    assert api.status_code == 409


def test_the_auditor_reads_payments_but_cannot_pay_or_recover(app_rw, client_for):
    c = client_for(app_rw, "auditor")
    assert c.get("/payments").status_code == 200
    assert 'data-testid="preview-form"' not in c.get("/payments").text
    assert c.get("/api/v1/payment-runs").status_code == 200
    assert c.get("/payments/preview").status_code == 403
    assert c.get("/payments/preview.xlsx").status_code == 403
    before = _payments(app_rw)
    officer = client_for(app_rw, "officer")
    preview = _preview(officer)
    h = {"X-CSRF-Token": c.csrf}
    assert c.post("/api/v1/payment-runs/preview", headers=h, json={}).status_code == 403
    assert c.post("/api/v1/payment-runs", headers=h, json={"fingerprint": preview["fingerprint"],
                                                           "paid_on": preview["paid_on"]}).status_code == 403
    assert c.post("/payments/runs", data=_pay_form(c, preview), follow_redirects=False).status_code == 403
    with _read(app_rw) as s:
        voucher = payment_runs.list_payments(session=s, per_page=1).rows[0]["voucher_no"]
    assert c.post(f"/payments/vouchers/{voucher}/reverse", data={"csrf_token": c.csrf, "why": "x"},
                  follow_redirects=False).status_code == 403
    assert c.post(f"/api/v1/payments/{voucher}/reversal", headers=h, json={"why": "x"}).status_code == 403
    assert _payments(app_rw) == before


def test_clerks_inspectors_and_enterprises_see_no_payments(app_ro, client_for):
    for user in ("clerk_hab", "inspector", "ent01", "admin1"):
        c = client_for(app_ro, user)
        for url in ("/payments", "/payments/vouchers", "/payments/preview", "/api/v1/payments", "/api/v1/payment-runs"):
            assert c.get(url).status_code == 403, (user, url)
        assert c.post("/api/v1/payment-runs/preview", headers={"X-CSRF-Token": c.csrf}, json={}).status_code == 403


def test_the_preview_page_says_why_households_are_not_paid(app_ro, client_for):
    c = client_for(app_ro, "officer")
    page = c.get("/payments/preview")
    assert page.status_code == 200
    assert "不予补贴" in page.text and "未满足的规则" in page.text and "盐政办发〔2022〕8号" in page.text
    assert "疑似重复" in page.text  # the demo holds suspected duplicates
    en = c.get("/payments/preview?lang=en")
    assert "Effect on the envelopes" in en.text and "Not payable" in en.text
    bad = c.get("/payments/preview", params={"paid_on": "2999-01-01"})
    assert bad.status_code == 422


def _area_routes():  # noqa: ANN202
    from cleanheat.web import payments
    from tests.web.conftest import area_routes

    return area_routes(payments, fill="1")


def test_every_route_of_the_area_refuses_anonymous_visitors_and_auditor_writes(app_ro, client_for):
    anon = client_for(app_ro)
    auditor = client_for(app_ro, "auditor")
    seen = 0
    for method, path, url in _area_routes():
        r = anon.request(method, url, headers={"X-CSRF-Token": "x"}, follow_redirects=False)
        if path.startswith("/api/"):
            assert r.status_code == 401, (method, path, r.status_code)
        else:
            assert r.status_code in (303, 403), (method, path, r.status_code)
        if method != "GET":
            r = auditor.request(method, url, headers={"X-CSRF-Token": auditor.csrf}, json={}, follow_redirects=False)
            assert r.status_code == 403, (method, path, r.status_code)
        seen += 1
    assert seen >= 12
