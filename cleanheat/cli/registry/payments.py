"""``cleanheat pay`` and ``cleanheat payment``: the one-time subsidy, its preview, its record and its
recovery (追回)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cleanheat.cli import render
from cleanheat.cli.io import write_json
from cleanheat.cli.registry.common import (
    ACTOR,
    DB_URL,
    JSON_OUT,
    LABELS,
    LATE,
    session_scope,
    show,
    write_sheets_xlsx,
)

if TYPE_CHECKING:
    import datetime as dt

    from rich.console import Console


payment_app = typer.Typer(help="Subsidy payments: show, reverse (追回).", no_args_is_help=True)

PAY_LABELS = {
    **LABELS,
    "dry_run": "预览（未发放） dry run (nothing paid)", "held_reversed": "已追回暂缓 held (reversed)",
    "refused": "将被拒绝 would be refused", "state": "发放状态 state", "attempt": "第几次发放 payment no.",
    "detail": "说明 detail", "detail_en": "说明（英文） detail (English)", "rule": "规则 rule", "clause": "条款 clause",
    "reversed_on": "追回日期 recovered on", "payment_voucher_no": "原发放凭证 payment voucher",
    "reversal_id": "追回编号 reversal", "installation_ids": "全部安装编号 all installations",
    "reversals": "追回 reversals",
    "inspected_on": "检查日期 inspected on", "inspectors": "验收单位 inspectors", "note": "备注 note",
    "heating_effect_reached": "达到供暖效果 heating effect reached",
}
"""Headers of the payment tables (the shared ones plus this group's)."""

STATE_NAMES = {"paid": "已发放 paid", "not_paid": "未发放 not paid", "reversed": "已追回，未发放 recovered, not paid"}
STATUS_NAMES = {"payable": "可发放 payable", "pending_acceptance": "待验收 pending acceptance",
                "ineligible": "不符合条件 ineligible", "paid": "已发放 paid"}


def _day(value: str | None, option: str) -> dt.date | None:
    """A YYYY-MM-DD option, or ``None`` (the service then takes today in the programme time zone)."""
    import datetime as dt

    from cleanheat.errors import InputError

    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"expected YYYY-MM-DD, got {value!r}", field=option) from None


def pay(
    accepted: bool = typer.Option(False, "--accepted", help="Pay every accepted, unpaid installation."),
    township: str | None = typer.Option(None, "--township", help="Only this township."),
    actor: str = typer.Option(..., "--actor", help="Who pays (recorded in the audit log)."),
    paid_on: str | None = typer.Option(None, "--paid-on", metavar="YYYY-MM-DD", help="发放日期 payment date "
                                       "(default: today, programme time zone)."),
    why: str = typer.Option("", "--why", help="Reason recorded in the audit log."),
    dry_run: bool = typer.Option(False, "--dry-run", help="预览 Preview: what would be paid and who is not "
                                 "payable (with the failing rules); nothing is written."),
    xlsx: Path | None = typer.Option(None, "--xlsx", metavar="FILE", help="Also write every household paid (or "
                                     "to be paid), held and not payable, with the failing rules, to this XLSX file."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
    database_url: str | None = DB_URL,
) -> None:
    """Pay the one-time subsidy of every accepted, unpaid installation, in one transaction (idempotent)."""
    from cleanheat.errors import InputError
    from cleanheat.registry.services.payments import pay_accepted

    if not accepted:
        raise InputError("say what to pay: --accepted pays every accepted, unpaid installation", field="--accepted")
    day = _day(paid_on, "--paid-on")
    with session_scope(database_url, read_only=dry_run) as session:  # a preview cannot write, even by mistake
        result = pay_accepted(session=session, actor=actor, township=township, paid_on=day, why=why,
                              dry_run=dry_run)
    out = result.as_dict()
    if xlsx is not None:
        _pay_xlsx(xlsx, result.as_dict(details=len(result.not_payable) + len(result.held_duplicates)
                                       + len(result.held_reversed) + len(result.payments)))
    if json_out:
        write_json(out)
    else:
        _print_paid(out)


def _pay_xlsx(path: Path, full: dict[str, Any]) -> None:
    """The whole run as a workbook: one sheet each for the paid, the held and the not payable (every row)."""
    sheets: dict[str, tuple[list[str], list[list[Any]]]] = {}

    def sheet(name: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        keys = list(rows[0])
        sheets[name] = ([PAY_LABELS.get(k, LABELS.get(k, k)) for k in keys],
                        [[render.fmt(v) if isinstance(v, list | dict) else v for v in r.values()] for r in rows])

    sheet("将发放 would be paid" if full["dry_run"] else "已发放 paid", full["payment_details"])
    sheet("疑似重复暂缓 held duplicates", full["held_duplicate_details"])
    sheet("已追回暂缓 held after recovery", full["held_reversed_details"])
    sheet("不予补贴 not payable", _not_payable_rows(full["not_payable_details"]))
    if not sheets:
        sheets["不予补贴 not payable"] = ([LABELS["household_id"]], [])
    ids = ("installation_id", "household_pk", "id", "attempt")
    plain = {name: {k for k, h in enumerate(head) if any(h == PAY_LABELS.get(i, LABELS.get(i, i)) for i in ids)}
             for name, (head, _) in sheets.items()}
    write_sheets_xlsx(path, sheets, plain=plain)


def _not_payable_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"household_id": r["household_id"], "installation_id": r["installation_id"],
             "status": STATUS_NAMES.get(r["status"], r["status"]), "reasons": "; ".join(r["reasons"]),
             "detail": r["detail"], "detail_en": r["detail_en"]} for r in rows]


def _print_paid(out: dict[str, Any]) -> None:
    console = render.console()
    fields: dict[str, Any] = {k: out[k] for k in ("paid", "total_cny", "central_cny", "local_cny", "paid_on",
                                                  "already_paid", "held_duplicates", "held_reversed", "not_payable")}
    for k in ("held_duplicates", "held_reversed", "not_payable"):
        if fields[k]:
            fields[k] = f"[bold yellow]{fields[k]:,}[/]"
    title = "一次性补贴发放 one-time subsidy payment"
    if out["dry_run"]:
        title = "[bold yellow]预览：未发放，未写入 dry run: nothing paid, nothing written[/] · " + title
    labels = {**PAY_LABELS, "paid": "将补贴 would pay"} if out["dry_run"] else PAY_LABELS
    console.print(render.kv_table(title, fields, labels))
    if out["refused"]:
        console.print(f"[{LATE}]将被拒绝 the run would be refused:[/] {out['refused']}")
    if out["dry_run"] and out["payment_details"]:
        console.print(render.records_table(
            f"将发放 would be paid (first {len(out['payment_details'])})", out["payment_details"], PAY_LABELS))
    if out["held_duplicate_details"]:
        console.print(render.records_table(
            f"疑似重复暂缓发放 held as suspected duplicates (first {len(out['held_duplicate_details'])})",
            out["held_duplicate_details"], PAY_LABELS, style=lambda r: "yellow"))
    if out["held_reversed_details"]:
        console.print(render.records_table(
            f"已追回暂缓发放 held after a recovery (first {len(out['held_reversed_details'])})",
            out["held_reversed_details"], PAY_LABELS, keys=["household_id", "installation_id", "detail", "detail_en"],
            style=lambda r: "yellow"))
    if out["not_payable_details"]:
        console.print(render.records_table(
            f"不予补贴 not payable (first {len(out['not_payable_details'])}): 未满足的规则 failing rules",
            _not_payable_rows(out["not_payable_details"]), PAY_LABELS, style=lambda r: "yellow"))
    for w in out["warnings"]:
        console.print(f"[{LATE}]警告 warning:[/] {w}")


@payment_app.command("show")
def payment_show(household_id: str = typer.Argument(..., metavar="HOUSEHOLD_ID", help="农户编号 ledger id."),
                 json_out: bool = JSON_OUT,
                 database_url: str | None = DB_URL) -> None:
    """A household's payment with the rules engine's reasons and trace; for a household not paid, why not
    (its decision with only the failing rules)."""
    from cleanheat.registry.services.payments import get_payment

    with session_scope(database_url, read_only=True) as session:
        doc = get_payment(session=session, household_id=household_id)

    def draw(c: Console) -> None:
        head = {k: v for k, v in doc.items() if k not in ("reasons", "trace", "failing", "reversals",
                                                          "failed_inspections", "paid")}
        head["state"] = STATE_NAMES.get(doc["state"], doc["state"])
        if head.get("status"):
            head["status"] = STATUS_NAMES.get(head["status"], head["status"])
        if isinstance(head.get("installation_ids"), list):
            head["installation_ids"] = ", ".join(str(i) for i in head["installation_ids"]) or "—"
        title = (f"补贴发放记录 payment of {household_id}" if doc["paid"]
                 else f"[bold yellow]未发放 not paid[/]: {household_id}")
        c.print(render.kv_table(title, head, PAY_LABELS))
        if not doc["paid"]:
            c.print(render.records_table("未发放原因：未满足的规则 why not paid: the failing rules", doc["failing"],
                                         PAY_LABELS, keys=["rule", "clause", "detail", "detail_en"],
                                         style=lambda r: "yellow"))
        if doc["reversals"]:
            c.print(render.records_table("追回记录 recoveries", doc["reversals"], PAY_LABELS, style=lambda r: LATE))
        if doc.get("failed_inspections"):
            c.print(render.records_table("验收不合格 failed inspections", doc["failed_inspections"], PAY_LABELS))
        if doc["paid"]:
            c.print(render.records_table("依据 reasons", doc["reasons"], PAY_LABELS,
                                         keys=["rule", "clause", "detail", "detail_en"]))
            params = doc["trace"].get("parameters") if isinstance(doc["trace"], dict) else None
            if params:
                c.print(render.records_table("参数 parameters read", params, {
                    "parameter": "参数 parameter", "value": "值 value", "effective_from": "生效 from",
                    "in_force": "有效 in force", "read_on": "按日期 read on", "reference": "依据 reference"}))

    show(doc, json_out, draw)


@payment_app.command("reverse")
def payment_reverse(
    household_id: str = typer.Argument(..., metavar="HOUSEHOLD_ID", help="农户编号 ledger id whose payment is "
                                       "recovered."),
    why: str = typer.Option(..., "--why", metavar="TEXT", help="追回原因 why the subsidy is recovered, recorded in "
                            "the audit log (required)."),
    actor: str = ACTOR,
    on: str | None = typer.Option(None, "--on", metavar="YYYY-MM-DD", help="追回日期 booking date (default: today, "
                                  "programme time zone)."),
    json_out: bool = JSON_OUT,
    database_url: str | None = DB_URL,
) -> None:
    """追回 Recover a paid subsidy: an audited reversal entry (the payment itself is never edited); the fund
    ledger and envelopes follow, and the household is no longer paid."""
    from cleanheat.registry.services.payments import reverse_payment

    with session_scope(database_url) as session:
        r = reverse_payment(session=session, household_id=household_id, actor=actor, why=why, on=_day(on, "--on"))
        doc = {"household_id": household_id, "reversal_id": r.id, "voucher_no": r.voucher_no,
               "installation_id": r.installation_id, "reversed_on": r.reversed_on.isoformat(),
               "central_cny": r.central_cny, "local_cny": r.local_cny, "total_cny": r.total_cny, "actor": r.actor,
               "why": r.why}
    show(doc, json_out, lambda c: c.print(render.kv_table("补贴已追回 subsidy recovered", doc, PAY_LABELS)))


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``cleanheat`` app."""
    app.add_typer(payment_app, name="payment")
    app.command("pay")(pay)
