"""Bring a database to the current schema with the Alembic migrations shipped in
the package (`scanner/inventory/migrations`). A database made by
`keysweep inventory` before it was versioned is stamped at the first revision,
then upgraded, so its data stays."""

from __future__ import annotations

from sqlalchemy import Engine, inspect

FIRST = "0001_inventory"


def upgrade(engine: Engine) -> None:
    """Run every migration the database lacks (idempotent)."""
    from alembic import command
    from alembic.config import Config

    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", "scanner.inventory:migrations")
        config.attributes["connection"] = connection
        tables = set(inspect(connection).get_table_names())
        if "alembic_version" not in tables and "hosts" in tables:
            command.stamp(config, FIRST)
        command.upgrade(config, "head")
