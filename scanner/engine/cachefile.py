"""Cache files the engine keeps between runs (compiled database, validated rules):
read only when this user owns them and nobody else may write them, written
atomically and private. What a file must hold to be believed is its reader's
business (`hyperscan_db`, `rulecache`)."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path


def read_private(path: Path) -> bytes | None:
    """The file's bytes when it and its folder belong to this user and nobody else
    may write them (as ssh asks of its keys); None otherwise."""
    if not _private(os.stat(path.parent)):
        return None
    parts = read_private_parts(path)
    return None if parts is None else parts[0] + b"\n" + parts[1]


def read_private_parts(path: Path) -> tuple[bytes, bytes] | None:
    """(header line, body) of a private file (as `read_private` asks), the body
    read into one buffer of its exact size: a compiled database of several
    megabytes is then neither copied nor split again. None when the file is not
    private, has no header line or is over the size limit."""
    found = read_private_file(path)
    return None if found is None else (found.header, found.body)


@dataclass(frozen=True)
class PrivateFile:
    header: bytes
    body: bytes
    identity: tuple[int, ...]
    """(device, inode, size, mtime ns, ctime ns) of the file that was read: any
    replacement or rewrite of it changes them (ctime cannot be set back)."""


def read_private_file(path: Path) -> PrivateFile | None:
    """`read_private_parts`, with the identity of the file read."""
    if not _private(os.stat(path.parent)):
        return None
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)  # never blocks on a FIFO planted under the name
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or not _private(info):
            return None
        if info.st_size > MAX_CACHE_BYTES:
            return None
        head = os.pread(fd, HEADER_BYTES, 0)
        end = head.find(b"\n")
        if end < 0:
            return None
        body = _read_exactly(fd, end + 1, info.st_size - end - 1)
        identity = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
        return PrivateFile(head[:end], body, identity)
    finally:
        os.close(fd)


HEADER_BYTES = 1 << 20
"""A header line longer than this is not one we wrote."""


def _read_exactly(fd: int, offset: int, count: int) -> bytes:
    data = os.pread(fd, count, offset)
    if len(data) == count:
        return data
    chunks = [data]  # a short read: gather the rest (rare on regular files)
    offset, count = offset + len(data), count - len(data)
    while count > 0:
        chunk = os.pread(fd, count, offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset, count = offset + len(chunk), count - len(chunk)
    return b"".join(chunks)


def _private(info: os.stat_result) -> bool:
    owner = getattr(os, "geteuid", None)
    if owner is not None and info.st_uid != owner():
        return False
    return not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


MAX_CACHE_BYTES = 256 * 1024 * 1024


def write_private(path: Path, data: bytes) -> None:
    """Write a cache file readable and writable by this user only (atomically; a
    folder that cannot be written just means no cache)."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
        _prune(path.parent, keep=path)
    except OSError:
        pass


def _prune(folder: Path, keep: Path, newest: int = 8) -> None:
    """Drop all but the newest few files of `keep`'s kind (older rule sets leave
    theirs behind)."""
    kind = keep.name.split("-", 1)[0]
    stored = sorted(
        folder.glob(f"{kind}-*{keep.suffix}"), key=lambda p: p.stat().st_mtime, reverse=True
    )
    for old in stored[newest:]:
        if old != keep:
            old.unlink(missing_ok=True)
