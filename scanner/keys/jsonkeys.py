"""JSON key material: JWK, JWKS, and GCP service-account files (`private_key`).

`public_key` is the one reader of a JWK's public members: key analysis and
the registry (`registry/jwk.py`) both use it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, x448, x25519
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicNumbers

from scanner.keys import result
from scanner.keys.armor import b64decode
from scanner.keys.errors import PARSE_ERRORS
from scanner.keys.fingerprint import PublicKey
from scanner.model import KeyInfo
from scanner.safeload import json_loads

_CURVES: dict[str, ec.EllipticCurve] = {
    "P-256": ec.SECP256R1(),
    "P-384": ec.SECP384R1(),
    "P-521": ec.SECP521R1(),
    "secp256k1": ec.SECP256K1(),
}
_OKP: dict[
    str,
    type[ed25519.Ed25519PublicKey]
    | type[ed448.Ed448PublicKey]
    | type[x25519.X25519PublicKey]
    | type[x448.X448PublicKey],
] = {
    "Ed25519": ed25519.Ed25519PublicKey,
    "Ed448": ed448.Ed448PublicKey,
    "X25519": x25519.X25519PublicKey,
    "X448": x448.X448PublicKey,
}
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "k", "oth"})
"""RFC 7518 private and symmetric key members."""


def parse(material: result.Material, ctx: result.Context) -> list[KeyInfo] | None:
    """A JWK, a JWKS, or the PEM key of a service-account document; None when the
    JSON holds no key."""
    doc = load_json(material.text or "")
    if isinstance(doc, str):  # a JSON document inside a JSON string
        doc = load_json(doc)
    if doc is None:
        return None
    pem = service_account_key(doc)
    if pem is not None:
        inner = ctx.inner(pem.encode("utf-8"))
        found = [replace(i, format="gcp-service-account") if i.parsed else i for i in inner]
    else:
        found = analyse(doc) or []
    return found or None


def load_json(text: str) -> Any | None:
    """A JSON document, or a fragment of one (`"kty": …, "n": …`), or None."""
    stripped = text.strip().rstrip(",;")
    for candidate in (stripped, "{" + stripped + "}"):
        try:
            return json_loads(candidate)
        except (ValueError, RecursionError):
            continue
    return None


def analyse(doc: Any) -> list[KeyInfo] | None:
    """KeyInfos for a JWK or JWKS document; None when `doc` is neither."""
    if isinstance(doc, dict) and isinstance(doc.get("keys"), list):
        jwks = [k for k in doc["keys"] if isinstance(k, dict) and "kty" in k]
        return [_one(k, "jwks") for k in jwks] or None
    if isinstance(doc, list):
        jwks = [k for k in doc if isinstance(k, dict) and "kty" in k]
        return [_one(k, "jwks") for k in jwks] or None
    if isinstance(doc, dict) and "kty" in doc:
        return [_one(doc, "jwk")]
    return None


def _one(jwk: dict[str, Any], fmt: str) -> KeyInfo:
    kty = str(jwk.get("kty"))
    if kty == "oct":
        return result.unparsable(fmt, "symmetric JWK (kty oct): no public part")
    try:
        public = public_key(jwk)
    except PARSE_ERRORS as exc:
        return result.unparsable(fmt, f"damaged {kty} JWK: {type(exc).__name__}")
    notes = []
    if not any(m in jwk for m in PRIVATE_MEMBERS):
        notes.append("public JWK (no private members)")
    if isinstance(jwk.get("kid"), str):
        notes.append(f"kid {jwk['kid'][:64]}")
    certs = result.matching_certs(public, _x5c(jwk.get("x5c")))
    return result.from_public(fmt, public, certificates=certs, note="; ".join(notes) or None)


def _x5c(value: Any) -> list[x509.Certificate]:
    """The `x5c` chain (standard base64 DER, RFC 7517 §4.7), what of it parses."""
    certs = []
    for item in value if isinstance(value, list) else []:
        der = b64decode(item) if isinstance(item, str) else None
        if der is None:
            continue
        try:
            certs.append(x509.load_der_x509_certificate(der))
        except PARSE_ERRORS:
            continue
    return certs[:16]


def _b64int(value: Any) -> int:
    return int.from_bytes(_b64(value), "big")


def _b64(value: Any) -> bytes:
    decoded = b64decode(value) if isinstance(value, str) else None
    if decoded is None:
        raise ValueError("member is not base64url")
    return decoded


def public_key(jwk: dict[str, Any]) -> PublicKey:
    kty = jwk.get("kty")
    if kty == "RSA":
        return RSAPublicNumbers(_b64int(jwk["e"]), _b64int(jwk["n"])).public_key()
    if kty == "EC":
        curve = _CURVES[str(jwk["crv"])]
        x, y = _b64int(jwk["x"]), _b64int(jwk["y"])
        return ec.EllipticCurvePublicNumbers(x, y, curve).public_key()
    if kty == "OKP":
        return _OKP[str(jwk["crv"])].from_public_bytes(_b64(jwk["x"]))
    raise ValueError(f"unsupported kty {kty!r}")


def service_account_key(doc: Any) -> str | None:
    """The PEM `private_key` of a GCP service-account document, if it is one."""
    if isinstance(doc, dict) and isinstance(doc.get("private_key"), str):
        return str(doc["private_key"])
    return None
