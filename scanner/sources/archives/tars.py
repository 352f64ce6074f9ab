"""Tar members, read only after `tarcheck` walked every header itself.

`tarfile` is stopped past the number of headers the walk counted, so a header
it would read differently from the walk never reaches it. The bytes outside the
members read (headers: names, link names, PAX records; a member that could not
be read; a tar refused or cut short) are scanned as text too (`outside`).
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator

from scanner.sources.archives import tarcheck
from scanner.sources.archives.budget import DAMAGE, Budget, MemberEvent, admit, damaged, read
from scanner.sources.archives.names import safe_name
from scanner.sources.archives.outside import residue
from scanner.unscanned import Unscanned


def members(data: bytes, budget: Budget, where: str) -> Iterator[MemberEvent]:
    spans: list[tuple[int, int]] = []
    yield from _members(data, budget, where, spans)
    left = None if budget.stopped else residue(data, spans)
    if left is not None:
        yield left


def _members(
    data: bytes, budget: Budget, where: str, spans: list[tuple[int, int]]
) -> Iterator[MemberEvent]:
    """The members; `spans` gets the byte range of each one read."""
    shape = tarcheck.check(data, max_headers=2 * budget.max_members + 16)
    if shape.problem is not None:
        yield Unscanned(where, f"tar archive refused: {shape.problem}")
        return
    try:
        archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:")  # noqa: SIM115
    except DAMAGE as exc:
        yield damaged(where, "tar archive", exc)
        return
    try:
        for info, event in _walk(archive, shape.headers, budget, where):
            if isinstance(event, tuple):
                spans.append((info.offset_data, info.offset_data + info.size))
            yield event
    except DAMAGE as exc:
        yield damaged(where, "or truncated tar archive", exc)


def _walk(
    archive: tarfile.TarFile, headers: int, budget: Budget, where: str
) -> Iterator[tuple[tarfile.TarInfo, MemberEvent]]:
    """Each member's events, with the member they are of."""
    for seen, info in enumerate(archive, start=1):
        if seen > headers:  # tarfile read a header the check did not: stop
            yield info, Unscanned(where, "tar archive refused: headers out of order")
            return
        if info.isfile():
            for event in _member(archive, info, budget, where):
                yield info, event
        if budget.stopped:
            return


def _member(
    archive: tarfile.TarFile, info: tarfile.TarInfo, budget: Budget, where: str
) -> Iterator[MemberEvent]:
    name = safe_name(info.name)
    refused = admit(budget, where, name, info.size)
    if refused is not None:
        yield refused
        return
    stream = archive.extractfile(info)
    if stream is not None:
        got = read(stream, budget.limit_for(name), budget, where, name)
        yield (name, got) if isinstance(got, bytes) else got
