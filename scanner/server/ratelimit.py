"""Requests per minute per token (or per client address before a token is
known), failed token attempts per client address, and how many refused logins
get an audit row of their own: token buckets in memory, per server process.

The buckets are bounded (`max_keys`) but making room never gives anyone their
budget back early: the dict is kept in order of last use, and a new key takes the
place of the least recently used bucket that is not limiting its key (one with at
least one token after refilling), looking at no more than `EVICT_SCAN` of the
oldest. When all of those are still limiting, the new key is refused for as long
as the oldest of them has to wait: under a flood from that many addresses the
limiter fails closed instead of forgetting who is locked out."""

from __future__ import annotations

import itertools
import threading
import time

EVICT_SCAN = 1024
"""How many of the least recently used buckets a new key may look at for room."""


class RateLimiter:
    def __init__(self, per_minute: int, max_keys: int = 100_000) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(max(1, per_minute))
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> float:
        """0 when the request may go ahead, else the seconds to wait."""
        now = time.monotonic()
        with self._lock:
            if key not in self._buckets and len(self._buckets) >= self.max_keys:
                spare, wait = self._room(now)
                if spare is None:
                    return wait
                del self._buckets[spare]
            tokens = self._level(self._buckets.pop(key, (self.burst, now)), now)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return (1 - tokens) / self.rate
            self._buckets[key] = (tokens - 1, now)
            return 0.0

    def _level(self, bucket: tuple[float, float], now: float) -> float:
        tokens, last = bucket
        return min(self.burst, tokens + (now - last) * self.rate)

    def _room(self, now: float) -> tuple[str | None, float]:
        """The least recently used bucket that is not limiting (it may go), else None
        and the seconds until the oldest one stops limiting."""
        oldest = list(itertools.islice(self._buckets.items(), EVICT_SCAN))
        for key, bucket in oldest:
            if self._level(bucket, now) >= 1:
                return key, 0.0
        return None, (1 - self._level(oldest[0][1], now)) / self.rate

    def hold(self, key: str, wait: float) -> None:
        """Make `key` wait at least `wait` seconds from now (what another process
        counted for it), so the next refusal needs no one else's word."""
        now = time.monotonic()
        with self._lock:
            tokens = self._level(self._buckets.get(key, (self.burst, now)), now)
            if key not in self._buckets and len(self._buckets) >= self.max_keys:
                spare, _ = self._room(now)
                if spare is None:
                    return  # no room: the shared count still refuses it
                del self._buckets[spare]
            self._buckets.pop(key, None)
            self._buckets[key] = (min(tokens, 1 - wait * self.rate), now)

    def waiting(self, key: str) -> float:
        """The seconds `key` must wait before `allow` would let it go ahead (0: none),
        taking nothing from its bucket."""
        now = time.monotonic()
        with self._lock:
            if key not in self._buckets and len(self._buckets) >= self.max_keys:
                return self._room(now)[1]
            tokens = self._level(self._buckets.get(key, (self.burst, now)), now)
            return 0.0 if tokens >= 1 else (1 - tokens) / self.rate


class Tally:
    """At most `per_minute` events of one kind a minute get an audit row of their own;
    the others are only counted, and the count rides on the next row written. So a
    flood of refused logins, from however many addresses, cannot grow the audit log
    faster than that, and loses no count."""

    def __init__(self, per_minute: int) -> None:
        self._limiter = RateLimiter(per_minute)
        self._skipped = 0
        self._lock = threading.Lock()

    def take(self) -> int | None:
        """None: write no row for this event; else how many events had no row since the
        last one."""
        with self._lock:
            if self._limiter.allow("all"):
                self._skipped += 1
                return None
            skipped, self._skipped = self._skipped, 0
            return skipped
