"""Bytes already in memory as a Source: a name and its content per item.

For library callers whose input is not a file (a request body, a row from a
database, a message from a queue) and for pipeline tests that need no disk, no
git and no command line. The bytes go through every stage as a file's would.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from scanner.model import Item, Origin, SourceKind
from scanner.sources import SourceEvent


@dataclass(frozen=True)
class MemorySource:
    """`events` as given: Items (with their bytes), warnings and skips."""

    events_given: Sequence[SourceEvent] = ()
    root: str = "<memory>"

    @classmethod
    def of(cls, contents: Mapping[str, bytes], root: str = "<memory>") -> MemorySource:
        """One item per name, holding its bytes."""
        return cls(tuple(item(name, data) for name, data in contents.items()), root)

    @property
    def roots(self) -> tuple[str, ...]:
        return (self.root,)

    def events(self) -> Iterator[SourceEvent]:
        yield from self.events_given


def item(name: str, data: bytes, *, blob_id: str | None = None) -> Item:
    """An item named `name` holding `data` (a `blob_id` makes it a git blob's twin)."""
    origin = Origin(path=name, source=SourceKind.FILE)
    return Item(origin=origin, data=data, blob_id=blob_id, size=len(data))
