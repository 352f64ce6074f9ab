"""PuTTY private key files (PPK v2 and v3).

The public key sits in clear (`Public-Lines`), so the identity is known with
or without the passphrase. For encrypted files the well-known passphrases are
checked against the file's MAC: v2 derives keys with SHA-1, v3 with Argon2.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import dataclass, replace

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from scanner.keys import result
from scanner.keys.armor import b64decode
from scanner.keys.errors import PARSE_ERRORS
from scanner.keys.fingerprint import ssh_sha256
from scanner.keys.openssh import public_from_blob
from scanner.keys.passphrase import try_passphrases
from scanner.keys.signatures import PUTTY_MARKER
from scanner.model import KeyInfo

MARKER = PUTTY_MARKER
MAX_LINES = 512
MAX_ARGON2_KIB = 256 * 1024
MAX_ARGON2_PASSES = 200
"""PuTTY's defaults are 8 MiB and a pass count calibrated to a fraction of a second."""
MAX_ARGON2_LANES = 64
MAX_ARGON2_WORK_PASSES = 4
"""Argon2 work (memory x passes) above MAX_ARGON2_KIB x this is never tried."""


@dataclass(frozen=True)
class Ppk:
    version: int
    algorithm: str
    encryption: str
    comment: str
    public: bytes
    private: bytes
    mac: bytes
    fields: dict[str, str]

    @property
    def format(self) -> str:
        return f"putty-v{self.version}"


def parse(text: str) -> Ppk:
    """The fields of a PPK file; ValueError when it is damaged."""
    lines = [line.strip() for line in text.strip().split("\n")]
    fields: dict[str, str] = {}
    blobs: dict[str, bytes] = {}
    i = 0
    while i < len(lines):
        name, _, value = lines[i].partition(": ")
        i += 1
        if name in ("Public-Lines", "Private-Lines"):
            count = int(value) if value.isdigit() else -1
            if not 0 < count <= MAX_LINES or i + count > len(lines):
                raise ValueError(f"bad {name}")
            decoded = b64decode("".join(lines[i : i + count]))
            if decoded is None:
                raise ValueError(f"{name} is not base64")
            blobs[name] = decoded
            i += count
        elif name:
            fields[name] = value
    header = next((k for k in fields if k.startswith(MARKER)), None)
    if header is None or "Public-Lines" not in blobs:
        raise ValueError("not a PuTTY key file")
    return Ppk(
        version=_version(header[len(MARKER) :]),
        algorithm=fields[header],
        encryption=fields.get("Encryption", "none"),
        comment=fields.get("Comment", ""),
        public=blobs["Public-Lines"],
        private=blobs.get("Private-Lines", b""),
        mac=bytes.fromhex(fields.get("Private-MAC", "")),
        fields=fields,
    )


def _version(text: str) -> int:
    if not text.isdigit():
        raise ValueError("bad PuTTY-User-Key-File version")  # never quote the line
    return int(text)


def analyse(text: str, ctx: result.Context) -> KeyInfo:
    try:
        ppk = parse(text)
    except (ValueError, KeyError) as exc:
        return result.unparsable("putty", f"damaged PuTTY key file: {exc}")
    encrypted = ppk.encryption != "none"
    weak = encrypted and _weak(ppk, ctx)
    try:
        public = public_from_blob(ppk.public)
    except PARSE_ERRORS:
        public = None
    if public is None:
        return KeyInfo(
            format=ppk.format,
            algorithm=ppk.algorithm,
            encrypted=encrypted,
            weak_passphrase=weak,
            fingerprints={"ssh_sha256": ssh_sha256(ppk.public)},
            note=f"key type {ppk.algorithm} has no SubjectPublicKeyInfo form",
        )
    info = result.from_public(ppk.format, public, encrypted=encrypted, weak_passphrase=weak)
    return replace(info, fingerprints=dict(info.fingerprints, ssh_sha256=ssh_sha256(ppk.public)))


def _weak(ppk: Ppk, ctx: result.Context) -> bool:
    if ppk.encryption != "aes256-cbc" or not ppk.mac:
        return False
    return (
        try_passphrases(lambda p: _mac_ok(ppk, p) or None, ctx.passphrases, cost=_cost(ppk)) is True
    )


def _cost(ppk: Ppk) -> str:
    """v2 derives keys with two SHA-1s; v3 with Argon2, whose cost the file sets."""
    if ppk.version < 3:
        return "normal"
    try:
        memory = int(ppk.fields.get("Argon2-Memory", "0"))
        passes = int(ppk.fields.get("Argon2-Passes", "0"))
        lanes = int(ppk.fields.get("Argon2-Parallelism", "1"))
    except ValueError:
        return "skip"
    if min(memory, passes, lanes) < 1 or lanes > MAX_ARGON2_LANES:
        return "skip"
    if memory > MAX_ARGON2_KIB or passes > MAX_ARGON2_PASSES:
        return "skip"
    if memory * passes > MAX_ARGON2_KIB * MAX_ARGON2_WORK_PASSES:
        return "skip"  # the work is memory x passes, whatever each looks like alone
    return "slow"


def _mac_ok(ppk: Ppk, passphrase: bytes) -> bool:
    keys = _v3_keys(ppk, passphrase) if ppk.version >= 3 else _v2_keys(passphrase)
    if keys is None:
        return False
    cipher_key, iv, mac_key = keys
    if len(ppk.private) % 16:
        return False
    decryptor = Cipher(algorithms.AES(cipher_key), modes.CBC(iv)).decryptor()
    private = decryptor.update(ppk.private) + decryptor.finalize()
    message = b"".join(
        _string(part)
        for part in (
            ppk.algorithm.encode(),
            ppk.encryption.encode(),
            ppk.comment.encode(),
            ppk.public,
            private,
        )
    )
    digest = hashlib.sha256 if ppk.version >= 3 else hashlib.sha1
    return hmac.compare_digest(hmac.new(mac_key, message, digest).digest(), ppk.mac)


def _v2_keys(passphrase: bytes) -> tuple[bytes, bytes, bytes]:
    key = hashlib.sha1(b"\0\0\0\0" + passphrase).digest()
    key += hashlib.sha1(b"\0\0\0\1" + passphrase).digest()
    mac_key = hashlib.sha1(b"putty-private-key-file-mac-key" + passphrase).digest()
    return key[:32], bytes(16), mac_key


def _v3_keys(ppk: Ppk, passphrase: bytes) -> tuple[bytes, bytes, bytes] | None:
    from cryptography.hazmat.primitives.kdf import argon2

    flavour = ppk.fields.get("Key-Derivation", "Argon2id")
    kdf_class = getattr(argon2, flavour, None)
    if kdf_class is None:
        return None
    kdf = kdf_class(
        salt=bytes.fromhex(ppk.fields["Argon2-Salt"]),
        length=80,
        iterations=int(ppk.fields["Argon2-Passes"]),
        lanes=int(ppk.fields["Argon2-Parallelism"]),
        memory_cost=int(ppk.fields["Argon2-Memory"]),
    )
    out: bytes = kdf.derive(passphrase)
    return out[:32], out[32:48], out[48:]


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data
