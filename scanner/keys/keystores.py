"""Keystores: PKCS#12 (`cryptography`) and Java JKS/JCEKS (`pyjks`).

PKCS#12 files usually encrypt everything, certificates included: without a
passphrase only an adjacent public key or certificate can name the key. JKS
and JCEKS keep each key's certificate chain in clear, so the identity is known
even when the key entry stays locked. Stores that hold only trusted
certificates (cacerts, truststores) hold no private key and give no KeyInfo.
"""

from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12

from scanner.keys import result
from scanner.keys.dershape import unpadded
from scanner.keys.errors import PARSE_ERRORS
from scanner.keys.fingerprint import PublicKey, as_public_key
from scanner.keys.kdfcost import verdict
from scanner.keys.passphrase import try_passphrases
from scanner.keys.pkcs import load_der, public_from_elsewhere, public_of
from scanner.keys.pkcs12_certs import clear_certificates
from scanner.keys.signatures import JCEKS_MAGIC
from scanner.model import KeyInfo

CLEAR_KEY_BAG = bytes.fromhex("060B2A864886F70D010C0A0101")
"""OID 1.2.840.113549.1.12.10.1.1 (keyBag): a PKCS#12 key stored unencrypted. Without
it, a file that opens with no passphrase used an empty one: weak, not unprotected."""


def analyse_pkcs12(data: bytes, ctx: result.Context) -> list[KeyInfo] | None:
    """KeyInfos of a PKCS#12 file; None when `data` is not PKCS#12 at all."""
    data = unpadded(data)  # a newline or NULs after the PFX
    cost = verdict(data)  # before any load: even a first load checks the MAC
    if cost == "skip" and _is_pkcs12(data):
        return [_locked_pkcs12(data, ctx, tried=False)]
    try:
        opened = pkcs12.load_pkcs12(data, None) if cost != "skip" else None
    except PARSE_ERRORS:
        opened = None
    if opened is not None:
        return _pkcs12_infos(opened, encrypted=CLEAR_KEY_BAG not in data)
    if not _is_pkcs12(data):
        return None
    opened = try_passphrases(lambda p: pkcs12.load_pkcs12(data, p), ctx.passphrases, cost=cost)
    if opened is not None:
        return _pkcs12_infos(opened, encrypted=True)
    return [_locked_pkcs12(data, ctx, tried=cost != "skip")]


def _locked_pkcs12(data: bytes, ctx: result.Context, *, tried: bool) -> KeyInfo:
    """A PKCS#12 that did not open: a certificate bag in clear, else beside it."""
    bags = clear_certificates(data)
    chosen = [der for der, keyed in bags if keyed] or ([bags[0][0]] if len(bags) == 1 else [])
    for cert_der in chosen[:1]:
        try:
            cert = x509.load_der_x509_certificate(cert_der)
        except PARSE_ERRORS:
            break
        public = result.cert_public(cert)
        if public is not None:
            return result.from_public(
                "pkcs12",
                public,
                encrypted=True,
                certificates=[cert],
                note="public part read from the certificate stored in clear in the file",
            )
    return public_from_elsewhere("pkcs12", ctx, tried=tried)


def _is_pkcs12(data: bytes) -> bool:
    """A PFX: SEQUENCE { INTEGER 3, ContentInfo … } (checked cheaply)."""
    if len(data) < 8 or data[0] != 0x30:
        return False
    length_octets = data[1] - 0x80 if data[1] & 0x80 else 0
    pos = 2 + length_octets
    return data[pos : pos + 3] == b"\x02\x01\x03"


def _pkcs12_infos(p12: pkcs12.PKCS12KeyAndCertificates, *, encrypted: bool) -> list[KeyInfo]:
    if p12.key is None:
        return []
    public = as_public_key(p12.key.public_key())
    if public is None:
        return [result.unparsable("pkcs12", "unsupported key type in PKCS#12")]
    certs = [c.certificate for c in ([p12.cert] if p12.cert else []) + list(p12.additional_certs)]
    mine = result.matching_certs(public, certs)
    return [
        result.from_public(
            "pkcs12",
            public,
            encrypted=encrypted,
            weak_passphrase=encrypted,
            certificates=mine,
        )
    ]


def analyse_java(data: bytes, ctx: result.Context) -> list[KeyInfo]:
    import jks

    fmt = "jceks" if data.startswith(JCEKS_MAGIC) else "jks"
    try:
        store = jks.KeyStore.loads(data, None, try_decrypt_keys=False)
    except Exception as exc:  # pyjks raises its own family and struct errors
        return [result.unparsable(fmt, f"damaged {fmt.upper()} keystore: {type(exc).__name__}")]
    infos = [_java_entry(fmt, alias, e, ctx) for alias, e in sorted(store.private_keys.items())]
    infos += [
        result.unparsable(fmt, f"secret key entry {alias!r}: symmetric, no public part")
        for alias in sorted(store.secret_keys)
    ]
    return infos


def _java_entry(fmt: str, alias: str, entry: Any, ctx: result.Context) -> KeyInfo:
    certs = _chain(entry)

    def opener(password: bytes) -> PublicKey | None:
        return _decrypt(entry, password)

    protected = getattr(entry, "_encrypted", None)
    cost = verdict(protected) if isinstance(protected, bytes) else "normal"
    opened = try_passphrases(opener, ctx.passphrases, cost=cost)
    if opened is not None:
        return result.from_public(
            fmt,
            opened,
            encrypted=True,
            weak_passphrase=True,
            certificates=result.matching_certs(opened, certs),
            note=f"alias {alias}",
        )
    public = result.cert_public(certs[0]) if certs else None
    if public is None:
        return result.unknown(fmt, note=f"alias {alias}: locked, no certificate chain")
    return result.from_public(
        fmt,
        public,
        encrypted=True,
        certificates=certs,
        note=f"alias {alias}: public part read from its certificate chain",
    )


def _chain(entry: Any) -> list[x509.Certificate]:
    certs = []
    for _kind, der in getattr(entry, "cert_chain", None) or []:
        try:
            certs.append(x509.load_der_x509_certificate(der))
        except PARSE_ERRORS:
            continue
    return certs


def _decrypt(entry: Any, password: bytes) -> PublicKey | None:
    try:
        entry.decrypt(password.decode("utf-8"))
    except Exception:  # a wrong password, or pyjks/pyasn1 errors on a damaged entry
        return None
    try:
        return public_of(load_der(entry.pkey_pkcs8, None))
    except PARSE_ERRORS:
        return None
