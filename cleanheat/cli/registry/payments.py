"""``cleanheat pay`` and ``cleanheat payment``: the one-time subsidy and its record."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from cleanheat.cli import render
from cleanheat.cli.io import write_json
from cleanheat.cli.registry.common import (
    DB_URL,
    JSON_OUT,
    LABELS,
    LATE,
    session_scope,
    show,
)

if TYPE_CHECKING:
    from rich.console import Console


payment_app = typer.Typer(help="Subsidy payments.", no_args_is_help=True)


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
    with session_scope(database_url) as session:
        result = pay_accepted(session=session, actor=actor, township=township, paid_on=day, why=why)
    out = result.as_dict()
    if json_out:
        write_json(out)
    else:
        _print_paid(out)


def _print_paid(out: dict[str, Any]) -> None:
    console = render.console()
    fields: dict[str, Any] = {k: out[k] for k in ("paid", "total_cny", "central_cny", "local_cny", "paid_on",
                                                  "already_paid", "held_duplicates", "not_payable")}
    for k in ("held_duplicates", "not_payable"):
        if fields[k]:
            fields[k] = f"[bold yellow]{fields[k]:,}[/]"
    console.print(render.kv_table("一次性补贴发放 one-time subsidy payment", fields, LABELS))
    if out["held_duplicate_details"]:
        console.print(render.records_table(
            f"疑似重复暂缓发放 held as suspected duplicates (first {len(out['held_duplicate_details'])})",
            out["held_duplicate_details"], LABELS, style=lambda r: "yellow"))
    if out["not_payable_details"]:
        console.print(render.records_table(
            f"不予补贴 not payable (first {len(out['not_payable_details'])})", out["not_payable_details"], LABELS,
            style=lambda r: "yellow"))
    for w in out["warnings"]:
        console.print(f"[{LATE}]警告 warning:[/] {w}")


@payment_app.command("show")
def payment_show(household_id: str = typer.Argument(...), json_out: bool = JSON_OUT,
                 database_url: str | None = DB_URL) -> None:
    """A household's payment with the rules engine's reasons and trace."""
    from cleanheat.registry.services.payments import get_payment

    with session_scope(database_url) as session:
        doc = get_payment(session=session, household_id=household_id)

    def draw(c: Console) -> None:
        c.print(render.kv_table(f"补贴发放记录 payment of {household_id}",
                                {k: v for k, v in doc.items() if k not in ("reasons", "trace")}, LABELS))
        c.print(render.records_table("依据 reasons", doc["reasons"], {
            "rule": "规则 rule", "clause": "条款 clause", "detail": "说明 detail",
            "detail_en": "说明（英文） detail (English)"}))
        params = doc["trace"].get("parameters") if isinstance(doc["trace"], dict) else None
        if params:
            c.print(render.records_table("参数 parameters read", params, {
                "parameter": "参数 parameter", "value": "值 value", "effective_from": "生效 from",
                "in_force": "有效 in force", "read_on": "按日期 read on", "reference": "依据 reference"}))

    show(doc, json_out, draw)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``cleanheat`` app."""
    app.add_typer(payment_app, name="payment")
    app.command("pay")(pay)
