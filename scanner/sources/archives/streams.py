"""gz, bz2 and xz: one compressed stream each; a tar inside is opened at the same level."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
from collections.abc import Callable, Iterator

from scanner.sources.archives import tarcheck, tars
from scanner.sources.archives.budget import DAMAGE, Budget, MemberEvent, admit, damaged, read

OPENERS: dict[str, Callable[[io.BytesIO], io.BufferedIOBase]] = {
    "gz": lambda f: gzip.GzipFile(fileobj=f),
    "bz2": lambda f: bz2.BZ2File(f),
    "xz": lambda f: lzma.LZMAFile(f),  # noqa: SIM115
}


def reader(kind: str) -> Callable[[bytes, Budget, str], Iterator[MemberEvent]]:
    """The member reader of one stream kind."""

    def members(data: bytes, budget: Budget, where: str) -> Iterator[MemberEvent]:
        return _members(kind, data, budget, where)

    return members


def _members(kind: str, data: bytes, budget: Budget, where: str) -> Iterator[MemberEvent]:
    name = unsuffixed(where.rsplit("!", 1)[-1].rsplit("/", 1)[-1])
    try:
        is_tar = tarcheck.looks_like_tar(OPENERS[kind](io.BytesIO(data)).read(512))
        limit = budget.room if is_tar else budget.max_file_size
        got = read(OPENERS[kind](io.BytesIO(data)), limit, budget, where, name)
    except DAMAGE as exc:
        yield damaged(where, f"or truncated {kind} stream", exc)
        return
    if not isinstance(got, bytes):
        yield got
    elif is_tar:
        yield from tars.members(got, budget, where)
    elif refused := admit(budget, where, name):
        yield refused
    else:
        yield (name, got)


def unsuffixed(name: str) -> str:
    for suffix, replacement in ((".tgz", ".tar"), (".gz", ""), (".bz2", ""), (".xz", "")):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] + replacement
    return name + ".out"
