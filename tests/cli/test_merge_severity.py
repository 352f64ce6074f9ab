"""A key rule that names a cluster of matches on the same bytes must not take a
token's severity down with it: key analysis (unparsable material, identity
unknown) lowers what the key rule said about the key, never what a token or
credential rule said about the value it found inside the armour."""

from __future__ import annotations

import base64
import json
import secrets
import string
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from scanner.cli import cli

ALNUM = string.ascii_letters + string.digits


def _reference_token() -> str:
    """A fresh Artifactory reference token (its alphabet fits in a PEM body)."""
    return "cmVmdGtuOjAxOj" + "".join(secrets.choice(ALNUM) for _ in range(50))


def _armoured(inner: str | None) -> str:
    """PKCS#1 armour around random base64 that is no key, with `inner` as a line."""
    body = base64.b64encode(secrets.token_bytes(96)).decode()
    lines = [body[:64], *([inner] if inner else []), body[64:]]
    return (
        "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----\n"
    )


def _scan(folder: Path, *options: str) -> tuple[int, list[dict[str, Any]]]:
    result = CliRunner().invoke(cli, ["scan", str(folder), "--format", "json", *options])
    return result.exit_code, json.loads(result.stdout)["findings"]


def test_token_inside_unparsable_key_armour_stays_high(tmp_path: Path) -> None:
    (tmp_path / "deploy.pem").write_text(_armoured(_reference_token()))
    code, findings = _scan(tmp_path)
    assert [(f["rule"], f["severity"]) for f in findings] == [("key.rsa-pkcs1", "high")]
    assert "unparsable key material" in findings[0]["message"]
    assert code == 1


@pytest.mark.parametrize("detectors", [(), ("--detector", "rules", "--detector", "detect-secrets")])
def test_unparsable_key_armour_alone_is_still_low(
    tmp_path: Path, detectors: tuple[str, ...]
) -> None:
    """Also with detect-secrets, whose entropy plugins any line of base64 sets off."""
    (tmp_path / "deploy.pem").write_text(_armoured(None))
    code, findings = _scan(tmp_path, *detectors)
    assert [(f["rule"], f["severity"]) for f in findings] == [("key.rsa-pkcs1", "low")]
    assert code == 0


def test_real_key_keeps_its_rule_severity(tmp_path: Path, rsa_pem: bytes) -> None:
    (tmp_path / "deploy.pem").write_bytes(rsa_pem)
    code, findings = _scan(tmp_path)
    assert [(f["rule"], f["severity"]) for f in findings] == [("key.rsa-pkcs1", "high")]
    assert code == 1


def test_a_key_that_parsed_is_judged_as_a_key_alone() -> None:
    """The floor serves armour that holds no key: a key that parsed (here one the
    registry holds as active in its place, INFO) is not raised by a token rule
    that happened to match inside its base64."""
    from scanner.findings import _severity
    from scanner.model import KeyInfo, Match, RegistryVerdict, RuleKind, Severity, Verdict

    match = Match(
        rule_id="keys.rsa-private-key",
        rule_name="RSA private key",
        kind=RuleKind.PRIVATE_KEY,
        severity=Severity.HIGH,
        detector="rules",
        start=0,
        end=100,
        line=1,
        column=1,
        end_line=9,
        secret=b"",
        floor=Severity.HIGH,
    )
    parsed = KeyInfo(format="pkcs1-pem", algorithm="RSA", bits=2048)
    active = RegistryVerdict(Verdict.ACTIVE_KEY_PRESENT, Severity.INFO)
    assert _severity(match, parsed, active) is Severity.INFO
    unparsed = KeyInfo(format="pkcs1-pem", parsed=False)
    assert _severity(match, unparsed, None) is Severity.HIGH
