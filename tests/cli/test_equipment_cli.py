"""``cleanheat installation equipment|check`` and ``cleanheat accept --override-equipment`` on a SQLite file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from cleanheat.registry import db
from tests.cli.test_registry_cli import run, url
from tests.registry import factories
from tests.registry.test_equipment_acceptance import BAD_COP, GOOD


def _one(path: Path) -> int:
    engine = db.open_database(url(path), create=True)
    try:
        with db.session_scope(engine) as s:
            factories.programme(s)
            return factories.installation(s, factories.household(s, 1), installed_on=dt.date(2022, 6, 1))
    finally:
        engine.dispose()


def test_record_check_refuse_override(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Record → JSON check; a failing record refuses ``accept`` (exit 4, the requirement and its clause);
    ``--override-equipment`` without ``--why`` is an input error (exit 2); with it the acceptance passes."""
    dbf = tmp_path / "e.sqlite3"
    iid = _one(dbf)
    u = ["--database-url", url(dbf)]
    code, out, _ = run(["installation", "check", str(iid), *u], capsys)
    assert code == 0 and json.loads(out)["verdict"] == "no_record"
    good = tmp_path / "good.json"
    good.write_text(json.dumps(GOOD), encoding="utf-8")
    code, out, _ = run(["installation", "equipment", str(iid), str(good), "--actor", "企业A", *u], capsys)
    assert code == 0 and json.loads(out)["verdict"] == "compliant"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(BAD_COP), encoding="utf-8")
    code, out, _ = run(["installation", "equipment", str(iid), str(bad), "--actor", "县住建局", "--why", "复核", *u],
                       capsys)
    assert code == 0 and json.loads(out)["failed"] == ["ashp_water.cop_minus20"]
    code, _, err = run(["accept", str(iid), "--on", "2022-07-01", "--actor", "县住建局", *u], capsys)
    assert code == 4 and "ashp_water.cop_minus20" in err and "附件2 二、一(一)" in err and "Traceback" not in err
    code, _, err = run(["accept", str(iid), "--on", "2022-07-01", "--override-equipment", "--actor", "县住建局", *u],
                       capsys)
    assert code == 2 and "why" in err
    code, out, _ = run(["accept", str(iid), "--on", "2022-07-01", "--override-equipment", "--why", "厂家复测合格",
                        "--actor", "县住建局", "--json", *u], capsys)
    assert code == 0 and json.loads(out)["result"] == "passed"


def test_bad_record_names_the_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dbf = tmp_path / "e.sqlite3"
    iid = _one(dbf)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"cop_minus_20": 2.0}), encoding="utf-8")
    code, _, err = run(["installation", "equipment", str(iid), str(bad), "--actor", "x", "--database-url", url(dbf)],
                       capsys)
    assert code == 2 and "cop_minus_20" in err and "cop_minus20_no_aux" in err
    code, out, _ = run(["installation", "check", str(iid), "--database-url", url(dbf)], capsys)
    assert json.loads(out)["verdict"] == "no_record"
