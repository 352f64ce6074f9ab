"""Failed token attempts counted in the server's database, so that every worker
process of one server spends the same budget per client.

Each worker also keeps its own in-memory limiter (`ratelimit.RateLimiter`), which
answers first and without a query; this count is the one that holds across
workers. A client's row is a token bucket (what was left, and when), spent by
one `INSERT … ON CONFLICT DO UPDATE … RETURNING` that refills and takes in the
same statement, so two workers spending at once cannot both take the last
attempt. Rows that have refilled completely say nothing and are deleted now and
then, by whichever worker records a failure.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, case, delete, select
from sqlalchemy.orm import Session

from scanner.inventory.ingest import INSERTS
from scanner.inventory.models import FailedAttempts

PRUNE_EVERY = 256
"""Failures recorded by one worker between two deletions of refilled rows."""


class SharedFailures:
    def __init__(self, sessions: Callable[[], Session], per_minute: int) -> None:
        self.sessions = sessions
        self.rate = per_minute / 60.0
        self.burst = float(max(1, per_minute))
        self._recorded = itertools.count(1)

    def waiting(self, source: str) -> float:
        """The seconds `source` must wait before another attempt (0: none)."""
        now = time.time()
        with self.sessions() as session:
            row = session.execute(
                select(FailedAttempts.tokens, FailedAttempts.at).where(
                    FailedAttempts.source == source[:255]
                )
            ).first()
        if row is None:
            return 0.0
        tokens = min(self.burst, row.tokens + max(0.0, now - row.at) * self.rate)
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate

    def record(self, source: str) -> float:
        """Spend one attempt of `source`'s; the seconds it must now wait (0: none)."""
        now = time.time()
        with self.sessions() as session, session.begin():
            tokens: float = session.execute(
                self._spend(session, now), {"source": source[:255]}
            ).scalar_one()
            if next(self._recorded) % PRUNE_EVERY == 0:
                full = now - self.burst / self.rate
                session.execute(delete(FailedAttempts).where(FailedAttempts.at < full))
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate

    def _spend(self, session: Session, now: float) -> Any:
        """The upsert: a new client starts full less one; a known one refills for the
        time since `at`, then loses one attempt if it has one to lose."""
        insert = INSERTS[session.get_bind().dialect.name](FailedAttempts)
        # A clock that stepped back (NTP, or another server host behind) refills nothing
        # and moves `at` back nowhere: a negative interval would drain the bucket.
        elapsed = case((FailedAttempts.at < now, now - FailedAttempts.at), else_=0.0)
        refilled = FailedAttempts.tokens + elapsed * self.rate
        level = case((refilled > self.burst, self.burst), else_=refilled)
        spent = case((level >= 1, level - 1), else_=level)
        latest = case((FailedAttempts.at > now, FailedAttempts.at), else_=now)
        return (
            insert.values(source=bindparam("source"), tokens=self.burst - 1, at=now)
            .on_conflict_do_update(
                index_elements=[FailedAttempts.source], set_={"tokens": spent, "at": latest}
            )
            .returning(FailedAttempts.tokens)
        )
