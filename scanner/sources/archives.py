"""Archives opened in memory: zip (jar, war, apk, docx …), tar, gz, bz2, xz and 7z.

`is_archive` goes by magic bytes (a v7 tar by extension and header checksum);
key containers (.p12, .jks, …) never count. `expand` yields members as Items
with `origin.archive_member` set ('inner.tar!dir/key.pem'), ScanErrors and
Skipped notes. Nested archives are opened here, so one budget covers the tree:
`archive_max_depth` levels, `archive_max_members` members, `archive_max_bytes`
decompressed bytes, read in chunks whatever headers claim. Nothing touches disk.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import posixpath
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import IO

from scanner.config import Config
from scanner.errors import safe_reason
from scanner.model import Item, ScanWarning
from scanner.sources import Skipped, SkipReason, SourceEvent, tarcheck
from scanner.unscanned import Unscanned

CHUNK = 1024 * 1024
KEY_CONTAINERS = (".p12", ".pfx", ".jks", ".jceks", ".keystore", ".bks", ".kdbx")
ARCHIVE_SUFFIXES = (".zip", ".jar", ".war", ".ear", ".apk", ".tar", ".tgz", ".gz", ".7z")
_STREAMS: dict[str, Callable[[io.BytesIO], io.BufferedIOBase]] = {
    "gz": lambda f: gzip.GzipFile(fileobj=f),
    "bz2": lambda f: bz2.BZ2File(f),
    "xz": lambda f: lzma.LZMAFile(f),  # noqa: SIM115
}
_DAMAGE = (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError, tarfile.TarError)


def kind_of(path: str, data: bytes) -> str | None:
    """zip | tar | gz | bz2 | xz | 7z, or None for anything else."""
    name = path.lower()
    if name.endswith(KEY_CONTAINERS) or len(data) < 6:
        return None
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return "zip"
    if data.startswith(b"\x1f\x8b\x08"):
        return "gz"
    if data.startswith(b"BZh") and data[4:10] == b"1AY&SY":
        return "bz2"
    if data.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if data.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    if data[257:262] == b"ustar" or (name.endswith(".tar") and _tar_checksum_ok(data)):
        return "tar"
    return None


def is_archive(path: str, data: bytes) -> bool:
    return kind_of(path, data) is not None


def _tar_checksum_ok(data: bytes) -> bool:
    """A v7 tar has no magic: its first header's checksum must add up."""
    if len(data) < 512:
        return False
    field = data[148:156].replace(b"\x00", b" ").strip()
    try:
        stored = int(field, 8)
    except ValueError:
        return False
    return stored == sum(data[:148]) + 8 * 32 + sum(data[156:512])


@dataclass
class Budget:
    members: int
    bytes: int
    used: int = 0
    stopped: bool = False


def expand(item: Item, data: bytes, config: Config) -> Iterator[SourceEvent]:
    """Every member of the archive `data` (and of archives inside it)."""
    budget = Budget(config.archive_max_members, config.archive_max_bytes)
    level = 0 if item.origin.archive_member is None else item.origin.archive_member.count("!") + 1
    yield from _expand(item, data, config, budget, level)


def _expand(
    item: Item, data: bytes, config: Config, budget: Budget, level: int
) -> Iterator[SourceEvent]:
    where = _where(item)
    kind = kind_of(item.origin.archive_member or item.origin.path, data)
    members = _MEMBERS[kind or "zip"](data, config, budget, where)
    for event in members:
        if not isinstance(event, tuple):
            yield event
            continue
        name, content = event
        member = Item(
            origin=replace(item.origin, archive_member=_nest(item, name)),
            data=content,
            size=len(content),
        )
        if not is_archive(name, content):
            yield member
        elif level + 1 >= config.archive_max_depth:
            yield Unscanned(_where(member), f"archive nested deeper than {level + 1}; not opened")
        else:
            yield from _expand(member, content, config, budget, level + 1)
        if budget.stopped:
            return


def _where(item: Item) -> str:
    return "!".join(filter(None, (item.origin.path, item.origin.archive_member)))


def _nest(item: Item, name: str) -> str:
    return "!".join(filter(None, (item.origin.archive_member, name)))


def safe_name(name: str) -> str:
    """A member path for display: forward slashes, never absolute, no '..'."""
    parts = name.replace("\\", "/").split("/")
    kept = [p for p in parts if p not in ("", ".", "..") and not p.endswith(":")]
    cleaned = posixpath.join(*kept) if kept else "(unnamed)"
    return "".join(c if c.isprintable() else "?" for c in cleaned)


Member = tuple[str, bytes]
MemberEvent = Member | SourceEvent


def count_member(budget: Budget, where: str, limit: int) -> ScanWarning | None:
    """Charge one member; past the member limit, the rest of the tree is unscanned."""
    budget.members -= 1
    if budget.members >= 0:
        return None
    budget.stopped = True
    return Unscanned(where, f"more than {limit} archive members; the rest not scanned")


def _read(
    stream: IO[bytes] | io.BufferedIOBase, limit: int, budget: Budget, where: str, name: str
) -> bytes | SourceEvent:
    """Up to `limit` bytes, in chunks; the archive budget is charged as we go."""
    out = bytearray()
    while True:
        room = min(limit + 1 - len(out), budget.bytes - budget.used + 1, CHUNK)
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


def member_limit(name: str, config: Config, budget: Budget) -> int:
    """Nested archives may use the whole budget; other members the file size limit."""
    if name.lower().endswith(ARCHIVE_SUFFIXES):
        return budget.bytes - budget.used
    return config.max_file_size


def _zip_members(data: bytes, config: Config, budget: Budget, where: str) -> Iterator[MemberEvent]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, *_DAMAGE) as exc:
        yield ScanWarning(where, f"damaged zip archive: {safe_reason(exc)}")
        return
    for info in infos:
        if info.is_dir():
            continue
        name = safe_name(info.filename)
        if over := count_member(budget, where, config.archive_max_members):
            yield over
            return
        if info.flag_bits & 0x1:
            yield Unscanned(f"{where}!{name}", "encrypted archive member; not opened")
            continue
        if info.file_size > member_limit(name, config, budget):
            yield from declared_too_large(info.file_size, config, budget, where, name)
            if budget.stopped:
                return
            continue
        try:
            with archive.open(info) as stream:
                got = _read(stream, member_limit(name, config, budget), budget, where, name)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, *_DAMAGE) as exc:
            yield ScanWarning(f"{where}!{name}", f"damaged archive member: {safe_reason(exc)}")
            continue
        yield (name, got) if isinstance(got, bytes) else got
        if budget.stopped:
            return


def declared_too_large(
    size: int, config: Config, budget: Budget, where: str, name: str
) -> Iterator[SourceEvent]:
    if size > budget.bytes - budget.used:
        budget.stopped = True
        yield Unscanned(
            where, f"archive bomb? stopped at {budget.used} bytes ({name} claims {size} bytes)"
        )
    else:
        yield Skipped(f"{where}!{name}", SkipReason.TOO_LARGE)


def _tar_members(data: bytes, config: Config, budget: Budget, where: str) -> Iterator[MemberEvent]:
    shape = tarcheck.check(data, max_headers=2 * config.archive_max_members + 16)
    if shape.problem is not None:
        yield Unscanned(where, f"tar archive refused: {shape.problem}")
        return
    try:
        archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:")  # noqa: SIM115
    except _DAMAGE as exc:
        yield ScanWarning(where, f"damaged tar archive: {safe_reason(exc)}")
        return
    try:
        for seen, info in enumerate(archive, start=1):
            if seen > shape.headers:  # tarfile read a header the check did not: stop
                yield Unscanned(where, "tar archive refused: headers out of order")
                return
            if not info.isfile():
                continue
            name = safe_name(info.name)
            if over := count_member(budget, where, config.archive_max_members):
                yield over
                return
            if info.size > member_limit(name, config, budget):
                yield from declared_too_large(info.size, config, budget, where, name)
                if budget.stopped:
                    return
                continue
            stream = archive.extractfile(info)
            if stream is None:
                continue
            got = _read(stream, member_limit(name, config, budget), budget, where, name)
            yield (name, got) if isinstance(got, bytes) else got
            if budget.stopped:
                return
    except _DAMAGE as exc:
        yield ScanWarning(where, f"damaged or truncated tar archive: {safe_reason(exc)}")


def _stream_members(kind: str) -> Callable[..., Iterator[MemberEvent]]:
    """gz, bz2, xz: one compressed stream; a tar inside is opened at the same level."""

    def members(data: bytes, config: Config, budget: Budget, where: str) -> Iterator[MemberEvent]:
        name = _unsuffixed(where.rsplit("!", 1)[-1].rsplit("/", 1)[-1])
        try:
            head = _STREAMS[kind](io.BytesIO(data)).read(512)
            is_tar = head[257:262] == b"ustar" or (len(head) == 512 and _tar_checksum_ok(head))
            limit = budget.bytes - budget.used if is_tar else config.max_file_size
            got = _read(_STREAMS[kind](io.BytesIO(data)), limit, budget, where, name)
        except _DAMAGE as exc:
            yield ScanWarning(where, f"damaged or truncated {kind} stream: {safe_reason(exc)}")
            return
        if not isinstance(got, bytes):
            yield got
        elif is_tar:
            yield from _tar_members(got, config, budget, where)
        elif over := count_member(budget, where, config.archive_max_members):
            yield over
        else:
            yield (name, got)

    return members


def _unsuffixed(name: str) -> str:
    for suffix, replacement in ((".tgz", ".tar"), (".gz", ""), (".bz2", ""), (".xz", "")):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] + replacement
    return name + ".out"


def _sevenzip_members(
    data: bytes, config: Config, budget: Budget, where: str
) -> Iterator[MemberEvent]:
    try:
        from scanner.sources import sevenzip
    except ImportError:
        yield ScanWarning(where, "7z archive not opened: py7zr is not installed")
        return
    yield from sevenzip.members(data, config, budget, where)


_MEMBERS: dict[str, Callable[[bytes, Config, Budget, str], Iterator[MemberEvent]]] = {
    "zip": _zip_members,
    "tar": _tar_members,
    "gz": _stream_members("gz"),
    "bz2": _stream_members("bz2"),
    "xz": _stream_members("xz"),
    "7z": _sevenzip_members,
}
