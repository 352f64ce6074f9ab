"""keysweep's own repository scans clean with its own config (test data allowlisted by path)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_project_scans_clean_with_its_own_config() -> None:
    argv = ["scan", str(ROOT), "--format", "json", "--fail-on", "low", "--no-git-history"]
    result = CliRunner().invoke(cli, argv)  # the files; history holds other branches' work
    report = json.loads(result.stdout)
    leftovers = [(f["path"], f["line"], f["rule"]) for f in report["findings"]]
    assert result.exit_code == 0, leftovers
    # The allowlist is doing real work: the examples and test keys were seen and allowed.
    assert report["summary"]["suppressed"].get("path", 0) > 10
