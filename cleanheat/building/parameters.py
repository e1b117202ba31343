"""Envelope classes built from the dated parameter files in ``cleanheat/data/defaults/building``.

U-values are not stored: they are derived from layer thicknesses and GB 50176 material
conductivities with :func:`cleanheat.building.heat_load.wall_u_value`, so the derivation
is code and is tested. The ground (soil) and the air's heat capacity at altitude are site
properties: :mod:`cleanheat.climate.sites` and :func:`cleanheat.building.heat_load.air_heat_capacity_wh_m3k`.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from cleanheat.building.heat_load import DWELLINGS, ENVELOPES, EnvelopeClass, wall_u_value
from cleanheat.parameters import DEFAULTS_ROOT

__all__ = ["BUILDING_DEFAULTS_ROOT", "BuildingDefaults", "building_defaults"]

BUILDING_DEFAULTS_ROOT = DEFAULTS_ROOT / "building"
_ON = dt.date(2021, 6, 1)
DAYS_PER_MONTH = 365.0 / 12.0
"""A mean month, to turn ISO 13370's phase lag in months into days. [d]"""


@dataclass(frozen=True)
class BuildingDefaults:
    """Envelope classes by (dwelling, envelope) and the geometry / comfort / cave / ground / air
    parameters (units in the names; see the parameter files)."""

    classes: dict[tuple[str, str], EnvelopeClass]
    storey_height_m: float
    depth_m: float
    cave_width_m: float
    cave_depth_m: float
    internal_gain_w_m2: float
    internal_convective_fraction: float
    set_point_c: float
    setback_c: float
    cave_earth_depth_m: float
    frame_factor: float
    h_mass_surface_w_m2k: float
    r_si_floor_m2k_w: float
    r_se_floor_m2k_w: float
    r_si_earth_m2k_w: float
    air_heat_capacity_sea_level_j_m3k: float
    floor_phase_lag_days: float
    reheat_time_h: int

    def class_list(self) -> tuple[list[EnvelopeClass], dict[tuple[str, str], int]]:
        """The classes as a list and the index of each (dwelling, envelope) key."""
        keys = list(self.classes)
        return [self.classes[k] for k in keys], {k: i for i, k in enumerate(keys)}

    def geometry_kwargs(self) -> dict[str, float]:
        """The site-independent keyword arguments of :func:`cleanheat.building.heat_load.house_arrays`."""
        return dict(storey_height_m=self.storey_height_m, depth_m=self.depth_m, cave_depth_m=self.cave_depth_m,
                    cave_width_m=self.cave_width_m, frame_factor=self.frame_factor,
                    h_mass_surface_w_m2k=self.h_mass_surface_w_m2k, r_si_floor_m2k_w=self.r_si_floor_m2k_w,
                    r_se_floor_m2k_w=self.r_se_floor_m2k_w, r_si_earth_m2k_w=self.r_si_earth_m2k_w)


@functools.cache
def building_defaults(on: dt.date = _ON) -> BuildingDefaults:
    """Read the building parameter files at a date and derive every envelope class."""
    from cleanheat.parameters import defaults_tree

    tree = defaults_tree()

    def p(name: str) -> float:
        return float(tree[f"building.{name}"].at(on))

    lam_brick = p("materials.conductivity_clay_brick")
    lam_mortar = p("materials.conductivity_lime_cement_mortar")
    lam_eps = p("materials.conductivity_eps") * p("materials.eps_correction")
    lam_earth = p("materials.conductivity_rammed_earth")
    lam_reed = p("materials.conductivity_straw_reed")
    d_brick = p("construction.wall_brick_thickness_m")
    d_plaster = p("construction.wall_plaster_thickness_m")
    d_roof_earth = p("construction.roof_earth_thickness_m")
    d_roof_reed = p("construction.roof_reed_thickness_m")
    earth_ratio = p("cave.earth_contact_ratio")
    earth_layer_m = p("cave.earth_layer_thickness_m")
    r_si_wall, r_si_roof, r_se = p("surfaces.r_si_wall_m2k_w"), p("surfaces.r_si_roof_m2k_w"), p("surfaces.r_se_m2k_w")
    classes: dict[tuple[str, str], EnvelopeClass] = {}
    for env in ENVELOPES:
        e = f"envelope.{env}"
        wall_layers = [(d_plaster, lam_mortar), (d_brick, lam_brick), (d_plaster, lam_mortar)]
        roof_layers = [(d_roof_reed, lam_reed), (d_roof_earth, lam_earth)]
        if p(f"{e}.wall_eps_thickness_m") > 0:
            wall_layers.append((p(f"{e}.wall_eps_thickness_m"), lam_eps))
        if p(f"{e}.roof_eps_thickness_m") > 0:
            roof_layers.append((p(f"{e}.roof_eps_thickness_m"), lam_eps))
        u_wall = wall_u_value(wall_layers, r_si_wall, r_se)
        u_roof = wall_u_value(roof_layers, r_si_roof, r_se)  # upward heat flow, GB 50176 §3.4
        wall_thickness_m = sum(d for d, _lam in wall_layers)  # ISO 13370's w: the full external wall
        for dw in DWELLINGS:
            d = f"dwelling.{dw}"
            classes[(dw, env)] = EnvelopeClass(
                u_wall=u_wall,
                u_roof=u_roof,
                u_window=p(f"{e}.u_window"),
                r_floor_m2k_w=p(f"{e}.r_floor_m2k_w"),
                air_changes_per_h=p(f"{e}.air_changes_per_h"),
                window_ratio_south=p(f"{d}.window_ratio_south"),
                window_ratio_north=p(f"{d}.window_ratio_north"),
                g_window=p(f"{e}.g_window"),
                heat_capacity_j_m2k=p(f"{d}.heat_capacity_j_m2k"),
                mass_area_ratio=p(f"{d}.mass_area_ratio"),
                wall_thickness_m=wall_thickness_m,
                earth_contact_ratio=earth_ratio if dw == "cave" else 0.0,
                earth_layer_thickness_m=earth_layer_m if dw == "cave" else 0.0,
            )
    return BuildingDefaults(
        classes=classes,
        storey_height_m=p("geometry.storey_height_m"),
        depth_m=p("geometry.depth_m"),
        cave_width_m=p("geometry.cave_width_m"),
        cave_depth_m=p("geometry.cave_depth_m"),
        internal_gain_w_m2=p("gains.internal_w_m2"),
        internal_convective_fraction=p("gains.internal_convective_fraction"),
        set_point_c=p("comfort.set_point_c"),
        setback_c=p("comfort.setback_c"),
        cave_earth_depth_m=p("cave.earth_depth_m"),
        frame_factor=p("windows.frame_factor"),
        h_mass_surface_w_m2k=p("rc.h_mass_surface_w_m2k"),
        r_si_floor_m2k_w=p("ground.r_si_floor_m2k_w"),
        r_se_floor_m2k_w=p("ground.r_se_m2k_w"),
        r_si_earth_m2k_w=r_si_wall,
        air_heat_capacity_sea_level_j_m3k=p("air.heat_capacity_sea_level_j_m3k"),
        floor_phase_lag_days=p("ground.phase_lag_external_months") * DAYS_PER_MONTH,
        reheat_time_h=int(p("reheat.reheat_time_h")),
    )
