"""``cleanheat duplicates``: suspected duplicate households — list, merge, mark distinct."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from cleanheat.cli.registry.common import (
    DB_URL,
    JSON_OUT,
    PROGRESS,
    kv,
    progress_bar,
    records,
    session_scope,
)

if TYPE_CHECKING:
    pass


duplicates_app = typer.Typer(help="Suspected duplicate households: list, merge, mark distinct.", no_args_is_help=True)


@duplicates_app.command("list")
def duplicates_list(json_out: bool = JSON_OUT, database_url: str | None = DB_URL,
                    progress: bool = PROGRESS) -> None:
    """Suspected duplicates (same identity number, same phone, fuzzy name + address), not yet decided."""
    from cleanheat.registry.services.households import find_duplicates

    with (session_scope(database_url, read_only=True) as session,
          progress_bar("查重 searching", progress, json_out) as update):
        pairs = [{"a": p.a, "b": p.b, "reason": p.reason, "score": p.score}
                 for p in find_duplicates(session=session, progress=update)]
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


household_app = typer.Typer(help="A household of the ledger: audited amendment.", no_args_is_help=True)


@household_app.command("amend")
def household_amend(household_id: str = typer.Argument(..., help="Ledger id (农户编号) of the household."),
                    set_: list[str] = typer.Option(..., "--set", help="FIELD=VALUE, repeatable: name, id_number, "
                                                   "phone, township, village, address, heated_area_m2, dwelling, "
                                                   "previously_subsidised, programme_year, technology."),
                    why: str = typer.Option(..., "--why", help="Why (recorded in the audit log)."),
                    actor: str = typer.Option(..., "--actor", help="Who amends (recorded in the audit log)."),
                    json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Amend a household on purpose (audited, old → new): also what a re-import refuses once it is accepted
    or paid. A paid household keeps what its payment stands on (method; an area the rules would not pay)."""
    from cleanheat.errors import InputError
    from cleanheat.registry.services.households import amend

    changes: dict[str, str] = {}
    for item in set_:
        field, sep, value = item.partition("=")
        if not sep or not field.strip():
            raise InputError(f"expected FIELD=VALUE, got {item!r}", field="--set")
        changes[field.strip()] = value.strip()
    with session_scope(database_url) as session:
        done = amend(session=session, household_id=household_id, changes=changes, actor=actor, why=why)
    rows = [{"field": k, "old": old, "new": new} for k, (old, new) in sorted(done.items())]
    records(rows, json_out, f"农户已修改 household amended: {household_id}" if rows
            else f"无变化 nothing changed: {household_id}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``cleanheat`` app."""
    app.add_typer(duplicates_app, name="duplicates")
    app.add_typer(household_app, name="household")
