"""Storing a report: idempotent by content, and a host's latest complete report
of a scope replaces what that host no longer has.

- The same report (same canonical JSON) is stored once; ingesting it again
  changes nothing.
- Each key in the report is upserted as a sighting of (host, scope, path, key):
  first_seen and last_seen widen to include the report's time.
- When the report is the newest of its scope for that host and not partial,
  sightings it no longer has (and no newer partial report saw) are closed
  (`gone_since` = the report's time);
  a key that comes back is reopened. An older report ingested late never
  closes anything, and a key only it has is recorded as already gone.

Each table is written with a few statements per report, whatever its size, never
one query per sighting: the sightings are one `INSERT … ON CONFLICT DO UPDATE`
(PostgreSQL and SQLite, the two databases the inventory runs on, both have it)
whose `RETURNING` rows say which sightings are new and which this report is the
latest word on, and the closing is one `UPDATE`. The server's upload rate is
bounded by this module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, case, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from scanner.errors import InventoryError
from scanner.inventory.extract import ReportRecord, SightingRecord, naive_utc
from scanner.inventory.models import Fingerprint, Host, ReportRow, Sighting

FUTURE_SKEW = timedelta(minutes=15)
"""How far ahead of this clock a report's time may be (hosts' clocks drift)."""

NEWEST_COLUMNS = (
    "last_seen",
    "last_report_id",
    "key_id",
    "verdict",
    "state",
    "severity",
    "rule",
    "format",
    "algorithm",
    "file_mode",
)
"""What the newest report about a sighting decides (the registry may have changed)."""

OLDEST_COLUMNS = ("first_seen", "first_report_id")
"""What the oldest report about a sighting decides."""

UNIQUE_SIGHTING = ("host_id", "scope", "path", "identity")

INSERTS: dict[str, Callable[[Any], Any]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}
"""The INSERT of each database the inventory runs on, with its ON CONFLICT clause."""


@dataclass(frozen=True)
class IngestResult:
    report_id: str
    host: str
    source_name: str
    already: bool = False
    sightings: int = 0
    new: int = 0
    closed: int = 0
    reopened: int = 0


@dataclass(frozen=True)
class Ingested:
    """An ingest as the server needs it: the counts, and which sightings to judge."""

    result: IngestResult
    created: tuple[tuple[int, SightingRecord], ...] = ()
    """Sightings this report added (id, what the report said)."""
    newest: tuple[int, ...] = ()
    """Sightings this report is now the latest word on (`last_report_id`)."""
    closed: tuple[int, ...] = ()
    """Sightings this report closed (`gone_since` set: no longer there)."""


@dataclass(frozen=True)
class _Upserted:
    id: int
    key: tuple[str, str]
    created: bool
    newest: bool
    was_gone: bool


def ingest(session: Session, record: ReportRecord) -> IngestResult:
    """Store `record` in the session's transaction (the caller commits)."""
    return ingest_report(session, record).result


def ingest_report(session: Session, record: ReportRecord) -> Ingested:
    """`ingest`, also naming the sightings the report created and the ones it is newest on."""
    if session.get(ReportRow, record.id) is not None:
        return Ingested(IngestResult(record.id, record.host, record.source_name, already=True))
    refuse_future(record)
    host_id = _host(session, record)
    later = _later_complete(session, host_id, record)
    session.add(_report_row(host_id, record))
    rows = _upsert(session, host_id, record, later)
    by_key = {(item.path, item.identity): item for item in record.sightings}
    created = tuple((row.id, by_key[row.key]) for row in rows if row.created)
    _add_fingerprints(session, created)
    reopened = _reopen(session, rows) if later is None else 0
    closed: tuple[int, ...] = ()
    if later is None and not record.partial:
        closed = _close_missing(session, host_id, record)
    result = IngestResult(
        record.id,
        record.host,
        record.source_name,
        sightings=len(record.sightings),
        new=len(created),
        closed=len(closed),
        reopened=reopened,
    )
    newest = tuple(row.id for row in rows if row.newest)
    return Ingested(result, created, newest, closed)


def refuse_future(record: ReportRecord, now: datetime | None = None) -> None:
    """A report dated after now (beyond a small clock skew) is refused: once stored it
    would be the latest for its host, and no real report could close a sighting again."""
    limit = (now or naive_utc()) + FUTURE_SKEW
    if record.time > limit:
        raise InventoryError(
            f"{record.source_name}: report dated {record.time.isoformat()}, in the future; "
            "refused (check the clock of the host that wrote it)"
        )


def _dialect(session: Session) -> str:
    """The session's database: PostgreSQL or SQLite, whose INSERTs have ON CONFLICT."""
    name = session.get_bind().dialect.name
    if name not in INSERTS:
        raise InventoryError(f"the inventory runs on PostgreSQL or SQLite, not {name}")
    return name


def _host(session: Session, record: ReportRecord) -> int:
    """The host's id, its row created or its first and last seen widened."""
    values = {"name": record.host, "first_seen": record.time, "last_seen": record.time}
    host_id: int = session.execute(_host_upsert(_dialect(session)), values).scalar_one()
    return host_id


@cache
def _host_upsert(dialect: str) -> Any:
    """Built once per database kind: the statement is the same for every report."""
    statement = INSERTS[dialect](Host)
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[Host.name],
        set_={
            "first_seen": _pick(new.first_seen < Host.first_seen, new.first_seen, Host.first_seen),
            "last_seen": _pick(new.last_seen > Host.last_seen, new.last_seen, Host.last_seen),
        },
    ).returning(Host.id)


def _pick(condition: ColumnElement[bool], then: Any, otherwise: Any) -> Any:
    return case((condition, then), else_=otherwise)


def _report_row(host_id: int, record: ReportRecord) -> ReportRow:
    return ReportRow(
        id=record.id,
        host_id=host_id,
        kind=record.kind,
        scope=record.scope,
        roots="\n".join(record.roots),
        time=record.time,
        ingested_at=naive_utc(),
        partial=record.partial,
        user=record.user,
        keysweep_version=record.keysweep_version,
        rules_version=record.rules_version,
        sightings=len(record.sightings),
        source_name=record.source_name,
    )


def _later_complete(session: Session, host_id: int, record: ReportRecord) -> datetime | None:
    """The time of the first complete report of this scope after this one, if any."""
    query = select(func.min(ReportRow.time)).where(
        ReportRow.host_id == host_id,
        ReportRow.scope == record.scope,
        ReportRow.partial.is_(False),
        ReportRow.time > record.time,
    )
    return session.scalar(query)


def _upsert(
    session: Session, host_id: int, record: ReportRecord, later: datetime | None
) -> list[_Upserted]:
    """Every sighting of the report, created or widened, in one statement."""
    if not record.sightings:
        return []
    items = sorted(record.sightings, key=lambda item: (item.path, item.identity))
    base = {
        "host_id": host_id,
        "scope": record.scope,
        "first_seen": record.time,
        "last_seen": record.time,
        "gone_since": later,
        "first_report_id": record.id,
        "last_report_id": record.id,
    }
    values = [{**base, **_described(item)} for item in items]
    rows = session.execute(_sighting_upsert(_dialect(session)), values).all()
    return [_upserted(record.id, *row) for row in rows]


@cache
def _sighting_upsert(dialect: str) -> Any:
    """Built once per database kind: the statement is the same for every report."""
    statement = INSERTS[dialect](Sighting)
    return statement.on_conflict_do_update(
        index_elements=list(UNIQUE_SIGHTING), set_=_widen(statement.excluded)
    ).returning(
        Sighting.id,
        Sighting.path,
        Sighting.identity,
        Sighting.first_report_id,
        Sighting.last_report_id,
        Sighting.gone_since,
    )


def _described(item: SightingRecord) -> dict[str, Any]:
    """What the report says about one sighting."""
    return {
        "path": item.path,
        "identity": item.identity,
        "key_id": item.key_id,
        "verdict": item.verdict,
        "state": item.state,
        "severity": item.severity,
        "rule": item.rule,
        "format": item.format,
        "algorithm": item.algorithm,
        "file_mode": item.file_mode,
    }


def _widen(new: Any) -> dict[str, Any]:
    """An existing sighting takes the report's description and last_seen when the report
    is as new as its last one, and its first_seen when the report is older than its
    first. `gone_since` is left alone (see `_reopen`), so RETURNING shows the old one."""
    table = Sighting.__table__.c
    newer = new.last_seen >= table.last_seen
    older = new.first_seen < table.first_seen
    widened = {name: _pick(newer, new[name], table[name]) for name in NEWEST_COLUMNS}
    widened.update({name: _pick(older, new[name], table[name]) for name in OLDEST_COLUMNS})
    return widened


def _upserted(
    report_id: str,
    sighting_id: int,
    path: str,
    identity: str,
    first_report: str,
    last_report: str,
    gone_since: datetime | None,
) -> _Upserted:
    """A sighting was created by this report iff the report is both its first and last:
    an existing sighting takes a report as its first only when older than its last."""
    newest = last_report == report_id
    created = newest and first_report == report_id
    return _Upserted(sighting_id, (path, identity), created, newest, gone_since is not None)


def _add_fingerprints(session: Session, created: Sequence[tuple[int, SightingRecord]]) -> None:
    rows = [
        {"sighting_id": sighting_id, "kind": kind, "value": value}
        for sighting_id, item in created
        for kind, value in item.fingerprints
    ]
    if rows:
        session.execute(insert(Fingerprint), rows)


def _reopen(session: Session, rows: Sequence[_Upserted]) -> int:
    """Reopen the closed sightings this report, the newest complete one, has again."""
    back = [row.id for row in rows if row.newest and row.was_gone and not row.created]
    if back:
        statement = update(Sighting).where(Sighting.id.in_(back)).values(gone_since=None)
        session.execute(statement, execution_options={"synchronize_session": False})
    return len(back)


def _close_missing(session: Session, host_id: int, record: ReportRecord) -> tuple[int, ...]:
    """Close what this report no longer has; their ids. Every sighting it has is now
    last seen at its time or later, so "not seen since before this report" is "not in it"."""
    statement = (
        update(Sighting)
        .where(
            Sighting.host_id == host_id,
            Sighting.scope == record.scope,
            Sighting.gone_since.is_(None),
            Sighting.last_seen < record.time,
        )
        .values(gone_since=record.time)
        .returning(Sighting.id)
    )
    closed = session.execute(statement, execution_options={"synchronize_session": False})
    return tuple(closed.scalars())
