"""Dispatch: sniff what the material is and hand it to the right parser.

Text first: PuTTY PPK, SSH.com keys, PEM blocks (PKCS#1, SEC1, DSA, PKCS#8,
encrypted PKCS#8, legacy-encrypted PEM, OpenSSH, armored OpenPGP), GnuPG
s-expressions, JSON (JWK, JWKS, GCP service accounts, anything with an
escaped PEM inside), then base64 blobs (kubeconfig `client-key-data`) decoded
and analysed again. Binary next: JKS/JCEKS magic, GnuPG canonical
s-expressions, OpenPGP packets, raw openssh-key-v1, DER (a private key, then
PKCS#12). Public material alone (certificates, public keys) gives [].
"""

from __future__ import annotations

from dataclasses import replace

from cryptography import x509

from scanner.keys import gnupg, jsonkeys, keystores, openssh, pgp, pkcs, putty, result, sshcom
from scanner.keys.adjacent import parse_public
from scanner.keys.armor import PemBlock, as_text, b64decode, pem_blocks, unescape
from scanner.keys.errors import PARSE_ERRORS
from scanner.model import KeyInfo

MAX_DEPTH = 2
MAX_TOKENS = 8
_SSH_PUBLIC = ("ssh-", "ecdsa-sha2-", "sk-ssh-", "sk-ecdsa-")
_PUBLIC_LABELS = frozenset(
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
_BINARY_FORMATS = ("der", "pkcs12", "jks", "jceks", "pgp", "gnupg-private-keys-v1", "openssh")


def analyse(material: bytes, ctx: result.Context, depth: int = 0) -> list[KeyInfo]:
    text = as_text(material)
    if text is None:
        return analyse_binary(material, ctx, depth)
    return analyse_text(text, ctx, depth)


def analyse_text(text: str, ctx: result.Context, depth: int) -> list[KeyInfo]:
    if putty.MARKER in text[:4096]:
        return [putty.analyse(unescape(text), ctx)]
    if sshcom.BEGIN in text:
        return [sshcom.analyse(unescape(text), ctx)]
    if "-----BEGIN " in text:
        infos = _pem(text, ctx)
        if infos is not None:
            return _label_json_source(text, infos)
    if text.lstrip().startswith(_SSH_PUBLIC) and parse_public(text.encode("utf-8")):
        return []  # an SSH public key line: nothing secret
    raw = text.encode("utf-8")
    if gnupg.looks_like(raw):
        return [gnupg.analyse(raw, ctx)]
    if "{" in text[:4096] or '"kty"' in text[:4096]:
        found = _json(text, ctx, depth)
        if found:
            return found
    if depth < MAX_DEPTH:
        found = _from_base64(text, ctx, depth)
        if found is not None:
            return found
    return [result.unparsable(_guess(text), "no key found in the material")]


def analyse_binary(data: bytes, ctx: result.Context, depth: int) -> list[KeyInfo]:
    if data.startswith((keystores.JKS_MAGIC, keystores.JCEKS_MAGIC)):
        return keystores.analyse_java(data, ctx)
    if gnupg.looks_like(data):
        return [gnupg.analyse(data, ctx)]
    if pgp.looks_like_packets(data):
        return pgp.analyse(data, ctx)
    if data.startswith(openssh.MAGIC):
        return openssh.analyse(PemBlock("OPENSSH PRIVATE KEY", data), ctx)
    if data[:1] == b"\x30":
        found = pkcs.analyse_der(data, ctx)
        if found is not None:
            return [found]
        stores = keystores.analyse_pkcs12(data, ctx)
        if stores is not None:
            return stores
        if _is_certificate(data):
            return []
    return [result.unparsable(_binary_guess(ctx), "unrecognised binary key material")]


_EXTENSION_FORMATS = {
    ".p12": "pkcs12",
    ".pfx": "pkcs12",
    ".jks": "jks",
    ".keystore": "jks",
    ".jceks": "jceks",
    ".bks": "bks",
    ".der": "der",
    ".p8": "apple-p8",
    ".gpg": "pgp",
    ".pgp": "pgp",
    ".kdbx": "keepass",
    ".keytab": "kerberos-keytab",
}


def _binary_guess(ctx: result.Context) -> str:
    """A best-guess format name for binary material that did not parse."""
    name = (ctx.origin.archive_member or ctx.origin.path).lower()
    for extension, fmt in _EXTENSION_FORMATS.items():
        if name.endswith(extension):
            return fmt
    return "binary"


def _pem(text: str, ctx: result.Context) -> list[KeyInfo] | None:
    """KeyInfos of the private-key blocks; [] for public material only; None when
    no PEM block was readable."""
    blocks = pem_blocks(text)
    certs = [c for c in (_certificate(b) for b in blocks) if c is not None]
    infos: list[KeyInfo] = []
    for block in blocks:
        if block.label in pkcs.PEM_FORMATS:
            infos.append(pkcs.analyse_pem(block, ctx, certs))
        elif block.label == "OPENSSH PRIVATE KEY":
            infos.extend(openssh.analyse(block, ctx))
        elif block.label.startswith("PGP PRIVATE KEY"):
            infos.extend(pgp.analyse(block.der, ctx))
        elif block.label.endswith("PRIVATE KEY"):
            infos.append(result.unparsable(block.label.lower(), "unsupported key format"))
    if infos:
        return infos
    if "PRIVATE KEY-----" in text:
        return [result.unparsable(_guess(text), "damaged PEM block")]
    if blocks and all(b.label in _PUBLIC_LABELS for b in blocks):
        return []  # certificates or public keys only: nothing secret here
    return None


def _certificate(block: PemBlock) -> x509.Certificate | None:
    if block.label not in ("CERTIFICATE", "TRUSTED CERTIFICATE"):
        return None
    try:
        return x509.load_der_x509_certificate(block.der)
    except PARSE_ERRORS:
        return None


def _is_certificate(data: bytes) -> bool:
    try:
        x509.load_der_x509_certificate(data)
    except PARSE_ERRORS:
        return False
    return True


def _json(text: str, ctx: result.Context, depth: int) -> list[KeyInfo] | None:
    doc = jsonkeys.load_json(text)
    if isinstance(doc, str):  # a JSON document inside a JSON string
        doc = jsonkeys.load_json(doc)
    if doc is None:
        return None
    pem = jsonkeys.service_account_key(doc)
    if pem is not None and depth < MAX_DEPTH:
        inner = analyse_text(pem, ctx, depth + 1)
        return [replace(i, format="gcp-service-account") if i.parsed else i for i in inner]
    return jsonkeys.analyse(doc)


def _label_json_source(text: str, infos: list[KeyInfo]) -> list[KeyInfo]:
    """A GCP service-account document seen as text still says so."""
    if '"service_account"' in text or '"private_key_id"' in text:
        return [replace(i, format="gcp-service-account") if i.parsed else i for i in infos]
    return infos


def _from_base64(text: str, ctx: result.Context, depth: int) -> list[KeyInfo] | None:
    """Keys in the long base64 tokens of `text` (a kubeconfig holds a CA
    certificate, a client certificate and the client key side by side)."""
    tokens = unescape(text).replace('"', " ").replace("'", " ").replace(":", " ").split()
    longest = sorted((t for t in tokens if len(t) >= 64), key=len, reverse=True)
    infos: list[KeyInfo] = []
    public_only = False
    for token in longest[:MAX_TOKENS]:
        decoded = b64decode(token)
        if decoded is None:
            continue
        inner = analyse(decoded, ctx, depth + 1)
        infos.extend(_as_base64(i) for i in inner if i.parsed)
        public_only = public_only or not inner
    if infos:
        return infos
    return [] if public_only else None


def _as_base64(info: KeyInfo) -> KeyInfo:
    """Base64 of a PEM key is what Kubernetes stores (kubeconfig `client-key-data`,
    Secret `data`); base64 of DER is named as such."""
    if not info.parsed:
        return info
    outer = "base64-der" if info.format in _BINARY_FORMATS else "kubeconfig"
    note = f"base64 of {info.format}" + (f"; {info.note}" if info.note else "")
    return replace(info, format=outer, note=note)


def _guess(text: str) -> str:
    head = text[:4096]
    for marker, fmt in (
        ("RSA PRIVATE KEY", "pkcs1-pem"),
        ("EC PRIVATE KEY", "sec1-pem"),
        ("DSA PRIVATE KEY", "dsa-pem"),
        ("ENCRYPTED PRIVATE KEY", "pkcs8-encrypted"),
        ("OPENSSH PRIVATE KEY", "openssh"),
        ("PGP PRIVATE KEY", "pgp"),
        ("PRIVATE KEY", "pkcs8-pem"),
        ("PuTTY", "putty"),
        ("SSH2 ENCRYPTED", "ssh2"),
        ("kty", "jwk"),
        ("private_key", "gcp-service-account"),
        ("client-key-data", "kubeconfig"),
    ):
        if marker in head:
            return fmt
    return "unknown"
