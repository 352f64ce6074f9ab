"""Cache files the engine keeps between runs (compiled database, validated rules):
read only when this user owns them and nobody else may write them, written
atomically and private. What a file must hold to be believed is its reader's
business (`hyperscan_db`, `rulecache`)."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def read_private(path: Path) -> bytes | None:
    """The file's bytes when it and its folder belong to this user and nobody else
    may write them (as ssh asks of its keys); None otherwise."""
    if not _private(os.stat(path.parent)):
        return None
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)  # never blocks on a FIFO planted under the name
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or not _private(info):
            return None
        return handle.read(MAX_CACHE_BYTES + 1)[:MAX_CACHE_BYTES]


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
