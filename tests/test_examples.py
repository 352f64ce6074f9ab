"""The README's first command: the example workstation against the example registry."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from scanner.cli import cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
ARGS = ["scan", str(EXAMPLES / "workstation"), "--registry", str(EXAMPLES / "registry.yaml")]


def test_the_retired_signing_key_is_the_first_and_critical_finding() -> None:
    result = CliRunner().invoke(cli, ARGS)
    assert result.exit_code == 1, result.stderr
    first = result.stdout.splitlines()[1]
    assert first.split()[:2] == ["CRITICAL", "key.rsa-pkcs1"]
    assert "old-projects/auth-service/keys/signing-2019.pem" in first
    assert "deactivated 2024-06-30, owner emp-1042 departed 2024-11-15" in result.stdout


def test_every_planted_secret_is_found_with_its_verdict() -> None:
    result = CliRunner().invoke(cli, [*ARGS, "--format", "json"])
    report = json.loads(result.stdout)
    found = {(f["path"].split("/dev/", 1)[1], f["rule"]): f for f in report["findings"]}
    verdicts = {k: (f["registry"] or {}).get("verdict") for k, f in found.items()}
    assert verdicts == {
        ("old-projects/auth-service/keys/signing-2019.pem", "key.rsa-pkcs1"): "retired-key-present",
        ("old-projects/auth-service/logs/access.log", "token.jwt"): "token-signed-by-retired-key",
        ("projects/webapp/settings.py", "python.hardcoded-secret-key"): "retired-key-present",
        ("Downloads/payments-signing.p12", "keyfile.pkcs12"): "active-key-outside-custody",
        (".ssh/id_ed25519", "key.openssh"): "active-key-present",
        ("projects/webapp/deploy/webhook-signing.pem", "key.pkcs8"): "unregistered-key",
        ("Downloads/handover.zip", "key.ec-sec1"): "unregistered-key",
        ("Documents/backup/server.key", "key.pkcs8-encrypted"): "encrypted-key-identity-unknown",
        (".config/gh/hosts.yml", "vcs.github-oauth-token"): None,
        (".npmrc", "pkg.npm-token"): None,
        ("projects/webapp/.env", "cloud.aws-secret-access-key"): None,
        ("projects/webapp/.env", "saas.stripe-secret-key"): None,
        ("projects/webapp/.env", "db.postgres-url"): None,
    }
    tokens = [f for f in report["findings"] if f["rule"] == "token.jwt"]
    assert len(tokens) == 2 and {t["severity"] for t in tokens} == {"critical"}
    assert {t["token"]["header"].get("kid") for t in tokens} == {"2019-signer", "2024-signer"}
    zipped = found[("Downloads/handover.zip", "key.ec-sec1")]
    assert zipped["archive_member"] == "infra/ci-deploy.pem"
    aws = found[("projects/webapp/.env", "cloud.aws-secret-access-key")]
    assert aws["facts"]["parts"] == "access-key-id+secret-access-key"
    assert len(aws["facts"]["account_id"]) == 12
    p12 = found[("Downloads/payments-signing.p12", "keyfile.pkcs12")]
    assert p12["key"]["weak_passphrase"] is True
