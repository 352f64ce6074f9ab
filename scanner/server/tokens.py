"""Bearer tokens for hosts, viewers and admins.

A token is `ksw_<id>_<secret>`: the id names the row (listed, revoked), the
secret is 32 random bytes. Only the SHA-256 of the whole token is stored (a
plain hash is enough for a high-entropy random value), compared in constant
time. The token itself is shown once, when it is made.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from scanner.inventory.extract import naive_utc
from scanner.inventory.models import ApiToken

KINDS = ("host", "viewer", "admin")
PREFIX = "ksw_"
USE_RESOLUTION = timedelta(minutes=5)
_DUMMY = hashlib.sha256(b"keysweep: no such token").hexdigest()
_ID_BYTES = 6
_ID = re.compile(f"[0-9a-f]{{{2 * _ID_BYTES}}}")
"""The one shape of a token id (`secrets.token_hex(_ID_BYTES)`): anything else is
never looked up, so no byte a database refuses (a NUL) reaches a query."""


@dataclass(frozen=True)
class Caller:
    """Who is asking: a token's id, kind and name (a host name or a person)."""

    token_id: str
    kind: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.name} ({self.token_id})"

    @property
    def can_read(self) -> bool:
        return self.kind in ("viewer", "admin")


@dataclass(frozen=True)
class TokenListing:
    id: str
    kind: str
    name: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def create(session: Session, kind: str, name: str) -> tuple[str, str]:
    """A new token of `kind` for `name`: (token id, the token, shown once)."""
    if kind not in KINDS:
        raise ValueError(f"unknown token kind {kind!r}")
    token_id = secrets.token_hex(_ID_BYTES)
    token = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
    session.add(
        ApiToken(id=token_id, kind=kind, name=name, digest=digest(token), created_at=naive_utc())
    )
    return token_id, token


def valid_id(token_id: str) -> bool:
    """Whether `token_id` has the shape ids are made with (12 lowercase hex characters)."""
    return _ID.fullmatch(token_id) is not None


def split_id(token: str) -> str | None:
    """The id part of a well-formed token, else None."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    token_id, sep, rest = token[len(PREFIX) :].partition("_")
    if not sep or not valid_id(token_id) or not rest:
        return None
    return token_id


def verify(session: Session, token: str, kinds: Collection[str] | None = None) -> Caller | None:
    """The caller a token belongs to, or None (unknown, malformed or revoked). Its
    last use is recorded only when its kind may do what it asks (`kinds`)."""
    token_id = split_id(token)
    row = session.get(ApiToken, token_id) if token_id else None
    expected = row.digest if row is not None else _DUMMY
    if not hmac.compare_digest(expected, digest(token)) or row is None:
        return None
    if row.revoked_at is not None:
        return None
    now = naive_utc()
    allowed = kinds is None or row.kind in kinds
    if allowed and (row.last_used_at is None or now - row.last_used_at > USE_RESOLUTION):
        row.last_used_at = now  # written at most every few minutes, not on every request
    return Caller(row.id, row.kind, row.name)


def still_valid(session: Session, caller: Caller) -> bool:
    """For a session cookie: the token it was made from is not revoked."""
    if not valid_id(caller.token_id):
        return False
    row = session.get(ApiToken, caller.token_id)
    return row is not None and row.revoked_at is None


def revoke(session: Session, token_id: str) -> bool:
    """Revoke the token `token_id`; False when there is none (or it is no id at all)."""
    row = session.get(ApiToken, token_id) if valid_id(token_id) else None
    if row is None:
        return False
    if row.revoked_at is None:
        row.revoked_at = naive_utc()
    return True


def listing(session: Session) -> list[TokenListing]:
    rows = session.scalars(select(ApiToken).order_by(ApiToken.kind, ApiToken.name, ApiToken.id))
    return [
        TokenListing(r.id, r.kind, r.name, r.created_at, r.revoked_at, r.last_used_at) for r in rows
    ]
