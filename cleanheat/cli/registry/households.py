"""``cleanheat duplicates``: suspected duplicate households — list, merge, mark distinct."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from cleanheat.cli.registry.common import (
    DB_URL,
    JSON_OUT,
    kv,
    records,
    session_scope,
)

if TYPE_CHECKING:
    pass


duplicates_app = typer.Typer(help="Suspected duplicate households: list, merge, mark distinct.", no_args_is_help=True)


@duplicates_app.command("list")
def duplicates_list(json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Suspected duplicates (same identity number, same phone, fuzzy name + address), not yet decided."""
    from cleanheat.registry.services.households import find_duplicates

    with session_scope(database_url, read_only=True) as session:
        pairs = [{"a": p.a, "b": p.b, "reason": p.reason, "score": p.score} for p in find_duplicates(session=session)]
    records(pairs, json_out, f"疑似重复农户 suspected duplicate households ({len(pairs):,} 对 pairs)",
             style=lambda r: "yellow")


@duplicates_app.command("merge")
def duplicates_merge(keep: str = typer.Argument(..., help="household_id of the record that stands."),
                     drop: str = typer.Argument(..., help="household_id of the duplicate."),
                     actor: str = typer.Option(..., "--actor"), why: str = typer.Option(..., "--why"),
                     json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Merge a duplicate into the record that stands (audited)."""
    from cleanheat.registry.services.households import merge

    with session_scope(database_url) as session:
        h = merge(session=session, keep=keep, drop=drop, actor=actor, why=why)
        kv({"kept": h.household_id, "merged": drop}, json_out, "重复农户已合并 duplicate merged")


@duplicates_app.command("distinct")
def duplicates_distinct(a: str = typer.Argument(...), b: str = typer.Argument(...),
                        actor: str = typer.Option(..., "--actor"), why: str = typer.Option(..., "--why"),
                        json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Record that two suspected records are different households (audited)."""
    from cleanheat.registry.services.households import mark_distinct

    with session_scope(database_url) as session:
        mark_distinct(session=session, a=a, b=b, actor=actor, why=why)
        kv({"distinct": [a, b]}, json_out, "已确认为不同农户 recorded as different households")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``cleanheat`` app."""
    app.add_typer(duplicates_app, name="duplicates")
