"""A minimal, bounded DER reader for the parts of PKCS#8 and PKCS#12 that are
in clear (key-derivation parameters, certificate bags). Definite lengths only."""

from __future__ import annotations

SEQUENCE, SET, INTEGER, OID, OCTETS, CONTEXT_0 = 0x30, 0x31, 0x02, 0x06, 0x04, 0xA0

Node = tuple[int, int, int]
"""(tag, start of content, end of content)."""


def header(data: bytes, pos: int) -> Node:
    """The TLV at `pos`; ValueError or IndexError when it is damaged."""
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


def children(data: bytes, node: Node, limit: int = 4096) -> list[Node]:
    """The TLVs inside a constructed node (at most `limit`)."""
    found: list[Node] = []
    pos, end = node[1], node[2]
    while pos < end and len(found) < limit:
        child = header(data, pos)
        found.append(child)
        pos = child[2]
    return found


def content(data: bytes, node: Node) -> bytes:
    return data[node[1] : node[2]]


def small_int(data: bytes, node: Node) -> int | None:
    """An INTEGER of at most eight bytes, else None."""
    if node[0] != INTEGER or node[2] - node[1] > 8:
        return None
    return int.from_bytes(content(data, node), "big")
