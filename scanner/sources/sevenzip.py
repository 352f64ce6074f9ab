"""7z archives through py7zr, an optional dependency (`pip install keysweep[7z]`).

py7zr inflates a member whole before handing it over, so the sizes the header
declares are checked against the budget first, and the writer stops at the
bound whatever the header said. Members stay in memory.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import py7zr
from py7zr.io import Py7zIO, WriterFactory

from scanner.config import Config
from scanner.errors import safe_reason
from scanner.model import ScanWarning
from scanner.sources.archives import (
    Budget,
    MemberEvent,
    count_member,
    declared_too_large,
    member_limit,
    safe_name,
)
from scanner.unscanned import Unscanned


class _OverBudget(Exception):
    pass


class _Writer(Py7zIO):
    """An in-memory member that refuses to grow past its limit or the tree budget."""

    def __init__(self, limit: int, budget: Budget) -> None:
        self.buffer = bytearray()
        self.limit = limit
        self.budget = budget

    def write(self, s: bytes | bytearray) -> int:
        self.buffer += s
        self.budget.used += len(s)
        if len(self.buffer) > self.limit or self.budget.used > self.budget.bytes:
            raise _OverBudget
        return len(s)

    def read(self, size: int | None = None) -> bytes:
        return bytes(self.buffer)

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def flush(self) -> None:
        return None

    def size(self) -> int:
        return len(self.buffer)


class _Factory(WriterFactory):
    def __init__(self, config: Config, budget: Budget) -> None:
        self.config = config
        self.budget = budget
        self.made: dict[str, _Writer] = {}

    def create(self, filename: str) -> Py7zIO:
        writer = _Writer(member_limit(filename, self.config, self.budget), self.budget)
        self.made[filename] = writer
        return writer


def members(data: bytes, config: Config, budget: Budget, where: str) -> Iterator[MemberEvent]:
    factory = _Factory(config, budget)
    try:
        with py7zr.SevenZipFile(io.BytesIO(data)) as archive:
            if archive.needs_password():
                yield Unscanned(where, "encrypted 7z archive; not opened")
                return
            targets: list[str] = []
            yield from _targets(archive, config, budget, where, targets)
            if budget.stopped:
                return
            if targets:
                archive.extract(targets=targets, factory=factory)
    except _OverBudget:
        budget.stopped = True
        yield Unscanned(where, f"archive bomb? stopped at {budget.used} bytes")
        return
    except Exception as exc:  # py7zr raises many types on damaged input
        yield ScanWarning(where, f"damaged 7z archive: {safe_reason(exc)}")
        return
    for filename, writer in factory.made.items():
        yield (safe_name(filename), bytes(writer.buffer))


def _targets(
    archive: py7zr.SevenZipFile,
    config: Config,
    budget: Budget,
    where: str,
    targets: list[str],
) -> Iterator[MemberEvent]:
    """Members worth inflating, by their declared sizes."""
    for info in archive.list():
        if info.is_directory:
            continue
        name = safe_name(info.filename)
        if over := count_member(budget, where, config.archive_max_members):
            yield over
            return
        declared = info.uncompressed or 0
        if declared > member_limit(name, config, budget):
            yield from declared_too_large(declared, config, budget, where, name)
            if budget.stopped:
                return
            continue
        targets.append(info.filename)
