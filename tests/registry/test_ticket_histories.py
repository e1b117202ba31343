"""Tickets recorded with their history in one go (:func:`cleanheat.registry.services.tickets.record_histories`,
what the demo loads its tickets through): the same rows, events and audit entries as ``open_ticket`` then
``advance`` step by step, the same rules, and the demo's tickets carrying a history the pages show."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cleanheat.clock import at_local
from cleanheat.errors import Conflict, InputError
from cleanheat.registry import audit
from cleanheat.registry.models import AuditEvent, Household, Ticket, TicketEvent
from cleanheat.registry.services import demo, ledger_view, tickets
from cleanheat.registry.services.demo import load_demo
from tests.registry import factories

OPENED = at_local(dt.date(2022, 11, 3), dt.time(10))
STEPS = [tickets.Step("assigned", OPENED + dt.timedelta(hours=2), "乡镇", "派给安装企业"),
         tickets.Step("responded", OPENED + dt.timedelta(hours=50), "ENT-A", "已上门"),
         tickets.Step("resolved", OPENED + dt.timedelta(days=3), "ENT-A", "已维修"),
         tickets.Step("closed", OPENED + dt.timedelta(days=4), "乡镇", "回访")]
"""A ticket answered 50 h after its opening: after the 48 h limit (yanchi.after_sales.response_limit_hours), so
overdue."""


def _state(session: Session, tid: int) -> tuple[Any, list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    t = session.get(Ticket, tid)
    assert t is not None
    row = (t.kind, t.category, t.household_id, t.installation_id, t.enterprise_id, t.stage, t.description,
           t.opened_at, t.respond_by, t.responded_at, t.closed_at, t.overdue)
    events = [tuple(r) for r in session.execute(
        select(TicketEvent.stage, TicketEvent.at, TicketEvent.actor, TicketEvent.note)
        .where(TicketEvent.ticket_id == tid).order_by(TicketEvent.id))]
    entries = [tuple(r) for r in session.execute(
        select(AuditEvent.actor, AuditEvent.type, AuditEvent.why, AuditEvent.data)
        .where(AuditEvent.subject == f"ticket/{tid}").order_by(AuditEvent.seq))]
    return row, events, entries


def test_a_history_is_what_open_and_advance_record(session: Session) -> None:
    """Two households, the same ticket: one opened and advanced step by step, the other recorded as a history.
    Their rows (but the household), stage changes and audit entries are the same; answered after 48 h, both
    are overdue."""
    factories.programme(session)
    iid1 = factories.accepted_installation(session, 1, accepted_on=dt.date(2022, 7, 1))
    iid2 = factories.accepted_installation(session, 2, accepted_on=dt.date(2022, 7, 1))
    t = tickets.open_ticket(session=session, household_id="YC-T-000001", kind="complaint", category="quality",
                            description="不热", actor="乡镇", opened_at=OPENED)
    for step in STEPS:
        tickets.advance(session=session, ticket_id=t.id, to=step.stage, actor=step.actor, at=step.at, note=step.note)
    (tid,) = tickets.record_histories(session=session, items=[tickets.History(
        installation_id=iid2, kind="complaint", category="quality", description="不热", opened_at=OPENED,
        opened_by="乡镇", steps=STEPS)])
    one, two = _state(session, t.id), _state(session, tid)
    assert one[0][3] == iid1 and two[0][3] == iid2
    assert one[0][:2] + one[0][4:] == two[0][:2] + two[0][4:]
    assert one[0][5] == "closed" and one[0][-1] is True
    assert one[1] == two[1] and [e[0] for e in two[1]] == ["opened", "assigned", "responded", "resolved", "closed"]
    same = [(a, typ, why, data.replace("000001", "000002")) for a, typ, why, data in one[2]]
    assert same == two[2] and len(two[2]) == 5
    assert audit.verify(session)[1] is None


def test_a_history_keeps_the_workflows_rules_and_writes_nothing_when_one_breaks(session: Session) -> None:
    factories.programme(session)
    iid = factories.accepted_installation(session, 1, accepted_on=dt.date(2022, 7, 1))
    pending = factories.installation(session, factories.household(session, 2))
    good = tickets.History(installation_id=iid, kind="service", category="other", description="", opened_at=OPENED,
                           opened_by="乡镇", steps=STEPS[:2])
    skipped = tickets.History(installation_id=iid, kind="service", category="other", description="",
                              opened_at=OPENED, opened_by="乡镇", steps=[STEPS[0], STEPS[2]])  # resolved, unanswered
    before = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    with pytest.raises(Conflict, match="next stage is one of responded"):
        tickets.record_histories(session=session, items=[good, skipped])
    with pytest.raises(Conflict, match="not an accepted installation"):
        tickets.record_histories(session=session, items=[good, tickets.History(
            installation_id=pending, kind="service", category="other", description="", opened_at=OPENED,
            opened_by="乡镇")])
    with pytest.raises(InputError, match="before the ticket was opened"):
        tickets.record_histories(session=session, items=[tickets.History(
            installation_id=iid, kind="service", category="other", description="", opened_at=OPENED,
            opened_by="乡镇", steps=[tickets.Step("assigned", OPENED - dt.timedelta(hours=1), "乡镇")])])
    with pytest.raises(InputError, match="before the installation was accepted"):
        tickets.record_histories(session=session, items=[tickets.History(
            installation_id=iid, kind="service", category="other", description="",
            opened_at=at_local(dt.date(2022, 6, 1), dt.time(9)), opened_by="乡镇")])
    with pytest.raises(InputError, match="unknown kind"):
        tickets.record_histories(session=session, items=[tickets.History(
            installation_id=iid, kind="praise", category="other", description="", opened_at=OPENED, opened_by="x")])
    assert session.execute(select(func.count()).select_from(Ticket)).scalar_one() == 0
    assert session.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == before


def test_the_demos_tickets_have_a_history(session: Session) -> None:
    """Every demo ticket's events start with its opening and follow the workflow's order to the ticket's stage;
    its responded and closed instants are those of its events; every event is audited on the ticket; the
    household page's timeline shows the stages in between. Same seed, same history."""
    load_demo(session=session, seed=2, n_households=1500, n_beijing=0)
    events: dict[int, list[tuple[str, dt.datetime, str]]] = {}
    for tid, stage, at, actor in session.execute(select(TicketEvent.ticket_id, TicketEvent.stage, TicketEvent.at,
                                                        TicketEvent.actor).order_by(TicketEvent.id)):
        events.setdefault(tid, []).append((stage, at, actor))
    rows = session.execute(select(Ticket)).scalars().all()
    assert len(rows) > 20 and set(events) == {t.id for t in rows}
    for t in rows:
        stages = [e[0] for e in events[t.id]]
        assert stages[0] == "opened" and stages[-1] == t.stage
        assert all(b in tickets.NEXT[a] for a, b in zip(stages, stages[1:], strict=False))
        times = dict((s, at) for s, at, _ in events[t.id])
        assert times.get("responded") == t.responded_at and times.get("closed") == t.closed_at
    by_stage = {s: sum(1 for ev in events.values() if any(e[0] == s for e in ev)) for s in tickets.STAGES}
    assert by_stage["assigned"] > 0 and by_stage["resolved"] > by_stage["closed"] > 0
    n_events = sum(len(ev) for ev in events.values())
    n_audited = session.execute(select(func.count()).select_from(AuditEvent)
                                .where(AuditEvent.type.like("cn.cleanheat.ticket.%"))).scalar_one()
    assert n_audited == n_events
    closed = next(t for t in rows if t.stage == "closed")
    hid = session.execute(select(Household.household_id).where(Household.id == closed.household_id)).scalar_one()
    page = ledger_view.household_page(session=session, household_id=hid)
    kinds = [e["kind"] for e in page["timeline"] if e["ticket_id"] == closed.id]
    assert kinds[0] == "ticket_opened" and kinds[-1] == "ticket_closed" and "ticket_resolved" in kinds


def test_the_demo_history_is_seeded() -> None:
    """The steps are drawn from their own generator: the same draws give the same steps, and the tickets'
    own instants (drawn before) are kept."""
    opened = OPENED
    kw: dict[str, Any] = {"opened": opened, "responded": opened + dt.timedelta(hours=5),
                          "closed": opened + dt.timedelta(days=4), "end": opened + dt.timedelta(days=90),
                          "clerk": "花马池镇专员", "fixer": "ENT-01", "category": "quality"}
    a = demo._ticket_steps(np.random.default_rng(5), **kw)
    assert a == demo._ticket_steps(np.random.default_rng(5), **kw)
    assert [s.stage for s in a][-3:] == ["responded", "resolved", "closed"]
    assert a[-3].at == kw["responded"] and a[-1].at == kw["closed"] and a[-1].actor == "花马池镇专员"
