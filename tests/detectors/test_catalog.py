"""One catalog of rule ids: every detector's rules are listed, and `disabled_rules`
reaches every detector, on real files through the real CLI."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from scanner.cli import cli
from scanner.config import Config
from scanner.detectors import DETECTORS
from scanner.detectors.catalog import catalog
from scanner.text import shannon_entropy

PASSWORD_RULE = "python.hardcoded-password"
ENTROPY_RULE = "detect-secrets.base64-high-entropy-string"


def _random_b64() -> str:
    """Random base64 well above detect-secrets' entropy limit."""
    while True:
        blob = base64.b64encode(os.urandom(30)).decode()
        if shannon_entropy(blob) >= 4.8:
            return blob


def _scan(tree: Path) -> dict[str, Any]:
    result = CliRunner().invoke(
        cli, ["scan", str(tree), "--format", "json", "-j", "1", "--fail-on", "low"]
    )
    assert result.exit_code in (0, 1), result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def _tree(tmp_path: Path, disabled: list[str]) -> Path:
    tree = tmp_path / ("off" if disabled else "on")
    tree.mkdir()
    config = "detectors: [rules, python, detect-secrets]\n"
    if disabled:
        config += "disabled_rules: [" + ", ".join(disabled) + "]\n"
    (tree / ".keysweep.yaml").write_text(config)
    (tree / "settings.py").write_text(
        f'blob = "{_random_b64()}"\nconnect(host="db", password="Vq7!mZp2#Lr9")\n'
    )
    return tree


def test_disabled_rules_reach_the_python_detector_and_detect_secrets(tmp_path: Path) -> None:
    found = {f["rule"] for f in _scan(_tree(tmp_path, []))["findings"]}
    assert {PASSWORD_RULE, ENTROPY_RULE} <= found

    report = _scan(_tree(tmp_path, [PASSWORD_RULE, "detect-secrets.base64-*"]))
    rules = {f["rule"] for f in report["findings"]}
    assert PASSWORD_RULE not in rules
    assert not any(r.startswith("detect-secrets.base64") for r in rules)


def test_every_detector_declares_its_rules() -> None:
    declared = catalog(Config(), ())
    by_detector = {name: {r.id for r in declared if r.detector == name} for name in DETECTORS}
    assert PASSWORD_RULE in by_detector["python"]
    assert ENTROPY_RULE in by_detector["detect-secrets"]
    assert by_detector["rules"] == set()  # no YAML rules were given
    assert all(r.id.startswith(f"{r.detector}.") for r in declared)


def test_rules_list_shows_every_detector_and_leaves_out_disabled_rules(tmp_path: Path) -> None:
    (tmp_path / "cfg.yaml").write_text(f"disabled_rules: [{ENTROPY_RULE}]\n")
    result = CliRunner().invoke(
        cli, ["rules", "list", "--config", str(tmp_path / "cfg.yaml"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert rows[PASSWORD_RULE]["detector"] == "python" and rows[PASSWORD_RULE]["enabled"]
    assert rows["detect-secrets.slack-token"]["enabled"] is False  # not a default detector
    assert ENTROPY_RULE not in rows
    assert any(row["detector"] == "rules" for row in rows.values())


def test_rules_list_text_names_the_detector() -> None:
    result = CliRunner().invoke(cli, ["rules", "list"])
    assert result.exit_code == 0
    line = next(x for x in result.stdout.splitlines() if x.startswith(PASSWORD_RULE))
    assert line.endswith("[python]")
    assert "from the detect-secrets detector (off)" in result.stderr


def test_rules_list_refuses_an_unknown_detector_in_the_config(tmp_path: Path) -> None:
    config = tmp_path / "cfg.yaml"
    config.write_text("detectors: [rules, gitleaks]\n")
    result = CliRunner().invoke(cli, ["rules", "list", "--config", str(config)])
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert f"{config}: at key 'detectors': unknown detector (entry 2; " in line
