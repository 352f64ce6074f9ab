"""Cross-check verdicts and severities (the table in README.md) on real keys."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from scanner.model import KeyInfo, Origin, Severity, Verdict
from scanner.registry import load_registry
from scanner.registry.crosscheck import check_key, check_secret

Writer = Callable[..., Path]
TODAY = date(2025, 12, 1)
HERE = Origin(path="home/dev/.ssh/id_rsa", fs_path="/home/dev/.ssh/id_rsa")
PEOPLE = [
    {"id": "emp-1042", "status": "departed", "departed_on": "2024-11-15"},
    {"id": "emp-2210", "status": "active"},
    {"id": "emp-3000", "status": "on-leave"},
]


def asym(key_id: str, spki: str, state: str = "active", **extra: Any) -> dict[str, Any]:
    return {
        "id": key_id,
        "kind": "asymmetric",
        "state": state,
        "fingerprints": {"spki_sha256": spki},
        **extra,
    }


@pytest.mark.parametrize("state", ["deactivated", "compromised", "destroyed"])
def test_retired_key_present_is_critical(
    state: str, write_registry: Writer, kit: ModuleType, rsa_key: Any
) -> None:
    spec = asym(
        "key-auth-2019",
        kit.spki_hex(rsa_key),
        state,
        dates={state: "2024-06-30"},
        owner={"person": "emp-1042"},
    )
    registry = load_registry(write_registry([spec], PEOPLE))
    hit = check_key(registry, kit.key_info(rsa_key), HERE, today=TODAY)
    assert hit.verdict is Verdict.RETIRED_KEY_PRESENT
    assert hit.severity is Severity.CRITICAL
    assert hit.key_id == "key-auth-2019"
    assert hit.state == state
    assert hit.matched_by == "spki_sha256"
    assert hit.owner == "emp-1042"
    assert hit.owner_status == "departed"
    assert hit.reason == f"{state} 2024-06-30, owner emp-1042 departed 2024-11-15"


@pytest.mark.parametrize("kind", ["ssh_sha256", "jwk_thumbprint", "x509_sha256"])
def test_any_listed_fingerprint_matches(
    kind: str, write_registry: Writer, kit: ModuleType, ec_key: Any
) -> None:
    values = {
        "ssh_sha256": kit.ssh_sha256(ec_key),
        "jwk_thumbprint": kit.thumbprint(kit.public_jwk(ec_key)),
        "x509_sha256": ["cd" * 32],
    }
    spec = {
        "id": "k",
        "kind": "asymmetric",
        "state": "compromised",
        "fingerprints": {kind: values[kind]},
    }
    registry = load_registry(write_registry([spec]))
    prints = {"ssh_sha256": values["ssh_sha256"], "jwk_thumbprint": values["jwk_thumbprint"]}
    info = KeyInfo(format="openssh", fingerprints=prints, certificates=("CD" * 32,))
    hit = check_key(registry, info, HERE, today=TODAY)
    assert (hit.verdict, hit.matched_by, hit.reason) == (
        Verdict.RETIRED_KEY_PRESENT,
        kind,
        "compromised",
    )


def test_active_key_is_high(write_registry: Writer, kit: ModuleType, ed_key: Any) -> None:
    spec = asym("k", kit.spki_hex(ed_key), owner={"person": "emp-3000"})
    registry = load_registry(write_registry([spec], PEOPLE))
    hit = check_key(registry, kit.key_info(ed_key), HERE, today=TODAY)
    assert (hit.verdict, hit.severity) == (Verdict.ACTIVE_KEY_PRESENT, Severity.HIGH)
    assert hit.owner_status == "on-leave"


def test_active_key_in_allowed_location_is_not_outside_custody(
    write_registry: Writer, kit: ModuleType, ed_key: Any
) -> None:
    custody = {"expected": "software", "allowed_locations": ["/home/*/.ssh/*"]}
    registry = load_registry(write_registry([asym("k", kit.spki_hex(ed_key), custody=custody)]))
    assert check_key(registry, kit.key_info(ed_key), HERE).verdict is Verdict.ACTIVE_KEY_PRESENT
    elsewhere = Origin(path="repo/deploy/key.pem", fs_path="/srv/repo/deploy/key.pem")
    hit = check_key(registry, kit.key_info(ed_key), elsewhere)
    assert (hit.verdict, hit.severity) == (Verdict.OUTSIDE_CUSTODY, Severity.HIGH)
    assert "outside its allowed locations" in hit.reason


@pytest.mark.parametrize("custody", ["hsm", "kms", "vault", "secrets-manager"])
def test_managed_custody_allows_no_file_copy(
    custody: str, write_registry: Writer, kit: ModuleType, ec_key: Any
) -> None:
    spec = asym(
        "k", kit.spki_hex(ec_key), custody={"expected": custody, "allowed_locations": ["*"]}
    )
    registry = load_registry(write_registry([spec]))
    hit = check_key(registry, kit.key_info(ec_key), HERE, today=TODAY)
    assert (hit.verdict, hit.severity) == (Verdict.OUTSIDE_CUSTODY, Severity.HIGH)
    assert f"custody is {custody}" in hit.reason


def test_departed_owner_raises_one_level(
    write_registry: Writer, kit: ModuleType, rsa_key: Any
) -> None:
    spec = asym("k", kit.spki_hex(rsa_key), owner={"person": "emp-1042"})
    registry = load_registry(write_registry([spec], PEOPLE))
    hit = check_key(registry, kit.key_info(rsa_key), HERE, today=TODAY)
    assert (hit.verdict, hit.severity) == (Verdict.DEPARTED_OWNER, Severity.CRITICAL)
    assert "owner emp-1042 departed 2024-11-15" in hit.reason


def test_rotation_overdue_raises_one_level(
    write_registry: Writer, kit: ModuleType, rsa_key: Any
) -> None:
    spec = asym("k", kit.spki_hex(rsa_key), rotation={"due": "2025-06-30"})
    registry = load_registry(write_registry([spec], PEOPLE))
    hit = check_key(registry, kit.key_info(rsa_key), HERE, today=TODAY)
    assert (hit.verdict, hit.severity) == (Verdict.ROTATION_OVERDUE, Severity.CRITICAL)
    assert "rotation due 2025-06-30" in hit.reason
    on_time = check_key(registry, kit.key_info(rsa_key), HERE, today=date(2025, 1, 1))
    assert (on_time.verdict, on_time.severity) == (Verdict.ACTIVE_KEY_PRESENT, Severity.HIGH)


def test_expired_key_raises_one_level(
    write_registry: Writer, kit: ModuleType, rsa_key: Any
) -> None:
    spec = asym("k", kit.spki_hex(rsa_key), dates={"expires": "2025-01-31"})
    registry = load_registry(write_registry([spec]))
    hit = check_key(registry, kit.key_info(rsa_key), HERE, today=TODAY)
    assert (hit.verdict, hit.severity) == (Verdict.ROTATION_OVERDUE, Severity.CRITICAL)
    assert "expired 2025-01-31" in hit.reason


def test_pre_activation_key_is_high(write_registry: Writer, kit: ModuleType, rsa_key: Any) -> None:
    registry = load_registry(write_registry([asym("k", kit.spki_hex(rsa_key), "pre-activation")]))
    hit = check_key(registry, kit.key_info(rsa_key), HERE, today=TODAY)
    assert (hit.verdict, hit.severity, hit.state) == (
        Verdict.ACTIVE_KEY_PRESENT,
        Severity.HIGH,
        "pre-activation",
    )


def test_unregistered_key_is_medium(
    write_registry: Writer, kit: ModuleType, rsa_key: Any, ec_key: Any
) -> None:
    registry = load_registry(write_registry([asym("k", kit.spki_hex(rsa_key))]))
    hit = check_key(registry, kit.key_info(ec_key), HERE, today=TODAY)
    assert (hit.verdict, hit.severity, hit.reason) == (
        Verdict.UNREGISTERED_KEY,
        Severity.MEDIUM,
        "unregistered key",
    )
    assert hit.key_id is None


def test_encrypted_key_of_unknown_identity_is_low(
    write_registry: Writer, kit: ModuleType, rsa_key: Any
) -> None:
    registry = load_registry(write_registry([asym("k", kit.spki_hex(rsa_key))]))
    info = KeyInfo(format="pkcs8-encrypted", encrypted=True, public_known=False)
    hit = check_key(registry, info, HERE, today=TODAY)
    assert (hit.verdict, hit.severity) == (Verdict.ENCRYPTED_UNKNOWN, Severity.LOW)
    assert hit.reason == "encrypted key, identity unknown"


def test_encrypted_key_identified_by_certificate(write_registry: Writer) -> None:
    spec = {
        "id": "k",
        "kind": "asymmetric",
        "state": "deactivated",
        "fingerprints": {"x509_sha256": ["ef" * 32]},
    }
    registry = load_registry(write_registry([spec]))
    info = KeyInfo(format="pkcs12", encrypted=True, public_known=False, certificates=("ef" * 32,))
    assert check_key(registry, info, HERE).verdict is Verdict.RETIRED_KEY_PRESENT


def test_unparsable_material_stays_low(write_registry: Writer) -> None:
    registry = load_registry(write_registry([asym("k", "a" * 64)]))
    hit = check_key(registry, KeyInfo(format="unknown", parsed=False), HERE)
    assert hit.severity is Severity.LOW


def test_compromised_secret_found_is_critical(write_registry: Writer, kit: ModuleType) -> None:
    secret = b"legacy-hs256-signing-secret-2019"
    spec = {
        "id": "secret-legacy-hs256",
        "kind": "symmetric",
        "algorithm": "HS256",
        "state": "compromised",
        "owner": {"person": "emp-1042"},
        "fingerprints": {"secret_hash": kit.scrypt_hex(secret)},
    }
    registry = load_registry(write_registry([spec], PEOPLE))
    hit = check_secret(registry, secret)
    assert hit is not None
    assert (hit.verdict, hit.severity, hit.matched_by) == (
        Verdict.RETIRED_KEY_PRESENT,
        Severity.CRITICAL,
        "secret_hash",
    )
    assert hit.reason == "compromised, owner emp-1042 departed 2024-11-15"
    assert check_secret(registry, b"some-other-secret") is None


def test_active_secret_in_vault_found_in_a_file(write_registry: Writer, kit: ModuleType) -> None:
    secret = b"s3cr3t-value-for-the-api"
    spec = {
        "id": "api-secret",
        "kind": "symmetric",
        "state": "active",
        "custody": {"expected": "vault"},
        "fingerprints": {"secret_hash": kit.scrypt_hex(secret)},
    }
    hit = check_secret(load_registry(write_registry([spec])), secret)
    assert hit is not None and hit.verdict is Verdict.OUTSIDE_CUSTODY


def test_no_scrypt_without_symmetric_keys(
    write_registry: Writer, kit: ModuleType, rsa_key: Any
) -> None:
    registry = load_registry(write_registry([asym("k", kit.spki_hex(rsa_key))]))
    assert not registry.has_symmetric
    assert check_secret(registry, b"anything") is None
