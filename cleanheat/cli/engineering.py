"""Engineering commands: ``simulate`` — every heating method hour by hour for house records.

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
        [], "--param", help="Replace a technology default for every house: NAME=VALUE "
        "(e.g. other_high_tech.eta_carnot=0.5, solar.aux_kind=heat_pump); repeatable."),
    weather: Path = typer.Option(None, "--weather", help="A typical-year EPW file: registered as a site that the "
                                 "houses name in their `site` field (see --site-name)."),
    site_name: str = typer.Option(None, "--site-name", help="Name of the --weather site (default: the file's city)."),
    tariff_region: str = typer.Option("ningxia", "--tariff-region",
                                      help="Tariff and prices of the --weather site: ningxia or beijing."),
) -> None:
    """Simulate every heating method over the site's heating season, hour by hour.

    Per house: design_heat_load_kw, season_heat_demand_kwh and, per method (11, the plan's order),
    energy by carrier, seasonal efficiency, running cost, CO₂, unmet hours and heat, delivered
    heat and peak electric demand.
    """
    from cleanheat.cli.io import read_json_records, write_json
    from cleanheat.errors import InputError
    from cleanheat.simulate.records import simulate_records

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
    if weather is not None:
        from cleanheat.climate.sites import add_site_from_epw

        if tariff_region not in ("ningxia", "beijing"):
            raise InputError(f"--tariff-region must be ningxia or beijing, got {tariff_region!r}")
        add_site_from_epw(weather, name=site_name, tariff_region=tariff_region,
                          grid_region="northwest" if tariff_region == "ningxia" else "north_china")
    records, was_list = read_json_records(file)
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


def _print_tables(results: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:
        console = Console(width=160)
    for i, r in enumerate(results):
        title = (f"{r.get('house_id', f'record {i}')} — {r['site']}: design {r['design_heat_load_kw']} kW, "
                 f"season {r['season_heat_demand_kwh']:.0f} kWh")
        t = Table(title=title)
        for c in ("technology", "electricity kWh", "valley kWh", "gas m³", "biomass kg", "coal kg", "efficiency",
                  "cost CNY", "CO₂ kg", "unmet h", "peak kW"):
            t.add_column(c, justify="left" if c == "technology" else "right")
        for o in r["options"]:
            e = o["energy"]
            t.add_row(o["technology"], f"{e['electricity_kwh']:.0f}", f"{e['electricity_valley_kwh']:.0f}",
                      f"{e['gas_m3']:.0f}", f"{e['biomass_kg']:.0f}", f"{e['coal_kg']:.0f}",
                      f"{o['seasonal_efficiency']:.2f}", f"{o['running_cost_cny']:.0f}", f"{o['co2_kg']:.0f}",
                      str(o["unmet_hours"]), f"{o['peak_electric_kw']:.1f}")
        console.print(t)


def register(app: typer.Typer) -> None:
    """Add the ``simulate`` command to the root app."""
    app.command("simulate")(simulate)
