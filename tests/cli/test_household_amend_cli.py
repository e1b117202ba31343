"""``cleanheat household amend`` and the warnings of ``cleanheat ledger import``, end to end on SQLite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cleanheat.registry import audit, db
from tests.cli.test_registry_cli import _csv, _row, _small, run, url


def test_household_amend_is_audited_and_refuses_what_payment_stands_on(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dbf = tmp_path / "a.sqlite3"
    _small(dbf)  # YC-T-000001 and YC-T-000002: 80 m², accepted
    base = ["household", "amend", "YC-T-000001", "--actor", "县住建局", "--database-url", url(dbf)]
    code, out, _ = run([*base, "--set", "heated_area_m2=85", "--why", "re-measured", "--json"], capsys)
    assert code == 0 and json.loads(out) == [{"field": "heated_area_m2", "old": 80.0, "new": 85.0}]
    code, _, err = run([*base, "--set", "heated_area_m2", "--why", "x"], capsys)
    assert code == 2 and "FIELD=VALUE" in err and "Traceback" not in err
    code, _, err = run([*base, "--set", "heated_area_m2=85"], capsys)
    assert code == 2  # --why is required
    code, out, _ = run(["pay", "--accepted", "--actor", "财务", "--paid-on", "2022-09-20", "--json", "--database-url",
                        url(dbf)], capsys)
    assert code == 0 and json.loads(out)["paid"] == 2
    code, _, err = run([*base, "--set", "heated_area_m2=50", "--why", "re-measured"], capsys)
    assert code != 0 and "60" in err and "Traceback" not in err
    engine = db.open_database(url(dbf))
    try:
        with db.session_scope(engine) as s:
            amended = [e for e in audit.log(s, resource="household/YC-T-000001")
                       if e["type"] == "cn.cleanheat.household.amended"]
    finally:
        engine.dispose()
    assert [(e["actor"], e["why"], e["data"]["changes"]) for e in amended] == [
        ("县住建局", "re-measured", {"heated_area_m2": {"old": 80.0, "new": 85.0}})]


def test_ledger_import_prints_its_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dbf = tmp_path / "w.sqlite3"
    _small(dbf)
    twice = _csv(tmp_path / "twice.csv", [_row(1), _row(2, id_number=_row(1)["id_number"])])
    args = ["ledger", "import", str(twice), "--actor", "青山乡", "--database-url", url(dbf)]
    code, out, _ = run([*args, "--json"], capsys)
    assert code == 0 and [(w["row"], w["column"]) for w in json.loads(out)["warnings"]] == [(3, "id_number")]
    code, out, _ = run(args, capsys)
    assert code == 0 and "warning" in out and "same identity number" in out
