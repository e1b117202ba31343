"""Planner statistics after a bulk write: PostgreSQL knows the tables' sizes at once (a ledger page's plan
depends on it), without waiting for autovacuum."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from cleanheat.registry import db
from cleanheat.registry.services.demo import load_demo


def test_demo_load_leaves_the_planner_knowing_the_tables(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner statistics")
    with db.session_scope(engine) as s:
        load_demo(session=s, seed=0, n_households=1500, n_beijing=5)
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT relname, reltuples FROM pg_class WHERE relname IN "
                                      "('household', 'installation', 'audit_event') "
                                      "AND relnamespace = current_schema()::regnamespace")).all())
    assert rows["household"] == pytest.approx(1500, rel=0.01)  # -1 (never analysed) without it
    assert rows["installation"] > 1000 and rows["audit_event"] > 1000
