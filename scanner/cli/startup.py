"""The garbage collector during start-up.

Start-up (imports, Click, the command's modules) allocates only objects that
live as long as the process, and the collector's passes over them found nothing
to free while costing a pre-commit hook several milliseconds. So the console
script starts with the collector off, and turns it back on before any real work:
at once for most commands, and for `scan` and `git` just before the scan, after
freezing what start-up made (`gc.freeze`: later passes skip it).
"""

from __future__ import annotations

import gc

LATE_RESUME = frozenset({"scan", "git"})
"""Commands that resume the collector themselves, just before their scan."""


def pause() -> None:
    gc.disable()


def resume() -> None:
    """The collector back on (nothing to do when it was never paused)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
