"""keysweep sweep on a fake home folder holding every kind of key and every bad input.

The home is built once per module: real keys made with `cryptography`, a key
inside a zip inside a tar, a world-readable key, an unreadable folder, a
symlink loop, a 1 GB sparse file and a zip bomb. One sweep with a registry runs
over it; the tests read its JSON report.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import secrets
import socket
import string
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from support import aws_secret as random_aws_secret
from support import checksummed, pypi_token

from scanner.cli import cli

PEM = serialization.Encoding.PEM
NOENC = serialization.NoEncryption()
PKCS8 = serialization.PrivateFormat.PKCS8
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def spki(key: Any) -> str:
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def token(prefix: str, length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length))


class Home:
    """The fake home: where each key went, and every secret planted in it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.keys: dict[str, tuple[str, str | None]] = {}
        """label -> (display path, SPKI hash or None when the key is encrypted)"""
        self.secrets: list[bytes] = []
        self.tokens: dict[str, str] = {}

    def put(self, rel: str, data: bytes, mode: int = 0o600) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(mode)
        return path

    def key(self, label: str, rel: str, key: Any, data: bytes, mode: int = 0o600) -> None:
        self.put(rel, data, mode)
        self.keys[label] = ("~/" + rel, spki(key) if key is not None else None)
        self.plant(data)

    def plant(self, secret: bytes) -> None:
        self.secrets.append(secret)
        if secret.startswith(b"-----BEGIN"):
            body = b"".join(secret.strip().splitlines()[1:-1])
            self.secrets.extend([body, body[len(body) // 2 :]])


def build_home(root: Path) -> Home:
    home = Home(root)
    retired = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    home.key(
        "pkcs1",
        ".ssh/id_rsa",
        retired,
        retired.private_bytes(PEM, serialization.PrivateFormat.TraditionalOpenSSL, NOENC),
    )
    ed = ed25519.Ed25519PrivateKey.generate()
    home.key(
        "openssh",
        ".ssh/id_ed25519",
        ed,
        ed.private_bytes(PEM, serialization.PrivateFormat.OpenSSH, NOENC),
        mode=0o644,
    )
    ecc = ec.generate_private_key(ec.SECP256R1())
    home.key("pkcs8", "Documents/service.pem", ecc, ecc.private_bytes(PEM, PKCS8, NOENC))
    locked = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    home.key(
        "encrypted",
        "Documents/encrypted.pem",
        None,
        locked.private_bytes(
            PEM, PKCS8, serialization.BestAvailableEncryption(b"correct horse battery 42")
        ),
    )
    _p12(home)
    jwk_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk_text = jwt.algorithms.RSAAlgorithm.to_jwk(jwk_key)
    home.key("jwk", ".config/app/signing.jwk", jwk_key, jwk_text.encode())
    home.plant(json.loads(jwk_text)["d"].encode())
    _kubeconfig(home)
    _gcp(home)
    _tokens(home)
    _nested(home)
    _bad_inputs(home)
    registry = {
        "schema": "keysweep/key-registry/v1",
        "registry": {
            "name": "sweep test",
            "secret_hash": {"alg": "scrypt", "salt": "sweep:v1", "n": 1024, "r": 8, "p": 1},
        },
        "people": [],
        "keys": [
            {
                "id": "key-laptop-2019",
                "kind": "asymmetric",
                "purpose": "ssh",
                "algorithm": "RS256",
                "state": "deactivated",
                "dates": {"deactivated": "2024-06-30"},
                "fingerprints": {"spki_sha256": spki(retired)},
            }
        ],
    }
    (root.parent / "registry.json").write_text(json.dumps(registry))
    return home


def _p12(home: Home) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dev client")])
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    data = pkcs12.serialize_key_and_certificates(
        b"client", key, cert, None, serialization.BestAvailableEncryption(b"changeit")
    )
    home.key("pkcs12", "Desktop/client.p12", key, data)
    home.plant(key.private_bytes(PEM, PKCS8, NOENC))


def _kubeconfig(home: Home) -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    pem = key.private_bytes(PEM, serialization.PrivateFormat.TraditionalOpenSSL, NOENC)
    data = base64.b64encode(pem)
    config = (
        "apiVersion: v1\nkind: Config\nusers:\n- name: dev\n  user:\n"
        f"    client-key-data: {data.decode()}\n"
    )
    home.key("kubeconfig", ".kube/config", key, config.encode())
    home.plant(pem)
    home.plant(data)


def _gcp(home: Home) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(PEM, PKCS8, NOENC)
    account = {
        "type": "service_account",
        "project_id": "demo-project",
        "private_key_id": secrets.token_hex(20),
        "private_key": pem.decode(),
        "client_email": "ci@demo-project.iam.gserviceaccount.com",
    }
    home.key("gcp", "Downloads/demo-project-sa.json", key, json.dumps(account, indent=2).encode())
    home.plant(pem)


def _tokens(home: Home) -> None:
    npm = checksummed("npm_")
    pypi = pypi_token()
    github = checksummed("ghp_")
    aws_id = token("AKIA", 16, string.ascii_uppercase + string.digits)
    aws_secret = random_aws_secret()
    home.put(".npmrc", f"//registry.npmjs.org/:_authToken={npm}\n".encode())
    home.put(".pypirc", f"[pypi]\nusername = __token__\npassword = {pypi}\n".encode())
    home.put(".netrc", f"machine github.com login dev password {github}\n".encode())
    home.put(
        ".aws/credentials",
        f"[default]\naws_access_key_id = {aws_id}\naws_secret_access_key = {aws_secret}\n".encode(),
    )
    for value in (npm, pypi, github, aws_secret):
        home.plant(value.encode())
    home.tokens = {
        "~/.npmrc": npm,
        "~/.pypirc": pypi,
        "~/.netrc": github,
        "~/.aws/credentials": aws_secret,
    }


def _nested(home: Home) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(PEM, PKCS8, NOENC)
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("keys/deploy.pem", pem)
    outer = io.BytesIO()
    with tarfile.open(fileobj=outer, mode="w") as archive:
        info = tarfile.TarInfo("inner.zip")
        info.size = len(inner.getvalue())
        archive.addfile(info, io.BytesIO(inner.getvalue()))
    home.put("Downloads/backup.tar", outer.getvalue())
    home.keys["nested"] = ("~/Downloads/backup.tar", spki(key))
    home.plant(pem)


def _bad_inputs(home: Home) -> None:
    locked = home.put("private/notes.txt", b"nothing here\n")
    locked.parent.chmod(0o000)
    (home.root / "loop").symlink_to(home.root, target_is_directory=True)
    (home.root / "projects/a").mkdir(parents=True)
    (home.root / "projects/a/again").symlink_to(home.root / "projects", target_is_directory=True)
    with open(home.root / "disk.img", "wb") as handle:
        handle.truncate(1024 * 1024 * 1024)
    bomb = home.root / "Downloads/bomb.zip"
    with (
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("zeros.bin", "w", force_zip64=True) as member,
    ):
        chunk = bytes(1024 * 1024)
        for _ in range(1024):
            member.write(chunk)
    assert bomb.stat().st_size < 5 * 1024 * 1024


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    root = tmp_path_factory.mktemp("sweep") / "home"
    root.mkdir()
    built = build_home(root)
    yield built
    (root / "private").chmod(0o700)


def _no_network(*args: object, **kwargs: object) -> None:
    raise AssertionError("the sweep tried to open a network connection")


@pytest.fixture(scope="module")
def swept(home: Home, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One sweep of the fake home: the JSON report, the exit code, what changed on disk."""
    out = tmp_path_factory.mktemp("out")
    scratch = tmp_path_factory.mktemp("scratch")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home.root))
        patch.setenv("USERPROFILE", str(home.root))
        patch.setenv("TMPDIR", str(scratch))
        patch.setattr(socket.socket, "connect", _no_network)
        patch.setattr(socket.socket, "connect_ex", _no_network)
        patch.setattr(socket, "create_connection", _no_network)
        before = _snapshot(home.root)
        result = CliRunner().invoke(
            cli,
            [
                "sweep",
                "--registry",
                str(home.root.parent / "registry.json"),
                "--no-progress",
                "--max-seconds",
                "120",
                "-j",
                "2",
                "--output",
                str(out / "report.json"),
            ],
        )
        after = _snapshot(home.root)
    text = (out / "report.json").read_text() if (out / "report.json").exists() else ""
    return {
        "code": result.exit_code,
        "output": result.output,
        "text": text,
        "report": json.loads(text) if text else {},
        "changed": sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k)),
        "scratch": sorted(p.name for p in scratch.iterdir()),
        "written": sorted(p.name for p in out.iterdir()),
    }


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    seen: dict[str, tuple[int, int]] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            info = os.lstat(os.path.join(folder, name))
            seen[os.path.join(folder, name)] = (info.st_size, info.st_mtime_ns)
    return seen


def findings_at(report: dict[str, Any], path: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["path"] == path]


def test_the_sweep_finishes_with_findings_and_writes_only_the_report(swept: dict[str, Any]) -> None:
    assert swept["code"] == 1, swept["output"]
    assert swept["written"] == ["report.json"]
    assert swept["changed"] == []
    assert swept["scratch"] == []


def test_the_report_says_where_and_what_was_swept(swept: dict[str, Any]) -> None:
    meta = swept["report"]["summary"]["meta"]
    assert meta["host"] == os.uname().nodename if hasattr(os, "uname") else meta["host"]
    for field in ("user", "os", "platform", "time", "keysweep_version", "excluded"):
        assert meta[field], field
    assert swept["report"]["tool"]["rules_version"]
    assert meta["roots"] == ["~"]
    assert meta["key_places"][:2] == ["~/.ssh", "~/.aws"]
    assert meta["partial"] is True  # the planted archive bomb was not fully scanned
    assert meta["low_priority"] is True
    assert all(f["path"].startswith("~/") for f in swept["report"]["findings"])


def test_no_planted_secret_appears_in_the_report(home: Home, swept: dict[str, Any]) -> None:
    text = swept["text"]
    assert text
    for secret in home.secrets:
        for form in (secret, base64.b64encode(secret), base64.urlsafe_b64encode(secret)):
            assert form.decode("ascii", "replace") not in text, secret[:12]


def test_bad_inputs_are_warnings_and_the_sweep_goes_on(swept: dict[str, Any]) -> None:
    errors = [f"{e['path']}: {e['message']}" for e in swept["report"]["errors"]]
    assert any("~/Downloads/bomb.zip" in e and "archive bomb?" in e for e in errors), errors
    assert any("~/disk.img" in e and "size limit" in e for e in errors), errors
    if not IS_ROOT:
        assert any("~/private" in e and "cannot list folder" in e for e in errors), errors
    assert swept["report"]["summary"]["skipped"].get("symlink", 0) >= 2


def test_a_world_readable_private_key_says_so(swept: dict[str, Any]) -> None:
    found = findings_at(swept["report"], "~/.ssh/id_ed25519")
    assert found
    assert all(f["file_mode"] == "0o644" and f["file_owner"] for f in found)
    assert all("readable by other users" in f["message"] for f in found)
    assert all(
        "readable by" not in f["message"] for f in findings_at(swept["report"], "~/.ssh/id_rsa")
    )


@pytest.mark.parametrize(
    "label", ["pkcs1", "openssh", "pkcs8", "pkcs12", "jwk", "kubeconfig", "gcp", "nested"]
)
def test_every_key_is_found_with_its_fingerprint(
    home: Home, swept: dict[str, Any], label: str
) -> None:
    path, expected = home.keys[label]
    found = findings_at(swept["report"], path)
    prints = {(f["key"] or {}).get("fingerprints", {}).get("spki_sha256") for f in found}
    assert expected in prints, (label, [f["rule"] for f in found])


def test_the_key_inside_a_zip_inside_a_tar_names_its_member(
    home: Home, swept: dict[str, Any]
) -> None:
    found = findings_at(swept["report"], "~/Downloads/backup.tar")
    assert {f["archive_member"] for f in found} == {"inner.zip!keys/deploy.pem"}


def test_registry_verdicts(home: Home, swept: dict[str, Any]) -> None:
    retired = [f for f in findings_at(swept["report"], "~/.ssh/id_rsa") if f["registry"]]
    assert retired and all(f["severity"] == "critical" for f in retired)
    assert {f["registry"]["verdict"] for f in retired} == {"retired-key-present"}
    assert {f["registry"]["key_id"] for f in retired} == {"key-laptop-2019"}
    locked = findings_at(swept["report"], "~/Documents/encrypted.pem")
    assert "encrypted-key-identity-unknown" in {
        (f["registry"] or {}).get("verdict") for f in locked
    }
    stray = findings_at(swept["report"], "~/Documents/service.pem")
    assert "unregistered-key" in {(f["registry"] or {}).get("verdict") for f in stray}


@pytest.mark.parametrize("path", ["~/.npmrc", "~/.pypirc", "~/.netrc", "~/.aws/credentials"])
def test_credentials_in_tool_config_files_are_found(swept: dict[str, Any], path: str) -> None:
    assert findings_at(swept["report"], path), path


def test_the_sweep_report_feeds_the_inventory(swept: dict[str, Any], tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text(swept["text"])
    db = f"sqlite:///{tmp_path / 'inventory.db'}"
    runner = CliRunner()
    ingested = runner.invoke(cli, ["inventory", "ingest", str(report), "--db", db])
    assert ingested.exit_code == 0, ingested.output
    where = runner.invoke(
        cli, ["inventory", "where", "key-laptop-2019", "--db", db, "--format", "json"]
    )
    places = json.loads(where.output)
    assert {p["path"] for p in places} == {"~/.ssh/id_rsa"}
    summary = runner.invoke(cli, ["inventory", "summary", "--db", db, "--format", "json"])
    [(host, retired)] = json.loads(summary.output).items()
    assert host == swept["report"]["summary"]["meta"]["host"]
    assert {p["key_id"] for p in retired} == {"key-laptop-2019"}
