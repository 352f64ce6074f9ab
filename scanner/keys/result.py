"""What every key parser is given (`Material`, `Context`), and the `KeyInfo` values
it builds: from a public key, from nothing, or for bad input."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from cryptography import x509

from scanner.keys.errors import PARSE_ERRORS
from scanner.keys.fingerprint import PublicKey, as_public_key, describe, fingerprints, spki_der
from scanner.model import KeyInfo, Origin

MAX_DEPTH = 2
"""How deep wrapped material is unwrapped (PEM in JSON in base64 is as far as it goes)."""


@dataclass(frozen=True)
class Material:
    """What a parser reads: the bytes, and the same bytes as text unless binary."""

    data: bytes
    text: str | None


@dataclass(frozen=True)
class Context:
    """What every parser needs besides the bytes. Formats that wrap other key
    material (base64 in a kubeconfig, PEM inside JSON) hand what they unwrap to
    `inner`, which analyses it one level deeper; `depth` bounds the nesting."""

    origin: Origin
    passphrases: Sequence[str]
    depth: int = 0
    reread: Callable[[bytes, Context], list[KeyInfo]] | None = None

    @property
    def can_unwrap(self) -> bool:
        return self.reread is not None and self.depth < MAX_DEPTH

    def inner(self, data: bytes) -> list[KeyInfo]:
        """The keys in `data`, unwrapped from this material ([] past the depth bound)."""
        if self.reread is None or not self.can_unwrap:
            return []
        return self.reread(data, replace(self, depth=self.depth + 1))


def from_public(
    fmt: str,
    public: PublicKey,
    *,
    encrypted: bool = False,
    weak_passphrase: bool = False,
    certificates: Sequence[x509.Certificate] = (),
    extra: Mapping[str, str] | None = None,
    note: str | None = None,
) -> KeyInfo:
    """A fully identified key: every fingerprint its public part allows."""
    algorithm, bits, curve = describe(public)
    prints = fingerprints(public)
    if extra:
        prints.update(extra)
    cert_hashes = tuple(cert_sha256(c) for c in certificates)
    if cert_hashes:
        prints["x509_sha256"] = cert_hashes[0]
    return KeyInfo(
        format=fmt,
        algorithm=algorithm,
        bits=bits,
        curve=curve,
        encrypted=encrypted,
        public_known=True,
        weak_passphrase=weak_passphrase,
        fingerprints=prints,
        certificates=cert_hashes,
        note=note,
        public_der=spki_der(public),
    )


def unknown(
    fmt: str,
    *,
    note: str,
    algorithm: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> KeyInfo:
    """An encrypted key whose public part could not be read."""
    return KeyInfo(
        format=fmt,
        algorithm=algorithm,
        encrypted=True,
        public_known=False,
        fingerprints=dict(extra or {}),
        note=note,
    )


def unparsable(fmt: str, note: str) -> KeyInfo:
    return KeyInfo(format=fmt, parsed=False, public_known=False, note=note)


def cert_sha256(cert: x509.Certificate) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding

    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


def cert_public(cert: x509.Certificate) -> PublicKey | None:
    """The certificate's public key, or None when `cryptography` cannot read it."""
    try:
        return as_public_key(cert.public_key())
    except PARSE_ERRORS:
        return None


def matching_certs(public: PublicKey, certs: Sequence[x509.Certificate]) -> list[x509.Certificate]:
    """The certificates issued for `public` (same SPKI), first one first."""
    wanted = spki_der(public)
    out = []
    for cert in certs:
        theirs = cert_public(cert)
        if theirs is not None and spki_der(theirs) == wanted:
            out.append(cert)
    return out
