"""The one table that says what each SPEC §2 method is made of, and its default parameters.

=====================  ======================================================================
code                   components
=====================  ======================================================================
fan_heater_direct      air-to-air heat pump (the air-to-water table's 35 °C column) + direct heater + electric
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
from typing import Any

from cleanheat.codes import TECHNOLOGIES, Technology
from cleanheat.parameters import DEFAULTS_ROOT

__all__ = ["Technology", "TECHNOLOGIES", "TECHNOLOGY_DEFAULTS_ROOT", "TECHNOLOGY_PREFIX", "technology_parameters"]

TECHNOLOGY_PREFIX = "technologies"
"""Where the technology defaults sit in the one parameter namespace (``technologies.gshp.eta_carnot``)."""

TECHNOLOGY_DEFAULTS_ROOT = DEFAULTS_ROOT / TECHNOLOGY_PREFIX


@functools.cache
def technology_parameters(on: dt.date = dt.date(2021, 6, 1)) -> dict[str, Any]:
    """Every technology default at a date, keyed by its name below ``technologies.`` (``gshp.borehole_length_m``).

    The parameter's full name, the one ``cleanheat params`` shows and ``simulate --param``
    takes, is ``technologies.`` + that key. Values come from
    ``cleanheat/data/defaults/technologies/**.yaml`` through the one loader
    :func:`cleanheat.parameters.defaults_tree` (STYLE §4 schema; each file's
    ``metadata.reference`` gives the source or says it is unconfirmed).
    """
    from cleanheat.parameters import defaults_tree, values_under

    return values_under(defaults_tree(), TECHNOLOGY_PREFIX, on)
