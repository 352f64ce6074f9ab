"""JWT decoding without trust, and offline signature checks with pinned algorithms."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from scanner.keys import tokens


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def b64(obj: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def test_decode_reads_header_and_timestamps_without_keeping_the_token(rsa_key: Any) -> None:
    claims = {"sub": "alice", "iat": 1561939200, "exp": 1561942800, "nbf": 1561939200}
    token = jwt.encode(claims, rsa_key, algorithm="RS256", headers={"kid": "k1", "x5u": "u"})
    decoded = tokens.decode_unverified(token.encode())
    assert decoded is not None
    info = decoded.info
    assert info.sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert dict(info.header) == {"alg": "RS256", "kid": "k1", "typ": "JWT"}
    assert info.issued_at == "2019-07-01T00:00:00Z"
    assert info.expires_at == "2019-07-01T01:00:00Z"
    assert info.not_before == "2019-07-01T00:00:00Z"
    assert info.subject_hash == hashlib.sha256(b"alice").hexdigest()
    assert info.verified_by is None
    assert token not in repr(info) and "alice" not in repr(info)


@pytest.mark.parametrize(
    "token",
    [
        b"eyJhbGciOiJIUzI1NiJ9.not-base64!.sig",
        b"eyJ.eyJ.",
        b"\xff\xfe.a.b",
        ("eyJ" + "A" * 70000 + ".e.s").encode(),
        f"{b64([1, 2])}.{b64({})}.".encode(),
        f"{b64({'alg': 'HS256'})}.{b64([1])}.c2ln".encode(),
    ],
)
def test_malformed_tokens_decode_to_none(token: bytes) -> None:
    assert tokens.decode_unverified(token) is None


def test_absurd_timestamps_are_dropped() -> None:
    token = f"{b64({'alg': 'none'})}.{b64({'exp': 10**30, 'iat': 'yesterday'})}.".encode()
    decoded = tokens.decode_unverified(token)
    assert decoded is not None
    assert decoded.info.expires_at is None and decoded.info.issued_at is None
    assert decoded.alg == "none"


def test_expired_token_still_verifies(rsa_key: Any) -> None:
    token = jwt.encode({"exp": 1, "aud": "x", "iss": "y"}, rsa_key, algorithm="RS256").encode()
    assert tokens.verifies(token, rsa_key.public_key(), ["RS256"])


def test_algorithm_is_pinned_by_the_caller(rsa_key: Any) -> None:
    token = jwt.encode({"a": 1}, rsa_key, algorithm="RS512").encode()
    assert not tokens.verifies(token, rsa_key.public_key(), ["RS256"])
    assert tokens.verifies(token, rsa_key.public_key(), tokens.family(rsa_key.public_key()))


def test_families_follow_the_key_type(rsa_key: Any) -> None:
    assert tokens.family(rsa_key.public_key()) == tokens.RSA_ALGORITHMS
    assert tokens.family(ec.generate_private_key(ec.SECP256R1()).public_key()) == ("ES256",)
    assert tokens.family(ec.generate_private_key(ec.SECP384R1()).public_key()) == ("ES384",)
    assert tokens.family(ed25519.Ed25519PrivateKey.generate().public_key()) == ("EdDSA",)
    assert "HS256" not in tokens.family(rsa_key.public_key())


def test_pinned_prefers_a_fitting_registry_algorithm(rsa_key: Any) -> None:
    public = rsa_key.public_key()
    assert tokens.pinned(public, "PS256") == ("PS256",)
    assert tokens.pinned(public, "ES256") == tokens.RSA_ALGORITHMS
    assert tokens.pinned(public, None) == tokens.RSA_ALGORITHMS


def test_wrong_key_does_not_verify(rsa_key: Any) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode({"a": 1}, other, algorithm="RS256").encode()
    assert not tokens.verifies(token, rsa_key.public_key(), ["RS256"])
    assert not tokens.verifies(token, rsa_key.public_key(), [])


def test_public_key_from_der(rsa_key: Any) -> None:
    from cryptography.hazmat.primitives import serialization

    der = rsa_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert tokens.public_key_from_der(der) == rsa_key.public_key()
    assert tokens.public_key_from_der(b"\x30\x03garbage") is None


@pytest.mark.filterwarnings("ignore::jwt.InsecureKeyLengthWarning")
def test_hmac_signer_finds_the_secret_among_many() -> None:
    secrets = [f"candidate-secret-number-{i:04d}-padding".encode() for i in range(500)]
    keys = tokens.hmac_keys(secrets)
    for alg in tokens.HMAC_ALGORITHMS:
        token = jwt.encode({"sub": "x", "exp": 1}, secrets[321], algorithm=alg).encode()
        assert tokens.hmac_signer(token, keys) == secrets[321]
    stranger = jwt.encode({"a": 1}, b"not-among-them-" * 4, algorithm="HS256").encode()
    assert tokens.hmac_signer(stranger, keys) is None


def test_hmac_keys_refuse_public_key_pem(rsa_key: Any) -> None:
    from cryptography.hazmat.primitives import serialization

    pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert [s for s, _ in tokens.hmac_keys([pem, b"plain-secret-value-long-enough-xx"])] == [
        b"plain-secret-value-long-enough-xx"
    ]


def test_hmac_signer_ignores_asymmetric_tokens(rsa_key: Any) -> None:
    token = jwt.encode({"a": 1}, rsa_key, algorithm="RS256").encode()
    assert tokens.hmac_signer(token, tokens.hmac_keys([b"x" * 32])) is None
    assert tokens.hmac_signer(b"garbage", []) is None
