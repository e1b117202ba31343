"""Money and emissions: tariffs, fuel prices, CO₂ factors; capital, lifecycle cost and the household loan."""

from cleanheat.economics.finance import (
    CapexRange,
    LifecycleCost,
    LoanRepayment,
    capex_cny,
    lifecycle_cost_cny,
    loan_monthly_payment_cny,
)
from cleanheat.economics.tariffs import EmissionFactors, Prices, Tariff

__all__ = [
    "CapexRange",
    "EmissionFactors",
    "LifecycleCost",
    "LoanRepayment",
    "Prices",
    "Tariff",
    "capex_cny",
    "lifecycle_cost_cny",
    "loan_monthly_payment_cny",
]
