"""Class 6: a registry cannot make findings vanish through its hash cost, and an
inventory report dated in the future is refused."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml
from hostile_support import private_key_pem, run
from support import TOKEN_RULE, token


def test_a_registry_with_maximal_scrypt_cost_keeps_every_finding(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    secrets = [token() for _ in range(20)]
    (tree / "app.env").write_text("".join(f"KEY_{i}={s}\n" for i, s in enumerate(secrets)))
    (tmp_path / "rules.yaml").write_text(TOKEN_RULE)
    salt = "registry:hostile"
    params = {"alg": "scrypt", "salt": salt, "n": 131072, "r": 16, "p": 4}  # the schema's maximum
    fake = hashlib.sha256(b"not any of them").hexdigest()
    registry = {
        "schema": "keysweep/key-registry/v1",
        "registry": {"name": "hostile", "secret_hash": params},
        "keys": [
            {
                "id": "sym-1",
                "kind": "symmetric",
                "state": "active",
                "fingerprints": {"secret_hash": fake},
            }
        ],
    }
    (tmp_path / "registry.yaml").write_text(yaml.safe_dump(registry))
    result = run(
        tree,
        "scan",
        ".",
        "--rules",
        str(tmp_path / "rules.yaml"),
        "--registry",
        str(tmp_path / "registry.yaml"),
    )
    result.bounded()
    assert result.cpu < 60  # scrypt at the schema's maximum: CPU, not wall, is the cost
    assert result.code == 1, result.stderr
    assert sorted(f["line"] for f in result.report["findings"]) == list(range(1, 21))


def test_a_report_dated_in_the_future_is_refused(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "id.pem").write_bytes(private_key_pem())
    scanned = run(tree, "scan", ".")
    assert scanned.code == 1
    report = scanned.report
    report["summary"].setdefault("meta", {})["time"] = "2099-01-01T00:00:00+00:00"
    (tmp_path / "future.json").write_text(json.dumps(report))
    db = f"sqlite:///{tmp_path / 'inv.db'}"
    result = run(tree, "inventory", "ingest", str(tmp_path / "future.json"), "--db", db, fmt=False)
    result.bounded()
    assert result.code == 2, result.stderr
    assert "in the future" in result.stderr
    report["summary"]["meta"]["time"] = "2026-01-01T00:00:00+00:00"
    (tmp_path / "past.json").write_text(json.dumps(report))
    past = run(tree, "inventory", "ingest", str(tmp_path / "past.json"), "--db", db, fmt=False)
    assert past.code == 0, past.stderr
