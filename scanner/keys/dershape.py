"""Whether bytes have the shape of a DER private key or a PKCS#12 store, whatever
the file's name.

A key-hygiene scanner reports a private key by its structure: `server.der`,
`blob` and `data.bin` holding a PKCS#8, PKCS#1, SEC1 or encrypted PKCS#8 key
are as much a leak as `id_rsa`. The rules engine asks this of every item it
scans (key-file rules that name the check in `validate:`), so it is a cheap
look, never a parse: one SEQUENCE that spans the whole item, then its first
members (a version INTEGER and a key algorithm's OID, the big INTEGERs of
PKCS#1, the OCTET STRING of SEC1, a PKCS#5/#12 encryption OID). Most items fail
at their first byte. What passes goes to key analysis, which parses it with
`cryptography` (`pkcs.analyse_der`). Public keys (SubjectPublicKeyInfo, PKCS#1
RSAPublicKey), certificates and PKCS#12 files do not have this shape.

The same look, with a version INTEGER 3 and a PKCS#7 data or signedData
ContentInfo, tells a PKCS#12 store (PFX) whatever it is called (`backup.bin`).
The SEQUENCE must span the item, but for at most 16 bytes of padding after it
(newlines, CR, spaces, NULs: `echo >> key.der`, a tool padding a block), which
`unpadded` removes before a parser reads the bytes.

Imports only the leaf `der` module: the engine loads it on the hook path.
"""

from __future__ import annotations

from scanner.keys import der

_KEY_ALGORITHM_ARCS = (
    b"\x2a\x86\x48\x86\xf7\x0d\x01\x01",  # 1.2.840.113549.1.1: rsaEncryption, RSASSA-PSS
    b"\x2a\x86\x48\x86\xf7\x0d\x01\x03",  # 1.2.840.113549.1.3: PKCS#3 DH
    b"\x2a\x86\x48\xce\x3d\x02",  # 1.2.840.10045.2: id-ecPublicKey
    b"\x2a\x86\x48\xce\x38\x04",  # 1.2.840.10040.4: DSA
    b"\x2a\x86\x48\xce\x3e\x02",  # 1.2.840.10046.2: X9.42 DH
    b"\x2b\x65",  # 1.3.101: X25519, X448, Ed25519, Ed448
    b"\x2a\x81\x1c\xcf\x55\x01\x82\x2d",  # 1.2.156.10197.1.301: SM2
)
"""OID prefixes (content bytes) of the algorithms a PKCS#8 PrivateKeyInfo names."""

_ENCRYPTION_ARCS = (
    b"\x2a\x86\x48\x86\xf7\x0d\x01\x05",  # 1.2.840.113549.1.5: PBES1, PBES2
    b"\x2a\x86\x48\x86\xf7\x0d\x01\x0c\x01",  # 1.2.840.113549.1.12.1: PKCS#12 PBE
)
"""OID prefixes of an EncryptedPrivateKeyInfo's encryption algorithm."""

_PFX_CONTENT = (
    b"\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01",  # 1.2.840.113549.1.7.1: pkcs7-data
    b"\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02",  # 1.2.840.113549.1.7.2: signedData
)
"""The content types of a PFX's authSafe: password integrity (data) or public-key
integrity (signedData), RFC 7292 section 4."""

_MIN_SIZE = 32
"""The smallest private key in DER (an unencrypted Ed25519 PKCS#8 key) is 48 bytes."""
_PADDING = b"\x00\t\n\r "
_MAX_PADDING = 16
"""Bytes allowed after the one SEQUENCE: a newline `echo >> key.der` or an editor
adds, CR LF, spaces, NULs a tool pads a block with; at most this many, and
nothing else."""


def is_private_key(data: bytes) -> bool:
    """A PKCS#8 (plain or encrypted), PKCS#1 RSA, DSA or SEC1 EC private key in DER."""
    members = _members(data, 3)
    return bool(members) and (_plain(data, members) or _encrypted(data, members))


def is_pkcs12(data: bytes) -> bool:
    """A PKCS#12 store (PFX): SEQUENCE { INTEGER 3, ContentInfo { OID data or
    signedData, [0] content }, MacData SEQUENCE (optional) }."""
    members = _members(data, 4)
    if not 2 <= len(members) <= 3 or der.small_int(data, members[0]) != 3:
        return False
    if members[-1][0] != der.SEQUENCE or members[1][0] != der.SEQUENCE:
        return False
    try:
        content = der.children(data, members[1], limit=2)
    except (ValueError, IndexError):
        return False
    if len(content) != 2 or content[0][0] != der.OID or content[1][0] != der.CONTEXT_0:
        return False
    return der.content(data, content[0]) in _PFX_CONTENT


def unpadded(data: bytes) -> bytes:
    """`data` without the padding `is_private_key` and `is_pkcs12` allow after
    their one SEQUENCE (parsers refuse trailing bytes); else `data` itself."""
    outer = _outer(data)
    return data[: outer[2]] if outer is not None else data


def _members(data: bytes, limit: int) -> list[der.Node]:
    """The first `limit` members of the one SEQUENCE `data` holds, or []."""
    outer = _outer(data)
    if outer is None:
        return []
    try:
        return der.children(data, outer, limit=limit)
    except (ValueError, IndexError):
        return []


def _outer(data: bytes) -> der.Node | None:
    """The SEQUENCE that starts `data`, when at most a little padding follows it."""
    if len(data) < _MIN_SIZE or data[0] != der.SEQUENCE:
        return None
    try:
        outer = der.header(data, 0)
    except (ValueError, IndexError):
        return None
    tail = data[outer[2] :]
    return outer if len(tail) <= _MAX_PADDING and not tail.strip(_PADDING) else None


def _plain(data: bytes, members: list[der.Node]) -> bool:
    """Version INTEGER first: PKCS#8 (v1/v2), PKCS#1 and DSA (0), SEC1 (1)."""
    if len(members) < 3:
        return False
    version = der.small_int(data, members[0])
    if version not in (0, 1):
        return False
    second, third = members[1], members[2]
    if second[0] == der.SEQUENCE:  # PKCS#8: AlgorithmIdentifier, then the key's OCTET STRING
        return third[0] == der.OCTETS and _names(data, second, _KEY_ALGORITHM_ARCS)
    if version == 1:  # SEC1: the private scalar as an OCTET STRING
        return second[0] == der.OCTETS and 16 <= second[2] - second[1] <= 72
    return second[0] == der.INTEGER == third[0] and second[2] - second[1] >= 64


def _encrypted(data: bytes, members: list[der.Node]) -> bool:
    """EncryptedPrivateKeyInfo: SEQUENCE { AlgorithmIdentifier, OCTET STRING }."""
    if len(members) != 2 or members[0][0] != der.SEQUENCE or members[1][0] != der.OCTETS:
        return False
    return _names(data, members[0], _ENCRYPTION_ARCS)


def _names(data: bytes, algorithm: der.Node, arcs: tuple[bytes, ...]) -> bool:
    """The AlgorithmIdentifier's OID starts with one of `arcs`."""
    try:
        oid = der.header(data, algorithm[1])
    except (ValueError, IndexError):
        return False
    return oid[0] == der.OID and oid[2] <= algorithm[2] and der.content(data, oid).startswith(arcs)
