"""The cache keyed on the audit chain: one computation per key at a time, others not held up, errors not
kept, the state read once per read-only transaction and every time in a writing one; the ledger's pages
read through it stay right after a change."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from cleanheat.registry import db
from cleanheat.registry.services import chain_cache, ledger_view

from . import factories


def _programme(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        factories.programme(s)


def test_twenty_callers_of_one_key_compute_it_once(engine: Engine) -> None:
    _programme(engine)
    cache = chain_cache.ChainCache()
    calls: list[int] = []
    results: list[Any] = []
    start = threading.Barrier(20)

    def compute() -> list[int]:
        calls.append(1)
        time.sleep(0.05)  # long enough for the other nineteen to arrive meanwhile
        return [42]

    def caller() -> None:
        with db.session_scope(engine, read_only=True) as s:
            start.wait()
            results.append(cache.get(s, "figures", compute))

    threads = [threading.Thread(target=caller) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(results) == 20 and all(r is results[0] for r in results)
    assert cache.misses == 1 and cache.hits == 19


def test_a_long_computation_does_not_hold_up_another_key(engine: Engine) -> None:
    _programme(engine)
    cache = chain_cache.ChainCache()
    slow_started, release = threading.Event(), threading.Event()

    def slow() -> str:
        slow_started.set()
        release.wait(10)
        return "slow"

    def run_slow() -> None:
        with db.session_scope(engine, read_only=True) as s:
            cache.get(s, "slow", slow)

    t = threading.Thread(target=run_slow)
    t.start()
    try:
        assert slow_started.wait(10)
        with db.session_scope(engine, read_only=True) as s:
            t0 = time.perf_counter()
            assert cache.get(s, "quick", lambda: "quick") == "quick"
            assert time.perf_counter() - t0 < 5  # answered while "slow" is still computing
        assert t.is_alive()
    finally:
        release.set()
        t.join()


def test_a_failed_computation_is_not_kept(engine: Engine) -> None:
    _programme(engine)
    cache = chain_cache.ChainCache()

    def fail() -> None:
        raise RuntimeError("database went away")

    with db.session_scope(engine, read_only=True) as s:
        with pytest.raises(RuntimeError):
            cache.get(s, "k", fail)
        assert cache.get(s, "k", lambda: "second try") == "second try"
    assert not cache._computing


def test_data_key_is_read_once_per_read_transaction_and_always_in_a_writing_one(engine: Engine) -> None:
    _programme(engine)
    with db.session_scope(engine, read_only=True) as reader:
        before = chain_cache.data_key(session=reader)
        with db.session_scope(engine) as writer:
            assert chain_cache.data_key(session=writer) == before
            factories.household(writer, 1)  # audited: a new entry
            inside = chain_cache.data_key(session=writer)
            assert inside[1] > before[1] and inside[2] != before[2]  # its own, not yet committed, entry
        assert chain_cache.data_key(session=reader) == before  # kept for the reader's transaction
    with db.session_scope(engine, read_only=True) as later:
        assert chain_cache.data_key(session=later) == inside
        assert later.info["data_key"] == inside
    assert before[0] == inside[0] == engine.url.render_as_string(hide_password=True)


def test_ledger_pages_follow_every_change(session: Session) -> None:
    factories.programme(session)
    pks = {k: factories.household(session, k) for k in range(1, 6)}
    everyone = ledger_view.LedgerFilter()
    pending = ledger_view.LedgerFilter(status="pending")
    first = ledger_view.ledger_page(session=session, filters=everyone, per_page=2)
    assert (first.total, first.pages, [i["household_id"] for i in first.items]) == (5, 3, ["YC-T-000001",
                                                                                             "YC-T-000002"])
    assert ledger_view.ledger_page(session=session, filters=pending).total == 0
    factories.installation(session, pks[2])
    factories.household(session, 6)
    assert ledger_view.ledger_page(session=session, filters=everyone, per_page=2, page=3).total == 6
    after = ledger_view.ledger_page(session=session, filters=pending)
    assert [i["household_id"] for i in after.items] == ["YC-T-000002"]
    assert ledger_view.count_households(session=session, filters=pending) == 1
