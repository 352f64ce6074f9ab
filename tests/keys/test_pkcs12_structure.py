"""A PKCS#12 store found by its structure, whatever it is called.

`backup.bin` or `store` holding a PFX passed the gate where the same bytes named
`client.p12` were a finding. Stores are written here by `cryptography` (with a
strong, a well-known and no password), scanned with the real CLI, and compared
with their `.p12` copy; certificates, public keys, DER private keys and random
bytes are no store.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from scanner.cli import cli
from scanner.keys.dershape import is_pkcs12

from .conftest import certificate, spki

E = serialization.Encoding
P = serialization.PublicFormat
F = serialization.PrivateFormat
PASSWORDS: dict[str, serialization.KeySerializationEncryption] = {
    "strong": serialization.BestAvailableEncryption(b"c0rrect-h0rse-battery-staple"),
    "well-known": serialization.BestAvailableEncryption(b"changeit"),
    "none": serialization.NoEncryption(),
}


def store(key: Any, password: str) -> bytes:
    return pkcs12.serialize_key_and_certificates(
        b"server", key, certificate(key), None, PASSWORDS[password]
    )


def scan(folder: Path) -> list[dict[str, Any]]:
    result = CliRunner().invoke(cli, ["scan", str(folder), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    findings: list[dict[str, Any]] = json.loads(result.stdout)["findings"]
    return findings


@pytest.mark.parametrize("password", PASSWORDS)
@pytest.mark.parametrize("algorithm", ["rsa", "p256", "ed25519"])
def test_every_store_has_the_shape_and_a_newline_after_it_does_not_hide_it(
    keys: dict[str, Any], algorithm: str, password: str
) -> None:
    data = store(keys[algorithm], password)
    assert is_pkcs12(data)
    assert is_pkcs12(data + b"\n") and is_pkcs12(data + b"\r\n")
    assert not is_pkcs12(data[:-1]) and not is_pkcs12(data + b"\nmore")


def test_certificates_public_keys_private_keys_and_noise_are_no_store(
    keys: dict[str, Any],
) -> None:
    key = keys["rsa"]
    word = serialization.BestAvailableEncryption(b"pw")
    others = [
        certificate(key).public_bytes(E.DER),
        key.public_key().public_bytes(E.DER, P.SubjectPublicKeyInfo),
        key.public_key().public_bytes(E.DER, P.PKCS1),
        key.private_bytes(E.DER, F.PKCS8, serialization.NoEncryption()),
        key.private_bytes(E.DER, F.PKCS8, word),
        key.private_bytes(E.DER, F.TraditionalOpenSSL, serialization.NoEncryption()),
    ]
    noise = random.Random(12)
    others += [noise.randbytes(noise.randrange(32, 4096)) for _ in range(2000)]
    others += [b"\x30\x82" + len(n).to_bytes(2, "big") + n for n in others[-200:]]
    assert not any(is_pkcs12(data) for data in others)


@pytest.mark.parametrize("password", PASSWORDS)
def test_a_store_with_no_telling_name_is_reported_as_its_p12_copy_is(
    keys: dict[str, Any], tmp_path: Path, password: str
) -> None:
    data = store(keys["p256"], password)
    by_name: dict[str, dict[str, Any]] = {}
    for name in ("backup.bin", "store", "client.p12"):  # one scan each: copies are one finding
        (tmp_path / name).mkdir()
        (tmp_path / name / name).write_bytes(data)
        [by_name[name]] = scan(tmp_path / name)
    named = by_name.pop("client.p12")
    assert named["rule"] == "keyfile.pkcs12"  # the name rule keeps its id
    for found in by_name.values():
        assert found["rule"] == "keyfile.pkcs12-store"
        for field in ("kind", "severity", "message", "key"):
            assert found[field] == named[field], field
    if password != "strong":  # opened: the key's own identity
        assert named["key"]["fingerprints"]["spki_sha256"] == spki(keys["p256"])


def test_a_key_store_name_keeps_its_rule_and_a_padded_store_is_read(
    keys: dict[str, Any], tmp_path: Path
) -> None:
    data = store(keys["rsa"], "well-known")
    (tmp_path / "release.keystore").write_bytes(data)  # keytool writes PKCS#12 since Java 9
    (tmp_path / "archive.pfx.bak").write_bytes(data + b"\n")
    by_name = {Path(f["path"]).name: f for f in scan(tmp_path)}
    assert by_name["release.keystore"]["rule"] == "keyfile.java-keystore"
    padded = by_name["archive.pfx.bak"]
    assert padded["rule"] == "keyfile.pkcs12-store"
    assert padded["key"]["weak_passphrase"] is True
    assert padded["key"]["fingerprints"]["spki_sha256"] == spki(keys["rsa"])


def test_a_store_holding_only_public_certificates_is_no_finding(
    keys: dict[str, Any], tmp_path: Path
) -> None:
    """A trust store in clear holds nothing secret: no finding by name, none by shape."""
    certs = [certificate(keys["rsa"])]
    data = pkcs12.serialize_key_and_certificates(None, None, None, certs, PASSWORDS["none"])
    assert is_pkcs12(data)
    (tmp_path / "trust.bin").write_bytes(data)
    (tmp_path / "trust.p12").write_bytes(data + b"\n")  # not a copy of trust.bin
    assert scan(tmp_path) == []
