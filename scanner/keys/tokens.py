"""JWTs: decode without trusting, and verify a signature offline with a given key.

PyJWT does the cryptography. The caller chooses keys and algorithms (from the
registry, never from the token); claims such as exp, nbf, aud and iss are never
checked, because old tokens are the point. A TokenInfo never holds the token.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from scanner.keys.fingerprint import VerifyKey, quiet_deprecations
from scanner.model import TokenInfo

HMAC_ALGORITHMS = ("HS256", "HS384", "HS512")
RSA_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
EC_ALGORITHMS = {
    "secp256r1": ("ES256",),
    "secp384r1": ("ES384",),
    "secp521r1": ("ES512", "ES521"),
    "secp256k1": ("ES256K",),
}
HEADER_FIELDS = ("alg", "kid", "typ")
MAX_TOKEN = 64 * 1024


@dataclass(frozen=True)
class Decoded:
    """A token's header and claims, read without trusting them."""

    header: Mapping[str, Any]
    claims: Mapping[str, Any]
    info: TokenInfo

    @property
    def alg(self) -> str:
        value = self.header.get("alg")
        return value if isinstance(value, str) else ""

    @property
    def kid(self) -> str | None:
        value = self.header.get("kid")
        return value if isinstance(value, str) else None


def decode_unverified(token: bytes) -> Decoded | None:
    """Header and claims of a compact JWS, or None when it is not one."""
    if len(token) > MAX_TOKEN:
        return None
    try:
        text = token.decode("ascii").strip()
        header = jwt.get_unverified_header(text)
        claims = jwt.decode(text, options={"verify_signature": False})
    except (UnicodeDecodeError, jwt.exceptions.PyJWTError, ValueError, TypeError):
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return Decoded(header, claims, token_info(token, header, claims))


def token_info(token: bytes, header: Mapping[str, Any], claims: Mapping[str, Any]) -> TokenInfo:
    subject = claims.get("sub")
    return TokenInfo(
        sha256=hashlib.sha256(token.strip()).hexdigest(),
        header={k: str(header[k])[:200] for k in HEADER_FIELDS if k in header},
        issued_at=_timestamp(claims.get("iat")),
        expires_at=_timestamp(claims.get("exp")),
        not_before=_timestamp(claims.get("nbf")),
        subject_hash=hashlib.sha256(str(subject).encode()).hexdigest() if subject else None,
    )


def _timestamp(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, tz=UTC).isoformat().replace("+00:00", "Z")
    except (OverflowError, OSError, ValueError):
        return None


def family(key: VerifyKey) -> tuple[str, ...]:
    """The JWS algorithms a public key can verify (the key type decides, not the token)."""
    if isinstance(key, rsa.RSAPublicKey):
        return RSA_ALGORITHMS
    if isinstance(key, ec.EllipticCurvePublicKey):
        return EC_ALGORITHMS.get(key.curve.name, ())
    if isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        return ("EdDSA",)
    return ()


def pinned(key: VerifyKey, registry_alg: str | None) -> tuple[str, ...]:
    """The registry entry's algorithm when it fits the key, else the key's family."""
    allowed = family(key)
    if registry_alg and registry_alg in allowed:
        return (registry_alg,)
    if registry_alg == "Ed25519" and "EdDSA" in allowed:
        return ("EdDSA",)
    return allowed


def verifies(token: bytes, key: VerifyKey | bytes, algorithms: Sequence[str]) -> bool:
    """True when the signature verifies with `key` under one of `algorithms`.

    Only the signature: PyJWS checks no claim at all.
    """
    if not algorithms:
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # short HMAC keys: a finding, not a warning
            jwt.PyJWS().decode(token.strip(), key=key, algorithms=list(algorithms))
    except (jwt.exceptions.PyJWTError, ValueError, TypeError):
        return False
    return True


def hmac_keys(secrets: Sequence[bytes]) -> list[tuple[bytes, bytes]]:
    """(secret, prepared key) for each secret PyJWT accepts as an HMAC key (a PEM or
    SSH public key is refused: that is the algorithm-confusion attack)."""
    algorithm = jwt.get_algorithm_by_name("HS256")
    prepared: list[tuple[bytes, bytes]] = []
    for secret in secrets:
        try:
            prepared.append((secret, algorithm.prepare_key(secret)))
        except (jwt.exceptions.InvalidKeyError, TypeError, ValueError):
            continue
    return prepared


def hmac_signer(token: bytes, keys: Sequence[tuple[bytes, bytes]]) -> bytes | None:
    """The secret whose HMAC (HS256/384/512, as the header says) signs `token`.

    The token is split once and PyJWT's HMAC algorithm checks each prepared key,
    so thousands of found secrets stay cheap.
    """
    try:
        header = jwt.get_unverified_header(token.strip().decode("ascii"))
        signing_input, _, encoded = token.strip().rpartition(b".")
        signature = jwt.utils.base64url_decode(encoded)
    except (jwt.exceptions.PyJWTError, UnicodeDecodeError, ValueError, TypeError):
        return None
    name = header.get("alg")
    if name not in HMAC_ALGORITHMS:
        return None
    algorithm = jwt.get_algorithm_by_name(str(name))
    for secret, key in keys:
        if algorithm.verify(signing_input, key, signature):
            return secret
    return None


def public_key_from_der(der: bytes) -> VerifyKey | None:
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    try:
        with quiet_deprecations():  # a DSA key in a JWKS: reported, not warned about
            key = load_der_public_key(der)
    except (ValueError, TypeError):
        return None
    return key if isinstance(key, VerifyKey) else None
