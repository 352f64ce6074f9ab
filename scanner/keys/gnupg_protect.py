"""Does a well-known passphrase open a GnuPG `protected-private-key`?

GnuPG's agent protects the secret parameters with AES-128 under an
iterated-and-salted SHA-1 string-to-key. `openpgp-s2k3-ocb-aes` (GnuPG 2.2
and later) is OCB with the public parameters and the `protected-at` item as
associated data, so the tag says whether a passphrase is right.
`openpgp-s2k3-sha1-aes-cbc` (older) is CBC; a right passphrase decrypts to a
well-formed s-expression.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESOCB3

from scanner.keys import sexp
from scanner.keys.passphrase import try_passphrases

MAX_COUNT = 400_000_000
"""Bytes hashed per attempt above which no passphrase is tried."""
_OCB = b"openpgp-s2k3-ocb-aes"
_CBC = b"openpgp-s2k3-sha1-aes-cbc"


def canonical(node: sexp.Sexp) -> bytes:
    if isinstance(node, bytes):
        return str(len(node)).encode() + b":" + node
    return b"(" + b"".join(canonical(item) for item in node) + b")"


def weak_passphrase(algorithm_list: list[sexp.Sexp], passphrases: Sequence[str]) -> bool:
    """True when one of `passphrases` opens the protected parameters."""
    found = _parameters(algorithm_list)
    if found is None:
        return False
    mode, iv, salt, count, data = found
    aad = _aad(algorithm_list)

    def opens(password: bytes) -> bool | None:
        key = _s2k(password, salt, count)
        if mode == _OCB:
            try:
                AESOCB3(key).decrypt(iv[:12], data, aad)
            except InvalidTag:
                return None
            return True
        if mode == _CBC and len(data) % 16 == 0:
            decryptor = Cipher(algorithms.AES(key), modes.CBC(iv[:16])).decryptor()
            plain = decryptor.update(data) + decryptor.finalize()
            return _well_formed(plain) or None
        return None

    return try_passphrases(opens, passphrases, cost="slow") is True


def _parameters(
    algorithm_list: list[sexp.Sexp],
) -> tuple[bytes, bytes, bytes, int, bytes] | None:
    """(mode, iv, salt, count, data) of `(protected MODE ((sha1 SALT COUNT) IV) DATA)`."""
    protected = _item(algorithm_list, b"protected")
    if protected is None or len(protected) < 4:
        return None
    mode, params, data = protected[1], protected[2], protected[3]
    if not (isinstance(params, list) and len(params) >= 2 and isinstance(params[0], list)):
        return None
    s2k, iv = params[0], params[1]
    if len(s2k) < 3:
        return None
    salt, count = s2k[1], s2k[2]
    if not (
        isinstance(mode, bytes)
        and isinstance(iv, bytes)
        and isinstance(salt, bytes)
        and isinstance(data, bytes)
        and isinstance(count, bytes)
        and count.isdigit()
        and int(count) <= MAX_COUNT
    ):
        return None
    return mode, iv, salt, int(count), data


def _item(node: list[sexp.Sexp], name: bytes) -> list[sexp.Sexp] | None:
    for item in node[1:]:
        if isinstance(item, list) and item and item[0] == name:
            return item
    return None


def _aad(algorithm_list: list[sexp.Sexp]) -> bytes:
    """`(3:rsa(1:n…)(1:e…)` + the `protected-at` item + `)`, as GnuPG authenticates it."""
    head = [algorithm_list[0]] + [
        item
        for item in algorithm_list[1:]
        if not (isinstance(item, list) and item and item[0] in (b"protected", b"protected-at"))
    ]
    stamp = _item(algorithm_list, b"protected-at")
    middle = canonical(stamp) if stamp is not None else b""
    return canonical(head)[:-1] + middle + b")"


def _s2k(password: bytes, salt: bytes, count: int) -> bytes:
    material = salt + password
    total = max(count, len(material))
    digest = hashlib.sha1(usedforsecurity=False)
    block = material * max(1, 65536 // len(material))
    while total >= len(block):
        digest.update(block)
        total -= len(block)
    digest.update((material * (total // len(material) + 1))[:total])
    return digest.digest()[:16]


def _well_formed(plain: bytes) -> bool:
    if not plain.startswith(b"(("):
        return False
    try:
        sexp.parse(plain)
    except ValueError:
        return False
    return True
