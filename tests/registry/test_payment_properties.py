"""Properties of payment over random sequences of acceptances and payment runs (SQLite)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from cleanheat.registry import audit, db
from cleanheat.registry.models import FundLedgerEntry, Payment
from cleanheat.registry.services import installations, payments

from . import factories

TECHS = ["ashp_water", "gas_boiler", "fan_heater_direct", "coal_stove", "solar_aux"]

step = st.one_of(
    st.tuples(st.just("accept"), st.integers(0, 5)),
    st.tuples(st.just("pay"), st.sampled_from([None, "花马池镇", "青山乡"])),
)


@settings(max_examples=15, deadline=None)
@given(
    houses=st.lists(st.tuples(st.sampled_from(TECHS), st.sampled_from([45.0, 60.0, 95.0]),
                              st.sampled_from(["花马池镇", "青山乡"]), st.integers(0, 30_000)),
                    min_size=1, max_size=6),
    steps=st.lists(step, min_size=1, max_size=8),
)
def test_paid_at_most_once_and_books_balance(houses: list[tuple[str, float, str, int]],
                                             steps: list[tuple[str, object]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = db.open_database(f"sqlite:///{Path(tmp) / 'p.sqlite3'}", create=True)
        try:
            with db.session_scope(engine) as s:
                factories.programme(s)
                iids = []
                for k, (tech, area, town, invoice) in enumerate(houses, start=1):
                    hpk = factories.household(s, k, heated_area_m2=area, township=town)
                    iids.append(factories.installation(s, hpk, technology=tech, invoice_cny=invoice))
            accepted: set[int] = set()
            for kind, arg in steps:
                with db.session_scope(engine) as s:
                    if kind == "accept":
                        assert isinstance(arg, int)
                        iid = iids[arg % len(iids)]
                        if iid not in accepted:
                            installations.accept(session=s, installation_id=iid, accepted_on=dt.date(2022, 7, 1),
                                                 actor="x")
                            accepted.add(iid)
                    else:
                        payments.pay_accepted(session=s, actor="x", township=arg if isinstance(arg, str) else None)
            with db.session_scope(engine) as s:
                paid = s.execute(select(Payment.household_id, Payment.installation_id, Payment.central_cny,
                                        Payment.local_cny, Payment.total_cny)).all()
                assert len({p.household_id for p in paid}) == len(paid)          # at most once
                assert {p.installation_id for p in paid} <= accepted               # only accepted
                assert all(p.total_cny == p.central_cny + p.local_cny for p in paid)
                booked = s.execute(select(func.coalesce(func.sum(FundLedgerEntry.amount_cny), 0))
                                   .where(FundLedgerEntry.kind == "pay")).scalar_one()
                assert booked == sum(p.total_cny for p in paid)                   # ledger balances
                for p in paid:                                                     # amounts are the engine's
                    tech, area, town, invoice = houses[iids.index(p.installation_id)]
                    assert tech != "coal_stove" and area >= 60 and p.total_cny <= invoice
                assert audit.verify(s)[1] is None
        finally:
            engine.dispose()
