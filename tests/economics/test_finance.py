"""Capital cost, lifecycle cost and loan of :mod:`cleanheat.economics.finance` (issue #11, advisor's money).

Every expected number is computed by hand in the test's docstring, or is the guide's own figure.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cleanheat.codes import TECHNOLOGIES
from cleanheat.economics.finance import capex_cny, lifecycle_cost_cny, loan_monthly_payment_cny
from cleanheat.errors import InputError
from cleanheat.parameters import DEFAULTS_ROOT, defaults_tree

GUIDE_RANGES = {
    # 附件2 技术导则, each method's 二、安装成本: "安装成本为每60平方米X元—Y元之间"
    "fan_heater_direct": (5000, 6000),
    "ashp_water": (15000, 18000),
    "storage_electric": (6500, 7500),
    "gas_boiler": (5000, 7000),
    "gshp": (14000, 16000),
    "solar_aux": (15000, 25000),
}
REFERENCE_LOAD_KW = 5.0  # capex.reference_design_load_kw: the guide's 2P ground-source unit for 60 m²


# ---------------------------------------------------------------------------------------------
# capital cost
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("tech", "rng"), GUIDE_RANGES.items())
def test_guide_range_reproduced_at_60_m2_and_the_reference_load(tech, rng):
    """60 m² at the reference load must give exactly the guide's low/high and their middle."""
    c = capex_cny(tech, 60, REFERENCE_LOAD_KW)
    assert (c.low_cny, c.high_cny) == rng
    assert c.mid_cny == (rng[0] + rng[1]) // 2
    assert c.scale == 1


@pytest.mark.parametrize(("tech", "rng"), GUIDE_RANGES.items())
def test_guide_parameters_quote_the_clause_and_its_text(tech, rng):
    """Each guide-priced file cites 附件2 安装成本 and quotes the sentence with the two numbers."""
    tree = defaults_tree()
    for end in ("low", "high"):
        p = tree[f"capex.{tech}.{end}_cny_per_60m2"]
        assert "附件2" in p.reference and "安装成本" in p.reference
        assert f"每60平方米{rng[0]}元—{rng[1]}元之间" in p.documentation


@pytest.mark.parametrize("tech", ["other_high_tech", "co2_ashp", "solar_gshp_seasonal", "biomass"])
def test_methods_the_guide_does_not_price_are_marked_unconfirmed(tech):
    tree = defaults_tree()
    for name in ("low_cny_per_60m2", "high_cny_per_60m2", "capacity_share"):
        assert tree[f"capex.{tech}.{name}"].reference.startswith("unconfirmed"), name


def test_the_existing_coal_stove_costs_nothing():
    c = capex_cny("coal_stove", 120, 12.0)
    assert (c.low_cny, c.mid_cny, c.high_cny) == (0, 0, 0)


def test_120_m2_air_source_by_hand_linear():
    """Exponent 1 (linear): ashp_water, 120 m², 9 kW, capacity share 0.6: scale = 0.6 × 9/5 + 0.4 × 120/60
    = 1.08 + 0.8 = 1.88; 15000 × 1.88 = 28200, 16500 × 1.88 = 31020, 18000 × 1.88 = 33840."""
    tree = defaults_tree().with_overrides({"capex.capacity_exponent": 1.0})
    c = capex_cny("ashp_water", 120, 9.0, tree=tree)
    assert (c.low_cny, c.mid_cny, c.high_cny) == (28200, 31020, 33840)
    assert c.scale == Decimal("1.88")


def test_120_m2_air_source_by_hand_with_economies_of_scale():
    """Default exponent 0.7: (9/5)^0.7 = exp(0.7 ln 1.8) = exp(0.411451) = 1.509006; scale = 0.6 × 1.509006
    + 0.8 = 1.705404; 16500 × 1.705404 = 28139.2 → 28139 (below the linear 31020)."""
    c = capex_cny("ashp_water", 120, 9.0)
    assert c.mid_cny == 28139


def test_capacity_follows_the_load_not_only_the_area():
    """Same 60 m², twice the reference load, 2^0.7 = 1.624505: a heat pump (share 0.7) costs
    0.7 × 1.624505 + 0.3 = 1.437154 ×, solar (share 0.3) 0.3 × 1.624505 + 0.7 = 1.187352 ×.
    gshp: 15000 × 1.437154 = 21557; solar_aux: 20000 × 1.187352 = 23747."""
    assert capex_cny("gshp", 60, 10.0).mid_cny == 21557
    assert capex_cny("solar_aux", 60, 10.0).mid_cny == 23747


@pytest.mark.parametrize("tech", [t.value for t in TECHNOLOGIES if t.value != "coal_stove"])
def test_cost_rises_with_area_and_with_load(tech):
    """The scaling rule is monotone: more area (same load) or more load (same area) never costs less,
    and low ≤ mid ≤ high everywhere."""
    areas = [40, 60, 80, 120, 200]
    loads = [2.0, 5.0, 8.0, 15.0]
    for load in loads:
        mids = [capex_cny(tech, a, load).mid_cny for a in areas]
        assert mids == sorted(mids) and mids[0] < mids[-1]
    for a in areas:
        mids = [capex_cny(tech, a, p).mid_cny for p in loads]
        assert mids == sorted(mids) and mids[0] < mids[-1]
        c = capex_cny(tech, a, 6.0)
        assert c.low_cny <= c.mid_cny <= c.high_cny


def test_a_reform_of_the_range_changes_the_cost():
    tree = defaults_tree().with_overrides({"capex.gshp.high_cny_per_60m2": 20000})
    c = capex_cny("gshp", 60, REFERENCE_LOAD_KW, tree=tree)
    assert (c.low_cny, c.mid_cny, c.high_cny) == (14000, 17000, 20000)


@pytest.mark.parametrize(
    ("args", "field"),
    [(("nuclear", 60, 5.0), "technology"), (("gshp", 0, 5.0), "heated_area_m2"),
     (("gshp", 60, -1.0), "design_heat_load_kw"), (("gshp", 60, float("nan")), "design_heat_load_kw")],
)
def test_capex_bad_input_names_the_field(args, field):
    with pytest.raises(InputError) as err:
        capex_cny(*args)
    assert err.value.field == field


# ---------------------------------------------------------------------------------------------
# lifecycle cost
# ---------------------------------------------------------------------------------------------


def test_ten_year_unit_over_fifteen_years_is_bought_twice_undiscounted():
    """r = 0, C = 10000, R = 1000/a, m = 2 %, L = 10, H = 15: bought at 0 and 10 (2 purchases);
    running 15 × 1000 = 15000; maintenance 15 × 200 = 3000; residual: the second unit has 5 of its
    10 years left → 5000. LCC = 10000 + 10000 + 15000 + 3000 − 5000 = 33000."""
    lc = lifecycle_cost_cny(10000, 1000, "fan_heater_direct", 15, discount_rate=0, lifetime_years=10,
                            maintenance_share_per_year=0.02)
    assert lc.purchases == 2
    assert (lc.replacements_cny, lc.running_cny, lc.maintenance_cny, lc.residual_cny) == (10000, 15000, 3000, 5000)
    assert lc.total_cny == 33000


def test_discounted_lifecycle_by_hand():
    """r = 5 %: replacement 10000 / 1.05¹⁰ = 6139.13; annuity factor (1 − 1.05⁻¹⁵)/0.05 = 10.37966;
    running 1000 × 10.37966 = 10379.66; maintenance 200 × 10.37966 = 2075.93; residual
    5000 / 1.05¹⁵ = 2405.09. LCC = 10000 + 6139.13 + 10379.66 + 2075.93 − 2405.09 = 26189.63 → 26190."""
    lc = lifecycle_cost_cny(10000, 1000, "fan_heater_direct", 15, discount_rate=0.05, lifetime_years=10,
                            maintenance_share_per_year=0.02)
    assert (lc.replacements_cny, lc.running_cny, lc.maintenance_cny, lc.residual_cny) == (6139, 10380, 2076, 2405)
    assert lc.total_cny == 26190


@pytest.mark.parametrize(
    ("life", "horizon", "purchases", "residual"),
    [(15, 15, 1, 0),          # worn out exactly at the horizon: not replaced, nothing left
     (20, 15, 1, 2500),       # 5 of 20 years left: 10000 × 5/20
     (10, 30, 3, 0),          # bought at 0, 10, 20; the one due at 30 is outside
     (7, 15, 3, 8571)],       # bought at 0, 7, 14; 6 of 7 years left at 15: 10000 × 6/7 = 8571.4
)
def test_replacements_and_residual_at_the_horizon(life, horizon, purchases, residual):
    lc = lifecycle_cost_cny(10000, 0, "gshp", horizon, discount_rate=0, lifetime_years=life,
                            maintenance_share_per_year=0)
    assert lc.purchases == purchases
    assert lc.residual_cny == residual
    assert lc.total_cny == 10000 * purchases - residual


def test_defaults_come_from_the_parameters():
    """Without overrides: horizon 20 a, 8 %, fan heater 10 a and 2 % a year (lifecycle.* files)."""
    lc = lifecycle_cost_cny(5500, 0, "fan_heater_direct")
    assert (lc.horizon_years, lc.lifetime_years, lc.discount_rate, lc.purchases) == (20, 10, Decimal("0.08"), 2)
    # 5500 + 5500/1.08¹⁰ + 110 × (1 − 1.08⁻²⁰)/0.08 = 5500 + 2547.56 + 1080.00 = 9127.56 (residual 0)
    assert lc.total_cny == 9128


def test_lifecycle_refuses_float_money():
    with pytest.raises(InputError) as err:
        lifecycle_cost_cny(10000.0, 1000, "gshp")  # type: ignore[arg-type]
    assert err.value.field == "capex_cny"
    with pytest.raises(InputError):
        lifecycle_cost_cny(10000, 1000, "gshp", 0)


# ---------------------------------------------------------------------------------------------
# loan
# ---------------------------------------------------------------------------------------------


def test_loan_10000_at_4_35_percent_over_36_months():
    """i = 0.0435/12 = 0.003625; (1+i)³⁶ = 1.139133; M = 10000 × 0.003625 / (1 − 1/1.139133)
    = 36.25 / 0.122139 = 296.80 CNY → 297 shown; interest 36 × 296.80 − 10000 = 684.80 → 685."""
    loan = loan_monthly_payment_cny(10000, 0.0435, 36)
    assert loan.monthly_payment_fen == Decimal("296.80")
    assert loan.monthly_payment_cny == 297
    assert loan.total_repaid_fen == Decimal("10684.80")
    assert loan.total_interest_fen == Decimal("684.80")
    assert loan.total_interest_cny == 685


def test_zero_rate_loan_is_principal_over_months():
    """10000 / 36 = 277.777… → 277.78 at the fen, 278 shown; the fen rounding leaves 0.08 CNY."""
    loan = loan_monthly_payment_cny(10000, 0, 36)
    assert (loan.monthly_payment_fen, loan.monthly_payment_cny) == (Decimal("277.78"), 278)
    assert loan.total_interest_cny == 0


def test_default_rate_and_term_on_the_plans_date():
    """On 2022-02-28 the default is the one-year LPR 3.70 % (from 2022-01-20) over 36 months."""
    loan = loan_monthly_payment_cny(10000, on=dt.date(2022, 2, 28))
    assert (loan.annual_rate, loan.months) == (Decimal("0.037"), 36)
    assert loan.monthly_payment_fen == loan_monthly_payment_cny(10000, "0.037", 36).monthly_payment_fen


def test_loan_overrides_and_bad_input():
    tree = defaults_tree().with_overrides({"finance.loan_annual_rate": 0.0435, "finance.loan_term_months": 36})
    assert loan_monthly_payment_cny(10000, tree=tree).monthly_payment_fen == Decimal("296.80")
    for args, field in (((-1,), "principal_cny"), ((100.5,), "principal_cny"), ((10000, 4.35), "annual_rate"),
                        ((10000, 0.04, 0), "months")):
        with pytest.raises(InputError) as err:
            loan_monthly_payment_cny(*args)  # type: ignore[arg-type]
        assert err.value.field == field


def test_every_new_parameter_is_listed_in_its_source_note():
    tree = defaults_tree()
    for folder in ("capex", "lifecycle", "finance"):
        note = (DEFAULTS_ROOT / folder / "SOURCE.md").read_text(encoding="utf-8")
        for name in tree.names(folder):
            stem = name.split(".")[-1]
            assert f"`{stem}`" in note, (folder, name)
            assert tree[name].unit, name


def test_subsidy_lowers_only_the_first_purchase():
    """Subsidy 5300 (3500 central + 1800 local) at year 0: the total falls by exactly 5300 and the
    replacement at year 10 stays at the full 10000 (undiscounted case: 33000 − 5300 = 27700)."""
    lc = lifecycle_cost_cny(10000, 1000, "fan_heater_direct", 15, discount_rate=0, lifetime_years=10,
                            maintenance_share_per_year=0.02, subsidy_cny=5300)
    assert (lc.total_cny, lc.replacements_cny, lc.maintenance_cny) == (27700, 10000, 3000)
    with pytest.raises(InputError) as err:
        lifecycle_cost_cny(1000, 0, "gshp", subsidy_cny=5300)
    assert err.value.field == "subsidy_cny"
