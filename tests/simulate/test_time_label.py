"""Hourly output carries the typical year's month, day and hour."""

from __future__ import annotations

from cleanheat.climate import get_site, load_typical_year
from cleanheat.simulate.season import season_climate


def test_season_climate_labels_its_hours():
    site = get_site("yanchi")
    climate = season_climate(site, load_typical_year(site))
    labels = climate.season(climate.time_label)
    assert labels[0] == "11-01 00:00" and labels[1] == "11-01 01:00"
    assert labels[-1] == "03-31 23:00" and len(labels) == climate.season_hours
