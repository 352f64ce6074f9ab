"""Good manners on a person's machine: the lowest CPU and I/O priority the OS allows.

`lower_priority()` never fails: every step is best effort, and a step the OS
refuses is simply skipped. Worker processes call it too (pipeline.py's pool
initialiser), and forked workers inherit what the parent already set.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import platform
import sys

IOPRIO_CLASS_IDLE = 3
IOPRIO_CLASS_SHIFT = 13
IOPRIO_WHO_PROCESS = 1
_IOPRIO_SET = {"x86_64": 251, "amd64": 251, "aarch64": 30, "arm64": 30, "i686": 289, "i386": 289}
"""ioprio_set system call numbers by machine."""

PRIO_DARWIN_PROCESS = 4
PRIO_DARWIN_BG = 0x1000
IOPOL_TYPE_DISK = 0
IOPOL_SCOPE_PROCESS = 0
IOPOL_THROTTLE = 3

IDLE_PRIORITY_CLASS = 0x40
PROCESS_MODE_BACKGROUND_BEGIN = 0x00100000


def lower_priority() -> None:
    """Lowest CPU priority, idle I/O class, background mode where there is one."""
    try:
        if sys.platform == "win32":
            _windows()
            return
        _nice()
        if sys.platform.startswith("linux"):
            _linux_idle_io()
        elif sys.platform == "darwin":
            _darwin_background()
    except Exception:  # good manners are never worth a crash
        return


def _nice() -> None:
    with contextlib.suppress(OSError, AttributeError):
        current = os.nice(0)
        if current < 19:
            os.nice(19 - current)


def _linux_idle_io() -> None:
    """The idle I/O class: the disk serves us only when nobody else wants it."""
    number = _IOPRIO_SET.get(platform.machine().lower())
    if number is None:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    value = IOPRIO_CLASS_IDLE << IOPRIO_CLASS_SHIFT
    libc.syscall(number, IOPRIO_WHO_PROCESS, 0, value)


def _darwin_background() -> None:
    """Background mode throttles CPU and I/O together; the I/O policy too, to be sure."""
    path = ctypes.util.find_library("c")
    if path is None:
        return
    libc = ctypes.CDLL(path, use_errno=True)
    libc.setpriority(PRIO_DARWIN_PROCESS, 0, PRIO_DARWIN_BG)
    libc.setiopolicy_np(IOPOL_TYPE_DISK, IOPOL_SCOPE_PROCESS, IOPOL_THROTTLE)


def _windows() -> None:
    kernel32 = ctypes.WinDLL("kernel32")  # type: ignore[attr-defined,unused-ignore]
    process = kernel32.GetCurrentProcess()
    kernel32.SetPriorityClass(process, IDLE_PRIORITY_CLASS)
    kernel32.SetPriorityClass(process, PROCESS_MODE_BACKGROUND_BEGIN)


def current_io_class() -> int | None:
    """The I/O priority class of this process on Linux (for tests and the report)."""
    number = _IOPRIO_SET.get(platform.machine().lower())
    if not sys.platform.startswith("linux") or number is None:
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    value = int(libc.syscall(number + 1, IOPRIO_WHO_PROCESS, 0))
    return None if value < 0 else value >> IOPRIO_CLASS_SHIFT
