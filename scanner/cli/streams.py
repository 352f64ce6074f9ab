"""Standard output that cannot take what a command writes is the user's to fix.

A full disk (`>/dev/full`), a closed descriptor (`>&-`) or a reader that went away
(`| head -c1`) made every command but the scans crash (exit 3, "internal error"),
Click's own `--help` and `--version` print a traceback, and a closed descriptor
made them succeed silently (Click writes nothing to a missing stream): output lost,
exit 0. One rule now holds for every command, the one `scan`, `git` and `sweep`
already followed: exit 2 with one line naming standard output and the reason.

The rule is applied in one place: for the whole of a run the root group puts a
`GuardedStdout` in `sys.stdout`, so every write to standard output (`click.echo`,
`print`, Click's help and version) that fails raises `StdoutLost`, a
`KeysweepError`, wherever it was written from. Telling a failed write to
standard output from any other `OSError` after the fact is not possible (a
failed flush leaves nothing behind to fail again), hence the guard at the stream.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any, TextIO, cast

import click

from scanner.errors import KeysweepError

STDOUT = "standard output"
CLOSED = "it is closed"


class StdoutLost(KeysweepError):
    """A write to standard output failed: `reason` says why, in the system's words."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"{STDOUT}: cannot write: {reason}")
        self.reason = reason


def lost_reason(exc: OSError) -> str:
    """The reason a write failed: a broken pipe in words a shell user knows."""
    if isinstance(exc, BrokenPipeError):
        return "the reader closed it"
    return exc.strerror or str(exc)


class GuardedStdout:
    """Standard output (or its absence: `>&-`) whose failed writes raise `StdoutLost`.

    Not an `io` class on purpose: an `IOBase` flushes when it is collected, which
    would raise again where nothing can catch it."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream

    @property
    def encoding(self) -> str:
        return getattr(self.stream, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str:
        return getattr(self.stream, "errors", None) or "strict"

    def write(self, text: str) -> int:
        """Write `text`; nothing at all for an empty one or for bytes (Click asks
        that way whether a stream is binary: the real stream would try a flush)."""
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if not text:
            return 0
        if self.stream is None:
            raise StdoutLost(CLOSED)
        with self._failing():
            return self.stream.write(text)

    def flush(self) -> None:
        if self.stream is not None:
            with self._failing():
                self.stream.flush()

    def isatty(self) -> bool:
        return self.stream is not None and self.stream.isatty()

    def fileno(self) -> int:
        if self.stream is None:
            raise OSError(CLOSED)
        return self.stream.fileno()

    def writable(self) -> bool:
        return True

    @property
    def closed(self) -> bool:
        return self.stream is None or bool(self.stream.closed)

    @contextlib.contextmanager
    def _failing(self) -> Iterator[None]:
        try:
            yield
        except OSError as exc:
            discard(self.stream)  # else the exit's own flush fails again (exit 120)
            raise StdoutLost(lost_reason(exc)) from None


def stdout_closed() -> bool:
    """Standard output was closed when keysweep started (`>&-`)."""
    stream: Any = sys.stdout
    return stream is None or (isinstance(stream, GuardedStdout) and stream.stream is None)


def require_stdout() -> None:
    """`StdoutLost` now when standard output is closed: for a command whose output
    is made once and cannot be made again (a new token), before it is made."""
    if stdout_closed():
        raise StdoutLost(CLOSED)


@contextlib.contextmanager
def guarded_stdout(usage_exit: int) -> Iterator[None]:
    """Run with `GuardedStdout` in `sys.stdout`, put back what was there after.

    A write that fails inside a command reaches `error_handler` (exit 2); one
    that fails before any command runs (the root's `--help`, `--version`) ends here."""
    original = sys.stdout
    guard = GuardedStdout(original)
    sys.stdout = cast(TextIO, guard)
    try:
        yield
    except StdoutLost as exc:
        say(f"keysweep: error: {exc}")
        sys.exit(usage_exit)
    finally:
        if sys.stdout is cast(TextIO, guard):
            sys.stdout = original


def say(line: str) -> None:
    """A line for the user on standard error, which may be closed (then click writes
    nothing) or full: the line is lost, never the exit code that goes with it."""
    try:
        click.echo(line, err=True)
    except OSError:
        discard(sys.stderr)


def discard(stream: Any) -> None:
    """Point `stream`'s descriptor at the null device, so that what is still in its
    buffer, flushed at exit, cannot fail the exit again (Python would exit 120)."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, stream.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):
        pass
