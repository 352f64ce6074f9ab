"""A one-line progress display for a terminal; nothing at all anywhere else.

The sweep does not know in advance how many files a home folder holds, so the
line counts files, bytes, speed and elapsed time, redrawn at most a few times
a second on standard error.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

REDRAW_SECONDS = 0.2


class ProgressLine:
    """Callable as scan's progress function: `(items done, bytes done)`."""

    def __init__(self, stream: TextIO, label: str = "sweeping") -> None:
        self.stream = stream
        self.label = label
        self.started = time.monotonic()
        self.last_drawn = 0.0
        self.drawn = False

    def __call__(self, items: int, done_bytes: int) -> None:
        now = time.monotonic()
        if now - self.last_drawn < REDRAW_SECONDS:
            return
        self.last_drawn = now
        elapsed = max(now - self.started, 1e-6)
        line = (
            f"{self.label}: {items:,} files, {_size(done_bytes)}"
            f" ({_size(int(done_bytes / elapsed))}/s), {_clock(elapsed)}"
        )
        self.stream.write("\r\x1b[2K" + line)
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        """Clear the line, so the summary that follows starts clean."""
        if self.drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()


def progress_for(enabled: bool | None, stream: TextIO | None = None) -> ProgressLine | None:
    """A progress line when asked to, or (None: not said) when `stream` is a terminal."""
    stream = stream if stream is not None else sys.stderr
    if enabled is None:
        enabled = _is_terminal(stream)
    return ProgressLine(stream) if enabled else None


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"  # pragma: no cover - the loop always returns


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


__all__ = ["ProgressLine", "progress_for"]
