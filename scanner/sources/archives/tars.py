"""Tar members, read only after `tarcheck` walked every header itself.

`tarfile` is stopped past the number of headers the walk counted, so a header
it would read differently from the walk never reaches it.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator

from scanner.sources.archives import tarcheck
from scanner.sources.archives.budget import DAMAGE, Budget, MemberEvent, admit, damaged, read
from scanner.sources.archives.names import safe_name
from scanner.unscanned import Unscanned


def members(data: bytes, budget: Budget, where: str) -> Iterator[MemberEvent]:
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
        yield from _walk(archive, shape.headers, budget, where)
    except DAMAGE as exc:
        yield damaged(where, "or truncated tar archive", exc)


def _walk(
    archive: tarfile.TarFile, headers: int, budget: Budget, where: str
) -> Iterator[MemberEvent]:
    for seen, info in enumerate(archive, start=1):
        if seen > headers:  # tarfile read a header the check did not: stop
            yield Unscanned(where, "tar archive refused: headers out of order")
            return
        if info.isfile():
            yield from _member(archive, info, budget, where)
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
