"""`keysweep registry hash-secret`: the `secret_hash` a registry entry needs, from a
prompt or standard input, equal to what a scan computes for the found secret."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from compat.support import keysweep
from support import password

REGISTRY = {
    "schema": "keysweep/key-registry/v1",
    "registry": {
        "name": "test",
        "secret_hash": {"alg": "scrypt", "salt": "tests:compat:v1", "n": 1024, "r": 8, "p": 1},
    },
    "keys": [],
}


def _registry(tmp_path: Path, digest: str | None = None) -> Path:
    document = json.loads(json.dumps(REGISTRY))
    if digest:
        entry = {"id": "hmac-old", "kind": "symmetric", "state": "compromised"}
        document["keys"].append({**entry, "fingerprints": {"secret_hash": digest}})
    path = tmp_path / "registry.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_stdin_and_prompt_agree_and_a_scan_finds_the_entry(tmp_path: Path) -> None:
    secret = password(32)  # kept by the credential rules on every run (support.password)
    registry = _registry(tmp_path)
    piped = keysweep("registry", "hash-secret", str(registry), input=f"{secret}\n")
    assert piped.exit_code == 0, piped.output
    digest = piped.stdout.strip()
    asked = keysweep(
        "registry", "hash-secret", str(registry), "--prompt", input=f"{secret}\n{secret}\n"
    )
    assert asked.exit_code == 0 and asked.stdout.strip().endswith(digest)
    assert secret not in piped.output + asked.output
    registry = _registry(tmp_path, digest)
    again = keysweep("registry", "hash-secret", str(registry), input=secret)
    assert "already listed as hmac-old" in again.stderr
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "settings.py").write_text(f'SIGNING_SECRET = "{secret}"\n')
    result = keysweep(
        "scan", str(tmp_path / "app"), "--registry", str(registry), "--format", "json"
    )
    hits = [f["registry"] for f in json.loads(result.stdout)["findings"] if f["registry"]]
    assert [h["key_id"] for h in hits] == ["hmac-old"]


def test_the_secret_is_never_an_argument(tmp_path: Path) -> None:
    result = keysweep("registry", "hash-secret", str(_registry(tmp_path)), "s3cret-value")
    assert result.exit_code == 2


def test_a_registry_without_hash_settings_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bare.yaml"
    path.write_text(yaml.safe_dump({"schema": "keysweep/key-registry/v1", "keys": []}))
    result = keysweep("registry", "hash-secret", str(path), input="x\n")
    assert result.exit_code == 2
    assert "no registry.secret_hash" in result.stderr
