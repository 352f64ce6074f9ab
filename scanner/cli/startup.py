"""The garbage collector during start-up.

Start-up (imports, Click, the command's modules) allocates only objects that
live as long as the process, and the collector's passes over them found nothing
to free while costing a pre-commit hook several milliseconds. So the console
script starts with the collector off, and turns it back on before any real work:
at once for most commands, and for `scan` and `git` just before the scan, after
freezing what start-up made (`gc.freeze`: later passes skip it).

Only a collector that `pause` itself turned off is turned back on: a program
that calls the CLI in-process (`CliRunner().invoke(cli, ...)`) with the collector
off keeps it off, and nothing of its is frozen.

During a scan the collector runs less often (`SCAN_THRESHOLDS`, set by
`resume(scanning=True)` and put back by `finished`): nearly everything a scan
allocates is freed by reference counting, and the default first threshold (700
allocations) made a Django replay's main process run 210-245 collections, 39-59 ms
of CPU, and its worker 93-120 collections, 18-27 ms; at these thresholds 22
collections, 13-22 ms, in the main process and none in the worker (forked after,
it inherits them), with the same peak RSS. Cyclic garbage still goes at the
latest after 50,000 net allocations of containers.
"""

from __future__ import annotations

import gc

LATE_RESUME = frozenset({"scan", "git"})
"""Commands that resume the collector themselves, just before their scan."""

SCAN_THRESHOLDS = (50_000, 20, 100)
"""`gc.set_threshold` during a scan (the default is 700, 10, 10)."""

_paused = False
"""Whether `pause` turned the collector off and `resume` has not yet turned it on."""
_thresholds: tuple[int, int, int] | None = None
"""The thresholds `resume(scanning=True)` replaced, for `finished`."""


def pause() -> None:
    """The collector off, if it was on (remembered for `resume`)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume(*, scanning: bool = False) -> None:
    """The collector back on, only if `pause` turned it off; for a scan
    (`scanning`), at `SCAN_THRESHOLDS` until `finished`."""
    global _paused, _thresholds
    if _paused:
        _paused = False
        gc.freeze()
        if scanning:
            _thresholds = gc.get_threshold()
            gc.set_threshold(*SCAN_THRESHOLDS)
        gc.enable()


def finished() -> None:
    """The command is over: the collector on (if `pause` turned it off) at the
    thresholds it had before the scan."""
    global _thresholds
    resume()
    if _thresholds is not None:
        gc.set_threshold(*_thresholds)
        _thresholds = None
