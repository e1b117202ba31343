"""Engineering commands: ``simulate`` — every heating method hour by hour for house records;
``check-equipment`` — equipment records against the technical guide (附件2).

Parse, read, call the domain, print; errors are mapped to exit codes in ``cli/__init__.py``.
numpy, pandas, pvlib, pygfunction and CoolProp are imported inside the command only.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import typer

__all__ = ["register"]

FILE_HELP = "JSON file with one house record or a list of them; '-' reads stdin."


def simulate(
    file: str = typer.Argument(..., help=FILE_HELP, metavar="FILE|-"),
    table: bool = typer.Option(False, "--table", help="Print a table per house instead of JSON."),
    hourly: Path = typer.Option(None, "--hourly", help="Write the hourly series of one house to this CSV file."),
    house: int = typer.Option(0, "--house", help="Which record (0-based) --hourly writes."),
    pretty: bool = typer.Option(False, "--pretty", help="Indent the JSON."),
    on: str = typer.Option("2026-01-01", "--on", help="Date of the tariff and prices (YYYY-MM-DD)."),
    param: list[str] = typer.Option(  # noqa: B006
        [], "--param", help="Replace a technology default for every house: NAME=VALUE, NAME as `cleanheat params` "
        "shows it (e.g. technologies.other_high_tech.eta_carnot=0.5, technologies.solar.aux_kind=heat_pump); "
        "repeatable."),
    weather: Path = typer.Option(None, "--weather", help="A typical-year EPW file: registered as a site that the "
                                 "houses name in their `site` field (see --site-name); with one site in the "
                                 "houses, they all use it."),
    site_name: str = typer.Option(None, "--site-name", help="Name of the --weather site (default: the file's city)."),
    tariff_region: str = typer.Option("ningxia", "--tariff-region",
                                      help="Tariff and prices of the --weather site: ningxia or beijing."),
) -> None:
    """Simulate every heating method over the site's heating season, hour by hour.

    Per house: design_heat_load_kw, season_heat_demand_kwh and, per method (11, the plan's order),
    energy by carrier, seasonal efficiency, running cost, CO₂, unmet hours and heat, delivered
    heat and peak electric demand.
    """
    import sys

    from cleanheat.cli.io import read_json_records, write_json
    from cleanheat.errors import InputError
    from cleanheat.simulate.records import canonical_override_names, simulate_records

    try:
        on_date = dt.date.fromisoformat(on)
    except ValueError:
        raise InputError(f"--on must be a date YYYY-MM-DD, got {on!r}") from None
    overrides: dict[str, float | str] = {}
    for item in param:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise InputError(f"--param must be NAME=VALUE, got {item!r}")
        try:
            overrides[name.strip()] = float(value)
        except ValueError:
            overrides[name.strip()] = value.strip()  # a code, e.g. solar.aux_kind=heat_pump
    overrides, notices = canonical_override_names(overrides)
    for notice in notices:
        print(notice, file=sys.stderr)
    records, was_list = read_json_records(file)
    if weather is not None:
        records = _use_weather(records, weather, site_name, tariff_region)
    if hourly is not None and not 0 <= house < len(records):
        raise InputError(f"--house {house} is not a record index (0–{len(records) - 1})")
    results, series = simulate_records(records, on=on_date, hourly_index=house if hourly is not None else None,
                                       overrides=overrides)
    if hourly is not None and series is not None:
        _write_csv(hourly, series)
    if table:
        _print_tables(results)
        return
    write_json(results if was_list else results[0], pretty=pretty)


def _use_weather(records: list[Any], weather: Path, site_name: str | None, tariff_region: str) -> list[Any]:
    """Register the --weather file as a site; houses of one other site are moved onto it, with a note.

    A house naming a site other than the new one would silently not use the file: when all the
    houses name one single site, they are simulated on the file's weather instead (stderr says
    so); when they name several, those not naming the new site are listed in a warning.
    """
    import sys

    from cleanheat.climate.sites import add_site_from_epw
    from cleanheat.errors import InputError

    if tariff_region not in ("ningxia", "beijing"):
        raise InputError(f"--tariff-region must be ningxia or beijing, got {tariff_region!r}",
                         field="--tariff-region")
    try:
        site = add_site_from_epw(weather, name=site_name, tariff_region=tariff_region,
                                 grid_region="northwest" if tariff_region == "ningxia" else "north_china")
    except InputError as exc:
        if exc.field == "name":
            raise InputError(f"{exc.reason}: give the --weather site another name with --site-name NAME",
                             field="--site-name") from None
        raise
    if "filled" in site.source:
        print(f"注意 note: {site.source}", file=sys.stderr)
    named = {r.get("site") for r in records if isinstance(r, dict)}
    if named == {site.name} or not named:
        return records
    others = sorted(str(n) for n in named if n != site.name)
    if len(named) == 1:
        print(f"注意 note: every house names the site {others[0]!r}; simulated on the --weather file as site "
              f"{site.name!r} instead", file=sys.stderr)
        return [dict(r, site=site.name) if isinstance(r, dict) else r for r in records]
    print(f"警告 warning: houses naming {', '.join(map(repr, others))} do not use the --weather file; name "
          f"the site {site.name!r} in their `site` field to use it", file=sys.stderr)
    return records


def _write_csv(path: Path, series: dict[str, Any]) -> None:
    import csv

    from cleanheat.errors import InputError

    cols = list(series)
    try:
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(cols)
            w.writerows(zip(*(series[c] for c in cols), strict=True))
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None


SIMULATE_COLUMNS = (
    "取暖方式 method", "用电 kWh\nelectricity", "谷电 kWh\nvalley", "燃气 m³\ngas", "生物质 kg\nbiomass",
    "燃煤 kg\ncoal", "季节能效\nefficiency", "运行费用 元\ncost", "CO₂ kg", "不满足 h\nunmet", "峰值 kW\npeak",
    "节省 元\nsaved", "减排 kg\nCO₂ saved",
)
"""The ``simulate --table`` headers: Chinese first, English and the unit beside."""


def _print_tables(results: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    from cleanheat.codes import technology_label

    console = Console()
    if not console.is_terminal:
        console = Console(width=210)
    for i, r in enumerate(results):
        lv, base = r["service_level"], r["baseline"]
        bl = base["service_level"]
        title = (f"{r.get('house_id', f'record {i}')} — 站点 site {r['site']}: "
                 f"设计热负荷 design {r['design_heat_load_kw']} kW, "
                 f"采暖季需热 season {r['season_heat_demand_kwh']:.0f} kWh\n"
                 f"供暖水平 service {lv['name']}: {lv['heated_area_m2']:g} m² × {lv['heating_hours']} h/d "
                 f"at {lv['set_point_c']:g} °C; 现状燃煤 coal now ({bl['name']}: {bl['heated_area_m2']:g} m² × "
                 f"{bl['heating_hours']} h/d at {bl['set_point_c']:g} °C): {base['coal_kg'] / 1000:.1f} t, "
                 f"{base['running_cost_cny']:,} 元; 节省对比 savings vs {r['compare_with']}")
        t = Table(title=title)
        for c in SIMULATE_COLUMNS:
            first = c == SIMULATE_COLUMNS[0]
            t.add_column(c, justify="left" if first else "right", no_wrap=first)
        for o in r["options"]:
            e = o["energy"]
            name = technology_label(o["technology"]) + ("" if o["available"] else " (不可用 n/a)")
            t.add_row(name, f"{e['electricity_kwh']:,.0f}",
                      f"{e['electricity_valley_kwh']:,.0f}", f"{e['gas_m3']:,.0f}", f"{e['biomass_kg']:,.0f}",
                      f"{e['coal_kg']:,.0f}", f"{o['seasonal_efficiency']:.2f}", f"{o['running_cost_cny']:,}",
                      f"{o['co2_kg']:,.0f}", str(o["unmet_hours"]), f"{o['peak_electric_kw']:.1f}",
                      f"{o['running_cost_saved_cny']:,}", f"{o['co2_saved_kg']:,.0f}")
        console.print(t)


def check_equipment(
    file: str = typer.Argument(..., help="JSON file with one equipment record or a list of them; '-' reads stdin.",
                               metavar="FILE|-"),
    table: bool = typer.Option(False, "--table", help="Print a table per record (Chinese first) instead of JSON."),
    pretty: bool = typer.Option(False, "--pretty", help="Indent the JSON."),
    on: str = typer.Option(None, "--on", help="Date of the guide's parameters (YYYY-MM-DD; default: a record's "
                           "checked_on, else today)."),
) -> None:
    """Check equipment against the technical guide (盐政办发〔2022〕8号 附件2): pass / fail / not shown per
    requirement with its clause, and a verdict (compliant, non_compliant, incomplete, not_covered)."""
    from cleanheat.cli.io import read_json_records, write_json
    from cleanheat.equipment.compliance import check_equipment as check
    from cleanheat.errors import InputError

    try:
        day = dt.date.fromisoformat(on) if on else None
    except ValueError:
        raise InputError(f"must be a date like 2022-10-15, got {on!r}", field="--on") from None
    records, was_list = read_json_records(file)
    out = check(records, on=day)
    if table:
        _print_checks(out)
        return
    write_json(out if was_list else out[0], pretty=pretty)


CHECK_LABELS = {"pass": "符合 pass", "fail": "不符合 fail", "not_shown": "未提供 not shown",
                "not_applicable": "不适用 n/a"}
VERDICT_LABELS = {"compliant": "符合 compliant", "non_compliant": "不符合 non-compliant",
                  "incomplete": "资料不全 incomplete", "not_covered": "指南未规定 not covered"}


def _print_checks(results: list[dict[str, Any]]) -> None:
    from rich.table import Table

    from cleanheat.cli.render import console as make_console
    from cleanheat.codes import technology_label

    console = make_console()

    def shown(v: Any) -> str:
        if isinstance(v, bool):
            return "是 yes" if v else "否 no"
        return "、".join(v) if isinstance(v, list) else str(v)

    for i, r in enumerate(results):
        title = f"{r.get('equipment_id', f'record {i}')} — {technology_label(r['technology'])}: " \
                f"{VERDICT_LABELS[r['verdict']]}"
        if "note" in r:
            console.print(f"{title}\n{r['note']} — {r['note_en']}")
            continue
        t = Table(title=title, show_lines=False)
        for c in ("要求 requirement", "条款 clause", "必须 shall", "结果 result", "数值 value"):
            t.add_column(c, overflow="fold")
        for q in r["requirements"]:
            t.add_row(f"{q['detail']}\n{q['detail_en']}", q["clause"], "应 shall" if q["mandatory"] else "宜 should",
                      CHECK_LABELS[q["result"]], "" if "value" not in q else shown(q["value"]))
        console.print(t)


def grid(
    file: str = typer.Argument(None, help="JSON file with household records (a simulate house record plus "
                               "technology, township and optionally transformer); '-' reads stdin.", metavar="FILE|-"),
    registry: bool = typer.Option(False, "--registry", help="Take the households and their installed methods from "
                                  "the ledger (envelope assumed uninsulated: the ledger records none)."),
    database_url: str = typer.Option(None, "--database-url", envvar="CLEANHEAT_DATABASE_URL",
                                     help="Registry database (with --registry; default the embedded SQLite file)."),
    township: str = typer.Option(None, "--township", help="With --registry: one township only."),
    table: bool = typer.Option(False, "--table", help="Print a table (Chinese first) instead of JSON."),
    pretty: bool = typer.Option(False, "--pretty", help="Indent the JSON."),
    on: str = typer.Option("2026-01-01", "--on", help="Date of the tariff whose valley / flat / peak hours split "
                           "the electricity (YYYY-MM-DD)."),
) -> None:
    """Township grid load (盐政办发〔2022〕8号 六(四)): coincident peak kW and when, the valley / flat / peak
    split of the season's electricity, per township and per transformer."""
    from cleanheat.cli.io import read_json_records, write_json
    from cleanheat.errors import InputError
    from cleanheat.simulate.grid import grid_load

    try:
        day = dt.date.fromisoformat(on)
    except ValueError:
        raise InputError(f"must be a date like 2026-01-01, got {on!r}", field="--on") from None
    if registry == (file is not None):
        raise InputError("give FILE or --registry (one of them)", field="FILE")
    if registry:
        from cleanheat.cli.registry.common import session_scope
        from cleanheat.registry.services.grid_records import LEDGER_ENVELOPE, grid_records

        with session_scope(database_url, read_only=True) as session:
            records = grid_records(session=session, township=township)
        if not records:
            raise InputError("no household with a live installation in the ledger"
                             + (f" of {township}" if township else ""), field="--registry")
    else:
        records, _ = read_json_records(file)
    out = grid_load(records, on=day)
    if registry:
        out["assumptions"] = {"envelope": LEDGER_ENVELOPE, "source": "registry"}
    if table:
        _print_grid(out)
        return
    write_json(out, pretty=pretty)


GRID_COLUMNS = (("name", "乡镇 township"), ("households", "户数 households"),
                ("peak_kw", "同时峰值 kW\ncoincident peak"),
                ("peak_at", "出现时刻\nat"), ("sum_of_house_peaks_kw", "各户峰值之和 kW\nsum of peaks"),
                ("coincidence_factor", "同时系数\ncoincidence"), ("electricity_kwh", "用电 kWh\nelectricity"),
                ("valley_share", "谷电占比\nvalley share"))


def _print_grid(out: dict[str, Any]) -> None:
    from rich.table import Table

    from cleanheat.cli.render import console as make_console

    console = make_console()
    for key, title in (("townships", "乡镇电网负荷 township grid load"), ("transformers", "台区负荷 per transformer")):
        if not out[key]:
            continue
        t = Table(title=title)
        for _k, c in GRID_COLUMNS:
            t.add_column(c, justify="left" if _k in ("name", "peak_at") else "right")
        for r in out[key]:
            name = r["name"] if key == "townships" else f"{r['township']} · {r['name']}"
            t.add_row(name, f"{r['households']:,}", f"{r['peak_kw']:,.1f}", str(r["peak_at"] or ""),
                      f"{r['sum_of_house_peaks_kw']:,.1f}", f"{r['coincidence_factor']:.3f}",
                      f"{r['electricity_kwh']:,.0f}", f"{r['valley_share']:.1%}")
        console.print(t)


def register(app: typer.Typer) -> None:
    """Add the ``simulate``, ``check-equipment`` and ``grid`` commands to the root app."""
    app.command("simulate")(simulate)
    app.command("check-equipment")(check_equipment)
    app.command("grid")(grid)
