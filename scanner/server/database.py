"""Opening the server's database: an engine from the one opener
(`inventory.db.open_engine`), with the schema brought to the newest migration."""

from __future__ import annotations

from sqlalchemy import Engine

from scanner.inventory.db import open_engine


def server_engine(url: str, pool_size: int = 10, *, migrate: bool = True) -> Engine:
    """An engine on `url`, migrated unless `migrate` is False (a server's workers: the
    parent migrated before they started); InventoryError with one line when it cannot
    be."""
    from scanner.inventory.migrate import upgrade

    return open_engine(url, upgrade if migrate else _as_it_is, pool_size=pool_size)


def _as_it_is(engine: Engine) -> None:
    """No schema work: the database was migrated by the process that started this one."""
