"""A synthetic Yanchi-like heating season (no I/O), shared by the simulation tests."""

from __future__ import annotations

import numpy as np

from cleanheat.simulate.season import PERIOD_PEAK, PERIOD_VALLEY, CostInputs, SeasonClimate


def synthetic_climate(days: int = 151, warmup_days: int = 3, design_c: float = -18.0, mean_c: float = -3.0,
                      swing_k: float = 6.0, diurnal_k: float = 6.0, ground_c: float = 10.0) -> SeasonClimate:
    """Mid-season coldest (cosine over the season), a diurnal swing peaking at 15:00, sun 8–17 h."""
    n = 24 * (days + warmup_days)
    hours = np.arange(n)
    day = hours / 24.0
    hod = hours % 24
    season_pos = (day - warmup_days) / days
    temp = mean_c - swing_k * np.cos(2 * np.pi * (season_pos - 0.5) * 0.5) ** 2 \
        + diurnal_k / 2 * np.cos(2 * np.pi * (hod - 15) / 24)
    sun = np.clip(np.sin(np.pi * (hod - 8) / 9), 0, None) * (hod >= 8) * (hod <= 17)
    south = 450.0 * sun
    north = 60.0 * sun
    poa = 650.0 * sun
    earth = np.full(n, 7.0)
    return SeasonClimate(site="synthetic", temp_air_c=temp, irr_south_w_m2=south, irr_north_w_m2=north,
                         poa_collector_w_m2=poa, temp_earth_c=earth, hour_of_day=hod.astype(np.int64),
                         warmup_hours=24 * warmup_days, temp_design_c=design_c, temp_ground_c=ground_c,
                         temp_earth_design_c=6.0, recharge_yield_kwh_m2=500.0, recharge_days=214.0)


def synthetic_costs() -> CostInputs:
    """Ningxia-2026-like two-period tariff: valley 13–17 and 20–08 at 0.2486, peak 0.4986 CNY/kWh."""
    hod = np.arange(24)
    valley = ((hod >= 13) & (hod < 17)) | (hod >= 20) | (hod < 8)
    period = np.where(valley, PERIOD_VALLEY, PERIOD_PEAK).astype(np.int64)
    price = np.where(valley, 0.2486, 0.4986)
    return CostInputs(price_by_hour_cny_per_kwh=price, period_by_hour=period, gas_cny_per_m3=2.5,
                      biomass_cny_per_kg=1.0, coal_cny_per_kg=1.0, grid_kg_co2_per_kwh=0.5857,
                      gas_kg_co2_per_m3=2.162, coal_kg_co2_per_kg=1.764, biomass_kg_co2_per_kg=0.0,
                      gas_kwh_per_m3=10.814, biomass_kwh_per_kg=4.6, coal_kwh_per_kg=5.815)
