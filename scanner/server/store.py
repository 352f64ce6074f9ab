"""The server's write side, over the inventory database: uploads, registry
versions, re-judgement, alerts and the audit log. No web framework here; the
routes in `app.py` and the `keysweep server` commands call this.

Every write is one transaction: an upload is stored, judged against the
current registry and its alerts raised together, or not at all.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scanner.errors import KeysweepError
from scanner.inventory.extract import ReportRecord, SightingRecord, naive_utc, parse_report
from scanner.inventory.ingest import IngestResult, ingest_report
from scanner.inventory.judge import (
    CRITICAL_VERDICTS,
    Judgement,
    Stored,
    group_fingerprints,
    judge_all,
)
from scanner.inventory.models import (
    Alert,
    AlertDelivery,
    AuditEntry,
    ExposureSample,
    Fingerprint,
    RegistryVersion,
    Sighting,
    VerdictChange,
)
from scanner.registry.entries import RETIRED_STATES, Registry
from scanner.registry.loading import build, validate
from scanner.server.tokens import Caller

CHUNK = 500


class Refused(KeysweepError):
    """A request the caller may not make (HTTP 403)."""


class Conflict(KeysweepError):
    """A registry push based on a version that is no longer current (HTTP 409)."""


@dataclass(frozen=True)
class Upload:
    result: IngestResult
    rejudged: int
    alerts: int


@dataclass(frozen=True)
class Push:
    version: int
    changed: int
    alerts: int
    seconds: float
    unchanged: bool = False


@dataclass(frozen=True)
class Current:
    version: int
    registry: Registry
    document: dict[str, Any]


def exposure_filter() -> Any:
    """A present sighting that is an exposure: a retired key, or a forged token."""
    return (Sighting.gone_since.is_(None)) & _exposed()


def _exposed() -> Any:
    """A sighting, present or not, of a retired key or a forged token."""
    return or_(
        Sighting.verdict.in_([str(v) for v in CRITICAL_VERDICTS]),
        Sighting.state.in_(sorted(RETIRED_STATES)),
    )


class Store:
    def __init__(self, engine: Engine, targets: Sequence[str] = ()) -> None:
        self.engine = engine
        self.targets = tuple(targets)
        self._current: Current | None = None

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    # -- registry -------------------------------------------------------------

    def current(self, session: Session) -> Current | None:
        """The newest registry version, parsed once per version."""
        version = session.scalar(select(func.max(RegistryVersion.version)))
        if version is None:
            return None
        cached = self._current
        if cached is not None and cached.version == version:
            return cached
        row = session.get(RegistryVersion, version)
        assert row is not None
        document = json.loads(row.document)
        self._current = Current(version, build(document, f"registry v{version}"), document)
        return self._current

    def push(self, document: Any, source: str, caller: Caller, base: int | None = None) -> Push:
        """Store a new registry version and re-judge every stored sighting under it."""
        started = time.perf_counter()
        validated = validate(document, source)
        text = json.dumps(validated, sort_keys=True, separators=(",", ":"))
        digest = _sha256(text)
        try:
            with self.session() as session, session.begin():
                latest = session.scalar(select(func.max(RegistryVersion.version)))
                if base is not None and base != (latest or 0):
                    raise Conflict(f"registry is at version {latest or 0}, not {base}")
                if latest is not None:
                    row = session.get(RegistryVersion, latest)
                    if row is not None and row.digest == digest:
                        return Push(latest, 0, 0, time.perf_counter() - started, unchanged=True)
                version = (latest or 0) + 1
                registry = build(validated, f"registry v{version}")
                changed, alerts = self._rejudge(session, registry, version, None)
                session.add(
                    RegistryVersion(
                        version=version,
                        created_at=naive_utc(),
                        author=caller.label,
                        source=source[:255],
                        digest=digest,
                        document=text,
                        keys=len(registry.keys),
                        changed=changed,
                    )
                )
                audit(
                    session,
                    caller,
                    "registry-push",
                    version=version,
                    source=source[:255],
                    keys=len(registry.keys),
                    changed=changed,
                )
                sample(session)
        except IntegrityError:
            raise Conflict("another registry version was stored at the same time") from None
        return Push(version, changed, alerts, time.perf_counter() - started)

    # -- uploads --------------------------------------------------------------

    def upload(self, document: dict[str, Any], caller: Caller) -> Upload:
        """Ingest a host's report (as `inventory ingest` does) and judge what it saw."""
        if caller.kind != "host":
            raise Refused("only a host token may upload reports")
        record = parse_report(document, source_name=f"upload:{caller.name}", host=caller.name)
        if record.host != caller.name:
            raise Refused("the report names another host than the token's")
        for attempt in range(3):
            try:
                return self._upload(record)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _upload(self, record: ReportRecord) -> Upload:
        with self.session() as session, session.begin():
            ingested = ingest_report(session, record)
            result = ingested.result
            if result.already:
                return Upload(result, 0, 0)
            _initial_history(session, record, ingested.created)
            current = self.current(session)
            rejudged = alerts = 0
            if current is not None:
                rejudged, alerts = self._rejudge(
                    session, current.registry, current.version, ingested.newest
                )
            critical = _critical_of_report(session, ingested.newest)
            alerts += self._raise_alerts(session, critical)
            if critical or _any_exposure(session, ingested.closed):
                sample(session)
        return Upload(result, rejudged, alerts)

    # -- judging --------------------------------------------------------------

    def _rejudge(
        self, session: Session, registry: Registry, version: int, ids: Sequence[int] | None
    ) -> tuple[int, int]:
        """Judge stored sightings (all, or those of `ids`); (changed, new alerts)."""
        stored = _load(session, ids)
        changes = judge_all(registry, stored, date.today())
        _apply(session, changes, version)
        critical = [
            (s.id, j)
            for s, j in changes
            if j.verdict in CRITICAL_VERDICTS or j.state in RETIRED_STATES
        ]
        return len(changes), self._raise_alerts(session, _present(session, critical))

    def _raise_alerts(self, session: Session, rows: Iterable[tuple[Any, ...]]) -> int:
        """One alert per (key, host), however often it is seen; deliveries per webhook."""
        now = naive_utc()
        wanted: dict[tuple[str, int], dict[str, Any]] = {}
        for host_id, identity, key_id, verdict, state, path in rows:
            key_ref = key_id or identity
            wanted.setdefault(
                (key_ref, host_id),
                {
                    "key_ref": key_ref,
                    "host_id": host_id,
                    "verdict": verdict,
                    "key_id": key_id,
                    "state": state,
                    "path": path,
                    "created_at": now,
                },
            )
        if not wanted:
            return 0
        refs = sorted({ref for ref, _ in wanted})
        existing: set[tuple[str, int]] = set()
        for chunk in _chunks(refs):
            query = select(Alert.key_ref, Alert.host_id).where(Alert.key_ref.in_(chunk))
            existing.update((r, h) for r, h in session.execute(query).all())
        new = [v for k, v in wanted.items() if k not in existing]
        for chunk in _chunks(new):
            session.execute(insert(Alert), chunk)
        if new and self.targets:
            self._deliveries(session, [(v["key_ref"], v["host_id"]) for v in new], now)
        return len(new)

    def _deliveries(self, session: Session, pairs: list[tuple[str, int]], now: Any) -> None:
        ids: list[int] = []
        for chunk in _chunks(pairs):
            refs = [r for r, _ in chunk]
            query = select(Alert.id, Alert.key_ref, Alert.host_id).where(Alert.key_ref.in_(refs))
            wanted = set(chunk)
            ids += [i for i, r, h in session.execute(query).all() if (r, h) in wanted]
        rows = [
            {"alert_id": i, "target": t, "attempts": 0, "next_attempt": now}
            for i in ids
            for t in self.targets
        ]
        for chunk in _chunks(rows):
            session.execute(insert(AlertDelivery), chunk)


def audit(session: Session, caller: Caller | str, action: str, **detail: Any) -> None:
    """Record who did what; `detail` holds ids and counts, never a token or secret."""
    actor = caller.label if isinstance(caller, Caller) else caller
    session.add(
        AuditEntry(
            at=naive_utc(), actor=actor[:255], action=action, detail=json.dumps(detail, default=str)
        )
    )


def sample(session: Session) -> None:
    """Note how many exposures exist now, for the timeline."""
    count, hosts = session.execute(
        select(func.count(), func.count(func.distinct(Sighting.host_id))).where(exposure_filter())
    ).one()
    session.add(ExposureSample(at=naive_utc(), exposures=count, hosts=hosts))


def _load(session: Session, ids: Sequence[int] | None) -> list[Stored]:
    """The stored sightings of `ids` (None: every one), as judging needs them."""
    if ids is None:
        return _load_where(session, None)
    return [s for chunk in _chunks(ids) for s in _load_where(session, chunk)]


def _load_where(session: Session, ids: Sequence[int] | None) -> list[Stored]:
    query = select(
        Sighting.id,
        Sighting.path,
        Sighting.identity,
        Sighting.key_id,
        Sighting.verdict,
        Sighting.state,
        Sighting.severity,
    )
    prints = select(Fingerprint.sighting_id, Fingerprint.kind, Fingerprint.value)
    if ids is not None:
        query = query.where(Sighting.id.in_(ids))
        prints = prints.where(Fingerprint.sighting_id.in_(ids))
    by_id = group_fingerprints(session.execute(prints).tuples())
    return [
        Stored(i, path, identity, key_id, verdict, state, severity, by_id.get(i, ()))
        for i, path, identity, key_id, verdict, state, severity in session.execute(query).tuples()
    ]


def _apply(session: Session, changes: list[tuple[Stored, Judgement]], version: int) -> None:
    now = naive_utc()
    updates = [
        {
            "id": s.id,
            "key_id": j.key_id,
            "verdict": j.verdict,
            "state": j.state,
            "severity": j.severity,
        }
        for s, j in changes
    ]
    history = [
        {
            "sighting_id": s.id,
            "at": now,
            "registry_version": version,
            "key_id": j.key_id,
            "verdict": j.verdict,
            "state": j.state,
            "severity": j.severity,
        }
        for s, j in changes
    ]
    for chunk in _chunks(updates):
        session.execute(update(Sighting), chunk)
    for chunk in _chunks(history):
        session.execute(insert(VerdictChange), chunk)


def _initial_history(
    session: Session, record: ReportRecord, created: Sequence[tuple[int, SightingRecord]]
) -> None:
    """A new sighting's first verdict, as the host's own sweep judged it."""
    history = [
        {
            "sighting_id": sighting_id,
            "at": record.time,
            "registry_version": None,
            "key_id": item.key_id,
            "verdict": item.verdict,
            "state": item.state,
            "severity": item.severity,
        }
        for sighting_id, item in created
    ]
    for chunk in _chunks(history):
        session.execute(insert(VerdictChange), chunk)


def _any_exposure(session: Session, closed: Sequence[int]) -> bool:
    """Whether any of the sightings an upload closed was an exposure: only then has the
    number of exposures gone down (counting them all is a scan of every sighting)."""
    return bool(_alert_rows(session, closed, _exposed()))


def _critical_of_report(session: Session, ids: Sequence[int]) -> list[tuple[Any, ...]]:
    """The exposures among `ids`, the sightings a report is the latest word on."""
    return _alert_rows(session, ids, exposure_filter())


def _present(session: Session, critical: list[tuple[int, Judgement]]) -> list[tuple[Any, ...]]:
    """The critical sightings still present."""
    return _alert_rows(session, [i for i, _ in critical], Sighting.gone_since.is_(None))


def _alert_rows(session: Session, ids: Sequence[int], condition: Any) -> list[tuple[Any, ...]]:
    """(host, identity, key id, verdict, state, path) of the sightings of `ids` that
    meet `condition`, as `_raise_alerts` takes them."""
    out: list[tuple[Any, ...]] = []
    for chunk in _chunks(ids):
        query = select(
            Sighting.host_id,
            Sighting.identity,
            Sighting.key_id,
            Sighting.verdict,
            Sighting.state,
            Sighting.path,
        ).where(Sighting.id.in_(chunk), condition)
        out.extend(tuple(r) for r in session.execute(query).all())
    return out


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _sha256(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


def retired_days(registry: Registry, key_id: str | None, today: date) -> int | None:
    """Days since the registry entry entered its current (retired) state."""
    entry = registry.entry(key_id) if key_id else None
    when = entry.state_date if entry is not None and entry.retired else None
    return (today - when).days if when is not None else None


__all__ = ["Conflict", "Current", "Push", "Refused", "Store", "Upload", "audit"]
