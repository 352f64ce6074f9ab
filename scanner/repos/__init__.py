"""Every repository of an organisation, scanned on a distributed job queue.

A security team needs the whole picture: every repository, every branch, full
history, rescanned as it changes, joined to the same inventory and registry
verdicts as the fleet's sweeps. This package keeps repositories as rows of the
inventory (`store`), names them from URLs, files, folders or a code host's API
(`inputs`, `providers`), and scans each on Procrastinate (`queue`): a job fetches
a bare mirror with git hardened (`mirror`), scans only what commits added since
the last scan (`history`) in a child process with time and size limits (`job`),
and stores the findings with the new ref positions in one transaction.

`open_database` is the entry point for the command line and for library use.
"""

from __future__ import annotations

from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import SQLAlchemyError

from scanner.errors import InventoryError


def open_database(url: str) -> Engine:
    """An engine on `url` with the inventory's migrations applied; on PostgreSQL
    also Procrastinate's schema (`queue.prepare`), under an advisory lock."""
    from scanner.inventory.db import one_line, open_engine, safe_url

    try:
        if url.startswith("postgresql"):
            from scanner.repos.queue import prepare

            engine = create_engine(url)
            prepare(engine)
            return engine
        from scanner.inventory import migrate

        engine = open_engine(url)
        migrate.upgrade(engine)
        return engine
    except SQLAlchemyError as exc:
        raise InventoryError(
            f"{safe_url(url)}: cannot prepare the database: {one_line(exc)}"
        ) from None
    except ModuleNotFoundError as exc:
        raise InventoryError(f"{exc.name} is not installed: pip install 'keysweep[org]'") from None
