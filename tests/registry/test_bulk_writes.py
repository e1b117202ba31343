"""The ledger import's fast write path: driver-level inserts store what SQLAlchemy's insert stores, keys come
back in row order, the audit chain holds; the import's column-wise cell conversion and paused collector."""

from __future__ import annotations

import datetime as dt
import gc
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, insert, select, text
from sqlalchemy.orm import Session

from cleanheat.registry import audit, bulk, db
from cleanheat.registry.models import (
    Acceptance,
    AuditEvent,
    Base,
    FundLedgerEntry,
    Household,
    Installation,
    Village,
)
from cleanheat.registry.services import ledger

from . import factories
from .conftest import PG_URL, pg_schema_url
from .test_ledger_reimport import row, write


@pytest.fixture
def second_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A second empty database of the same kind as ``db_url``."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'second.sqlite3'}"
        return
    assert PG_URL
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield pg_schema_url(schema)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


VARIES = {"created_at", "event_id", "time", "hash", "prev_hash"}
"""Columns that differ between two runs of the same import (instants, random ids and what hashes them)."""


def contents(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, by primary key, without the columns of :data:`VARIES`."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            cols = [c for c in table.columns if c.name not in VARIES]
            out[table.name] = [tuple(r) for r in conn.execute(select(*cols).order_by(*table.primary_key.columns))]
    return out


def ledger_rows() -> list[dict[str, Any]]:
    """Rows with every kind of value: accepted or not, self-installed, PV, decimals, an earlier subsidy,
    no programme year, a township written without its suffix."""
    return [
        row(1, 验收日期="2022-07-01"),
        row(2, 自主安装="是", 安装企业编号="", 企业已登记="", 屋顶光伏="是", **{"取暖面积(㎡)": "92.5"}),
        row(3, 已享受补贴="是", 年度="", 验收日期="2022/8/1", 乡镇="花马池"),
        row(4, 取暖方式="电暖器", 房屋类型="窑洞", **{"发票金额(元)": "7,800元"}),
    ]


def import_into(url: str, path: Path) -> Engine:
    engine = db.open_database(url, create=True)
    with db.session_scope(engine) as s:
        factories.programme(s)
    with db.session_scope(engine) as s:
        ledger.import_file(session=s, path=path, actor="花马池镇")
    return engine


def test_import_stores_what_the_sqlalchemy_path_stores(db_url: str, second_url: str, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "ledger.csv", ledger_rows())
    fast = import_into(db_url, path)
    with monkeypatch.context() as m:
        m.setattr(bulk, "_fast", lambda conn: False)  # every insert through conn.execute(insert(table), rows)
        slow = import_into(second_url, path)
    try:
        got, want = contents(fast), contents(slow)
        assert len(got["household"]) == 4 and len(got["acceptance"]) == 2 and len(got["audit_event"]) >= 10
        assert got == want
        with db.session_scope(fast) as s:
            check = audit.verify_all(s)
            assert check.intact and check.reconciled
            stored = s.execute(select(Household.household_id, Household.heated_area_m2, Household.programme_year,
                                      Household.previously_subsidised).order_by(Household.id)).all()
            assert [tuple(r) for r in stored] == [("YC-R-000001", 80.0, 2022, False),
                                                  ("YC-R-000002", 92.5, 2022, False),
                                                  ("YC-R-000003", 80.0, 2022, True),
                                                  ("YC-R-000004", 80.0, 2022, False)]
            (made,) = s.execute(select(Household.created_at).where(Household.household_id == "YC-R-000001")).one()
            assert made.tzinfo is not None and abs(made - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
            pv = s.execute(select(Installation.with_rooftop_pv, Installation.self_install, Installation.equipment,
                                  Installation.void).order_by(Installation.id)).all()
            assert [tuple(r) for r in pv] == [(False, False, {}, False), (True, True, {}, False),
                                              (False, False, {}, False), (False, False, {}, False)]
            assert s.execute(select(Acceptance.inspectors)).scalars().all() == [["县住建局", "乡镇"]] * 2
    finally:
        fast.dispose()
        slow.dispose()


def test_insert_rows_matches_core_insert(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    factories.programme(session)
    factories.household(session, 1)
    vid = session.execute(select(Village.id)).scalars().first()
    hh = {"household_id": "YC-B-1", "name": "李四", "id_number": "64032319800101001X", "phone": "13900000001",
          "phone_normalised": "13900000001", "village_id": vid, "address": "x", "heated_area_m2": 75,
          "dwelling": "brick", "programme_year": None}
    (hpk,) = bulk.insert_returning_ids(session.connection(), Household.__table__, [hh])
    iid = session.execute(insert(Installation).returning(Installation.id), [{
        "household_id": hpk, "technology": "ashp_water", "self_install": True, "installed_on": dt.date(2022, 6, 1),
        "invoice_cny": 16000}]).scalar_one()
    env = session.execute(text("SELECT id FROM fund_envelope WHERE source = 'central'")).scalar_one()
    entries = [{"envelope_id": env, "kind": "commit", "amount_cny": 3500 + k, "installation_id": iid if k else None,
                "payment_id": None, "voucher_no": None if k else "V-1", "booked_on": dt.date(2022, 6, k + 1)}
               for k in range(3)]
    conn = session.connection()
    bulk.insert_rows(conn, FundLedgerEntry.__table__, entries)
    conn.execute(insert(FundLedgerEntry), entries)
    cols = [c for c in FundLedgerEntry.__table__.columns if c.name != "id"]
    stored = [tuple(r) for r in conn.execute(select(*cols).order_by(FundLedgerEntry.id))]
    assert stored[:3] == stored[3:] and stored[0][-1] == dt.date(2022, 6, 1) and stored[0][-2] == "V-1"
    got = conn.execute(select(Household.heated_area_m2, Household.previously_subsidised, Household.programme_year)
                       .where(Household.id == hpk)).one()
    assert tuple(got) == (75.0, False, None)  # the column default filled in, the float stored as a float


def test_keys_come_back_in_row_order(session: Session, db_url: str) -> None:
    factories.programme(session)
    factories.household(session, 1)
    vid = session.execute(select(Village.id)).scalars().first()
    if db_url.startswith("postgresql"):  # another transaction takes sequence values first: keys need not follow
        other = create_engine(db_url)
        with other.begin() as conn:
            conn.execute(text("SELECT nextval(pg_get_serial_sequence('household', 'id')) "
                              "FROM generate_series(1, 7)"))
        other.dispose()
    rows = [{"household_id": f"YC-K-{k:03d}", "name": f"王{k}", "id_number": f"{k:018d}", "phone": "1",
             "phone_normalised": "1", "village_id": vid, "address": "", "heated_area_m2": 80.0, "dwelling": "brick"}
            for k in range(50)]
    ids = bulk.insert_returning_ids(session.connection(), Household.__table__, rows)
    assert ids == sorted(ids) and len(set(ids)) == 50
    stored = dict(session.execute(select(Household.id, Household.household_id).where(Household.id.in_(ids))).all())
    assert [stored[i] for i in ids] == [r["household_id"] for r in rows]
    assert bulk.insert_returning_ids(session.connection(), Household.__table__, []) == []


def test_audit_entries_of_a_batch_chain_and_have_random_ids(session: Session) -> None:
    recs = [audit.AuditRecord(actor="乡镇", action="household.created", resource=f"household/YC-{k}", why="import",
                              data={"k": k, "on": dt.date(2022, 1, 1)}) for k in range(200)]
    assert audit.record_many(session, recs) == 200
    assert audit.record_many(session, iter(recs[:3])) == 203  # any iterable
    ids = session.execute(select(AuditEvent.event_id)).scalars().all()
    assert len(set(ids)) == 203
    for s in ids:
        u = uuid.UUID(s)
        assert str(u) == s and u.version == 4 and u.variant == uuid.RFC_4122
    assert audit.verify(session) == (203, None)
    first = audit.log(session, resource="household/YC-0")[0]
    assert first["data"] == {"k": 0, "on": "2022-01-01"}


@pytest.mark.parametrize("field, cells", [
    ("year", [1, True, 2022, 2022.0, "2022", None, "2,022", 1.0, True]),
    ("with_rooftop_pv", [True, 1, 1.0, "是", "1", "bad", True, "bad"]),
    ("heated_area_m2", [80, 80.0, "80", "80㎡", 0, -1, 80]),
    ("id_number", ["64032319800101001X", 6.40323198001011e17, "64032319800101001x", "640323198001010011", None]),
])
def test_each_distinct_cell_is_converted_as_on_its_own(field: str, cells: list[Any]) -> None:
    col = ledger.BY_FIELD[field]
    values, bad = ledger._convert_column(col, cells)
    for i, raw in enumerate(cells):
        try:
            want: Any = ledger._convert_one(col, raw)
            assert values[i] == want and type(values[i]) is type(want), (raw, values[i])
            assert i not in {j for j, _ in bad}
        except ValueError as exc:
            assert values[i] is None and (i, str(exc)) in bad
    assert [j for j, _ in bad] == sorted(j for j, _ in bad)


def test_collector_runs_again_after_an_import(session: Session, tmp_path: Path) -> None:
    factories.programme(session)
    assert gc.isenabled()
    ledger.import_file(session=session, path=write(tmp_path / "ok.csv", [row(1)]), actor="乡镇")
    assert gc.isenabled()
    with pytest.raises(ledger.LedgerImportError):
        ledger.import_file(session=session, path=write(tmp_path / "bad.csv", [row(2, 身份证号="1")]), actor="乡镇")
    assert gc.isenabled()
