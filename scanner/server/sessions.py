"""Dashboard sessions held on the server as well as in the signed cookie.

The cookie alone (Starlette's signed session) stays valid until it expires,
whatever the user does: logging out cleared only the browser's copy. So a login
makes a random session id, the cookie carries it and the database its SHA-256
(`DashboardSession`); every page checks that the row is there and not ended, and
logging out ends it. Rows older than twice the session's lifetime are deleted at
each login.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from scanner.inventory.extract import naive_utc
from scanner.inventory.models import DashboardSession


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start(session: Session, token_id: str, lifetime_seconds: int) -> str:
    """A new session of `token_id`: its id, for the cookie."""
    now = naive_utc()
    stale = now - timedelta(seconds=2 * lifetime_seconds)
    session.execute(delete(DashboardSession).where(DashboardSession.created_at < stale))
    session_id = secrets.token_urlsafe(32)
    session.add(DashboardSession(digest=_digest(session_id), token_id=token_id, created_at=now))
    return session_id


def is_open(session: Session, session_id: object, token_id: str) -> bool:
    """Whether the cookie's session was started for `token_id` and not ended."""
    if not isinstance(session_id, str) or not session_id:
        return False
    query = select(DashboardSession).where(DashboardSession.digest == _digest(session_id))
    row = session.scalars(query).one_or_none()
    return row is not None and row.token_id == token_id and row.ended_at is None


def end(session: Session, session_id: object) -> None:
    """Log the session out on the server (its cookie is refused from now on)."""
    if isinstance(session_id, str) and session_id:
        row = session.get(DashboardSession, _digest(session_id))
        if row is not None and row.ended_at is None:
            row.ended_at = naive_utc()
