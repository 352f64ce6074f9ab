"""OpenPGP public-key numbers → `cryptography` public keys."""

from __future__ import annotations

import struct

from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa, x448, x25519

from scanner.keys.fingerprint import PublicKey, native

ALGORITHMS = {
    1: "RSA",
    2: "RSA",
    3: "RSA",
    16: "ElGamal",
    17: "DSA",
    18: "ECDH",
    19: "ECDSA",
    20: "ElGamal",
    22: "EdDSA",
    25: "X25519",
    26: "X448",
    27: "Ed25519",
    28: "Ed448",
}

_EC_CURVES: dict[bytes, ec.EllipticCurve] = {
    bytes.fromhex("2A8648CE3D030107"): ec.SECP256R1(),
    bytes.fromhex("2B81040022"): ec.SECP384R1(),
    bytes.fromhex("2B81040023"): ec.SECP521R1(),
    bytes.fromhex("2B8104000A"): ec.SECP256K1(),
    bytes.fromhex("2B2403030208010107"): ec.BrainpoolP256R1(),
    bytes.fromhex("2B240303020801010B"): ec.BrainpoolP384R1(),
    bytes.fromhex("2B240303020801010D"): ec.BrainpoolP512R1(),
}
ED25519_OID = bytes.fromhex("2B06010401DA470F01")
CURVE25519_OID = bytes.fromhex("2B060104019755010501")
ED448_OID = bytes.fromhex("2B6571")
X448_OID = bytes.fromhex("2B656F")


def read_mpi(data: bytes, pos: int) -> tuple[bytes, int]:
    """An OpenPGP multiprecision integer (two-octet bit count, then the bytes)."""
    if pos + 2 > len(data):
        raise ValueError("truncated MPI")
    (bits,) = struct.unpack_from(">H", data, pos)
    end = pos + 2 + (bits + 7) // 8
    if end > len(data):
        raise ValueError("truncated MPI")
    return data[pos + 2 : end], end


def _mpis(data: bytes, pos: int, count: int) -> list[int]:
    values = []
    for _ in range(count):
        raw, pos = read_mpi(data, pos)
        values.append(int.from_bytes(raw, "big"))
    return values


def public_key_from(version: int, algorithm: int, body: bytes) -> PublicKey | None:
    """The key in a public-key packet body, or None (ElGamal, unknown curves)."""
    pos = 6 if version == 4 else 10
    if algorithm in (1, 2, 3):
        n, e = _mpis(body, pos, 2)
        return rsa.RSAPublicNumbers(e, n).public_key()
    if algorithm == 17:
        p, q, g, y = _mpis(body, pos, 4)
        return dsa.DSAPublicNumbers(y, dsa.DSAParameterNumbers(p, q, g)).public_key()
    if algorithm in (18, 19, 22):
        oid = body[pos + 1 : pos + 1 + body[pos]]
        point, _ = read_mpi(body, pos + 1 + body[pos])
        return _curve_key(oid, point)
    raw = body[pos:]
    if algorithm == 27:
        return ed25519.Ed25519PublicKey.from_public_bytes(raw[:32])
    if algorithm == 28:
        return ed448.Ed448PublicKey.from_public_bytes(raw[:57])
    if algorithm == 25:
        return x25519.X25519PublicKey.from_public_bytes(raw[:32])
    if algorithm == 26:
        return x448.X448PublicKey.from_public_bytes(raw[:56])
    return None


def _curve_key(oid: bytes, point: bytes) -> PublicKey | None:
    if oid in _EC_CURVES:
        return ec.EllipticCurvePublicKey.from_encoded_point(_EC_CURVES[oid], point)
    if oid == ED25519_OID:
        return ed25519.Ed25519PublicKey.from_public_bytes(native(point, 32))
    if oid == CURVE25519_OID:
        return x25519.X25519PublicKey.from_public_bytes(native(point, 32))
    if oid == ED448_OID:
        return ed448.Ed448PublicKey.from_public_bytes(native(point, 57))
    if oid == X448_OID:
        return x448.X448PublicKey.from_public_bytes(native(point, 56))
    return None
