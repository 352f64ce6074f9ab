"""Without a git to run, a scan that has git history to read stops with exit 2.

History that cannot be read is not "scanned and clean": a secret committed and
deleted would be missed while the gate stays green. The real console script runs
with PATH naming a folder without git (or with GIT_PYTHON_GIT_EXECUTABLE naming a
file that cannot be executed); its error is one line.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from support import commit, keysweep_with_token_rule, token


def _keysweep(cwd: Path, tmp_path: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    return keysweep_with_token_rule(cwd, tmp_path, *args, env=env)


@pytest.fixture
def deleted_secret(make_repo: Any) -> Path:
    """A repository whose only secret lives in history: committed, then deleted."""
    repo: Path = make_repo()
    commit(repo, {"app.env": f"T={token()}\n"})
    commit(repo, {"app.env": None})
    (repo / "staged.txt").write_text("nothing\n")
    subprocess.run(["git", "add", "staged.txt"], cwd=repo, check=True)
    return repo


@pytest.fixture
def no_git(tmp_path: Path) -> dict[str, str]:
    empty = tmp_path / "bin-without-git"
    empty.mkdir()
    return {"PATH": str(empty)}


@pytest.mark.parametrize("args", [("scan", "."), ("git",), ("git", "--staged")])
def test_no_git_on_path_is_exit_2_with_one_line(
    deleted_secret: Path, tmp_path: Path, no_git: dict[str, str], args: tuple[str, ...]
) -> None:
    code, output = _keysweep(deleted_secret, tmp_path, no_git, *args)
    assert code == 2, output
    assert output.strip().count("\n") == 0, output
    assert "cannot run git (git)" in output


def test_a_git_that_cannot_be_executed_is_exit_2(deleted_secret: Path, tmp_path: Path) -> None:
    program = tmp_path / "git"
    program.write_text("#!/bin/sh\nexit 0\n")
    program.chmod(0o644)
    env = {"GIT_PYTHON_GIT_EXECUTABLE": str(program)}
    code, output = _keysweep(deleted_secret, tmp_path, env, "scan", ".")
    assert code == 2, output
    assert f"cannot run git ({program}): Permission denied" in output


def test_with_git_the_history_secret_is_found(deleted_secret: Path, tmp_path: Path) -> None:
    code, output = _keysweep(deleted_secret, tmp_path, {}, "scan", ".")
    assert code == 1, output


def test_a_folder_without_repositories_needs_no_git(tmp_path: Path, no_git: dict[str, str]) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "app.env").write_text(f"T={token()}\n")
    code, output = _keysweep(folder, tmp_path, no_git, "scan", ".")
    assert code == 1, output
