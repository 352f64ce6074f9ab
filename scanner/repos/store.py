"""Repositories in the inventory database: adding them, listing them, removing
them, and storing a finished scan.

A repository's findings are stored by the inventory's own `ingest`, under a host
row of the repository's own (`repo:<url>`), so `inventory where` and the server
see them beside the fleet's hosts. A scan reads only the commits added since the
last one, so its report is ingested as partial: it never closes what an earlier
scan found (history does not forget). The sightings, each new sighting's commit,
the ref positions and the scan row are written in one transaction, after
checking that no other job moved the refs meanwhile: a worker that dies leaves
nothing, and a job retried while its first run still ends is stored once.

Removing a repository (`remove`) marks its row (`removed_at`) and forgets its
ref positions; it keeps its findings, their commits and its scans. A key that
was pushed stays exposed whether or not it is still scanned: the inventory
must go on saying where it was found, and `sighting_commits` names the row.
A removed row is neither listed nor scanned, and a scan that ends after the
removal stores nothing. Adding its URL again brings it back, scanned from the
start; a listing (a host's organisation, a folder, a file of URLs) that names it
again leaves it removed and says so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from scanner.errors import InventoryError
from scanner.inventory.extract import ReportRecord, naive_utc, parse_report
from scanner.inventory.ingest import ingest
from scanner.inventory.models import (
    Host,
    Repository,
    RepositoryRef,
    RepositoryScan,
    Sighting,
    SightingCommit,
)
from scanner.repos.job import Outcome
from scanner.repos.urls import UrlRefused, check_url, repo_name
from scanner.text import escape_control as _e
from scanner.urlshow import shown

HOST_PREFIX = "repo:"


@dataclass(frozen=True)
class NewRepository:
    url: str
    name: str
    origin: str
    archived: bool = False
    fork: bool = False


@dataclass(frozen=True)
class RepositoryView:
    id: int
    url: str
    name: str
    origin: str
    archived: bool
    fork: bool
    refs: int
    last_scan_at: str | None
    last_status: str | None
    last_error: str | None
    refused: str | None = None
    """Why the stored clone URL is refused now (a row stored before the policy
    refused its form); `url` and `name` are then shown without user information."""
    removed_at: str | None = None
    """When it was removed (`repos list --removed`); None for a listed repository."""


@dataclass(frozen=True)
class RemovedRepository:
    id: int
    url: str
    """As `repos list` shows it (without user information when the policy refuses it)."""
    mirror_urls: tuple[str, ...]
    """The URLs its mirrors may be named after in a worker's cache (`mirror_urls`)."""


class RepositoryRemoved(InventoryError):
    """The repository was removed (a scan that ends after that is not stored)."""


@dataclass(frozen=True)
class Added:
    added: int
    known: int
    """Already there (by URL), not removed."""
    skipped_removed: int
    """Removed, and listed again by a folder, a file of URLs or a host's listing:
    left removed (only a URL named on the command line brings a row back)."""
    refused: list[Refused] = field(default_factory=list)
    """Named by a host's listing and refused by the listing policy: never stored."""


@dataclass(frozen=True)
class Refused:
    """A repository a listing named with a clone URL the policy refuses."""

    origin: str
    name: str
    reason: str


BRINGS_BACK = "url"
"""The origin of a URL named on the command line: the one add that brings a removed
row back. A listing (host, folder, file of URLs) is re-run as it is, and would
otherwise bring back every repository removed since."""


def add(session: Session, repositories: Iterable[NewRepository]) -> Added:
    """Insert the repositories not yet known (by URL); bring back the removed ones
    named by URL (`BRINGS_BACK`), skip those a listing names again."""
    added = known = skipped = 0
    for new in repositories:
        row = session.scalars(select(Repository).where(Repository.url == new.url)).first()
        if row is not None and row.removed_at is None:
            known += 1
            continue
        if row is not None and new.origin != BRINGS_BACK:
            skipped += 1
            continue
        if row is None:
            session.add(_row(new))
        else:
            _bring_back(row, new)
        session.flush()
        added += 1
    return Added(added, known, skipped)


def _bring_back(row: Repository, new: NewRepository) -> None:
    """A removed row added again: listed and scanned again (its refs were forgotten,
    so from the start), how it was added this time."""
    row.removed_at = None
    row.origin, row.archived, row.fork = new.origin[:255], new.archived, new.fork
    row.last_status = row.last_error = None


def _row(new: NewRepository) -> Repository:
    return Repository(
        url=new.url,
        name=new.name[:255],
        origin=new.origin[:255],
        archived=new.archived,
        fork=new.fork,
        added_at=naive_utc(),
    )


def listing(session: Session, *, removed: bool = False) -> list[RepositoryView]:
    """The repositories scanned, or (`removed`) only the removed ones."""
    which = Repository.removed_at.is_not(None) if removed else Repository.removed_at.is_(None)
    query = select(Repository).where(which).order_by(Repository.url)
    rows = session.scalars(query).all()
    return [_view(session, row) for row in rows]


def _view(session: Session, row: Repository) -> RepositoryView:
    refs = session.scalars(
        select(RepositoryRef.ref).where(RepositoryRef.repository_id == row.id)
    ).all()
    refused = refusal(row)
    url = shown(row.url) if refused else row.url
    return RepositoryView(
        id=row.id,
        url=url,
        name=repo_name(url) if refused else row.name,
        origin=row.origin,
        archived=row.archived,
        fork=row.fork,
        refs=len(refs),
        last_scan_at=row.last_scan_at.isoformat() + "Z" if row.last_scan_at else None,
        last_status=row.last_status,
        last_error=None if refused else row.last_error,  # it may quote the URL
        refused=refused,
        removed_at=row.removed_at.isoformat() + "Z" if row.removed_at else None,
    )


def refusal(row: Repository) -> str | None:
    """One line naming the row and why its stored clone URL is refused now, without
    its user information; None when the policy lets it through. Rows stored before
    a form was refused (`user:password@host:path`) are never fetched nor shown."""
    why = url_refused(row.url)
    return None if why is None else f"repository {row.id}: stored clone URL refused: {why}"


def url_refused(url: str) -> str | None:
    """Why the clone-URL policy refuses `url` today (never quoting its user
    information), or None."""
    try:
        check_url(url, allow_http=url.startswith("http://"))
    except UrlRefused as exc:
        return str(exc)
    return None


def without_refused(session: Session, ids: Sequence[int]) -> tuple[list[int], list[str]]:
    """The ids whose stored URL the policy lets through, and a line for each other."""
    kept: list[int] = []
    refused: list[str] = []
    for repository_id in ids:
        row = session.get(Repository, repository_id)
        problem = refusal(row) if row is not None else None
        if problem is None:
            kept.append(repository_id)
        else:
            refused.append(problem)
    return kept, refused


def select_ids(session: Session, names: Sequence[str]) -> list[int]:
    """Repository ids by URL, name or id; every name must match (else exit 2).
    Removed repositories match nothing."""
    if not names:
        query = select(Repository.id).where(Repository.removed_at.is_(None))
        return list(session.scalars(query.order_by(Repository.id)))
    ids: list[int] = []
    for name in names:
        ids.extend(_matching(session, name))
    return list(dict.fromkeys(ids))


def _matching(session: Session, name: str) -> list[int]:
    """The ids `name` names, or InventoryError naming it. A URL or name match wins;
    only when nothing has that URL or name is `name` read as an id (`as_id`), so a
    repository named "5" is never hidden by the one with id 5."""
    active = Repository.removed_at.is_(None)
    named = (Repository.url == name) | (Repository.name == name)
    found = list(
        session.scalars(select(Repository.id).where(named, active).order_by(Repository.id))
    )
    number = as_id(name)
    if not found and number is not None:
        found = list(session.scalars(select(Repository.id).where(Repository.id == number, active)))
    if not found:
        raise InventoryError(f"{_e(shown(name))}: no such repository (see keysweep repos list)")
    return found


def as_id(name: str) -> int | None:
    """`name` as a repository id: ASCII digits only, within a signed 64-bit integer
    (what the column holds); else None ("²", 30 digits: only a name or a URL)."""
    if not (name.isascii() and name.isdecimal()) or len(name) > 19:
        return None
    number = int(name)
    return number if number < 2**63 else None


def remove(session: Session, names: Sequence[str]) -> list[RemovedRepository]:
    """Remove the repositories `names` name (URL, name or id; each must name exactly
    one, else InventoryError and nothing is removed): marked removed, their ref
    positions forgotten, their findings, commits and scans kept (the caller
    commits). A scan storing meanwhile goes first or stores nothing (row lock)."""
    ids: list[int] = []
    for name in names:
        found = _matching(session, name)
        if len(found) > 1:
            raise InventoryError(
                f"{_e(shown(name))}: names {len(found)} repositories; name one by id or URL"
            )
        ids.extend(found)
    return [_remove(session, repository_id) for repository_id in dict.fromkeys(ids)]


def _remove(session: Session, repository_id: int) -> RemovedRepository:
    row = _locked(session, repository_id)
    row.removed_at = naive_utc()
    session.execute(delete(RepositoryRef).where(RepositoryRef.repository_id == repository_id))
    return RemovedRepository(row.id, _view(session, row).url, mirror_urls(row.url))


def mirror_urls(url: str) -> tuple[str, ...]:
    """The URLs a worker may have named a mirror of the stored `url` after: the URL
    the policy makes of it (what a job fetches), and the stored one."""
    try:
        checked = check_url(url, allow_http=url.startswith("http://")).url
    except UrlRefused:
        return (url,)
    return tuple(dict.fromkeys((checked, url)))


def removed_mirror_urls(session: Session) -> list[str]:
    """Every URL a removed repository's mirror may be named after."""
    query = select(Repository.url).where(Repository.removed_at.is_not(None))
    return [name for url in session.scalars(query) for name in mirror_urls(url)]


def is_active(session: Session, repository_id: int) -> bool:
    """The repository is in the database and not removed."""
    row = session.get(Repository, repository_id)
    return row is not None and row.removed_at is None


def recorded_refs(session: Session, repository_id: int) -> dict[str, str]:
    rows = session.scalars(
        select(RepositoryRef).where(RepositoryRef.repository_id == repository_id)
    ).all()
    return {row.ref: row.commit for row in rows}


def record_scan(
    session: Session, repository_id: int, started_from: Mapping[str, str], outcome: Outcome
) -> int:
    """Store one finished scan (the caller commits); the number of key sightings."""
    repo = _locked(session, repository_id)
    if recorded_refs(session, repository_id) != dict(started_from):
        raise InventoryError(f"{repo.url}: another scan stored its results first; not stored")
    now = naive_utc()
    repo.last_scan_at = now
    if outcome.problem is not None:
        _failed(repo, outcome.problem)
        return 0
    sightings, report_id = _store_report(session, repo, outcome) if outcome.report else (0, None)
    if outcome.complete:
        _move_refs(session, repo.id, outcome.refs, now)
    partial = outcome.partial or bool(outcome.unscanned)
    repo.last_status, repo.last_error = ("partial" if partial else "scanned"), None
    if outcome.unscanned:
        repo.last_error = unscanned_note(outcome.unscanned)
    session.add(_scan_row(repo.id, now, outcome, report_id))
    return sightings


def unscanned_note(lines: Sequence[str]) -> str:
    """What a partial scan left unscanned, for `repos list` (cut to the column)."""
    note = f"{len(lines)} unscanned: " + "; ".join(_e(line) for line in lines)
    return note if len(note) <= 300 else note[:299] + "…"


def _store_report(session: Session, repo: Repository, outcome: Outcome) -> tuple[int, str]:
    """The job's report through the inventory's ingest, and each new sighting's commit."""
    record = _record(repo, _host(session, repo), outcome)
    result = ingest(session, record)
    _commits(session, repo, record, outcome.report)
    return result.sightings, record.id


def _locked(session: Session, repository_id: int) -> Repository:
    """The repository row, locked until the transaction ends (one writer at a time);
    RepositoryRemoved when it is gone or removed."""
    query = select(Repository).where(Repository.id == repository_id).with_for_update()
    repo = session.scalars(query).one_or_none()
    if repo is None or repo.removed_at is not None:
        raise RepositoryRemoved(f"repository {repository_id}: removed")
    return repo


def _failed(repo: Repository, problem: str) -> None:
    repo.last_status = "failed"
    repo.last_error = problem[:300]


def mark_failed(session: Session, repository_id: int, problem: str) -> None:
    repo = session.get(Repository, repository_id)
    if repo is not None and repo.removed_at is None:
        repo.last_scan_at = naive_utc()
        _failed(repo, problem)


def host_name(url: str) -> str:
    """The repository's inventory host: `repo:` and its URL, or the URL's SHA-256
    when it is too long for the column, the policy refuses it, or it carries web
    user information (a URL stored before such forms were refused or stripped
    may hold a password or a token: a host name is shown)."""
    name = HOST_PREFIX + url
    if len(name) <= 255 and url_refused(url) is None and not _web_userinfo(url):
        return name
    return HOST_PREFIX + "sha256:" + hashlib.sha256(url.encode()).hexdigest()


WEB_SCHEMES = ("http", "https")


def _web_userinfo(url: str) -> bool:
    """An http(s) URL with a user name (often a token: versions before it was
    dropped on adding stored it) or any URL with a password."""
    if "://" not in url:
        return False
    try:
        parts = urlsplit(url)
        user, password = parts.username, parts.password
    except ValueError:
        return True
    return password is not None or (user is not None and parts.scheme.lower() in WEB_SCHEMES)


def _host(session: Session, repo: Repository) -> str:
    """The repository's host row, made by ingest on the first scan."""
    name = host_name(repo.url)
    if repo.host_id is None:
        found = session.scalar(select(Host.id).where(Host.name == name))
        repo.host_id = found
    return name


def _record(repo: Repository, host: str, outcome: Outcome) -> ReportRecord:
    document = dict(outcome.report)
    document["meta"] = {
        "kind": "git",
        "host": host,
        "time": naive_utc().isoformat() + "+00:00",
        "partial": True,  # new commits only: never closes what earlier scans found
        "roots": [repo.url],
    }
    return parse_report(document, source_name=repo.url)


def _commits(
    session: Session, repo: Repository, record: ReportRecord, report: Mapping[str, Any]
) -> None:
    """Each new sighting's commit: the oldest new commit that put the key at its path.
    A few statements per 500 sightings (their ids, the commits already recorded, one
    insert), never one query per sighting."""
    host_id = session.scalar(select(Host.id).where(Host.name == record.host))
    repo.host_id = host_id
    commits = _commit_by_path(report)
    wanted = {
        (item.path, item.identity): commits[item.path]
        for item in record.sightings
        if commits.get(item.path)
    }
    identities = sorted({identity for _, identity in wanted})
    for start in range(0, len(identities), _CHUNK):
        chunk = identities[start : start + _CHUNK]
        ids = {
            (path, identity): sighting_id
            for sighting_id, path, identity in session.execute(
                select(Sighting.id, Sighting.path, Sighting.identity).where(
                    Sighting.host_id == host_id,
                    Sighting.scope == record.scope,
                    Sighting.identity.in_(chunk),
                )
            )
            if (path, identity) in wanted
        }
        _add_commits(session, repo.id, {ids[key]: wanted[key] for key in ids})


_CHUNK = 500
"""Identities per `IN (...)` list: well inside every database's limit on parameters."""


def _add_commits(session: Session, repository_id: int, commits: Mapping[int, str]) -> None:
    """Record `commits` (sighting id → commit) for the sightings that have none yet."""
    if not commits:
        return
    have = set(
        session.scalars(
            select(SightingCommit.sighting_id).where(SightingCommit.sighting_id.in_(commits))
        )
    )
    rows = [
        {"sighting_id": i, "repository_id": repository_id, "commit": c}
        for i, c in sorted(commits.items())
        if i not in have
    ]
    if rows:
        session.execute(insert(SightingCommit), rows)


def _commit_by_path(report: Mapping[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for finding in report.get("findings") or []:
        for place in finding.get("locations") or [finding]:
            path = str(place.get("path") or "")
            if place.get("archive_member"):
                path = f"{path}!{place['archive_member']}"
            if place.get("commit"):
                found.setdefault(path, str(place["commit"]))
    return found


def _move_refs(session: Session, repository_id: int, refs: Mapping[str, str], now: Any) -> None:
    session.execute(delete(RepositoryRef).where(RepositoryRef.repository_id == repository_id))
    for ref, commit in sorted(refs.items()):
        session.add(
            RepositoryRef(repository_id=repository_id, ref=ref[:255], commit=commit, scanned_at=now)
        )


def _scan_row(
    repository_id: int, now: Any, outcome: Outcome, report_id: str | None
) -> RepositoryScan:
    return RepositoryScan(
        repository_id=repository_id,
        finished_at=now,
        commits=outcome.commits,
        blobs=outcome.blobs,
        bytes=outcome.bytes,
        findings=outcome.findings,
        partial=outcome.partial,
        report_id=report_id,
    )
