"""Keys generated at test time, written in every format key analysis reads.

`written(key)` returns {case name: Written} for one private key; each case says
what analyse_material must report for it (format, encrypted, weak passphrase).
"""

from __future__ import annotations

import base64
import datetime
import json
import shutil
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID

from scanner.config import DEFAULT_PASSPHRASES
from scanner.keys import analyse_material
from scanner.keys.fingerprint import b64url
from scanner.model import KeyInfo, Origin

E = serialization.Encoding
F = serialization.PrivateFormat
NONE = serialization.NoEncryption()
STRONG = b"c0rrect-h0rse-battery-staple"
ALGORITHMS = ("rsa", "p256", "p384", "ed25519", "dsa")


def weak(word: bytes) -> serialization.KeySerializationEncryption:
    return serialization.BestAvailableEncryption(word)


@dataclass(frozen=True)
class Written:
    data: bytes
    format: str
    encrypted: bool = False
    weak: bool = False
    path: str = "key"


def make_key(name: str) -> Any:
    if name == "rsa":
        return rsa.generate_private_key(65537, 2048)
    if name == "p256":
        return ec.generate_private_key(ec.SECP256R1())
    if name == "p384":
        return ec.generate_private_key(ec.SECP384R1())
    if name == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    return dsa.generate_private_key(1024)  # OpenSSH accepts 1024-bit DSA only


@pytest.fixture(scope="session")
def keys() -> dict[str, Any]:
    return {name: make_key(name) for name in ALGORITHMS}


@pytest.fixture(scope="session")
def samples(keys: dict[str, Any]) -> dict[str, dict[str, Written]]:
    """{algorithm: {case: Written}}, written once per session (bcrypt is slow)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)  # SSH DSA
        return {name: written(key) for name, key in keys.items()}


def spki(key: Any) -> str:
    import hashlib

    der = key.public_key().public_bytes(E.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def certificate(key: Any) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "keysweep test")])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=30))
    )
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(key, algorithm)


def private_jwk(key: Any) -> dict[str, str]:
    def enc(value: int, size: int | None = None) -> str:
        return b64url(value.to_bytes(size or (value.bit_length() + 7) // 8, "big"))

    if isinstance(key, rsa.RSAPrivateKey):
        n = key.private_numbers()
        pub = n.public_numbers
        return {"kty": "RSA", "n": enc(pub.n), "e": enc(pub.e), "d": enc(n.d), "p": enc(n.p)}
    if isinstance(key, ec.EllipticCurvePrivateKey):
        size = (key.curve.key_size + 7) // 8
        numbers = key.private_numbers()
        crv = {"secp256r1": "P-256", "secp384r1": "P-384"}[key.curve.name]
        point = numbers.public_numbers
        return {
            "kty": "EC",
            "crv": crv,
            "x": enc(point.x, size),
            "y": enc(point.y, size),
            "d": enc(numbers.private_value, size),
        }
    raw = key.public_key().public_bytes(E.Raw, serialization.PublicFormat.Raw)
    secret = key.private_bytes(E.Raw, F.Raw, NONE)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw), "d": b64url(secret)}


def written(key: Any) -> dict[str, Written]:
    """Every format this key can be written in with `cryptography` and `pyjks`."""
    is_ed = isinstance(key, ed25519.Ed25519PrivateKey)
    pkcs8 = key.private_bytes(E.PEM, F.PKCS8, NONE)
    out = {
        "pkcs8-pem": Written(pkcs8, "pkcs8-pem"),
        "pkcs8-encrypted": Written(
            key.private_bytes(E.PEM, F.PKCS8, weak(b"changeit")), "pkcs8-encrypted", True, True
        ),
        "der": Written(key.private_bytes(E.DER, F.PKCS8, NONE), "der"),
        "der-encrypted": Written(
            key.private_bytes(E.DER, F.PKCS8, weak(b"android")), "der", True, True
        ),
        "openssh": Written(key.private_bytes(E.PEM, F.OpenSSH, NONE), "openssh"),
        "openssh-weak": Written(
            key.private_bytes(E.PEM, F.OpenSSH, weak(b"password")), "openssh", True, True
        ),
        "openssh-strong": Written(
            key.private_bytes(E.PEM, F.OpenSSH, weak(STRONG)), "openssh", True, False
        ),
        "escaped-json-string": Written(
            json.dumps({"key": pkcs8.decode()}).split(": ", 1)[1].rstrip("}").encode(), "pkcs8-pem"
        ),
        "double-escaped": Written(pkcs8.replace(b"\n", b"\\\\n"), "pkcs8-pem"),
        "split-literal": Written(_split_literal(pkcs8), "pkcs8-pem"),
        "kubeconfig": Written(
            b"client-key-data: " + base64.b64encode(pkcs8), "kubeconfig", path=".kube/config"
        ),
        "gcp-service-account": Written(
            json.dumps(
                {"type": "service_account", "private_key_id": "abc", "private_key": pkcs8.decode()}
            ).encode(),
            "gcp-service-account",
        ),
        "apple-p8": Written(pkcs8, "apple-p8", path="AuthKey_ABC123.p8"),
        "pkcs12": Written(_p12(key, NONE), "pkcs12"),
        "pkcs12-weak": Written(_p12(key, weak(b"notasecret")), "pkcs12", True, True),
        "jks-weak": Written(_jks(key, "changeit"), "jks", True, True),
        "jks-strong": Written(_jks(key, STRONG.decode()), "jks", True, False),
    }
    if not isinstance(key, dsa.DSAPrivateKey):
        out["jwk"] = Written(json.dumps(private_jwk(key)).encode(), "jwk")
        out["jwks"] = Written(json.dumps({"keys": [private_jwk(key)]}).encode(), "jwks")
    if not is_ed:
        traditional = {rsa.RSAPrivateKey: "pkcs1-pem", ec.EllipticCurvePrivateKey: "sec1-pem"}
        fmt = next((v for k, v in traditional.items() if isinstance(key, k)), "dsa-pem")
        out["traditional"] = Written(key.private_bytes(E.PEM, F.TraditionalOpenSSL, NONE), fmt)
        out["legacy-encrypted"] = Written(
            key.private_bytes(E.PEM, F.TraditionalOpenSSL, weak(b"password")),
            "legacy-encrypted-pem",
            True,
            True,
        )
        out["der-traditional"] = Written(
            key.private_bytes(E.DER, F.TraditionalOpenSSL, NONE), "der"
        )
    return out


def _split_literal(pem: bytes) -> bytes:
    lines = pem.decode().strip().split("\n")
    body = ' +\n    "'.join(line + '\\n"' for line in lines)
    return ('String key = "' + body + ";").encode()


def _p12(key: Any, encryption: serialization.KeySerializationEncryption) -> bytes:
    return pkcs12.serialize_key_and_certificates(b"test", key, certificate(key), None, encryption)


def _jks(key: Any, password: str) -> bytes:
    import jks

    der = certificate(key).public_bytes(E.DER)
    entry = jks.PrivateKeyEntry.new(
        "mykey", [der], key.private_bytes(E.DER, F.PKCS8, NONE), "pkcs8"
    )
    entry.encrypt(password)
    return bytes(jks.KeyStore.new("jks", [entry]).saves(password))


def analyse(data: bytes, path: str = "key", fs_path: str | None = None) -> list[KeyInfo]:
    origin = Origin(path=path, fs_path=fs_path)
    return analyse_material(data, origin=origin, passphrases=DEFAULT_PASSPHRASES)


def damaged_variants(data: bytes, seed: int = 7) -> list[bytes]:
    """Truncations and single-bit flips of `data`."""
    import random

    rng = random.Random(seed)
    cuts = [data[:cut] for cut in (1, 10, len(data) // 3, len(data) // 2, len(data) - 5)]
    flips = []
    for _ in range(6):
        damaged = bytearray(data)
        damaged[rng.randrange(len(damaged))] ^= 1 << rng.randrange(8)
        flips.append(bytes(damaged))
    return cuts + flips


def assert_handled(data: bytes) -> None:
    """Analysis of `data` ends in a KeyInfo a parser built, not in the catch-all."""
    for info in analyse(data):
        assert not (info.note or "").startswith("key analysis failed"), (info.format, info.note)
        assert info.parsed or info.note


@pytest.fixture
def tool() -> Callable[[str], str]:
    """tool('ssh-keygen') → its path, or skip the test when it is not installed."""

    def _find(name: str) -> str:
        found = shutil.which(name)
        if found is None:
            pytest.skip(f"{name} is not installed")
        return found

    return _find


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, bytes], Path]:
    def _write(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    return _write
