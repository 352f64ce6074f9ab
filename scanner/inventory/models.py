"""The inventory's tables: hosts, the reports they sent, and where each key was seen.

Times are naive UTC (SQLite keeps no time zone; PostgreSQL is given the same).
A sighting is one key (its identity: the SPKI hash, else another fingerprint)
at one path on one host, within one scope (what kind of report over which
roots). `gone_since` is set when a later complete report of the same scope no
longer has it; `last_seen` stays the last time it was actually seen.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Host(Base):
    __tablename__ = "hosts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    first_seen: Mapped[datetime] = mapped_column(DateTime)
    last_seen: Mapped[datetime] = mapped_column(DateTime)


class ReportRow(Base):
    __tablename__ = "reports"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    """SHA-256 of the report's canonical JSON: the same report is ingested once."""
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    """sweep | scan | git"""
    scope: Mapped[str] = mapped_column(String(64), index=True)
    roots: Mapped[str] = mapped_column(Text)
    time: Mapped[datetime] = mapped_column(DateTime)
    ingested_at: Mapped[datetime] = mapped_column(DateTime)
    partial: Mapped[bool] = mapped_column(Boolean)
    user: Mapped[str | None] = mapped_column(String(255), nullable=True)
    keysweep_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    rules_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sightings: Mapped[int] = mapped_column(Integer)
    source_name: Mapped[str] = mapped_column(Text)

    host: Mapped[Host] = relationship()


class Sighting(Base):
    __tablename__ = "key_sightings"
    __table_args__ = (UniqueConstraint("host_id", "scope", "path", "identity"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id"), index=True)
    scope: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)
    identity: Mapped[str] = mapped_column(String(255), index=True)
    key_id: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    verdict: Mapped[str | None] = mapped_column(String(64), nullable=True)
    state: Mapped[str | None] = mapped_column(String(32), nullable=True)
    severity: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str] = mapped_column(String(255))
    format: Mapped[str | None] = mapped_column(String(64), nullable=True)
    algorithm: Mapped[str | None] = mapped_column(String(64), nullable=True)
    file_mode: Mapped[str | None] = mapped_column(String(16), nullable=True)
    first_seen: Mapped[datetime] = mapped_column(DateTime)
    last_seen: Mapped[datetime] = mapped_column(DateTime)
    gone_since: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    first_report_id: Mapped[str] = mapped_column(String(64))
    last_report_id: Mapped[str] = mapped_column(String(64))

    host: Mapped[Host] = relationship()
    fingerprints: Mapped[list[Fingerprint]] = relationship(
        back_populates="sighting", cascade="all, delete-orphan"
    )


class Fingerprint(Base):
    __tablename__ = "sighting_fingerprints"

    sighting_id: Mapped[int] = mapped_column(ForeignKey("key_sightings.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)

    sighting: Mapped[Sighting] = relationship(back_populates="fingerprints")


# The server's tables (keysweep server): who may ask, the registry's versions,
# what each change did to the verdicts, alerts and the audit trail.


class ApiToken(Base):
    """A bearer token: only its SHA-256 is stored; the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    """host | viewer | admin"""
    name: Mapped[str] = mapped_column(String(255), index=True)
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class RegistryVersion(Base):
    """One version of the registry document (fingerprints and lifecycle only)."""

    __tablename__ = "registry_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    author: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(255))
    digest: Mapped[str] = mapped_column(String(64))
    document: Mapped[str] = mapped_column(Text)
    keys: Mapped[int] = mapped_column(Integer)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    """Sightings whose verdict this version changed."""


class VerdictChange(Base):
    """A sighting's verdict history: one row each time its verdict or state changed."""

    __tablename__ = "verdict_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sighting_id: Mapped[int] = mapped_column(ForeignKey("key_sightings.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    registry_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    key_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    verdict: Mapped[str | None] = mapped_column(String(64), nullable=True)
    state: Mapped[str | None] = mapped_column(String(32), nullable=True)
    severity: Mapped[str] = mapped_column(String(16))


class Alert(Base):
    """A critical verdict, raised once per key and host."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("key_ref", "host_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_ref: Mapped[str] = mapped_column(String(255))
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id"))
    verdict: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    state: Mapped[str | None] = mapped_column(String(32), nullable=True)
    path: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class AlertDelivery(Base):
    """One alert to one webhook: retried until delivered or out of attempts."""

    __tablename__ = "alert_deliveries"

    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), primary_key=True)
    target: Mapped[str] = mapped_column(String(64), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt: Mapped[datetime] = mapped_column(DateTime, index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(255), nullable=True)


class AuditEntry(Base):
    """Registry changes, token changes and logins: who, when, what (never a secret)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)


class ExposureSample(Base):
    """How many exposures existed at a moment (after each ingest or re-judgement)."""

    __tablename__ = "exposure_samples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    exposures: Mapped[int] = mapped_column(Integer)
    hosts: Mapped[int] = mapped_column(Integer)


INVENTORY_TABLES = [
    Base.metadata.tables[name]
    for name in ("hosts", "reports", "key_sightings", "sighting_fingerprints")
]
"""The tables `keysweep inventory` needs; the server's come from the migrations."""


# Repositories scanned on the job queue (`keysweep repos`, `keysweep worker`).


class Repository(Base):
    """A repository to scan: its sightings are stored under its own host row."""

    __tablename__ = "repositories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(String(255))
    origin: Mapped[str] = mapped_column(String(255))
    """How it was added: url, file, folder, or the listing (github:ORG, …)."""
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    fork: Mapped[bool] = mapped_column(Boolean, default=False)
    added_at: Mapped[datetime] = mapped_column(DateTime)
    host_id: Mapped[int | None] = mapped_column(ForeignKey("hosts.id"), nullable=True)
    last_scan_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """scanned | partial | failed"""
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    removed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    """Set by `repos remove`: neither listed nor scanned; its findings stay."""


class RepositoryRef(Base):
    """The commit each ref pointed at when it was last scanned completely."""

    __tablename__ = "repository_refs"

    repository_id: Mapped[int] = mapped_column(ForeignKey("repositories.id"), primary_key=True)
    ref: Mapped[str] = mapped_column(String(255), primary_key=True)
    commit: Mapped[str] = mapped_column(String(64))
    scanned_at: Mapped[datetime] = mapped_column(DateTime)


class RepositoryScan(Base):
    """One finished job: what it read, written with the findings and ref positions."""

    __tablename__ = "repository_scans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repository_id: Mapped[int] = mapped_column(ForeignKey("repositories.id"), index=True)
    finished_at: Mapped[datetime] = mapped_column(DateTime)
    commits: Mapped[int] = mapped_column(Integer)
    blobs: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(BigInteger)
    findings: Mapped[int] = mapped_column(Integer)
    partial: Mapped[bool] = mapped_column(Boolean)
    report_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class SightingCommit(Base):
    """For a sighting in a repository: the commit that first put the key at its path."""

    __tablename__ = "sighting_commits"

    sighting_id: Mapped[int] = mapped_column(ForeignKey("key_sightings.id"), primary_key=True)
    repository_id: Mapped[int] = mapped_column(ForeignKey("repositories.id"), index=True)
    commit: Mapped[str] = mapped_column(String(64))


# The server's failed token attempts, shared by its worker processes.


class FailedAttempts(Base):
    """One client's budget of failed token attempts (a token bucket): what was left
    at `at` (seconds since the epoch, the server's clock). Every worker of a server
    reads and spends the same row, so `--workers N` does not multiply the budget."""

    __tablename__ = "failed_attempts"

    source: Mapped[str] = mapped_column(String(255), primary_key=True)
    """The client's address, or its /64 for IPv6 (`server.guard.attempt_source`)."""
    tokens: Mapped[float] = mapped_column(Float)
    at: Mapped[float] = mapped_column(Float, index=True)


# The dashboard's sessions, so that logging out ends one on the server too.


class DashboardSession(Base):
    """A dashboard login. The cookie carries the session's random id; the database
    holds only its SHA-256, and `ended_at` once the user logged out: a copy of the
    cookie taken before then is refused after (`server.sessions`)."""

    __tablename__ = "dashboard_sessions"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_id: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
