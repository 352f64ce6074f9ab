"""The markers and leading bytes that identify key formats.

A leaf module: it imports nothing, so the key-format table (`formats.py`) can
name every format's signature without importing a parser, and the
binary-file decision and the archive check, which run on every item of a
scan, stay cheap. The parsers use the same constants.
"""

from __future__ import annotations

PUTTY_MARKER = "PuTTY-User-Key-File-"
SSHCOM_BEGIN = "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----"
PEM_BEGIN = "-----BEGIN "
JKS_MAGIC = b"\xfe\xed\xfe\xed"
JCEKS_MAGIC = b"\xce\xce\xce\xce"
OPENSSH_MAGIC = b"openssh-key-v1\x00"
GNUPG_MARKERS = (b"(11:private-key", b"(21:protected-private-key", b"(20:shadowed-private-key")
"""The canonical s-expressions of GnuPG's `private-keys-v1.d` files."""
SSH_PUBLIC_PREFIXES = ("ssh-", "ecdsa-sha2-", "sk-ssh-", "sk-ecdsa-")
ARCHIVE_MAGIC = (
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"\x1f\x8b\x08",
    b"\xfd7zXZ\x00",
    b"7z\xbc\xaf\x27\x1c",
)
"""Leading bytes of zip, gzip, xz and 7z archives (the magic `sources/archives`
expands by): no key format starts so. A file with these bytes is an archive
whatever its name (`backup.p12` may be a zip), never a key store."""
TAR_MAGIC, TAR_MAGIC_AT = b"ustar", 257
