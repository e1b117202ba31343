"""The programme registry: households, enterprises, installations, acceptance, one-time payment, funds,
after-sales, reports and Beijing projects on SQLite or PostgreSQL (issue 5; docs/architecture.md)."""
