"""A pool worker whose parent dies between the fork and the moment the worker
asks the kernel to end it with its parent must end itself: nothing else would
(it holds its own copy of its queue, and would wait on it for ever)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

MAIN = textwrap.dedent(
    """
    import os, sys
    from scanner import bounds

    report = int(sys.argv[1])
    bounds.before_fork()  # as the pool does, just before it forks
    parent = os.getpid()
    if os.fork() == 0:  # the worker
        while os.getppid() == parent:  # set up only once its parent is gone
            os.sched_yield()
        bounds.ignore_stop_signals_in_worker()
        os.write(report, b"outlived its parent")
        os._exit(0)
    os._exit(0)  # the main process dies right after the fork
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork and prctl")
def test_a_worker_whose_parent_died_before_it_was_set_up_ends_itself() -> None:
    read, write = os.pipe()
    try:
        command = [sys.executable, "-c", MAIN, str(write)]
        subprocess.run(command, pass_fds=(write,), check=True)
    finally:
        os.close(write)
    with os.fdopen(read, "rb") as pipe:
        said = pipe.read()  # until the worker, the last writer, has ended
    assert said == b""
