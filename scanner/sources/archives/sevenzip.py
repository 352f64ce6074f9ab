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

from scanner.sources.archives.budget import Budget, MemberEvent, admit, damaged
from scanner.sources.archives.names import safe_name
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
    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.made: dict[str, _Writer] = {}

    def create(self, filename: str) -> Py7zIO:
        writer = _Writer(self.budget.limit_for(filename), self.budget)
        self.made[filename] = writer
        return writer


def members(data: bytes, budget: Budget, where: str) -> Iterator[MemberEvent]:
    factory = _Factory(budget)
    try:
        with py7zr.SevenZipFile(io.BytesIO(data)) as archive:
            if archive.needs_password():
                yield Unscanned(where, "encrypted 7z archive; not opened")
                return
            targets: list[str] = []
            yield from _targets(archive, budget, where, targets)
            if budget.stopped:
                return
            if targets:
                archive.extract(targets=targets, factory=factory)
    except _OverBudget:
        budget.stopped = True
        yield Unscanned(where, f"archive bomb? stopped at {budget.used} bytes")
        return
    except Exception as exc:  # py7zr raises many types on damaged input
        yield damaged(where, "7z archive", exc)
        return
    for filename, writer in factory.made.items():
        yield (safe_name(filename), bytes(writer.buffer))


def _targets(
    archive: py7zr.SevenZipFile, budget: Budget, where: str, targets: list[str]
) -> Iterator[MemberEvent]:
    """Members worth inflating, by their declared sizes."""
    for info in archive.list():
        if info.is_directory:
            continue
        refused = admit(budget, where, safe_name(info.filename), info.uncompressed or 0)
        if refused is None:
            targets.append(info.filename)
        else:
            yield refused
        if budget.stopped:
            return
