"""Archives opened in memory: zip (jar, war, apk, docx …), tar, gz, bz2, xz and 7z.

`is_archive` goes by magic bytes (a v7 tar by extension and header checksum, a
zip behind a Windows executable stub by the end of its central directory);
key containers (.p12, .jks, …: the key-format table, `keys.formats`) never
count. `expand` yields members as Items with `origin.archive_member` set
('inner.tar!dir/key.pem'), warnings and Skipped notes. Nested archives are
opened here, so one budget (`budget.py`) covers the tree: `archive_max_depth`
levels, `archive_max_members` members, `archive_max_bytes` decompressed bytes,
read in chunks whatever headers claim. Nothing touches disk.

One module per kind of archive (`zips`, `tars`, `streams`, `sevenzip`), each
a member reader in `readers()`; every one of them asks `budget.admit` before it
inflates a member. A zip's or tar's own bytes outside the members read come out
as one more member, `(outside members)`, as text (`outside`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING

from scanner.config import Config
from scanner.model import Item, ScanWarning
from scanner.sources import SourceEvent
from scanner.sources.archives.names import safe_name
from scanner.unscanned import Unscanned

if TYPE_CHECKING:  # the budget imports tarfile and lzma: only `expand` needs it
    from scanner.sources.archives.budget import Budget, MemberEvent

MemberReader = Callable[[bytes, "Budget", str], Iterator["MemberEvent"]]
_MAGIC = (
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"\x1f\x8b\x08", "gz"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
)


_ZIP_END_REACH = 22 + 65535
"""How far from its end a zip's end-of-central-directory record can start (its
size plus the longest comment)."""
_LEADS = frozenset(magic[0] for magic, _ in _MAGIC) | {b"B"[0]}
"""The first byte of every magic (bz2's `BZh` too): most items start otherwise."""


def kind_of(path: str, data: bytes) -> str | None:
    """zip | zip-stub | tar | gz | bz2 | xz | 7z, or None for anything else."""
    if len(data) < 6:
        return None
    return _kind_by_content(path, data)  # whatever the name: no key format starts so


def _kind_by_content(path: str, data: bytes) -> str | None:
    """Asked of every item, so it copies nothing and lower-cases only a suffix."""
    if data[0] in _LEADS:
        for magic, kind in _MAGIC:
            if data.startswith(magic):
                return kind
        if data.startswith(b"BZh") and data.startswith(b"1AY&SY", 4):
            return "bz2"
    if data.startswith(b"ustar", 257) or (path[-4:].lower() == ".tar" and _v7_tar(data)):
        return "tar"
    if data.startswith(b"MZ") and data.rfind(b"PK\x05\x06", -_ZIP_END_REACH) >= 0:
        return "zip-stub"  # a self-extracting zip: `zips.stubbed` decides
    return None


def is_archive(path: str, data: bytes) -> bool:
    return kind_of(path, data) is not None


def expand(item: Item, data: bytes, config: Config) -> Iterator[SourceEvent]:
    """Every member of the archive `data` (and of archives inside it)."""
    from scanner.sources.archives.budget import Budget

    budget = Budget.of(config)
    level = 0 if item.origin.archive_member is None else item.origin.archive_member.count("!") + 1
    yield from _expand(item, data, config.archive_max_depth, budget, level)


def _expand(
    item: Item, data: bytes, max_depth: int, budget: Budget, level: int
) -> Iterator[SourceEvent]:
    from scanner.sources.archives.outside import OUTSIDE, Outside  # not on a hook's path

    kind = kind_of(item.origin.archive_member or item.origin.path, data)
    for event in readers()[kind or "zip"](data, budget, _where(item)):
        if isinstance(event, tuple):
            yield from _nested(item, event, max_depth, budget, level)
        elif isinstance(event, Outside):  # text, never an archive to open
            yield _member(item, OUTSIDE, event.data)
        else:
            yield event
        if budget.stopped:
            return


def _nested(
    item: Item, member: tuple[str, bytes], max_depth: int, budget: Budget, level: int
) -> Iterator[SourceEvent]:
    """A member as an Item, or the members of the archive it is."""
    name, content = member
    inner = _member(item, name, content)
    if not is_archive(name, content):
        yield inner
    elif level + 1 >= max_depth:
        yield Unscanned(_where(inner), f"archive nested deeper than {level + 1}; not opened")
    else:
        yield from _expand(inner, content, max_depth, budget, level + 1)


def _member(item: Item, name: str, content: bytes) -> Item:
    return Item(
        origin=replace(item.origin, archive_member=_nest(item, name)),
        data=content,
        size=len(content),
    )


def _where(item: Item) -> str:
    return "!".join(filter(None, (item.origin.path, item.origin.archive_member)))


def _nest(item: Item, name: str) -> str:
    return "!".join(filter(None, (item.origin.archive_member, name)))


def _sevenzip(data: bytes, budget: Budget, where: str) -> Iterator[MemberEvent]:
    try:
        from scanner.sources.archives import sevenzip
    except ImportError:
        yield ScanWarning(where, "7z archive not opened: py7zr is not installed")
        return
    yield from sevenzip.members(data, budget, where)


@cache
def readers() -> dict[str, MemberReader]:
    """The member reader of each kind of archive: the one table of archive kinds.
    Built on first use, so a scan that meets no archive never imports tarfile, lzma
    or the readers (the pre-commit hook starts faster)."""
    from scanner.sources.archives import streams, tars, zips

    return {
        "zip": zips.members,
        "zip-stub": zips.stubbed,
        "tar": tars.members,
        "gz": streams.reader("gz"),
        "bz2": streams.reader("bz2"),
        "xz": streams.reader("xz"),
        "7z": _sevenzip,
    }


def _v7_tar(data: bytes) -> bool:
    from scanner.sources.archives.tarcheck import v7_header_ok

    return v7_header_ok(data)


__all__ = ["expand", "is_archive", "kind_of", "readers", "safe_name"]
