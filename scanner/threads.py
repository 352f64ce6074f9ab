"""Background threads started without waiting for them to run.

`threading.Thread.start` returns only once the new thread has run far enough to
say it started: the caller waits for the system to schedule it, and for the
interpreter's lock to come back. The threads that feed git and drain its
output are started while git itself starts on the other core, so each such wait
cost up to 4 ms (a history scan starts eight of them before its first batch).
A `Background` thread starts the same daemon thread and returns at once; the
thread runs its function when it is scheduled, and `join` waits for its end.
Like a daemon `threading.Thread`, it never keeps the process from exiting, and
a fork does not copy it.
"""

from __future__ import annotations

import _thread
from collections.abc import Callable
from typing import Any


class Background:
    """`target(*args)` on a daemon thread, started now, not waited for."""

    def __init__(self, target: Callable[..., object], *args: Any) -> None:
        self._running = _thread.allocate_lock()
        self._running.acquire()  # released when `target` returns or raises
        try:
            _thread.start_new_thread(self._run, (target, args))
        except BaseException:
            self._running.release()
            raise

    def _run(self, target: Callable[..., object], args: tuple[Any, ...]) -> None:
        try:
            target(*args)
        finally:
            self._running.release()

    def join(self, timeout: float | None = None) -> None:
        """Wait until the function has returned (at most `timeout` seconds)."""
        if self._running.acquire(timeout=-1 if timeout is None else max(timeout, 0)):
            self._running.release()

    def is_alive(self) -> bool:
        if self._running.acquire(blocking=False):
            self._running.release()
            return False
        return True
