"""One computation run in a forked child, its answer sent back as bytes.

A computation whose transient heap is much larger than its answer (compiling the
built-in rules' Hyperscan database: about 80 MB of compiler heap for a 5.5 MB
database) leaves that heap in the process that ran it: glibc keeps what was
freed, and a pool worker forked later inherits it, so a process tree counts it
twice. Run in a child, the heap ends with the child; the parent keeps only the
answer.

The parent may have threads running when it forks (git pipe readers), holding
locks the child inherits held. So the child only computes, writes and leaves by
`os._exit`: no `atexit` function, finaliser or buffered stream of the parent runs
in it, its garbage collector is off (a collection could finalise an object of
another thread), and it closes every descriptor but its end of the pipe (a copy
of a git pipe held open by the child would delay git's end of input). It ignores
SIGINT (the parent decides, as with pool workers) and is killed when the thread
that forked it ends.

The answer is framed by its length: an answer cut short (the child died, was
killed, or could not write) or one that does not fit is no answer, and the
caller computes in process instead. The parent always reaps the child; an
exception while it waits (SIGINT or SIGTERM raised in the main thread:
`scanner.bounds`) kills the child first, and is then raised.

The parent's own copies of the answer (read, loaded, written to a cache: about
11 MB for the rules' database) stay in glibc's heap once freed, resident, and a
worker forked later would hold them too: `give_back_freed` returns such pages.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import os
import select
import signal
import struct
import sys
from collections.abc import Callable
from typing import NoReturn

PR_SET_PDEATHSIG = 1
LENGTH = struct.Struct("<Q")
"""The answer's length, before the answer."""
CHUNK = 1 << 20
POLL_MS = 100
"""How often (milliseconds) the caller's `check` runs while the child computes."""


def call(compute: Callable[[], bytes], check: Callable[[], None] = lambda: None) -> bytes | None:
    """`compute()` run in a forked child; None where no child gave a whole
    answer (not Linux, no fork, the child failed, died or was killed).
    `check` is called every POLL_MS while the answer is awaited: what it
    raises ends the wait (the child is killed and reaped first) and is raised."""
    if not sys.platform.startswith("linux"):
        return None
    die_with_parent = _death_signal()
    try:
        pipe = list(os.pipe())  # not inherited by programs the parent's threads start
    except OSError:
        return None
    try:
        return _forked(compute, pipe, die_with_parent, check)
    finally:
        _close(pipe)


def _forked(
    compute: Callable[[], bytes],
    pipe: list[int],
    die_with_parent: Callable[[], None],
    check: Callable[[], None],
) -> bytes | None:
    """Fork, then take the child's answer from `pipe` (reader, writer) and reap
    the child, whatever happens here meanwhile (an exception kills it first).

    A signal handler that raises runs between bytecodes, and one of those comes
    between a call such as `pid = os.fork()` and its assignment: the pid of a
    running child would be lost, or a child already reaped (whose pid may be
    another process's by now) believed running. So the pid and the wait's result
    are put in lists by C code (`list.extend` over a `starmap` that calls
    `os.fork`, `os.waitpid`)."""
    forks: list[int] = []
    waits: list[tuple[int, int]] = []
    try:
        forks.extend(itertools.starmap(os.fork, [()]))
        if forks[0] == 0:
            _child(compute, pipe[1], die_with_parent)
        os.close(pipe.pop())  # the writer: the child's end is then the only one
        answer = _receive(pipe[0], check)
        _wait(forks[0], waits)
    except BaseException as exc:
        _abandon(forks, waits)
        if not isinstance(exc, OSError):  # no fork, or no reading: no answer
            raise
        return None
    return answer if os.waitstatus_to_exitcode(waits[0][1]) == 0 else None


def _close(fds: list[int]) -> None:
    """Close each descriptor, taken out of `fds` first: none is closed twice (a
    second close could close a descriptor another thread has opened since), and
    an exception in between leaves at most one open."""
    while fds:
        os.close(fds.pop())


def _abandon(forks: list[int], waits: list[tuple[int, int]]) -> None:
    """Leaving `_forked` by an exception: the parent kills and reaps its child, if
    it forked one and has not reaped it; a child stopped before `_child` took
    over (the parent's signal handlers are still its own until then) leaves at
    once, never to run the parent's code."""
    if not forks:
        return
    if forks[0] == 0:
        os._exit(1)
    if waits:
        return
    try:
        _kill(forks[0])
        _wait(forks[0], waits)
    except BaseException:  # a second exception: the child still goes first
        if not waits:
            _kill(forks[0])
            _wait(forks[0], waits)
        raise


def _wait(pid: int, waits: list[tuple[int, int]]) -> None:
    """Reap the child; its `os.waitpid` result goes to `waits`, as a success
    when it was reaped already (SIGCHLD ignored: the answer's framing vouches
    for it alone)."""
    try:
        waits.extend(itertools.starmap(os.waitpid, [(pid, 0)]))
    except ChildProcessError:
        waits.append((pid, 0))


def _receive(reader: int, check: Callable[[], None]) -> bytes | None:
    """What the child wrote, when it is exactly one length-framed answer;
    `check` is called whenever nothing came for POLL_MS."""
    chunks: list[bytes] = []
    waiting = select.poll()  # not select(): a descriptor past 1023 is fine
    waiting.register(reader, select.POLLIN)
    while True:
        if not waiting.poll(POLL_MS):
            check()
            continue
        chunk = os.read(reader, CHUNK)
        if not chunk:
            break
        chunks.append(chunk)
    data = b"".join(chunks)
    del chunks
    if len(data) < LENGTH.size or LENGTH.unpack_from(data)[0] != len(data) - LENGTH.size:
        return None
    return data[LENGTH.size :]


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _child(
    compute: Callable[[], bytes], writer: int, die_with_parent: Callable[[], None]
) -> NoReturn:
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        gc.disable()
        _keep_only(writer)
        die_with_parent()
        answer = compute()
        _write_all(writer, LENGTH.pack(len(answer)))
        _write_all(writer, answer)
        code = 0
    except BaseException:  # the parent computes in process instead
        code = 1
    finally:
        os._exit(code)


def _keep_only(writer: int) -> None:
    """Close every descriptor of the parent but the standard ones and `writer`."""
    os.closerange(3, writer)
    os.closerange(writer + 1, os.sysconf("SC_OPEN_MAX"))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _death_signal() -> Callable[[], None]:
    """What the child calls to be killed when the thread that forked it ends,
    prepared before the fork (loading a library after it could wait on a lock
    another thread held)."""
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (ImportError, OSError, AttributeError):
        return lambda: None
    parent = os.getpid()

    def die_with_parent() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before we asked
            os._exit(1)

    return die_with_parent


def give_back_freed() -> None:
    """Return the free pages of this process's heap to the system (glibc's
    `malloc_trim`; a fraction of a millisecond). Nothing where there is none."""
    try:
        import ctypes

        ctypes.CDLL(None).malloc_trim(0)
    except (ImportError, OSError, AttributeError):
        pass
