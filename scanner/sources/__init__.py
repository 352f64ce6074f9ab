"""Where bytes come from: a `Source` yields Items (and warnings, and skips).

Sources are made from the config in one place, `scanner.sources.build`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from scanner.model import Item, ScanWarning


class SkipReason(StrEnum):
    """Why an input was deliberately not scanned: the keys of `Report.skipped`."""

    BINARY = "binary"
    TOO_LARGE = "too-large"
    EXCLUDED = "excluded"
    SYMLINK = "symlink"
    SUBMODULE = "submodule"
    DUPLICATE_BLOB = "duplicate-blob"
    NOT_A_REGULAR_FILE = "not-a-regular-file"
    RUNTIME_DATA = "runtime-data"
    """Caches, sockets and browser profiles of a workstation (the sweep's own excludes)."""


@dataclass(frozen=True)
class Skipped:
    """An input deliberately not scanned (excluded, too large, binary, duplicate blob)."""

    path: str
    reason: SkipReason


SourceEvent = Item | ScanWarning | Skipped


def too_large(path: str, limit: int) -> ScanWarning:
    """The one warning for a file over the size limit, wherever it is noticed."""
    return ScanWarning(path, f"over the size limit of {limit} bytes; skipped")


class Source(Protocol):
    """Anything that enumerates items to scan.

    `events()` yields Items, ScanWarnings (the input was bad: the scan goes on)
    and Skipped notes. Items may carry `data` (git blobs) or leave it None to be
    read from `origin.fs_path` by the worker (files).
    """

    def events(self) -> Iterator[SourceEvent]: ...

    @property
    def roots(self) -> tuple[str, ...]: ...
