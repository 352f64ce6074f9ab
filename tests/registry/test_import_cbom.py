"""`keysweep registry import-cbom`: CycloneDX 1.6 and 1.7 cryptographic assets."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

from click.testing import CliRunner

from scanner.cli import cli
from scanner.model import Origin, Verdict
from scanner.registry import load_registry
from scanner.registry.crosscheck import check_key

FAKE_VALUE = "bm90IGEgcmVhbCBrZXk="


def material(ref: str, kind: str, **props: Any) -> dict[str, Any]:
    return {
        "type": "cryptographic-asset",
        "bom-ref": ref,
        "name": ref,
        "cryptoProperties": {
            "assetType": "related-crypto-material",
            "relatedCryptoMaterialProperties": {"type": kind, **props},
        },
    }


def algorithm(ref: str, name: str) -> dict[str, Any]:
    return {
        "type": "cryptographic-asset",
        "bom-ref": ref,
        "name": name,
        "cryptoProperties": {
            "assetType": "algorithm",
            "algorithmProperties": {"primitive": "signature"},
        },
    }


def bom(version: str, components: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "bomFormat": "CycloneDX",
        "specVersion": version,
        "version": 1,
        "components": components,
    }


def import_cbom(tmp_path: Path, document: dict[str, Any], registry: Path) -> Any:
    path = tmp_path / f"cbom-{document['specVersion']}.json"
    path.write_text(json.dumps(document))
    return CliRunner().invoke(
        cli, ["registry", "import-cbom", str(path), "--registry", str(registry)]
    )


def test_cyclonedx_1_6(tmp_path: Path, kit: ModuleType, rsa_key: Any, ec_key: Any) -> None:
    rsa_spki, ec_spki = kit.spki_hex(rsa_key), kit.spki_hex(ec_key)
    private = material(
        "key-auth-2019",
        "private-key",
        id="kid-2019",
        state="deactivated",
        algorithmRef="alg-rs256",
        creationDate="2019-03-01T00:00:00Z",
        activationDate="2019-03-02T00:00:00Z",
        expirationDate="2024-06-30T00:00:00Z",
        value=FAKE_VALUE,
        size=2048,
        format="PEM",
        securedBy={"mechanism": "Software"},
    )
    private["hashes"] = [
        {"alg": "SHA-1", "content": "0" * 40},
        {"alg": "SHA-256", "content": rsa_spki.upper()},
    ]
    public = material("key-auth-2019-pub", "public-key", state="deactivated")
    public["hashes"] = [{"alg": "SHA-256", "content": rsa_spki}]
    nested_key = material("svc-ec", "private-key", state="active")
    nested_key["hashes"] = [{"alg": "SHA-256", "content": ec_spki}]
    library = {"type": "library", "bom-ref": "lib", "name": "svc", "components": [nested_key]}
    secret = material("hmac-1", "secret-key", state="compromised")
    document = bom("1.6", [algorithm("alg-rs256", "RS256"), private, public, library, secret])

    registry = tmp_path / "registry.yaml"
    result = import_cbom(tmp_path, document, registry)
    assert result.exit_code == 0, result.output
    assert "added 2, updated 0" in result.stderr
    assert "key-auth-2019: carries key material in 'value' (not imported)" in result.stderr
    assert "hmac-1: secret key" in result.stderr
    assert FAKE_VALUE not in registry.read_text()

    loaded = load_registry(registry)
    entry = loaded.entry("key-auth-2019")
    assert entry is not None
    assert (entry.state, entry.algorithm, entry.cbom_ref, entry.custody) == (
        "deactivated",
        "RS256",
        "key-auth-2019",
        "software",
    )
    assert {k: v.isoformat() for k, v in entry.dates.items()} == {
        "created": "2019-03-01",
        "activated": "2019-03-02",
        "expires": "2024-06-30",
    }
    hit = check_key(loaded, kit.key_info(rsa_key), Origin(path="id_rsa"))
    assert (hit.verdict, hit.key_id) == (Verdict.RETIRED_KEY_PRESENT, "key-auth-2019")
    nested = loaded.entry("svc-ec")
    assert nested is not None and nested.state == "active"


def test_cyclonedx_1_7_fingerprints_and_certificates(
    tmp_path: Path, kit: ModuleType, ed_key: Any
) -> None:
    spki = kit.spki_hex(ed_key)
    cert_hash = "5b" * 32
    key = material(
        "ed-pub", "public-key", state="compromised", fingerprint={"alg": "SHA-256", "content": spki}
    )
    cert = {
        "type": "cryptographic-asset",
        "bom-ref": "cert-1",
        "name": "signer certificate",
        "cryptoProperties": {
            "assetType": "certificate",
            "certificateProperties": {
                "subjectName": "CN=signer",
                "fingerprint": {"alg": "SHA-256", "content": cert_hash},
                "relatedCryptographicAssets": [{"type": "publicKey", "ref": "ed-pub"}],
            },
        },
    }
    registry = tmp_path / "registry.json"
    result = import_cbom(tmp_path, bom("1.7", [key, cert]), registry)
    assert result.exit_code == 0, result.output
    entry = load_registry(registry).entry("ed-pub")
    assert entry is not None
    assert entry.fingerprints["spki_sha256"] == (spki,)
    assert entry.fingerprints["x509_sha256"] == (cert_hash,)
    assert entry.state == "compromised"

    key["cryptoProperties"]["relatedCryptoMaterialProperties"]["state"] = "destroyed"
    result = import_cbom(tmp_path, bom("1.7", [key, cert]), registry)
    assert "added 0, updated 1" in result.stderr
    updated = load_registry(registry).entry("ed-pub")
    assert updated is not None and updated.state == "destroyed"
    assert updated.fingerprints["x509_sha256"] == (cert_hash,)


def test_key_without_fingerprint_is_skipped(tmp_path: Path) -> None:
    result = import_cbom(tmp_path, bom("1.7", [material("k", "private-key")]), tmp_path / "r.yaml")
    assert result.exit_code == 0
    assert "k: no bom-ref or no SHA-256 fingerprint" in result.stderr


def test_other_versions_are_refused(tmp_path: Path) -> None:
    result = import_cbom(tmp_path, bom("1.5", []), tmp_path / "r.yaml")
    assert result.exit_code == 2
    assert "CycloneDX 1.5: only 1.6 and 1.7 are supported" in result.stderr


def test_not_cyclonedx(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"hello": 1}')
    result = CliRunner().invoke(
        cli, ["registry", "import-cbom", str(path), "--registry", str(tmp_path / "r.yaml")]
    )
    assert result.exit_code == 2 and "not CycloneDX JSON" in result.stderr
