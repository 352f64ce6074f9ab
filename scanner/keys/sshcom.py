"""SSH.com / Tectia private keys (`---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----`).

No maintained library reads them; the layout (as PuTTY's importer documents
it) is small: magic 0x3f6ff9eb, a key-type string, a cipher name and a blob
that is 3DES-CBC encrypted under MD5(passphrase) ‖ MD5(passphrase ‖ MD5(passphrase))
unless the cipher is "none". Nothing is in clear: an encrypted key is named
by a well-known passphrase or an adjacent `.pub` only.
"""

from __future__ import annotations

import hashlib
import struct

from cryptography.hazmat.primitives.asymmetric import dsa, rsa

from scanner.keys import result
from scanner.keys.armor import b64decode
from scanner.keys.fingerprint import PublicKey
from scanner.keys.openssh import read_string
from scanner.keys.passphrase import try_passphrases
from scanner.keys.pkcs import public_from_elsewhere
from scanner.keys.signatures import SSHCOM_BEGIN
from scanner.model import KeyInfo

FORMAT = "ssh2"
MAGIC = 0x3F6FF9EB
BEGIN = SSHCOM_BEGIN
END = "---- END SSH2 ENCRYPTED PRIVATE KEY ----"


def decode(text: str) -> bytes | None:
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        return None
    body, lines, continued = text[start + len(BEGIN) : end], [], False
    for line in body.replace("\r", "").split("\n"):
        line = line.strip()
        is_header = ":" in line and not continued
        continued = line.endswith("\\") and (is_header or continued)
        if line and not is_header and not continued:
            lines.append(line)
    return b64decode("".join(lines))


def analyse(text: str, ctx: result.Context) -> KeyInfo:
    blob = decode(text)
    try:
        if blob is None or struct.unpack_from(">I", blob, 0)[0] != MAGIC:
            raise ValueError("bad magic")
        key_type, pos = read_string(blob, 8)
        cipher, pos = read_string(blob, pos)
        payload, _ = read_string(blob, pos)
    except (ValueError, struct.error):
        return result.unparsable(FORMAT, "damaged SSH.com key")
    kind = key_type.decode("ascii", "replace")
    if cipher == b"none":
        try:
            public = _public(kind, payload)
        except (ValueError, struct.error):
            return result.unparsable(FORMAT, "damaged SSH.com key")
        if public is None:
            return result.unparsable(FORMAT, "SSH.com key of an unsupported type")
        return result.from_public(FORMAT, public)
    if cipher != b"3des-cbc":
        return public_from_elsewhere(FORMAT, ctx)

    def opener(password: bytes) -> PublicKey | None:
        try:
            return _public(kind, _decrypt(payload, password))
        except struct.error:
            return None

    opened = try_passphrases(opener, ctx.passphrases)
    if opened is not None:
        return result.from_public(FORMAT, opened, encrypted=True, weak_passphrase=True)
    return public_from_elsewhere(FORMAT, ctx)


def _decrypt(payload: bytes, password: bytes) -> bytes:
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    from cryptography.hazmat.primitives.ciphers import Cipher, modes

    first = hashlib.md5(password, usedforsecurity=False).digest()
    key = (first + hashlib.md5(password + first, usedforsecurity=False).digest())[:24]
    if len(payload) % 8:
        raise ValueError("bad length")
    decryptor = Cipher(TripleDES(key), modes.CBC(bytes(8))).decryptor()
    return decryptor.update(payload) + decryptor.finalize()


def _mpints(data: bytes, pos: int, count: int) -> list[int]:
    values = []
    for _ in range(count):
        (bits,) = struct.unpack_from(">I", data, pos)
        end = pos + 4 + (bits + 7) // 8
        if bits > 16384 or end > len(data):
            raise ValueError("bad integer")
        values.append(int.from_bytes(data[pos + 4 : end], "big"))
        pos = end
    return values


def _public(kind: str, payload: bytes) -> PublicKey | None:
    """The public key from the (decrypted) payload; ValueError when it is not one."""
    (length,) = struct.unpack_from(">I", payload, 0)
    data = payload[4 : 4 + length]
    if length > len(payload) - 4:
        raise ValueError("wrong passphrase or damaged key")
    if kind.startswith("if-modn{sign{rsa"):
        e, _d, n, _u, p, q = _mpints(data, 0, 6)
        if p * q != n:
            raise ValueError("wrong passphrase or damaged key")
        return rsa.RSAPublicNumbers(e, n).public_key()
    if kind.startswith("dl-modp{sign{dsa"):
        if struct.unpack_from(">I", data, 0)[0] != 0:
            raise ValueError("unsupported DSA variant")
        p, g, q, y, x = _mpints(data, 4, 5)
        if pow(g, x, p) != y:
            raise ValueError("wrong passphrase or damaged key")
        return dsa.DSAPublicNumbers(y, dsa.DSAParameterNumbers(p, q, g)).public_key()
    return None
