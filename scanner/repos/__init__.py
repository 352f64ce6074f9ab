"""Every repository of an organisation, scanned on a distributed job queue.

A security team needs the whole picture: every repository, every branch, full
history, rescanned as it changes, joined to the same inventory and registry
verdicts as the fleet's sweeps. This package keeps repositories as rows of the
inventory (`store`), names them from URLs, files, folders or a code host's API
(`inputs`, `providers`), and scans each on Procrastinate (`queue`): a job fetches
a bare mirror with git hardened (`mirror`), scans only what commits added since
the last scan (`history`) in a child process with time and size limits (`job`),
and stores the findings with the new ref positions in one transaction.

`open_database` is the entry point for the command line and for library use;
`removal.remove` stops scanning repositories (their findings stay).
"""

from __future__ import annotations

from sqlalchemy import Engine

from scanner.errors import InventoryError


def open_database(url: str) -> Engine:
    """An engine on `url` (from the one opener, `inventory.db.open_engine`) with the
    inventory's migrations applied; on PostgreSQL also Procrastinate's schema
    (`queue.prepare`), under an advisory lock."""
    from scanner.inventory.db import open_engine
    from scanner.inventory.migrate import upgrade

    if not url.startswith("postgresql"):
        return open_engine(url, upgrade)
    try:
        import procrastinate  # noqa: F401  (the queue's schema needs it: say so up front)
    except ModuleNotFoundError as exc:
        raise InventoryError(f"{exc.name} is not installed: pip install 'keysweep[org]'") from None
    from scanner.repos.queue import prepare

    return open_engine(url, prepare)
