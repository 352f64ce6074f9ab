"""Public parts kept next to a key file, as ssh keeps `id_rsa.pub` beside `id_rsa`.

When a key's own file does not reveal its public part (encrypted PKCS#8, a
locked PKCS#12), a public key or certificate with the same base name often
sits beside it. Only files on disk are looked at, never archive members.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from scanner.keys.armor import as_text, pem_blocks
from scanner.keys.errors import PARSE_ERRORS
from scanner.keys.fingerprint import PublicKey, as_public_key, quiet_deprecations
from scanner.keys.result import cert_public
from scanner.model import Origin

MAX_SIZE = 256 * 1024
_SUFFIXES = (".pub", ".pub.pem", ".pem.pub", "-pub.pem", "_pub.pem", ".public.pem")
_CERT_SUFFIXES = (".crt", ".cer", ".cert", "-cert.pem", ".cert.pem", "-crt.pem", ".pem")


@dataclass(frozen=True)
class Adjacent:
    public: PublicKey
    name: str
    """File name of the public key or certificate."""
    certificate: x509.Certificate | None = None


def candidates(fs_path: str) -> list[str]:
    """Paths to look at for the public part of the key in `fs_path`, in order."""
    folder, base = os.path.split(fs_path)
    stems = [base]
    stem = base
    while "." in stem.lstrip("."):
        stem = stem.rsplit(".", 1)[0]
        stems.append(stem)
    names: list[str] = []
    for s in stems:
        names += [s + suffix for suffix in _SUFFIXES + _CERT_SUFFIXES]
    return [os.path.join(folder, n) for n in dict.fromkeys(names) if n != base]


def find_adjacent(origin: Origin) -> Adjacent | None:
    """The first readable public key or certificate beside `origin.fs_path`."""
    if origin.fs_path is None or origin.archive_member:
        return None
    for path in candidates(origin.fs_path):
        found = _read(path)
        if found is not None:
            public, cert = found
            return Adjacent(public=public, name=os.path.basename(path), certificate=cert)
    return None


def _read(path: str) -> tuple[PublicKey, x509.Certificate | None] | None:
    try:
        if not os.path.isfile(path) or os.path.getsize(path) > MAX_SIZE:
            return None
        with open(path, "rb") as handle:
            data = handle.read(MAX_SIZE)
    except OSError:
        return None
    return parse_public(data)


def parse_public(data: bytes) -> tuple[PublicKey, x509.Certificate | None] | None:
    """A public key from an SSH public line, a PEM public key or certificate, or DER."""
    text = as_text(data)
    if text is not None:
        return _parse_public_text(text)
    return _parse_public_der(data)


def _parse_public_text(text: str) -> tuple[PublicKey, x509.Certificate | None] | None:
    first = text.strip().split("\n", 1)[0].strip()
    if first.startswith(("ssh-", "ecdsa-sha2-")):
        try:
            with quiet_deprecations():
                public = as_public_key(serialization.load_ssh_public_key(first.encode("ascii")))
        except PARSE_ERRORS:
            return None
        return (public, None) if public is not None else None
    for block in pem_blocks(text):
        if block.label in ("PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE"):
            found = _parse_public_der(block.der)
            if found is None and block.label == "RSA PUBLIC KEY":
                found = _pkcs1_public(block.pem())
            if found is not None:
                return found
    return None


def _pkcs1_public(pem: bytes) -> tuple[PublicKey, None] | None:
    try:
        public = as_public_key(serialization.load_pem_public_key(pem))
    except PARSE_ERRORS:
        return None
    return (public, None) if public is not None else None


def _parse_public_der(der: bytes) -> tuple[PublicKey, x509.Certificate | None] | None:
    try:
        cert = x509.load_der_x509_certificate(der)
    except PARSE_ERRORS:
        cert = None
    if cert is not None:
        public = cert_public(cert)
        return (public, cert) if public is not None else None
    try:
        public = as_public_key(serialization.load_der_public_key(der))
    except PARSE_ERRORS:
        return None
    return (public, None) if public is not None else None
