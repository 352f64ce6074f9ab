"""Questions asked of the inventory: where does a key live, and which retired
keys are still present on which hosts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, inspect, or_, select
from sqlalchemy.orm import Session

from scanner.inventory.models import Fingerprint, Host, Repository, Sighting, SightingCommit

RETIRED_STATES = ("deactivated", "compromised", "destroyed", "suspended")
RETIRED_VERDICTS = ("retired-key-present",)
MIN_PREFIX = 8
"""A hex fingerprint may be given by a prefix this long or longer."""


@dataclass(frozen=True)
class Place:
    """One path on one host where a key was seen."""

    host: str
    path: str
    identity: str
    key_id: str | None
    verdict: str | None
    state: str | None
    severity: str
    file_mode: str | None
    first_seen: datetime
    last_seen: datetime
    gone_since: datetime | None
    repository: str | None = None
    """For a repository's sighting: its clone URL (`host` is then `repo:<url>`)."""
    commit: str | None = None
    """For a repository's sighting: the commit that put the key at `path`."""

    @property
    def present(self) -> bool:
        return self.gone_since is None


def where(session: Session, query: str, *, include_gone: bool = False) -> list[Place]:
    """Every host and path holding the key named by a fingerprint or registry key id."""
    text = query.strip()
    if not text:
        return []
    matches = [Sighting.key_id == text, Sighting.identity == text]
    prints = select(Fingerprint.sighting_id).where(Fingerprint.value == text)
    hexa = "".join(c for c in text if c not in ": ").lower()
    if _is_hex(text) and len(hexa) >= MIN_PREFIX:
        value = func.lower(Fingerprint.value)
        prints = select(Fingerprint.sighting_id).where(or_(value == hexa, value.startswith(hexa)))
    matches.append(Sighting.id.in_(prints))
    statement = select(Sighting, Host.name).join(Host).where(or_(*matches))
    if not include_gone:
        statement = statement.where(Sighting.gone_since.is_(None))
    rows = session.execute(statement.order_by(Host.name, Sighting.path)).all()
    return with_repositories(session, [place_of(sighting, host) for sighting, host in rows])


def retired_present(session: Session) -> dict[str, list[Place]]:
    """Per host: keys the registry calls retired that its latest reports still show."""
    statement = (
        select(Sighting, Host.name)
        .join(Host)
        .where(Sighting.gone_since.is_(None))
        .where(or_(Sighting.verdict.in_(RETIRED_VERDICTS), Sighting.state.in_(RETIRED_STATES)))
        .order_by(Host.name, Sighting.key_id, Sighting.path)
    )
    rows = session.execute(statement).all()
    out: dict[str, list[Place]] = {}
    for place in with_repositories(session, [place_of(s, host) for s, host in rows]):
        out.setdefault(place.host, []).append(place)
    return out


def with_repositories(session: Session, places: list[Place]) -> list[Place]:
    """Repository sightings with their clone URL and commit (when the database has
    the repository tables: `keysweep inventory` alone does not make them)."""
    if not places or not inspect(session.get_bind()).has_table("sighting_commits"):
        return places
    hosts = sorted({p.host for p in places})
    urls = dict(
        session.execute(
            select(Host.name, Repository.url)
            .join(Repository, Repository.host_id == Host.id)
            .where(Host.name.in_(hosts))
        ).all()
    )
    if not urls:
        return places
    commits = _commits(session, sorted(urls), sorted({p.identity for p in places}))
    return [
        replace(p, repository=urls[p.host], commit=commits.get((p.host, p.path, p.identity)))
        if p.host in urls
        else p
        for p in places
    ]


_IN_CHUNK = 500
"""Values per `IN (...)` list: well inside every database's limit on parameters."""


def _commits(
    session: Session, hosts: list[str], identities: list[str]
) -> dict[tuple[str, str, str], str]:
    """(host, path, identity) → the commit that introduced it, in one query per
    500 identities (never one per place)."""
    found: dict[tuple[str, str, str], str] = {}
    for start in range(0, len(identities), _IN_CHUNK):
        rows = session.execute(
            select(Host.name, Sighting.path, Sighting.identity, SightingCommit.commit)
            .join(Sighting, Sighting.id == SightingCommit.sighting_id)
            .join(Host, Host.id == Sighting.host_id)
            .where(Host.name.in_(hosts))
            .where(Sighting.identity.in_(identities[start : start + _IN_CHUNK]))
            .order_by(Sighting.id)
        ).all()
        for host, path, identity, commit in rows:
            found.setdefault((host, path, identity), commit)
    return found


def place_of(sighting: Sighting, host: str) -> Place:
    """One stored sighting as a place (shared by `where`, `summary` and the server)."""
    return Place(
        host=host,
        path=sighting.path,
        identity=sighting.identity,
        key_id=sighting.key_id,
        verdict=sighting.verdict,
        state=sighting.state,
        severity=sighting.severity,
        file_mode=sighting.file_mode,
        first_seen=sighting.first_seen,
        last_seen=sighting.last_seen,
        gone_since=sighting.gone_since,
    )


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF: " for c in text)
