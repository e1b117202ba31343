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

    with _engine(database_url, migrate=False) as engine:
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


# --------------------------------------------------------------------------------------------
# audit
# --------------------------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify(database_url: str | None = DB_URL) -> None:
    """Check the hash chain: exit 0 when intact, 6 naming the first broken entry otherwise."""
    from cleanheat.registry import audit

    with _session(database_url) as session:
        n, brk = audit.verify(session)
    if brk is None:
        write_json({"intact": True, "entries": n})
        return
    write_json({"intact": False, "entries_checked": n, "first_broken": {"sequence": brk.seq, "id": brk.event_id,
                                                                        "problem": brk.problem}})
    _err(f"audit chain broken at entry {brk.seq}" + (f" (id {brk.event_id})" if brk.event_id else "")
         + f": {brk.problem}")
    raise typer.Exit(6)


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
    app.command("status")(status)
    app.command("pay")(pay)
