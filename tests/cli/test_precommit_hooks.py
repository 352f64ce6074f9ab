"""The published hooks under the real pre-commit framework.

A snapshot of this checkout (committed into a throwaway repository, so local
edits are what is tested) is installed by pre-commit into its own environment
(pip, from PyPI), then used as a developer would: `pre-commit try-repo`, an
installed pre-commit hook refusing a commit with a freshly generated private
key and letting a clean one through, and the pre-push hook refusing a push whose
history carries a key that a later commit deleted.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[2]
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]


def _run(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, env=env or dict(os.environ), timeout=900
    )


def _git(cwd: Path, *args: str) -> str:
    done = _run(cwd, "git", *args)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _private_key() -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, Path]]:
    """(snapshot repository, its commit, PRE_COMMIT_HOME shared by the tests)."""
    snapshot = tmp_path_factory.mktemp("keysweep-src")
    listed = _run(
        PROJECT, "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--",
        "pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml", "scanner", "rules",
    ).stdout.split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = PROJECT / name
        if source.is_file():
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, snapshot / name)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "T",
        "GIT_AUTHOR_EMAIL": "t@example.test",
        "GIT_COMMITTER_NAME": "T",
        "GIT_COMMITTER_EMAIL": "t@example.test",
    }
    for args in (("init", "-q"), ("add", "-A"), ("commit", "-q", "-m", "snapshot")):
        assert _run(snapshot, "git", *args, env=env).returncode == 0
    yield snapshot, _git(snapshot, "rev-parse", "HEAD"), tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def user_repo(make_repo: object, tmp_path: Path) -> Path:
    repo = tmp_path / "project"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "app.py").write_text("import os\n\nTOKEN = os.environ['TOKEN']\n")
    _git(repo, "add", "app.py")
    _git(repo, "commit", "-q", "-m", "start")
    return repo


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}


def _config(repo: Path, source: Path, rev: str) -> None:
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {source}\n    rev: {rev}\n    hooks:\n"
        "      - id: keysweep\n      - id: keysweep-history\n"
    )


def test_try_repo_refuses_a_staged_private_key(
    hook_repo: tuple[Path, str, Path], user_repo: Path
) -> None:
    source, rev, home = hook_repo
    (user_repo / "deploy_key.pem").write_bytes(_private_key())
    _git(user_repo, "add", "deploy_key.pem")

    done = _run(
        user_repo, *PRE_COMMIT, "try-repo", str(source), "keysweep", "--ref", rev, env=_env(home)
    )

    assert done.returncode == 1, done.stdout + done.stderr
    assert "deploy_key.pem:1:1" in done.stdout
    assert "key.pkcs8" in done.stdout
    assert "fix: remove it from the repository and history, then rotate it" in done.stdout


def test_the_installed_hook_refuses_a_key_and_lets_a_clean_commit_through(
    hook_repo: tuple[Path, str, Path], user_repo: Path
) -> None:
    source, rev, home = hook_repo
    env = _env(home)
    _config(user_repo, source, rev)
    _git(user_repo, "add", ".pre-commit-config.yaml")
    assert _run(user_repo, *PRE_COMMIT, "install", env=env).returncode == 0
    before = _git(user_repo, "rev-parse", "HEAD")
    (user_repo / "deploy_key.pem").write_bytes(_private_key())
    _git(user_repo, "add", "deploy_key.pem")

    refused = _run(user_repo, "git", "commit", "-m", "add deploy key", env=env)

    assert refused.returncode == 1
    said = refused.stdout + refused.stderr  # git shows hook output on stderr
    assert "keysweep (keys and credentials)" in said
    assert "Failed" in said and "deploy_key.pem:1:1" in said
    assert _git(user_repo, "rev-parse", "HEAD") == before

    _git(user_repo, "rm", "-q", "--cached", "deploy_key.pem")
    (user_repo / "deploy_key.pem").unlink()
    (user_repo / "README.md").write_text("# project\n")
    _git(user_repo, "add", "README.md")
    passed = _run(user_repo, "git", "commit", "-m", "docs", env=env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout + passed.stderr


def test_the_pre_push_hook_refuses_history_that_carries_a_key(
    hook_repo: tuple[Path, str, Path], user_repo: Path, tmp_path: Path
) -> None:
    source, rev, home = hook_repo
    env = _env(home)
    remote = tmp_path / "remote.git"
    _git(tmp_path, "init", "-q", "--bare", str(remote))
    _git(user_repo, "remote", "add", "origin", str(remote))
    _git(user_repo, "push", "-q", "origin", "HEAD:refs/heads/main")
    _config(user_repo, source, rev)
    assert _run(user_repo, *PRE_COMMIT, "install", "-t", "pre-push", env=env).returncode == 0
    (user_repo / "deploy_key.pem").write_bytes(_private_key())
    _git(user_repo, "add", "deploy_key.pem")
    _git(user_repo, "commit", "-q", "-m", "key")
    _git(user_repo, "rm", "-q", "deploy_key.pem")
    _git(user_repo, "commit", "-q", "-m", "oops, remove it")

    refused = _run(user_repo, "git", "push", "origin", "HEAD:refs/heads/main", env=env)

    assert refused.returncode != 0
    said = refused.stdout + refused.stderr
    assert "keysweep (pushed commits)" in said
    assert "deploy_key.pem:1:1" in said and "no longer at HEAD" in said
    assert _git(remote, "rev-parse", "main") != _git(user_repo, "rev-parse", "HEAD")
