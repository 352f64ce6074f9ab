"""Where bytes come from: a `Source` yields Items (and warnings, and skips)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from scanner.model import Item, ScanError


@dataclass(frozen=True)
class Skipped:
    """An input deliberately not scanned (excluded, too large, binary, duplicate blob)."""

    path: str
    reason: str


SourceEvent = Item | ScanError | Skipped


def too_large(path: str, limit: int) -> ScanError:
    """The one warning for a file over the size limit, wherever it is noticed."""
    return ScanError(path, f"over the size limit of {limit} bytes; skipped")


class Source(Protocol):
    """Anything that enumerates items to scan.

    `events()` yields Items, ScanErrors (the input was bad: the scan goes on)
    and Skipped notes. Items may carry `data` (git blobs) or leave it None to be
    read from `origin.fs_path` by the worker (files).
    """

    def events(self) -> Iterator[SourceEvent]: ...

    @property
    def roots(self) -> tuple[str, ...]: ...
