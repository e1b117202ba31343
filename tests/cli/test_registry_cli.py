"""Registry commands end to end on a SQLite file: db, demo, status, pay, ledger, report, assess, audit."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from cleanheat.cli import main
from cleanheat.registry import db
from tests.registry import factories


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def url(path: Path) -> str:
    return f"sqlite:///{path}"


def test_demo_status_matches_the_plan(demo_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["status", "--json", "--database-url", url(demo_file)], capsys)
    assert code == 0
    st = json.loads(out)
    assert st["households"] == 27000 and st["installations"] == 27000
    assert 0 < st["paid"] <= st["accepted"] <= st["installations"]
    assert st["central_paid_cny"] + st["local_paid_cny"] == st["total_paid_cny"]
    assert st["central_paid_cny"] <= 94_500_000 and st["local_paid_cny"] <= 48_600_000
    code, out, _ = run(["report", "plan", "--json", "--database-url", url(demo_file)], capsys)
    rows = json.loads(out)
    total = rows[-1]
    # 附件1: 3000 + 14000 + 10000 households planned
    assert (total["planned_2021"], total["planned_2022"], total["planned_2023"]) == (3000, 14000, 10000)
    by_town = {r["township"]: r for r in rows}
    assert by_town["惠安堡镇"]["planned_2022"] == 3500 and by_town["麻黄山乡"]["planned_2023"] == 300


def test_demo_load_refuses_a_non_empty_database(demo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["demo", "load", "--database-url", url(demo_copy)], capsys)
    assert code == 4 and "not empty" in err and "Traceback" not in err


def test_pay_accepted_is_idempotent(demo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["pay", "--accepted", "--actor", "财务科", "--json", "--database-url", url(demo_copy)]
    code, out, _ = run(args, capsys)
    first = json.loads(out)
    assert code == 0 and first["paid"] > 0 and first["total_cny"] > 0
    code, out, _ = run(args, capsys)
    again = json.loads(out)
    assert again["paid"] == 0 and again["total_cny"] == 0
    code, out, _ = run(["audit", "verify", "--json", "--database-url", url(demo_copy)], capsys)
    assert code == 0 and json.loads(out)["intact"] is True


def test_pay_one_township(demo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["pay", "--accepted", "--township", "麻黄山乡", "--actor", "财务科", "--json",
                        "--database-url", url(demo_copy)], capsys)
    assert code == 0 and json.loads(out)["paid"] >= 0
    code, _, err = run(["pay", "--accepted", "--township", "火星乡", "--actor", "x", "--database-url",
                        url(demo_copy)], capsys)
    assert code == 3 and "火星乡" in err


def test_audit_tampering_is_detected(demo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    con = sqlite3.connect(demo_copy)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            con.execute("DELETE FROM audit_event WHERE seq = 1")
        con.execute("DROP TRIGGER audit_event_no_update")  # someone with the file and SQL skills
        con.execute("UPDATE audit_event SET actor = '某人' WHERE seq = "
                    "(SELECT min(seq) FROM audit_event WHERE type = 'cn.cleanheat.payment.made')")
        con.commit()
        (seq,) = con.execute("SELECT min(seq) FROM audit_event WHERE type = 'cn.cleanheat.payment.made'").fetchone()
    finally:
        con.close()
    code, out, err = run(["audit", "verify", "--json", "--database-url", url(demo_copy)], capsys)
    assert code == 1
    assert json.loads(out)["first_broken"]["sequence"] == seq and f"entry {seq}" in err


def test_audit_log_of_a_resource(demo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["audit", "log", "--json", "--resource", "household/YC-2021-000002", "--database-url",
                        url(demo_copy)], capsys)
    events = json.loads(out)
    assert code == 0 and events and all(e["subject"] == "household/YC-2021-000002" for e in events)
    assert events[0]["type"] == "cn.cleanheat.payment.made" and events[0]["data"]["total_cny"] == 5300


def test_reports_and_assessment(demo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    xlsx = tmp_path / "m.xlsx"
    code, out, _ = run(["report", "monthly", "--json", "--township", "花马池镇", "--month", "2022-09", "--xlsx",
                        str(xlsx), "--database-url", url(demo_file)], capsys)
    rep = json.loads(out)
    assert code == 0 and xlsx.exists()
    assert rep["year_target_households"] == 1000 and rep["submission"] in ("on_time", "late")
    assert rep["due_on"] == "2022-09-25"
    assert sum(v["installed_ytd"] for v in rep["by_method"].values()) == rep["installed_ytd"]
    code, _, err = run(["report", "monthly", "--json", "--township", "花马池镇", "--month", "2022-13", "--database-url",
                        url(demo_file)], capsys)
    assert code == 2 and "YYYY-MM" in err
    code, out, _ = run(["report", "plan", "--json", "--xlsx", str(tmp_path / "p.xlsx"), "--database-url",
                        url(demo_file)], capsys)
    assert code == 0 and (tmp_path / "p.xlsx").exists()
    code, out, _ = run(["assess", "enterprises", "--json", "--half", "2023-H2", "--database-url", url(demo_file)],
                       capsys)
    rows = json.loads(out)
    assert code == 0 and {r["enterprise"] for r in rows if r["outcome"] == "revoke"} == {"ENT-12"}
    code, _, err = run(["assess", "enterprises", "--json", "--half", "2023-H3", "--database-url", url(demo_file)],
                       capsys)
    assert code == 2


def test_demo_revocation_is_made_by_the_assessment(demo_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """ENT-12 is revoked by running the 2023-H2 assessment in the demo load, not typed into its history."""
    code, out, _ = run(["enterprise", "status", "--json", "ENT-12", "--on", "2024-01-01", "--database-url",
                        url(demo_file)], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["status"] == "revoked"
    last = doc["history"][-1]
    assert last["status"] == "revoked" and last["effective_on"] == "2024-01-01"  # the day after the half
    assert last["actor"] == "县清洁取暖领导小组" and last["why"].startswith("2023-H2 assessment: ")
    code, out, _ = run(["audit", "log", "--json", "--resource", "assessment/2023-H2", "--database-url",
                        url(demo_file)], capsys)
    (entry,) = json.loads(out)
    assert entry["data"]["revoked"] == ["ENT-12"]


# --------------------------------------------------------------------------------------------
# db commands
# --------------------------------------------------------------------------------------------


def _small(path: Path) -> None:
    engine = db.open_database(url(path), create=True)
    try:
        with db.session_scope(engine) as s:
            factories.programme(s)
            for k in (1, 2):
                factories.accepted_installation(s, k)
    finally:
        engine.dispose()


def test_db_upgrade_info_backup_restore(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "a.sqlite3"
    code, out, _ = run(["db", "upgrade", "--json", "--database-url", url(src)], capsys)
    assert code == 0 and json.loads(out)["revision"] == db.head_revision()
    _small(src)
    code, out, _ = run(["db", "info", "--json", "--database-url", url(src)], capsys)
    info = json.loads(out)
    assert info["file"] == str(src) and info["tables"]["household"] == 2
    backup = tmp_path / "b.json.gz"
    code, out, _ = run(["db", "backup", str(backup), "--database-url", url(src)], capsys)
    assert code == 0 and backup.exists()
    code, _, err = run(["db", "restore", str(backup), "--database-url", url(src)], capsys)
    assert code == 4 and "--force" in err
    code, _, _ = run(["db", "restore", str(backup), "--force", "--database-url", url(src)], capsys)
    assert code == 0
    dst = tmp_path / "fresh.sqlite3"
    code, _, _ = run(["db", "restore", str(backup), "--database-url", url(dst)], capsys)
    assert code == 0
    code, out, _ = run(["db", "info", "--json", "--database-url", url(dst)], capsys)
    assert json.loads(out)["tables"] == info["tables"]


def test_db_info_default_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("CLEANHEAT_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    code, out, _ = run(["db", "info", "--json"], capsys)
    default = tmp_path / "xdg" / "cleanheat" / "cleanheat.sqlite3"
    assert code == 0 and json.loads(out)["file"] == str(default) and json.loads(out)["exists"] is False
    assert not default.exists() and not default.parent.exists()  # shown, never created
    monkeypatch.setenv("CLEANHEAT_DATABASE_URL", url(tmp_path / "env.sqlite3"))
    code, out, _ = run(["db", "info", "--json"], capsys)
    assert json.loads(out)["file"] == str(tmp_path / "env.sqlite3")


def test_unreachable_database_is_a_clean_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["status", "--database-url", "postgresql+psycopg://nobody@127.0.0.1:1/x"], capsys)
    assert code == 1 and "cannot open the database" in err and "Traceback" not in err


# --------------------------------------------------------------------------------------------
# ledger
# --------------------------------------------------------------------------------------------

FIELDS = ["household_id", "township", "village", "name", "id_number", "phone", "address", "heated_area_m2",
          "dwelling", "technology", "with_rooftop_pv", "installed_on", "self_install", "enterprise_code",
          "previously_subsidised", "accepted_on", "invoice_cny"]


def _id_number(body: str) -> str:
    """A valid identity number: the 17 digits and their GB 11643 check character."""
    from cleanheat.normalise import check_digit

    return body + check_digit(body)


def _row(k: int, **over: Any) -> dict[str, Any]:
    r = {"household_id": f"YC-L-{k:04d}", "township": "青山乡", "village": "猫头梁村", "name": f"李{k}",
         "id_number": _id_number(f"64032319700101{k:03d}"), "phone": f"1380000{k:04d}",
         "address": f"青山乡猫头梁村{k}号",
         "heated_area_m2": 72, "dwelling": "cave", "technology": "solar_aux", "with_rooftop_pv": "否",
         "installed_on": "2022-07-01", "self_install": "否", "enterprise_code": "ENT-A",
         "previously_subsidised": "否", "accepted_on": "2022-09-01", "invoice_cny": 18000}
    r.update(over)
    return r


def _csv(path: Path, rows: list[dict[str, Any]], fields: list[str] = FIELDS) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    return path


def test_ledger_import_all_or_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dbf = tmp_path / "l.sqlite3"
    _small(dbf)
    bad = _csv(tmp_path / "bad.csv", [
        _row(1), _row(2, heated_area_m2="abc"), _row(3, technology="nuclear"), _row(4, township="东京"),
        _row(5, accepted_on="2022-06-01"), _row(1, name="重复"),
    ])
    code, out, err = run(["ledger", "import", "--json", str(bad), "--actor", "青山乡", "--database-url", url(dbf)],
                         capsys)
    assert code == 2 and "nothing imported" in err and "Traceback" not in err
    report = {(e["row"], e["column"]) for e in json.loads(out)["errors"]}
    assert {(3, "heated_area_m2"), (4, "technology"), (5, "township"), (6, "accepted_on"),
            (7, "household_id")} <= report
    code, out, _ = run(["db", "info", "--json", "--database-url", url(dbf)], capsys)
    assert json.loads(out)["tables"]["household"] == 2  # nothing changed


def test_ledger_import_twice_does_not_duplicate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dbf = tmp_path / "l.sqlite3"
    _small(dbf)
    good = _csv(tmp_path / "good.csv", [_row(k) for k in range(1, 6)] + [
        _row(6, self_install="是", enterprise_code="", accepted_on="")])
    args = ["ledger", "import", "--json", str(good), "--actor", "青山乡", "--database-url", url(dbf)]
    code, out, _ = run(args, capsys)
    first = json.loads(out)
    assert code == 0 and first["households_created"] == 6 and first["installations_created"] == 6
    assert first["acceptances_recorded"] == 5
    code, out, _ = run(args, capsys)
    again = json.loads(out)
    assert again["households_created"] == 0 and again["households_unchanged"] == 6
    assert again["installations_created"] == 0 and again["acceptances_recorded"] == 0
    code, out, _ = run(["pay", "--accepted", "--actor", "财务", "--json", "--database-url", url(dbf)], capsys)
    # solar_aux on a 72 m² cave: 3500 + 1800 each, 5 imported + 2 from the factory
    assert json.loads(out)["paid"] == 7 and json.loads(out)["total_cny"] == 7 * 5300


def test_ledger_template_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dbf = tmp_path / "l.sqlite3"
    _small(dbf)
    with sqlite3.connect(dbf) as con:  # the factory's identity numbers have no valid check digit: an export
        for k in (1, 2):               # of them would not import back
            con.execute("UPDATE household SET id_number = ? WHERE household_id = ?",
                        (_id_number(f"64032319800101{k:03d}"), f"YC-T-{k:06d}"))
    tpl = tmp_path / "tpl.xlsx"
    assert run(["ledger", "template", str(tpl)], capsys)[0] == 0
    import openpyxl

    wb = openpyxl.load_workbook(tpl)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["农户编号", "乡镇", "行政村", "户主姓名"]
    example = [c.value for c in wb["示例"][2]]  # the example sheet's row, with a real 农户编号 and enterprise
    ws.append(["YC-2022-000001", *example[1:13], "ENT-A", *example[14:]])
    wb.save(tpl)
    wb.close()
    code, out, err = run(["ledger", "import", "--json", str(tpl), "--actor", "花马池镇", "--database-url", url(dbf)],
                         capsys)
    assert code == 0, err
    assert json.loads(out)["households_created"] == 1
    exp = tmp_path / "export.xlsx"
    code, out, _ = run(["ledger", "export", "--json", str(exp), "--database-url", url(dbf)], capsys)
    assert code == 0 and json.loads(out)["rows"] == 3
    # the export imports back without changes
    code, out, err = run(["ledger", "import", "--json", str(exp), "--actor", "x", "--database-url", url(dbf)], capsys)
    assert code == 0, err
    back = json.loads(out)
    # nothing new; the two factory households gain their programme year (default: year installed)
    assert back["households_created"] == 0 and back["installations_created"] == 0
    assert back["households_unchanged"] + back["households_updated"] == 3
    code, out, _ = run(["ledger", "search", "640323198510040", "--database-url", url(dbf)], capsys)
    assert code == 0


def test_ledger_import_unknown_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["db", "upgrade", "--database-url", url(tmp_path / "x.sqlite3")], capsys)[0] == 0
    code, _, err = run(["ledger", "import", "--json", str(tmp_path / "none.csv"), "--actor", "x", "--database-url",
                        url(tmp_path / "x.sqlite3")], capsys)
    assert code == 2 and "cannot read" in err


def test_enterprise_accept_duplicates_ticket_payment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dbf = tmp_path / "w.sqlite3"
    _small(dbf)
    u = ["--database-url", url(dbf)]
    assert run(["enterprise", "add", "ENT-C", "--name", "宁夏测试公司", "--on", "2022-01-05", "--actor", "专家组", *u],
               capsys)[0] == 0
    code, _, _ = run(["enterprise", "set", "ENT-C", "reviewed", "--on", "2022-01-20", "--actor", "专家组", *u], capsys)
    assert code == 0
    code, _, err = run(["enterprise", "set", "ENT-C", "revoked", "--on", "2022-02-01", "--actor", "x", *u], capsys)
    assert code == 4 and "cannot become revoked" in err
    code, out, _ = run(["enterprise", "status", "--json", "ENT-C", "--on", "2022-01-10", *u], capsys)
    assert json.loads(out)["status"] == "submitted"
    # an installation by ENT-B (only submitted) after 2022-03-01 cannot be accepted
    engine = db.open_database(url(dbf))
    try:
        with db.session_scope(engine) as s:
            import datetime as dt

            iid = factories.installation(s, factories.household(s, 5), enterprise="ENT-B",
                                         installed_on=dt.date(2022, 4, 2))
            factories.household(s, 6, id_number="640323198001010001")  # same person as YC-T-000001
    finally:
        engine.dispose()
    code, _, err = run(["accept", str(iid), "--on", "2022-05-01", "--actor", "县住建局", *u], capsys)
    assert code == 4 and "ENT-B" in err and "Traceback" not in err
    code, out, _ = run(["duplicates", "list", "--json", *u], capsys)
    assert [(d["a"], d["b"], d["reason"]) for d in json.loads(out)] == [("YC-T-000001", "YC-T-000006", "id_number")]
    code, out, _ = run(["pay", "--accepted", "--actor", "财务", "--json", "--paid-on", "2022-08-20", *u], capsys)
    assert json.loads(out)["paid"] == 1 and json.loads(out)["held_duplicates"] == 1
    assert run(["duplicates", "merge", "YC-T-000001", "YC-T-000006", "--actor", "乡镇", "--why", "同一人", *u],
               capsys)[0] == 0
    code, out, _ = run(["pay", "--accepted", "--actor", "财务", "--json", "--paid-on", "2022-08-21", *u], capsys)
    assert json.loads(out)["paid"] == 1
    code, out, _ = run(["payment", "show", "--json", "YC-T-000001", *u], capsys)
    shown = json.loads(out)
    assert shown["voucher_no"] == "BT20220821-YC-T-000001" and shown["reasons"] and shown["trace"]["parameters"]
    code, out, _ = run(["ticket", "open", "--json", "YC-T-000001", "--kind", "complaint", "--category", "quality",
                        "--actor", "农户", *u], capsys)
    ticket = json.loads(out)["ticket"]
    code, out, _ = run(["ticket", "advance", "--json", str(ticket), "responded", "--actor", "ENT-A", *u], capsys)
    assert code == 0 and json.loads(out) == {"ticket": ticket, "stage": "responded", "overdue": False}
    code, out, _ = run(["audit", "verify", "--json", *u], capsys)
    assert code == 0


def test_beijing_projects(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    u = ["--database-url", url(tmp_path / "bj.sqlite3")]
    assert run(["db", "upgrade", *u], capsys)[0] == 0
    rec = {"project_id": "BJ-C1", "zone": "plain_new_towns", "source": "sewage", "kind": "expansion",
           "heated_area_m2": 120000, "investment_cny": {"water_intake": 3000000, "heat_pump_units": 4000000},
           "ground_heat_balance_ok": True, "applied_on": "2021-05-10"}
    f = tmp_path / "p.json"
    f.write_text(json.dumps([rec]), encoding="utf-8")
    code, out, _ = run(["project", "add", "--json", str(f), "--actor", "市发改委", *u], capsys)
    assert code == 0 and json.loads(out) == {"recorded": 1}
    code, out, _ = run(["project", "list", "--json", *u], capsys)
    (p,) = json.loads(out)
    # 30 % of 7 M heat source + primary network (SPEC §5)
    assert p["support_cny"] == 2_100_000 and [s["authority"] for s in p["approval_steps"]] == [
        "district_drc", "municipal_drc"]
    code, _, err = run(["project", "approve", "--json", "BJ-C1", "--step", "2", "--actor", "市发改委", *u], capsys)
    assert code == 4 and "step 1" in err
    assert run(["project", "approve", "--json", "BJ-C1", "--step", "1", "--on", "2021-06-01", "--actor", "区发改委",
                *u], capsys)[0] == 0
    code, out, _ = run(["project", "approve", "--json", "BJ-C1", "--step", "2", "--on", "2021-07-01", "--actor",
                        "市发改委", *u], capsys)
    assert json.loads(out)["project_status"] == "approved"
    code, out, _ = run(["project", "zones", "--json", *u], capsys)
    zones = {z["zone"]: z for z in json.loads(out)}
    assert zones["plain_new_towns"] == {"zone": "plain_new_towns", "by_year": 2022, "target_m2": 4_000_000,
                                        "recorded_m2": 120000}


def test_unwritable_output_is_an_input_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    target = blocker / "out.xlsx"  # a path below a regular file cannot be created
    u = ["--database-url", url(tmp_path / "u.sqlite3")]
    assert run(["db", "upgrade", *u], capsys)[0] == 0
    for args in (["ledger", "template", str(target)], ["ledger", "export", "--json", str(target), *u],
                 ["db", "backup", str(target), *u], ["report", "plan", "--json", "--xlsx", str(target), *u]):
        code, _, err = run(args, capsys)
        assert code == 2 and "cannot write" in err and "Traceback" not in err, args


# --------------------------------------------------------------------------------------------
# human-readable default output (tables) and --json
# --------------------------------------------------------------------------------------------

THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+")
"""A number with a thousands separator, e.g. 27,000 or 1,507,010."""

HUMAN_CASES: list[tuple[list[str], list[str], bool, set[str]]] = [
    # command, Chinese headers the officer looks for, a number ≥ 1,000 shown, JSON keys (of the object or each row)
    (["status"], ["农户 households", "资金来源 source", "乡镇 township", "中央资金 central CNY", "合计 total"], True,
     {"households", "installations", "accepted", "paid", "central_paid_cny", "local_paid_cny", "total_paid_cny",
      "envelopes", "warnings", "by_township_year"}),
    (["report", "plan"], ["附件1", "乡镇", "township", "计划", "完成", "已补贴", "合计", "2023年"], True,
     {"township", *(f"{w}_{y}" for y in (2021, 2022, 2023) for w in ("planned", "done", "paid")), "planned_total",
      "done_total"}),
    (["report", "monthly", "--township", "青山乡", "--month", "2023-10"],
     ["月报表", "乡镇 township", "截止日期 due", "报送状态 submission", "取暖方式 method", "合计 total"], True,
     {"township", "month", "year_target_households", "installed_month", "installed_ytd", "accepted_month",
      "accepted_ytd", "progress", "paid_month", "paid_month_cny", "paid_ytd", "paid_ytd_cny", "complaints_month",
      "tickets_open_at_month_end", "by_method", "due_on", "submitted_on", "late", "submission"}),
    (["assess", "enterprises", "--half", "2023-H1"], ["企业", "考核结论", "撤销原因", "撤销登记 revoke", "合计 total"],
     True,
     {"enterprise", "name", "half", "status", "installations", "usage_rate", "product_quality", "heating_effect",
      "service", "complaints", "complaints_per_100", "outcome", "why"}),
    (["report", "laggards", "--month", "2023-10"], ["月报迟报或未报", "乡镇", "报送状态", "迟报 late"], False,
     {"township", "month", "submission", "due_on"}),
    (["db", "info"], ["数据库 database", "表 table", "行数 rows", "合计 total"], True,
     {"database_url", "backend", "revision", "head_revision", "up_to_date", "file", "tables"}),
    (["audit", "log", "--limit", "3"], ["审计日志", "时间", "操作人", "事件", "结果"], True,
     {"specversion", "id", "source", "type", "subject", "time", "actor", "outcome", "why", "data", "sequence",
      "prevhash", "hash"}),
    (["audit", "verify"], ["审计链完整"], True, {"intact", "entries"}),
    (["ledger", "search", "张", "--limit", "3"], ["台账查询", "农户编号", "乡镇", "地址"], False,
     {"household_id", "name", "id_number", "phone", "township", "village", "address"}),
    (["payment", "show", "YC-2021-000002"], ["中央资金 central CNY", "依据 reasons", "条款"], True,
     {"household_id", "installation_id", "voucher_no", "paid_on", "central_cny", "local_cny", "total_cny",
      "household_share_cny", "actor", "reasons", "trace"}),
    (["ticket", "overdue"], ["超时未响应工单", "工单", "超时天数", "(UTC+8)"], True,
     {"ticket", "household_id", "enterprise", "kind", "category", "stage", "respond_by", "hours_late"}),
    (["duplicates", "list"], ["疑似重复农户", "农户", "依据", "相似度"], False, {"a", "b", "reason", "score"}),
    (["enterprise", "status", "ENT-12", "--on", "2023-01-01"], ["企业登记状态", "登记历史 history"], False,
     {"code", "name", "on", "status", "history"}),
    (["project", "list"], ["北京热泵项目", "项目", "区域", "支持资金"], True,
     {"project_id", "zone", "source", "kind", "heated_area_m2", "status", "support_ratio", "eligible_investment_cny",
      "support_cny", "approval_steps", "obligations"}),
    (["project", "zones"], ["重点区域", "区域", "目标面积", "完成率"], True,
     {"zone", "by_year", "target_m2", "recorded_m2"}),
]


@pytest.mark.parametrize(("args", "headers", "thousands", "keys"), HUMAN_CASES, ids=lambda v: None)
def test_default_output_is_a_table_and_json_keeps_its_keys(
        demo_file: Path, capsys: pytest.CaptureFixture[str], args: list[str], headers: list[str], thousands: bool,
        keys: set[str]) -> None:
    u = ["--database-url", url(demo_file)]
    code, out, err = run([*args, *u], capsys)
    assert code == 0, err
    for h in headers:
        assert h in out, (h, out[:2000])
    if thousands:
        assert THOUSANDS.search(out), out[:2000]
    assert "…" not in out  # wide enough when stdout is not a terminal
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)
    code, out, err = run([*args, "--json", *u], capsys)
    assert code == 0, err
    doc = json.loads(out)
    rows = doc if isinstance(doc, list) else [doc]
    assert rows and all(keys <= set(r) for r in rows)


def test_status_table_is_not_truncated(demo_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["status", "--database-url", url(demo_file)], capsys)
    st = json.loads(run(["status", "--json", "--database-url", url(demo_file)], capsys)[1])
    # every township-year's county money in full, e.g. 1,507,010 (rich's 80 columns would show "1,507,0…")
    assert all(f"{r['local_paid_cny']:,}" in out for r in st["by_township_year"])
    assert f"{st['total_paid_cny']:,}" in out


def test_pay_default_output_and_json(demo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    u = ["--database-url", url(demo_copy)]
    code, out, _ = run(["pay", "--accepted", "--township", "花马池镇", "--actor", "财务科", "--paid-on", "2024-01-10",
                        *u], capsys)
    assert code == 0 and "一次性补贴发放" in out and "合计 total CNY" in out and "已补贴 paid" in out
    assert THOUSANDS.search(out)
    code, out, _ = run(["pay", "--accepted", "--actor", "财务科", "--paid-on", "2024-01-10", "--json", *u], capsys)
    doc = json.loads(out)
    assert {"paid", "total_cny", "central_cny", "local_cny", "already_paid", "held_duplicates", "not_payable",
            "warnings"} <= set(doc) and doc["paid"] > 0


def test_demo_load_default_output(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from cleanheat.registry.services import demo

    summary = {"seed": 0, "households": 27000, "enterprises": 33, "installations": 27000, "accepted": 25914,
               "paid": 23576, "paid_cny": 122912780, "townships": 8}
    monkeypatch.setattr(demo, "load_demo", lambda *, session, seed, **_: summary)
    u = ["--database-url", url(tmp_path / "d.sqlite3")]
    code, out, _ = run(["demo", "load", *u], capsys)
    assert code == 0 and "演示项目已载入" in out and "农户 households" in out and "122,912,780" in out
    code, out, _ = run(["demo", "load", "--json", "--database-url", url(tmp_path / "e.sqlite3")], capsys)
    assert json.loads(out) == summary


def test_db_commands_default_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "a.sqlite3"
    code, out, _ = run(["db", "upgrade", "--database-url", url(src)], capsys)
    assert code == 0 and "版本 revision" in out and db.head_revision() in out
    _small(src)
    code, out, _ = run(["db", "backup", str(tmp_path / "b.json.gz"), "--database-url", url(src)], capsys)
    assert code == 0 and "已备份" in out and "household" in out and "合计 total" in out
    code, out, _ = run(["db", "backup", str(tmp_path / "c.json.gz"), "--json", "--database-url", url(src)], capsys)
    assert set(json.loads(out)) == {"file", "rows", "tables"}


def test_ledger_import_errors_as_a_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dbf = tmp_path / "l.sqlite3"
    _small(dbf)
    bad = _csv(tmp_path / "bad.csv", [_row(1), _row(2, heated_area_m2="abc")])
    code, out, err = run(["ledger", "import", str(bad), "--actor", "青山乡", "--database-url", url(dbf)], capsys)
    assert code == 2 and "nothing imported" in err
    assert "未导入" in out and "行" in out and "列" in out and "原因" in out and "heated_area_m2" in out
    good = _csv(tmp_path / "good.csv", [_row(k) for k in range(1, 3)])
    code, out, _ = run(["ledger", "import", str(good), "--actor", "青山乡", "--database-url", url(dbf)], capsys)
    assert code == 0 and "台账已导入" in out and "新增农户 households created" in out
