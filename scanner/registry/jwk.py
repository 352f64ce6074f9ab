"""Public JWKs as the registry holds them: refused when private, read into a key.

The JWK members are read by key analysis's own reader (`keys.jsonkeys`) and
the SPKI fingerprint and RFC 7638 thumbprint come from `keys.fingerprint`, so
a key imported from a JWKS has the identity a scan computes for its copy on
disk. Here: only the registry's rules (no private members, keys a JWS can be
verified with, the public members it keeps).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scanner.keys import fingerprint, jsonkeys
from scanner.keys.errors import PARSE_ERRORS
from scanner.keys.fingerprint import VerifyKey

PUBLIC_MEMBERS = ("kty", "n", "e", "crv", "x", "y", "kid", "alg", "use")
THUMBPRINT_MEMBERS = frozenset({"kty", "n", "e", "crv", "x", "y"})


class JwkError(ValueError):
    """A JWK that is not a usable public key."""


def private_members(jwk: Mapping[str, Any]) -> list[str]:
    return sorted(name for name in jwk if name in jsonkeys.PRIVATE_MEMBERS)


def public_part(jwk: Mapping[str, Any]) -> dict[str, str]:
    """Only the public members the registry keeps, as strings."""
    return {m: str(jwk[m]) for m in PUBLIC_MEMBERS if m in jwk and isinstance(jwk[m], str)}


def to_public_key(jwk: Mapping[str, Any]) -> VerifyKey:
    """The public key of a JWK; JwkError when it is not a supported public key."""
    if private_members(jwk):
        raise JwkError("has private members")
    try:
        key = jsonkeys.public_key(dict(jwk))
    except PARSE_ERRORS as exc:
        raise JwkError(_why(jwk, exc)) from None
    if not isinstance(key, VerifyKey):
        raise JwkError(f"not a public key: {type(key).__name__}")
    return key


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 thumbprint of the JWK's key."""
    found = fingerprint.jwk_thumbprint(to_public_key(jwk))
    if found is None:
        raise JwkError(f"cannot compute a thumbprint for kty {jwk.get('kty')!r}")
    return found


def spki_sha256(key: VerifyKey) -> str:
    return fingerprint.spki_sha256(key)


def _why(jwk: Mapping[str, Any], exc: Exception) -> str:
    """Words for a JWK that does not read, naming a member, never quoting a value."""
    kty = jwk.get("kty")
    if isinstance(exc, KeyError) and exc.args and exc.args[0] in THUMBPRINT_MEMBERS:
        return f"missing member {exc.args[0]!r}"
    if kty not in ("RSA", "EC", "OKP"):
        return f"unsupported kty {kty!r}"
    return f"damaged {kty} key ({type(exc).__name__})"
