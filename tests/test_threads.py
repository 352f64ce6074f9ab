"""`threads.Background`: a thread started without waiting for it, joined at its end."""

from __future__ import annotations

import sys
import threading
import time

import pytest

from scanner.threads import Background


def test_join_waits_for_the_function_and_its_effects_are_seen() -> None:
    gate = threading.Event()
    seen: list[int] = []

    def work(value: int) -> None:
        gate.wait(10)
        seen.append(value)

    thread = Background(work, 7)
    assert thread.is_alive()
    thread.join(timeout=0.01)  # returns while the function still waits
    assert thread.is_alive() and not seen
    gate.set()
    thread.join(timeout=10)
    assert not thread.is_alive() and seen == [7]
    thread.join()  # joining again returns at once


def test_a_function_that_raises_still_ends_its_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    reported: list[type[BaseException] | None] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda raised: reported.append(raised.exc_type))

    def fail() -> None:
        raise OSError("the pipe is gone")

    thread = Background(fail)
    thread.join(timeout=10)
    assert not thread.is_alive()
    waited = time.monotonic() + 10
    while not reported and time.monotonic() < waited:  # reported once the thread unwinds
        time.sleep(0.01)
    assert reported == [OSError]  # as a threading.Thread's exception would be


def test_it_is_not_a_thread_the_interpreter_waits_for_at_exit() -> None:
    gate = threading.Event()
    thread = Background(gate.wait, 10)
    try:
        assert all(t.daemon or t is threading.main_thread() for t in threading.enumerate())
    finally:
        gate.set()
        thread.join(timeout=10)
