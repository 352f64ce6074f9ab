"""Which binary files are worth handing to key analysis (the pipeline's
binary-file decision). Cheap: a name and a few leading bytes from the
key-format table (`formats`), and the shape of a DER key or PFX
(`dershape`), never a parse.
Archive bytes are never a key container, whatever the name says: a zip
called `backup.p12` is an archive to expand, not a key store."""

from __future__ import annotations

from scanner.keys import dershape
from scanner.keys.formats import by_magic, is_archive_bytes, is_key_file_name


def is_key_container(path: str, data: bytes) -> bool:
    if by_magic(data) is not None:
        return True
    if is_archive_bytes(data):
        return False
    return is_key_file_name(path) or _der_key_or_pfx(data)


def _der_key_or_pfx(data: bytes) -> bool:
    """A DER private key or PKCS#12 store spanning the file (a little padding
    allowed after it): the shapes the structural key-file rules report."""
    return dershape.is_private_key(data) or dershape.is_pkcs12(data)
