"""The key formats keysweep knows, in one table.

Each row names a format and says how to recognise it: file name endings,
leading bytes, a cheap look at the content (`sniff`), and the parser that
reads it. Every parser has one signature, `Parser`: it returns the keys it
found, [] for public material only (nothing secret), or None when the material
is not its format after all, so the next row gets a turn.

Readers of the table: `dispatch` walks it in order; `container` decides from it
which binary files go to key analysis at all (the binary-file decision of the
pipeline); archives never open a file it names (a .p12 is not a zip); a binary
file that no parser reads is named by its extension (`guess`). Rows without a
parser (BKS, KeePass, Kerberos keytabs) are known by name only.

Adding a format: its parser module, and one row here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scanner.keys import signatures as sig
from scanner.keys.guess import text_guess

if TYPE_CHECKING:
    from scanner.keys.result import Context, Material
    from scanner.model import KeyInfo

Parser = Callable[["Material", "Context"], "list[KeyInfo] | None"]
"""Keys found; [] for public material only; None: not this format, try the next."""
Sniffer = Callable[["Material", "Context"], bool]


def _never(material: Material, ctx: Context) -> bool:
    return False


@dataclass(frozen=True)
class KeyFormat:
    """One row of the table."""

    name: str
    parse: Parser | None
    sniff: Sniffer = _never
    extensions: tuple[str, ...] = ()
    magic: tuple[bytes, ...] = ()
    folders: tuple[str, ...] = ()
    """Folder names that hold only keys of this format, whatever the file names."""

    def claims(self, material: Material, ctx: Context) -> bool:
        """Worth a parse: the leading bytes or a look at the content say so."""
        return material.data.startswith(self.magic) or self.sniff(material, ctx)

    def names(self, path: str) -> bool:
        """The (lower-case, forward-slash) path is a file of this format by its name."""
        return path.endswith(self.extensions) or any(f"{d}/" in path for d in self.folders)


# Sniffers and parsers import their modules when called: the table itself is
# read on every item of a scan (names, magic) and must not load the parsers.


def _text_has(marker: str, head: int | None = None) -> Sniffer:
    def sniff(material: Material, ctx: Context) -> bool:
        return material.text is not None and marker in material.text[:head]

    return sniff


def _binary_der(material: Material, ctx: Context) -> bool:
    return material.text is None and material.data[:1] == b"\x30"


def _ssh_public_line(material: Material, ctx: Context) -> bool:
    text = material.text
    return text is not None and text.lstrip().startswith(sig.SSH_PUBLIC_PREFIXES)


def _gnupg_sniff(material: Material, ctx: Context) -> bool:
    from scanner.keys import gnupg

    return gnupg.looks_like(material.data)


def _pgp_sniff(material: Material, ctx: Context) -> bool:
    from scanner.keys import pgp

    return material.text is None and pgp.looks_like_packets(material.data)


def _json_sniff(material: Material, ctx: Context) -> bool:
    head = (material.text or "")[:4096]
    return "{" in head or '"kty"' in head


def _wrapped_sniff(material: Material, ctx: Context) -> bool:
    return material.text is not None and ctx.can_unwrap


def _putty(material: Material, ctx: Context) -> list[KeyInfo]:
    from scanner.keys import putty
    from scanner.keys.armor import unescape

    return [putty.analyse(unescape(material.text or ""), ctx)]


def _sshcom(material: Material, ctx: Context) -> list[KeyInfo]:
    from scanner.keys import sshcom
    from scanner.keys.armor import unescape

    return [sshcom.analyse(unescape(material.text or ""), ctx)]


def _pem(material: Material, ctx: Context) -> list[KeyInfo] | None:
    from scanner.keys import pemfile

    return pemfile.parse(material, ctx)


def _ssh_public(material: Material, ctx: Context) -> list[KeyInfo] | None:
    from scanner.keys.adjacent import parse_public

    return [] if parse_public(material.data) else None  # an SSH public key: nothing secret


def _gnupg(material: Material, ctx: Context) -> list[KeyInfo]:
    from scanner.keys import gnupg

    return [gnupg.analyse(material.data, ctx)]


def _json(material: Material, ctx: Context) -> list[KeyInfo] | None:
    from scanner.keys import jsonkeys

    return jsonkeys.parse(material, ctx)


def _wrapped(material: Material, ctx: Context) -> list[KeyInfo] | None:
    from scanner.keys import wrapped

    return wrapped.parse(material, ctx)


def _java(material: Material, ctx: Context) -> list[KeyInfo]:
    from scanner.keys import keystores

    return keystores.analyse_java(material.data, ctx)


def _pgp(material: Material, ctx: Context) -> list[KeyInfo]:
    from scanner.keys import pgp

    return pgp.analyse(material.data, ctx)


def _openssh(material: Material, ctx: Context) -> list[KeyInfo]:
    from scanner.keys import openssh
    from scanner.keys.armor import PemBlock

    return openssh.analyse(PemBlock("OPENSSH PRIVATE KEY", material.data), ctx)


def _der(material: Material, ctx: Context) -> list[KeyInfo] | None:
    from scanner.keys import pkcs

    found = pkcs.analyse_der(material.data, ctx)
    return None if found is None else [found]


def _pkcs12(material: Material, ctx: Context) -> list[KeyInfo] | None:
    from scanner.keys import keystores

    return keystores.analyse_pkcs12(material.data, ctx)


def _certificate(material: Material, ctx: Context) -> list[KeyInfo] | None:
    from scanner.keys import pemfile

    return [] if pemfile.is_der_certificate(material.data) else None


FORMATS: tuple[KeyFormat, ...] = (
    KeyFormat("putty", _putty, _text_has(sig.PUTTY_MARKER, 4096), (".ppk",)),
    KeyFormat("ssh2", _sshcom, _text_has(sig.SSHCOM_BEGIN)),
    KeyFormat("pem", _pem, _text_has(sig.PEM_BEGIN)),
    KeyFormat("ssh-public-key", _ssh_public, _ssh_public_line),
    KeyFormat(
        "gnupg-private-keys-v1",
        _gnupg,
        _gnupg_sniff,
        magic=sig.GNUPG_MARKERS,
        folders=("private-keys-v1.d",),
    ),
    KeyFormat("jwk", _json, _json_sniff),
    KeyFormat("kubeconfig", _wrapped, _wrapped_sniff),
    KeyFormat("jks", _java, extensions=(".jks", ".keystore"), magic=(sig.JKS_MAGIC,)),
    KeyFormat("jceks", _java, extensions=(".jceks",), magic=(sig.JCEKS_MAGIC,)),
    KeyFormat("pgp", _pgp, _pgp_sniff, (".gpg", ".pgp")),
    KeyFormat("openssh", _openssh, magic=(sig.OPENSSH_MAGIC,)),
    KeyFormat("der", _der, _binary_der, (".der", ".key", ".pk8")),
    KeyFormat("pkcs12", _pkcs12, _binary_der, (".p12", ".pfx")),
    KeyFormat("x509-certificate", _certificate, _binary_der),
    KeyFormat("apple-p8", None, extensions=(".p8",)),
    KeyFormat("bks", None, extensions=(".bks",)),
    KeyFormat("keepass", None, extensions=(".kdbx",)),
    KeyFormat("kerberos-keytab", None, extensions=(".keytab",)),
)


_ANY_EXTENSION = tuple(ext for fmt in FORMATS for ext in fmt.extensions)
_ANY_FOLDER = tuple(f"{d}/" for fmt in FORMATS for d in fmt.folders)
"""Every row's endings and folders at once: most names match none, and are
rejected by one `endswith` and a folder test instead of a walk over the table
(asked for every item of a scan, often twice)."""


def named(path: str) -> KeyFormat | None:
    """The format a file's name says it holds, or None."""
    name = path.replace("\\", "/").lower()
    if not name.endswith(_ANY_EXTENSION) and not any(d in name for d in _ANY_FOLDER):
        return None
    for fmt in FORMATS:
        if fmt.names(name):
            return fmt
    return None


def is_key_file_name(path: str) -> bool:
    """A key file by its name alone (a .p12, a .jks, a GnuPG key file, …)."""
    return named(path) is not None


def by_magic(data: bytes) -> KeyFormat | None:
    """The format whose leading bytes `data` starts with, or None."""
    for fmt in FORMATS:
        if fmt.magic and data.startswith(fmt.magic):
            return fmt
    return None


def is_archive_bytes(data: bytes) -> bool:
    """Bytes of a zip, gzip, xz, 7z or POSIX tar archive: no key format, whatever
    the file is called."""
    return data.startswith(sig.ARCHIVE_MAGIC) or data.startswith(sig.TAR_MAGIC, sig.TAR_MAGIC_AT)


def guess(material: Material, ctx: Context) -> str:
    """A best-guess format name for material no parser could read."""
    if material.text is not None:
        return text_guess(material.text)
    if is_archive_bytes(material.data):
        return "archive"
    fmt = named(ctx.origin.archive_member or ctx.origin.path)
    return fmt.name if fmt is not None else "binary"
