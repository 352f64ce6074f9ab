"""Trying the well-known passphrases, within a budget.

A key that opens with an empty or default passphrase is as good as
unprotected. The passphrase that worked is never returned or kept: callers
learn only that one did.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from scanner.keys.errors import PARSE_ERRORS

T = TypeVar("T")

TIME_BUDGET = 3.0
"""CPU seconds spent trying passphrases on one key, at most. CPU time, not wall
time: a loaded machine must not change which keys are found to open."""
SLOW_KDF_ATTEMPTS = 6
"""Attempts for deliberately slow KDFs (bcrypt-pbkdf, Argon2, high PBKDF2 counts)."""


def try_passphrases(
    opener: Callable[[bytes], T],
    passphrases: Sequence[str],
    *,
    cost: str = "normal",
    budget: float = TIME_BUDGET,
) -> T | None:
    """The first non-None result of `opener(passphrase)`, or None.

    `opener` returns None (or raises ValueError/TypeError) for a wrong
    passphrase. `cost` is "normal", "slow" (only the first few candidates are
    tried) or "skip" (none is: the key derivation would stall the scan).
    """
    if cost == "skip":
        return None
    candidates = list(dict.fromkeys(passphrases))
    if cost == "slow":
        candidates = candidates[:SLOW_KDF_ATTEMPTS]
    started = time.process_time()
    for candidate in candidates:
        if time.process_time() - started > budget:
            break
        try:
            result = opener(candidate.encode("utf-8"))
        except PARSE_ERRORS:
            continue
        if result is not None:
            return result
    return None
