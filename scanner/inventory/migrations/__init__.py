"""Alembic migrations of the inventory and server schema (shipped in the package)."""
