"""How expensive is it to try one passphrase on this key? Read from the clear
key-derivation parameters, before anything is tried.

A hostile file could ask for a billion PBKDF2 iterations or gigabytes of
scrypt memory; trying a passphrase on it would stall the scan. Encrypted
PKCS#8, PKCS#12 and JCEKS keep their parameters in AlgorithmIdentifiers in
clear, so a bounded DER walk finds the largest small INTEGER among them.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

MAX_NODES = 4000
MAX_DEPTH = 16
SKIP_ABOVE = 1_000_000
"""Above this iteration count or cost parameter, no passphrase is tried."""
SLOW_ABOVE = 100_000
"""Above this, only the first few passphrases are tried."""

_SEQUENCE, _INTEGER, _OID, _OCTETS = 0x30, 0x02, 0x06, 0x04


@dataclass
class _Walk:
    nodes: int = 0
    cost: int = 0


def kdf_cost(der: bytes) -> int:
    """The largest iteration count or cost parameter found (0 when none)."""
    walk = _Walk()
    with contextlib.suppress(IndexError, ValueError):  # damage ends the walk, not the scan
        _children(der, 0, len(der), walk, 0)
    return walk.cost


def verdict(der: bytes) -> str:
    """'skip', 'slow' or 'normal'."""
    cost = kdf_cost(der)
    if cost > SKIP_ABOVE:
        return "skip"
    return "slow" if cost > SLOW_ABOVE else "normal"


def _header(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of content, end of content) of the TLV at `pos`."""
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        size = first & 0x7F
        if size == 0 or size > 4:
            raise ValueError("unsupported length")
        length = int.from_bytes(data[pos : pos + size], "big")
        pos += size
    if pos + length > len(data):
        raise ValueError("truncated")
    return tag, pos, pos + length


def _children(
    data: bytes, pos: int, end: int, walk: _Walk, depth: int
) -> list[tuple[int, int, int]]:
    found = []
    while pos < end and walk.nodes < MAX_NODES:
        walk.nodes += 1
        tag, start, stop = _header(data, pos)
        found.append((tag, start, stop))
        if depth < MAX_DEPTH:
            _descend(data, tag, start, stop, walk, depth)
        pos = stop
    return found


def _descend(data: bytes, tag: int, start: int, stop: int, walk: _Walk, depth: int) -> None:
    if tag == _SEQUENCE:
        kids = _children(data, start, stop, walk, depth + 1)
        if len(kids) >= 2 and kids[0][0] == _OID and kids[1][0] == _SEQUENCE:
            walk.cost = max(walk.cost, _largest_small_integer(data, kids[1], walk, depth))
        elif [k[0] for k in kids] == [_SEQUENCE, _OCTETS, _INTEGER] and kids[2][2] - kids[2][
            1
        ] <= 8:
            count = int.from_bytes(data[kids[2][1] : kids[2][2]], "big")  # PKCS#12 MacData
            walk.cost = max(walk.cost, count)
        return
    if tag & 0x20 or (tag == _OCTETS and stop > start and data[start] == _SEQUENCE):
        try:  # constructed [n] wrappers, and DER carried inside OCTET STRINGs
            _children(data, start, stop, walk, depth + 1)
        except (IndexError, ValueError):
            return


def _largest_small_integer(data: bytes, node: tuple[int, int, int], walk: _Walk, depth: int) -> int:
    best = 0
    pos, end = node[1], node[2]
    while pos < end and walk.nodes < MAX_NODES:
        walk.nodes += 1
        tag, start, stop = _header(data, pos)
        if tag == _INTEGER and stop - start <= 8:
            best = max(best, int.from_bytes(data[start:stop], "big"))
        elif tag == _SEQUENCE and depth < MAX_DEPTH:
            best = max(best, _largest_small_integer(data, (tag, start, stop), walk, depth + 1))
        pos = stop
    return best
