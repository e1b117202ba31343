"""``cleanheat enterprise`` (registration review) and ``cleanheat assess`` (half-year assessment)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from cleanheat.cli import render
from cleanheat.cli.registry.common import (
    DB_URL,
    JSON_OUT,
    LABELS,
    LATE,
    STATUS_NAMES,
    kv,
    parse_date,
    session_scope,
    show,
)

if TYPE_CHECKING:
    from rich.console import Console


enterprise_app = typer.Typer(help="Installing enterprises and their registration review.", no_args_is_help=True)


assess_app = typer.Typer(help="Half-yearly enterprise assessment.", no_args_is_help=True)


@enterprise_app.command("add")
def enterprise_add(code: str = typer.Argument(..., help="Enterprise code, e.g. ENT-34."),
                   name: str = typer.Option(..., "--name"),
                   submitted_on: str | None = typer.Option(None, "--on", help="Application date (default today)."),
                   actor: str = typer.Option(..., "--actor"), json_out: bool = JSON_OUT,
                   database_url: str | None = DB_URL) -> None:
    """Record an enterprise's application for registration (state submitted)."""
    from cleanheat.registry.services import enterprises

    with session_scope(database_url) as session:
        e = enterprises.create(session=session, code=code, name=name, submitted_on=parse_date(submitted_on, "--on"),
                               actor=actor)
        kv({"code": e.code, "name": e.name, "status": e.status}, json_out, "企业登记申请 enterprise application")


@enterprise_app.command("set")
def enterprise_set(code: str = typer.Argument(...),
                   to: str = typer.Argument(..., help="reviewed | registered | rejected | suspended | revoked"),
                   on: str | None = typer.Option(None, "--on", help="Effective date (default today)."),
                   actor: str = typer.Option(..., "--actor"), why: str = typer.Option("", "--why"),
                   json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Move an enterprise to its next registration state (audited)."""
    from cleanheat.registry.services import enterprises

    with session_scope(database_url) as session:
        e = enterprises.transition(session=session, code=code, to=to, effective_on=parse_date(on, "--on"), actor=actor,
                                   why=why)
        kv({"code": e.code, "status": e.status}, json_out, "企业登记状态已变更 enterprise status changed")


@enterprise_app.command("status")
def enterprise_status(code: str = typer.Argument(...), on: str | None = typer.Option(None, "--on"),
                      json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """An enterprise's registration state on a date, and its history."""
    from cleanheat.registry.services import enterprises

    with session_scope(database_url, read_only=True) as session:
        e = enterprises.get_enterprise(session=session, code=code)
        day = parse_date(on, "--on")
        doc = {"code": e.code, "name": e.name, "on": day.isoformat(),
               "status": enterprises.status_on(session=session, code=code, on=day),
               "history": [{"status": h.status, "effective_on": h.effective_on.isoformat(), "actor": h.actor,
                            "why": h.why} for h in e.history]}

    def draw(c: Console) -> None:
        head = {k: doc[k] for k in ("code", "name", "on")}
        status = STATUS_NAMES.get(doc["status"], doc["status"])
        head["status"] = f"[{LATE}]{status}[/]" if doc["status"] in ("revoked", "rejected", "suspended") else status
        c.print(render.kv_table("企业登记状态 enterprise registration", head, LABELS))
        c.print(render.records_table("登记历史 history", [{**h, "status": STATUS_NAMES.get(h["status"], h["status"])}
                                                        for h in doc["history"]], LABELS,
                                     style=lambda h: LATE if h["status"].endswith(("revoked", "rejected", "suspended"))
                                     else None))

    show(doc, json_out, draw)


@assess_app.command("enterprises")
def assess_enterprises(half: str = typer.Option(..., "--half", help="YYYY-H1 or YYYY-H2."),
                       apply: bool = typer.Option(False, "--apply", help="Store the assessment and revoke the "
                                                  "registrations the rule names."),
                       actor: str = typer.Option("县清洁取暖领导小组", "--actor", help="Who assesses."),
                       json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Half-year assessment of each enterprise: usage rate, product quality, heating effect, complaints."""
    from cleanheat.registry.services.assessments import assess

    with session_scope(database_url, read_only=not apply) as session:
        rows = assess(session=session, half=half, actor=actor, apply=apply)
    show(rows, json_out, lambda c: _draw_assessment(c, rows, half, applied=apply))


def _draw_assessment(c: Console, rows: list[dict[str, Any]], half: str, *, applied: bool) -> None:
    from rich.table import Table

    t = Table(title=f"{half} 企业半年考核 half-year enterprise assessment", title_justify="left",
              caption=("已保存，撤销已生效 stored; revocations applied" if applied else
                       "预览，未保存 preview only; --apply stores it and revokes"), caption_justify="left")
    t.add_column("企业\nenterprise", no_wrap=True)
    t.add_column("名称\nname", no_wrap=True)
    t.add_column("登记状态\nstatus", no_wrap=True)
    for col in ("安装户数\ninstallations", "使用率\nusage", "产品质量\nquality", "供暖效果\nheating effect",
                "服务及时率\nservice", "投诉\ncomplaints", "每百户投诉\nper 100"):
        t.add_column(col, justify="right", no_wrap=True)
    t.add_column("考核结论\noutcome", no_wrap=True)
    t.add_column("撤销原因\nreasons for revocation")
    for r in rows:
        revoke = r["outcome"] == "revoke"
        status = STATUS_NAMES.get(r["status"], r["status"])
        if r["status"] in ("revoked", "rejected", "suspended"):
            status = f"[{LATE}]{status}[/]"
        t.add_row(r["enterprise"], r["name"], status, f"{r['installations']:,}",
                  *[f"{r[k]:.1%}" for k in ("usage_rate", "product_quality", "heating_effect", "service")],
                  f"{r['complaints']:,}", f"{r['complaints_per_100']:.2f}",
                  f"[{LATE}]撤销登记 revoke[/]" if revoke else "[green]合格 pass[/]", "; ".join(r["why"]),
                  style="red" if revoke else None)
    if rows:
        n = sum(r["installations"] for r in rows)
        complaints = sum(r["complaints"] for r in rows)
        revoked = sum(r["outcome"] == "revoke" for r in rows)
        t.add_row("合计 total", f"{len(rows):,} 家 enterprises", "", f"{n:,}", "", "", "", "", f"{complaints:,}",
                  f"{100 * complaints / n:.2f}" if n else "—", f"{revoked:,} 家撤销 revoked", "", style="bold")
    c.print(t)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``cleanheat`` app."""
    app.add_typer(enterprise_app, name="enterprise")
    app.add_typer(assess_app, name="assess")
