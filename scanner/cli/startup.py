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
"""

from __future__ import annotations

import gc

LATE_RESUME = frozenset({"scan", "git"})
"""Commands that resume the collector themselves, just before their scan."""

_paused = False
"""Whether `pause` turned the collector off and `resume` has not yet turned it on."""


def pause() -> None:
    """The collector off, if it was on (remembered for `resume`)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """The collector back on, only if `pause` turned it off."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
