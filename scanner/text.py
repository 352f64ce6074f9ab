"""Small byte and text helpers shared by detectors and sources."""

from __future__ import annotations

import hashlib
import math
from collections import Counter

BINARY_SNIFF = 8192


def is_binary(data: bytes) -> bool:
    """A NUL byte in the first 8 KiB, as git decides."""
    return data.find(b"\x00", 0, BINARY_SNIFF) >= 0  # no copy of the first 8 KiB


def line_col(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in decoded characters) of byte `offset`."""
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[start:offset].decode("utf-8", errors="replace")) + 1
    return line, column


def line_at(data: bytes, line: int) -> bytes:
    """The bytes of 1-based `line` (without its newline); b'' past the end."""
    start = 0
    for _ in range(line - 1):
        start = data.find(b"\n", start)
        if start < 0:
            return b""
        start += 1
    end = data.find(b"\n", start)
    return data[start:] if end < 0 else data[start:end]


def shannon_entropy(value: bytes | str) -> float:
    """Bits per symbol."""
    if not value:
        return 0.0
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def git_blob_id(data: bytes) -> str:
    """The id git gives these bytes as a blob (sha1 of 'blob <len>\\0' + data)."""
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update(b"blob %d\x00" % len(data))
    digest.update(data)
    return digest.hexdigest()


def escape_control(text: str) -> str:
    """Make a path or preview safe for a terminal: control characters become escapes."""
    return "".join(
        ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )
