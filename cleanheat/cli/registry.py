"""Registry commands: ``db``, ``demo``, ``status``, ``pay``, ``ledger``, ``report``, ``assess``, ``audit``.

SQLAlchemy and the services are imported inside the commands, so other commands start fast.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cleanheat.cli.io import write_json

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

__all__ = ["register"]

DB_URL = typer.Option(None, "--database-url", help="Database URL (default: CLEANHEAT_DATABASE_URL or the "
                      "SQLite file in the user data folder).", show_default=False)

db_app = typer.Typer(help="Registry database: migrate, inspect, back up, restore.", no_args_is_help=True)
demo_app = typer.Typer(help="Synthetic demonstration programme.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
ledger_app = typer.Typer(help="The township household ledger (台账): template, import, export.", no_args_is_help=True)
report_app = typer.Typer(help="Monthly township report and the plan table.", no_args_is_help=True)
assess_app = typer.Typer(help="Half-yearly enterprise assessment.", no_args_is_help=True)
enterprise_app = typer.Typer(help="Installing enterprises and their registration review.", no_args_is_help=True)
duplicates_app = typer.Typer(help="Suspected duplicate households: list, merge, mark distinct.", no_args_is_help=True)
ticket_app = typer.Typer(help="After-sales tickets and complaints (5-year service).", no_args_is_help=True)
payment_app = typer.Typer(help="Subsidy payments.", no_args_is_help=True)
project_app = typer.Typer(help="Beijing heat-pump projects: funding decision, approval steps, zone targets.",
                          no_args_is_help=True)


def _url(database_url: str | None) -> str:
    if database_url:
        return database_url
    from cleanheat.config import Settings

    return Settings().database_url


@contextmanager
def _engine(database_url: str | None, *, migrate: bool = True) -> Iterator[Engine]:
    from cleanheat.registry import db

    engine = db.open_database(_url(database_url), migrate=migrate)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _session(database_url: str | None) -> Iterator[Session]:
    from cleanheat.registry import db

    with _engine(database_url) as engine, db.session_scope(engine) as session:
        yield session


def _err(message: str) -> None:
    print(message, file=sys.stderr)


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Turn a failure to write ``path`` into an InputError (exit 2, no traceback)."""
    from cleanheat.errors import InputError

    try:
        yield
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}", field="file") from None


# --------------------------------------------------------------------------------------------
# db
# --------------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(database_url: str | None = DB_URL) -> None:
    """Create or migrate the schema to the newest revision."""
    from cleanheat.registry import db

    with _engine(database_url, migrate=False) as engine:
        before = db.current_revision(engine)
        after = db.upgrade(engine)
        write_json({"database_url": engine.url.render_as_string(hide_password=True), "from_revision": before,
                    "revision": after})


@db_app.command("info")
def db_info(database_url: str | None = DB_URL) -> None:
    """Where the database is, its schema revision and rows per table."""
    from cleanheat.registry import db

    with _engine(database_url, migrate=False) as engine:
        write_json(db.info(engine), pretty=True)


@db_app.command("backup")
def db_backup(file: Path = typer.Argument(..., help="Backup file to write (gzip'd JSON)."),
              database_url: str | None = DB_URL) -> None:
    """Write every row to FILE (restorable into SQLite or PostgreSQL)."""
    from cleanheat.registry import db

    with _engine(database_url, migrate=False) as engine, _writing(file):
        counts = db.backup(engine, file)
    write_json({"file": str(file), "rows": sum(counts.values()), "tables": counts})


@db_app.command("restore")
def db_restore(file: Path = typer.Argument(..., help="Backup file written by `cleanheat db backup`."),
               force: bool = typer.Option(False, "--force", help="Replace the content of a non-empty database."),
               database_url: str | None = DB_URL) -> None:
    """Restore FILE into the database (refuses a non-empty database without --force)."""
    from cleanheat.registry import db

    with _engine(database_url, migrate=False) as engine:
        counts = db.restore(engine, file, force=force)
    write_json({"file": str(file), "rows": sum(counts.values()), "tables": counts})


# --------------------------------------------------------------------------------------------
# demo, status, pay
# --------------------------------------------------------------------------------------------


@demo_app.command("load")
def demo_load(seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same programme)."),
              database_url: str | None = DB_URL) -> None:
    """Fill an EMPTY database with the synthetic 2021–2023 programme (27,000 households)."""
    from cleanheat.errors import Conflict
    from cleanheat.registry import db
    from cleanheat.registry.services.demo import load_demo

    with _engine(database_url) as engine:
        if not db.is_empty(engine):
            raise Conflict(f"{engine.url.render_as_string(hide_password=True)} is not empty; "
                           "`demo load` fills an empty database only")
        with db.session_scope(engine) as session:
            summary = load_demo(session=session, seed=seed)
    write_json(summary)


def _print_status(st: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"households {st['households']:,}  installations {st['installations']:,}  "
                  f"accepted {st['accepted']:,}  paid {st['paid']:,}")
    env = Table(title="Fund envelopes (CNY)")
    for col in ("source", "cap", "paid", "committed", "left after commitments"):
        env.add_column(col, justify="right" if col != "source" else "left")
    for source, e in st["envelopes"].items():
        env.add_row(source, f"{e['cap_cny']:,}", f"{e['paid_cny']:,}", f"{e['committed_cny']:,}",
                    f"{e['left_after_commitments_cny']:,}")
    console.print(env)
    t = Table(title="By township and year")
    for col in ("township", "year", "target", "installed", "accepted", "paid", "central CNY", "local CNY"):
        t.add_column(col, justify="left" if col == "township" else "right")
    for r in st["by_township_year"]:
        t.add_row(r["township"], str(r["year"]), str(r["target"] or "—"), str(r["installations"]),
                  str(r["accepted"]), str(r["paid"]), f"{r['central_paid_cny']:,}", f"{r['local_paid_cny']:,}")
    console.print(t)
    for w in st["warnings"]:
        console.print(f"[bold red]warning:[/] {w}")


def status(json_out: bool = typer.Option(False, "--json", help="Print JSON."),
           database_url: str | None = DB_URL) -> None:
    """Programme status: households, installations, accepted, paid, money against each envelope."""
    from cleanheat.registry.services.reports import status as compute

    with _session(database_url) as session:
        st = compute(session=session)
    if json_out:
        write_json(st)
    else:
        _print_status(st)


def pay(
    accepted: bool = typer.Option(False, "--accepted", help="Pay every accepted, unpaid installation."),
    township: str | None = typer.Option(None, "--township", help="Only this township."),
    actor: str = typer.Option(..., "--actor", help="Who pays (recorded in the audit log)."),
    paid_on: str | None = typer.Option(None, "--paid-on", help="Payment date YYYY-MM-DD (default today)."),
    why: str = typer.Option("", "--why", help="Reason recorded in the audit log."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
    database_url: str | None = DB_URL,
) -> None:
    """Pay the one-time subsidy of every accepted, unpaid installation, in one transaction (idempotent)."""
    import datetime as dt

    from cleanheat.errors import InputError
    from cleanheat.registry.services.payments import pay_accepted

    if not accepted:
        raise InputError("say what to pay: --accepted pays every accepted, unpaid installation", field="--accepted")
    day = None
    if paid_on:
        try:
            day = dt.date.fromisoformat(paid_on)
        except ValueError:
            raise InputError(f"expected YYYY-MM-DD, got {paid_on!r}", field="--paid-on") from None
    with _session(database_url) as session:
        result = pay_accepted(session=session, actor=actor, township=township, paid_on=day, why=why)
    out = result.as_dict()
    if json_out:
        write_json(out)
    else:
        typer.echo(f"paid {out['paid']:,} households, {out['total_cny']:,} CNY "
                   f"(central {out['central_cny']:,}, county {out['local_cny']:,}); "
                   f"already paid {out['already_paid']:,}; held as suspected duplicates {out['held_duplicates']:,}; "
                   f"not payable {out['not_payable']:,}")
        for w in out["warnings"]:
            _err(f"warning: {w}")


# --------------------------------------------------------------------------------------------
# audit
# --------------------------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify(database_url: str | None = DB_URL) -> None:
    """Check the hash chain: exit 0 when intact, 1 naming the first broken entry otherwise."""
    from cleanheat.registry import audit

    with _session(database_url) as session:
        n, brk = audit.verify(session)
    if brk is None:
        write_json({"intact": True, "entries": n})
        return
    from cleanheat.errors import RegistryError

    write_json({"intact": False, "entries_checked": n, "first_broken": {"sequence": brk.seq, "id": brk.event_id,
                                                                        "problem": brk.problem}})
    raise RegistryError(f"audit chain broken at entry {brk.seq}" + (f" (id {brk.event_id})" if brk.event_id else "")
                        + f": {brk.problem}")


@audit_app.command("log")
def audit_log(resource: str | None = typer.Option(None, "--resource", help="Only entries about this resource, "
                                                  "e.g. household/YC-2022-000001 or installation/17."),
              limit: int | None = typer.Option(None, "--limit", help="Only the last N entries."),
              database_url: str | None = DB_URL) -> None:
    """Audit entries as CloudEvents JSON (oldest first)."""
    from cleanheat.registry import audit

    with _session(database_url) as session:
        write_json(audit.log(session, resource=resource, limit=limit))


def register(app: typer.Typer) -> None:
    """Add the registry command groups to the ``cleanheat`` app."""
    app.add_typer(db_app, name="db")
    app.add_typer(demo_app, name="demo")
    app.add_typer(audit_app, name="audit")
    app.add_typer(ledger_app, name="ledger")
    app.add_typer(report_app, name="report")
    app.add_typer(assess_app, name="assess")
    app.add_typer(enterprise_app, name="enterprise")
    app.add_typer(duplicates_app, name="duplicates")
    app.add_typer(ticket_app, name="ticket")
    app.add_typer(payment_app, name="payment")
    app.add_typer(project_app, name="project")
    app.command("status")(status)
    app.command("pay")(pay)
    app.command("accept")(accept)
    app.command("void")(void_installation)


# --------------------------------------------------------------------------------------------
# ledger
# --------------------------------------------------------------------------------------------


@ledger_app.command("template")
def ledger_template(file: Path = typer.Argument(..., help="XLSX file to write.")) -> None:
    """Write an empty ledger template (Chinese headers, an example row, a sheet explaining the columns)."""
    from cleanheat.registry.services.ledger import write_template

    with _writing(file):
        write_template(file)
    write_json({"file": str(file)})


@ledger_app.command("import")
def ledger_import(file: Path = typer.Argument(..., help="Ledger file, .xlsx or .csv."),
                  actor: str = typer.Option(..., "--actor", help="Who imports (recorded in the audit log)."),
                  database_url: str | None = DB_URL) -> None:
    """Import a township ledger: every row validated; any error and nothing changes (exit 2)."""
    from cleanheat.registry import db
    from cleanheat.registry.services.ledger import LedgerImportError, import_file

    try:
        with _engine(database_url) as engine, db.session_scope(engine) as session:
            summary = import_file(session=session, path=file, actor=actor)
    except LedgerImportError as exc:
        write_json({"imported": False, "errors": [e.as_dict() for e in exc.errors]})
        for e in exc.errors[:20]:
            _err(f"row {e.row}, column {e.column}: {e.reason}")
        if len(exc.errors) > 20:
            _err(f"… and {len(exc.errors) - 20} more (see the JSON report on stdout)")
        raise
    write_json({"imported": True, **summary})


@ledger_app.command("export")
def ledger_export(file: Path = typer.Argument(..., help="XLSX file to write."),
                  database_url: str | None = DB_URL) -> None:
    """Export the whole ledger (template columns plus payment) to XLSX."""
    from cleanheat.registry.services.ledger import export_xlsx

    with _session(database_url) as session, _writing(file):
        n = export_xlsx(session=session, path=file)
    write_json({"file": str(file), "rows": n})


@ledger_app.command("search")
def ledger_search(query: str = typer.Argument(..., help="Ledger id, identity number, phone or start of a name."),
                  limit: int = typer.Option(20, "--limit"), database_url: str | None = DB_URL) -> None:
    """Find households by ledger id, identity number, phone or name."""
    from cleanheat.registry.services.households import search

    with _session(database_url) as session:
        write_json(search(session=session, query=query, limit=limit))


# --------------------------------------------------------------------------------------------
# reports, assessment
# --------------------------------------------------------------------------------------------


def _xlsx(path: Path, sheet: str, header: list[str], rows: list[list[Any]]) -> None:
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet[:31]
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append(r)
    with _writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        wb.save(path)


@report_app.command("monthly")
def report_monthly(township: str = typer.Option(..., "--township", help="Township name, e.g. 花马池镇."),
                   month: str = typer.Option(..., "--month", help="YYYY-MM."),
                   xlsx: Path | None = typer.Option(None, "--xlsx", help="Also write the report to this XLSX file."),
                   database_url: str | None = DB_URL) -> None:
    """A township's monthly progress report (月报表): progress against the year's target by method,
    acceptances, payments, complaints; due by the 25th, late ones flagged."""
    from cleanheat.registry.services.reports import monthly

    with _session(database_url) as session:
        rep = monthly(session=session, township=township, month=month)
    if xlsx is not None:
        rows: list[list[Any]] = [[m, v["installed_month"], v["installed_ytd"], v["accepted_month"], v["accepted_ytd"]]
                                 for m, v in rep["by_method"].items()]
        rows.append(["合计", rep["installed_month"], rep["installed_ytd"], rep["accepted_month"], rep["accepted_ytd"]])
        rows.append([])
        for k in ("year_target_households", "progress", "paid_month", "paid_month_cny", "paid_ytd", "paid_ytd_cny",
                  "complaints_month", "tickets_open_at_month_end", "due_on", "submitted_on", "submission"):
            rows.append([k, rep[k]])
        _xlsx(xlsx, f"{township}{month}", ["取暖方式", "本月安装", "年度累计安装", "本月验收", "年度累计验收"], rows)
    write_json(rep)


@report_app.command("submit")
def report_submit(township: str = typer.Option(..., "--township"), month: str = typer.Option(..., "--month"),
                  on: str | None = typer.Option(None, "--on", help="Filing date (default today)."),
                  actor: str = typer.Option(..., "--actor"), database_url: str | None = DB_URL) -> None:
    """File a township's monthly report (figures from the ledger); after the 25th it is flagged late."""
    from cleanheat.registry.services.reports import submit_monthly

    with _session(database_url) as session:
        write_json(submit_monthly(session=session, township=township, month=month, submitted_on=_date(on, "--on"),
                                  actor=actor))


@report_app.command("laggards")
def report_laggards(month: str = typer.Option(..., "--month"), database_url: str | None = DB_URL) -> None:
    """Townships whose monthly report was late or is missing (named, 盐政办发〔2022〕8号 八(三))."""
    from cleanheat.registry.services.reports import laggards

    with _session(database_url) as session:
        write_json(laggards(session=session, month=month))


@report_app.command("plan")
def report_plan(xlsx: Path | None = typer.Option(None, "--xlsx", help="Also write the table to this XLSX file."),
                database_url: str | None = DB_URL) -> None:
    """附件1: township × year, households planned vs done (accepted) and paid."""
    from cleanheat.registry.services.reports import plan

    with _session(database_url) as session:
        rows = plan(session=session)
    if xlsx is not None:
        header = ["乡镇"] + [f"{y}年{w}" for y in (2021, 2022, 2023) for w in ("计划", "完成", "已补贴")] + ["计划合计",
                                                                                                   "完成合计"]
        keys = [f"{w}_{y}" for y in (2021, 2022, 2023) for w in ("planned", "done", "paid")]
        _xlsx(xlsx, "附件1 年度任务计划表", header,
              [[r["township"], *[r[k] for k in keys], r["planned_total"], r["done_total"]] for r in rows])
    write_json(rows)


@assess_app.command("enterprises")
def assess_enterprises(half: str = typer.Option(..., "--half", help="YYYY-H1 or YYYY-H2."),
                       apply: bool = typer.Option(False, "--apply", help="Store the assessment and revoke the "
                                                  "registrations the rule names."),
                       actor: str = typer.Option("县清洁取暖领导小组", "--actor", help="Who assesses."),
                       database_url: str | None = DB_URL) -> None:
    """Half-year assessment of each enterprise: usage rate, product quality, heating effect, complaints."""
    from cleanheat.registry.services.assessments import assess

    with _session(database_url) as session:
        write_json(assess(session=session, half=half, actor=actor, apply=apply))


# --------------------------------------------------------------------------------------------
# enterprises, acceptance, duplicates, tickets, payments
# --------------------------------------------------------------------------------------------


def _date(value: str | None, field: str) -> Any:
    import datetime as dt

    from cleanheat.errors import InputError

    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"expected YYYY-MM-DD, got {value!r}", field=field) from None


@enterprise_app.command("add")
def enterprise_add(code: str = typer.Argument(..., help="Enterprise code, e.g. ENT-34."),
                   name: str = typer.Option(..., "--name"),
                   submitted_on: str | None = typer.Option(None, "--on", help="Application date (default today)."),
                   actor: str = typer.Option(..., "--actor"), database_url: str | None = DB_URL) -> None:
    """Record an enterprise's application for registration (state submitted)."""
    from cleanheat.registry.services import enterprises

    with _session(database_url) as session:
        e = enterprises.create(session=session, code=code, name=name, submitted_on=_date(submitted_on, "--on"),
                               actor=actor)
        write_json({"code": e.code, "name": e.name, "status": e.status})


@enterprise_app.command("set")
def enterprise_set(code: str = typer.Argument(...),
                   to: str = typer.Argument(..., help="reviewed | registered | rejected | suspended | revoked"),
                   on: str | None = typer.Option(None, "--on", help="Effective date (default today)."),
                   actor: str = typer.Option(..., "--actor"), why: str = typer.Option("", "--why"),
                   database_url: str | None = DB_URL) -> None:
    """Move an enterprise to its next registration state (audited)."""
    from cleanheat.registry.services import enterprises

    with _session(database_url) as session:
        e = enterprises.transition(session=session, code=code, to=to, effective_on=_date(on, "--on"), actor=actor,
                                   why=why)
        write_json({"code": e.code, "status": e.status})


@enterprise_app.command("status")
def enterprise_status(code: str = typer.Argument(...), on: str | None = typer.Option(None, "--on"),
                      database_url: str | None = DB_URL) -> None:
    """An enterprise's registration state on a date, and its history."""
    from cleanheat.registry.services import enterprises

    with _session(database_url) as session:
        e = enterprises.get_enterprise(session=session, code=code)
        day = _date(on, "--on")
        write_json({"code": e.code, "name": e.name, "on": day.isoformat(),
                    "status": enterprises.status_on(session=session, code=code, on=day),
                    "history": [{"status": h.status, "effective_on": h.effective_on.isoformat(), "actor": h.actor,
                                 "why": h.why} for h in e.history]})


def accept(installation_id: int = typer.Argument(..., help="Installation id."),
           on: str | None = typer.Option(None, "--on", help="Acceptance date (default today)."),
           inspector: list[str] = typer.Option(["县住建局", "乡镇"], "--inspector", help="Inspecting body (repeat)."),
           heating_effect_reached: bool = typer.Option(True, "--heating-effect-reached/--heating-effect-not-reached"),
           actor: str = typer.Option(..., "--actor"), database_url: str | None = DB_URL) -> None:
    """Record acceptance (验收) of an installation; refused for an unregistered enterprise's installation."""
    from cleanheat.registry.services import installations

    with _session(database_url) as session:
        a = installations.accept(session=session, installation_id=installation_id, accepted_on=_date(on, "--on"),
                                 actor=actor, heating_effect_reached=heating_effect_reached, inspectors=inspector)
        write_json({"installation_id": a.installation_id, "accepted_on": a.accepted_on.isoformat()})


def void_installation(installation_id: int = typer.Argument(..., help="Installation id."),
                      actor: str = typer.Option(..., "--actor"), why: str = typer.Option(..., "--why"),
                      database_url: str | None = DB_URL) -> None:
    """Void an installation recorded in error (not once paid); audited."""
    from cleanheat.registry.services import installations

    with _session(database_url) as session:
        inst = installations.void(session=session, installation_id=installation_id, actor=actor, why=why)
        write_json({"installation_id": inst.id, "void": inst.void})


@duplicates_app.command("list")
def duplicates_list(database_url: str | None = DB_URL) -> None:
    """Suspected duplicates (same identity number, same phone, fuzzy name + address), not yet decided."""
    from cleanheat.registry.services.households import find_duplicates

    with _session(database_url) as session:
        write_json([{"a": p.a, "b": p.b, "reason": p.reason, "score": p.score}
                    for p in find_duplicates(session=session)])


@duplicates_app.command("merge")
def duplicates_merge(keep: str = typer.Argument(..., help="household_id of the record that stands."),
                     drop: str = typer.Argument(..., help="household_id of the duplicate."),
                     actor: str = typer.Option(..., "--actor"), why: str = typer.Option(..., "--why"),
                     database_url: str | None = DB_URL) -> None:
    """Merge a duplicate into the record that stands (audited)."""
    from cleanheat.registry.services.households import merge

    with _session(database_url) as session:
        h = merge(session=session, keep=keep, drop=drop, actor=actor, why=why)
        write_json({"kept": h.household_id, "merged": drop})


@duplicates_app.command("distinct")
def duplicates_distinct(a: str = typer.Argument(...), b: str = typer.Argument(...),
                        actor: str = typer.Option(..., "--actor"), why: str = typer.Option(..., "--why"),
                        database_url: str | None = DB_URL) -> None:
    """Record that two suspected records are different households (audited)."""
    from cleanheat.registry.services.households import mark_distinct

    with _session(database_url) as session:
        mark_distinct(session=session, a=a, b=b, actor=actor, why=why)
        write_json({"distinct": [a, b]})


@ticket_app.command("open")
def ticket_open(household_id: str = typer.Argument(...),
                kind: str = typer.Option("service", "--kind", help="complaint | service"),
                category: str = typer.Option(..., "--category",
                                             help="quality | service | heating_effect | not_in_use | other"),
                description: str = typer.Option("", "--description"), actor: str = typer.Option(..., "--actor"),
                database_url: str | None = DB_URL) -> None:
    """Open an after-sales ticket or complaint on the household's accepted installation."""
    from cleanheat.registry.services import tickets

    with _session(database_url) as session:
        t = tickets.open_ticket(session=session, household_id=household_id, kind=kind, category=category,
                                description=description, actor=actor)
        write_json({"ticket": t.id, "stage": t.stage, "respond_by": t.respond_by.isoformat()})


@ticket_app.command("advance")
def ticket_advance(ticket_id: int = typer.Argument(...),
                   to: str = typer.Argument(..., help="assigned | responded | resolved | closed"),
                   note: str = typer.Option("", "--note"), actor: str = typer.Option(..., "--actor"),
                   database_url: str | None = DB_URL) -> None:
    """Move a ticket to its next stage."""
    from cleanheat.registry.services import tickets

    with _session(database_url) as session:
        t = tickets.advance(session=session, ticket_id=ticket_id, to=to, actor=actor, note=note)
        write_json({"ticket": t.id, "stage": t.stage, "overdue": t.overdue})


@ticket_app.command("overdue")
def ticket_overdue(database_url: str | None = DB_URL) -> None:
    """Tickets not responded to within the response-time limit."""
    from cleanheat.registry.services import tickets

    with _session(database_url) as session:
        write_json(tickets.overdue(session=session))


@payment_app.command("show")
def payment_show(household_id: str = typer.Argument(...), database_url: str | None = DB_URL) -> None:
    """A household's payment with the rules engine's reasons and trace."""
    from cleanheat.registry.services.payments import get_payment

    with _session(database_url) as session:
        write_json(get_payment(session=session, household_id=household_id))


@project_app.command("add")
def project_add(file: str = typer.Argument(..., help="JSON project record(s) as `funding beijing` takes, or -."),
                actor: str = typer.Option(..., "--actor"), database_url: str | None = DB_URL) -> None:
    """Decide and record Beijing projects (rules engine), with their approval steps and obligations."""
    from cleanheat.cli.io import read_json_records
    from cleanheat.registry.services import beijing

    records, _ = read_json_records(file)
    with _session(database_url) as session:
        n = beijing.record_projects(session=session, records=records, actor=actor)
        beijing.ensure_zone_targets(session=session)
        write_json({"recorded": n})


@project_app.command("list")
def project_list(zone: str | None = typer.Option(None, "--zone"), database_url: str | None = DB_URL) -> None:
    """Recorded Beijing projects."""
    from cleanheat.registry.services import beijing

    with _session(database_url) as session:
        write_json(beijing.list_projects(session=session, zone=zone))


@project_app.command("approve")
def project_approve(project_id: str = typer.Argument(...), step: int = typer.Option(..., "--step"),
                    refuse: bool = typer.Option(False, "--refuse"), on: str | None = typer.Option(None, "--on"),
                    actor: str = typer.Option(..., "--actor"), why: str = typer.Option("", "--why"),
                    database_url: str | None = DB_URL) -> None:
    """Record the authority's decision on an approval step (steps in order)."""
    from cleanheat.registry.services import beijing

    with _session(database_url) as session:
        write_json(beijing.decide_step(session=session, project_id=project_id, seq=step, approved=not refuse,
                                       on=_date(on, "--on"), actor=actor, why=why))


@project_app.command("zones")
def project_zones(database_url: str | None = DB_URL) -> None:
    """Zone targets (new heat-pump area by 2022) against the area of recorded projects."""
    from cleanheat.registry.services import beijing

    with _session(database_url) as session:
        beijing.ensure_zone_targets(session=session)
        write_json(beijing.zone_progress(session=session))
