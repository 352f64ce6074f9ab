"""Tar headers checked before `tarfile` parses them.

Some patch releases of CPython's `tarfile` trust what a header says: a negative
size in a PAX record sends the reader backwards into a loop that grows the
member list without end, and a long PAX record that is not well formed makes
its header regex backtrack for minutes. Whatever the patch release, `problem`
walks the 512-byte headers itself first, with sizes parsed by the standard's
rules and bounded: PAX and GNU long-name payloads, every size (never negative,
never past the data), and the number of headers. Only an archive that passes
goes to `tarfile`, and the caller stops `tarfile` after that many headers.
"""

from __future__ import annotations

import tarfile
from dataclasses import dataclass

BLOCK = 512
MAX_PAX_BYTES = 64 * 1024
"""A PAX extended header larger than this is refused (real ones hold a few names)."""
MAX_LONGNAME_BYTES = 64 * 1024
_PAX_TYPES = (b"x", b"g", b"X")
_LONGNAME_TYPES = (b"L", b"K")
_DIGITS = frozenset(b"0123456789")


@dataclass(frozen=True)
class TarShape:
    """What the walk found: how many headers, or why the archive is refused."""

    headers: int = 0
    problem: str | None = None


def check(data: bytes, max_headers: int) -> TarShape:
    """Walk every header of the tar `data`; refuse what `tarfile` must not see."""
    pos, headers, next_size, global_size = 0, 0, None, None
    while pos + BLOCK <= len(data):
        block = data[pos : pos + BLOCK]
        if not block.strip(b"\x00") or not _checksum_ok(block):
            break  # the end (or damage: tarfile stops here too)
        headers += 1
        if headers > max_headers:
            return TarShape(headers, f"more than {max_headers} tar headers")
        size = _number(block[124:136])
        if size is None:
            return TarShape(headers, "tar header with an invalid size")
        kind = block[156:157]
        if kind in _PAX_TYPES:
            found = _pax(data, pos, size)
            if isinstance(found, str):
                return TarShape(headers, found)
            if kind == b"g":
                global_size = found if found is not None else global_size
            else:
                next_size = found
        elif kind in _LONGNAME_TYPES:
            if size > MAX_LONGNAME_BYTES:
                return TarShape(headers, f"GNU long-name header of {size} bytes")
        else:
            size = _member_size(kind, size, next_size, global_size)
            next_size = None
        if size > len(data) - pos - BLOCK:
            break  # truncated: tarfile reports it as damage
        pos += BLOCK + -(-size // BLOCK) * BLOCK
    return TarShape(headers)


def _member_size(kind: bytes, size: int, local: int | None, shared: int | None) -> int:
    """The bytes that follow a member header, as tarfile counts them: the PAX
    size if one was set, and only for regular files and types it does not know."""
    if kind not in tarfile.REGULAR_TYPES and kind in tarfile.SUPPORTED_TYPES:
        return 0
    if local is not None:
        return local
    return shared if shared is not None else size


def _checksum_ok(block: bytes) -> bool:
    stored = _number(block[148:156])
    unsigned = sum(block[:148]) + 8 * 32 + sum(block[156:])
    signed = unsigned - 2 * sum(b for b in block[:148] + block[156:] if b > 127)
    return stored is not None and stored in (unsigned, signed)


def _number(field: bytes) -> int | None:
    """A tar number: octal digits, or GNU base-256 (never negative here)."""
    if field[:1] == b"\x80":
        return int.from_bytes(field[1:], "big")
    if field[:1] == b"\xff":
        return None  # base-256 negative
    text = field.replace(b"\x00", b" ").strip()
    if not text:
        return 0
    if any(c not in b"01234567" for c in text):
        return None
    return int(text, 8)


def _pax(data: bytes, pos: int, size: int) -> int | str | None:
    """The `size` a PAX header sets for the next member (None: none), or a problem."""
    if size > MAX_PAX_BYTES:
        return f"PAX header of {size} bytes"
    payload = data[pos + BLOCK : pos + BLOCK + size]
    at, found = 0, None
    while at < len(payload) and payload[at] != 0:
        record = _record(payload, at)
        if record is None:
            return "malformed PAX record"
        keyword, value, at = record
        if keyword == b"size":
            if not value or any(c not in _DIGITS for c in value) or len(value) > 20:
                return "PAX size that is not a whole number >= 0"
            found = int(value)
    return found


def _record(payload: bytes, at: int) -> tuple[bytes, bytes, int] | None:
    """One '<length> <keyword>=<value>\\n' record starting at `at`."""
    space = payload.find(b" ", at, at + 21)
    if space <= at or any(c not in _DIGITS for c in payload[at:space]):
        return None
    end = at + int(payload[at:space])
    if end <= space + 1 or end > len(payload) or payload[end - 1] != 0x0A:
        return None
    keyword, equals, value = payload[space + 1 : end - 1].partition(b"=")
    if not equals or not keyword:
        return None
    return keyword, value, end


def looks_like_tar(head: bytes) -> bool:
    """A ustar header, or a v7 one (which has no magic) whose checksum adds up."""
    return head[257:262] == b"ustar" or v7_header_ok(head)


def v7_header_ok(data: bytes) -> bool:
    """A v7 tar has no magic: its first header's checksum must add up."""
    if len(data) < BLOCK:
        return False
    field = data[148:156].replace(b"\x00", b" ").strip()
    try:
        stored = int(field, 8)
    except ValueError:
        return False
    return stored == sum(data[:148]) + 8 * 32 + sum(data[156:BLOCK])
