"""Helpers for the credential tests: write files into a tree and scan it with the
real CLI (`keysweep scan DIR --format json`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from scanner.cli import cli

Scan = Callable[..., tuple[int, list[dict[str, Any]], dict[str, Any]]]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    root.mkdir()
    return root


@pytest.fixture
def put(tree: Path) -> Callable[[str, str], Path]:
    """Write `text` at `path` under the tree (folders made as needed)."""

    def write(path: str, text: str) -> Path:
        target = tree / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        return target

    return write


@pytest.fixture
def scan(tree: Path) -> Scan:
    """Scan `tree` with extra CLI arguments: (exit code, findings, summary)."""

    def run(*args: str) -> tuple[int, list[dict[str, Any]], dict[str, Any]]:
        result = CliRunner().invoke(cli, ["scan", str(tree), "--format", "json", *args])
        assert result.exit_code in (0, 1), result.stderr
        report = json.loads(result.stdout)
        return result.exit_code, report["findings"], report["summary"]

    return run
