"""Sweep reports into a database, and the questions asked of it.

SQLite by default (a file in the user's data folder, no server), PostgreSQL or
any other SQLAlchemy database by URL. `Inventory` is the one entry point:
ingest reports, ask where a key lives, list retired keys still present.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from scanner.errors import InventoryError
from scanner.inventory.db import one_line, open_engine, safe_url
from scanner.inventory.extract import read_report
from scanner.inventory.ingest import IngestResult, ingest
from scanner.inventory.queries import Place, retired_present, where


class Inventory:
    def __init__(self, url: str | None = None) -> None:
        self.engine = open_engine(url)
        self.url = safe_url(str(self.engine.url))

    def ingest(self, paths: Sequence[Path], *, host: str | None = None) -> list[IngestResult]:
        """Each report in its own transaction: one bad report does not undo the others."""
        results: list[IngestResult] = []
        for path in paths:
            record = read_report(path, host=host)
            try:
                with Session(self.engine) as session, session.begin():
                    results.append(ingest(session, record))
            except SQLAlchemyError as exc:
                raise InventoryError(
                    f"{path}: cannot store the report in {self.url}: {one_line(exc)}"
                ) from None
        return results

    def where(self, query: str, *, include_gone: bool = False) -> list[Place]:
        with Session(self.engine) as session:
            return where(session, query, include_gone=include_gone)

    def retired_present(self) -> dict[str, list[Place]]:
        with Session(self.engine) as session:
            return retired_present(session)

    def close(self) -> None:
        self.engine.dispose()


__all__ = ["IngestResult", "Inventory", "Place"]
