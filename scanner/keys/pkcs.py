"""PEM and DER private keys through `cryptography`: PKCS#1, SEC1, PKCS#8
(encrypted too), legacy OpenSSL-encrypted PEM, DSA, and bare DER."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from scanner.keys import result
from scanner.keys.adjacent import find_adjacent
from scanner.keys.armor import PemBlock
from scanner.keys.dershape import unpadded
from scanner.keys.errors import PARSE_ERRORS
from scanner.keys.fingerprint import PublicKey, as_public_key
from scanner.keys.kdfcost import verdict
from scanner.keys.passphrase import try_passphrases
from scanner.model import KeyInfo

PEM_FORMATS = {
    "RSA PRIVATE KEY": "pkcs1-pem",
    "EC PRIVATE KEY": "sec1-pem",
    "DSA PRIVATE KEY": "dsa-pem",
    "PRIVATE KEY": "pkcs8-pem",
    "ENCRYPTED PRIVATE KEY": "pkcs8-encrypted",
}
UNTRIED = "encrypted; passphrases not tried: its key derivation is too costly"


def pem_format(block: PemBlock, origin_path: str) -> str:
    if block.encrypted_legacy:
        return "legacy-encrypted-pem"
    fmt = PEM_FORMATS[block.label]
    if fmt == "pkcs8-pem" and origin_path.lower().endswith(".p8"):
        return "apple-p8"
    return fmt


def analyse_pem(
    block: PemBlock, ctx: result.Context, certs: Sequence[x509.Certificate] = ()
) -> KeyInfo:
    """One PEM private-key block."""
    fmt = pem_format(block, ctx.origin.path)
    pem = block.pem()
    encrypted = block.encrypted_legacy or block.label == "ENCRYPTED PRIVATE KEY"
    if not encrypted:
        try:
            public = public_of(_load_pem(pem, None))
        except PARSE_ERRORS as exc:
            return result.unparsable(fmt, f"does not parse as a key: {_reason(exc)}")
        return _identified(fmt, public, certs)

    def opener(password: bytes) -> PublicKey:
        return public_of(_load_pem(pem, password))

    cost = verdict(block.der) if block.label == "ENCRYPTED PRIVATE KEY" else "normal"
    opened = try_passphrases(opener, ctx.passphrases, cost=cost)
    return _encrypted(fmt, opened, ctx, certs, tried=cost != "skip")


def analyse_der(data: bytes, ctx: result.Context, fmt: str = "der") -> KeyInfo | None:
    """A DER private key (PKCS#1, SEC1 or PKCS#8, encrypted or not), or None.
    A few bytes of padding after it (`echo >> key.der`) are not part of the key."""
    data = unpadded(data)
    try:
        return _identified(fmt, public_of(load_der(data, None)), ())
    except TypeError:
        pass  # encrypted PKCS#8
    except PARSE_ERRORS:
        return None

    def opener(password: bytes) -> PublicKey:
        return public_of(load_der(data, password))

    cost = verdict(data)
    opened = try_passphrases(opener, ctx.passphrases, cost=cost)
    return _encrypted(fmt, opened, ctx, (), tried=cost != "skip")


def _load_pem(pem: bytes, password: bytes | None) -> object:
    # Only the public key is used: skip the slow RSA consistency check (~100 ms).
    return serialization.load_pem_private_key(pem, password, unsafe_skip_rsa_key_validation=True)


def load_der(data: bytes, password: bytes | None) -> object:
    return serialization.load_der_private_key(data, password, unsafe_skip_rsa_key_validation=True)


def public_of(private: object) -> PublicKey:
    public_key = getattr(private, "public_key", None)
    public = as_public_key(public_key()) if callable(public_key) else None
    if public is None:
        raise ValueError(f"unsupported key type {type(private).__name__}")
    return public


def _identified(fmt: str, public: PublicKey, certs: Sequence[x509.Certificate]) -> KeyInfo:
    return result.from_public(fmt, public, certificates=result.matching_certs(public, certs))


def _encrypted(
    fmt: str,
    opened: PublicKey | None,
    ctx: result.Context,
    certs: Sequence[x509.Certificate],
    *,
    tried: bool = True,
) -> KeyInfo:
    if opened is not None:
        return result.from_public(
            fmt,
            opened,
            encrypted=True,
            weak_passphrase=True,
            certificates=result.matching_certs(opened, certs),
        )
    return public_from_elsewhere(fmt, ctx, certs, tried=tried)


def public_from_elsewhere(
    fmt: str,
    ctx: result.Context,
    certs: Sequence[x509.Certificate] = (),
    *,
    tried: bool = True,
) -> KeyInfo:
    """An encrypted key that did not open: a certificate in the same material,
    then an adjacent public key or certificate, else identity unknown."""
    if len(certs) == 1:
        public = result.cert_public(certs[0])
        if public is not None:
            return result.from_public(
                fmt,
                public,
                encrypted=True,
                certificates=certs,
                note="public part read from the certificate stored with the key",
            )
    found = find_adjacent(ctx.origin)
    if found is not None:
        return result.from_public(
            fmt,
            found.public,
            encrypted=True,
            certificates=[found.certificate] if found.certificate else (),
            note=f"public part read from {found.name}",
        )
    if not tried:
        return result.unknown(fmt, note=UNTRIED)
    return result.unknown(fmt, note="encrypted; no well-known passphrase opens it")


def _reason(exc: Exception) -> str:
    text = str(exc).split("\n", 1)[0].strip()
    return (text[:120] or type(exc).__name__).rstrip(".")
