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
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scanner.errors import InventoryError
from scanner.inventory.extract import ReportRecord, SightingRecord, naive_utc
from scanner.inventory.models import Fingerprint, Host, ReportRow, Sighting

FUTURE_SKEW = timedelta(minutes=15)
"""How far ahead of this clock a report's time may be (hosts' clocks drift)."""


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


def ingest(session: Session, record: ReportRecord) -> IngestResult:
    """Store `record` in the session's transaction (the caller commits)."""
    if session.get(ReportRow, record.id) is not None:
        return IngestResult(record.id, record.host, record.source_name, already=True)
    refuse_future(record)
    host = _host(session, record)
    later = _later_complete(session, host, record)
    session.add(_report_row(host, record))
    new = reopened = 0
    present: set[int] = set()
    for item in record.sightings:
        sighting, created, back = _upsert(session, host, record, item, later)
        present.add(sighting.id)
        new += created
        reopened += back
    closed = 0
    if later is None and not record.partial:
        closed = _close_missing(session, host, record, present)
    return IngestResult(
        record.id,
        record.host,
        record.source_name,
        sightings=len(record.sightings),
        new=new,
        closed=closed,
        reopened=reopened,
    )


def refuse_future(record: ReportRecord, now: datetime | None = None) -> None:
    """A report dated after now (beyond a small clock skew) is refused: once stored it
    would be the latest for its host, and no real report could close a sighting again."""
    limit = (now or naive_utc()) + FUTURE_SKEW
    if record.time > limit:
        raise InventoryError(
            f"{record.source_name}: report dated {record.time.isoformat()}, in the future; "
            "refused (check the clock of the host that wrote it)"
        )


def _host(session: Session, record: ReportRecord) -> Host:
    host = session.scalars(select(Host).where(Host.name == record.host)).one_or_none()
    if host is None:
        host = Host(name=record.host, first_seen=record.time, last_seen=record.time)
        session.add(host)
        session.flush()
    host.first_seen = min(host.first_seen, record.time)
    host.last_seen = max(host.last_seen, record.time)
    return host


def _report_row(host: Host, record: ReportRecord) -> ReportRow:
    return ReportRow(
        id=record.id,
        host_id=host.id,
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


def _later_complete(session: Session, host: Host, record: ReportRecord) -> datetime | None:
    """The time of the first complete report of this scope after this one, if any."""
    query = select(func.min(ReportRow.time)).where(
        ReportRow.host_id == host.id,
        ReportRow.scope == record.scope,
        ReportRow.partial.is_(False),
        ReportRow.time > record.time,
    )
    return session.scalar(query)


def _upsert(
    session: Session,
    host: Host,
    record: ReportRecord,
    item: SightingRecord,
    later: datetime | None,
) -> tuple[Sighting, bool, bool]:
    """The sighting for `item`, created or widened; (sighting, created, reopened)."""
    sighting = session.scalars(
        select(Sighting).where(
            Sighting.host_id == host.id,
            Sighting.scope == record.scope,
            Sighting.path == item.path,
            Sighting.identity == item.identity,
        )
    ).one_or_none()
    if sighting is None:
        sighting = Sighting(
            host_id=host.id,
            scope=record.scope,
            path=item.path,
            identity=item.identity,
            first_seen=record.time,
            last_seen=record.time,
            gone_since=later,
            first_report_id=record.id,
            last_report_id=record.id,
        )
        _describe(sighting, item)
        sighting.fingerprints = [Fingerprint(kind=k, value=v) for k, v in item.fingerprints]
        session.add(sighting)
        session.flush()
        return sighting, True, False
    reopened = False
    if record.time >= sighting.last_seen:
        sighting.last_seen = record.time
        sighting.last_report_id = record.id
        _describe(sighting, item)
        if sighting.gone_since is not None and later is None:
            sighting.gone_since = None
            reopened = True
    if record.time < sighting.first_seen:
        sighting.first_seen = record.time
        sighting.first_report_id = record.id
    return sighting, False, reopened


def _describe(sighting: Sighting, item: SightingRecord) -> None:
    """What the newest report says about the key (the registry may have changed)."""
    sighting.key_id = item.key_id
    sighting.verdict = item.verdict
    sighting.state = item.state
    sighting.severity = item.severity
    sighting.rule = item.rule
    sighting.format = item.format
    sighting.algorithm = item.algorithm
    sighting.file_mode = item.file_mode


def _close_missing(session: Session, host: Host, record: ReportRecord, present: set[int]) -> int:
    query = select(Sighting).where(
        Sighting.host_id == host.id,
        Sighting.scope == record.scope,
        Sighting.gone_since.is_(None),
        Sighting.last_seen < record.time,
    )
    closed = 0
    for sighting in session.scalars(query):
        if sighting.id not in present:
            sighting.gone_since = record.time
            closed += 1
    return closed
