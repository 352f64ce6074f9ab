"""Failed token attempts counted in the server's database, so that every worker
process of one server spends the same budget per client.

Each worker also keeps its own in-memory limiter (`ratelimit.RateLimiter`), which
answers first and without a query; this count is the one that holds across
workers. A client's row is a token bucket (what was left, and when), spent by
one `INSERT … ON CONFLICT DO UPDATE … RETURNING` that refills and takes in the
same statement, so two workers spending at once cannot both take the last
attempt.

Every attempt is spent before its token is looked up, in the transaction that
looks it up, and given back when the token is valid (`guard.Guard.verified`):
counting after the lookup let a burst of attempts that arrived together all be
looked up before the first was counted. Rows that have refilled completely say
nothing and are deleted now and then, by whichever worker spends an attempt.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from sqlalchemy import bindparam, case, delete, update
from sqlalchemy.orm import Session

from scanner.inventory.ingest import INSERTS
from scanner.inventory.models import FailedAttempts

PRUNE_EVERY = 256
"""Failures recorded by one worker between two deletions of refilled rows."""


class SharedFailures:
    def __init__(self, per_minute: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(max(1, per_minute))
        self._recorded = itertools.count(1)

    def take(self, session: Session, source: str) -> float:
        """Spend one attempt of `source`'s in the caller's transaction, before its
        token is looked up; what it has left: 0 or more when it had the attempt
        (look the token up), below 0 when it had none (refuse, look nothing up).
        The row stays locked until the caller's transaction ends, so attempts of
        one client, from any worker, are counted and decided one at a time."""
        now = time.time()
        left: float = session.execute(
            self._spend(session, now), {"source": source[:255]}
        ).scalar_one()
        if next(self._recorded) % PRUNE_EVERY == 0:
            full = now - (self.burst + 1) / self.rate
            session.execute(delete(FailedAttempts).where(FailedAttempts.at < full))
        return left

    def wait(self, left: float) -> float:
        """The seconds until a client with `left` attempts has one (0: it has one)."""
        return 0.0 if left >= 1 else (1 - left) / self.rate

    def give_back(self, session: Session, source: str) -> None:
        """Return the attempt `take` spent (the token was valid), in the same
        transaction, never above the burst."""
        restored = FailedAttempts.tokens + 1
        session.execute(
            update(FailedAttempts)
            .where(FailedAttempts.source == source[:255])
            .values(tokens=case((restored > self.burst, self.burst), else_=restored))
        )

    def _spend(self, session: Session, now: float) -> Any:
        """The upsert: a new client starts full less one; a known one refills for the
        time since `at`, then loses one attempt. One with none to lose goes below
        zero, by one attempt at most and never under -1, so the value it returns
        says both things at once: 0 or more, the attempt was had; below 0, refused
        (and how long until the next one). A refused attempt costs a client that
        keeps trying at most one more interval."""
        insert = INSERTS[session.get_bind().dialect.name](FailedAttempts)
        # A clock that stepped back (NTP, or another server host behind) refills nothing
        # and moves `at` back nowhere: a negative interval would drain the bucket.
        elapsed = case((FailedAttempts.at < now, now - FailedAttempts.at), else_=0.0)
        refilled = FailedAttempts.tokens + elapsed * self.rate
        level = case((refilled > self.burst, self.burst), else_=refilled)
        spent = case((level >= 0, level - 1), else_=-1.0)
        latest = case((FailedAttempts.at > now, FailedAttempts.at), else_=now)
        return (
            insert.values(source=bindparam("source"), tokens=self.burst - 1, at=now)
            .on_conflict_do_update(
                index_elements=[FailedAttempts.source], set_={"tokens": spent, "at": latest}
            )
            .returning(FailedAttempts.tokens)
        )
