"""`keysweep baseline create` takes the options and builds the sources of
`keysweep scan`, so the baseline it writes covers what that scan reports."""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from support import git

from scanner.cli import cli

RULE = {
    "id": "acme.deploy-token",
    "name": "Acme deploy token",
    "kind": "token",
    "severity": "high",
    "pattern": "(?P<secret>acme_[A-Za-z0-9]{32})",
    "keywords": ["acme_"],
}


def acme_token() -> str:
    return "acme_" + "".join(
        secrets.choice(string.ascii_letters + string.digits) for _ in range(32)
    )


@pytest.fixture
def rules(tmp_path: Path) -> list[str]:
    examples = {"examples": [acme_token(), acme_token()], "negative_examples": ["a", "b"]}
    path = tmp_path / "acme.yaml"
    path.write_text(yaml.safe_dump({"rules": [RULE | examples]}))
    return ["--no-builtin-rules", "--rules", str(path), "--detector", "rules"]


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def test_a_baseline_covers_the_history_the_scan_reads(
    make_repo: Callable[..., Path], rules: list[str], tmp_path: Path
) -> None:
    repo = make_repo()
    (repo / "old.env").write_text(f"TOKEN={acme_token()}\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "a secret, later removed")
    git(repo, "rm", "-q", "old.env")
    git(repo, "commit", "-qm", "removed")
    baseline = tmp_path / "baseline.json"
    made = run("baseline", "create", str(repo), *rules, "-o", str(baseline))
    assert made.exit_code == 0, made.output
    assert len(json.loads(baseline.read_text())["findings"]) == 1
    scanned = run("scan", str(repo), *rules, "--baseline", str(baseline), "--format", "json")
    assert scanned.exit_code == 0, scanned.output
    assert json.loads(scanned.stdout)["findings"] == []


def test_a_baseline_takes_the_scan_options(rules: list[str], tmp_path: Path) -> None:
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "small.env").write_text(f"TOKEN={acme_token()}\n")
    (tmp_path / "tree" / "big.env").write_text(f"TOKEN={acme_token()}\n" + "#" * 500)
    baseline = tmp_path / "baseline.json"
    options = ["--max-file-size", "200", "--no-archives", "--no-git-history"]
    made = run("baseline", "create", str(tmp_path / "tree"), *rules, *options, "-o", str(baseline))
    assert made.exit_code == 0, made.output
    paths = [f["path"] for f in json.loads(baseline.read_text())["findings"]]
    assert paths == ["small.env"]
