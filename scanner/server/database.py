"""Opening the server's database: an engine tuned for the server, and the
schema brought to the newest migration."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from scanner.errors import InventoryError
from scanner.inventory.db import one_line, safe_url
from scanner.inventory.migrate import upgrade


def server_engine(url: str, pool_size: int = 10, *, migrate: bool = True) -> Engine:
    """An engine on `url`, migrated unless `migrate` is False (a server's workers: the
    parent migrated before they started); InventoryError with one line when it cannot
    be."""
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(
                url, pool_pre_ping=True, pool_size=pool_size, max_overflow=pool_size
            )
        if migrate:
            upgrade(engine)
    except (ArgumentError, ValueError) as exc:
        raise InventoryError(
            f"{safe_url(url)}: not a usable database URL: {one_line(exc)}"
        ) from None
    except ModuleNotFoundError as exc:
        raise InventoryError(f"{safe_url(url)}: database driver missing: {exc.name}") from None
    except SQLAlchemyError as exc:
        raise InventoryError(
            f"{safe_url(url)}: cannot open the database: {one_line(exc)}"
        ) from None
    return engine


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
