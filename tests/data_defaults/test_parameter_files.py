"""The engineering-default parameter files of climate, tariffs, prices, fuels and emission factors."""

import datetime as dt

import pytest

from cleanheat.parameters import DEFAULTS_ROOT, defaults_tree

MINE = ("climate", "tariffs", "prices", "fuels", "emission_factors")


@pytest.fixture(scope="module")
def tree():
    return defaults_tree()


def _mine(tree):
    return [p for p in tree if p.name.split(".")[0] in MINE]


def test_files_load_with_the_policy_schema(tree):
    params = _mine(tree)
    assert len(params) >= 50
    for p in params:
        assert p.reference.strip(), p.name
        assert p.description.strip(), p.name
        assert p.values, p.name
        assert p.kind in {"float", "int", "str", "list"}, (p.name, p.kind)


def test_each_folder_has_a_source_note():
    for folder in MINE:
        assert (DEFAULTS_ROOT / folder / "SOURCE.md").is_file(), folder


def test_unit_in_metadata_for_numbers(tree):
    for p in _mine(tree):
        if p.kind in {"float", "int"} and not p.name.endswith("_hours"):
            assert p.unit, p.name


@pytest.mark.parametrize(
    "name",
    [
        "prices.ningxia.gas_cny_per_m3",
        "prices.ningxia.pellet_cny_per_kg",
        "prices.ningxia.coal_cny_per_kg",
        "prices.beijing.gas_cny_per_m3",
        "tariffs.beijing.valley_subsidy_cny_per_kwh",
        "climate.yanchi.design_temp_c",
        "climate.yanchi.heating_season_start",
        "climate.ground_temp_offset_k",
        "fuels.pellet_ncv_kwh_per_kg",
    ],
)
def test_values_not_found_in_sources_are_marked_unconfirmed(tree, name):
    assert tree[name].reference.startswith("unconfirmed"), name


def test_monthly_lists_have_twelve_numbers(tree):
    for site in ("yanchi", "beijing"):
        for key in ("temp_mean_c", "temp_min_mean_c", "temp_max_mean_c", "ghi_daily_mj_m2"):
            values = tree[f"climate.{site}.{key}"].values[-1].value
            assert len(values) == 12 and all(isinstance(v, int | float) for v in values)
        lo = tree[f"climate.{site}.temp_min_mean_c"].values[-1].value
        mean = tree[f"climate.{site}.temp_mean_c"].values[-1].value
        hi = tree[f"climate.{site}.temp_max_mean_c"].values[-1].value
        assert all(a < b < c for a, b, c in zip(lo, mean, hi, strict=True)), site


def test_yanchi_annual_irradiation_matches_the_dataset(tree):
    # 5924 MJ/m² a year (cdsrd, 47 years); monthly means × days must give it within rounding
    days = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    ghi = tree["climate.yanchi.ghi_daily_mj_m2"].values[-1].value
    assert sum(g * d for g, d in zip(ghi, days, strict=True)) == pytest.approx(5924, rel=0.005)


def test_derived_fuel_numbers_follow_their_inputs(tree):
    on = dt.date(2024, 1, 1)
    kgce = tree["fuels.raw_coal_kgce_per_kg"].at(on)
    mj = tree["fuels.standard_coal_mj_per_kgce"].at(on)
    # 0.7143 × 29.307 / 3.6 = 5.815 kWh/kg
    assert tree["fuels.coal_ncv_kwh_per_kg"].at(on) == pytest.approx(kgce * mj / 3.6, abs=1e-3)
    # 0.7143 × 2.47 = 1.764 kgCO₂/kg
    assert tree["emission_factors.fuel.coal_kg_per_kg"].at(on) == pytest.approx(
        kgce * tree["emission_factors.fuel.standard_coal_kg_per_kgce"].at(on), abs=1e-3
    )
    # 0.038931 GJ × 15.3 kgC/GJ × 0.99 × 44/12 = 2.162 kgCO₂/m³; 38.931 MJ / 3.6 = 10.814 kWh/m³
    assert tree["emission_factors.fuel.natural_gas_kg_per_m3"].at(on) == pytest.approx(
        0.038931 * 15.3 * 0.99 * 44 / 12, abs=1e-3
    )
    assert tree["fuels.natural_gas_ncv_kwh_per_m3"].at(on) == pytest.approx(38.931 / 3.6, abs=1e-3)


def test_every_shipped_value_lies_within_its_parameters_range():
    from cleanheat.parameters import all_parameters

    checked = 0
    for p in all_parameters():
        if p.kind not in ("int", "float"):
            continue
        for dv in p.values:
            if dv.value is not None:
                assert p.check_value(dv.value) == dv.value, p.name
                checked += 1
    assert checked > 150


def test_fractions_have_a_range_of_0_to_1():
    from cleanheat.parameters import all_parameters

    tree = all_parameters()
    for name in ("technologies.other_high_tech.eta_carnot", "technologies.gshp.eta_carnot",
                 "technologies.coal_stove.seasonal_efficiency", "beijing.support.retrofit_ratio"):
        assert tree[name].bounds() == (0, 1), name


def test_a_range_that_is_not_a_number_is_refused(tmp_path):
    from cleanheat.errors import ParameterError
    from cleanheat.parameters import ParameterTree

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "b.yaml").write_text(
        "description: x\nmetadata:\n  unit: '1'\n  reference: r\n  max: one\nvalues:\n  2021-01-01:\n    value: 1\n",
        encoding="utf-8")
    with pytest.raises(ParameterError, match="metadata.max must be a number"):
        ParameterTree.load(tmp_path)
