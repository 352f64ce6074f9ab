"""Leaving the process without tearing its heap down.

A history scan ends with a large heap (every finding, the git inventory, the
rules engine), and the interpreter's finalisation frees it object by object:
on a replayed Django history that took 17 ms of the scan's wall time, on one
core while the other idles, to free memory the kernel frees at exit anyway.

So the console script (`scanner.cli.entry`) leaves the commands named in
`COMMANDS` the way finalisation would, minus the freeing: the standard streams
flushed, the `atexit` functions run (worker pools, finalizers of git processes
still running), then `os._exit` with the exit code the command chose. Whenever
that could differ from a normal exit, the normal exit is taken: a thread that
finalisation would wait for is still running, the exit code is not a number, or
a stream cannot be flushed (Python reports that itself and exits 120).
`main`, which programs and tests call in-process, never leaves this way.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading

COMMANDS = frozenset({"scan", "git"})
"""The commands measured and checked for this way out."""

_chosen = False
"""Whether the command being run is one of `COMMANDS`."""


def choose(command: str | None) -> None:
    """Note the command the root group is about to run."""
    global _chosen
    _chosen = command in COMMANDS


def leave(code: object) -> None:
    """Exit now with `code` when that is safe; return when the normal exit is needed."""
    status = _status(code)
    if status is None or not _chosen or _threads_left():
        return
    if not _flushed():
        return
    atexit._run_exitfuncs()  # what finalisation runs first; each function runs once
    if _flushed():
        os._exit(status)


def _status(code: object) -> int | None:
    """The process status `sys.exit(code)` gives, for the codes that are numbers."""
    if code is None:
        return 0
    if isinstance(code, int) and 0 <= code <= 255:
        return code
    return None


def _threads_left() -> bool:
    """A thread that finalisation would join (not a daemon) is still running."""
    main = threading.main_thread()
    return any(t is not main and not t.daemon and t.is_alive() for t in threading.enumerate())


def _flushed() -> bool:
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return False
    return True
