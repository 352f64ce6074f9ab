"""Private keys found by what they are, not by what they are called.

A DER private key named `blob` or `server.der`, a PEM key with a space after its
BEGIN line, a PEM key whose END line was lost: each is a leaked key. Keys are
generated here, written to real files (and a real git history), and scanned with
the real CLI; a PEM and a DER copy of one key must get one fingerprint and one
registry verdict. Public keys and certificates in DER, archives named like key
stores, and text that only mentions a BEGIN line are no key findings.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from support import commit, git

from scanner.cli import cli
from scanner.keys import analyse_material, is_key_container
from scanner.keys.dershape import is_private_key
from scanner.model import Origin

from .conftest import certificate, spki

E = serialization.Encoding
F = serialization.PrivateFormat
P = serialization.PublicFormat
NONE = serialization.NoEncryption()


def scan(*args: str) -> tuple[int, list[dict[str, Any]]]:
    result = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)["findings"]


def der_forms(key: Any) -> dict[str, bytes]:
    """The DER private-key encodings `cryptography` writes for this key."""
    forms = {
        "pkcs8": key.private_bytes(E.DER, F.PKCS8, NONE),
        "pkcs8-encrypted": key.private_bytes(
            E.DER, F.PKCS8, serialization.BestAvailableEncryption(b"c0rrect-h0rse")
        ),
    }
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        forms["traditional"] = key.private_bytes(E.DER, F.TraditionalOpenSSL, NONE)
    return forms


@pytest.mark.parametrize("algorithm", ["rsa", "p256", "ed25519", "dsa"])
def test_every_der_private_key_form_has_the_shape(keys: dict[str, Any], algorithm: str) -> None:
    key = keys[algorithm]
    for name, data in der_forms(key).items():
        assert is_private_key(data), (algorithm, name)
    public = key.public_key()
    assert not is_private_key(public.public_bytes(E.DER, P.SubjectPublicKeyInfo))
    assert not is_private_key(certificate(key).public_bytes(E.DER))


def test_public_material_and_key_stores_have_no_private_key_shape(keys: dict[str, Any]) -> None:
    from cryptography.hazmat.primitives.serialization import pkcs12

    key = keys["rsa"]
    rsa_public = key.public_key().public_bytes(E.DER, P.PKCS1)
    store = pkcs12.serialize_key_and_certificates(
        b"k", key, certificate(key), None, serialization.BestAvailableEncryption(b"pw")
    )
    pkcs8 = key.private_bytes(E.DER, F.PKCS8, NONE)
    for data in (rsa_public, store, pkcs8[:-1], pkcs8 + b"\x01", b"0" * 64, b"\x30" * 64):
        assert not is_private_key(data)


PADDING = [b"\n", b"\r\n", b"  \n", b"\x00" * 8, b"\n" * 16]


@pytest.mark.parametrize("algorithm", ["rsa", "p256", "ed25519", "dsa"])
def test_a_little_whitespace_after_a_der_key_keeps_its_shape(
    keys: dict[str, Any], algorithm: str
) -> None:
    for name, data in der_forms(keys[algorithm]).items():
        for padding in PADDING:
            assert is_private_key(data + padding), (algorithm, name, padding)
        for tail in (b"\n" * 17, b"\nx", b"\n\x01", b"-----END"):
            assert not is_private_key(data + tail), (algorithm, name, tail)


@pytest.mark.parametrize(("name", "padding"), [("key.der", b"\n"), ("blob", b"\r\n\x00\x00")])
def test_a_der_key_with_a_newline_after_it_is_reported_and_fingerprinted(
    keys: dict[str, Any], tmp_path: Path, name: str, padding: bytes
) -> None:
    """`echo >> key.der`: the newline must not hide the key from the scan, nor
    its identity from key analysis and `key inspect`."""
    (tmp_path / name).write_bytes(der_forms(keys["p256"])["pkcs8"] + padding)
    code, findings = scan("scan", str(tmp_path))
    assert code == 1
    [found] = findings
    assert found["rule"] == "keyfile.der-private-key"
    assert found["key"]["parsed"] is True
    assert found["key"]["fingerprints"]["spki_sha256"] == spki(keys["p256"])
    inspected = CliRunner().invoke(
        cli, ["key", "inspect", "--format", "json", str(tmp_path / name)]
    )
    assert inspected.exit_code == 0, inspected.output
    [key] = json.loads(inspected.stdout)["files"][0]["keys"]
    assert key["fingerprints"]["spki_sha256"] == spki(keys["p256"])


def test_an_encrypted_der_key_with_a_newline_is_opened_with_a_known_passphrase(
    keys: dict[str, Any], tmp_path: Path
) -> None:
    word = serialization.BestAvailableEncryption(b"changeit")
    (tmp_path / "blob").write_bytes(keys["rsa"].private_bytes(E.DER, F.PKCS8, word) + b"\n")
    _, findings = scan("scan", str(tmp_path))
    [found] = findings
    assert found["rule"] == "keyfile.der-private-key"
    assert found["key"]["weak_passphrase"] is True
    assert found["key"]["fingerprints"]["spki_sha256"] == spki(keys["rsa"])


@pytest.mark.parametrize(
    ("name", "algorithm", "form"),
    [
        ("server.der", "rsa", "pkcs8"),
        ("key.der", "rsa", "traditional"),
        ("signing.der", "p256", "traditional"),
        ("blob", "p256", "pkcs8"),
        ("data.bin", "ed25519", "pkcs8"),
        ("notes/k", "dsa", "traditional"),
    ],
)
def test_scan_reports_a_der_private_key_whatever_its_name(
    keys: dict[str, Any], tmp_path: Path, name: str, algorithm: str, form: str
) -> None:
    path = tmp_path / "tree" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(der_forms(keys[algorithm])[form])
    code, findings = scan("scan", str(tmp_path / "tree"))
    assert code == 1
    [found] = findings
    assert found["rule"] == "keyfile.der-private-key"
    assert found["severity"] == "high"
    assert found["key"]["parsed"] is True
    assert found["key"]["fingerprints"]["spki_sha256"] == spki(keys[algorithm])


def test_an_encrypted_der_key_is_reported_as_its_pem_copy_is(
    keys: dict[str, Any], tmp_path: Path
) -> None:
    key = keys["p256"]
    word = serialization.BestAvailableEncryption(b"c0rrect-h0rse-battery")
    (tmp_path / "blob").write_bytes(key.private_bytes(E.DER, F.PKCS8, word))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(E.PEM, F.PKCS8, word))
    _, findings = scan("scan", str(tmp_path))
    by_path = {Path(f["path"]).name: f for f in findings}
    assert by_path["blob"]["rule"] == "keyfile.der-private-key"
    for field in ("severity", "message"):
        assert by_path["blob"][field] == by_path["key.pem"][field]
    assert by_path["blob"]["key"]["encrypted"] is True


def test_public_keys_and_certificates_in_der_are_no_findings(
    keys: dict[str, Any], tmp_path: Path
) -> None:
    key = keys["rsa"]
    (tmp_path / "server.der").write_bytes(certificate(key).public_bytes(E.DER))
    (tmp_path / "pub.der").write_bytes(key.public_key().public_bytes(E.DER, P.SubjectPublicKeyInfo))
    (tmp_path / "blob").write_bytes(key.public_key().public_bytes(E.DER, P.PKCS1))
    code, findings = scan("scan", str(tmp_path))
    assert (code, findings) == (0, [])


def registry(tmp_path: Path, key: Any) -> Path:
    document = {
        "schema": "keysweep/key-registry/v1",
        "registry": {
            "name": "test keys",
            "secret_hash": {"alg": "scrypt", "salt": "structure-test", "n": 1024, "r": 8, "p": 1},
        },
        "people": [],
        "keys": [
            {
                "id": "key-signing-2019",
                "kind": "asymmetric",
                "algorithm": "ES256",
                "state": "deactivated",
                "dates": {"deactivated": "2024-06-30"},
                "fingerprints": {"spki_sha256": spki(key)},
            }
        ],
    }
    path = tmp_path / "registry.json"
    path.write_text(json.dumps(document))
    return path


def test_the_pem_and_der_copies_of_a_key_get_one_identity_and_verdict(
    keys: dict[str, Any], tmp_path: Path
) -> None:
    key = keys["p256"]
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "signing.pem").write_bytes(key.private_bytes(E.PEM, F.PKCS8, NONE))
    (tree / "signing.bin").write_bytes(key.private_bytes(E.DER, F.PKCS8, NONE))
    code, findings = scan("scan", str(tree), "--registry", str(registry(tmp_path, key)))
    assert code == 1
    by_name = {Path(f["path"]).name: f for f in findings}
    pem, der = by_name["signing.pem"], by_name["signing.bin"]
    assert (pem["rule"], der["rule"]) == ("key.pkcs8", "keyfile.der-private-key")
    assert pem["key"]["fingerprints"] == der["key"]["fingerprints"]
    assert pem["registry"] == der["registry"]
    assert pem["registry"]["verdict"] == "retired-key-present"
    assert pem["severity"] == der["severity"] == "critical"


def test_a_der_key_committed_then_deleted_is_found_in_history(
    keys: dict[str, Any], tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "dev@example.com")
    git(repo, "config", "user.name", "Dev")
    commit(repo, {"README": "hello\n"})
    added = commit(repo, {"build/blob": keys["rsa"].private_bytes(E.DER, F.PKCS8, NONE)})
    commit(repo, {"build/blob": None})
    code, findings = scan("git", str(repo))
    assert code == 1
    [found] = findings
    assert found["rule"] == "keyfile.der-private-key"
    assert found["commit"] == added and found["at_head"] is False
    assert found["key"]["fingerprints"]["spki_sha256"] == spki(keys["rsa"])


def test_a_space_after_the_begin_line_still_finds_the_key(
    keys: dict[str, Any], tmp_path: Path
) -> None:
    pem = keys["rsa"].private_bytes(E.PEM, F.PKCS8, NONE).decode()
    first, rest = pem.split("\n", 1)
    (tmp_path / "bundle.pem").write_text(f"{first} \n{rest}")
    block = "".join(f"    {line}\n" for line in f"{first}\t\n{rest}".splitlines())
    (tmp_path / "values.yaml").write_text(f"tls:\n  key: |\n{block}")
    code, findings = scan("scan", str(tmp_path))
    assert code == 1
    assert {Path(f["path"]).name for f in findings} == {"bundle.pem", "values.yaml"}
    for found in findings:
        assert found["rule"] == "key.pkcs8" and found["severity"] == "high"
        assert found["key"]["fingerprints"]["spki_sha256"] == spki(keys["rsa"])


def without_end(pem: bytes) -> str:
    return pem.decode().rsplit("-----END", 1)[0]


def test_a_key_whose_end_line_is_lost_is_read_and_reported(
    keys: dict[str, Any], tmp_path: Path
) -> None:
    (tmp_path / "server.pem").write_text(
        without_end(keys["rsa"].private_bytes(E.PEM, F.PKCS8, NONE))
    )
    traditional = keys["p256"].private_bytes(E.PEM, F.TraditionalOpenSSL, NONE)
    (tmp_path / "id_rsa").write_text(without_end(traditional))
    code, findings = scan("scan", str(tmp_path))
    assert code == 1
    by_name = {Path(f["path"]).name: f for f in findings}
    assert set(by_name) == {"server.pem", "id_rsa"}
    for name, algorithm in (("server.pem", "rsa"), ("id_rsa", "p256")):
        found = by_name[name]
        assert found["rule"] == "key.pem-truncated" and found["severity"] == "high"
        assert found["key"]["fingerprints"]["spki_sha256"] == spki(keys[algorithm])
        assert "END line is missing" in found["message"]


def test_a_key_cut_off_in_its_body_is_reported_as_damaged(
    keys: dict[str, Any], tmp_path: Path
) -> None:
    body = without_end(keys["rsa"].private_bytes(E.PEM, F.TraditionalOpenSSL, NONE))
    (tmp_path / "deploy.txt").write_text(body[:700])
    _, findings = scan("scan", str(tmp_path))
    [found] = findings
    assert found["rule"] == "key.pem-truncated"
    assert found["key"]["parsed"] is False
    assert "unparsable key material" in found["message"]


def test_text_that_only_mentions_a_begin_line_is_no_finding(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(
        "Paste your key, from -----BEGIN PRIVATE KEY----- to the END line.\n\n"
        "```\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA...\n```\n"
        "-----BEGIN PRIVATE KEY-----\n<your key here>\n\nMore text.\n"
    )
    code, findings = scan("scan", str(tmp_path))
    assert (code, findings) == (0, [])


def zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize("name", ["backup.p12", "store.jks", "release.keystore", "a.der", "s.gpg"])
def test_archive_bytes_are_no_key_container_whatever_the_name(name: str) -> None:
    data = zipped({"prod.env": b"TOKEN=value\n"})
    assert not is_key_container(name, data)
    [info] = analyse_material(data, origin=Origin(path=name), passphrases=())
    assert info.parsed is False and info.format == "archive"


def test_a_key_file_rule_names_the_member_not_the_archive(tmp_path: Path) -> None:
    """A member of an archive named like a key store is judged by its own name."""
    from scanner.config import Config
    from scanner.detectors.rules import load_rules
    from scanner.engine.matcher import Engine

    engine = Engine(load_rules(Config()), use_hyperscan=False)
    data = b"TOKEN=value\n"
    assert engine.find_key_files(["backup.p12", "prod.env"], data) == []
    assert [h.rule.id for h in engine.find_key_files(["bundle.zip", "id_rsa"], None)] == [
        "keyfile.ssh-private-key"
    ]


def test_a_der_key_inside_a_zip_is_found_by_its_structure(
    keys: dict[str, Any], tmp_path: Path
) -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    (tmp_path / "bundle.zip").write_bytes(
        zipped({"out/k": key.private_bytes(E.DER, F.PKCS8, NONE)})
    )
    _, findings = scan("scan", str(tmp_path))
    [found] = findings
    assert found["rule"] == "keyfile.der-private-key"
    assert found["archive_member"] == "out/k"
    assert found["key"]["fingerprints"]["spki_sha256"] == spki(key)
