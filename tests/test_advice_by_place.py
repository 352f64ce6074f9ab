"""Advice and severity that fit where a secret was found, through the real CLI.

A fake home folder holds registered keys in every state (active in its allowed
place, suspended, active with a departed owner, deactivated) and an AWS
credentials file; the same key is also committed to a repository, left in git
history only, and staged. Keys are generated at test time.
"""

from __future__ import annotations

import json
import secrets
import string
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from support import aws_secret, git

from scanner.cli import cli
from scanner.report.text import CRITICAL_HEADING

REPOSITORY_ADVICE = "remove it from the repository"


def new_key() -> tuple[bytes, str]:
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    import hashlib

    return pem, hashlib.sha256(der).hexdigest()


def entry(key_id: str, spki: str, state: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": key_id,
        "kind": "asymmetric",
        "state": state,
        "fingerprints": {"spki_sha256": spki},
        **extra,
    }


class Place:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.registry = root / "registry.json"
        self.allowed_pem = b""

    def put(self, rel: str, data: bytes) -> None:
        path = self.home / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(0o600)


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Place:
    where = Place(tmp_path_factory.mktemp("advice"))
    keys: list[dict[str, Any]] = []
    for name, state, extra in (
        ("id_allowed", "active", {"custody": {"allowed_locations": ["~/.ssh/id_allowed"]}}),
        ("id_suspended", "suspended", {"dates": {"suspended": "2025-01-10"}}),
        ("id_departed", "active", {"owner": {"person": "emp-1042"}}),
        ("id_retired", "deactivated", {"dates": {"deactivated": "2024-06-30"}}),
    ):
        pem, spki = new_key()
        where.put(f".ssh/{name}", pem)
        keys.append(entry(f"key-{name}", spki, state, **extra))
        if name == "id_allowed":
            where.allowed_pem = pem
            where.put("Downloads/id_allowed", pem)
    alphabet = string.ascii_uppercase + string.digits
    key_id = "AKIA" + "".join(secrets.choice(alphabet) for _ in range(16))
    secret = aws_secret()
    where.put(
        ".aws/credentials",
        f"[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n".encode(),
    )
    people = [{"id": "emp-1042", "status": "departed", "departed_on": "2024-11-15"}]
    registry = {"schema": "keysweep/key-registry/v1", "people": people, "keys": keys}
    where.registry.write_text(json.dumps(registry))
    return where


def run(place: Place, *args: str) -> tuple[int, str, str]:
    env = {"HOME": str(place.home), "USERPROFILE": str(place.home)}
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def sweep(place: Place, *args: str) -> tuple[int, str, str]:
    return run(place, "sweep", "--no-progress", "-j", "1", "--registry", str(place.registry), *args)


def by_path(report: dict[str, Any], path: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["path"] == path]


@pytest.fixture(scope="module")
def swept(place: Place) -> dict[str, Any]:
    code, text, err = sweep(place)
    assert code == 1, err
    report: dict[str, Any] = json.loads(text)
    return report


@pytest.fixture(scope="module")
def swept_text(place: Place) -> str:
    code, text, err = sweep(place, "--format", "text")
    assert code == 1, err
    return text


def block_of(text: str, path: str) -> str:
    """The text report's lines about one file (its finding lines and details)."""
    lines = text.splitlines()
    out: list[str] = []
    for n, line in enumerate(lines):
        if f"  {path}:" in line or f"  {path}  " in line:
            out.append(line)
            for detail in lines[n + 1 :]:
                if not detail.startswith("    "):
                    break
                out.append(detail)
    return "\n".join(out)


def test_an_active_key_in_its_allowed_place_is_informational(swept: dict[str, Any]) -> None:
    [found] = by_path(swept, "~/.ssh/id_allowed")
    assert found["severity"] == "info"
    assert found["source"] == "workstation"
    assert found["registry"]["verdict"] == "active-key-present"
    assert "allowed location" in found["registry"]["reason"]


def test_a_suspended_key_is_not_told_it_is_retired(swept: dict[str, Any], swept_text: str) -> None:
    [found] = by_path(swept, "~/.ssh/id_suspended")
    assert (found["severity"], found["registry"]["verdict"]) == ("high", "suspended-key-present")
    advice = block_of(swept_text, "~/.ssh/id_suspended")
    assert "fix: the key is suspended: move this copy into custody" in advice
    assert "retired" not in advice


def test_the_critical_block_holds_only_retired_keys(swept_text: str) -> None:
    critical = swept_text.split("\n\n")[0]
    assert critical.startswith(f"{CRITICAL_HEADING} (1)")
    assert "~/.ssh/id_retired" in critical
    for active in ("id_allowed", "id_suspended", "id_departed"):
        assert active not in critical
    departed = block_of(swept_text, "~/.ssh/id_departed")
    assert "CRITICAL" in departed and "its owner has left: reassign the key" in departed


def test_workstation_files_get_workstation_advice(swept_text: str) -> None:
    advice = block_of(swept_text, "~/.aws/credentials")
    assert "fix: move it into a credential helper, keychain or secret manager" in advice
    assert REPOSITORY_ADVICE not in advice
    assert "fix: registered and in an allowed location: nothing to do" in block_of(
        swept_text, "~/.ssh/id_allowed"
    )
    assert "fix: destroy this copy (delete this file copy): the key is deactivated" in block_of(
        swept_text, "~/.ssh/id_retired"
    )


def test_a_copy_outside_the_allowed_places_is_told_to_go(
    swept: dict[str, Any], swept_text: str
) -> None:
    [found] = by_path(swept, "~/Downloads/id_allowed")
    assert (found["severity"], found["registry"]["verdict"]) == (
        "high",
        "active-key-outside-custody",
    )
    advice = block_of(swept_text, "~/Downloads/id_allowed")
    assert "fix: it may live only in the places its registry entry allows: delete this" in advice


def test_info_passes_the_default_gate_and_fails_fail_on_info(place: Place) -> None:
    only = (
        "--home",
        "--exclude",
        ".aws/",
        "--exclude",
        ".ssh/id_[dsr]*",
        "--exclude",
        "Downloads/",
    )
    code, text, err = sweep(place, *only[1:])
    assert code == 0, err
    assert {f["severity"] for f in json.loads(text)["findings"]} == {"info"}
    code, text, err = sweep(place, *only[1:], "--fail-on", "info")
    assert code == 1, err
    code, text, err = sweep(place, *only[1:], "--format", "sarif")
    assert code == 0, err
    [result] = json.loads(text)["runs"][0]["results"]
    assert result["level"] == "note"
    code, text, err = sweep(place, *only[1:], "--format", "text")
    assert code == 0, err
    assert "  INFO  " in text and "0 info" not in text and "1 info" in text


def test_the_same_key_in_a_repository_is_high_with_repository_advice(
    place: Place, make_repo: Any
) -> None:
    repo = make_repo()
    (repo / "deploy").mkdir()
    (repo / "deploy" / "id_allowed").write_bytes(place.allowed_pem)
    code, text, err = run(place, "scan", str(repo), "--registry", str(place.registry),
                          "--format", "text", "-j", "1")  # fmt: skip
    assert code == 1, err
    assert "HIGH" in text
    assert f"{REPOSITORY_ADVICE} and history, keep the allowed copy" in text
    assert "nothing to do" not in text


def test_git_history_and_staged_copies_get_their_own_advice(place: Place, make_repo: Any) -> None:
    repo = make_repo()
    (repo / "id_allowed").write_bytes(place.allowed_pem)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "add a key")
    git(repo, "rm", "-q", "id_allowed")
    git(repo, "commit", "-q", "-m", "remove it")
    code, text, err = run(place, "git", str(repo), "--format", "text", "-j", "1")
    assert code == 1, err
    assert "fix: it is in history only: rotate it, then rewrite the history" in text
    (repo / "key.pem").write_bytes(place.allowed_pem)
    git(repo, "add", "key.pem")
    code, text, err = run(place, "git", str(repo), "--staged", "--format", "text", "-j", "1")
    assert code == 1, err
    assert "fix: take it out of the commit (it is not in history yet)" in text
