"""A repository's own config that loosens the gate is always visible, and under
--strict-config (or KEYSWEEP_STRICT_CONFIG=1) it is exit 2 naming the file and the
setting: in CI that file arrives with the pull request that leaks a key.

Every test runs the real CLI on a real git repository made in tmp_path."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from support import git, password

from scanner.cli import cli
from scanner.config import load_config
from scanner.errors import ConfigError

LOOSENINGS = {
    "disabled_rules": "disabled_rules: [generic.*]\n",
    "detectors": "detectors: [rules]\n",
    "builtin_rules": "builtin_rules: false\n",
    "exclude": "exclude: ['deploy/**']\n",
    "allow_paths": "allow_paths: ['deploy/**']\n",
    "allow_values": "allow_values: ['^[A-Z]']\n",
    "fail_on": "fail_on: critical\n",
    "fail_on_context": "fail_on_context: [test]\n",
    "archives": "archives: false\n",
    "unscanned_severity": "unscanned_severity: low\n",
    "baseline": "baseline: keysweep-baseline.json\n",
    "passphrases": "passphrases: ['']\n",
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose deploy/app.env holds a password made for this test."""
    root = tmp_path / "repo"
    (root / "deploy").mkdir(parents=True)
    git(root, "init", "-q")
    (root / "deploy" / "app.env").write_text(f"DATABASE_PASSWORD={password(20)}\n")
    return root


Run = Callable[..., Result]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.delenv("KEYSWEEP_STRICT_CONFIG", raising=False)

    def invoke(*args: str | Path, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(cli, [str(a) for a in args], env=env)

    return invoke


def _loosened(report: dict[str, Any]) -> list[dict[str, str]]:
    shown: list[dict[str, str]] = report["summary"].get("meta", {}).get("config_loosened", [])
    return shown


@pytest.mark.parametrize("setting", sorted(LOOSENINGS))
def test_each_loosening_is_listed_in_json_sarif_and_text(
    repo: Path, run: Run, setting: str
) -> None:
    (repo / ".keysweep.yaml").write_text(LOOSENINGS[setting])
    if setting == "baseline":
        made = run("baseline", "create", repo, "-o", repo / "keysweep-baseline.json", "-j", "1")
        assert made.exit_code == 0, made.output
    as_json = run("scan", repo, "--format", "json", "-j", "1")
    assert as_json.exit_code in (0, 1), as_json.output
    [entry] = _loosened(json.loads(as_json.stdout))
    assert (entry["file"], entry["setting"]) == (".keysweep.yaml", setting)
    sarif = json.loads(run("scan", repo, "--format", "sarif", "-j", "1").stdout)
    summary = sarif["runs"][0]["properties"]["summary"]
    assert [e["setting"] for e in summary["meta"]["config_loosened"]] == [setting]
    text = run("scan", repo, "-j", "1", "--no-color").stdout
    assert f".keysweep.yaml: the repository's config loosens the gate: {setting}:" in text


@pytest.mark.parametrize("setting", sorted(LOOSENINGS))
def test_strict_config_refuses_each_loosening_with_one_line(
    repo: Path, run: Run, setting: str
) -> None:
    (repo / ".keysweep.yaml").write_text(LOOSENINGS[setting])
    (repo / "keysweep-baseline.json").write_text("{}")  # refused before it is read
    for result in (
        run("scan", repo, "--strict-config"),
        run("git", repo, "--strict-config"),
        run("scan", repo, env={"KEYSWEEP_STRICT_CONFIG": "1"}),
    ):
        assert result.exit_code == 2, result.output
        [line] = result.stderr.splitlines()
        assert str(repo / ".keysweep.yaml") in line and f": {setting} loosens the gate" in line


def test_the_leak_a_pull_request_hides_with_its_own_config(repo: Path, run: Run) -> None:
    """The case it is for: the change leaks a password and disables the rule that
    finds it. Without the CI option the gate passes but says why; with it, exit 2."""
    baseline = run("scan", repo, "--format", "json")
    assert baseline.exit_code == 1
    (repo / ".keysweep.yaml").write_text("disabled_rules: [generic.env-file-credential]\n")
    hidden = run("scan", repo, "--format", "json")
    assert hidden.exit_code == 0
    report = json.loads(hidden.stdout)
    assert report["findings"] == []
    assert _loosened(report) == [
        {
            "file": ".keysweep.yaml",
            "setting": "disabled_rules",
            "change": "disables the rules named by its entry 1",
        }
    ]
    assert report["summary"]["warnings"] == 1
    assert run("scan", repo, "--strict-config").exit_code == 2


def test_a_config_that_only_tightens_passes_strict(repo: Path, run: Run) -> None:
    (repo / ".keysweep.yaml").write_text(
        "fail_on: low\nfail_on_context: all\nmax_file_size: 1000\ndetectors: [rules, python, "
        "detect-secrets]\nrules: []\n"
    )
    result = run("scan", repo, "--strict-config", "--format", "json")
    assert result.exit_code == 1, result.output
    assert _loosened(json.loads(result.stdout)) == []


def test_a_config_named_with_config_is_taken_as_it_is(repo: Path, run: Run) -> None:
    (repo / ".keysweep.yaml").write_text("disabled_rules: [generic.*]\n")
    result = run(
        "scan", repo, "--config", repo / ".keysweep.yaml", "--strict-config", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    assert _loosened(json.loads(result.stdout)) == []


@pytest.mark.parametrize("named", [True, False])
def test_an_unknown_detector_in_a_config_file_is_exit_2_naming_it(
    repo: Path, run: Run, named: bool
) -> None:
    config = repo / ".keysweep.yaml"
    config.write_text("detectors: [rules, detect-secret]\n")
    result = run("scan", repo, *(["--config", config] if named else []))
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert str(config) in line and "unknown detector (entry 2; known: " in line
    assert "detect-secret'" not in line
    with pytest.raises(ConfigError, match=r"unknown detector \(entry 2; "):
        load_config(config if named else None, repo)


GITLEAKS_FINGERPRINT = "deploy/app.env:generic-api-key:1\n"
"""The `file:rule:line` fingerprint gitleaks would print for the planted password."""


@pytest.mark.parametrize("with_config", [False, True])
def test_a_gitleaksignore_in_the_tree_is_a_listed_loosening(
    repo: Path, run: Run, with_config: bool
) -> None:
    """It suppresses findings as a baseline does, so it is shown like one, whether a
    repository config sits beside it or not, and refused under --strict-config."""
    if with_config:
        (repo / ".keysweep.yaml").write_text("fail_on: low\n")
    (repo / ".gitleaksignore").write_text(GITLEAKS_FINGERPRINT)
    result = run("scan", repo, "--format", "json", "-j", "1")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["findings"] == []
    [entry] = _loosened(report)
    assert (entry["file"], entry["setting"]) == (".gitleaksignore", "gitleaksignore")
    text = run("scan", repo, "-j", "1", "--no-color").stdout
    assert ".gitleaksignore: the repository's config loosens the gate: gitleaksignore:" in text
    refused = run("scan", repo, "--strict-config")
    assert refused.exit_code == 2, refused.output
    [line] = refused.stderr.splitlines()
    assert str(repo / ".gitleaksignore") in line and "--strict-config" in line


def test_a_gitleaksignore_beside_a_named_config_is_the_operators(
    repo: Path, tmp_path: Path, run: Run
) -> None:
    operator = tmp_path / "ci"
    operator.mkdir()
    (operator / "keysweep.yaml").write_text("fail_on: low\n")
    (operator / ".gitleaksignore").write_text(GITLEAKS_FINGERPRINT)
    result = run(
        "scan", repo, "--config", operator / "keysweep.yaml", "--strict-config", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    assert _loosened(json.loads(result.stdout)) == []


LOCAL_RULE = """rules:
  - id: local.build-note
    name: Local build note
    kind: credential
    severity: info
    keywords: ["buildnote"]
    pattern: "buildnote-(?P<secret>[0-9]{8})"
    examples: ["buildnote-12345678"]
    negative_examples: ["buildnote-12"]
"""


def test_rules_from_the_repository_are_a_listed_loosening(repo: Path, run: Run) -> None:
    """A repository's own rule can outrank a built-in one on the same text and
    carry a lower severity, so adding rules is shown, and refused under strict."""
    (repo / ".ci-rules").mkdir()
    (repo / ".ci-rules" / "local.yaml").write_text(LOCAL_RULE)
    (repo / ".keysweep.yaml").write_text("rules: [.ci-rules]\n")
    result = run("scan", repo, "--format", "json", "-j", "1")
    assert result.exit_code == 1, result.output
    [entry] = _loosened(json.loads(result.stdout))
    assert (entry["file"], entry["setting"]) == (".keysweep.yaml", "rules")
    assert ".ci-rules" in entry["change"]
    refused = run("scan", repo, "--strict-config")
    assert refused.exit_code == 2, refused.output
    [line] = refused.stderr.splitlines()
    assert str(repo / ".keysweep.yaml") in line and ": rules loosens the gate" in line
