"""`keysweep git` through Click: CI and pre-push ranges, formats, usage errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from support import TOKEN_RULE, git, token

from scanner.cli import cli
from scanner.sources.git import ci_base


def commit(repo: Path, name: str, text: str) -> str:
    (repo / name).parent.mkdir(parents=True, exist_ok=True)
    (repo / name).write_text(text)
    git(repo, "add", name)
    git(repo, "commit", "-q", "-m", f"add {name}")
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(make_repo: Any) -> tuple[Path, str]:
    """(repository, base commit): an old secret at the base, a new one after it."""
    path: Path = make_repo()
    commit(path, "old.env", f"T={token()}\n")
    base = git(path, "rev-parse", "HEAD")
    git(path, "update-ref", "refs/remotes/origin/main", base)
    commit(path, "new/new.env", f"# new\nT={token()}\n")
    return path, base


def invoke(repo: Path, tmp_path: Path, *args: str) -> Result:
    rules = tmp_path / "rules.yaml"
    rules.write_text(TOKEN_RULE)
    common = ["--no-builtin-rules", "--rules", str(rules), "-j", "1"]
    return CliRunner().invoke(cli, ["git", str(repo), *common, *args])


def paths(result: Result) -> list[str]:
    assert result.exit_code in (0, 1), result.stderr
    return sorted(f["path"] for f in json.loads(result.stdout)["findings"])


@pytest.fixture(autouse=True)
def _no_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_BASE_REF", "CI_MERGE_REQUEST_DIFF_BASE_SHA", "CI_COMMIT_BEFORE_SHA",
                 "BITBUCKET_PR_DESTINATION_BRANCH", "SYSTEM_PULLREQUEST_TARGETBRANCH",
                 "BUILDKITE_PULL_REQUEST_BASE_BRANCH", "PRE_COMMIT_FROM_REF",
                 "PRE_COMMIT_TO_REF", "PRE_COMMIT_LOCAL_BRANCH"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


def test_ci_uses_the_pull_request_base(
    repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, base = repo
    assert paths(invoke(path, tmp_path, "--ci", "--format", "json")) == ["new/new.env", "old.env"]
    monkeypatch.setenv("GITHUB_BASE_REF", "main")
    assert paths(invoke(path, tmp_path, "--ci", "--format", "json")) == ["new/new.env"]
    monkeypatch.delenv("GITHUB_BASE_REF")
    monkeypatch.setenv("CI_MERGE_REQUEST_DIFF_BASE_SHA", base)
    assert paths(invoke(path, tmp_path, "--ci", "--format", "json")) == ["new/new.env"]


def test_ci_variables_are_read_only_with_the_flag(
    repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _ = repo
    monkeypatch.setenv("GITHUB_BASE_REF", "main")
    assert paths(invoke(path, tmp_path, "--format", "json")) == ["new/new.env", "old.env"]


def test_ci_base_prefers_the_merge_request_base_and_ignores_zero_shas() -> None:
    assert ci_base({}) is None
    assert ci_base({"CI_COMMIT_BEFORE_SHA": "0" * 40}) is None
    assert ci_base({"CI_COMMIT_BEFORE_SHA": "a" * 40, "GITHUB_BASE_REF": "dev"}) == "origin/dev"
    assert ci_base({"SYSTEM_PULLREQUEST_TARGETBRANCH": "refs/heads/main"}) == "origin/main"


def test_pre_push_scans_the_pushed_range(
    repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, base = repo
    monkeypatch.setenv("PRE_COMMIT_FROM_REF", base)
    monkeypatch.setenv("PRE_COMMIT_TO_REF", git(path, "rev-parse", "HEAD"))
    assert paths(invoke(path, tmp_path, "--pre-push", "--format", "json")) == ["new/new.env"]


def test_pre_push_of_a_new_history_scans_all_of_it(
    repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _ = repo
    monkeypatch.setenv("PRE_COMMIT_LOCAL_BRANCH", "main")
    result = invoke(path, tmp_path, "--pre-push", "--format", "json")
    assert paths(result) == ["new/new.env", "old.env"]


def test_the_text_report_says_where_and_when(repo: tuple[Path, str], tmp_path: Path) -> None:
    path, base = repo
    git(path, "rm", "-q", "old.env")
    git(path, "commit", "-q", "-m", "remove old")
    result = invoke(path, tmp_path, "--no-color")
    assert result.exit_code == 1
    assert "old.env:1:3" in result.stdout and "new/new.env:2:3" in result.stdout
    assert base[:12] in result.stdout and "no longer at HEAD" in result.stdout


def test_sarif_output_to_a_file(repo: tuple[Path, str], tmp_path: Path) -> None:
    path, base = repo
    out = tmp_path / "keysweep.sarif"
    result = invoke(path, tmp_path, "--since", base, "--format", "sarif", "-o", str(out))
    assert result.exit_code == 1
    (run,) = json.loads(out.read_text())["runs"]
    (located,) = run["results"]
    where = located["locations"][0]["physicalLocation"]
    assert where["artifactLocation"]["uri"].endswith("new/new.env")
    assert where["region"]["startLine"] == 2


def test_scanning_from_a_subfolder_finds_the_repository(
    repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _ = repo
    monkeypatch.chdir(path / "new")
    rules = tmp_path / "rules.yaml"
    rules.write_text(TOKEN_RULE)
    result = CliRunner().invoke(
        cli, ["git", "--no-builtin-rules", "--rules", str(rules), "--format", "json"]
    )
    assert paths(result) == ["new/new.env", "old.env"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "HEAD~1", "--range", "HEAD~1..HEAD"], "choose one of"),
        (["--staged", "--since", "HEAD~1"], "choose one of"),
        (["--all-objects", "--since", "HEAD~1"], "--all-objects goes with a full-history scan"),
        (["--range", "nope..HEAD"], "unknown revision 'nope'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    repo: tuple[Path, str], tmp_path: Path, args: list[str], message: str
) -> None:
    path, _ = repo
    result = invoke(path, tmp_path, *args)
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_the_config_at_the_top_of_the_repository_applies(
    repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _ = repo
    (path / ".keysweep.yaml").write_text("exclude: [old.env]\n")
    monkeypatch.chdir(path / "new")
    rules = tmp_path / "rules.yaml"
    rules.write_text(TOKEN_RULE)
    result = CliRunner().invoke(
        cli, ["git", "--no-builtin-rules", "--rules", str(rules), "--format", "json"]
    )
    assert paths(result) == ["new/new.env"]
    assert json.loads(result.stdout)["summary"]["skipped"] == {"excluded": 1}
