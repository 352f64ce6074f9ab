"""Zip members (jar, war, apk, docx …): encrypted members are reported, never guessed.

The bytes outside the members read (comments, extra fields, names, a local entry
the central directory does not list, a member that could not be read, an archive
that could not be opened) are scanned as text too (`outside`). A zip behind a
Windows executable stub (a self-extracting `setup.exe`) is read as a zip when its
index opens, its stub left out; when it does not open, the file is the binary it
looked like.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Iterator

from scanner.sources import Skipped, SkipReason
from scanner.sources.archives.budget import DAMAGE, Budget, MemberEvent, admit, damaged, read
from scanner.sources.archives.names import safe_name
from scanner.sources.archives.outside import gaps, residue
from scanner.unscanned import Unscanned

_MEMBER_DAMAGE = (zipfile.BadZipFile, NotImplementedError, RuntimeError, *DAMAGE)
_LOCAL = b"PK\x03\x04"
Spans = list[tuple[int, int]]


def members(data: bytes, budget: Budget, where: str) -> Iterator[MemberEvent]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, *DAMAGE) as exc:
        yield damaged(where, "zip archive", exc)
        yield from _outside(data, [])
        return
    yield from _all(archive, infos, data, budget, where, [])


def stubbed(data: bytes, budget: Budget, where: str) -> Iterator[MemberEvent]:
    """A zip after an executable stub; a file whose index does not open, or lists
    nothing, is skipped as the binary it was taken for before."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, *DAMAGE):
        infos = []
    if not infos:
        yield Skipped(where, SkipReason.BINARY)
        return
    stub = min(info.header_offset for info in infos)
    yield from _all(archive, infos, data, budget, where, [(0, stub)])


def _all(
    archive: zipfile.ZipFile,
    infos: list[zipfile.ZipInfo],
    data: bytes,
    budget: Budget,
    where: str,
    spans: Spans,
) -> Iterator[MemberEvent]:
    """Every member, then what the members read leave out of `data`."""
    for info in infos:
        for event in () if info.is_dir() else _member(archive, info, budget, where):
            if isinstance(event, tuple):  # read whole: its stored bytes are not left over
                spans.append(_data_span(data, info))
            yield event
        if budget.stopped:
            return
    listed = {info.header_offset for info in infos}
    if any(at not in listed for at in _local_headers(data, spans)):
        yield Unscanned(where, "a zip entry its central directory does not list; not opened")
    yield from _outside(data, spans)


def _member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget, where: str
) -> Iterator[MemberEvent]:
    name = safe_name(info.filename)
    encrypted = bool(info.flag_bits & 0x1)
    refused = admit(budget, where, name, 0 if encrypted else info.file_size)
    if refused is not None:
        yield refused
    elif encrypted:
        yield Unscanned(f"{where}!{name}", "encrypted archive member; not opened")
    else:
        try:
            with archive.open(info) as stream:
                got = read(stream, budget.limit_for(name), budget, where, name)
        except _MEMBER_DAMAGE as exc:
            yield damaged(f"{where}!{name}", "archive member", exc)
            return
        yield (name, got) if isinstance(got, bytes) else got


def _data_span(data: bytes, info: zipfile.ZipInfo) -> tuple[int, int]:
    """Where the member's stored bytes lie (after its local header, name and extra)."""
    name, extra = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + name + extra
    return start, start + info.compress_size


def _local_headers(data: bytes, spans: Spans) -> Iterator[int]:
    """Offsets of local entry signatures in `data` outside the members read."""
    for start, end in gaps(len(data), spans):
        at = data.find(_LOCAL, start, end)
        while at >= 0:
            yield at
            at = data.find(_LOCAL, at + 4, end)


def _outside(data: bytes, spans: Spans) -> Iterator[MemberEvent]:
    left = residue(data, spans)
    if left is not None:
        yield left
