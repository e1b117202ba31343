"""Money and emissions per unit of energy: electricity tariffs, fuel prices, fuel properties, CO₂ factors."""

from cleanheat.economics.tariffs import EmissionFactors, Prices, Tariff

__all__ = ["EmissionFactors", "Prices", "Tariff"]
