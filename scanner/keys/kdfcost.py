"""How expensive is it to try one passphrase on this key? Read from the clear
key-derivation parameters, before anything is tried.

A hostile file could ask for a billion PBKDF2 iterations or gigabytes of
scrypt memory; trying a passphrase on it would stall the scan. Encrypted
PKCS#8, PKCS#12 and JCEKS keep their parameters in AlgorithmIdentifiers in
clear (and PKCS#12 its MAC iteration count), so a bounded DER walk finds the
largest small INTEGER among them.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from scanner.keys import der

MAX_NODES = 4000
MAX_DEPTH = 16
SKIP_ABOVE = 1_000_000
"""Above this iteration count or cost parameter, no passphrase is tried."""
SLOW_ABOVE = 100_000
"""Above this, only the first few passphrases are tried."""
SCRYPT_OID = bytes.fromhex("06092B06010401DA47040B")
"""1.3.6.1.4.1.11591.4.11 (scrypt), as it appears DER-encoded."""
SCRYPT_MAX_MEMORY = 64 * 1024 * 1024
"""scrypt needs 128·N·r bytes; a file that asks for more is never tried."""
SCRYPT_MAX_WORK = 1 << 21
"""N·r·p above this (about a second per attempt) is never tried."""
HUGE = SKIP_ABOVE + 1
"""The cost of a parameter too large to read as a number: never tried."""


@dataclass
class _Walk:
    data: bytes
    nodes: int = 0
    cost: int = 0


def kdf_cost(data: bytes) -> int:
    """The largest iteration count or cost parameter found (0 when none)."""
    walk = _Walk(data)
    with contextlib.suppress(IndexError, ValueError):  # damage ends the walk, not the scan
        _visit(walk, der.header(data, 0), 0)
    return walk.cost


def verdict(data: bytes) -> str:
    """'skip', 'slow' or 'normal'."""
    cost = kdf_cost(data)
    if cost > SKIP_ABOVE:
        return "skip"
    return "slow" if cost > SLOW_ABOVE else "normal"


def _visit(walk: _Walk, node: der.Node, depth: int) -> None:
    walk.nodes += 1
    if walk.nodes > MAX_NODES or depth > MAX_DEPTH:
        return
    tag, data = node[0], walk.data
    if tag == der.OCTETS:
        if node[2] > node[1] and data[node[1]] == der.SEQUENCE:
            with contextlib.suppress(IndexError, ValueError):  # DER inside an OCTET STRING
                _visit(walk, der.header(data, node[1]), depth + 1)
        return
    if not tag & 0x20:
        return
    kids = der.children(data, node)
    if tag == der.SEQUENCE:
        _measure(walk, kids)
    for kid in kids:
        _visit(walk, kid, depth + 1)


def _measure(walk: _Walk, kids: list[der.Node]) -> None:
    tags = [k[0] for k in kids]
    if len(kids) >= 2 and tags[0] == der.OID and tags[1] == der.SEQUENCE:
        walk.cost = max(walk.cost, _largest(walk, kids[1], 0))  # AlgorithmIdentifier params
        if walk.data[kids[0][1] - 2 : kids[0][2]] == SCRYPT_OID:
            walk.cost = max(walk.cost, _scrypt(walk, kids[1]))
    elif tags == [der.SEQUENCE, der.OCTETS, der.INTEGER]:
        walk.cost = max(walk.cost, _integer(walk.data, kids[2]))  # PKCS#12 MacData


def _integer(data: bytes, node: der.Node) -> int:
    """A KDF or MAC INTEGER's value; one too long to read counts as HUGE."""
    value = der.small_int(data, node)
    return HUGE if value is None else value


def _scrypt(walk: _Walk, params: der.Node) -> int:
    """scrypt's cost is N·r·p, not its largest parameter: each may look normal while
    the product asks for gigabytes. Its memory, 128·N·r bytes, has its own bound."""
    ints = [k for k in der.children(walk.data, params) if k[0] == der.INTEGER][:3]
    if len(ints) < 3:
        return 0
    n, r, p = (_integer(walk.data, k) for k in ints)
    if 128 * n * r > SCRYPT_MAX_MEMORY or n * r * p > SCRYPT_MAX_WORK:
        return HUGE
    return max(n, r, p)


def _largest(walk: _Walk, node: der.Node, depth: int) -> int:
    best = 0
    for kid in der.children(walk.data, node):
        walk.nodes += 1
        value = der.small_int(walk.data, kid)  # longer INTEGERs are domain parameters
        if value is not None:
            best = max(best, value)
        elif kid[0] == der.SEQUENCE and depth < MAX_DEPTH and walk.nodes < MAX_NODES:
            best = max(best, _largest(walk, kid, depth + 1))
    return best
