"""`keysweep rules list` and `keysweep rules check`, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import cli

SAMPLE = Path(__file__).resolve().parents[1] / "engine" / "sample_rules.yaml"

BROKEN_EXAMPLES = """
rules:
  - id: mine.token
    name: My token
    kind: token
    severity: high
    keywords: [mtk_]
    pattern: '(?P<secret>mtk_[0-9]{8})'
    examples: ["mtk_12345678", "mtk_1234"]
    negative_examples: ["nothing", "mtk_87654321"]
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_list_shows_id_kind_severity_name() -> None:
    code, out, err = run("rules", "list", "--no-builtin-rules", "--rules", str(SAMPLE))
    assert code == 0
    first = out.splitlines()[0].split()
    assert first[:4] == ["test.github-pat", "token", "high", "GitHub"]
    assert "7 rules" in err


def test_list_as_json() -> None:
    code, out, _ = run(
        "rules", "list", "--no-builtin-rules", "--rules", str(SAMPLE), "--format", "json"
    )
    assert code == 0
    rows = json.loads(out)
    assert {r["id"] for r in rows} >= {"test.github-pat", "test.ssh-key-file"}
    assert rows[0]["severity"] == "high" and rows[0]["kind"] == "token"


def test_check_passes_good_rules() -> None:
    code, out, err = run("rules", "check", str(SAMPLE))
    assert code == 0, out
    assert out == ""
    assert "7 rules checked" in err and "0 failure" in err


def test_check_reports_each_failing_example(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(BROKEN_EXAMPLES, encoding="utf-8")
    code, out, _ = run("rules", "check", str(path))
    assert code == 1
    assert out.splitlines() == [
        f"{path}: mine.token: example 2 did not match",
        f"{path}: mine.token: negative example 2 matched",
    ]


def test_check_malformed_rules_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BROKEN_EXAMPLES.replace("kind: token", "kind: nonsense"), encoding="utf-8")
    code, _, err = run("rules", "check", str(path))
    assert code == 2
    assert f"{path}: rule 'mine.token': field 'kind'" in err


def test_check_extra_rules_option_with_builtins_off() -> None:
    code, _, err = run("rules", "check", "--no-builtin-rules", "--rules", str(SAMPLE))
    assert code == 0
    assert "7 rules checked" in err


def test_check_defaults_to_builtin_rules() -> None:
    code, out, err = run("rules", "check")
    assert "rules checked" in err
    assert code in (0, 1)
    assert (code == 1) == bool(out.strip())


def test_check_notes_rules_that_only_re2_can_run(tmp_path: Path) -> None:
    pytest.importorskip("hyperscan")
    path = tmp_path / "lazy.yaml"
    path.write_text(
        BROKEN_EXAMPLES.replace("(?P<secret>mtk_[0-9]{8})", "(?U)(?P<secret>mtk_[0-9]{8})")
        .replace(', "mtk_1234"]', "]")
        .replace(', "mtk_87654321"]', ', "mtk_1"]'),
        encoding="utf-8",
    )
    code, out, err = run("rules", "check", str(path))
    assert code == 0, out
    assert "mine.token: note: Hyperscan cannot compile" in err


def test_scan_uses_user_rules_and_finds_their_secret(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "settings.py").write_text(
        "TOKEN = 'ghp_R2d2C3poQ7xWv9LmKp4Tz8Yb1Nf6Hs0Ja5Ge'\n", encoding="utf-8"
    )
    (tree / "clean.py").write_text("print('hello')\n", encoding="utf-8")
    code, out, _ = run(
        "scan", str(tree), "--no-builtin-rules", "--rules", str(SAMPLE), "--format", "json"
    )
    assert code == 1
    assert "test.github-pat" in out
    assert "R2d2C3poQ7xWv9LmKp4Tz8Yb1Nf6Hs0Ja5Ge" not in out


def test_scan_with_a_malformed_user_rule_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BROKEN_EXAMPLES.replace("severity: high", "severity: dire"), encoding="utf-8")
    code, _, err = run("scan", str(tmp_path), "--rules", str(path))
    assert code == 2
    assert f"{path}: rule 'mine.token': field 'severity'" in err
