"""OpenSSH private keys (`openssh-key-v1`).

Unencrypted keys load through `cryptography`. Encrypted keys keep their
public key blob in clear in the file header, so their identity is known
without the passphrase; the well-known passphrases are tried anyway (only a
few: bcrypt-pbkdf is slow on purpose) to report a weak one.
"""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass, replace

from cryptography.hazmat.primitives import serialization

from scanner.keys import result
from scanner.keys.armor import PemBlock
from scanner.keys.errors import PARSE_ERRORS
from scanner.keys.fingerprint import PublicKey, as_public_key, quiet_deprecations, ssh_sha256
from scanner.keys.passphrase import try_passphrases
from scanner.keys.signatures import OPENSSH_MAGIC
from scanner.model import KeyInfo

MAGIC = OPENSSH_MAGIC
FORMAT = "openssh"
MAX_ROUNDS = 128
"""Above this, one attempt takes seconds: no passphrase is tried."""


@dataclass(frozen=True)
class Header:
    cipher: str
    kdf: str
    public_blobs: tuple[bytes, ...]
    rounds: int = 0
    """bcrypt-pbkdf rounds (ssh-keygen's default is 16; `-a` raises it)."""

    @property
    def encrypted(self) -> bool:
        return self.cipher != "none"


def read_string(data: bytes, pos: int) -> tuple[bytes, int]:
    """An SSH wire `string` (uint32 length, bytes) at `pos`."""
    if pos + 4 > len(data):
        raise ValueError("truncated")
    (length,) = struct.unpack_from(">I", data, pos)
    end = pos + 4 + length
    if end > len(data):
        raise ValueError("truncated")
    return data[pos + 4 : end], end


def parse_header(der: bytes) -> Header:
    """The clear part of an openssh-key-v1 file; ValueError if it is not one."""
    if not der.startswith(MAGIC):
        raise ValueError("not an openssh-key-v1 key")
    cipher, pos = read_string(der, len(MAGIC))
    kdf, pos = read_string(der, pos)
    options, pos = read_string(der, pos)
    if pos + 4 > len(der):
        raise ValueError("truncated")
    (count,) = struct.unpack_from(">I", der, pos)
    pos += 4
    if count > 64:
        raise ValueError(f"implausible key count {count}")
    blobs = []
    for _ in range(count):
        blob, pos = read_string(der, pos)
        blobs.append(blob)
    return Header(
        cipher.decode("ascii", "replace"),
        kdf.decode("ascii", "replace"),
        tuple(blobs),
        _rounds(options),
    )


def _rounds(options: bytes) -> int:
    """The rounds of bcrypt kdf options (string salt, uint32 rounds); 0 if absent."""
    try:
        _, pos = read_string(options, 0)
    except ValueError:
        return 0
    return int.from_bytes(options[pos : pos + 4], "big") if pos + 4 <= len(options) else 0


def public_from_blob(blob: bytes) -> PublicKey | None:
    """A `cryptography` public key from an SSH wire public key blob, if supported."""
    key_type, _ = read_string(blob, 0)
    line = key_type + b" " + base64.b64encode(blob)
    try:
        with quiet_deprecations():
            return as_public_key(serialization.load_ssh_public_key(line))
    except PARSE_ERRORS:
        return None


def analyse(block: PemBlock, ctx: result.Context) -> list[KeyInfo]:
    try:
        header = parse_header(block.der)
    except (ValueError, UnicodeDecodeError) as exc:
        return [result.unparsable(FORMAT, f"damaged OpenSSH key: {exc}")]
    if not header.public_blobs:
        return [result.unparsable(FORMAT, "OpenSSH key holds no key")]
    weak = header.encrypted and _opens(block, ctx, header.rounds)
    return [_from_blob(blob, header, weak) for blob in header.public_blobs]


def _opens(block: PemBlock, ctx: result.Context, rounds: int) -> bool:
    pem = block.pem()

    def opener(password: bytes) -> bool | None:
        try:
            with quiet_deprecations():
                serialization.load_ssh_private_key(pem, password or None)
        except PARSE_ERRORS:
            return None
        return True

    cost = "skip" if rounds > MAX_ROUNDS else "slow"
    return try_passphrases(opener, ctx.passphrases, cost=cost) is True


def _from_blob(blob: bytes, header: Header, weak: bool) -> KeyInfo:
    try:
        public = public_from_blob(blob)
    except PARSE_ERRORS:
        return result.unparsable(FORMAT, "damaged public key in the OpenSSH header")
    if public is None:
        key_type = read_string(blob, 0)[0].decode("ascii", "replace")
        return KeyInfo(
            format=FORMAT,
            algorithm=key_type,
            encrypted=header.encrypted,
            weak_passphrase=weak,
            fingerprints={"ssh_sha256": ssh_sha256(blob)},
            note=f"key type {key_type} has no SubjectPublicKeyInfo form",
        )
    info = result.from_public(FORMAT, public, encrypted=header.encrypted, weak_passphrase=weak)
    if info.fingerprints.get("ssh_sha256") != ssh_sha256(blob):
        prints = dict(info.fingerprints, ssh_sha256=ssh_sha256(blob))
        info = replace(info, fingerprints=prints)
    return info
