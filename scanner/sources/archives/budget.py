"""One budget for a whole archive tree, and the one place that charges it.

Nested archives share a budget (members, decompressed bytes), so a zip of zips
cannot multiply its limits. Every format asks `admit` before it inflates a
member (counting it and checking the size its header declares) and reads
through `read`, which charges bytes as they come, whatever the header said.
"""

from __future__ import annotations

import io
import lzma
import re
import tarfile
import zlib
from dataclasses import dataclass
from typing import IO

from scanner.config import Config
from scanner.sources import Skipped, SkipReason, SourceEvent
from scanner.sources.archives.outside import Outside
from scanner.unscanned import Unscanned

CHUNK = 1024 * 1024
ARCHIVE_SUFFIXES = (".zip", ".jar", ".war", ".ear", ".apk", ".tar", ".tgz", ".gz", ".7z")
DAMAGE = (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError, tarfile.TarError)
"""What the standard library's readers raise on damaged or truncated input."""

_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'" r'|"(?:[^"\\]|\\.)*"')
"""A name `zipfile` quotes in its messages ("Bad CRC-32 for file 'x'"): the path
already names the member, and a name is scanned bytes."""
Member = tuple[str, bytes]
MemberEvent = Member | SourceEvent | Outside


@dataclass
class Budget:
    """What is left for the rest of one archive tree."""

    members: int
    bytes: int
    max_file_size: int
    max_members: int
    used: int = 0
    stopped: bool = False

    @classmethod
    def of(cls, config: Config) -> Budget:
        members = config.archive_max_members
        return cls(members, config.archive_max_bytes, config.max_file_size, members)

    @property
    def room(self) -> int:
        return self.bytes - self.used

    def limit_for(self, name: str) -> int:
        """Nested archives may use the whole budget; other members the file size limit."""
        return self.room if name.lower().endswith(ARCHIVE_SUFFIXES) else self.max_file_size


def admit(budget: Budget, where: str, name: str, declared: int = 0) -> SourceEvent | None:
    """Charge one member whose header declares `declared` bytes: None when it may be
    read, else why not. Past the member limit or the byte budget the rest of the
    tree is unscanned (`budget.stopped`); a member merely over the size limit is
    skipped."""
    budget.members -= 1
    if budget.members < 0:
        budget.stopped = True
        return Unscanned(
            where, f"more than {budget.max_members} archive members; the rest not scanned"
        )
    if declared <= budget.limit_for(name):
        return None
    if declared > budget.room:
        budget.stopped = True
        return Unscanned(
            where, f"archive bomb? stopped at {budget.used} bytes ({name} claims {declared} bytes)"
        )
    return Skipped(f"{where}!{name}", SkipReason.TOO_LARGE)


def read(
    stream: IO[bytes] | io.BufferedIOBase, limit: int, budget: Budget, where: str, name: str
) -> bytes | SourceEvent:
    """Up to `limit` bytes, in chunks; the budget is charged as we go."""
    out = bytearray()
    while True:
        room = min(limit + 1 - len(out), budget.room + 1, CHUNK)
        chunk = stream.read(room) if room > 0 else b""
        budget.used += len(chunk)
        out += chunk
        if budget.used > budget.bytes:
            budget.stopped = True
            return Unscanned(where, f"archive bomb? stopped at {budget.used} bytes (in {name})")
        if len(out) > limit:
            return Skipped(f"{where}!{name}", SkipReason.TOO_LARGE)
        if not chunk:
            return bytes(out)


def damaged(where: str, what: str, exc: BaseException) -> Unscanned:
    """An archive or member the reader choked on (a wrong CRC, cut short, an unknown
    compression): what it holds was not read, so it is unscanned content, which
    fails the gate, in words that quote nothing."""
    from scanner.errors import safe_reason

    return Unscanned(where, f"damaged {what}: {_QUOTED.sub('(a name)', safe_reason(exc))}")
