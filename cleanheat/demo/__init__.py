"""Deterministic synthetic demo programmes (Yanchi households; Beijing projects)."""
