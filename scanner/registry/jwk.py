"""Public JWKs: to key objects (PyJWT), SPKI fingerprint, RFC 7638 thumbprint."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from scanner.keys.tokens import VerifyKey
from scanner.registry.material import JWK_PRIVATE

PUBLIC_MEMBERS = ("kty", "n", "e", "crv", "x", "y", "kid", "alg", "use")
THUMBPRINT_MEMBERS = {
    "RSA": ("e", "kty", "n"),
    "EC": ("crv", "kty", "x", "y"),
    "OKP": ("crv", "kty", "x"),
}


class JwkError(ValueError):
    """A JWK that is not a usable public key."""


def private_members(jwk: Mapping[str, Any]) -> list[str]:
    return sorted(name for name in jwk if name in JWK_PRIVATE)


def public_part(jwk: Mapping[str, Any]) -> dict[str, str]:
    """Only the public members the registry keeps, as strings."""
    return {m: str(jwk[m]) for m in PUBLIC_MEMBERS if m in jwk and isinstance(jwk[m], str)}


def to_public_key(jwk: Mapping[str, Any]) -> VerifyKey:
    """The public key of a JWK; JwkError when it is not a supported public key."""
    if private_members(jwk):
        raise JwkError("has private members")
    kty = jwk.get("kty")
    try:
        if kty == "RSA":
            key: Any = jwt.algorithms.RSAAlgorithm.from_jwk(dict(jwk))
        elif kty == "EC":
            key = jwt.algorithms.ECAlgorithm.from_jwk(dict(jwk))
        elif kty == "OKP":
            key = jwt.algorithms.OKPAlgorithm.from_jwk(dict(jwk))
        else:
            raise JwkError(f"unsupported kty {kty!r}")
    except (jwt.exceptions.InvalidKeyError, ValueError, TypeError, KeyError) as exc:
        raise JwkError(str(exc) or type(exc).__name__) from None
    if not isinstance(key, VerifyKey):
        raise JwkError(f"not a public key: {type(key).__name__}")
    return key


def spki_der(key: VerifyKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def spki_sha256(key: VerifyKey) -> str:
    return hashlib.sha256(spki_der(key)).hexdigest()


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638: SHA-256 over the required members, sorted, no whitespace."""
    kty = str(jwk.get("kty"))
    members = THUMBPRINT_MEMBERS.get(kty)
    if members is None or any(not isinstance(jwk.get(m), str) for m in members):
        raise JwkError(f"cannot compute a thumbprint for kty {kty!r}")
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def from_public_key(key: VerifyKey) -> dict[str, str]:
    """The public JWK of a key object (its thumbprint members, no kid)."""
    if isinstance(key, rsa.RSAPublicKey):
        return dict(jwt.algorithms.RSAAlgorithm.to_jwk(key, as_dict=True))
    if isinstance(key, ec.EllipticCurvePublicKey):
        return dict(jwt.algorithms.ECAlgorithm.to_jwk(key, as_dict=True))
    return dict(jwt.algorithms.OKPAlgorithm.to_jwk(key, as_dict=True))
