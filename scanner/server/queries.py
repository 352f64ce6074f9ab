"""The server's read side: exposures by key, one key, one host, lists and the
timeline, as JSON-ready dicts. The API and the dashboard show the same data
from these functions; nothing here holds a secret (fingerprints, paths,
verdicts and registry lifecycle only)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scanner.inventory.models import (
    AuditEntry,
    ExposureSample,
    Host,
    RegistryVersion,
    ReportRow,
    Sighting,
    VerdictChange,
)
from scanner.inventory.queries import Place, place_of, where, with_repositories
from scanner.registry.entries import Registry
from scanner.server.store import exposure_filter, retired_days

MAX_PER_PAGE = 500


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    def wrap(self, items: list[Any], total: int) -> dict[str, Any]:
        more = self.offset + len(items) < total
        return {
            "items": items,
            "page": self.number,
            "per_page": self.size,
            "total": total,
            "next_page": self.number + 1 if more else None,
        }


MAX_PAGE = 1_000_000
"""A larger page number reads this page (past the end of any real inventory), so the
query's offset stays far within a 64-bit integer."""


def page_of(number: str | None, size: str | None, default: int = 50) -> Page:
    """A page from query parameters; nonsense becomes the first page of `default`."""
    try:
        n = min(MAX_PAGE, max(1, int(number or 1)))
        s = min(MAX_PER_PAGE, max(1, int(size or default)))
    except ValueError:
        return Page(1, default)
    return Page(n, s)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() + "Z" if moment is not None else None


def place_dict(place: Place) -> dict[str, Any]:
    """The same shape as `keysweep inventory where --format json`."""
    out = dict(place.__dict__)
    for name in ("first_seen", "last_seen", "gone_since"):
        out[name] = iso(out[name])
    out["present"] = place.present
    return out


def exposures(session: Session, registry: Registry | None, page: Page) -> dict[str, Any]:
    """Retired and compromised keys (and forged tokens) still present, by key."""
    ref = func.coalesce(Sighting.key_id, Sighting.identity)
    refs = select(ref).where(exposure_filter()).group_by(ref)
    total = session.scalar(select(func.count()).select_from(refs.subquery())) or 0
    chosen = [
        r for (r,) in session.execute(refs.order_by(ref).offset(page.offset).limit(page.size))
    ]
    rows = session.execute(
        select(ref, Sighting, Host.name)
        .join(Host)
        .where(exposure_filter(), ref.in_(chosen))
        .order_by(Host.name, Sighting.path)
    ).all()  # one query for the page's keys: a page of 500 keys is not 500 queries
    by_key: dict[str, list[tuple[Sighting, str]]] = {r: [] for r in chosen}
    for key_ref, sighting, host in rows:
        by_key[key_ref].append((sighting, host))
    places = iter(
        with_repositories(session, [place_of(s, h) for r in chosen for s, h in by_key[r]])
    )
    items = [
        _exposure(registry, r, by_key[r], list(itertools.islice(places, len(by_key[r]))))
        for r in chosen
    ]
    return page.wrap(items, total)


def _exposure(
    registry: Registry | None, key_ref: str, rows: list[tuple[Sighting, str]], places: list[Place]
) -> dict[str, Any]:
    first = rows[0][0]
    entry = registry.entry(first.key_id) if registry and first.key_id else None
    return {
        "key": key_ref,
        "key_id": first.key_id,
        "identity": first.identity,
        "verdict": first.verdict,
        "state": first.state,
        "owner": entry.owner if entry else None,
        "team": entry.team if entry else None,
        "purpose": entry.purpose if entry else None,
        "days_since_retirement": (
            retired_days(registry, first.key_id, date.today()) if registry else None
        ),
        "hosts": sorted({host for _, host in rows}),
        "places": [place_dict(p) for p in places],
    }


def _place_of(sighting: Sighting, host: str) -> dict[str, Any]:
    return place_dict(place_of(sighting, host))


def key_detail(
    session: Session, registry: Registry | None, ref: str, page: Page, include_gone: bool
) -> dict[str, Any] | None:
    """Where a key (fingerprint, prefix or registry id) lives, since when, its history."""
    places = where(session, ref, include_gone=True)
    entry = registry.entry(ref) if registry else None
    if not places and entry is None:
        return None
    shown = [p for p in places if include_gone or p.present]
    items = [place_dict(p) for p in shown[page.offset : page.offset + page.size]]
    out = page.wrap(items, len(shown))
    out["key"] = ref
    out["registry"] = _entry_dict(registry, entry or _entry_of(registry, places))
    out["since"] = iso(min((p.first_seen for p in places), default=None))
    out["history"] = _history(session, ref, places)
    return out


def _entry_of(registry: Registry | None, places: list[Place]) -> Any:
    ids = {p.key_id for p in places if p.key_id}
    return registry.entry(sorted(ids)[0]) if registry and ids else None


def _entry_dict(registry: Registry | None, entry: Any) -> dict[str, Any] | None:
    if entry is None or registry is None:
        return None
    return {
        "id": entry.id,
        "state": entry.state,
        "purpose": entry.purpose,
        "algorithm": entry.algorithm,
        "owner": entry.owner,
        "team": entry.team,
        "custody": entry.custody,
        "dates": {k: v.isoformat() for k, v in entry.dates.items()},
        "days_since_retirement": retired_days(registry, entry.id, date.today()),
    }


def _history(session: Session, ref: str, places: list[Place]) -> list[dict[str, Any]]:
    identities = sorted({p.identity for p in places})
    if not identities:
        return []
    query = (
        select(VerdictChange, Host.name, Sighting.path)
        .join(Sighting, VerdictChange.sighting_id == Sighting.id)
        .join(Host, Sighting.host_id == Host.id)
        .where(Sighting.identity.in_(identities))
        .order_by(VerdictChange.at, VerdictChange.id)
        .limit(1000)
    )
    return [
        {
            "at": iso(change.at),
            "host": host,
            "path": path,
            "registry_version": change.registry_version,
            "key_id": change.key_id,
            "verdict": change.verdict,
            "state": change.state,
            "severity": change.severity,
        }
        for change, host, path in session.execute(query).all()
    ]


def host_detail(
    session: Session, name: str, page: Page, include_gone: bool
) -> dict[str, Any] | None:
    host = session.scalars(select(Host).where(Host.name == name)).one_or_none()
    if host is None:
        return None
    query = select(Sighting).where(Sighting.host_id == host.id)
    if not include_gone:
        query = query.where(Sighting.gone_since.is_(None))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Sighting.path, Sighting.identity).offset(page.offset).limit(page.size)
    ).all()
    out = page.wrap([_place_of(s, host.name) for s in rows], total)
    reports = session.scalar(select(func.count()).where(ReportRow.host_id == host.id)) or 0
    exposed = session.scalar(
        select(func.count()).where(Sighting.host_id == host.id, exposure_filter())
    )
    out.update(
        host=host.name,
        first_seen=iso(host.first_seen),
        last_seen=iso(host.last_seen),
        reports=reports,
        exposures=exposed or 0,
    )
    return out


def hosts(session: Session, page: Page) -> dict[str, Any]:
    total = session.scalar(select(func.count()).select_from(Host)) or 0
    exposed = (
        select(Sighting.host_id, func.count().label("n"))
        .where(exposure_filter())
        .group_by(Sighting.host_id)
        .subquery()
    )
    present = (
        select(Sighting.host_id, func.count().label("n"))
        .where(Sighting.gone_since.is_(None))
        .group_by(Sighting.host_id)
        .subquery()
    )
    rows = session.execute(
        select(Host, func.coalesce(exposed.c.n, 0), func.coalesce(present.c.n, 0))
        .outerjoin(exposed, exposed.c.host_id == Host.id)
        .outerjoin(present, present.c.host_id == Host.id)
        .order_by(Host.name)
        .offset(page.offset)
        .limit(page.size)
    ).all()
    items = [
        {
            "host": h.name,
            "first_seen": iso(h.first_seen),
            "last_seen": iso(h.last_seen),
            "exposures": e,
            "keys_present": p,
        }
        for h, e, p in rows
    ]
    return page.wrap(items, total)


def keys(session: Session, page: Page) -> dict[str, Any]:
    """Every key present somewhere, with its verdict and how many hosts hold it."""
    ref = func.coalesce(Sighting.key_id, Sighting.identity)
    grouped = (
        select(
            ref.label("key"),
            func.max(Sighting.verdict),
            func.max(Sighting.state),
            func.count(func.distinct(Sighting.host_id)),
        )
        .where(Sighting.gone_since.is_(None))
        .group_by(ref)
    )
    total = session.scalar(select(func.count()).select_from(grouped.subquery())) or 0
    rows = session.execute(grouped.order_by(ref).offset(page.offset).limit(page.size)).all()
    items = [{"key": k, "verdict": v, "state": s, "hosts": n} for k, v, s, n in rows]
    return page.wrap(items, total)


def versions(session: Session, page: Page) -> dict[str, Any]:
    total = session.scalar(select(func.count()).select_from(RegistryVersion)) or 0
    rows = session.execute(
        select(
            RegistryVersion.version,
            RegistryVersion.created_at,
            RegistryVersion.author,
            RegistryVersion.source,
            RegistryVersion.keys,
            RegistryVersion.changed,
            RegistryVersion.digest,
        )
        .order_by(RegistryVersion.version.desc())
        .offset(page.offset)
        .limit(page.size)
    ).all()
    items = [
        {
            "version": v,
            "created_at": iso(at),
            "author": a,
            "source": s,
            "keys": k,
            "changed": c,
            "sha256": d,
        }
        for v, at, a, s, k, c, d in rows
    ]
    return page.wrap(items, total)


def timeline(session: Session, limit: int = 500) -> list[tuple[datetime, int, int]]:
    rows = session.execute(
        select(ExposureSample.at, ExposureSample.exposures, ExposureSample.hosts)
        .order_by(ExposureSample.at.desc(), ExposureSample.id.desc())
        .limit(limit)
    ).all()
    return [(at, n, h) for at, n, h in reversed(rows)]


def audit_log(session: Session, page: Page) -> dict[str, Any]:
    total = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    rows = session.scalars(
        select(AuditEntry).order_by(AuditEntry.id.desc()).offset(page.offset).limit(page.size)
    ).all()
    items = [
        {"at": iso(r.at), "actor": r.actor, "action": r.action, "detail": r.detail} for r in rows
    ]
    return page.wrap(items, total)
