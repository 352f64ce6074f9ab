"""Pipes widened past Linux's default 64 KiB.

A producer that writes more than a pipe holds waits for the reader to be
scheduled again every 64 KiB. For git's output (a blob stream) and for the
batches the worker pool sends (a pickled batch of blobs is up to a few MiB,
written by a feeder thread that must win the GIL back for every chunk) those
hand-overs cost more than the work itself on a busy machine.
"""

from __future__ import annotations

try:
    import fcntl
except ImportError:  # not on Windows
    fcntl = None  # type: ignore[assignment]

PIPE_BYTES = 1 << 20
"""The size asked for; the system's limit for unprivileged users is often this."""


def widen(fd: int, size: int = PIPE_BYTES) -> None:
    """Make the pipe at `fd` hold `size` bytes (or a quarter of it, where the
    system allows no more); nothing happens where pipes cannot be resized."""
    setpipe = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if setpipe is None:
        return
    for asked in (size, size // 4):
        try:
            fcntl.fcntl(fd, setpipe, asked)
            return
        except OSError:
            continue
