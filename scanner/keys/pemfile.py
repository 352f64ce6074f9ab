"""PEM files: every block read, private keys parsed, public material alone gives [].

A file of PEM blocks may hold a key beside its certificate chain (the chain
names the key's certificates), several keys, or only public material
(certificates, CSRs, public keys), which is nothing secret.
"""

from __future__ import annotations

from dataclasses import replace

from cryptography import x509

from scanner.keys import openssh, pgp, pkcs, result
from scanner.keys.armor import PemBlock, pem_blocks
from scanner.keys.errors import PARSE_ERRORS
from scanner.keys.guess import text_guess
from scanner.model import KeyInfo

PUBLIC_LABELS = frozenset(
    {
        "CERTIFICATE",
        "TRUSTED CERTIFICATE",
        "X509 CRL",
        "CERTIFICATE REQUEST",
        "NEW CERTIFICATE REQUEST",
        "PUBLIC KEY",
        "RSA PUBLIC KEY",
        "PGP PUBLIC KEY BLOCK",
        "PGP SIGNATURE",
        "PGP MESSAGE",
    }
)


def parse(material: result.Material, ctx: result.Context) -> list[KeyInfo] | None:
    """KeyInfos of the private-key blocks; [] for public material only; None when
    no PEM block was readable."""
    text = material.text or ""
    blocks = pem_blocks(text)
    certs = [c for c in (_certificate(b) for b in blocks) if c is not None]
    infos: list[KeyInfo] = []
    for block in blocks:
        infos.extend(_block(block, ctx, certs))
    if infos:
        return _label_json_source(text, infos)
    if "PRIVATE KEY-----" in text:
        return [result.unparsable(text_guess(text), "damaged PEM block")]
    if blocks and all(b.label in PUBLIC_LABELS for b in blocks):
        return []  # certificates or public keys only: nothing secret here
    return None


def _block(block: PemBlock, ctx: result.Context, certs: list[x509.Certificate]) -> list[KeyInfo]:
    infos = _analysed(block, ctx, certs)
    return infos if block.ended else [_unended(info) for info in infos]


def _unended(info: KeyInfo) -> KeyInfo:
    """A key read from a block whose END line is missing says so."""
    note = UNENDED if not info.note else f"{UNENDED}; {info.note}"
    return replace(info, note=note)


UNENDED = "its END line is missing"


def _analysed(block: PemBlock, ctx: result.Context, certs: list[x509.Certificate]) -> list[KeyInfo]:
    if block.label in pkcs.PEM_FORMATS:
        return [pkcs.analyse_pem(block, ctx, certs)]
    if block.label == "OPENSSH PRIVATE KEY":
        return openssh.analyse(block, ctx)
    if block.label.startswith("PGP PRIVATE KEY"):
        return pgp.analyse(block.der, ctx)
    if block.label.endswith("PRIVATE KEY"):
        return [result.unparsable(block.label.lower(), "unsupported key format")]
    return []


def _certificate(block: PemBlock) -> x509.Certificate | None:
    if block.label not in ("CERTIFICATE", "TRUSTED CERTIFICATE"):
        return None
    try:
        return x509.load_der_x509_certificate(block.der)
    except PARSE_ERRORS:
        return None


def is_der_certificate(data: bytes) -> bool:
    try:
        x509.load_der_x509_certificate(data)
    except PARSE_ERRORS:
        return False
    return True


def _label_json_source(text: str, infos: list[KeyInfo]) -> list[KeyInfo]:
    """A GCP service-account document seen as text still says so."""
    if '"service_account"' in text or '"private_key_id"' in text:
        return [replace(i, format="gcp-service-account") if i.parsed else i for i in infos]
    return infos
