"""End to end: `keysweep scan --registry` on a tree with a retired key and forged tokens.

Token and credential rules are written here (test rules), so the test depends only
on the pipeline, key analysis and the registry.
"""

from __future__ import annotations

import base64
import json
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import jwt
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization

from scanner.cli import cli

RULES = """\
rules:
  - id: test.jwt
    name: JSON Web Token (test rule)
    kind: token
    severity: medium
    keywords: ["eyJ"]
    pattern: '(?P<secret>eyJ[A-Za-z0-9_-]{10,}\\.eyJ[A-Za-z0-9_-]{2,}\\.[A-Za-z0-9_-]*)'
    examples: ["eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."]
    negative_examples: ["eyJ"]
  - id: test.signing-secret
    name: Signing secret (test rule)
    kind: credential
    severity: medium
    keywords: ["SIGNING_SECRET"]
    pattern: 'SIGNING_SECRET="(?P<secret>[^"]{16,64})"'
    examples: ['SIGNING_SECRET="0123456789abcdef0123"']
    negative_examples: ['SIGNING_SECRET=""']
"""
SECRET = b"legacy-hs256-signing-secret-2019-xyz"


def unsigned() -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part({'sub': 'admin'})}."


def test_retired_key_and_forged_tokens_are_critical(
    tmp_path: Path, write_registry: Callable[..., Path], kit: ModuleType, rsa_key: Any
) -> None:
    people = [{"id": "emp-1042", "status": "departed", "departed_on": "2024-11-15"}]
    keys = [
        {
            "id": "key-auth-2019",
            "kind": "asymmetric",
            "algorithm": "RS256",
            "state": "deactivated",
            "dates": {"deactivated": "2024-06-30"},
            "owner": {"person": "emp-1042"},
            "fingerprints": {"spki_sha256": kit.spki_hex(rsa_key)},
            "aliases": {"jwk_kid": ["2019-signer"]},
        },
        {
            "id": "secret-legacy-hs256",
            "kind": "symmetric",
            "algorithm": "HS256",
            "state": "compromised",
            "fingerprints": {"secret_hash": kit.scrypt_hex(SECRET)},
        },
    ]
    registry = write_registry(keys, people)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "id_rsa").write_bytes(
        rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    claims = {"sub": "admin", "iat": 1561939200}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tokens = [
            jwt.encode(claims, rsa_key, algorithm="RS256", headers={"kid": kid} if kid else None)
            for kid in ("2019-signer", "2024-signer", None)
        ] + [unsigned(), jwt.encode(claims, SECRET, algorithm="HS256")]
    (tree / "tokens.log").write_text("".join(f"line {i} token={t}\n" for i, t in enumerate(tokens)))
    (tree / "settings.py").write_text(f'SIGNING_SECRET="{SECRET.decode()}"\n')
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)

    result = CliRunner().invoke(
        cli,
        ["scan", str(tree), "--registry", str(registry), "--rules", str(rules), "--format", "json"],
    )
    assert result.exit_code == 1, result.output
    findings = json.loads(result.stdout)["findings"]
    verdicts = sorted((f["path"], f["line"], f["registry"]["verdict"]) for f in findings)
    assert ("id_rsa", 1, "retired-key-present") in verdicts
    assert ("settings.py", 1, "retired-key-present") in verdicts
    token_verdicts = [v for p, _, v in verdicts if p == "tokens.log"]
    assert token_verdicts == ["token-signed-by-retired-key"] * 3 + [
        "token-alg-none",
        "token-signed-by-retired-key",
    ]
    assert all(f["severity"] == "critical" for f in findings)
    text = result.stdout
    assert not any(str(t) in text for t in tokens)
    assert SECRET.decode() not in text
