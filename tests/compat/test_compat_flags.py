"""gitleaks' flags on `keysweep scan` and `keysweep git`: taken where they mean the
same, one line naming keysweep's option where they do not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from compat.support import ALNUM, keysweep, random_text
from support import git


@pytest.fixture
def repo(make_repo: object) -> Path:
    """A leak in the first commit, a clean second commit."""
    path: Path = make_repo()  # type: ignore[operator]
    (path / "app.py").write_text(f'AWS_SECRET_ACCESS_KEY = "{random_text(ALNUM, 40)}"\n')
    git(path, "add", "-A")
    git(path, "commit", "-qm", "leak")
    (path / "README.md").write_text("hello\n")
    git(path, "add", "-A")
    git(path, "commit", "-qm", "docs")
    return path


def test_report_flags_and_exit_code(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "leaks.sarif"
    result = keysweep(
        "git", str(repo), "--redact", "--report-format", "sarif", "--report-path", str(out),
        "--exit-code", "7",
    )  # fmt: skip
    assert result.exit_code == 7, result.output
    assert json.loads(out.read_text())["runs"][0]["results"][0]["ruleId"]
    short = keysweep("scan", str(repo / "app.py"), "-f", "junit", "-r", str(tmp_path / "j.xml"))
    assert short.exit_code == 1 and (tmp_path / "j.xml").read_text().startswith("<?xml")
    redacted = keysweep("git", "--redact", str(repo), "--format", "json")  # a flag, not a value
    assert redacted.exit_code == 1 and json.loads(redacted.stdout)["findings"]


def test_exit_code_zero_reports_without_failing(repo: Path) -> None:
    result = keysweep("git", str(repo), "--exit-code", "0", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["findings"]


@pytest.mark.parametrize(("log_opts", "code"), [("HEAD~1..HEAD", 0), ("--all", 1), ("main", 1)])
def test_log_opts_that_map(repo: Path, log_opts: str, code: int) -> None:
    assert keysweep("git", str(repo), "--log-opts", log_opts).exit_code == code


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["git", "--log-opts", "--since=2024-01-01 -n 5"], "use keysweep git --range A..B"),
        (["scan", "--log-opts", "HEAD~1..HEAD"], "--log-opts reads git history"),
        (["scan", "--report-format", "csv"], "use --format (text, json, jsonl, sarif, gitlab"),
    ],
)
def test_flags_that_do_not_map_name_keysweeps_option(
    repo: Path, args: list[str], hint: str
) -> None:
    result = keysweep(args[0], str(repo), *args[1:])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and hint in lines[0]


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("report.json", lambda text: json.loads(text)["findings"]),
        ("report.sarif", lambda text: json.loads(text)["runs"][0]["results"]),
        ("report.xml", lambda text: text.startswith("<?xml") and "<failure" in text),
        ("report.out", lambda text: json.loads(text)["findings"]),  # gitleaks' default: json
    ],
)
def test_report_path_alone_writes_the_format_its_name_says(
    repo: Path, tmp_path: Path, name: str, check: object
) -> None:
    out = tmp_path / name
    result = keysweep("scan", str(repo / "app.py"), "-r", str(out))
    assert result.exit_code == 1, result.output
    assert check(out.read_text())  # type: ignore[operator]


def test_keysweep_format_wins_over_the_report_path_name(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = keysweep("scan", str(repo / "app.py"), "-r", str(out), "--format", "sarif")
    assert result.exit_code == 1, result.output
    assert json.loads(out.read_text())["runs"][0]["results"]


@pytest.mark.parametrize("code", ["256", "-1"])
def test_an_exit_code_no_process_can_return_is_refused(repo: Path, code: str) -> None:
    """`sys.exit(256)` is status 0: a leak would pass the gate."""
    result = keysweep("git", str(repo), "--exit-code", code)
    assert result.exit_code == 2 and "--exit-code" in result.output
