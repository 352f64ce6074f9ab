"""Registry value types: frozen, picklable (sent to worker processes), normalised.

`loading.py` builds them from a validated document; nothing here reads files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

RETIRED_STATES = frozenset({"suspended", "deactivated", "compromised", "destroyed"})
"""NIST SP 800-57 states in which no copy of the private part should exist."""
MANAGED_CUSTODY = frozenset({"hsm", "kms", "vault", "secrets-manager"})
"""Custody kinds under which no file copy of the key is allowed anywhere."""
GONE_STATUSES = frozenset({"departed", "contractor-ended"})
FINGERPRINT_KINDS = ("spki_sha256", "jwk_thumbprint", "ssh_sha256", "pgp", "x509_sha256")


@dataclass(frozen=True)
class Person:
    id: str
    status: str
    """active | departed | on-leave | contractor-ended"""
    departed_on: date | None = None

    @property
    def gone(self) -> bool:
        return self.status in GONE_STATUSES


@dataclass(frozen=True)
class SecretHash:
    """How the registry hashes symmetric secrets (scrypt, 32-byte output)."""

    salt: bytes
    n: int
    r: int
    p: int


@dataclass(frozen=True)
class KeyEntry:
    id: str
    kind: str
    """asymmetric | symmetric"""
    state: str
    purpose: str | None = None
    algorithm: str | None = None
    dates: Mapping[str, date] = field(default_factory=dict)
    rotation_due: date | None = None
    """rotation.due, or activation (creation) date plus rotation.period_days."""
    owner: str | None = None
    team: str | None = None
    custody: str | None = None
    allowed_locations: tuple[str, ...] = ()
    fingerprints: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Normalised values by kind; x509_sha256 may hold several."""
    public_jwk: Mapping[str, str] | None = None
    kids: tuple[str, ...] = ()
    cbom_ref: str | None = None
    imported_from: str | None = None

    @property
    def retired(self) -> bool:
        return self.state in RETIRED_STATES

    @property
    def state_date(self) -> date | None:
        return self.dates.get(self.state)

    def overdue(self, today: date) -> list[str]:
        """Reasons this key is past its rotation date or expiry on `today`."""
        reasons: list[str] = []
        if self.rotation_due is not None and self.rotation_due < today:
            reasons.append(f"rotation due {self.rotation_due.isoformat()}")
        expires = self.dates.get("expires")
        if expires is not None and expires < today:
            reasons.append(f"expired {expires.isoformat()}")
        return reasons


@dataclass(frozen=True)
class Registry:
    name: str
    path: str
    keys: tuple[KeyEntry, ...] = ()
    people: Mapping[str, Person] = field(default_factory=dict)
    secret_hash: SecretHash | None = None
    index: Mapping[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    """(fingerprint kind, normalised value) → ids of the entries listing it."""

    def entry(self, key_id: str) -> KeyEntry | None:
        for entry in self.keys:
            if entry.id == key_id:
                return entry
        return None

    def find(self, kind: str, value: str) -> KeyEntry | None:
        ids = self.index.get((kind, value))
        return self.entry(ids[0]) if ids else None

    def owner(self, entry: KeyEntry) -> Person | None:
        return self.people.get(entry.owner) if entry.owner else None

    @property
    def has_symmetric(self) -> bool:
        return self.secret_hash is not None and any(
            e.fingerprints.get("secret_hash") for e in self.keys
        )


def due_from_period(start: date | None, period_days: int | None) -> date | None:
    if start is None or period_days is None:
        return None
    return start + timedelta(days=period_days)
