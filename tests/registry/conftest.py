"""Registry fixtures: real keys generated at test time, registries written from
their fingerprints (computed here with `cryptography`, independently of scanner.keys)."""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from scanner.model import KeyInfo

SALT = "key-registry:test:v1"
SCRYPT = {"alg": "scrypt", "salt": SALT, "n": 1024, "r": 8, "p": 1}

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


def spki_hex(key: PrivateKey) -> str:
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def spki_der(key: PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def ssh_sha256(key: PrivateKey) -> str:
    blob = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    raw = base64.b64decode(blob.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(raw).digest()).decode().rstrip("=")


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(key: PrivateKey, kid: str | None = None) -> dict[str, str]:
    """The public JWK of a key, written out by hand from its numbers."""
    pub = key.public_key()
    if isinstance(pub, rsa.RSAPublicKey):
        numbers = pub.public_numbers()
        jwk = {
            "kty": "RSA",
            "n": b64u(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
            "e": b64u(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),
        }
    elif isinstance(pub, ec.EllipticCurvePublicKey):
        size = (pub.curve.key_size + 7) // 8
        nums = pub.public_numbers()
        crv = {"secp256r1": "P-256", "secp384r1": "P-384"}[pub.curve.name]
        jwk = {
            "kty": "EC",
            "crv": crv,
            "x": b64u(nums.x.to_bytes(size, "big")),
            "y": b64u(nums.y.to_bytes(size, "big")),
        }
    else:
        raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64u(raw)}
    if kid:
        jwk["kid"] = kid
    return jwk


def thumbprint(jwk: dict[str, str]) -> str:
    members = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}
    body = {m: jwk[m] for m in members[jwk["kty"]]}
    canonical = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
    return b64u(hashlib.sha256(canonical).digest())


def key_info(key: PrivateKey, **extra: Any) -> KeyInfo:
    """What key analysis would report for this key (built here, not by scanner.keys)."""
    prints = {"spki_sha256": spki_hex(key), "ssh_sha256": ssh_sha256(key)}
    return KeyInfo(format="pkcs8-pem", fingerprints=prints, public_der=spki_der(key), **extra)


def scrypt_hex(secret: bytes) -> str:
    return hashlib.scrypt(secret, salt=SALT.encode(), n=1024, r=8, p=1, dklen=32).hex()


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def rsa_key2() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="session")
def ec384_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1())


@pytest.fixture(scope="session")
def ed_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


@pytest.fixture
def write_registry(tmp_path: Path) -> Callable[..., Path]:
    """write_registry(keys, people=(), name='registry.yaml', fmt='yaml') → path."""

    def _write(
        keys: list[dict[str, Any]],
        people: list[dict[str, Any]] | None = None,
        name: str = "registry.yaml",
        fmt: str = "yaml",
    ) -> Path:
        document = {
            "schema": "keysweep/key-registry/v1",
            "registry": {"name": "test keys", "secret_hash": SCRYPT},
            "people": people or [],
            "keys": keys,
        }
        path = tmp_path / name
        text = json.dumps(document) if fmt == "json" else yaml.safe_dump(document)
        path.write_text(text)
        return path

    return _write


@pytest.fixture(scope="session")
def kit() -> ModuleType:
    """This module's helpers (spki_hex, public_jwk, key_info, …) for the tests."""
    return sys.modules[__name__]
