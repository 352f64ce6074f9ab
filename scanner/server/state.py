"""What every request handler shares: settings, the store, the guard, metrics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from scanner.inventory.models import Sighting
from scanner.model import Verdict
from scanner.server.config import ServerConfig
from scanner.server.guard import Guard
from scanner.server.metrics import Metrics
from scanner.server.store import Store, exposure_filter


@dataclass
class ServerState:
    config: ServerConfig
    store: Store
    guard: Guard
    metrics: Metrics
    templates: Any

    def database_ok(self) -> bool:
        try:
            with self.store.session() as session:
                session.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True


def exposure_counts(store: Store) -> dict[str, int]:
    """Present exposures by verdict, for the metrics."""
    try:
        with store.session() as session:
            rows = session.execute(
                select(Sighting.verdict, func.count())
                .where(exposure_filter())
                .group_by(Sighting.verdict)
            ).all()
    except SQLAlchemyError:
        return {}
    counts: dict[str, int] = {}
    for verdict, count in rows:
        label = metric_label(verdict)
        counts[label] = counts.get(label, 0) + count
    return counts


KNOWN_VERDICTS = frozenset(str(v) for v in Verdict)


def metric_label(verdict: str | None) -> str:
    """A stored verdict as a metrics label: one of the scanner's verdicts, `none`, or
    `other`. A host writes its sightings' verdicts, and a label it chose would be a
    new series for every value (and its text in every scraper)."""
    if verdict is None or verdict == "":
        return "none"
    return verdict if verdict in KNOWN_VERDICTS else "other"
