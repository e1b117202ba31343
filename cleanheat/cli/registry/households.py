"""``cleanheat household show`` (one household: status, timeline, installations, why) and ``cleanheat duplicates``
(suspected duplicate households — list, merge, mark distinct)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cleanheat.cli import render
from cleanheat.cli.registry.common import (
    ACTOR,
    DB_URL,
    DECISION_NAMES,
    DWELLING_NAMES,
    JSON_OUT,
    LABELS,
    LATE,
    XLSX_OUT,
    kv,
    method_name,
    session_scope,
    show,
    tz_label,
    write_table_xlsx,
)

if TYPE_CHECKING:
    from rich.console import Console


household_app = typer.Typer(help="农户 One household: status, installations, payment, timeline and why.",
                            no_args_is_help=True)


duplicates_app = typer.Typer(help="疑似重复农户 Suspected duplicate households: list, merge, mark distinct.",
                             no_args_is_help=True)


WHY = typer.Option(..., "--why", help="Reason, recorded in the audit log (required).")


@household_app.command("show")
def household_show(household_id: str = typer.Argument(..., metavar="HOUSEHOLD_ID",
                                                      help="农户编号 ledger id, e.g. YC-2022-000001."),
                   json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """A household: its fields, status (待验收/已验收/验收不合格/已补贴/不予补贴…), installations with their ids
    (for `cleanheat accept` and `void`), payment, the rules that failed, and its audit timeline."""
    from cleanheat.registry.services.household_view import household_view

    with session_scope(database_url, read_only=True) as session:
        doc = household_view(session=session, household_id=household_id)
    show(doc, json_out, lambda c: _draw_household(c, doc))


def _status_text(code: str) -> str:
    from cleanheat.registry.services.household_view import STATUS_NAMES

    name = STATUS_NAMES.get(code, code)
    if code == "paid":
        return f"[green]{name}[/]"
    if code in ("not_payable", "failed_inspection", "void", "merged", "reversed"):
        return f"[{LATE}]{name}[/]"
    return f"[yellow]{name}[/]"


def _draw_household(c: Console, doc: dict[str, Any]) -> None:
    head = {k: doc[k] for k in ("household_id", "name", "id_number", "phone", "township", "village", "address",
                                "heated_area_m2", "dwelling", "previously_subsidised", "programme_year")}
    head["dwelling"] = DWELLING_NAMES.get(doc["dwelling"], doc["dwelling"])
    if doc["merged_into"]:
        head["merged_into"] = doc["merged_into"]
    head["status"] = _status_text(doc["status"])
    c.print(render.kv_table(f"农户 household {doc['household_id']}", head, LABELS))

    rows = [{"installation_id": i["installation_id"], "method": method_name(i["method"]),
             "installed_on": i["installed_on"],
             "enterprise": "自行安装 self-install" if i["self_install"] else
             f"{i['enterprise']} {i['enterprise_name'] or ''}".strip(),
             "invoice_cny": i["invoice_cny"], "accepted_on": i["accepted_on"],
             "heating_effect_reached": i["heating_effect_reached"], "inspectors": "、".join(i["inspectors"]) or "—",
             "void": i["void"]} for i in doc["installations"]]
    c.print(render.records_table(
        "安装记录 installations", rows, LABELS, caption="验收或作废时用安装编号 the installation id is what "
        "`cleanheat accept ID` and `cleanheat void ID` take" if rows else "（无安装记录 no installation recorded）",
        style=lambda r: "dim" if r["void"] else None))

    if doc["payment"]:
        c.print(render.kv_table("补贴发放 payment", doc["payment"], LABELS))
    d = doc["decision"]
    if d is None:
        return
    basis = ("发放时的结论 decision it was paid on" if d["basis"] == "paid" else
             "按今日规则 decision under today's rules")
    status = DECISION_NAMES.get(d["status"], d["status"])
    summary = {"installation_id": d["installation_id"],
               "decision": f"[green]{status}[/]" if d["status"] == "payable" else f"[{LATE}]{status}[/]",
               "central_cny": d["central_cny"], "local_cny": d["local_cny"], "total_cny": d["total_cny"],
               "household_share_cny": d["household_share_cny"]}
    c.print(render.kv_table(f"补贴结论 subsidy decision（{basis}）", summary, LABELS))
    labels = {"rule": "规则 rule", "detail": "说明 detail", "detail_en": "说明（英文） detail (English)",
              "clause": "条款 clause"}
    keys = ["detail", "detail_en", "clause", "rule"]
    if d["failed_marked"]:
        if d["failed"]:
            c.print(render.records_table("未通过的规则 rules not met", d["failed"], labels, keys=keys,
                                         style=lambda r: LATE, keep=0))
        else:
            c.print("[green]所有规则均已满足 every rule is met[/]")
    elif d["status"] != "payable":
        c.print(render.records_table(
            "全部依据（规则引擎未标明哪一条未通过）all reasons — the engine does not yet mark which rule failed",
            d["reasons"], labels, keys=keys, keep=0))
    if "timeline" in doc:
        events = [{"at": e["at"][:16].replace("T", " "), "action": e["action"], "subject": e["resource"],
                   "actor": e["actor"], "why": e["why"], "data": render.fmt(e["data"] or "")} for e in doc["timeline"]]
        c.print(render.records_table("经过 timeline", events, {**LABELS, "at": f"时间 time ({tz_label()})"},
                                     caption=None if events else "（审计日志中没有此户的记录 no audit entries）"))


@duplicates_app.command("list")
def duplicates_list(xlsx: Path | None = XLSX_OUT, json_out: bool = JSON_OUT,
                    database_url: str | None = DB_URL) -> None:
    """Suspected duplicates (same identity number, same phone, fuzzy name + address), not yet decided,
    with both households' names, identity numbers and addresses side by side."""
    from cleanheat.registry.services.household_view import describe_pairs
    from cleanheat.registry.services.households import find_duplicates

    with session_scope(database_url, read_only=True) as session:
        found = find_duplicates(session=session)
        pairs = [{"a": p.a, "b": p.b, "reason": p.reason, "score": p.score} for p in found]
        shown = describe_pairs(session=session, pairs=pairs)
    keys = ["a", "name_a", "id_number_a", "address_a", "b", "name_b", "id_number_b", "address_b", "reason", "score"]
    labels = {**LABELS, "name_a": "A 姓名 name", "id_number_a": "A 身份证号 identity no.",
              "address_a": "A 地址 address", "name_b": "B 姓名 name", "id_number_b": "B 身份证号 identity no.",
              "address_b": "B 地址 address"}
    reasons = {"id_number": "身份证号相同 same identity no.", "phone": "电话相同 same phone",
               "fuzzy_name_address": "姓名地址相近 similar name and address"}
    shown = [{**r, "reason": reasons.get(r["reason"], r["reason"])} for r in shown]
    if xlsx is not None:
        write_table_xlsx(xlsx, "疑似重复农户", shown, keys, labels=labels)
    show(pairs, json_out, lambda c: c.print(render.records_table(
        f"疑似重复农户 suspected duplicate households ({len(pairs):,} 对 pairs)", shown, labels, keys=keys,
        style=lambda r: "yellow")))


@duplicates_app.command("merge")
def duplicates_merge(keep: str = typer.Argument(..., metavar="KEEP", help="农户编号 of the record that stands."),
                     drop: str = typer.Argument(..., metavar="DROP", help="农户编号 of the duplicate."),
                     actor: str = ACTOR, why: str = WHY,
                     json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Merge a duplicate into the record that stands (audited)."""
    from cleanheat.registry.services.households import merge

    with session_scope(database_url) as session:
        h = merge(session=session, keep=keep, drop=drop, actor=actor, why=why)
        kv({"kept": h.household_id, "merged": drop}, json_out, "重复农户已合并 duplicate merged")


@duplicates_app.command("distinct")
def duplicates_distinct(a: str = typer.Argument(..., metavar="A", help="农户编号 of one household."),
                        b: str = typer.Argument(..., metavar="B", help="农户编号 of the other."),
                        actor: str = ACTOR, why: str = WHY,
                        json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Record that two suspected records are different households (audited)."""
    from cleanheat.registry.services.households import mark_distinct

    with session_scope(database_url) as session:
        mark_distinct(session=session, a=a, b=b, actor=actor, why=why)
        kv({"distinct": [a, b]}, json_out, "已确认为不同农户 recorded as different households")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``cleanheat`` app."""
    app.add_typer(household_app, name="household")
    app.add_typer(duplicates_app, name="duplicates")
