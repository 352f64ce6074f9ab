"""Which binary files are worth handing to key analysis (the pipeline's
binary-file decision). Cheap: a name and a few leading bytes from the
key-format table (`formats`), and the shape of a DER key, never a parse.
Archive bytes are never a key container, whatever the name says: a zip
called `backup.p12` is an archive to expand, not a key store."""

from __future__ import annotations

from scanner.keys.formats import by_magic, is_archive_bytes, is_key_file_name


def is_key_container(path: str, data: bytes) -> bool:
    if by_magic(data) is not None:
        return True
    if is_archive_bytes(data):
        return False
    return is_key_file_name(path) or _der_key_or_pfx(data)


def _der_key_or_pfx(data: bytes) -> bool:
    """A DER SEQUENCE whose first member is INTEGER 0/1 (PKCS#1/#8, SEC1) or 3 (PFX)
    and whose length covers the whole file."""
    if len(data) < 16 or data[0] != 0x30:
        return False
    first = data[1]
    if first < 0x80:
        length, pos = first, 2
    elif 0x81 <= first <= 0x83:
        size = first - 0x80
        length, pos = int.from_bytes(data[2 : 2 + size], "big"), 2 + size
    else:
        return False
    if pos + length != len(data):
        return False
    if data[pos : pos + 2] == b"\x02\x01" and data[pos + 2] in (0, 1, 3):
        return True
    return _encrypted_pkcs8(data[pos : pos + 24])


_PKCS_OID_ARC = b"\x2a\x86\x48\x86\xf7\x0d\x01"
"""1.2.840.113549.1: PKCS#5 (PBES1/PBES2) and PKCS#12 (PBE) algorithm identifiers."""


def _encrypted_pkcs8(head: bytes) -> bool:
    """EncryptedPrivateKeyInfo: SEQUENCE { SEQUENCE { OID pkcs-5/pkcs-12 …"""
    if head[:1] != b"\x30" or len(head) < 12:
        return False
    inner = 2 + (head[1] - 0x80 if head[1] & 0x80 else 0)
    return head[inner : inner + 1] == b"\x06" and head[inner + 2 : inner + 9] == _PKCS_OID_ARC
