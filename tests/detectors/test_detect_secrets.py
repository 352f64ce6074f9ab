"""detect-secrets as an engine: real files in, keysweep matches out, no network,
and its global settings untouched afterwards (these tests pass in any order)."""

from __future__ import annotations

import base64
import json
import os
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import cli
from scanner.config import Config
from scanner.detectors import DETECTORS, Detector
from scanner.detectors.detect_secrets import DetectSecretsDetector, rule_id
from scanner.model import Match, Origin, RuleKind, Severity

AWS_ID = "AKIA" + "QYLPMN5HHHFPZAM2"
SLACK = "xoxb-" + "123456789012-1234567890123-" + "AbCdEfGhIjKlMnOpQrStUvWx"
GITHUB = "ghp_" + "wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx"
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"


def _random_b64(n: int = 30) -> str:
    """Random base64, well above detect-secrets' 4.5-bit entropy limit (about 2% of
    40-character random strings fall below it, which would make tests flaky)."""
    from scanner.text import shannon_entropy

    while True:
        blob = base64.b64encode(os.urandom(n)).decode()
        if shannon_entropy(blob) >= 4.8:
            return blob


@pytest.fixture
def detector() -> DetectSecretsDetector:
    return DetectSecretsDetector(Config(), ())


@pytest.fixture
def config_file(tmp_path: Path) -> tuple[Path, str]:
    """A real settings module with several kinds of secret, written to disk."""
    entropy = _random_b64()
    text = (
        "import os\n"
        f'AWS_ACCESS_KEY_ID = "{AWS_ID}"\n'
        f'SLACK_BOT = "{SLACK}"\n'
        f'GITHUB = "{GITHUB}"\n'
        f'stripe.api_key = "{STRIPE}"\n'
        f'blob = "{entropy}"\n'
        'uuid = "3fa85f64-5717-4562-b3fc-2c963f66afa6"\n'
        'password = os.environ["PASSWORD"]\n'
        f'allowed = "{_random_b64()}"  # pragma: allowlist secret\n'
    )
    path = tmp_path / "settings.py"
    path.write_text(text)
    return path, entropy


def _detect(detector: DetectSecretsDetector, path: Path) -> list[Match]:
    found = detector.detect(Origin(path.name, fs_path=str(path)), path.read_bytes())
    return [m for m in found if isinstance(m, Match)]


def test_plugins_find_tokens_in_a_real_file(
    detector: DetectSecretsDetector, config_file: tuple[Path, str]
) -> None:
    path, entropy = config_file
    matches = _detect(detector, path)
    by_rule = {(m.rule_id, m.secret) for m in matches}
    assert ("detect-secrets.aws-access-key", AWS_ID.encode()) in by_rule
    assert ("detect-secrets.slack-token", SLACK.encode()) in by_rule
    assert ("detect-secrets.github-token", GITHUB.encode()) in by_rule
    assert ("detect-secrets.stripe-access-key", STRIPE.encode()) in by_rule
    assert ("detect-secrets.base64-high-entropy-string", entropy.encode()) in by_rule
    lines = {m.line for m in matches}
    assert 7 not in lines, "UUID filtered by its heuristic"
    assert 8 not in lines, "an environment lookup is not a secret"
    assert 9 not in lines, "pragma: allowlist secret honoured"


def test_positions_and_fields(
    detector: DetectSecretsDetector, config_file: tuple[Path, str]
) -> None:
    path, _ = config_file
    data = path.read_bytes()
    for match in _detect(detector, path):
        assert data[match.start : match.end] == match.secret
        assert match.detector == "detect-secrets"
        assert match.line == match.end_line
        line = data.split(b"\n")[match.line - 1].decode()
        assert line[match.column - 1 :].startswith(match.secret.decode())
    aws = next(m for m in _detect(detector, path) if m.rule_id.endswith("aws-access-key"))
    assert (aws.line, aws.column, aws.kind, aws.severity) == (
        2,
        22,
        RuleKind.TOKEN,
        Severity.MEDIUM,
    )


def test_rule_ids_are_kebab_case_secret_types() -> None:
    assert rule_id("Base64 High Entropy String") == "detect-secrets.base64-high-entropy-string"
    assert rule_id("Public IP (ipv4)") == "detect-secrets.public-ip-ipv4"
    assert rule_id("JSON Web Token") == "detect-secrets.json-web-token"


def test_keyword_plugin_and_non_utf8_lines(detector: DetectSecretsDetector, tmp_path: Path) -> None:
    path = tmp_path / "app.cfg"
    path.write_bytes(b"name = caf\xe9\npassword = Zq8!vR2#pLx9\n")
    matches = _detect(detector, path)
    keyword = [m for m in matches if m.rule_id == "detect-secrets.secret-keyword"]
    assert [(m.line, m.secret) for m in keyword] == [(2, b"Zq8!vR2#pLx9")]
    assert keyword[0].kind is RuleKind.CREDENTIAL


def test_very_long_lines_are_not_scanned(detector: DetectSecretsDetector, tmp_path: Path) -> None:
    path = tmp_path / "bundle.min.js"
    path.write_text("var a='" + "x" * 10_000 + f"{AWS_ID}';\n" + f'k="{AWS_ID}"\n')
    assert [m.line for m in _detect(detector, path)] == [2]


def test_no_network_call_is_ever_made(
    detector: DetectSecretsDetector,
    config_file: tuple[Path, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise AssertionError(f"network connection attempted to {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    path, _ = config_file
    assert _detect(detector, path)
    assert attempts == []


def test_global_settings_are_restored(
    detector: DetectSecretsDetector, config_file: tuple[Path, str]
) -> None:
    from detect_secrets.settings import get_settings

    before = json.dumps(get_settings().json(), sort_keys=True)
    path, _ = config_file
    _detect(detector, path)
    assert json.dumps(get_settings().json(), sort_keys=True) == before
    assert "detect_secrets.filters.common.is_invalid_file" in get_settings().filters


def test_a_leaked_verification_setting_would_not_survive(
    detector: DetectSecretsDetector, config_file: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even when the process-wide settings ask for verification (the CLI default),
    the adapter's own settings leave it out."""
    from detect_secrets.settings import get_settings

    verify = "detect_secrets.filters.common.is_ignored_due_to_verification_policies"
    monkeypatch.setitem(get_settings().filters, verify, {"min_level": 2})
    monkeypatch.setattr(socket.socket, "connect", _refuse)
    path, _ = config_file
    assert _detect(detector, path)
    assert verify in get_settings().filters


def _refuse(self: socket.socket, address: object) -> None:
    raise AssertionError("network connection attempted")


def test_registered_as_a_detector() -> None:
    detector: Detector = DETECTORS["detect-secrets"](Config(), ())
    assert detector.name == "detect-secrets"
    assert not detector.wants(Origin("a.bin"), b"\x00\x01binary")


def test_cli_runs_detect_secrets_as_the_only_detector(tmp_path: Path) -> None:
    (tmp_path / "conf.py").write_text(f'SLACK = "{SLACK}"\n')
    result = CliRunner().invoke(
        cli,
        ["scan", str(tmp_path), "--detector", "detect-secrets", "--format", "json", "-j", "1"],
    )
    report = json.loads(result.stdout)
    rules = {f["rule"] for f in report["findings"]}
    assert "detect-secrets.slack-token" in rules
    assert result.exit_code == 1


def test_config_file_turns_detect_secrets_on_beside_the_others(tmp_path: Path) -> None:
    (tmp_path / ".keysweep.yaml").write_text("detectors: [rules, python, detect-secrets]\n")
    blob = _random_b64()
    (tmp_path / "conf.py").write_text(f'blob = "{blob}"\nDB_PASSWORD = "Vq7!mZp2#Lr9"\n')
    result = CliRunner().invoke(
        cli, ["scan", str(tmp_path), "--format", "json", "-j", "1", "--fail-on", "low"]
    )
    report = json.loads(result.stdout)
    rules = {f["rule"] for f in report["findings"]}
    assert "detect-secrets.base64-high-entropy-string" in rules
    assert "python.hardcoded-password" in rules
    assert result.exit_code == 1
    # the same secret found by two engines is reported once
    assert len([f for f in report["findings"] if f["line"] == 2]) == 1
