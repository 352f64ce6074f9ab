"""Archives opened in memory (stub: the sweep room replaces this).

CONTRACT: is_archive(path, data) -> bool; expand(item, data, config) yields member
Items (origin.archive_member set, nested as 'a.zip!b/c.tar!d'), ScanErrors and
Skipped, bounded by config.archive_max_members and archive_max_bytes.
"""

from __future__ import annotations

from collections.abc import Iterator

from scanner.config import Config
from scanner.model import Item
from scanner.sources import SourceEvent


def is_archive(path: str, data: bytes) -> bool:
    return False


def expand(item: Item, data: bytes, config: Config) -> Iterator[SourceEvent]:
    return iter(())
