"""Which commits a git scan reads (`scanner.sources.gitrange`): pre-push and CI
variables turned into one GitRange, for the CLI and library callers alike; and a
range scanned from Python through the same source builder as `keysweep git`."""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from pathlib import Path

import pytest
from support import git

import scanner
from scanner.errors import ConfigError
from scanner.model import Rule, RuleKind, Severity
from scanner.sources.gitrange import GitRange, pushed, resolve

ZERO = "0" * 40


def test_a_pushed_range_replaces_whatever_was_given() -> None:
    env = {"PRE_COMMIT_FROM_REF": "a" * 40, "PRE_COMMIT_TO_REF": "b" * 40}
    chosen = pushed(GitRange(since="v1", branch="dev"), env)
    assert chosen == GitRange(rev_range=f"{'a' * 40}..{'b' * 40}")


@pytest.mark.parametrize(
    ("env", "branch"),
    [
        ({"PRE_COMMIT_FROM_REF": ZERO, "PRE_COMMIT_TO_REF": "b" * 40}, "b" * 40),
        ({"PRE_COMMIT_LOCAL_BRANCH": "feature"}, "feature"),
        ({}, "HEAD"),
    ],
)
def test_a_new_history_pushed_whole_is_the_local_branch(env: dict[str, str], branch: str) -> None:
    assert pushed(GitRange(), env) == GitRange(branch=branch)


def test_ci_names_the_base_only_when_nothing_narrower_was_given() -> None:
    env = {"GITHUB_BASE_REF": "main"}
    assert resolve(GitRange(), ci=True, env=env) == GitRange(since="origin/main")
    assert resolve(GitRange(branch="dev"), ci=True, env=env).since == "origin/main"
    assert resolve(GitRange(rev_range="a..b"), ci=True, env=env) == GitRange(rev_range="a..b")
    assert resolve(GitRange(staged=True), ci=True, env=env) == GitRange(staged=True)
    assert resolve(GitRange(), ci=True, env={}) == GitRange()  # no base: full history
    assert resolve(GitRange(), ci=False, env=env) == GitRange()


def test_all_objects_goes_with_full_history_only() -> None:
    assert resolve(GitRange(all_objects=True), env={}).all_objects
    with pytest.raises(ConfigError, match="--all-objects goes with a full-history scan only"):
        resolve(GitRange(all_objects=True, since="v1"), env={})
    env = {"PRE_COMMIT_LOCAL_BRANCH": "main"}
    with pytest.raises(ConfigError):
        resolve(GitRange(all_objects=True), pre_push=True, env=env)


def acme_token() -> str:
    return "acme_" + "".join(
        secrets.choice(string.ascii_letters + string.digits) for _ in range(32)
    )


def test_a_range_scanned_from_python(make_repo: Callable[..., Path]) -> None:
    repo = make_repo()
    (repo / "old.env").write_text(f"TOKEN={acme_token()}\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "old")
    base = git(repo, "rev-parse", "HEAD").strip()
    (repo / "new.env").write_text(f"TOKEN={acme_token()}\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "new")
    rule = Rule(
        "acme.deploy-token", "Acme", RuleKind.TOKEN, Severity.HIGH,
        r"(?P<secret>acme_[A-Za-z0-9]{32})", keywords=("acme_",),
    )  # fmt: skip
    config = scanner.Config(root=repo, detectors=("rules",))
    since = scanner.GitHistory(repo, scanner.GitRange(since=base))
    report = scanner.scan(config, [since], rules=[rule])
    assert [f.path for f in report.findings] == ["new.env"]
    whole = scanner.scan(config, [scanner.GitHistory(repo)], rules=[rule])
    assert sorted(f.path for f in whole.findings) == ["new.env", "old.env"]
