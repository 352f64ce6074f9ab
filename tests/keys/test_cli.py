"""`keysweep key inspect` through the real CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from scanner.cli import cli

from .conftest import Written, spki

Write = Callable[[str, bytes], Path]


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, ["key", "inspect", *args])


def test_text_report_shows_format_algorithm_and_fingerprints(
    keys: dict[str, Any], samples: dict[str, dict[str, Written]], write: Write
) -> None:
    path = write("id_ecdsa", samples["p256"]["openssh"].data)
    result = invoke(str(path))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "openssh" in out and "EC" in out and "P-256" in out
    assert spki(keys["p256"]) in out
    assert "SHA256:" in out and "jwk_thumbprint" in out
    body = samples["p256"]["openssh"].data.decode().split("\n")[2]
    assert body[:24] not in out


def test_weak_passphrase_is_named_never_shown(
    samples: dict[str, dict[str, Written]], write: Write
) -> None:
    path = write("key.pem", samples["rsa"]["pkcs8-encrypted"].data)
    result = invoke(str(path))
    assert result.exit_code == 0
    assert "opens with a well-known or empty passphrase" in result.stdout
    assert "changeit" not in result.stdout


def test_unreadable_public_part_is_said(keys: dict[str, Any], write: Write) -> None:
    from cryptography.hazmat.primitives import serialization

    data = keys["ed25519"].private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"n0t-a-default-x"),
    )
    result = invoke(str(write("locked.pem", data)))
    assert result.exit_code == 0
    assert "not readable: identity unknown" in result.stdout


def test_json_lists_every_key_of_every_file(
    keys: dict[str, Any], samples: dict[str, dict[str, Written]], write: Write
) -> None:
    a = write("a.p12", samples["rsa"]["pkcs12-weak"].data)
    b = write("b.jwk", samples["ed25519"]["jwk"].data)
    result = invoke("--format", "json", str(a), str(b))
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    [first, second] = doc["files"]
    assert first["keys"][0]["format"] == "pkcs12"
    assert first["keys"][0]["weak_passphrase"] is True
    assert first["keys"][0]["fingerprints"]["spki_sha256"] == spki(keys["rsa"])
    assert second["keys"][0]["fingerprints"]["spki_sha256"] == spki(keys["ed25519"])


def test_registry_entry_validates_against_the_registry_schema(
    keys: dict[str, Any], samples: dict[str, dict[str, Written]], write: Write
) -> None:
    loading = pytest.importorskip("scanner.registry.loading")
    a = write("auth-signing.pem", samples["rsa"]["pkcs8-pem"].data)
    b = write("id_ed25519", samples["ed25519"]["openssh"].data)
    result = invoke("--registry-entry", str(a), str(b))
    assert result.exit_code == 0, result.output
    entries = yaml.safe_load(result.stdout)["keys"]
    assert [e["id"] for e in entries] == ["auth-signing", "id-ed25519"]
    assert entries[0]["algorithm"] == "RS256"
    assert entries[0]["fingerprints"]["spki_sha256"] == spki(keys["rsa"])
    assert (entries[0]["kind"], entries[0]["state"]) == ("asymmetric", "active")
    assert "TODO" in result.stdout
    document = {"schema": "keysweep/key-registry/v1", "keys": entries}
    loading.validate(document, "skeleton")


def test_missing_file_is_exit_2_with_one_line(tmp_path: Path) -> None:
    result = invoke(str(tmp_path / "nope.pem"))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "nope.pem" in lines[0] and "cannot read" in lines[0]


def test_a_file_without_a_key_is_exit_1(write: Write) -> None:
    path = write("notes.txt", b"nothing to see here\n")
    result = invoke(str(path))
    assert result.exit_code == 1
    assert "no readable key" in result.stderr


def test_public_keys_and_certificates_are_inspected_too(keys: dict[str, Any], write: Write) -> None:
    from cryptography.hazmat.primitives import serialization

    from .conftest import certificate

    public = keys["ed25519"].public_key()
    ssh = write(
        "id_ed25519.pub",
        public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        + b" me@host\n",
    )
    cert = write("server.crt", certificate(keys["rsa"]).public_bytes(serialization.Encoding.PEM))
    result = invoke("--format", "json", str(ssh), str(cert))
    assert result.exit_code == 0, result.output
    [first, second] = json.loads(result.stdout)["files"]
    assert first["keys"][0]["format"] == "public-key"
    assert first["keys"][0]["fingerprints"]["spki_sha256"] == spki(keys["ed25519"])
    assert second["keys"][0]["format"] == "x509-certificate"
    assert second["keys"][0]["fingerprints"]["spki_sha256"] == spki(keys["rsa"])
    assert len(second["keys"][0]["certificates"]) == 1


def test_control_characters_in_names_are_escaped(
    samples: dict[str, dict[str, Written]], write: Write
) -> None:
    path = write("evil\x1b[31m.pem", samples["p256"]["pkcs8-pem"].data)
    for args in ([str(path)], ["--registry-entry", str(path)]):
        result = invoke(*args)
        assert result.exit_code == 0
        assert "\x1b" not in result.stdout
