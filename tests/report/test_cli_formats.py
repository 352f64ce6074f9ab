"""The formats through the real CLI: the report on standard output (or --output),
the summary line on standard error. The built-in rules are left out: these tests
are about the output plumbing, whatever state the rule pack is in."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from scanner.cli import cli


def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("print('hello')\n")
    (root / "README.md").write_text("# a project\n")
    return root


def test_json_on_stdout_summary_on_stderr(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["scan", str(tree(tmp_path)), "--no-builtin-rules", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert list(document) == ["version", "tool", "findings", "summary", "errors"]
    assert document["summary"]["items_scanned"] == 2
    assert result.stderr.startswith("0 findings (0 critical, 0 high, 0 medium, 0 low) in 2 files")


def test_sarif_to_output_file(tmp_path: Path) -> None:
    out = tmp_path / "report.sarif"
    args = ["scan", str(tree(tmp_path)), "--no-builtin-rules", "--format", "sarif", "-o", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["version"] == "2.1.0" and len(document["runs"]) == 1


def test_text_summary_once(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["scan", str(tree(tmp_path)), "--no-builtin-rules", "--no-color"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.count(" findings (") == 1 and "\x1b[" not in result.stdout
    assert result.stderr == ""


def test_content_left_unscanned_asks_for_a_scan_not_a_revocation(tmp_path: Path) -> None:
    root = tree(tmp_path)
    (root / "dump.txt").write_text("x" * 4096)
    args = ["scan", str(root), "--no-builtin-rules", "--max-file-size", "1024"]
    text = CliRunner().invoke(cli, args)
    assert text.exit_code == 1, text.output
    assert "unscanned-content  dump.txt:1:1" in text.stdout
    assert "nothing here was proven clean" in text.stdout
    assert "chars)" not in text.stdout and "revoke" not in text.stdout
    sarif = CliRunner().invoke(cli, [*args, "--format", "sarif"])
    (rule,) = json.loads(sarif.stdout)["runs"][0]["tool"]["driver"]["rules"]
    assert rule["help"]["text"].startswith("Nothing here was proven clean")
