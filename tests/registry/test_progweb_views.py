"""The read-only views of the web's enterprise, report and ticket pages, on SQLite and PostgreSQL: paging and
filters in the database, the overdue grouping, the report book's submission states."""

from __future__ import annotations

import datetime as dt

from cleanheat.clock import at_local
from cleanheat.registry.services import enterprises_view, reports, reports_view, tickets, tickets_view
from tests.registry import factories


def _tickets(session):  # noqa: ANN001, ANN202 - three households of 花马池镇, ENT-A's; two tickets late
    for k in (1, 2, 3):
        factories.accepted_installation(session, k)
    opened = at_local(dt.date(2022, 11, 1), dt.time(9))
    ids = [tickets.open_ticket(session=session, household_id=f"YC-T-{k:06d}", kind=kind, category="quality",
                               description="", actor="乡镇", opened_at=opened + dt.timedelta(hours=k)).id
           for k, kind in ((1, "complaint"), (2, "service"), (3, "complaint"))]
    tickets.advance(session=session, ticket_id=ids[0], to="responded", actor="ENT-A",
                    at=opened + dt.timedelta(hours=3))  # within 48 h
    return opened, ids


def test_ticket_page_filters_pages_and_flags_lateness(session):
    factories.programme(session)
    opened, ids = _tickets(session)
    at = opened + dt.timedelta(days=5)  # the two unanswered ones are past their 48 h
    first = tickets_view.ticket_page(session=session, enterprise="ENT-A", at=at, per_page=2)
    second = tickets_view.ticket_page(session=session, enterprise="ENT-A", at=at, per_page=2, page=2)
    assert (first["total"], first["pages"]) == (3, 2)
    assert [r["ticket"] for r in first["rows"] + second["rows"]] == sorted(ids, reverse=True)
    assert {r["township"] for r in first["rows"]} == {"花马池镇"}
    late = tickets_view.ticket_page(session=session, unanswered_late=True, at=at)
    assert sorted(r["ticket"] for r in late["rows"]) == ids[1:]
    assert late["rows"][0]["late_s"] > 0
    assert tickets_view.ticket_page(session=session, kind="complaint", at=at)["total"] == 2
    assert tickets_view.ticket_page(session=session, township="惠安堡镇", at=at)["total"] == 0
    assert tickets_view.ticket_scope(session=session, ticket_id=ids[0]) == ("花马池镇", "ENT-A")
    assert tickets_view.household_township(session=session, household_id="YC-T-000002") == "花马池镇"
    groups = tickets_view.overdue_by_enterprise(session=session, at=at)
    assert [(g["enterprise"], g["overdue"]) for g in groups] == [("ENT-A", 2)]
    # the oldest unanswered deadline: ticket 2, opened 1 Nov 11:00 (Yanchi), due 48 h later
    assert groups[0]["oldest_respond_by"] == (opened + dt.timedelta(hours=2 + 48)).isoformat()
    assert groups[0]["max_late_s"] == (at - opened - dt.timedelta(hours=50)).total_seconds()
    assert {(r["enterprise"], r["ticket"]) for r in tickets.overdue(session=session, at=at)} == {
        ("ENT-A", i) for i in ids[1:]}


def test_enterprise_summary_and_installation_pages(session):
    factories.programme(session)
    _tickets(session)
    s = enterprises_view.enterprise_summary(session=session, code="ENT-A")
    assert (s["status"], s["next_states"], s["registered_since"]) == ("registered", ["suspended", "revoked"],
                                                                       "2021-03-20")
    assert (s["installations"], s["accepted"], s["complaints"], s["open_tickets"]) == (3, 3, 2, 3)
    assert [h["status"] for h in s["history"]] == ["submitted", "reviewed", "registered"]
    page = enterprises_view.enterprise_installations(session=session, code="ENT-A", per_page=2)
    assert (page["total"], page["pages"], len(page["rows"])) == (3, 2, 2)
    assert page["rows"][0]["accepted_on"] == "2022-07-01" and page["rows"][0]["township"] == "花马池镇"


def test_report_book_states(session):
    factories.programme(session)
    reports.submit_monthly(session=session, township="花马池镇", month="2022-10", submitted_on=dt.date(2022, 10, 25),
                           actor="乡镇")
    reports.submit_monthly(session=session, township="花马池镇", month="2022-09", submitted_on=dt.date(2022, 9, 27),
                           actor="乡镇")
    book = {r["month"]: r for r in reports_view.report_book(session=session, township="花马池镇",
                                                            today=dt.date(2022, 11, 20))}
    assert book["2022-10"]["submission"] == "on_time"
    assert (book["2022-09"]["submission"], book["2022-09"]["late"]) == ("late", True)
    assert book["2022-11"]["submission"] == "pending" and book["2022-08"]["submission"] == "missing"
    assert "2024-01" not in book and reports_view.programme_months()[0] == "2021-06"
    assert reports_view.report_book(session=session, month="2024-01") == []
    # the same states as the report of one month
    rep = reports.monthly(session=session, township="花马池镇", month="2022-08", today=dt.date(2022, 11, 20))
    assert (rep["submission"], rep["late"]) == (book["2022-08"]["submission"], book["2022-08"]["late"])
