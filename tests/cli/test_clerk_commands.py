"""A clerk's daily commands: household show, enterprise list, ticket list/show, ledger search with installation ids,
audit log filters, --xlsx on every table, tables that keep every digit at 80 and 120 columns, readable help."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from rich.console import Console

from cleanheat.cli import main, render
from cleanheat.registry import db
from cleanheat.registry.services import installations
from tests.registry import factories


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def url(path: Path) -> str:
    return str(path) if isinstance(path, PgSchema) else f"sqlite:///{path}"


PG_URL = os.environ.get("CLEANHEAT_TEST_POSTGRES_URL")


class PgSchema(str):
    """A PostgreSQL URL in a fresh schema, passed where the tests pass a SQLite path (see :func:`url`)."""


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not PG_URL, reason="CLEANHEAT_TEST_POSTGRES_URL not set"))])
def small(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, dict[str, int]]]:
    """Three households of 花马池镇 红井子村 by ENT-A (registered): YC-T-000001 accepted 80 m² ashp_water,
    invoice 16,000 (payable: 3,500 + 1,800 = 5,300, household share 10,700); YC-T-000002 accepted but 45 m²
    (below the 60 m² minimum); YC-T-000003 installed, not accepted. On SQLite and, when
    ``CLEANHEAT_TEST_POSTGRES_URL`` is set, on PostgreSQL in a fresh schema."""
    schema = None
    if request.param == "postgresql":
        from sqlalchemy import create_engine, text

        assert PG_URL
        schema = f"t_{uuid.uuid4().hex[:12]}"
        admin = create_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in PG_URL else "?"
        path: Path = PgSchema(f"{PG_URL}{sep}options=-csearch_path%3D{schema}")  # type: ignore[assignment]
    else:
        path = tmp_path / "small.sqlite3"
    engine = db.open_database(url(path), create=True)
    ids: dict[str, int] = {}
    try:
        with db.session_scope(engine) as s:
            factories.programme(s)
            ids["paid"] = factories.accepted_installation(s, 1)
            hpk = factories.household(s, 2, heated_area_m2=45.0)
            ids["small"] = factories.installation(s, hpk)
            installations.accept(session=s, installation_id=ids["small"], accepted_on=dt.date(2022, 7, 1),
                                 actor="县住建局")
            ids["pending"] = factories.installation(s, factories.household(s, 3))
    finally:
        engine.dispose()
    yield path, ids
    if schema is not None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def wide_console(width: int) -> Console:
    return Console(width=width, file=sys.stdout, force_terminal=True, color_system=None)


# --------------------------------------------------------------------------------------------
# household show
# --------------------------------------------------------------------------------------------


def test_household_show_paid(small: tuple[Path, dict[str, int]], capsys: pytest.CaptureFixture[str]) -> None:
    path, ids = small
    u = ["--database-url", url(path)]
    assert run(["pay", "--accepted", "--actor", "财务", "--paid-on", "2022-08-20", *u], capsys)[0] == 0
    code, out, err = run(["household", "show", "YC-T-000001", *u], capsys)
    assert code == 0, err
    assert "已补贴 paid" in out and "5,300" in out and "10,700" in out and "BT20220820-YC-T-000001" in out
    assert "空气源热泵热水机 ashp_water" in out and "ENT-A" in out and "16,000" in out
    assert "time (UTC+8)" in out and "payment.made" in out  # the timeline, in programme time
    code, out, _ = run(["household", "show", "--json", "YC-T-000001", *u], capsys)
    doc = json.loads(out)
    assert doc["status"] == "paid" and doc["payment"]["total_cny"] == 5300
    assert [i["installation_id"] for i in doc["installations"]] == [ids["paid"]]
    assert doc["decision"]["status"] == "payable" and doc["decision"]["failed"] in ([], doc["decision"]["reasons"])
    actions = [e["action"] for e in doc["timeline"]]
    assert {"household.created", "installation.recorded", "installation.accepted", "payment.made"} <= set(actions)
    assert all(e["at"].endswith("+08:00") for e in doc["timeline"])


def test_household_show_not_payable_names_its_failing_rule(small: tuple[Path, dict[str, int]],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = small
    code, out, err = run(["household", "show", "YC-T-000002", "--database-url", url(path)], capsys)
    assert code == 0, err
    assert "不予补贴" in out and "清洁取暖面积低于60平方米" in out
    code, out, _ = run(["household", "show", "--json", "YC-T-000002", "--database-url", url(path)], capsys)
    d = json.loads(out)["decision"]
    assert d["status"] == "ineligible" and d["total_cny"] == 0
    if d["failed_marked"]:  # the engine marks each reason passed or not: only the failing one is shown
        assert [r["rule"] for r in d["failed"]] == ["minimum_heated_area"]
        text = run(["household", "show", "YC-T-000002", "--database-url", url(path)], capsys)[1]
        assert "未通过的规则 rules not met" in text and "农户此前未享受清洁取暖补贴" not in text
    else:  # until it does, every reason, labelled so
        assert "未标明" in run(["household", "show", "YC-T-000002", "--database-url", url(path)], capsys)[1]


def test_household_show_pending(small: tuple[Path, dict[str, int]], capsys: pytest.CaptureFixture[str]) -> None:
    path, ids = small
    code, out, _ = run(["household", "show", "--json", "YC-T-000003", "--database-url", url(path)], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["status"] == "pending" and doc["payment"] is None
    assert doc["installations"][0]["installation_id"] == ids["pending"]
    assert doc["installations"][0]["accepted_on"] is None and doc["decision"]["status"] == "pending_acceptance"
    out = run(["household", "show", "YC-T-000003", "--database-url", url(path)], capsys)[1]
    assert "待验收" in out and "cleanheat accept" in out
    code, _, err = run(["household", "show", "YC-NOPE", "--database-url", url(path)], capsys)
    assert code == 3 and "YC-NOPE" in err and "Traceback" not in err


def test_ledger_search_shows_installation_ids(small: tuple[Path, dict[str, int]],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path, ids = small
    code, out, _ = run(["ledger", "search", "--json", "测试户", "--database-url", url(path)], capsys)
    found = {r["household_id"]: r for r in json.loads(out)}
    assert found["YC-T-000003"]["installation_ids"] == [ids["pending"]]
    assert found["YC-T-000003"]["states"] == ["pending"] and found["YC-T-000001"]["methods"] == ["ashp_water"]
    out = run(["ledger", "search", "测试户3", "--database-url", url(path)], capsys)[1]
    assert str(ids["pending"]) in out and "安装编号" in out and "待验收" in out
    out = run(["ledger", "search", "没有这个人", "--database-url", url(path)], capsys)[1]
    assert "没有找到" in out
    code, _, err = run(["ledger", "search", "测试户", "--limit", "0", "--database-url", url(path)], capsys)
    assert code == 2


# --------------------------------------------------------------------------------------------
# audit log
# --------------------------------------------------------------------------------------------


def test_audit_log_filters(small: tuple[Path, dict[str, int]], tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    path, ids = small
    u = ["--database-url", url(path)]
    run(["pay", "--accepted", "--actor", "财务", "--paid-on", "2022-08-20", *u], capsys)
    code, out, _ = run(["audit", "log", "--json", "--resource", "YC-T-000001", *u], capsys)
    events = json.loads(out)
    assert code == 0 and {e["subject"] for e in events} == {"household/YC-T-000001"}
    assert [e["type"] for e in events] == ["cn.cleanheat.household.created", "cn.cleanheat.payment.made"]
    code, out, _ = run(["audit", "log", "--json", "--resource", f"installation/{ids['paid']}", *u], capsys)
    assert [e["type"] for e in json.loads(out)] == ["cn.cleanheat.installation.recorded",
                                                    "cn.cleanheat.installation.accepted"]
    code, out, _ = run(["audit", "log", "--json", "--actor", "财务", *u], capsys)
    assert {e["type"] for e in json.loads(out)} == {"cn.cleanheat.payment.made", "cn.cleanheat.payment.batch"}
    code, out, _ = run(["audit", "log", "--json", "--action", "payment", *u], capsys)
    assert len(json.loads(out)) == 2
    code, out, _ = run(["audit", "log", "--json", "--action", "payment.batch", *u], capsys)
    assert len(json.loads(out)) == 1
    today = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    code, out, _ = run(["audit", "log", "--json", "--since", today.isoformat(), "--until", today.isoformat(), *u],
                       capsys)
    all_n = len(json.loads(run(["audit", "log", "--json", *u], capsys)[1]))
    assert len(json.loads(out)) == all_n
    code, out, _ = run(["audit", "log", "--since", (today + dt.timedelta(days=1)).isoformat(), *u], capsys)
    assert code == 0 and "没有符合条件的审计记录 no matching entries" in out
    code, out, _ = run(["audit", "log", "--resource", "YC-2099-999999", *u], capsys)
    assert "没有符合条件的审计记录" in out
    for bad in ("0", "-5"):
        code, _, err = run(["audit", "log", "--limit", bad, *u], capsys)
        assert code == 2 and "--limit" in err and "Traceback" not in err
    code, out, _ = run(["audit", "log", "--limit", "2", *u], capsys)
    assert "time (UTC+8)" in out and "(2 条 entries)" in out
    xlsx = tmp_path / "audit.xlsx"
    assert run(["audit", "log", "--actor", "财务", "--xlsx", str(xlsx), *u], capsys)[0] == 0
    ws = openpyxl.load_workbook(xlsx).active
    assert ws is not None
    header = [c.value for c in ws[1]]
    assert header[:3] == ["序号 seq", "时间 time (UTC+8)", "操作人 actor"]
    assert isinstance(ws.cell(row=2, column=1).value, int) and isinstance(ws.cell(row=2, column=2).value, dt.datetime)


# --------------------------------------------------------------------------------------------
# enterprises and tickets (demo programme)
# --------------------------------------------------------------------------------------------


def test_enterprise_list(demo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    u = ["--database-url", url(demo_file)]
    code, out, _ = run(["enterprise", "list", "--json", *u], capsys)
    rows = json.loads(out)
    st = json.loads(run(["status", "--json", *u], capsys)[1])
    assert code == 0 and len(rows) == 33
    enterprise_installs = sum(r["installations"] for r in rows)
    assert 0 < enterprise_installs <= st["installations"] and sum(r["paid"] for r in rows) <= st["paid"]
    assert all(r["accepted"] <= r["installations"] and r["paid"] <= r["accepted"] for r in rows)
    ent01 = next(r for r in rows if r["code"] == "ENT-01")
    assert ent01["status"] == "registered" and ent01["registered_since"]
    code, out, _ = run(["enterprise", "list", "--xlsx", str(tmp_path / "e.xlsx"), *u], capsys)
    assert "安装企业" in out and "已登记 registered" in out and "投诉" in out
    ws = openpyxl.load_workbook(tmp_path / "e.xlsx").active
    assert ws is not None
    assert [c.value for c in ws[1]][:3] == ["企业编号 code", "名称 name", "状态 status"]
    assert ws.cell(row=2, column=3).value == "已登记 registered" and isinstance(ws.cell(row=2, column=5).value, int)


def test_enterprise_set_prints_the_status_in_chinese(small: tuple[Path, dict[str, int]],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = small
    code, out, _ = run(["enterprise", "set", "ENT-B", "reviewed", "--on", "2022-04-10", "--actor", "专家组",
                        "--database-url", url(path)], capsys)
    assert code == 0 and "已评审 reviewed" in out
    code, out, _ = run(["enterprise", "set", "ENT-B", "已登记", "--on", "2022-04-20", "--actor", "县住建局", "--json",
                        "--database-url", url(path)], capsys)
    assert json.loads(out) == {"code": "ENT-B", "status": "registered"}


def test_ticket_list_show_and_chinese_names(small: tuple[Path, dict[str, int]],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path, ids = small
    u = ["--database-url", url(path)]
    code, out, err = run(["ticket", "open", "--json", "YC-T-000001", "--kind", "投诉", "--category", "供暖效果",
                          "--actor", "农户", *u], capsys)
    assert code == 0, err
    ticket = json.loads(out)["ticket"]
    code, _, err = run(["ticket", "open", "YC-T-000001", "--kind", "抱怨", "--category", "质量", "--actor", "x", *u],
                       capsys)
    assert code == 2 and "投诉（complaint）" in err
    assert run(["ticket", "advance", str(ticket), "已派单", "--actor", "乡镇", *u], capsys)[0] == 0
    code, out, _ = run(["ticket", "list", "--json", "--open", "--household", "YC-T-000001", *u], capsys)
    (t,) = json.loads(out)
    assert (t["ticket"], t["kind"], t["category"], t["stage"]) == (ticket, "complaint", "heating_effect", "assigned")
    assert t["late_s"] == 0 and t["overdue"] is False
    out = run(["ticket", "list", "--enterprise", "ENT-A", *u], capsys)[1]
    assert "投诉 complaint" in out and "供暖效果 heating effect" in out and "已派单 assigned" in out
    assert "(UTC+8)" in out
    out = run(["ticket", "list", "--township", "青山乡", *u], capsys)[1]
    assert "没有符合条件的工单" in out
    code, out, _ = run(["ticket", "show", "--json", str(ticket), *u], capsys)
    doc = json.loads(out)
    assert doc["installation_id"] == ids["paid"] and [e["stage"] for e in doc["events"]] == ["opened", "assigned"]
    out = run(["ticket", "show", str(ticket), *u], capsys)[1]
    assert "处理经过 steps" in out and "已受理 opened" in out and "已派单 assigned" in out
    code, _, err = run(["ticket", "show", "999", *u], capsys)
    assert code == 3 and "999" in err


def test_ticket_overdue_shows_days_and_hours(demo_file: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    u = ["--database-url", url(demo_file)]
    late = json.loads(run(["ticket", "overdue", "--json", *u], capsys)[1])
    assert late
    hours = late[0]["hours_late"]
    out = run(["ticket", "overdue", "--xlsx", str(tmp_path / "o.xlsx"), *u], capsys)[1]
    days = int(hours // 24)
    assert f"{days:,}天" in out and f"{days:,} d" in out
    ws = openpyxl.load_workbook(tmp_path / "o.xlsx").active
    assert ws is not None
    header = [c.value for c in ws[1]]
    assert "工单 ticket" in header and "超时 late by" in header and "超时小时 hours late" in header
    col = header.index("超时小时 hours late") + 1
    assert isinstance(ws.cell(row=2, column=col).value, int | float)
    assert ws.cell(row=2, column=header.index("类型 kind") + 1).value in ("投诉 complaint", "服务 service")


# --------------------------------------------------------------------------------------------
# --xlsx on every table
# --------------------------------------------------------------------------------------------


def _sheet_values(path: Path) -> list[list[object]]:
    wb = openpyxl.load_workbook(path)
    return [[c.value for c in row] for ws in wb for row in ws.iter_rows()]


def test_status_assess_duplicates_xlsx(demo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    u = ["--database-url", url(demo_file)]
    st = json.loads(run(["status", "--json", *u], capsys)[1])
    assert run(["status", "--xlsx", str(tmp_path / "s.xlsx"), *u], capsys)[0] == 0
    wb = openpyxl.load_workbook(tmp_path / "s.xlsx")
    by_town = wb["分乡镇分年度 by township"]
    assert [c.value for c in by_town[1]][:2] == ["乡镇 township", "年度 year"]
    assert by_town.cell(row=2, column=8).value == st["by_township_year"][0]["local_paid_cny"]
    assert by_town.cell(row=2, column=8).number_format == "#,##0" and by_town.cell(row=2, column=2).value == 2021
    assert ["合计 total CNY", st["total_paid_cny"]] in _sheet_values(tmp_path / "s.xlsx")

    rows = json.loads(run(["assess", "enterprises", "--half", "2023-H1", "--json", *u], capsys)[1])
    assert run(["assess", "enterprises", "--half", "2023-H1", "--xlsx", str(tmp_path / "a.xlsx"), *u], capsys)[0] == 0
    ws = openpyxl.load_workbook(tmp_path / "a.xlsx").active
    assert ws is not None
    header = [c.value for c in ws[1]]
    assert header[0] == "企业 enterprise" and "使用率 usage" in header and "撤销原因 reasons for revocation" in header
    usage = ws.cell(row=2, column=header.index("使用率 usage") + 1)
    assert usage.value == pytest.approx(rows[0]["usage_rate"]) and usage.number_format == "0.0%"

    pairs = json.loads(run(["duplicates", "list", "--json", *u], capsys)[1])
    assert run(["duplicates", "list", "--xlsx", str(tmp_path / "d.xlsx"), *u], capsys)[0] == 0
    ws = openpyxl.load_workbook(tmp_path / "d.xlsx").active
    assert ws is not None
    header = [c.value for c in ws[1]]
    assert header[:2] == ["农户 A", "A 姓名 name"] and "相似度 score" in header
    assert ws.max_row == len(pairs) + 1
    if pairs:
        assert isinstance(ws.cell(row=2, column=header.index("相似度 score") + 1).value, int | float)


def test_monthly_and_plan_workbooks(demo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    u = ["--database-url", url(demo_file)]
    m = tmp_path / "m.xlsx"
    rep = json.loads(run(["report", "monthly", "--json", "--township", "花马池镇", "--month", "2022-11", "--xlsx",
                          str(m), *u], capsys)[1])
    values = _sheet_values(m)
    flat = [v for row in values for v in row if v is not None]
    assert "花马池镇" in str(values[0][0]) and "月报表" in str(values[0][0])
    assert "空气源热泵热水机 ashp_water" in flat and "ashp_water" not in flat
    assert not any(isinstance(v, str) and v in ("year_target_households", "paid_month_cny", "submission")
                   for v in flat)
    ws = openpyxl.load_workbook(m).active
    assert ws is not None
    progress = next(r for r in ws.iter_rows() if r[0].value == "完成率 progress")[1]
    assert progress.value == pytest.approx(rep["progress"]) and progress.number_format == "0.0%"
    due = next(r for r in ws.iter_rows() if r[0].value == "截止日期 due")[1]
    assert isinstance(due.value, dt.datetime) and due.value.date() == dt.date(2022, 11, 25)
    p = tmp_path / "p.xlsx"
    assert run(["report", "plan", "--xlsx", str(p), *u], capsys)[0] == 0
    ws = openpyxl.load_workbook(p).active
    assert ws is not None
    header = [c.value for c in ws[1]]
    assert header[-1] == "完成率"
    total = next(r for r in ws.iter_rows() if r[0].value == "合计")
    assert total[-1].number_format == "0.0%" and 0 < total[-1].value <= 1


# --------------------------------------------------------------------------------------------
# tables at 80 and 120 columns, help texts
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [80, 120])
def test_status_keeps_every_amount_at_terminal_widths(demo_file: Path, width: int, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    st = json.loads(run(["status", "--json", "--database-url", url(demo_file)], capsys)[1])
    monkeypatch.setattr(render, "console", lambda **kw: wide_console(width))
    code, out, _ = run(["status", "--database-url", url(demo_file)], capsys)
    assert code == 0 and "…" not in out
    assert all(len(line) <= width for line in out.splitlines())
    for r in st["by_township_year"]:
        assert f"{r['local_paid_cny']:,}" in out and f"{r['central_paid_cny']:,}" in out
    for e in st["envelopes"].values():
        assert f"{e['left_after_commitments_cny']:,}" in out and f"{e['cap_cny']:,}" in out
    assert f"{sum(r['central_paid_cny'] for r in st['by_township_year']):,}" in out


@pytest.mark.parametrize("width", [80, 120])
def test_assessment_and_audit_log_keep_numbers(demo_file: Path, width: int, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(render, "console", lambda **kw: wide_console(width))
    out = run(["assess", "enterprises", "--half", "2023-H1", "--database-url", url(demo_file)], capsys)[1]
    assert "…" not in out and "ENT-12" in out and "撤销登记" in out
    out = run(["audit", "log", "--limit", "5", "--database-url", url(demo_file)], capsys)[1]
    assert "…" not in out
    out = run(["report", "plan", "--database-url", url(demo_file)], capsys)[1]
    assert "…" not in out and "27,000" in out


def _all_commands() -> list[list[str]]:
    import typer.main

    from cleanheat.cli import app

    out: list[list[str]] = []

    def walk(cmd: object, path: list[str]) -> None:
        out.append(path)
        for name, sub in (getattr(cmd, "commands", None) or {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return out


def test_help_texts_are_readable(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    commands = _all_commands()
    assert ["household", "show"] in commands and ["enterprise", "list"] in commands and ["ticket", "show"] in commands
    for path in commands:
        code, out, err = run([*path, "--help"], capsys)
        assert code == 0, (path, err)
        for bad in ("SPEC", "<bool>", "<list[str]>", "<str>", "<int>", "<Path>"):
            assert bad not in out, (path, bad)
    out = run(["accept", "--help"], capsys)[1]
    assert "ledger search" in out and "household show" in out and "YYYY-MM-DD" in out


def test_every_option_has_help() -> None:
    import typer.main

    from cleanheat.cli import app

    missing = []

    def walk(cmd: object, path: list[str]) -> None:
        for p in getattr(cmd, "params", []):
            if p.name != "help" and not getattr(p, "help", None):
                missing.append((" ".join(path), p.name))
        for name, sub in (getattr(cmd, "commands", None) or {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), ["cleanheat"])
    assert missing == []


def test_no_arguments_prints_help_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run([], capsys)
    assert code == 0 and "项目台账 registry" in out and "政策规则 rules" in out and "工程模拟 engineering" in out


def test_status_on_an_empty_programme_says_how_to_start(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["db", "upgrade", "--database-url", url(tmp_path / "new.sqlite3")], capsys)[0] == 0
    code, out, _ = run(["status", "--database-url", url(tmp_path / "new.sqlite3")], capsys)
    assert code == 0 and "cleanheat ledger template" in out and "cleanheat demo load" in out


def test_project_zones_reads_only_and_project_list_names_zones(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    import sqlite3

    path = tmp_path / "bj.sqlite3"
    u = ["--database-url", url(path)]
    assert run(["db", "upgrade", *u], capsys)[0] == 0
    code, out, _ = run(["project", "zones", "--json", *u], capsys)
    zones = {z["zone"]: z for z in json.loads(out)}
    assert code == 0 and zones["plain_new_towns"]["target_m2"] == 4_000_000
    con = sqlite3.connect(path)
    try:
        assert con.execute("SELECT count(*) FROM beijing_zone_target").fetchone() == (0,)
    finally:
        con.close()
    out = run(["project", "zones", *u], capsys)[1]
    assert "平原新城 plain_new_towns" in out
    code, _, err = run(["project", "list", "--zone", "火星", *u], capsys)
    assert code == 2 and "平原新城（plain_new_towns）" in err
    code, out, _ = run(["project", "list", "--zone", "城市副中心", *u], capsys)
    assert code == 0 and "没有已记录的北京项目" in out
    rec = {"project_id": "BJ-C1", "zone": "plain_new_towns", "source": "sewage", "kind": "expansion",
           "heated_area_m2": 120000, "investment_cny": {"water_intake": 3000000, "heat_pump_units": 4000000},
           "ground_heat_balance_ok": True, "applied_on": "2021-05-10"}
    f = tmp_path / "p.json"
    f.write_text(json.dumps([rec]), encoding="utf-8")
    code, out, _ = run(["project", "add", str(f), "--actor", "市发改委", *u], capsys)
    # 30 % of the 7,000,000 CNY heat source investment
    assert code == 0 and "2,100,000" in out and "污水源 sewage" in out and "获资金支持 funded" in out


def test_kv_and_import_labels_are_translated() -> None:
    from cleanheat.cli.registry.common import LABELS

    for key in ("households_updated", "households_unchanged", "installations_created", "acceptances_recorded"):
        assert LABELS[key][0] > "\u2e80"  # Chinese first
    assert LABELS["household_share_cny"].startswith("农户自筹")
    assert LABELS["local_cny"].startswith("地方资金") and LABELS["local_paid_cny"].startswith("地方资金")


def test_progress_bar_only_on_a_terminal() -> None:
    buf = io.StringIO()
    with render.progress("导出台账 exporting", out=Console(file=buf, force_terminal=False)) as advance:
        advance(1, 2)
    assert buf.getvalue() == ""


def test_household_show_keeps_only_reasons_marked_failed(small: tuple[Path, dict[str, int]],
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """With an engine that marks each reason ``passed`` (the policy work of issue #8), only the failed ones show."""
    from cleanheat.policy import decide

    real = decide.decide_yanchi

    def marked(records: list[dict[str, object]], **kw: object) -> list[dict[str, object]]:
        out = real(records, **kw)  # type: ignore[arg-type]
        for d in out:
            for r in d["reasons"]:
                r.setdefault("passed", r["rule"] != "minimum_heated_area")
        return out

    monkeypatch.setattr(decide, "decide_yanchi", marked)
    path, _ = small
    code, out, _ = run(["household", "show", "YC-T-000002", "--database-url", url(path)], capsys)
    assert code == 0 and "未通过的规则 rules not met" in out and "清洁取暖面积低于60平方米" in out
    assert "农户此前未享受清洁取暖补贴" not in out and "未标明" not in out
    doc = json.loads(run(["household", "show", "--json", "YC-T-000002", "--database-url", url(path)], capsys)[1])
    assert [r["rule"] for r in doc["decision"]["failed"]] == ["minimum_heated_area"]


def test_xlsx_needs_an_xlsx_name(small: tuple[Path, dict[str, int]], tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = small
    code, _, err = run(["enterprise", "list", "--xlsx", str(tmp_path / "e.csv"), "--database-url", url(path)], capsys)
    assert code == 2 and ".xlsx" in err and not (tmp_path / "e.csv").exists()


def test_assess_takes_the_half_year_in_chinese(demo_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    u = ["--database-url", url(demo_file)]
    chinese = json.loads(run(["assess", "enterprises", "--half", "2023-上半年", "--json", *u], capsys)[1])
    code = json.loads(run(["assess", "enterprises", "--half", "2023-H1", "--json", *u], capsys)[1])
    assert chinese == code and chinese[0]["half"] == "2023-H1"
