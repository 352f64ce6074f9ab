"""Requests per minute per token (or per client address before a token is
known), failed token attempts per client address, and how many refused logins
get an audit row of their own: token buckets in memory, per server process."""

from __future__ import annotations

import threading
import time


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
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return (1 - tokens) / self.rate
            if len(self._buckets) >= self.max_keys:
                self._buckets.clear()
            self._buckets[key] = (tokens - 1, now)
            return 0.0

    def waiting(self, key: str) -> float:
        """The seconds `key` must wait before `allow` would let it go ahead (0: none),
        taking nothing from its bucket."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
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
