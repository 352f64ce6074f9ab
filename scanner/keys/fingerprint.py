"""Key identity: the one `PublicKey` type, its fingerprints, and the words that
describe it.

Every format ends here: the parsers turn what they read into a `cryptography`
public key, and this module derives the canonical SPKI hash, the RFC 7638 JWK
thumbprint and the OpenSSH `SHA256:` fingerprint from it (OpenPGP v4
fingerprints are computed from the key packet, in `pgp_packets`). The registry
(`registry/jwk.py`, the JWKS importer, the token check) uses the same code, so
a key has the same identity wherever it was read.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import warnings
from collections.abc import Iterator
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa, x448, x25519
from cryptography.utils import CryptographyDeprecationWarning

with warnings.catch_warnings():  # naming DSA's type is not using DSA: no warning for it
    warnings.simplefilter("ignore", CryptographyDeprecationWarning)
    PublicKey = (
        rsa.RSAPublicKey
        | ec.EllipticCurvePublicKey
        | dsa.DSAPublicKey
        | ed25519.Ed25519PublicKey
        | ed448.Ed448PublicKey
        | x25519.X25519PublicKey
        | x448.X448PublicKey
    )

VerifyKey = (
    rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
)
"""The public keys a JWS can be verified with (a narrower `PublicKey`)."""

CURVE_NAMES = {
    "secp256r1": "P-256",
    "secp384r1": "P-384",
    "secp521r1": "P-521",
    "secp256k1": "secp256k1",
}
"""cryptography's curve names → the names JOSE and NIST use."""

_OKP = {
    ed25519.Ed25519PublicKey: "Ed25519",
    ed448.Ed448PublicKey: "Ed448",
    x25519.X25519PublicKey: "X25519",
    x448.X448PublicKey: "X448",
}
_OKP_BITS = {"Ed25519": 256, "X25519": 256, "Ed448": 456, "X448": 448}


@contextlib.contextmanager
def quiet_deprecations() -> Iterator[None]:
    """`cryptography` warns about what scanned files contain (SSH DSA keys, BER
    instead of DER in PKCS#12): the scan reports keys, not library warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        yield


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_bytes(value: int, length: int | None = None) -> bytes:
    size = length if length is not None else max(1, (value.bit_length() + 7) // 8)
    return value.to_bytes(size, "big")


def spki_der(key: PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def spki_sha256(key: PublicKey) -> str:
    """The hex SHA-256 of the DER SubjectPublicKeyInfo: the registry's main key id."""
    return hashlib.sha256(spki_der(key)).hexdigest()


def describe(key: PublicKey) -> tuple[str, int | None, str | None]:
    """(algorithm, bits, curve) as KeyInfo reports them."""
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size, None
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size, None
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size, CURVE_NAMES.get(key.curve.name, key.curve.name)
    for cls, name in _OKP.items():
        if isinstance(key, cls):
            return name, _OKP_BITS[name], None
    return type(key).__name__, None, None


def jwk_members(key: PublicKey) -> dict[str, str] | None:
    """The required public members of the key's JWK (RFC 7638 §3.2), or None."""
    if isinstance(key, rsa.RSAPublicKey):
        numbers = key.public_numbers()
        return {
            "e": b64url(_int_bytes(numbers.e)),
            "kty": "RSA",
            "n": b64url(_int_bytes(numbers.n)),
        }
    if isinstance(key, ec.EllipticCurvePublicKey):
        crv = CURVE_NAMES.get(key.curve.name)
        if crv is None or crv == "secp256k1":
            return None
        size = (key.curve.key_size + 7) // 8
        point = key.public_numbers()
        return {
            "crv": crv,
            "kty": "EC",
            "x": b64url(_int_bytes(point.x, size)),
            "y": b64url(_int_bytes(point.y, size)),
        }
    for cls, name in _OKP.items():
        if isinstance(key, cls):
            raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            return {"crv": name, "kty": "OKP", "x": b64url(raw)}
    return None


def jwk_thumbprint(key: PublicKey) -> str | None:
    members = jwk_members(key)
    if members is None:
        return None
    canonical = json.dumps(members, sort_keys=True, separators=(",", ":"))
    return b64url(hashlib.sha256(canonical.encode("ascii")).digest())


def ssh_blob(key: PublicKey) -> bytes | None:
    """The SSH wire-format public key blob, where OpenSSH has a type for the key."""
    try:
        with quiet_deprecations():
            line = key.public_bytes(
                serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
            )
    except (ValueError, TypeError):
        return None
    return base64.b64decode(line.split()[1])


def ssh_sha256(blob: bytes) -> str:
    """As `ssh-keygen -lf` prints it."""
    digest = base64.b64encode(hashlib.sha256(blob).digest()).rstrip(b"=")
    return "SHA256:" + digest.decode("ascii")


def fingerprints(key: PublicKey) -> dict[str, str]:
    """spki_sha256, jwk_thumbprint and ssh_sha256, each where it applies."""
    result = {"spki_sha256": spki_sha256(key)}
    thumbprint = jwk_thumbprint(key)
    if thumbprint is not None:
        result["jwk_thumbprint"] = thumbprint
    blob = ssh_blob(key)
    if blob is not None:
        result["ssh_sha256"] = ssh_sha256(blob)
    return result


def as_public_key(obj: Any) -> PublicKey | None:
    """`obj` if it is a public key type we fingerprint, else None."""
    if isinstance(obj, PublicKey):
        return obj
    return None


def native(point: bytes, size: int) -> bytes:
    """A raw Curve25519/448 public key, without the 0x40 prefix OpenPGP and
    libgcrypt put before it."""
    if len(point) == size + 1 and point[0] == 0x40:
        return point[1:]
    return point
