"""``cleanheat enterprise`` (registration review) and ``cleanheat assess`` (half-year assessment)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cleanheat.cli import render
from cleanheat.cli.registry.common import (
    ACTOR,
    DB_URL,
    JSON_OUT,
    LABELS,
    LATE,
    STATUS_NAMES,
    XLSX_OUT,
    kv,
    parse_date,
    session_scope,
    show,
    write_table_xlsx,
)

if TYPE_CHECKING:
    from rich.console import Console


enterprise_app = typer.Typer(help="安装企业 Installing enterprises and their registration review "
                             "(盐政办发〔2022〕8号 四).", no_args_is_help=True)


assess_app = typer.Typer(help="企业考核 Half-yearly enterprise assessment (盐政办发〔2022〕8号 八(三)).",
                         no_args_is_help=True)


ENTERPRISE_LABELS = {**LABELS, "name": "名称 name", "code": "企业编号 code"}


BAD_STATES = {k: STATUS_NAMES[k] for k in ("revoked", "rejected", "suspended")}


def status_name(code: str) -> str:
    """An enterprise registration state in Chinese first (``已登记 registered``)."""
    return STATUS_NAMES.get(code, code)


def half_code(value: str) -> str:
    """A half-year as the assessment takes it: ``2023-H1`` from ``2023-H1``, ``2023H1``, ``2023-上半年``,
    ``2023上半年`` or ``2023年下半年`` (anything else is passed on, and refused there with the format)."""
    import re

    v = value.strip().upper().replace("年", "")
    m = re.fullmatch(r"(\d{4})-?(H1|H2|上半|下半)", v.removesuffix("年"))
    if m is None:
        return value
    return f"{m.group(1)}-{'H1' if m.group(2) in ('H1', '上半') else 'H2'}"


def state_code(value: str) -> str:
    """A registration state from its code or its Chinese name (已登记 → registered)."""
    v = value.strip()
    for code, name in STATUS_NAMES.items():
        if v in (code, name, name.partition(" ")[0]):
            return code
    return v  # the service names the accepted states


ON_HELP = "日期 date YYYY-MM-DD (default: today in the programme time zone)."


@enterprise_app.command("add")
def enterprise_add(code: str = typer.Argument(..., metavar="CODE", help="企业编号 enterprise code, e.g. ENT-34."),
                   name: str = typer.Option(..., "--name", metavar="NAME", help="企业名称 registered name."),
                   submitted_on: str | None = typer.Option(None, "--on", metavar="YYYY-MM-DD",
                                                           help="申请日期 application date; " + ON_HELP),
                   actor: str = ACTOR, json_out: bool = JSON_OUT,
                   database_url: str | None = DB_URL) -> None:
    """Record an enterprise's application for registration (state 已申请 submitted)."""
    from cleanheat.registry.services import enterprises

    with session_scope(database_url) as session:
        e = enterprises.create(session=session, code=code, name=name, submitted_on=parse_date(submitted_on, "--on"),
                               actor=actor)
        doc = {"code": e.code, "name": e.name, "status": e.status}
    kv(doc, json_out, "企业登记申请 enterprise application", shown={**doc, "status": status_name(doc["status"])},
       labels=ENTERPRISE_LABELS)


@enterprise_app.command("set")
def enterprise_set(code: str = typer.Argument(..., metavar="CODE", help="企业编号 enterprise code."),
                   to: str = typer.Argument(..., metavar="STATE",
                                            help="reviewed 已评审 | registered 已登记 | rejected 未通过 | "
                                                 "suspended 暂停 | revoked 已撤销"),
                   on: str | None = typer.Option(None, "--on", metavar="YYYY-MM-DD",
                                                 help="生效日期 effective date; " + ON_HELP),
                   actor: str = ACTOR,
                   why: str = typer.Option("", "--why", metavar="TEXT", help="原因 reason, recorded in the audit log."),
                   json_out: bool = JSON_OUT, database_url: str | None = DB_URL) -> None:
    """Move an enterprise to its next registration state (audited). The state may be given by its Chinese name."""
    from cleanheat.registry.services import enterprises

    with session_scope(database_url) as session:
        e = enterprises.transition(session=session, code=code, to=state_code(to),
                                   effective_on=parse_date(on, "--on"), actor=actor, why=why)
        doc = {"code": e.code, "status": e.status}
    kv(doc, json_out, "企业登记状态已变更 enterprise status changed", shown={**doc, "status": status_name(e.status)})


@enterprise_app.command("list")
def enterprise_list(xlsx: Path | None = XLSX_OUT, json_out: bool = JSON_OUT,
                    database_url: str | None = DB_URL) -> None:
    """Every enterprise: code, name, registration status, registered since, installations, accepted, paid,
    complaints and open tickets."""
    from cleanheat.registry.services.enterprises import list_enterprises

    with session_scope(database_url, read_only=True) as session:
        rows = list_enterprises(session=session)
    keys = ["code", "name", "status", "registered_since", "installations", "accepted", "paid", "complaints",
            "open_tickets"]
    shown = [{**r, "status": STATUS_NAMES.get(str(r["status"]), r["status"])} for r in rows]
    totals = {"code": "合计 total", **{k: sum(int(r[k]) for r in rows)  # type: ignore[call-overload]
                                     for k in ("installations", "accepted", "paid", "complaints", "open_tickets")}}
    if xlsx is not None:
        write_table_xlsx(xlsx, "登记企业 enterprises", shown, keys, labels=ENTERPRISE_LABELS, totals=totals)
    show(rows, json_out, lambda c: c.print(render.records_table(
        f"安装企业 installing enterprises ({len(rows):,})", shown, ENTERPRISE_LABELS, keys=keys, totals=totals,
        style=lambda r: LATE if r["status"] in BAD_STATES.values() else None)))


@enterprise_app.command("status")
def enterprise_status(code: str = typer.Argument(..., metavar="CODE", help="企业编号 enterprise code."),
                      on: str | None = typer.Option(None, "--on", metavar="YYYY-MM-DD",
                                                    help="状态日期 the date asked about; " + ON_HELP),
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
        c.print(render.kv_table("企业登记状态 enterprise registration", head, ENTERPRISE_LABELS))
        c.print(render.records_table("登记历史 history", [{**h, "status": STATUS_NAMES.get(h["status"], h["status"])}
                                                        for h in doc["history"]], LABELS,
                                     style=lambda h: LATE if h["status"].endswith(("revoked", "rejected", "suspended"))
                                     else None))

    show(doc, json_out, draw)


@assess_app.command("enterprises")
def assess_enterprises(half: str = typer.Option(..., "--half", metavar="YYYY-H1|YYYY-H2",
                                               help="半年 the half-year: 2023-H1 or 2023-上半年, "
                                                    "2023-H2 or 2023-下半年."),
                       apply: bool = typer.Option(False, "--apply", help="Store the assessment and revoke the "
                                                  "registrations the rule names."),
                       actor: str = typer.Option("县清洁取暖领导小组", "--actor", metavar="NAME",
                                                 help="Who assesses (recorded in the audit log)."),
                       xlsx: Path | None = XLSX_OUT, json_out: bool = JSON_OUT,
                       database_url: str | None = DB_URL) -> None:
    """Half-year assessment of each enterprise (盐政办发〔2022〕8号 八(三)): usage rate, product quality, heating
    effect, service, complaints; names the registrations to revoke."""
    from cleanheat.registry.services.assessments import assess

    with session_scope(database_url, read_only=not apply) as session:
        half = half_code(half)
        rows = assess(session=session, half=half, actor=actor, apply=apply)
    if xlsx is not None:
        keys = ["enterprise", "name", "status", "installations", "usage_rate", "product_quality", "heating_effect",
                "service", "complaints", "complaints_per_100", "outcome", "why"]
        shown = [{**r, "status": STATUS_NAMES.get(r["status"], r["status"]),
                  "outcome": "撤销登记 revoke" if r["outcome"] == "revoke" else "合格 pass",
                  "why": "; ".join(r["why"])} for r in rows]
        write_table_xlsx(xlsx, f"{half} 企业考核", shown, keys, labels=ASSESS_LABELS,
                         percent=("usage_rate", "product_quality", "heating_effect", "service"))
    show(rows, json_out, lambda c: _draw_assessment(c, rows, half, applied=apply))


ASSESS_LABELS = {**LABELS, "enterprise": "企业 enterprise", "name": "名称 name", "status": "登记状态 status",
                 "installations": "安装户数 installations", "usage_rate": "使用率 usage",
                 "product_quality": "产品质量 quality", "heating_effect": "供暖效果 heating effect",
                 "service": "服务及时率 service", "complaints": "投诉 complaints",
                 "complaints_per_100": "每百户投诉 per 100", "outcome": "考核结论 outcome",
                 "why": "撤销原因 reasons for revocation"}


def _draw_assessment(c: Console, rows: list[dict[str, Any]], half: str, *, applied: bool) -> None:
    keys = ["enterprise", "name", "status", "installations", "usage_rate", "product_quality", "heating_effect",
            "service", "complaints", "complaints_per_100", "outcome", "why"]
    shown = []
    for r in rows:
        status = STATUS_NAMES.get(r["status"], r["status"])
        shown.append({**r, "status": f"[{LATE}]{status}[/]" if r["status"] in BAD_STATES else status,
                      **{k: f"{r[k]:.1%}" for k in ("usage_rate", "product_quality", "heating_effect", "service")},
                      "complaints_per_100": f"{r['complaints_per_100']:.2f}",
                      "outcome": f"[{LATE}]撤销登记 revoke[/]" if r["outcome"] == "revoke" else "[green]合格 pass[/]",
                      "why": "; ".join(r["why"])})
    totals = None
    if rows:
        n = sum(r["installations"] for r in rows)
        complaints = sum(r["complaints"] for r in rows)
        revoked = sum(r["outcome"] == "revoke" for r in rows)
        totals = {"enterprise": "合计 total", "name": f"{len(rows):,} 家 enterprises", "installations": n,
                  "complaints": complaints, "complaints_per_100": f"{100 * complaints / n:.2f}" if n else "—",
                  "outcome": f"{revoked:,} 家撤销 revoked"}
    c.print(render.records_table(
        f"{half} 企业半年考核 half-year enterprise assessment", shown, ASSESS_LABELS, keys=keys, totals=totals,
        numbers=("usage_rate", "product_quality", "heating_effect", "service", "complaints_per_100"),
        caption=("已保存，撤销已生效 stored; revocations applied" if applied else
                 "预览，未保存 preview only; --apply stores it and revokes"),
        style=lambda r: "red" if r["outcome"].endswith("revoke[/]") else None))


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``cleanheat`` app."""
    app.add_typer(enterprise_app, name="enterprise")
    app.add_typer(assess_app, name="assess")
