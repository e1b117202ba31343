"""Policy commands: ``subsidy yanchi``, ``funding beijing``, ``params``, ``budget yanchi``.

Parse, read, call the domain, print; errors are mapped to exit codes in ``cli/__init__.py``.
Heavy imports stay inside the commands so that a JSON-in/JSON-out call starts fast.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import typer

from cleanheat.errors import InputError

__all__ = ["register"]

subsidy_app = typer.Typer(help="Household subsidies (补贴). 盐池: 盐政办发〔2022〕8号.", no_args_is_help=True)
funding_app = typer.Typer(help="Project funding (资金支持). 北京: 热泵系统应用实施意见 (2019).", no_args_is_help=True)
budget_app = typer.Typer(help="Programme budgets against the fund envelopes.", no_args_is_help=True)

FILE_HELP = "JSON file with one record or a list of records; '-' reads stdin."
TRACE_HELP = "Add the versioned trace: every parameter read, its value and date."


@subsidy_app.command("yanchi")
def subsidy_yanchi(
    file: str = typer.Argument(..., help=FILE_HELP),
    trace: bool = typer.Option(False, "--trace", help=TRACE_HELP),
    pretty: bool = typer.Option(False, "--pretty", help="Indent the JSON."),
    table: bool = typer.Option(False, "--table", help="Print a table (Chinese first) instead of JSON: status, "
                               "amounts and the conditions not met."),
) -> None:
    """Decide Yanchi household subsidies (盐政办发〔2022〕8号 六(二)): status, central/local/total, household
    share, reasons."""
    from cleanheat.cli.io import read_json_records, write_json
    from cleanheat.policy.decide import decide_yanchi

    records, was_list = read_json_records(file)
    out = decide_yanchi(records, trace=trace)
    if table:
        _print_decisions(out)
        return
    write_json(out if was_list else out[0], pretty=pretty)


STATUS_LABELS = {"payable": "可发放 payable", "pending_acceptance": "待验收 pending", "ineligible": "不符合 ineligible"}
"""The decision statuses, Chinese first (the same words as the budget table)."""

DECISION_COLUMNS = (
    ("household_id", "农户编号 household"), ("status", "状态 status"), ("central_cny", "中央资金 central 元"),
    ("local_cny", "地方资金 county 元"), ("total_cny", "补贴合计 subsidy 元"),
    ("household_share_cny", "农户自筹 household 元"),
)


def _print_decisions(decisions: list[dict[str, Any]]) -> None:
    from rich.table import Table

    from cleanheat.cli.render import console as make_console

    console = make_console()
    table = Table(title="盐池县清洁取暖补贴 subsidy decisions (盐政办发〔2022〕8号)", show_lines=True)
    for key, label in DECISION_COLUMNS:
        table.add_column(label, justify="left" if key in ("household_id", "status") else "right",
                         no_wrap=key != "status")
    table.add_column("未满足的条件 conditions not met", overflow="fold")
    for d in decisions:
        failed = "；".join(r["detail"] for r in d["reasons"] if not r.get("passed", True)) or "—"
        table.add_row(d["household_id"], STATUS_LABELS.get(d["status"], d["status"]),
                      *[f"{d[k]:,}" for k, _ in DECISION_COLUMNS[2:]], failed)
    console.print(table)


@funding_app.command("beijing")
def funding_beijing(
    file: str = typer.Argument(..., help=FILE_HELP),
    trace: bool = typer.Option(False, "--trace", help=TRACE_HELP),
    pretty: bool = typer.Option(False, "--pretty", help="Indent the JSON."),
) -> None:
    """Decide Beijing heat-pump project funding (京热泵实施意见(2019)): ratio, base, support, approval route,
    obligations."""
    from cleanheat.cli.io import read_json_records, write_json
    from cleanheat.policy.decide import decide_beijing

    records, was_list = read_json_records(file)
    out = decide_beijing(records, trace=trace)
    write_json(out if was_list else out[0], pretty=pretty)


def params_command(
    path: str = typer.Argument("", help="A parameter or folder, dotted (yanchi.subsidy.local_cny); empty: all."),
    on: str = typer.Option(None, "--on", help="Show the value in force on this date (YYYY-MM-DD)."),
    as_json: bool = typer.Option(False, "--json", help="JSON for scripts."),
) -> None:
    """Browse the dated parameters: values over time, unit, reference and the original Chinese text."""
    from cleanheat.cli.io import write_json
    from cleanheat.policy.params_view import describe, load_all_parameters

    on_date = None
    if on is not None:
        try:
            on_date = dt.date.fromisoformat(on)
        except ValueError:
            raise InputError(f"not a date (YYYY-MM-DD): {on!r}", field="--on") from None
    tree = load_all_parameters()
    view = describe(tree, path, on_date)
    if as_json:
        write_json(view, pretty=True)
        return
    _print_params(view, on_date)


UNIT_LABELS = {
    "currency-CNY": "元", "currency-CNY/kWh": "元/kWh", "currency-CNY/kg": "元/kg", "currency-CNY/m3": "元/m³",
    "1": "—", "": "—", "ratio": "比例 ratio", "m2": "m²", "household": "户 households", "boolean": "是/否 yes/no",
    "bool": "是/否 yes/no", "day": "天 days", "hour": "小时 h", "degC": "°C", "deg": "°", "m3": "m³", "a": "年 years",
    "date": "日期 date",
}
"""Units as people read them (``currency-CNY`` → 元, ``1`` → —); others are shown as written."""


def unit_label(unit: str | None) -> str:
    """A parameter's unit for a table: 元 for currency-CNY, — for a dimensionless ``1``."""
    if unit is None:
        return "—"
    return UNIT_LABELS.get(unit, unit.replace("m2", "m²").replace("m3", "m³").replace("degC", "°C"))


def _print_params(view: dict[str, Any], on_date: dt.date | None) -> None:
    from rich.panel import Panel
    from rich.table import Table

    from cleanheat.cli.render import console as make_console

    console = make_console()
    params = view["parameters"]
    if len(params) == 1 and view["path"] == params[0]["name"]:
        p = params[0]
        head = (f"[bold]{p['name']}[/bold]\n{p['description']}\n"
                f"单位 unit: {unit_label(p['unit'])}   依据 reference: {p['reference']}")
        if "range" in p and (p["range"]["min"] is not None or p["range"]["max"] is not None):
            lo, hi = p["range"]["min"], p["range"]["max"]
            head += (f"\n取值范围 valid range: {'−∞' if lo is None else f'{lo:g}'} – {'∞' if hi is None else f'{hi:g}'}"
                     + ("（整数 whole numbers）" if p["range"]["whole"] else ""))
        console.print(Panel(head, title="参数 parameter"))
        table = Table("起始日期 from", "数值 value", title="各时期数值 dated values")
        for v in p["values"]:
            table.add_row(v["from"], _show(v["value"]))
        console.print(table)
        if on_date is not None:
            console.print(f"{on_date.isoformat()} 当日 on that date: [bold]{_show(p['on']['value'])}[/bold] "
                          f"(自 in force from {p['on']['effective_from']})")
        if p["documentation"]:
            console.print(Panel(p["documentation"], title="原文 / documentation"))
        return
    title = (f"参数 parameters under {view['path'] or '(all)'}"
             + (f"，{on_date.isoformat()} 当日 on {on_date.isoformat()}" if on_date else ""))
    table = Table(title=title)
    table.add_column("参数 parameter", no_wrap=True)
    table.add_column("数值 value" + (" on date" if on_date else " (最新 latest)"), max_width=40, overflow="ellipsis")
    table.add_column("单位 unit", no_wrap=True)
    table.add_column("依据 reference", max_width=60, no_wrap=True, overflow="ellipsis")
    for p in params:
        value = p["on"]["value"] if on_date else (p["values"][-1]["value"] if p["values"] else None)
        table.add_row(p["name"], _show(value), unit_label(p["unit"]), p["reference"])
    console.print(table)
    console.print("查看单个参数（各时期数值、依据、原文） A parameter in full: cleanheat params NAME — "
                  "the same NAME that `budget --set` and `simulate --param` take")


def _show(value: Any) -> str:
    if value is None:
        return "— (未施行 not in force)"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


@budget_app.command("yanchi")
def budget_yanchi(
    households: str = typer.Argument(None, help="Households: JSON, or CSV/XLSX/XLS with the fields of `subsidy yanchi` "
                                     "(English names or the ledger's Chinese headers; a ledger template or export "
                                     "reads as it is)."),
    demo: bool = typer.Option(False, "--demo", help="Use the deterministic synthetic programme of 27,000 households."),
    seed: int = typer.Option(0, "--seed", help="Seed of the demo programme."),
    set_: list[str] = typer.Option([], "--set", help="PARAM=VALUE: rerun under a changed parameter (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="JSON for scripts."),
    xlsx: Path = typer.Option(None, "--xlsx", help="Also write the table to an Excel workbook."),
) -> None:
    """Central, county and household money per township and year against the envelopes (盐政办发〔2022〕8号 二(一))."""
    from cleanheat.cli.io import read_json_records, write_json
    from cleanheat.policy.budget import parse_overrides, yanchi_budget
    from cleanheat.policy.engine import default_tree

    if demo == (households is not None):
        raise InputError("give a HOUSEHOLDS file or --demo (one of them)", field="HOUSEHOLDS")
    if xlsx is not None:
        from cleanheat.spreadsheets import check_target

        check_target(xlsx)  # a folder or a .csv name: refused before the work
    if demo:
        from cleanheat.demo.yanchi import generate_households

        records: list[Any] = generate_households(seed)
    else:
        suffix = Path(households).suffix.lower()
        if households == "-" or suffix == ".json":
            records, _ = read_json_records(households)
        else:
            from cleanheat.policy.rules.yanchi import FIELDS
            from cleanheat.spreadsheets import read_records

            records = list(read_records(Path(households), FIELDS))
    tree = default_tree()
    overrides = parse_overrides(set_, tree)
    base = yanchi_budget(records, tree=tree)
    reform = yanchi_budget(records, tree=tree, overrides=overrides) if overrides else None
    result = base.as_dict()
    if reform is not None:
        result["reform"] = reform.as_dict()
    if xlsx is not None:
        _write_budget_xlsx(xlsx, base.as_dict(), reform.as_dict() if reform else None)
    if as_json:
        write_json(result, pretty=True)
    else:
        _print_budget(base.as_dict(), reform.as_dict() if reform else None)


BUDGET_COLUMNS = (
    ("township", "乡镇 township"), ("year", "年度 year"), ("households", "户数 households"),
    ("payable", "可发放 payable"), ("pending_acceptance", "待验收 pending"), ("ineligible", "不符合 ineligible"),
    ("central_cny", "中央资金 central"), ("local_cny", "地方资金 county"), ("total_cny", "补贴合计 subsidy"),
    ("household_cny", "农户自筹 household"),
)
REFORM_MONEY = ("central_cny", "local_cny", "total_cny", "household_cny")


def _budget_table_rows(base: dict[str, Any], reform: dict[str, Any] | None) -> tuple[list[str], list[list[Any]]]:
    headers = [label for _, label in BUDGET_COLUMNS]
    if reform:
        headers += [f"改革后 reform: {label}" for key, label in BUDGET_COLUMNS if key in REFORM_MONEY]
    rows = []
    pairs = list(zip(base["rows"] + [base["totals"]], (reform["rows"] + [reform["totals"]]) if reform else
                     [None] * (len(base["rows"]) + 1), strict=True))
    for b, r in pairs:
        row = [(str(b[key]) if b[key] else "") if key == "year" else b[key] for key, _ in BUDGET_COLUMNS]
        if r is not None:
            row += [r[key] for key in REFORM_MONEY]
        rows.append(row)
    return headers, rows


def _print_budget(base: dict[str, Any], reform: dict[str, Any] | None) -> None:
    from cleanheat.cli import render

    console = render.console(width=220)
    headers, rows = _budget_table_rows(base, reform)
    # a FitTable never cuts an amount: text wraps, and a terminal too narrow for every column gets the
    # table in parts, each repeating 乡镇 and 年度 (newcomer review 2026-12-02, item 6)
    table = render.grid("盐池县冬季清洁取暖 programme budget (盐政办发〔2022〕8号)",
                        [render.Col(h, number=k > 1) for k, h in enumerate(headers)], keep=2)
    for k, row in enumerate(rows):
        style = "bold" if k == len(rows) - 1 else None
        table.add_row(*[v if isinstance(v, str) else f"{v:,}" for v in row], style=style)
    console.print(table)
    env = base["envelopes"]
    console.print(f"Envelopes: central {env['central_cny']:,} CNY · county ≤ {env['county_cny']:,} CNY "
                  f"(二(一)); amounts include commitments pending acceptance.")
    for result in (base, reform):
        if result is None:
            continue
        label = "reform: " if result is reform else ""
        for w in result["warnings"]:
            console.print(f"[bold red]WARNING[/bold red] {label}{w['message']} — {w['message_en']}")
    if reform:
        console.print(f"Reform: {', '.join(f'{k}={v}' for k, v in reform['overrides'].items())}")


def _write_budget_xlsx(path: Path, base: dict[str, Any], reform: dict[str, Any] | None) -> None:
    """The budget workbook: years as numbers, money in ``#,##0``, the totals row as ``SUM`` formulas."""
    from cleanheat.spreadsheets import Column, Sheet, write_workbook

    money = {"central_cny", "local_cny", "total_cny", "household_cny"}
    kinds = {"township": "general", "year": "year"}
    cols = [Column(label + (" (元)" if key in money else ""), "money" if key in money else kinds.get(key, "int"),
                   total=key not in kinds) for key, label in BUDGET_COLUMNS]
    if reform:
        cols += [Column(f"改革后 reform: {label} (元)", "money", total=True)
                 for key, label in BUDGET_COLUMNS if key in REFORM_MONEY]
    rows = []
    for k, b in enumerate(base["rows"]):
        row = [b[key] for key, _ in BUDGET_COLUMNS]
        if reform:
            row += [reform["rows"][k][key] for key in REFORM_MONEY]
        rows.append(row)
    env = base["envelopes"]
    notes = [["中央预算补助 central envelope", env["central_cny"]], ["县财政配套控制额 county cap", env["county_cny"]]]
    notes += [["警告 warning", w["message"]] for w in base["warnings"]]
    if reform:
        notes += [["改革参数 reform", f"{k}={v}"] for k, v in reform["overrides"].items()]
        notes += [["改革警告 reform warning", w["message"]] for w in reform["warnings"]]
    write_workbook(path, [
        Sheet("预算 budget", cols, rows, title="盐池县冬季清洁取暖项目资金预算 programme budget (盐政办发〔2022〕8号)",
              totals="合计 total"),
        Sheet("说明 notes", [Column("项目 item"), Column("数值 value", "money")], notes, freeze=False),
    ])


def register(app: typer.Typer) -> None:
    """Add the policy commands to the root app."""
    app.add_typer(subsidy_app, name="subsidy")
    app.add_typer(funding_app, name="funding")
    app.add_typer(budget_app, name="budget")
    app.command("params")(params_command)
