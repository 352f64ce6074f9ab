"""Standard input as one item (`keysweep scan -`), shown under `--stdin-name`.

Read whole and bounded by the size limit, so a pipe of any length cannot exhaust
memory; what is over the limit is a warning, as for a file."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from scanner.config import DEFAULT_MAX_FILE_SIZE
from scanner.model import Item, Origin, SourceKind
from scanner.sources import Skipped, SkipReason, SourceEvent, too_large

DEFAULT_NAME = "<stdin>"


@dataclass
class StdinSource:
    stream: BinaryIO
    name: str = DEFAULT_NAME
    max_file_size: int = DEFAULT_MAX_FILE_SIZE

    @property
    def roots(self) -> tuple[str, ...]:
        return ("-",)

    def events(self) -> Iterator[SourceEvent]:
        data = self.stream.read(self.max_file_size + 1)
        if len(data) > self.max_file_size:
            yield Skipped(self.name, SkipReason.TOO_LARGE)
            yield too_large(self.name, self.max_file_size)
            return
        yield Item(origin=Origin(path=self.name, source=SourceKind.FILE), data=data, size=len(data))
