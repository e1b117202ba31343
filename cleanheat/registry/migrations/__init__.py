"""Alembic migrations of the registry, shipped in the package and run by ``cleanheat db upgrade``."""
