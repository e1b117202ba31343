"""What a page costs the database: the statements of one ledger page and one household page, counted
(SQLAlchemy's ``before_cursor_execute``) on the demo after warm-up requests of the same page.

The signed-in user's look-up also reads the registry's state (the caches' key,
:func:`cleanheat.registry.services.chain_cache.data_key_columns`); the ledger page's households, their
status and their installations are one statement; the household page reads its tickets once, the
enterprises' status history from the cache, the duplicate checks in one statement and builds the rules
record from what it read. On PostgreSQL each statement is a round trip and a read-only transaction two
more (``BEGIN``, ``ROLLBACK``); the user's look-up runs in autocommit (``benchmarks/web_round_trips.py``
counts the trips on the wire).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event


@pytest.fixture
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.split()[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):  # SQLite's own BEGIN
            seen.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", note)
    yield seen
    event.remove(Engine, "before_cursor_execute", note)


def _count(client: Any, path: str, seen: list[str]) -> list[str]:
    for _ in range(3):  # the caches keyed on the registry's state hold what the page keeps
        assert client.get(path).status_code == 200
    seen.clear()
    assert client.get(path).status_code == 200
    return list(seen)


def test_a_filtered_ledger_page_is_two_statements(app_ro, client_for, statements):
    """The signed-in user with the registry's state, then the page's 50 households with status and
    installations (before: four — the user, the state, the households, their installations)."""
    clerk = client_for(app_ro, "clerk_hab")
    seen = _count(clerk, "/households?township=惠安堡镇&status=paid&page=3", statements)
    assert len(seen) == 2, seen
    assert seen[0].startswith("SELECT auth_session.id") and "audit_event" in seen[0]
    assert "page_installation" in seen[1]


@pytest.mark.parametrize("which", ["paid", "unpaid", "ticket"])
def test_a_household_page_is_eight_or_nine_statements(app_ro, client_for, statements, web_demo_file, which):
    """The user (and the state), the household, its tickets (and their stage changes, if any), its
    installations, its payment, its audit entries, its failed inspections, the duplicate checks (before:
    twelve to fourteen — the state, the tickets twice, the enterprises' history, the rules record and three
    duplicate checks on their own)."""
    con = sqlite3.connect(web_demo_file)
    paid = "SELECT household_id FROM payment"
    where = {"paid": f"h.id IN ({paid})", "unpaid": f"h.id NOT IN ({paid})",
             "ticket": "h.id IN (SELECT household_id FROM ticket)"}[which]
    (hid,) = con.execute("SELECT h.household_id FROM household h JOIN village v ON v.id = h.village_id JOIN "
                         f"township t ON t.id = v.township_id WHERE t.name = '惠安堡镇' AND {where} "
                         "ORDER BY h.id LIMIT 1").fetchone()
    con.close()
    clerk = client_for(app_ro, "clerk_hab")
    seen = _count(clerk, f"/households/{hid}", statements)
    assert len(seen) == (9 if which == "ticket" else 8), seen
    assert not any(s.startswith("SELECT audit_event.seq, audit_event.hash") for s in seen)  # read with the user
    assert sum(s.startswith("SELECT ticket.") for s in seen) == 1
    assert not any(s.startswith("SELECT enterprise_status.") for s in seen)
