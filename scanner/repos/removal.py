"""Removing repositories from org scanning: the one call behind `keysweep repos
remove`, for the command line and library users alike.

Order matters. The rows are marked removed first, in one transaction (a name
that matches nothing, or more than one repository, removes nothing); from then
on no job stores a scan of them and no rescan defers one. Then the scans still
waiting in the queue are cancelled, and a running one is left to end: its
worker cannot be told to stop a child process midway, and what it would store
is refused (`store.record_scan`). Last, the mirror in this machine's cache is
deleted; workers elsewhere delete theirs when they start and before each job
(`queue.discard_removed`). The findings stay: see `store`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from scanner.repos import mirror, open_database, store
from scanner.repos.store import RemovedRepository


@dataclass(frozen=True)
class Removal:
    repositories: tuple[RemovedRepository, ...]
    cancelled: int
    """Scans that were waiting in the queue, cancelled."""
    mirrors: int
    """Mirrors deleted from this machine's cache."""


def remove(db_url: str, names: Sequence[str], cache: Path | None = None) -> Removal:
    """Remove the repositories `names` name (URL, name or id, one repository each);
    InventoryError, with nothing removed, when a name matches none or several."""
    engine = open_database(db_url)
    try:
        with Session(engine) as session, session.begin():
            removed = tuple(store.remove(session, names))
    finally:
        engine.dispose()
    cancelled = _cancel(db_url, [r.id for r in removed])
    cache = cache or mirror.default_cache()
    urls = [url for r in removed for url in r.mirror_urls]
    mirrors = mirror.discard_all(cache, urls)  # after the commit: a failure is a warning
    return Removal(removed, cancelled, mirrors)


def _cancel(db_url: str, ids: list[int]) -> int:
    """The waiting scans cancelled (the queue lives only in PostgreSQL)."""
    if not ids or not db_url.startswith("postgresql"):
        return 0
    from scanner.repos import queue

    app = queue.make_app(db_url)
    with app.open():
        return queue.cancel_waiting(app, ids)
