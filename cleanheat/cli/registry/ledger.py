"""``cleanheat ledger``: the township household ledger (台账) — template, import, export, search."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cleanheat.cli import render
from cleanheat.cli.io import write_json
from cleanheat.cli.registry.common import (
    DB_URL,
    JSON_OUT,
    LABELS,
    LATE,
    engine_scope,
    err,
    kv,
    method_name,
    session_scope,
    show,
    writing,
)

if TYPE_CHECKING:
    from rich.console import Console


ledger_app = typer.Typer(help="The township household ledger (台账): template, import, export.", no_args_is_help=True)


@ledger_app.command("template")
def ledger_template(file: Path = typer.Argument(..., help="XLSX file to write."),
                    json_out: bool = JSON_OUT) -> None:
    """Write an empty ledger template: sheet 台账 (Chinese headers, identity number and phone as text, drop-downs),
    sheet 示例 (an example row, refused if imported), sheet 说明 (each column, the method names accepted)."""
    from cleanheat.registry.services.ledger import write_template

    with writing(file):
        write_template(file)
    kv({"file": str(file)}, json_out, "台账模板已写出 ledger template written")


@ledger_app.command("import")
def ledger_import(file: Path = typer.Argument(..., help="Ledger file: .xlsx, .xls or .csv (UTF-8 or GBK)."),
                  actor: str = typer.Option(..., "--actor", help="Who imports (recorded in the audit log)."),
                  json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Import a township ledger: every row validated; any error and nothing changes (exit 2)."""
    from cleanheat.registry import db
    from cleanheat.registry.services.ledger import LedgerImportError, import_file

    try:
        with engine_scope(database_url) as engine, db.session_scope(engine) as session:
            summary = import_file(session=session, path=file, actor=actor)
    except LedgerImportError as exc:
        errors = [e.as_dict() for e in exc.errors]
        if not json_out:
            render.console().print(render.records_table(
                f"[{LATE}]台账有 {len(errors):,} 处错误，未导入任何记录 {len(errors):,} error(s), nothing imported[/]",
                errors, {**LABELS, "row": "行 row", "column": "列 column", "reason": "原因 reason"}))
            raise
        write_json({"imported": False, "errors": errors})
        for e in exc.errors[:20]:
            err(f"row {e.row}, column {e.column}: {e.reason}")
        if len(exc.errors) > 20:
            err(f"… and {len(exc.errors) - 20} more (see the JSON report on stdout)")
        raise
    kv({"imported": True, **summary}, json_out, f"台账已导入 ledger imported: {file.name}")


@ledger_app.command("export")
def ledger_export(file: Path = typer.Argument(..., help="XLSX file to write."),
                  json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Export the whole ledger to XLSX: the template's columns (it imports back), the payment and 状态."""
    from cleanheat.registry.services.ledger import export_xlsx

    with session_scope(database_url, read_only=True) as session, writing(file):
        n = export_xlsx(session=session, path=file)
    kv({"file": str(file), "rows": n}, json_out, "台账已导出 ledger exported")


@ledger_app.command("search")
def ledger_search(query: str = typer.Argument(..., metavar="QUERY",
                                             help="农户编号 ledger id, 身份证号 identity number, 电话 phone or the "
                                                  "start of a name."),
                  limit: int = typer.Option(20, "--limit", metavar="N", min=1, help="At most N households."),
                  json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Find households by ledger id, identity number, phone or name; each with its installation ids
    (what `cleanheat accept ID` and `cleanheat void ID` take), method and state."""
    from cleanheat.registry.services.household_view import INSTALLATION_STATE_NAMES, with_installations
    from cleanheat.registry.services.households import search

    with session_scope(database_url, read_only=True) as session:
        found = with_installations(session=session, found=search(session=session, query=query, limit=limit))
    shown = [{**r, "installation_ids": "; ".join(str(i) for i in r["installation_ids"]) or "—",
              "methods": "; ".join(method_name(m) for m in r["methods"]) or "—",
              "states": "; ".join(INSTALLATION_STATE_NAMES.get(s, s) for s in r["states"]) or "—"} for r in found]
    keys = ["household_id", "name", "id_number", "phone", "township", "village", "address", "installation_ids",
            "methods", "states"]

    def draw(c: Console) -> None:
        if not found:
            c.print(f"没有找到 no household matches {query!r}")
            return
        c.print(render.records_table(f"台账查询 ledger search: {query}", shown,
                                     {**LABELS, "methods": LABELS["method"], "states": LABELS["state"]}, keys=keys))

    show(found, json_out, draw)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``cleanheat`` app."""
    app.add_typer(ledger_app, name="ledger")
