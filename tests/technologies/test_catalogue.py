"""The catalogue: SPEC §2 codes in order, every default with a source, SOURCE.md beside the files."""

from __future__ import annotations

from pathlib import Path

import yaml

from cleanheat.building.parameters import BUILDING_DEFAULTS_ROOT
from cleanheat.technologies.catalogue import TECHNOLOGIES, TECHNOLOGY_DEFAULTS_ROOT, technology_parameters


def test_codes_are_spec_table_plus_coal_stove():
    assert [str(t) for t in TECHNOLOGIES] == [
        "fan_heater_direct", "ashp_water", "storage_electric", "gas_boiler", "gshp", "solar_aux",
        "other_high_tech", "co2_ashp", "solar_gshp_seasonal", "biomass", "coal_stove"]


def test_every_default_has_a_reference_and_unit():
    for root in (TECHNOLOGY_DEFAULTS_ROOT, BUILDING_DEFAULTS_ROOT):
        assert (Path(root) / "SOURCE.md").is_file()
        files = sorted(Path(root).rglob("*.yaml"))
        assert len(files) > 40
        for f in files:
            raw = yaml.safe_load(f.read_text(encoding="utf-8"))
            meta = raw["metadata"]
            assert len(str(meta["reference"])) > 10, f
            assert meta.get("unit"), f
            assert raw["description"], f


def test_guide_values_are_the_defaults():
    p = technology_parameters()
    assert p["solar.tubes_per_60m2"] == 60 and p["solar.tube_length_m"] == 1.8  # ≥ 60 tubes, each ≥ 1.8 m
    assert p["solar.aux_min_kw"] == 4.0  # electric auxiliary ≥ 4 kW
    assert p["storage.storage_ratio"] >= 0.75
    assert p["gas_boiler.capacity_kw"] > 15.0
    assert p["fan_heater.aux_below_c"] == -7.0
    assert p["air_source.max_supply_cold_c"] >= 55.0
