"""The household ledger in the browser and its API (cleanheat/web/households.py), over the full demo.

The listing's status is computed in SQL (services/ledger_view.py); here it is checked against
``household_status`` for every one of the 27,000 demo households, the filters and the search against
direct counts, and every role boundary over HTTP.
"""

from __future__ import annotations

import html
import re
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cleanheat.registry import db
from cleanheat.registry.models import Acceptance, AuditEvent, Household, Installation, Payment

OTHER_TOWN_HOUSEHOLD = "YC-2021-000001"  # 花马池镇 红井子村 张军
HAB_HOUSEHOLD = "YC-2021-000386"         # 惠安堡镇 北湾村 周海


@pytest.fixture(scope="module")
def demo_db(web_demo_file: Path) -> sqlite3.Connection:
    con = sqlite3.connect(f"file:{web_demo_file}?mode=ro", uri=True)
    yield con
    con.close()


def count(con: sqlite3.Connection, where: str = "1=1", *args: Any) -> int:
    return int(con.execute(
        "SELECT count(*) FROM household h JOIN village v ON v.id = h.village_id JOIN township t ON t.id = "
        f"v.township_id WHERE {where}", args).fetchone()[0])


def reference_statuses(session: Any) -> dict[str, str]:
    """Every household's status as household_view decides it (household_status over the same inputs and the
    rules engine's decision of the same installation), batched: one decide_yanchi call for all."""
    from cleanheat.policy.decide import decide_yanchi
    from cleanheat.registry.services.household_view import household_status
    from cleanheat.registry.services.installations import decision_records
    from cleanheat.registry.services.payments import standing

    code = dict(session.execute(select(Household.id, Household.household_id)).all())
    merged = {pk for pk, m in session.execute(select(Household.id, Household.merged_into_id)) if m is not None}
    paid = set(session.execute(select(Payment.household_id).where(standing())).scalars())
    installs: dict[int, list[dict[str, Any]]] = {pk: [] for pk in code}
    for iid, hpk, void, acc_on, effect in session.execute(
            select(Installation.id, Installation.household_id, Installation.void, Acceptance.accepted_on,
                   Acceptance.heating_effect_reached)
            .outerjoin(Acceptance, Acceptance.installation_id == Installation.id).order_by(Installation.id)):
        installs[hpk].append({"installation_id": iid, "void": void,
                              "accepted_on": acc_on.isoformat() if acc_on else None,
                              "heating_effect_reached": effect if acc_on else None})
    chosen: dict[int, int] = {}
    for pk, items in installs.items():
        live = [i for i in items if not i["void"]]
        accepted = sorted((i for i in live if i["accepted_on"]), key=lambda i: (i["accepted_on"], i["installation_id"]))
        pick = accepted[0] if accepted else (live[-1] if live else None)
        if pick is not None and pk not in paid:
            chosen[pk] = pick["installation_id"]
    recs = decision_records(session=session, installation_ids=list(chosen.values()))
    decided = dict(zip([iid for iid, _, _ in recs], decide_yanchi([r for _, _, r in recs]), strict=True))
    out = {}
    for pk, items in installs.items():
        decision = decided.get(chosen[pk]) if pk in chosen else None
        out[code[pk]] = household_status(merged=pk in merged, installations=items, paid=pk in paid,
                                         decision=decision)
    return out


def test_sql_status_equals_household_status_for_every_demo_household(web_demo_file: Path) -> None:
    from cleanheat.registry.services import ledger_view
    from cleanheat.registry.services.household_view import household_view

    engine = db.open_database(f"sqlite:///{web_demo_file}")
    try:
        with db.session_scope(engine, read_only=True) as s:
            expected = reference_statuses(s)
            pks = dict(s.execute(select(Household.household_id, Household.id)).all())
            sql = ledger_view.status_of(session=s, household_pks=pks.values())
            got = {c: sql[pk] for c, pk in pks.items()}
            # the batched reference is household_view's answer: checked on a sample of every status
            sample = [c for st in set(expected.values())
                      for c in sorted(c for c, x in expected.items() if x == st)[:15]]
            assert {c: household_view(session=s, household_id=c, timeline=False)["status"] for c in sample} == {
                c: expected[c] for c in sample}
    finally:
        engine.dispose()
    assert len(got) == 27_000
    mismatched = {c: (got[c], expected[c]) for c in expected if got[c] != expected[c]}
    assert not mismatched, list(mismatched.items())[:10]
    assert {"paid", "accepted", "pending", "not_payable"} <= set(Counter(got.values()))


# --------------------------------------------------------------------------------------------
# The list: search, filters, paging
# --------------------------------------------------------------------------------------------


def api(client: Any, **params: Any) -> dict[str, Any]:
    r = client.get("/api/v1/households", params=params)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
def officer(app_ro: Any, client_for_module: Any) -> Any:
    return client_for_module(app_ro, "officer")


@pytest.fixture(scope="module")
def client_for_module() -> Any:
    from fastapi.testclient import TestClient

    from tests.web.conftest import sign_in

    opened: list[TestClient] = []

    def make(app: Any, user: str | None = None) -> TestClient:
        c = TestClient(app, base_url="http://testserver")
        c.__enter__()
        opened.append(c)
        if user:
            sign_in(c, user)
        return c

    yield make
    for c in opened:
        c.__exit__(None, None, None)


def test_search_by_each_key(officer: Any, demo_db: sqlite3.Connection) -> None:
    hid, name, idn, phone, village = demo_db.execute(
        "SELECT household_id, h.name, id_number, phone, v.name FROM household h JOIN village v ON v.id = h.village_id "
        "WHERE household_id = ?", (HAB_HOUSEHOLD,)).fetchone()
    assert [i["household_id"] for i in api(officer, q=hid)["items"]] == [hid]
    assert [i["household_id"] for i in api(officer, q=idn)["items"]] == [hid]
    assert hid in [i["household_id"] for i in api(officer, q=phone)["items"]]
    spaced = f"+86 {phone[:3]}-{phone[3:7]}-{phone[7:]}"                       # as people write it
    assert hid in [i["household_id"] for i in api(officer, q=spaced, per_page=200)["items"]]
    by_name = api(officer, q=name, per_page=200)
    assert by_name["total"] == count(demo_db, "h.name LIKE ? OR v.name LIKE ?", name + "%", name + "%")
    assert hid in [i["household_id"] for i in by_name["items"]]
    by_village = api(officer, q=village)
    assert by_village["total"] == count(demo_db, "v.name LIKE ? OR h.name LIKE ?", village + "%", village + "%")
    assert by_village["total"] > 100
    assert api(officer, q="YC-2023-02699")["total"] == count(demo_db, "household_id LIKE 'YC-2023-02699%'") == 10
    # the page finds it too, and shows the household's row
    page = officer.get("/households", params={"q": idn})
    assert page.status_code == 200 and hid in page.text and name in page.text


@pytest.mark.parametrize(("params", "where", "args"), [
    ({"township": "惠安堡镇"}, "t.name = ?", ("惠安堡镇",)),
    ({"township": "惠安堡镇", "village": "北湾村"}, "t.name = ? AND v.name = ?", ("惠安堡镇", "北湾村")),
    ({"year": "2022"}, "h.programme_year = ?", (2022,)),
    ({"method": "gshp"}, "h.id IN (SELECT household_id FROM installation WHERE technology = ? AND NOT void)",
     ("gshp",)),
    ({"enterprise": "ENT-03"}, "h.id IN (SELECT i.household_id FROM installation i JOIN enterprise e ON e.id = "
     "i.enterprise_id WHERE e.code = ? AND NOT i.void)", ("ENT-03",)),
    ({"status": "paid"}, "h.id IN (SELECT household_id FROM payment WHERE id NOT IN (SELECT payment_id FROM "
     "payment_reversal))", ()),
])
def test_each_filter_total_is_a_direct_count(officer: Any, demo_db: sqlite3.Connection, params: dict[str, str],
                                             where: str, args: tuple[Any, ...]) -> None:
    got = api(officer, **params, per_page=200)
    expected = count(demo_db, where, *args)
    assert got["total"] == expected and 0 < expected < 27_000
    assert got["pages"] == -(-expected // 200) and len(got["items"]) == min(200, expected)
    for item in got["items"]:
        if "township" in params:
            assert item["township"] == params["township"]
        if "year" in params:
            assert item["programme_year"] == int(params["year"])
        if "method" in params:
            assert params["method"] in [i["method"] for i in item["installations"] if not i["void"]]


def test_status_filters_match_the_reference(officer: Any, web_demo_file: Path) -> None:
    engine = db.open_database(f"sqlite:///{web_demo_file}")
    try:
        with db.session_scope(engine, read_only=True) as s:
            statuses = reference_statuses(s)
    finally:
        engine.dispose()
    expected = Counter(statuses.values())
    for status in ("paid", "accepted", "pending", "not_payable", "void", "merged"):
        got = api(officer, status=status, per_page=200)
        assert got["total"] == expected.get(status, 0), status
        assert all(i["status"] == status for i in got["items"])
    both = api(officer, status="not_payable", township="惠安堡镇", year="2023")
    con = sqlite3.connect(f"file:{web_demo_file}?mode=ro", uri=True)
    there = {c for (c,) in con.execute(
        "SELECT household_id FROM household h JOIN village v ON v.id = h.village_id JOIN township t ON "
        "t.id = v.township_id WHERE t.name = '惠安堡镇' AND h.programme_year = 2023")}
    con.close()
    assert both["total"] == sum(1 for c in there if statuses[c] == "not_payable") > 0


def test_paging_walks_every_household_once(officer: Any, demo_db: sqlite3.Connection) -> None:
    first = api(officer, township="花马池镇", per_page=200)
    total = count(demo_db, "t.name = '花马池镇'")
    assert first["total"] == total and first["pages"] == -(-total // 200)
    seen = [i["household_id"] for p in range(1, first["pages"] + 1)
            for i in api(officer, township="花马池镇", per_page=200, page=p)["items"]]
    assert len(seen) == len(set(seen)) == total and seen == sorted(seen)
    assert api(officer, township="花马池镇", per_page=200, page=first["pages"] + 1)["items"] == []
    assert officer.get("/api/v1/households", params={"per_page": 201}).status_code == 422
    assert officer.get("/api/v1/households", params={"page": 0}).status_code == 422
    assert officer.get("/api/v1/households", params={"status": "bogus"}).status_code == 422


def test_the_page_keeps_its_filters_in_the_url(officer: Any, demo_db: sqlite3.Connection) -> None:
    url = "/households?township=惠安堡镇&status=paid&page=3"
    page = officer.get(url)
    assert page.status_code == 200
    total = api(officer, township="惠安堡镇", status="paid")["total"]
    assert f"{total:,} 条记录，第 3/" in page.text or f"{total:,}" in page.text
    assert 'data-status="paid"' in page.text and "已补贴" in page.text
    # the next page's link keeps the filters, for HTMX (hx-get, hx-push-url) and without it
    assert re.search(r'href="/households\?township=%E6%83%A0%E5%AE%89%E5%A0%A1%E9%95%87&amp;status=paid&amp;page=4"',
                     page.text)
    assert 'hx-push-url="true"' in page.text
    # an HTMX request gets the results only (and the village list of the chosen township, out of band)
    frag = officer.get(url, headers={"HX-Request": "true"})
    assert frag.status_code == 200 and "<html" not in frag.text and 'data-testid="households"' in frag.text
    assert 'hx-swap-oob="true"' in frag.text and "北湾村" in frag.text and "红井子村" not in frag.text
    assert frag.headers["vary"] == "HX-Request"
    # a reload (no HTMX) shows the same rows
    assert re.findall(r'href="/households/(YC-[\d-]+)"', frag.text) == re.findall(r'href="/households/(YC-[\d-]+)"',
                                                                                 page.text)[:50]
    assert officer.get("/households?year=abc").status_code == 422


# --------------------------------------------------------------------------------------------
# One household
# --------------------------------------------------------------------------------------------


def test_household_page_shows_the_decision_with_every_reason(officer: Any) -> None:
    page = officer.get(f"/households/{HAB_HOUSEHOLD}")
    assert page.status_code == 200
    text = page.text
    assert "周海" in text and "惠安堡镇" in text and "北湾村" in text
    assert 'data-testid="reasons"' in text
    for clause in ("盐政办发〔2022〕8号 五(一)(二), 六(二)2", "盐政办发〔2022〕8号 六(二)4", "盐政办发〔2022〕8号 四"):
        assert clause in text
    assert "所选方式属于本方案七种重点安装方式或三种附加安装方式" in text  # the reason in Chinese
    assert "经过" in text and "安装" in text                               # the timeline
    doc = officer.get(f"/api/v1/households/{HAB_HOUSEHOLD}").json()
    assert f'data-status="{doc["status"]}"' in text
    assert len(re.findall(r'<li class="list-group-item d-flex gap-2 ', text)) == len(doc["decision"]["reasons"])
    english = html.unescape(officer.get(f"/households/{HAB_HOUSEHOLD}?lang=en").text)
    assert "The method is one of the plan's seven key or three additional clean-heating methods" in english
    assert "Awaiting acceptance" in english or "Paid" in english or "Not payable" in english
    assert "Every reason and clause" in english
    officer.get("/households?lang=zh_CN")  # back to Chinese for the module's other tests


def test_household_api_is_the_cli_json(officer: Any, web_demo_file: Path) -> None:
    import orjson

    from cleanheat.registry.services.household_view import household_view

    engine = db.open_database(f"sqlite:///{web_demo_file}")
    try:
        with db.session_scope(engine, read_only=True) as s:
            doc = orjson.loads(orjson.dumps(household_view(session=s, household_id=HAB_HOUSEHOLD)))
    finally:
        engine.dispose()
    r = officer.get(f"/api/v1/households/{HAB_HOUSEHOLD}")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.json() == doc
    assert officer.get("/api/v1/households/YC-NONE").status_code == 404
    assert officer.get("/households/YC-NONE").status_code == 404


def test_household_page_with_a_ticket_shows_it_in_the_timeline(officer: Any, demo_db: sqlite3.Connection) -> None:
    hid, tid = demo_db.execute("SELECT h.household_id, t.id FROM ticket t JOIN household h ON h.id = t.household_id "
                               "ORDER BY t.id LIMIT 1").fetchone()
    text = officer.get(f"/households/{hid}").text
    assert 'data-testid="tickets"' in text and f"#{tid}" in text and "工单已受理" in text


def test_a_demo_ticket_shows_its_history_on_the_household_and_ticket_pages(officer: Any,
                                                                          demo_db: sqlite3.Connection) -> None:
    """The demo's tickets went through their stages (assigned, answered, resolved, closed) by the township's
    clerk and the enterprise: the household's timeline lists each change with who made it and the note, its
    audit entries name the ticket, and the ticket's page lists the same events."""
    hid, tid, code = demo_db.execute(
        "SELECT h.household_id, t.id, e.code FROM ticket t JOIN household h ON h.id = t.household_id "
        "JOIN enterprise e ON e.id = t.enterprise_id WHERE t.stage = 'closed' AND EXISTS (SELECT 1 FROM "
        "ticket_event v WHERE v.ticket_id = t.id AND v.stage = 'assigned') ORDER BY t.id LIMIT 1").fetchone()
    stages = [r[0] for r in demo_db.execute("SELECT stage FROM ticket_event WHERE ticket_id = ? ORDER BY at, id",
                                            (tid,))]
    assert stages == ["opened", "assigned", "responded", "resolved", "closed"]
    text = officer.get(f"/households/{hid}").text
    timeline = text.split('data-testid="timeline"')[1].split("</ol>")[0]
    for label in ("工单已受理", "工单已派单", "企业已响应", "工单已解决", "工单关闭"):
        assert label in timeline, label
    assert timeline.index("工单已派单") < timeline.index("企业已响应") < timeline.index("工单已解决")
    assert f"#{tid} {code}" in timeline and "派给安装企业" in timeline
    audit_table = text.split('data-testid="audit"')[1].split("</table>")[0]
    assert audit_table.count(f"ticket/{tid}") == 5 and "ticket.resolved" in audit_table
    events = officer.get(f"/tickets/{tid}").text.split('data-testid="events"')[1].split("</ol>")[0]
    assert code in events and "已解决" in events and "回访" in events


# --------------------------------------------------------------------------------------------
# Roles
# --------------------------------------------------------------------------------------------


def test_clerk_sees_the_own_township_only(app_ro: Any, client_for_module: Any, demo_db: sqlite3.Connection) -> None:
    clerk = client_for_module(app_ro, "clerk_hab")
    own = api(clerk, per_page=200)
    assert own["total"] == count(demo_db, "t.name = '惠安堡镇'")
    assert {i["township"] for i in own["items"]} == {"惠安堡镇"}
    assert api(clerk, township="花马池镇")["total"] == 0               # asking for another township finds nothing
    assert api(clerk, q=OTHER_TOWN_HOUSEHOLD)["total"] == 0
    assert clerk.get(f"/households/{OTHER_TOWN_HOUSEHOLD}").status_code == 404
    assert clerk.get(f"/api/v1/households/{OTHER_TOWN_HOUSEHOLD}").status_code == 404
    assert clerk.get(f"/households/{HAB_HOUSEHOLD}").status_code == 200
    assert clerk.get(f"/api/v1/households/{HAB_HOUSEHOLD}").status_code == 200
    page = clerk.get("/households")
    assert page.status_code == 200 and OTHER_TOWN_HOUSEHOLD not in page.text and "花马池镇" not in page.text.split(
        'id="results"')[1]
    assert clerk.get("/households/duplicates").status_code == 403
    other = client_for_module(app_ro, "clerk_hmc")
    assert other.get(f"/households/{HAB_HOUSEHOLD}").status_code == 404
    assert other.get(f"/households/{OTHER_TOWN_HOUSEHOLD}").status_code == 200


def test_clerk_sees_no_duplicate_of_another_township(app_ro: Any, client_for_module: Any) -> None:
    # YC-2022-004597 (惠安堡镇) and YC-2023-017845 (花马池镇) share a phone number in the demo
    officer = client_for_module(app_ro, "officer")
    assert "YC-2023-017845" in officer.get("/households/YC-2022-004597").text.split('data-testid="duplicates"')[1]
    clerk = client_for_module(app_ro, "clerk_hab")
    flags = clerk.get("/households/YC-2022-004597").text.split('data-testid="duplicates"')[1]
    assert "YC-2023-017845" not in flags and "没有疑似重复农户" in flags


def test_roles_that_read_and_those_that_do_not(app_ro: Any, client_for_module: Any) -> None:
    for user in ("inspector", "auditor", "admin1"):
        c = client_for_module(app_ro, user)
        assert c.get("/households").status_code == 200, user
        assert c.get(f"/households/{HAB_HOUSEHOLD}").status_code == 200, user
        assert c.get("/api/v1/households").status_code == 200, user
        assert 'data-testid="merge-form"' not in c.get("/households/YC-2021-000632").text, user
    ent = client_for_module(app_ro, "ent01")
    for url in ("/households", f"/households/{HAB_HOUSEHOLD}", "/api/v1/households", "/households/duplicates",
                f"/api/v1/households/{HAB_HOUSEHOLD}"):
        assert ent.get(url).status_code == 403, url
    anon = client_for_module(app_ro)
    r = anon.get("/households", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert anon.get("/api/v1/households").status_code == 401
    assert client_for_module(app_ro, "inspector").get("/households/duplicates").status_code == 403


def test_duplicates_list(officer: Any, web_demo_file: Path) -> None:
    from cleanheat.registry.services.households import find_duplicates

    engine = db.open_database(f"sqlite:///{web_demo_file}")
    try:
        with db.session_scope(engine, read_only=True) as s:
            pairs = find_duplicates(session=s)
    finally:
        engine.dispose()
    page = officer.get("/households/duplicates")
    assert page.status_code == 200
    assert f"{len(pairs)} 对" in page.text
    for p in pairs:
        assert f'href="/households/{p.a}"' in page.text and f'href="/households/{p.b}"' in page.text
    assert page.text.count('data-testid="merge-form"') == len(pairs)


# --------------------------------------------------------------------------------------------
# Merge and distinct (writes: a private copy of the demo)
# --------------------------------------------------------------------------------------------


def _audit(path: Path, resource: str) -> list[tuple[str, str, str]]:
    engine = db.open_database(f"sqlite:///{path}")
    try:
        with db.session_scope(engine, read_only=True) as s:
            return [tuple(r) for r in s.execute(select(AuditEvent.type, AuditEvent.actor, AuditEvent.why)
                                                 .where(AuditEvent.subject == resource))]
    finally:
        engine.dispose()


def test_merge_needs_a_reason_and_is_audited(app_rw: Any, client_for: Any, web_copy: Path) -> None:
    a, b = "YC-2022-004597", "YC-2023-017845"  # same phone in the demo
    c = client_for(app_rw, "officer")
    page = c.get(f"/households/{a}").text
    assert b in page
    from tests.web.test_ledger import form_token

    form = {"a": a, "b": b, "keep": a, "why": "   ", "csrf_token": form_token(page, "merge-form")}  # as the browser
    r = c.post("/households/merge", data=form, follow_redirects=False)
    assert r.status_code == 422 and "say why" in r.text and 'data-testid="form-error"' in r.text
    assert _audit(web_copy, f"household/{b}") == []
    # a clerk, an auditor, an inspector may not merge, whatever they send
    for user in ("clerk_hmc", "auditor", "inspector", "admin1"):
        other = client_for(app_rw, user)
        r = other.post("/households/merge", data={**form, "why": "x", "csrf_token": other.csrf}, follow_redirects=False)
        assert r.status_code == 403, user
    # both records hold an installation: the service refuses, the page says why, nothing changes
    r = c.post("/households/merge", data={**form, "why": "同一户，电话相同"}, follow_redirects=False)
    assert r.status_code == 409 and "both" in r.text and "hold an installation" in r.text
    assert _audit(web_copy, f"household/{b}") == []
    engine = db.open_database(f"sqlite:///{web_copy}")
    try:
        with db.session_scope(engine) as s:
            from cleanheat.registry.services.installations import void

            void(session=s, installation_id=17845, actor="tests", why="recorded twice")
    finally:
        engine.dispose()
    r = c.post("/households/merge", data={**form, "why": "同一户，电话相同"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/households/{a}?done=merged"
    assert ("cn.cleanheat.household.merged", "web:officer", "同一户，电话相同") in _audit(web_copy, f"household/{b}")
    assert c.get(f"/api/v1/households/{b}").json()["status"] == "merged"
    page = c.get(f"/households/{a}?done=merged")
    assert "重复记录已并入本户" in page.text and b not in page.text.split('data-testid="duplicates"')[1]
    # merging again is a conflict, shown on the page
    r = c.post("/households/merge", data={**form, "why": "again"}, follow_redirects=False)
    assert r.status_code == 409 and "already merged" in r.text


def test_mark_distinct_needs_a_reason_and_is_audited(app_rw: Any, client_for: Any, web_copy: Path) -> None:
    a, b = "YC-2021-000632", "YC-2022-006452"
    c = client_for(app_rw, "officer")
    from tests.web.test_ledger import form_token

    token = form_token(c.get("/households/duplicates").text, "merge-form")
    assert token == c.csrf
    r = c.post("/households/distinct", data={"a": a, "b": b, "why": "", "csrf_token": token, "origin": "duplicates"},
               follow_redirects=False)
    assert r.status_code == 422 and 'data-testid="pairs"' in r.text
    r = c.post("/households/distinct", data={"a": a, "b": b, "why": "两户，父子分户", "csrf_token": c.csrf,
                                             "origin": "duplicates"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/households/duplicates"
    assert ("cn.cleanheat.household.duplicate.distinct", "web:officer", "两户，父子分户") in _audit(
        web_copy, f"household/{a}")
    assert f'href="/households/{b}"' not in c.get("/households/duplicates").text
    assert b not in c.get(f"/households/{a}").text.split('data-testid="duplicates"')[1]
    # without the CSRF token nothing happens
    r = c.post("/households/distinct", data={"a": a, "b": "YC-2021-000001", "why": "x"}, follow_redirects=False)
    assert r.status_code == 403


def test_a_cached_ledger_total_follows_every_audited_change(web_copy: Path) -> None:
    """The rule-free totals are kept per audit chain head: a change outside the log is not seen (it is not
    a change of the registry), the next audited change is."""
    from sqlalchemy import text

    from cleanheat.registry import audit, db
    from cleanheat.registry.services import ledger_view

    engine = db.open_database(f"sqlite:///{web_copy}")
    f = ledger_view.LedgerFilter(township="惠安堡镇")
    try:
        with db.session_scope(engine, read_only=True) as s:
            before = ledger_view.ledger_page(session=s, filters=f).total
        with db.session_scope(engine) as s:
            s.execute(text(
                "INSERT INTO household (household_id, name, id_number, phone, phone_normalised, village_id, address,"
                " heated_area_m2, dwelling, previously_subsidised, programme_year, created_at) SELECT"
                " 'YC-T-000001', name, id_number, phone, phone_normalised, village_id, address, heated_area_m2,"
                " dwelling, previously_subsidised, programme_year, created_at FROM household WHERE id = ("
                " SELECT h.id FROM household h JOIN village v ON v.id = h.village_id JOIN township t"
                " ON t.id = v.township_id WHERE t.name = '惠安堡镇' LIMIT 1)"))
        with db.session_scope(engine, read_only=True) as s:
            assert ledger_view.ledger_page(session=s, filters=f).total == before
        with db.session_scope(engine) as s:
            audit.record(s, actor="tests", action="household.created", resource="household/YC-T-000001")
        with db.session_scope(engine, read_only=True) as s:
            assert ledger_view.ledger_page(session=s, filters=f).total == before + 1
    finally:
        engine.dispose()
