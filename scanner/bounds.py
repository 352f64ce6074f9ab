"""Time bounds inside an item, and the signals that stop a scan.

A budget checked only between batches lets one hostile item run for as long as
it likes. `alarm` arms a real-time timer around one item and raises
`ItemTimeout` in the middle of it; `StopSignals` turns SIGINT and SIGTERM into
an orderly stop, so the report of what was found is still written. Both are
BaseExceptions: the `except Exception` that keeps one bad input from stopping a
scan must not swallow them.

Timers and handlers work only in a process's main thread; elsewhere (a scan run
from a library thread) the item runs unbounded and signals keep their default.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType

EXIT_BY_SIGNAL = {signal.SIGINT: 130, signal.SIGTERM: 143}
PR_SET_PDEATHSIG = 1


class ItemTimeout(BaseException):
    """One item's analysis ran past its time bound."""


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived while an item ran in this process, or was noted
    while the scan's sources listed what to scan (`raise_if_stopped`). What the
    items finished before it found is already with the caller
    (`schedule.guarded` appends each completed call's result to a list it owns)."""


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def can_bound() -> bool:
    """Whether an item run in this thread can be stopped by a timer: SIGALRM is
    delivered to the main thread only."""
    return _in_main_thread()


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise ItemTimeout


@contextlib.contextmanager
def alarms() -> Iterator[Callable[[float | None], None]]:
    """Install the SIGALRM handler once for a batch and yield `arm(seconds)`: from
    then on ItemTimeout is raised once `seconds` have passed (None disarms). Arming
    is one system call, so a bound on every item costs nothing measurable."""
    if not _in_main_thread():
        yield _never
        return
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    try:
        yield _arm
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def watched(period: float) -> Iterator[Callable[[float | None], None]]:
    """Like `alarms`, for a batch of many items: a timer ticks every `period`
    seconds while the batch runs, and `arm(seconds)` only notes a deadline (no
    system call per item). ItemTimeout is raised at the first tick past it, so an
    item is stopped at most `period` late."""
    if not _in_main_thread():
        yield _never
        return
    watch = _Watch()
    previous = signal.signal(signal.SIGALRM, watch.tick)
    signal.setitimer(signal.ITIMER_REAL, period, period)
    try:
        yield watch.arm
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class _Watch:
    def __init__(self) -> None:
        self.deadline: float | None = None

    def arm(self, seconds: float | None) -> None:
        self.deadline = None if seconds is None else time.monotonic() + seconds

    def tick(self, signum: int, frame: FrameType | None) -> None:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self.deadline = None
            raise ItemTimeout


def _arm(seconds: float | None) -> None:
    signal.setitimer(signal.ITIMER_REAL, 0 if seconds is None else max(seconds, 0.001))


def _never(seconds: float | None) -> None:
    """Outside the main thread no signal can reach us: items run unbounded there."""


class StopSignals:
    """While active, SIGINT and SIGTERM set `signum`; with `raise_now` they also
    raise Interrupted where the main thread is (an in-process scan)."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.raise_now = False
        self._previous: dict[int, object] = {}

    def __enter__(self) -> StopSignals:
        if _in_main_thread():
            for signum in EXIT_BY_SIGNAL:
                self._previous[signum] = signal.signal(signum, self._handle)
        _NOTED.active.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _NOTED.active.remove(self)
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.signum = signum
        _Signalled.once = True
        if self.raise_now:
            if _HELD.on:  # a finished call's result is on its way to its list
                _HELD.pending = True
                return
            raise Interrupted

    @property
    def reason(self) -> str | None:
        if self.signum is None:
            return None
        return f"stopped by {signal.Signals(self.signum).name}"


class _Noted(threading.local):
    """Each thread's stop signals in force, innermost last. A scan asks only its
    own thread's: a signal reaches the main thread's scan, and must never stop
    a scan a library runs in another thread (which installs no handler)."""

    def __init__(self) -> None:
        self.active: list[StopSignals] = []


_NOTED = _Noted()


class _Signalled:
    """Whether any scan of this process has noted a stop signal: until one has,
    `raise_if_stopped` costs one attribute read (it runs per folder searched
    and per MiB of a history's log)."""

    once = False


def raise_if_stopped() -> None:
    """Raise Interrupted once SIGINT or SIGTERM has asked this thread's scan to
    stop, for waits the signal itself does not cut short (its handler only notes
    it outside a scan's items): a compile in a child, and the listing of what to
    scan (a history's log, a bundle's index, the search for git stores)."""
    if _Signalled.once and any(stop.signum is not None for stop in _NOTED.active):
        raise Interrupted


class _Held:
    """Between the end of a call's items and the moment its result is kept
    (`schedule._guarded_items`), a stop signal is noted, not raised: raised there,
    it would take the whole finished call with it."""

    on = False
    pending = False


_HELD = _Held()


def hold_stops() -> None:
    _HELD.on = True


def release_stops(*, raise_pending: bool) -> None:
    """End the hold; raise the stop that arrived during it, if asked to (the
    signal is recorded either way, so the scan stops at its next check)."""
    pending = _HELD.pending
    _HELD.on = _HELD.pending = False
    if pending and raise_pending:
        raise Interrupted


def remaining(deadline: float | None) -> float | None:
    """Seconds left before `deadline` (time.monotonic), or None for no deadline."""
    return None if deadline is None else deadline - time.monotonic()


def ignore_stop_signals_in_worker() -> None:
    """Workers leave stopping to the main process, which ends them itself; and
    die with it when it is killed outright (SIGKILL, the OOM killer), so that no
    worker outlives its scan."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    parent = _forked_by if _forked_by is not None else os.getppid()
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before we asked
        os._exit(1)


_forked_by: int | None = None
"""The process that forks the workers, noted before the fork: read in the
worker, a parent that died between the fork and `_die_with_parent` would already
be its new parent, and the worker would wait on its queue for ever."""


def before_fork() -> None:
    """What a forked worker needs (`ignore_stop_signals_in_worker`), imported once
    in the main process instead of in each worker."""
    global _forked_by
    _forked_by = os.getpid()
    if sys.platform.startswith("linux"):
        import ctypes  # noqa: F401


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    import ctypes  # only in a pool's worker processes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
