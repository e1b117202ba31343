"""Sites and their typical-year weather (generated from monthly normals, or read from EPW files)."""

from cleanheat.climate.normals import MonthlyNormals, monthly_to_daily
from cleanheat.climate.sites import Site, add_site_from_epw, add_site_from_normals, get_site, site_names
from cleanheat.climate.typical_year import GeneratorSettings, TypicalYear, generate_typical_year
from cleanheat.climate.weather import (
    degree_days_k_d,
    derive_design_temp_c,
    derived_design_temp_c,
    design_day_temp_c,
    hours_below,
    load_typical_year,
    normals_from_year,
    read_epw,
)

__all__ = [
    "GeneratorSettings",
    "MonthlyNormals",
    "Site",
    "TypicalYear",
    "add_site_from_epw",
    "add_site_from_normals",
    "degree_days_k_d",
    "derive_design_temp_c",
    "derived_design_temp_c",
    "design_day_temp_c",
    "generate_typical_year",
    "get_site",
    "hours_below",
    "load_typical_year",
    "monthly_to_daily",
    "normals_from_year",
    "read_epw",
    "site_names",
]
