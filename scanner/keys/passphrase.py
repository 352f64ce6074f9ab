"""Trying the well-known passphrases, within a budget.

A key that opens with an empty or default passphrase is as good as
unprotected. The passphrase that worked is never returned or kept: callers
learn only that one did.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

TIME_BUDGET = 3.0
"""CPU seconds spent trying passphrases on one key, at most. CPU time, not wall
time: a loaded machine must not change which keys are found to open."""
SLOW_KDF_ATTEMPTS = 6
FILE_BUDGET = 10.0
"""CPU seconds spent trying passphrases on all the keys of one file, at most: a
small file can hold many costly keys."""
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
    if cost == "skip" or (FILE.active and FILE.spent >= FILE_BUDGET):
        return None
    candidates = list(dict.fromkeys(passphrases))
    if cost == "slow":
        candidates = candidates[:SLOW_KDF_ATTEMPTS]
    from scanner.keys.errors import PARSE_ERRORS  # cryptography: only when a key is opened

    started = time.process_time()
    try:
        for candidate in candidates:
            used = time.process_time() - started
            if used > budget or (FILE.active and FILE.spent + used > FILE_BUDGET):
                break
            try:
                result = opener(candidate.encode("utf-8"))
            except PARSE_ERRORS:
                continue
            if result is not None:
                return result
        return None
    finally:
        FILE.spent += time.process_time() - started


@dataclass
class _FileSpend:
    """CPU seconds spent on passphrases for the keys of the item being scanned."""

    active: bool = False
    spent: float = 0.0


FILE = _FileSpend()


@contextlib.contextmanager
def item_budget() -> Iterator[None]:
    """Within this block, all keys share FILE_BUDGET (a scan opens one per item)."""
    begin_item()
    try:
        yield
    finally:
        end_item()


def begin_item() -> None:
    """`item_budget` without a context manager, for the pipeline's loop over
    items (which ends each item with `end_item` in a `finally`): a generator
    context manager per item cost more than all other bookkeeping of an item."""
    FILE.active, FILE.spent = True, 0.0


def end_item() -> None:
    FILE.active, FILE.spent = False, 0.0
