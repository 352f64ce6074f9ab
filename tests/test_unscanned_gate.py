"""Content left unscanned fails the gate whatever the context filter and the
baseline say, and each unscanned file keeps its own finding and reason."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from scanner.cli import cli


def _scan(root: Path, *extra: str) -> tuple[int, list[dict[str, object]]]:
    result = CliRunner().invoke(cli, ["scan", str(root), "--format", "json", "-j", "1", *extra])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)["findings"]


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "big.txt").write_text("x" * 200)
    (root / "other.txt").write_text("y" * 300)
    (root / ".keysweep.yaml").write_text("max_file_size: 64\n")  # a config may tighten
    return root


def test_unscanned_content_fails_even_when_only_test_context_fails(tmp_path: Path) -> None:
    code, findings = _scan(_tree(tmp_path), "--fail-on-context", "test")
    unscanned = [f for f in findings if f["rule"] == "unscanned-content"]
    assert code == 1
    assert sorted(str(f["path"]) for f in unscanned) == ["other.txt", "tests/big.txt"]


def test_a_baseline_never_hides_unscanned_content(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    baseline = tmp_path / "baseline.json"
    made = CliRunner().invoke(cli, ["baseline", "create", str(root), "-o", str(baseline)])
    assert made.exit_code == 0, made.output
    code, findings = _scan(root, "--baseline", str(baseline))
    assert code == 1
    assert {f["rule"] for f in findings} == {"unscanned-content"}


def test_a_baseline_cannot_import_a_file_outside_its_folder(tmp_path: Path) -> None:
    (tmp_path / "secrets.json").write_text('{"results": {}}')
    folder = tmp_path / "repo"
    folder.mkdir()
    baseline = folder / "baseline.json"
    document = {"version": 2, "findings": [], "imported_from": "../secrets.json"}
    baseline.write_text(json.dumps(document))
    (folder / "a.txt").write_text("hello\n")
    result = CliRunner().invoke(cli, ["scan", str(folder), "--baseline", str(baseline)])
    assert result.exit_code == 2
    assert "imported_from" in result.output
