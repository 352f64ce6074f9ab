"""OpenPGP key packets (RFC 4880 / RFC 9580), read with a small, careful parser.

A secret-key packet starts with the full public-key packet body, in clear
even when the secret part is passphrase-protected, so every key's identity is
known without the passphrase. The v4 fingerprint is SHA-1 over 0x99, a
two-octet length and that body; v6 uses SHA-256 over 0x9B and a four-octet
length (v5: 0x9A). The public numbers become a `cryptography` key for the
SPKI, JWK and SSH fingerprints.

pgpy was evaluated and not used: it imports `imghdr`, removed in Python 3.13;
pysequoia exposes fingerprints but not the public numbers.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from scanner.keys.pgp_keys import read_mpi

SECRET_TAGS = {5: "primary key", 7: "subkey"}
PUBLIC_TAGS = {6: "primary key", 14: "subkey"}
MAX_PACKETS = 256


@dataclass(frozen=True)
class KeyPacket:
    tag: int
    version: int
    algorithm: int
    public_body: bytes
    secret: bytes
    """What follows the public part in a secret-key packet (empty for public keys)."""

    @property
    def is_secret(self) -> bool:
        return self.tag in SECRET_TAGS

    @property
    def fingerprint(self) -> str:
        body = self.public_body
        if self.version == 4:
            data = b"\x99" + struct.pack(">H", len(body)) + body
            return hashlib.sha1(data, usedforsecurity=False).hexdigest().upper()
        prefix = b"\x9b" if self.version == 6 else b"\x9a"
        return hashlib.sha256(prefix + struct.pack(">I", len(body)) + body).hexdigest().upper()

    @property
    def encrypted(self) -> bool:
        return self.is_secret and bool(self.secret) and self.secret[0] != 0


def packets(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(tag, body) of each packet; stops quietly at damage."""
    pos = 0
    for _ in range(MAX_PACKETS):
        if pos >= len(data) or not data[pos] & 0x80:
            return
        first = data[pos]
        if first & 0x40:
            tag = first & 0x3F
            length, pos = _new_length(data, pos + 1)
        else:
            tag = (first >> 2) & 0x0F
            length, pos = _old_length(data, pos + 1, first & 0x03)
        if length is None or pos + length > len(data):
            return
        yield tag, data[pos : pos + length]
        pos += length


def _new_length(data: bytes, pos: int) -> tuple[int | None, int]:
    if pos >= len(data):
        return None, pos
    octet = data[pos]
    if octet < 192:
        return octet, pos + 1
    if octet < 224 and pos + 1 < len(data):
        return ((octet - 192) << 8) + data[pos + 1] + 192, pos + 2
    if octet == 255 and pos + 4 < len(data):
        return struct.unpack_from(">I", data, pos + 1)[0], pos + 5
    return None, pos  # partial body lengths never occur in key packets


def _old_length(data: bytes, pos: int, kind: int) -> tuple[int | None, int]:
    size = {0: 1, 1: 2, 2: 4}.get(kind)
    if size is None:
        return len(data) - pos, pos
    if pos + size > len(data):
        return None, pos
    return int.from_bytes(data[pos : pos + size], "big"), pos + size


def key_packets(data: bytes) -> list[KeyPacket]:
    """Every key packet (public or secret) that parses."""
    found = []
    for tag, body in packets(data):
        if tag in SECRET_TAGS or tag in PUBLIC_TAGS:
            packet = parse_key_packet(tag, body)
            if packet is not None:
                found.append(packet)
    return found


def parse_key_packet(tag: int, body: bytes) -> KeyPacket | None:
    if len(body) < 6 or body[0] not in (4, 5, 6):
        return None
    version, algorithm = body[0], body[5]
    try:
        if version == 4:
            end = public_fields_end(algorithm, body, 6)
        else:
            (count,) = struct.unpack_from(">I", body, 6)
            end = 10 + count
    except (ValueError, struct.error, IndexError):
        return None
    if end > len(body):
        return None
    return KeyPacket(tag, version, algorithm, body[:end], body[end:])


def public_fields_end(algorithm: int, body: bytes, pos: int) -> int:
    """Offset just past the algorithm-specific public fields of a v4 key."""
    if algorithm in (18, 19, 22):
        pos += 1 + body[pos]  # curve OID
        _, pos = read_mpi(body, pos)
        if algorithm == 18:
            pos += 1 + body[pos]  # KDF parameters
        return pos
    fixed = {25: 32, 26: 56, 27: 32, 28: 57}.get(algorithm)
    if fixed is not None:
        return pos + fixed
    count = {1: 2, 2: 2, 3: 2, 17: 4, 16: 3, 20: 3}.get(algorithm)
    if count is None:
        raise ValueError(f"unknown OpenPGP public-key algorithm {algorithm}")
    for _ in range(count):
        _, pos = read_mpi(body, pos)
    return pos
