"""Forged and stale JWTs are attributed to the key that really signed them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from scanner.model import Severity, Verdict
from scanner.registry import Registry, load_registry
from scanner.registry.crosscheck import check_tokens

Writer = Callable[..., Path]
CLAIMS = {"sub": "alice", "iat": 1561939200, "exp": 1561942800}  # 2019: long expired


def sign(key: Any, alg: str, kid: str | None = None, claims: dict[str, Any] | None = None) -> bytes:
    headers = {"kid": kid} if kid else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)  # short test secrets
        return jwt.encode(claims or CLAIMS, key, algorithm=alg, headers=headers).encode()


def unsigned(kid: str | None = None) -> bytes:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    header = {"alg": "none", "typ": "JWT", **({"kid": kid} if kid else {})}
    return f"{part(header)}.{part(CLAIMS)}.".encode()


@pytest.fixture
def registry(
    write_registry: Writer, kit: ModuleType, rsa_key: Any, rsa_key2: Any, ec384_key: Any
) -> Registry:
    """A retired RSA key known only by fingerprint, an active one with its public JWK,
    a compromised EC key with its public JWK, and a compromised HMAC secret."""
    people = [{"id": "emp-1042", "status": "departed", "departed_on": "2024-11-15"}]
    keys = [
        {
            "id": "key-auth-2019",
            "kind": "asymmetric",
            "algorithm": "RS256",
            "state": "deactivated",
            "dates": {"deactivated": "2024-06-30"},
            "owner": {"person": "emp-1042"},
            "fingerprints": {"spki_sha256": kit.spki_hex(rsa_key)},
            "aliases": {"jwk_kid": ["2019-signer"]},
        },
        {
            "id": "key-auth-2024",
            "kind": "asymmetric",
            "algorithm": "RS256",
            "state": "active",
            "fingerprints": {"spki_sha256": kit.spki_hex(rsa_key2)},
            "public_jwk": kit.public_jwk(rsa_key2, kid="2024-signer"),
        },
        {
            "id": "key-ec-2020",
            "kind": "asymmetric",
            "algorithm": "ES384",
            "state": "compromised",
            "fingerprints": {"spki_sha256": kit.spki_hex(ec384_key)},
            "public_jwk": kit.public_jwk(ec384_key, kid="ec-2020"),
        },
        {
            "id": "secret-legacy-hs256",
            "kind": "symmetric",
            "algorithm": "HS256",
            "state": "compromised",
            "fingerprints": {"secret_hash": kit.scrypt_hex(b"legacy-signing-secret-2019!")},
        },
    ]
    return load_registry(write_registry(keys, people))


@pytest.mark.parametrize("kid", ["2019-signer", "2024-signer", None, "made-up"])
def test_token_signed_by_retired_key_whatever_its_kid(
    kid: str | None, registry: Registry, kit: ModuleType, rsa_key: Any
) -> None:
    token = sign(rsa_key, "RS256", kid)
    [(info, hit)] = check_tokens(registry, [token], [], [kit.spki_der(rsa_key)])
    assert info is not None and hit is not None
    assert (hit.verdict, hit.severity, hit.key_id) == (
        Verdict.TOKEN_SIGNED_BY_RETIRED_KEY,
        Severity.CRITICAL,
        "key-auth-2019",
    )
    assert info.verified_by == "key-auth-2019"
    assert "deactivated 2024-06-30, owner emp-1042 departed 2024-11-15" in hit.reason
    if kid in ("2024-signer", "made-up"):
        assert f"although its kid says '{kid}'" in hit.reason


@pytest.mark.parametrize("kid", [None, "2019-signer"])
def test_alg_none_is_critical(kid: str | None, registry: Registry) -> None:
    [(info, hit)] = check_tokens(registry, [unsigned(kid)], [])
    assert info is not None and hit is not None
    assert (hit.verdict, hit.severity) == (Verdict.TOKEN_ALG_NONE, Severity.CRITICAL)


def test_alg_none_is_critical_without_a_registry() -> None:
    [(_, hit)] = check_tokens(None, [unsigned()], [])
    assert hit is not None and hit.verdict is Verdict.TOKEN_ALG_NONE


def test_retired_key_with_public_part_needs_no_scan_copy(
    registry: Registry, ec384_key: Any
) -> None:
    token = sign(ec384_key, "ES384", kid="2024-signer")
    [(info, hit)] = check_tokens(registry, [token], [])
    assert hit is not None and info is not None
    assert (hit.verdict, hit.key_id) == (Verdict.TOKEN_SIGNED_BY_RETIRED_KEY, "key-ec-2020")


def test_token_signed_by_active_key_is_high(registry: Registry, rsa_key2: Any) -> None:
    [(info, hit)] = check_tokens(registry, [sign(rsa_key2, "RS256", "2024-signer")], [])
    assert hit is not None and info is not None
    assert (hit.verdict, hit.severity, info.verified_by) == (
        Verdict.TOKEN_VERIFIED_ACTIVE,
        Severity.HIGH,
        "key-auth-2024",
    )


def test_registered_kid_that_verifies_with_nothing_is_high(registry: Registry, ed_key: Any) -> None:
    [(info, hit)] = check_tokens(registry, [sign(ed_key, "EdDSA", "2024-signer")], [])
    assert hit is not None and info is not None
    assert (hit.verdict, hit.severity, hit.key_id) == (
        Verdict.TOKEN_UNVERIFIED_KID,
        Severity.HIGH,
        "key-auth-2024",
    )
    assert info.verified_by is None


def test_algorithm_confusion_does_not_verify(registry: Registry, rsa_key2: Any) -> None:
    """HS256 'signed' with the active key's public PEM must not pass as that key."""
    pem = rsa_key2.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def part(obj: dict[str, Any]) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=")

    signing_input = part({"alg": "HS256", "kid": "2024-signer"}) + b"." + part(CLAIMS)
    mac = hmac.new(pem, signing_input, hashlib.sha256).digest()
    token = signing_input + b"." + base64.urlsafe_b64encode(mac).rstrip(b"=")
    [(_, hit)] = check_tokens(registry, [token], [pem])
    assert hit is not None and hit.verdict is Verdict.TOKEN_UNVERIFIED_KID


def test_hs256_with_found_registered_secret(registry: Registry) -> None:
    secret = b"legacy-signing-secret-2019!"
    token = sign(secret, "HS256")
    [(info, hit)] = check_tokens(registry, [token], [b"other", secret])
    assert hit is not None and info is not None
    assert (hit.verdict, hit.severity, hit.key_id, hit.matched_by) == (
        Verdict.TOKEN_SIGNED_BY_RETIRED_KEY,
        Severity.CRITICAL,
        "secret-legacy-hs256",
        "secret_hash",
    )
    assert info.verified_by == "secret-legacy-hs256"


def test_hs256_with_found_unregistered_secret(registry: Registry) -> None:
    secret = b"an-unregistered-secret"
    [(info, hit)] = check_tokens(registry, [sign(secret, "HS512")], [secret])
    assert hit is not None and info is not None
    assert (hit.verdict, hit.severity) == (Verdict.TOKEN_UNKNOWN_SIGNER, Severity.LOW)
    assert info.verified_by == "secret:" + hashlib.sha256(secret).hexdigest()[:12]


def test_unknown_signer_is_low(registry: Registry, ed_key: Any) -> None:
    [(_, hit)] = check_tokens(registry, [sign(ed_key, "EdDSA")], [])
    assert hit is not None and (hit.verdict, hit.severity) == (
        Verdict.TOKEN_UNKNOWN_SIGNER,
        Severity.LOW,
    )


def test_without_registry_scan_keys_still_verify(kit: ModuleType, ed_key: Any) -> None:
    [(info, hit)] = check_tokens(None, [sign(ed_key, "EdDSA")], [], [kit.spki_der(ed_key)])
    assert hit is None and info is not None
    assert info.verified_by == "spki:" + kit.spki_hex(ed_key)[:16]


def test_one_result_per_token_in_order(registry: Registry, rsa_key: Any, kit: ModuleType) -> None:
    tokens = [b"eyJnot.a.token", unsigned(), sign(rsa_key, "RS256")]
    results = check_tokens(registry, tokens, [], [kit.spki_der(rsa_key)])
    assert results[0] == (None, None)
    assert [hit.verdict for _, hit in results[1:] if hit] == [
        Verdict.TOKEN_ALG_NONE,
        Verdict.TOKEN_SIGNED_BY_RETIRED_KEY,
    ]
