"""``cleanheat db`` (migrate, inspect, back up, restore) and ``cleanheat demo load``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cleanheat.cli import render
from cleanheat.cli.registry.common import (
    DB_URL,
    JSON_OUT,
    LABELS,
    LATE,
    engine_scope,
    kv,
    show,
    tables_table,
    writing,
)

if TYPE_CHECKING:
    from rich.console import Console


db_app = typer.Typer(help="Registry database: migrate, inspect, back up, restore.", no_args_is_help=True)


demo_app = typer.Typer(help="Synthetic demonstration programme.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Create or migrate the schema to the newest revision."""
    from cleanheat.registry import db

    with engine_scope(database_url, create=True, check=False) as engine:
        before = db.current_revision(engine)
        after = db.upgrade(engine)
        title = ("数据库已是最新版本 database already up to date" if before == after else
                 "数据库已创建 database created" if before is None else "数据库已升级 database upgraded")
        kv({"database_url": engine.url.render_as_string(hide_password=True), "from_revision": before,
             "revision": after}, json_out, title)


@db_app.command("info")
def db_info(json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Where the database is, its schema revision and rows per table (a missing file is shown, never created)."""
    from cleanheat.cli.registry.common import database_url_of
    from cleanheat.registry import db

    url = database_url_of(database_url)
    path = db.sqlite_file(url)
    info: dict[str, Any]
    if path is not None and not path.is_file():
        info = {"database_url": url, "backend": "sqlite", "file": str(path), "exists": False,
                "hint": f"no cleanheat database here; {db.CREATE_HINT}"}
    else:
        with engine_scope(database_url, check=False) as engine:
            info = db.info(engine)

    def draw(c: Console) -> None:
        fields = {k: v for k, v in info.items() if k != "tables"}
        if fields.get("up_to_date") is False:
            fields["up_to_date"] = f"[{LATE}]否 no — run `cleanheat db upgrade`[/]"
        c.print(render.kv_table("数据库 database", fields, LABELS))
        c.print(tables_table("各表行数 rows per table", info.get("tables") or {}))

    show(info, json_out, draw, pretty=True)


@db_app.command("backup")
def db_backup(file: Path = typer.Argument(..., help="Backup file to write (gzip'd JSON)."),
              json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Write every row to FILE (restorable into SQLite or PostgreSQL)."""
    from cleanheat.registry import db

    with engine_scope(database_url, check=False) as engine, writing(file):
        counts = db.backup(engine, file)
    show({"file": str(file), "rows": sum(counts.values()), "tables": counts}, json_out,
          lambda c: c.print(tables_table(f"已备份到 backed up to {file}", counts)))


@db_app.command("restore")
def db_restore(file: Path = typer.Argument(..., help="Backup file written by `cleanheat db backup`."),
               force: bool = typer.Option(False, "--force", help="Replace the content of a non-empty database."),
               json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Restore FILE into the database (refuses a non-empty database without --force)."""
    from cleanheat.registry import db

    with engine_scope(database_url, create=True, check=False) as engine:
        counts = db.restore(engine, file, force=force)
    show({"file": str(file), "rows": sum(counts.values()), "tables": counts}, json_out,
          lambda c: c.print(tables_table(f"已从 {file} 恢复 restored", counts)))


@demo_app.command("load")
def demo_load(seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same programme)."),
              json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Fill an EMPTY database with the synthetic 2021–2023 programme (27,000 households)."""
    from cleanheat.errors import Conflict
    from cleanheat.registry import db
    from cleanheat.registry.services.demo import load_demo

    with engine_scope(database_url, create=True) as engine:
        if not db.is_empty(engine):
            raise Conflict(f"{engine.url.render_as_string(hide_password=True)} is not empty; "
                           "`demo load` fills an empty database only")
        with db.session_scope(engine) as session:
            summary = load_demo(session=session, seed=seed)
    kv(summary, json_out, "演示项目已载入 demo programme loaded")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``cleanheat`` app."""
    app.add_typer(db_app, name="db")
    app.add_typer(demo_app, name="demo")
