"""The one table that says what each SPEC §2 method is made of, and its default parameters.

=====================  ======================================================================
code                   components
=====================  ======================================================================
fan_heater_direct      air-to-air heat pump (tender COP points) + direct heater + electric
                       kang, the electric part only below −7 °C (guide)
ashp_water             low-ambient air-to-water heat pump (log-bilinear datasheet fit), heating
                       curve, defrost, electric backup
storage_electric       storage heater charged in valley hours, direct backup element
gas_boiler             gas wall-hung boiler, seasonal efficiency
gshp                   brine-to-water heat pump (Carnot fraction) on pygfunction boreholes
solar_aux              evacuated tubes + tank, solar priority, electric auxiliary
other_high_tech        user-parameterised air-source heat pump (Carnot fraction) + backup
co2_ashp               CO₂ transcritical heat pump (CoolProp cycle table) + backup
solar_gshp_seasonal    evacuated tubes + tank, GSHP for the rest, summer solar recharge of
                       the boreholes
biomass                pellet/briquette boiler or stove
coal_stove             coal stove (baseline)
=====================  ======================================================================
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

from cleanheat.codes import TECHNOLOGIES, Technology

__all__ = ["Technology", "TECHNOLOGIES", "TECHNOLOGY_DEFAULTS_ROOT", "technology_parameters"]

TECHNOLOGY_DEFAULTS_ROOT = Path(__file__).resolve().parent.parent / "data" / "defaults" / "technologies"


@functools.cache
def technology_parameters(on: dt.date = dt.date(2021, 6, 1)) -> dict[str, Any]:
    """Every technology default at a date, by dotted name (``gshp.borehole_length_m`` …).

    Values come from ``cleanheat/data/defaults/technologies/**.yaml`` (STYLE §4 schema; each
    file's ``metadata.reference`` gives the source or says it is unconfirmed).
    """
    from cleanheat.parameters import ParameterTree

    tree = ParameterTree.load(TECHNOLOGY_DEFAULTS_ROOT)
    return {p.name: p.at(on) for p in tree}
