"""After-sales ticket pages and API: open from a household id, advance with notes (audited), the overdue list
per enterprise with lateness, and every role's boundary (a clerk's township, an enterprise's own tickets)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from cleanheat.registry import db
from cleanheat.registry.models import (
    Acceptance,
    AuditEvent,
    Enterprise,
    Household,
    Installation,
    Ticket,
    Township,
    Village,
)
from cleanheat.registry.services import tickets, tickets_view
from tests.web.conftest import csrf_of

HAB, HMC = "惠安堡镇", "花马池镇"


def _read(path: Path, fn: Any) -> Any:
    engine = db.open_database(f"sqlite:///{path}")
    try:
        with db.session_scope(engine, read_only=True) as s:
            return fn(s)
    finally:
        engine.dispose()


def _audit_count(path: Path) -> int:
    return int(_read(path, lambda s: s.execute(select(func.count()).select_from(AuditEvent)).scalar_one()))


def _last_audit(path: Path) -> tuple[str, str, str, str]:
    return tuple(_read(path, lambda s: s.execute(select(AuditEvent.actor, AuditEvent.type, AuditEvent.subject,
                                                        AuditEvent.why)
                                                 .order_by(AuditEvent.seq.desc()).limit(1)).one()))


def _ticket(path: Path, *, enterprise: str | None = None, not_enterprise: str | None = None,
            township: str | None = None, not_township: str | None = None, stage: str | None = None) -> int:
    """The id of a ticket of the demo matching the conditions (the newest)."""
    def find(s: Any) -> int:
        stmt = (select(Ticket.id).join(Household, Ticket.household_id == Household.id)
                .join(Village, Household.village_id == Village.id).join(Township, Village.township_id == Township.id)
                .outerjoin(Enterprise, Ticket.enterprise_id == Enterprise.id).order_by(Ticket.id.desc()).limit(1))
        if enterprise:
            stmt = stmt.where(Enterprise.code == enterprise)
        if not_enterprise:
            stmt = stmt.where(Enterprise.code.is_not(None), Enterprise.code != not_enterprise)
        if township:
            stmt = stmt.where(Township.name == township)
        if not_township:
            stmt = stmt.where(Township.name != not_township)
        if stage:
            stmt = stmt.where(Ticket.stage == stage)
        return int(s.execute(stmt).scalar_one())
    return _read(path, find)


def _accepted_household(path: Path, township: str) -> str:
    """A household of ``township`` with an accepted installation (accepted after 2022-06: within 5 years today)."""
    return str(_read(path, lambda s: s.execute(
        select(Household.household_id).join(Installation, Installation.household_id == Household.id)
        .join(Acceptance, Acceptance.installation_id == Installation.id)
        .join(Village, Household.village_id == Village.id).join(Township, Village.township_id == Township.id)
        .where(Township.name == township, Installation.void.is_(False), Acceptance.accepted_on > dt.date(2022, 6, 1))
        .order_by(Household.household_id).limit(1)).scalar_one()))


def _stage(path: Path, ticket_id: int) -> str:
    return str(_read(path, lambda s: s.get(Ticket, ticket_id).stage))


# ----------------------------------------------------------------------------------------------- reading


def test_the_list_pages_in_the_database_as_the_service_lists(app_ro, client_for, web_demo_file):
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    every = _read(web_demo_file, lambda s: tickets.list_tickets(session=s, enterprise="ENT-01", at=at))
    page1 = _read(web_demo_file, lambda s: tickets_view.ticket_page(session=s, enterprise="ENT-01", at=at,
                                                                    per_page=10))
    page2 = _read(web_demo_file, lambda s: tickets_view.ticket_page(session=s, enterprise="ENT-01", at=at,
                                                                    per_page=10, page=2))
    assert page1["total"] == len(every) > 10
    strip = [{k: v for k, v in r.items() if k != "township"} for r in page1["rows"] + page2["rows"]]
    assert strip == every[:20]
    late = _read(web_demo_file, lambda s: tickets_view.ticket_page(session=s, overdue_only=True, at=at,
                                                                   per_page=500))
    assert late["total"] == sum(r["overdue"] for r in _read(
        web_demo_file, lambda s: tickets.list_tickets(session=s, at=at)))


def test_officer_filters_tickets(app_ro, client_for, web_demo_file):
    c = client_for(app_ro, "officer")
    r = c.get("/api/v1/tickets?enterprise=ENT-02&kind=complaint&per_page=500").json()
    assert r["items"] and {(t["enterprise"], t["kind"]) for t in r["items"]} == {("ENT-02", "complaint")}
    page = c.get("/tickets?enterprise=ENT-02&kind=complaint")
    assert page.status_code == 200 and "投诉" in page.text
    assert f'共 {r["total"]:,} 条' in page.text  # the pager's total
    fragment = c.get("/tickets?stage=opened", headers={"HX-Request": "true", "HX-Target": "results"})
    assert fragment.status_code == 200 and "<html" not in fragment.text and 'data-stage="opened"' in fragment.text
    assert c.get("/api/v1/tickets?stage=nope").status_code == 422


def test_the_filtered_list_url_reloads_to_the_same_list(app_ro, client_for):
    """As the household ledger: the pushed URL of a filtered list, reloaded, gives the whole page with the same
    rows and the filters chosen; an HTMX request gets the rows only and the answer varies with HX-Request (a
    cached fragment never answers a reload); a history restore gets the whole page; the pager keeps the
    filters (an empty field is no filter)."""
    c = client_for(app_ro, "officer")
    url = "/tickets?stage=closed&kind=complaint&page=2"
    fragment = c.get(url, headers={"HX-Request": "true", "HX-Target": "results"})
    full = c.get(url)
    restore = c.get(url, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" not in fragment.text and "<html" in full.text and "<html" in restore.text
    assert fragment.headers["vary"] == full.headers["vary"] == "HX-Request"
    rows = re.findall(r'data-ticket="(\d+)"', fragment.text)
    assert len(rows) == 50 and re.findall(r'data-ticket="(\d+)"', full.text) == rows
    assert '<option value="closed" selected>' in full.text and '<option value="complaint" selected>' in full.text
    for page in (fragment.text, full.text):
        assert 'hx-get="/tickets?stage=closed&amp;kind=complaint&amp;page=3"' in page
        assert 'href="/tickets?stage=closed&amp;kind=complaint&amp;page=1"' in page
    blanks = c.get("/tickets?enterprise=&township=&household=&stage=closed&kind=complaint&category=&page=2")
    assert re.findall(r'data-ticket="(\d+)"', blanks.text) == rows


def test_overdue_per_enterprise_counts_what_the_service_lists(app_ro, client_for, web_demo_file):
    want = Counter(r["enterprise"] for r in _read(web_demo_file, lambda s: tickets.overdue(session=s)))
    assert want  # the demo has unanswered tickets past their deadline
    c = client_for(app_ro, "officer")
    got = {g["enterprise"]: g["overdue"] for g in c.get("/api/v1/tickets/overdue").json()}
    assert got == dict(want)
    page = c.get("/tickets/overdue")
    assert page.status_code == 200 and "天" in page.text  # lateness in days and hours
    code, n = next((k, v) for k, v in want.most_common() if k)
    one = c.get(f"/tickets/overdue?enterprise={code}")
    assert one.text.count("data-ticket=") == min(n, 50)


def test_the_ticket_page_of_a_closed_ticket_offers_no_next_stage(app_ro, client_for, web_demo_file):
    tid = _ticket(web_demo_file, stage="closed")
    page = client_for(app_ro, "officer").get(f"/tickets/{tid}")
    assert page.status_code == 200 and 'data-stage="closed"' in page.text and "已关闭" in page.text
    assert 'data-testid="advance-form"' not in page.text


# ----------------------------------------------------------------------------------------------- writing


def test_a_clerk_opens_a_ticket_for_an_own_township_household(app_rw, client_for, web_copy):
    hid = _accepted_household(web_copy, HAB)
    c = client_for(app_rw, "clerk_hab")
    r = c.post("/tickets", data={"household_id": hid, "kind": "complaint", "category": "heating_effect",
                                 "description": "室内温度不达标", "csrf_token": c.csrf}, follow_redirects=False)
    assert r.status_code == 303, r.text
    tid = int(r.headers["location"].split("/")[2].split("?")[0])
    doc = _read(web_copy, lambda s: tickets.get_ticket(session=s, ticket_id=tid))
    assert (doc["household_id"], doc["kind"], doc["category"], doc["stage"]) == (hid, "complaint", "heating_effect",
                                                                                 "opened")
    assert _last_audit(web_copy)[:3] == ("web:clerk_hab", "cn.cleanheat.ticket.opened", f"ticket/{tid}")
    assert "室内温度不达标" in c.get(r.headers["location"]).text


def test_a_ticket_raised_earlier_keeps_its_date(app_rw, client_for, web_copy):
    hid = _accepted_household(web_copy, HMC)
    c = client_for(app_rw, "officer")
    r = c.post("/tickets", data={"household_id": hid, "category": "quality", "opened_on": "2024-03-04",
                                 "opened_time": "14:30", "csrf_token": c.csrf}, follow_redirects=False)
    assert r.status_code == 303
    tid = int(r.headers["location"].split("/")[2].split("?")[0])
    doc = _read(web_copy, lambda s: tickets.get_ticket(session=s, ticket_id=tid))
    assert doc["opened_at"] == "2024-03-04T06:30:00+00:00"  # 14:30 in Yanchi (UTC+8)


def test_opening_errors_name_the_field_and_store_nothing(app_rw, client_for, web_copy):
    c = client_for(app_rw, "officer")
    before = _audit_count(web_copy)
    hid = _accepted_household(web_copy, HMC)
    bad = c.post("/api/v1/tickets", json={"household_id": hid, "category": "nope"},
                 headers={"X-CSRF-Token": c.csrf})
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "category"
    none = c.post("/api/v1/tickets", json={"household_id": "YC-NOPE", "category": "quality"},
                  headers={"X-CSRF-Token": c.csrf})
    assert none.status_code == 404
    form = c.post("/tickets", data={"household_id": "", "category": "quality", "csrf_token": c.csrf})
    assert form.status_code == 422 and 'data-testid="form-error"' in form.text
    assert _audit_count(web_copy) == before


def test_the_api_opens_with_chinese_names(app_rw, client_for, web_copy):
    hid = _accepted_household(web_copy, HMC)
    c = client_for(app_rw, "officer")
    r = c.post("/api/v1/tickets", json={"household_id": hid, "kind": "投诉", "category": "质量",
                                        "description": "漏水"}, headers={"X-CSRF-Token": c.csrf})
    assert r.status_code == 201
    assert (r.json()["kind"], r.json()["category"], r.json()["stage"]) == ("complaint", "quality", "opened")


def test_ent01_answers_its_own_ticket_but_not_anothers(app_rw, client_for, web_copy):
    own = _ticket(web_copy, enterprise="ENT-01", stage="responded")
    other = _ticket(web_copy, not_enterprise="ENT-01", stage="responded")
    c = client_for(app_rw, "ent01")
    r = c.post(f"/api/v1/tickets/{own}/advance", json={"to": "resolved", "note": "更换控制器"},
               headers={"X-CSRF-Token": c.csrf})
    assert r.status_code == 200 and r.json()["stage"] == "resolved"
    assert r.json()["events"][-1] == {**r.json()["events"][-1], "actor": "web:ent01", "note": "更换控制器"}
    assert _last_audit(web_copy) == ("web:ent01", "cn.cleanheat.ticket.resolved", f"ticket/{own}", "更换控制器")
    before = _audit_count(web_copy)
    assert c.post(f"/api/v1/tickets/{other}/advance", json={"to": "resolved"},
                  headers={"X-CSRF-Token": c.csrf}).status_code == 404
    assert c.post(f"/tickets/{other}/advance", data={"to": "resolved", "csrf_token": c.csrf}).status_code == 404
    assert _stage(web_copy, other) == "responded" and _audit_count(web_copy) == before


def test_an_enterprise_may_answer_but_not_assign_or_close(app_rw, client_for, web_copy):
    hid = str(_read(web_copy, lambda s: s.execute(
        select(Household.household_id).join(Installation, Installation.household_id == Household.id)
        .join(Acceptance, Acceptance.installation_id == Installation.id).join(Enterprise)
        .where(Enterprise.code == "ENT-01", Installation.void.is_(False), Acceptance.accepted_on > dt.date(2022, 6, 1))
        .order_by(Household.household_id).limit(1)).scalar_one()))
    office = client_for(app_rw, "officer")
    opened = office.post("/api/v1/tickets", json={"household_id": hid, "category": "service"},
                         headers={"X-CSRF-Token": office.csrf}).json()
    assert opened["enterprise"] == "ENT-01"
    tid = opened["ticket"]
    c = client_for(app_rw, "ent01")
    page = c.get(f"/tickets/{tid}")
    assert page.status_code == 200 and 'value="responded"' in page.text and 'value="assigned"' not in page.text
    before = _audit_count(web_copy)
    assert c.post(f"/tickets/{tid}/advance", data={"to": "assigned", "csrf_token": c.csrf}).status_code == 403
    assert _stage(web_copy, tid) == "opened" and _audit_count(web_copy) == before
    token = csrf_of(page.text.split('data-testid="advance-form"')[1])  # the form's own token
    r = c.post(f"/tickets/{tid}/advance", data={"to": "responded", "note": "已上门", "csrf_token": token},
               follow_redirects=False)
    assert r.status_code == 303 and _stage(web_copy, tid) == "responded"
    responded = _read(web_copy, lambda s: tickets.get_ticket(session=s, ticket_id=tid))
    assert responded["overdue"] is False  # answered at once, within the response limit
    c.post(f"/tickets/{tid}/advance", data={"to": "resolved", "csrf_token": c.csrf})
    assert _stage(web_copy, tid) == "resolved"
    before = _audit_count(web_copy)
    assert c.post(f"/tickets/{tid}/advance", data={"to": "closed", "csrf_token": c.csrf}).status_code == 403
    assert _stage(web_copy, tid) == "resolved" and _audit_count(web_copy) == before


def test_officer_advances_with_a_note_through_the_form(app_rw, client_for, web_copy):
    tid = _ticket(web_copy, stage="opened")
    c = client_for(app_rw, "officer")
    r = c.post(f"/tickets/{tid}/advance", data={"to": "assigned", "note": "派给安装企业", "csrf_token": c.csrf},
               follow_redirects=False)
    assert r.status_code == 303
    assert _stage(web_copy, tid) == "assigned"
    assert _last_audit(web_copy) == ("web:officer", "cn.cleanheat.ticket.assigned", f"ticket/{tid}", "派给安装企业")
    events = c.get(f"/tickets/{tid}").text.split('data-testid="events"')[1].split("</ol>")[0]
    assert "派给安装企业" in events and "web:officer" in events and "已派单" in events
    wrong = c.post(f"/tickets/{tid}/advance", data={"to": "closed", "csrf_token": c.csrf})
    assert wrong.status_code == 409 and _stage(web_copy, tid) == "assigned"


# ----------------------------------------------------------------------------------------------- boundaries


def test_a_clerk_sees_and_changes_the_own_township_only(app_rw, client_for, web_copy):
    c = client_for(app_rw, "clerk_hab")
    listed = c.get("/api/v1/tickets?per_page=500").json()
    want = _read(web_copy, lambda s: tickets.list_tickets(session=s, township=HAB))
    assert listed["total"] == len(want) and {t["township"] for t in listed["items"]} == {HAB}
    assert c.get(f"/api/v1/tickets?township={HMC}").status_code == 404
    other = _ticket(web_copy, not_township=HAB, stage="responded")
    assert c.get(f"/tickets/{other}").status_code == 404
    assert c.get(f"/api/v1/tickets/{other}").status_code == 404
    before = _audit_count(web_copy)
    assert c.post(f"/tickets/{other}/advance", data={"to": "resolved", "csrf_token": c.csrf}).status_code == 404
    hmc_household = _accepted_household(web_copy, HMC)
    assert c.post("/tickets", data={"household_id": hmc_household, "category": "quality",
                                    "csrf_token": c.csrf}).status_code == 404
    assert c.post("/api/v1/tickets", json={"household_id": hmc_household, "category": "quality"},
                  headers={"X-CSRF-Token": c.csrf}).status_code == 404
    assert _audit_count(web_copy) == before and _stage(web_copy, other) == "responded"


def test_an_enterprise_sees_its_own_tickets_only(app_ro, client_for, web_demo_file):
    c = client_for(app_ro, "ent01")
    listed = c.get("/api/v1/tickets?per_page=500").json()
    want = _read(web_demo_file, lambda s: tickets.list_tickets(session=s, enterprise="ENT-01"))
    assert listed["total"] == len(want) and {t["enterprise"] for t in listed["items"]} == {"ENT-01"}
    assert c.get("/api/v1/tickets?enterprise=ENT-02").status_code == 404
    assert c.get("/tickets?enterprise=ENT-02").status_code == 404
    other = _ticket(web_demo_file, not_enterprise="ENT-01")
    assert c.get(f"/tickets/{other}").status_code == 404
    assert {g["enterprise"] for g in c.get("/api/v1/tickets/overdue").json()} <= {"ENT-01"}
    assert c.get("/tickets/new").status_code == 403


@pytest.mark.parametrize("who", ["auditor", "admin1"])
def test_readers_read_but_never_write(app_rw, client_for, web_copy, who):
    c = client_for(app_rw, who)
    tid = _ticket(web_copy, stage="responded")
    assert c.get(f"/tickets/{tid}").status_code == 200
    assert 'data-testid="advance-form"' not in c.get(f"/tickets/{tid}").text
    before = _audit_count(web_copy)
    assert c.post(f"/tickets/{tid}/advance", data={"to": "resolved", "csrf_token": c.csrf}).status_code == 403
    assert c.post("/api/v1/tickets", json={"household_id": "x", "category": "quality"},
                  headers={"X-CSRF-Token": c.csrf}).status_code == 403
    assert _audit_count(web_copy) == before


def test_inspectors_get_403_and_anonymous_401(app_ro, client_for):
    c = client_for(app_ro, "inspector")
    for path in ("/tickets", "/tickets/1", "/tickets/overdue", "/api/v1/tickets", "/api/v1/tickets/overdue"):
        assert c.get(path).status_code == 403, path
    anon = client_for(app_ro)
    assert anon.get("/api/v1/tickets").status_code == 401
    assert anon.post("/api/v1/tickets/1/advance", json={"to": "resolved"}).status_code == 401
    assert anon.get("/tickets", follow_redirects=False).status_code == 303
