"""Does a well-known passphrase open an OpenPGP v4 secret key?

RFC 4880 §3.7 string-to-key (simple, salted, iterated and salted) with AES in
CFB mode, checked by the SHA-1 hash (usage 254) or the two-octet checksum
(usage 255) that ends the secret data. Other protections are not tried.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

try:  # CFB moved to the "decrepit" namespace in cryptography 47
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:  # pragma: no cover - older cryptography
    from cryptography.hazmat.primitives.ciphers.modes import CFB

from scanner.keys.passphrase import try_passphrases

_HASHES = {1: "md5", 2: "sha1", 8: "sha256", 9: "sha384", 10: "sha512", 11: "sha224"}
_AES_KEY_SIZES = {7: 16, 8: 24, 9: 32}
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Protection:
    usage: int
    key_size: int
    s2k_type: int
    hash_name: str
    salt: bytes
    count: int
    iv: bytes
    data: bytes


def parse_protection(secret: bytes) -> Protection | None:
    """The S2K protection of a v4 secret part, if it is one we can try."""
    if len(secret) < 4 or secret[0] not in (254, 255):
        return None
    key_size = _AES_KEY_SIZES.get(secret[1])
    s2k_type, hash_name = secret[2], _HASHES.get(secret[3])
    if key_size is None or hash_name is None or s2k_type not in (0, 1, 3):
        return None
    pos, salt, count = 4, b"", 0
    if s2k_type in (1, 3):
        salt, pos = secret[pos : pos + 8], pos + 8
    if s2k_type == 3:
        coded = secret[pos]
        count, pos = (16 + (coded & 15)) << ((coded >> 4) + 6), pos + 1
    iv, data = secret[pos : pos + 16], secret[pos + 16 :]
    if len(iv) < 16 or len(data) < 3:
        return None
    return Protection(secret[0], key_size, s2k_type, hash_name, salt, count, iv, data)


def derive(p: Protection, passphrase: bytes) -> bytes:
    out = b""
    preload = 0
    material = p.salt + passphrase
    while len(out) < p.key_size:
        digest = hashlib.new(p.hash_name, b"\0" * preload)
        if p.s2k_type == 3 and material:
            _iterate(digest, material, max(p.count, len(material)))
        else:
            digest.update(material)
        out += digest.digest()
        preload += 1
    return out[: p.key_size]


def _iterate(digest: hashlib._Hash, material: bytes, total: int) -> None:
    block = material * max(1, _CHUNK // len(material))
    while total >= len(block):
        digest.update(block)
        total -= len(block)
    digest.update((material * (total // len(material) + 1))[:total])


def opens(p: Protection, passphrase: bytes) -> bool:
    key = derive(p, passphrase)
    decryptor = Cipher(algorithms.AES(key), CFB(p.iv)).decryptor()
    plain = decryptor.update(p.data) + decryptor.finalize()
    if p.usage == 254:
        return len(plain) > 20 and hashlib.sha1(plain[:-20]).digest() == plain[-20:]
    return sum(plain[:-2]) % 65536 == int.from_bytes(plain[-2:], "big")


def weak_passphrase(secret: bytes, passphrases: list[str] | tuple[str, ...]) -> bool:
    protection = parse_protection(secret)
    if protection is None:
        return False
    found = try_passphrases(lambda p: opens(protection, p) or None, passphrases, cost="slow")
    return found is True
