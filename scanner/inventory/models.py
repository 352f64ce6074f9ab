"""The inventory's tables: hosts, the reports they sent, and where each key was seen.

Times are naive UTC (SQLite keeps no time zone; PostgreSQL is given the same).
A sighting is one key (its identity: the SPKI hash, else another fingerprint)
at one path on one host, within one scope (what kind of report over which
roots). `gone_since` is set when a later complete report of the same scope no
longer has it; `last_seen` stays the last time it was actually seen.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
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
