"""Nothing that leaves keysweep lets anyone confirm a guessed secret.

Secrets are planted at test time (random tokens, a fresh RSA key, an HS256 JWT) in
a git repository. Every output is then searched for the SHA-1, SHA-256 and SHA-512
(hex, base64 and base64url, whole and as a prefix) of every planted secret and of
every 8-character window of it: each report format of a scan, a git-history scan,
a baseline, a sweep report, and an inventory database (its SQL dump and its raw
bytes) after ingesting the sweep and scan reports. All through the real CLI.

The key behind the hashes is tested too: the organisation key makes the same ids
on every machine, an installation key only on its own, a baseline made with
another key is a one-line error, and the sweep writes no key and uses scrypt.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from support import TOKEN_RULE, git, token

from scanner.cli import cli

ORG_KEY = "org-key-for-tests-0123456789abcdef"
WINDOW = 8
SALT = "hash-test:v1"
SHORT_RULE = """
  - id: test.short-password
    name: short test password
    kind: credential
    severity: medium
    keywords: ["kswpw="]
    pattern: 'kswpw=(?P<secret>[A-Za-z0-9!]{10})'
    examples: ["kswpw=Winter2024"]
"""


@dataclass
class Planted:
    root: Path
    repo: Path
    secrets: list[bytes] = field(default_factory=list)
    subjects: list[bytes] = field(default_factory=list)


def _scrypt(secret: bytes) -> str:
    return hashlib.scrypt(secret, salt=SALT.encode(), n=1024, r=8, p=1, dklen=32).hex()


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Planted]:
    root = tmp_path_factory.mktemp("hashes")
    repo = root / "repo"
    repo.mkdir()
    found = Planted(root, repo)
    (root / "rules.yaml").write_text(TOKEN_RULE + SHORT_RULE)
    registered, loose, hmac_key = token(), token(), token()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    subject = f"user-{token()[8:20]}@example.test"
    signed = jwt.encode({"sub": subject, "iat": 1_700_000_000}, hmac_key, algorithm="HS256")
    password = "Wi" + token()[8:16]
    (repo / "settings.py").write_text(f'API_TOKEN = "{registered}"\nPASS = "kswpw={password}"\n')
    (repo / "deploy.pem").write_bytes(pem)
    (repo / "notes.txt").write_text(f"token {loose}\nsigning key {hmac_key}\nbearer {signed}\n")
    (root / "registry.json").write_text(json.dumps(_registry(registered)))
    body = b"".join(pem.strip().splitlines()[1:-1])
    found.secrets = [s.encode() for s in (registered, loose, hmac_key, signed, password)]
    found.secrets += [pem, body]
    found.subjects = [subject.encode()]
    with _env(XDG_CONFIG_HOME=str(root / "xdg")):
        git(repo, "init", "-q")
        git(repo, "add", ".")
        git(repo, "commit", "-q", "-m", "add settings")
        yield found


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder))
    return folder


class _env:
    """Environment changes for a module-scoped fixture (monkeypatch is per test)."""

    def __init__(self, **values: str) -> None:
        self.patch = pytest.MonkeyPatch()
        self.values = values

    def __enter__(self) -> None:
        for name, value in self.values.items():
            self.patch.setenv(name, value)

    def __exit__(self, *exc: object) -> None:
        self.patch.undo()


def _registry(registered: str) -> dict[str, Any]:
    return {
        "schema": "keysweep/key-registry/v1",
        "registry": {
            "name": "hash test",
            "secret_hash": {"alg": "scrypt", "salt": SALT, "n": 1024, "r": 8, "p": 1},
        },
        "people": [],
        "keys": [
            {
                "id": "api-token-2020",
                "kind": "symmetric",
                "algorithm": "HS256",
                "state": "compromised",
                "fingerprints": {"secret_hash": _scrypt(registered.encode())},
            }
        ],
    }


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def scan_args(planted: Planted, *extra: str) -> list[str]:
    rules = ["--rules", str(planted.root / "rules.yaml")]
    registry = ["--registry", str(planted.root / "registry.json")]
    return ["scan", str(planted.repo), *rules, *registry, "-j", "1", *extra]


# --- what a guesser would compute -------------------------------------------------


def guessed_forms(secret: bytes) -> set[str]:
    """SHA-1, SHA-256, SHA-512 of the secret and of each 8-character window: hex,
    base64 and base64url, whole and as prefixes (ids and labels shorten hashes)."""
    pieces = {secret} | {secret[i : i + WINDOW] for i in range(len(secret) - WINDOW + 1)}
    forms: set[str] = set()
    for piece in pieces:
        for algorithm in ("sha1", "sha256", "sha512"):
            digest = hashlib.new(algorithm, piece).digest()
            hexed = digest.hex()
            b64 = base64.b64encode(digest).decode().rstrip("=")
            url = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            forms |= {hexed, hexed[:12], b64, b64[:12], url, url[:12]}
    return forms


@pytest.fixture(scope="module")
def forbidden(planted: Planted) -> set[str]:
    forms: set[str] = set()
    for value in planted.secrets + planted.subjects:
        forms |= guessed_forms(value)
    return forms


def assert_nothing_guessable(text: str, forbidden: set[str], what: str) -> None:
    lowered = text.lower()
    leaked = sorted(f for f in forbidden if f in text or f.lower() in lowered)
    assert not leaked, f"{what}: {len(leaked)} guessable hashes, e.g. {leaked[:3]}"


# --- the outputs ------------------------------------------------------------------


@pytest.fixture(scope="module")
def outputs(planted: Planted) -> dict[str, str]:
    """Every output keysweep makes of the planted repository."""
    out: dict[str, str] = {}
    work = planted.root / "out"
    work.mkdir()
    with _env(XDG_CONFIG_HOME=str(planted.root / "xdg")):
        for fmt in ("text", "json", "jsonl", "sarif"):
            code, text, err = run(*scan_args(planted, "--format", fmt))
            assert code == 1, err
            out[f"scan --format {fmt}"] = text
        code, text, err = run(
            *scan_args(planted, "--format", "json"), env={"KEYSWEEP_HASH_KEY": ORG_KEY}
        )
        assert code == 1, err
        out["scan with the org key"] = text
        (work / "scan.json").write_text(text)
        code, text, err = run("git", str(planted.repo), "--format", "json",
                              "--rules", str(planted.root / "rules.yaml"), "-j", "1")  # fmt: skip
        assert code == 1, err
        out["git scan"] = text
        baseline = work / "baseline.json"
        code, _, err = run("baseline", "create", str(planted.repo), "-o", str(baseline),
                           "--rules", str(planted.root / "rules.yaml"), "-j", "1")  # fmt: skip
        assert code == 0, err
        out["baseline"] = baseline.read_text()
        sweep = work / "sweep.json"
        code, _, err = run("sweep", str(planted.repo), "--no-progress", "-o", str(sweep),
                           "--rules", str(planted.root / "rules.yaml"),
                           "--registry", str(planted.root / "registry.json"))  # fmt: skip
        assert code == 1, err
        out["sweep"] = sweep.read_text()
        out.update(_inventory(work, [sweep, work / "scan.json"]))
    return out


def _inventory(work: Path, reports: list[Path]) -> dict[str, str]:
    db = work / "inventory.db"
    for report in reports:
        code, _, err = run("inventory", "ingest", str(report), "--db", f"sqlite:///{db}",
                           "--host", "ci-runner")  # fmt: skip
        assert code == 0, err
    with sqlite3.connect(db) as connection:
        dump = "\n".join(connection.iterdump())
    return {"inventory dump": dump, "inventory file": db.read_bytes().decode("latin-1")}


OUTPUTS = (
    "scan --format text", "scan --format json", "scan --format jsonl", "scan --format sarif",
    "scan with the org key", "git scan", "baseline", "sweep", "inventory dump", "inventory file",
)  # fmt: skip


@pytest.mark.parametrize("what", OUTPUTS)
def test_no_output_holds_a_guessable_hash(
    outputs: dict[str, str], forbidden: set[str], what: str
) -> None:
    assert outputs[what]
    assert_nothing_guessable(outputs[what], forbidden, what)


def test_the_outputs_found_every_planted_secret(outputs: dict[str, str]) -> None:
    """The check above means something only if the secrets were found."""
    report = json.loads(outputs["scan --format json"])
    rules = {f["rule"] for f in report["findings"]}
    assert {"test.kswtest-token", "test.short-password", "token.jwt"} <= rules
    assert any(f["key"] for f in report["findings"])
    assert any((f["registry"] or {}).get("key_id") == "api-token-2020" for f in report["findings"])
    dump = outputs["inventory dump"]
    assert "secret_keyed_hash" in dump and "api-token-2020" in dump


def test_the_report_says_which_key_made_its_hashes(outputs: dict[str, str]) -> None:
    installation = json.loads(outputs["scan --format json"])["summary"]["secret_hash"]
    org = json.loads(outputs["scan with the org key"])["summary"]["secret_hash"]
    swept = json.loads(outputs["sweep"])["summary"]["secret_hash"]
    assert (installation["scheme"], installation["key"]) == ("hmac-sha256", "installation")
    assert (org["scheme"], org["key"]) == ("hmac-sha256", "environment")
    assert (swept["scheme"], swept["key"]) == ("scrypt", "none")
    assert installation["key_id"] != org["key_id"]
    assert ORG_KEY not in outputs["scan with the org key"]


def test_the_preview_shows_at_most_a_fifth_and_four_characters(outputs: dict[str, str]) -> None:
    for finding in json.loads(outputs["scan --format json"])["findings"]:
        preview = finding["secret"]["preview"].removesuffix("…")
        if preview.startswith("-----BEGIN"):
            continue
        assert len(preview) <= min(4, finding["secret"]["length"] // 5), finding["rule"]
    short = [
        f for f in json.loads(outputs["scan --format json"])["findings"]
        if f["rule"] == "test.short-password"
    ]  # fmt: skip
    assert [f["secret"]["preview"] for f in short] == ["Wi…"]


# --- which key, and what it allows --------------------------------------------------


def _ids(planted: Planted, env: dict[str, str]) -> set[str]:
    code, text, err = run(*scan_args(planted, "--format", "json"), env=env)
    assert code == 1, err
    return {f["id"] for f in json.loads(text)["findings"]}


def test_the_org_key_makes_the_same_ids_on_every_machine(planted: Planted, tmp_path: Path) -> None:
    first = {"XDG_CONFIG_HOME": str(tmp_path / "one"), "KEYSWEEP_HASH_KEY": ORG_KEY}
    second = {"XDG_CONFIG_HOME": str(tmp_path / "two"), "KEYSWEEP_HASH_KEY": ORG_KEY}
    assert _ids(planted, first) == _ids(planted, second)


def test_an_installation_key_matches_only_on_its_own_machine(
    planted: Planted, tmp_path: Path
) -> None:
    one, two = (
        {"XDG_CONFIG_HOME": str(tmp_path / "one")},
        {"XDG_CONFIG_HOME": str(tmp_path / "two")},
    )
    assert _ids(planted, one) == _ids(planted, one)
    assert not _ids(planted, one) & _ids(planted, two)
    key_file = tmp_path / "one" / "keysweep" / "hash-key"
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_the_config_can_name_the_org_key_file(planted: Planted, tmp_path: Path) -> None:
    (tmp_path / "org.key").write_text(ORG_KEY + "\n")
    config = tmp_path / "keysweep.yaml"
    config.write_text("hash_key_file: org.key\n")
    code, text, err = run(*scan_args(planted, "--format", "json", "--config", str(config)))
    assert code == 1, err
    from_file = {f["id"] for f in json.loads(text)["findings"]}
    assert from_file == _ids(planted, {"KEYSWEEP_HASH_KEY": ORG_KEY})


@pytest.mark.parametrize(
    ("content", "problem"),
    [(None, "cannot read the hash key"), ("short", "the hash key must be at least 16 bytes")],
)
def test_a_bad_org_key_file_is_a_one_line_error(
    planted: Planted, tmp_path: Path, content: str | None, problem: str
) -> None:
    if content is not None:
        (tmp_path / "org.key").write_text(content)
    config = tmp_path / "keysweep.yaml"
    config.write_text("hash_key_file: org.key\n")
    code, _, err = run(*scan_args(planted, "--config", str(config)))
    assert code == 2
    [line] = err.strip().splitlines()
    assert "org.key" in line and problem in line


def test_a_baseline_made_with_another_key_is_a_one_line_error(
    planted: Planted, tmp_path: Path
) -> None:
    baseline = tmp_path / "baseline.json"
    rules = ("--rules", str(planted.root / "rules.yaml"), "-j", "1")
    org = {"KEYSWEEP_HASH_KEY": ORG_KEY}
    code, _, err = run(
        "baseline", "create", str(planted.repo), "-o", str(baseline), *rules, env=org
    )
    assert code == 0, err
    code, text, err = run(*scan_args(planted, "--format", "json", "--baseline", str(baseline)),
                          env=org)  # fmt: skip
    assert code == 1, err  # the registry's compromised token is never baselined
    assert {f["rule"] for f in json.loads(text)["findings"]} == {"test.kswtest-token"}
    code, _, err = run(*scan_args(planted, "--baseline", str(baseline)))
    assert code == 2
    [line] = err.strip().splitlines()
    assert "baseline.json" in line and "another secret-hash key" in line


def test_the_sweep_writes_no_key_and_hashes_with_scrypt(planted: Planted, xdg: Path) -> None:
    code, text, err = run("sweep", str(planted.repo), "--no-progress",
                          "--rules", str(planted.root / "rules.yaml"))  # fmt: skip
    assert code == 1, err
    assert not xdg.exists()
    assert json.loads(text)["summary"]["secret_hash"]["scheme"] == "scrypt"
    assert "KEYSWEEP_HASH_FALLBACK" not in os.environ


def test_a_detect_secrets_import_copies_no_sha1(planted: Planted, tmp_path: Path) -> None:
    secret = planted.secrets[1]
    sha1 = hashlib.sha1(secret).hexdigest()
    source = tmp_path / ".secrets.baseline"
    entry = {"type": "Secret Keyword", "filename": "notes.txt", "hashed_secret": sha1,
             "line_number": 1, "is_secret": False}  # fmt: skip
    source.write_text(json.dumps({"version": "1.5.0", "results": {"notes.txt": [entry]}}))
    converted = tmp_path / "keysweep-baseline.json"
    code, _, err = run("baseline", "import", str(source), "-o", str(converted))
    assert code == 0, err
    document = json.loads(converted.read_text())
    assert sha1 not in converted.read_text()
    assert document["imported_from"] == ".secrets.baseline"
    argv = scan_args(planted, "--format", "json", "--baseline", str(converted), "--no-git-history")
    code, text, err = run(*argv)
    assert code == 1, err
    paths = {(f["path"], f["rule"]) for f in json.loads(text)["findings"]}
    assert ("notes.txt", "test.kswtest-token") in paths  # the other token on that file
    assert json.loads(text)["summary"]["suppressed"]["baseline"] == 1


def test_an_old_report_with_plain_hashes_leaves_none_in_the_inventory(tmp_path: Path) -> None:
    secret = token().encode()
    plain = hashlib.sha256(secret).hexdigest()
    old_id = hashlib.sha256(f"test.kswtest-token\x00conf.env\x00{plain}\x00".encode()).hexdigest()
    finding = {
        "id": old_id[:40],
        "rule": "test.kswtest-token",
        "severity": "critical",
        "path": "conf.env",
        "secret": {"preview": "ksw…", "sha256": plain, "length": len(secret)},
        "key": {},
        "registry": {"verdict": "retired-key-present", "key_id": "api-token-2020"},
    }
    meta = {"kind": "sweep", "host": "old-laptop", "time": "2026-01-01T00:00:00+00:00"}
    report = tmp_path / "old.json"
    report.write_text(json.dumps({"version": 1, "findings": [finding], "summary": {"meta": meta}}))
    db = tmp_path / "inventory.db"
    code, _, err = run("inventory", "ingest", str(report), "--db", f"sqlite:///{db}")
    assert code == 0, err
    with sqlite3.connect(db) as connection:
        dump = "\n".join(connection.iterdump())
    assert "api-token-2020" in dump
    assert plain not in dump and old_id[:40] not in dump
