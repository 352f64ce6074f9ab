"""Finding the repository to scan: git must open the very repository that was vetted.

`gitvet` checks the files git will read before git runs. If git's own search
then found another repository (past a decoy `.git`, or from the real folder a
symbolic link leads to), a config include pointing at a FIFO there would hang
the scan, or the wrong repository would be scanned and the gate pass. Each case
runs the real console script on real repositories, with a generous bound so
that a hang fails the test instead of the suite.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from support import commit, git, keysweep_with_token_rule, token

BOUND = 60


def _keysweep(cwd: Path, tmp_path: Path, *args: str, **env: str) -> tuple[int, str]:
    return keysweep_with_token_rule(cwd, tmp_path, *args, env=env, timeout=BOUND)


@pytest.fixture
def fifo_outer(make_repo: Any, tmp_path: Path) -> Path:
    """A repository whose config includes a FIFO, with a secret in its history."""
    repo: Path = make_repo("outer")
    commit(repo, {"app.env": f"T={token()}\n"})
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    git(repo, "config", "include.path", str(fifo))
    (repo / "sub").mkdir()
    return repo


def test_an_empty_decoy_git_folder_is_passed_over_as_git_passes_over_it(
    fifo_outer: Path, tmp_path: Path
) -> None:
    (fifo_outer / "sub" / ".git").mkdir()
    code, output = _keysweep(fifo_outer / "sub", tmp_path, "git")
    assert code == 2, output
    assert f"{tmp_path / 'fifo'}: not a regular file" in output


def test_a_decoy_git_rejects_is_not_a_door_to_the_repository_above(
    fifo_outer: Path, tmp_path: Path
) -> None:
    decoy = fifo_outer / "sub" / ".git"
    for name in ("objects", "refs"):
        (decoy / name).mkdir(parents=True)
    (decoy / "HEAD").write_text("not a ref\n")  # git does not take this for a repository
    code, output = _keysweep(fifo_outer / "sub", tmp_path, "git")
    assert code == 2, output
    assert "not a git repository" in output and output.strip().count("\n") == 0


@pytest.fixture
def linked(make_repo: Any, tmp_path: Path) -> tuple[Path, Path]:
    """(holder, link): `holder` is a clean repository whose `link` leads into a
    folder of another repository that has a secret in its history."""
    target: Path = make_repo("target")
    commit(target, {"sub/app.env": f"T={token()}\n"})
    holder: Path = make_repo("holder")
    commit(holder, {"readme": "clean\n"})
    link = holder / "link"
    link.symlink_to(target / "sub", target_is_directory=True)
    return holder, link


def test_a_symlinked_path_scans_the_repository_it_leads_into(
    linked: tuple[Path, Path], tmp_path: Path
) -> None:
    _, link = linked
    code, output = _keysweep(tmp_path, tmp_path, "git", str(link))
    assert code == 1, output
    assert "sub/app.env" in output and "1 finding" in output


def test_started_inside_a_symlinked_folder_scans_the_repository_it_leads_into(
    linked: tuple[Path, Path], tmp_path: Path
) -> None:
    _, link = linked
    code, output = _keysweep(link, tmp_path, "git")
    assert code == 1, output
    assert "1 finding" in output


def test_a_symlink_to_a_repository_keeps_its_spelling(make_repo: Any, tmp_path: Path) -> None:
    repo: Path = make_repo("real")
    commit(repo, {"app.env": f"T={token()}\n"})
    alias = tmp_path / "alias"
    alias.symlink_to(repo, target_is_directory=True)
    code, output = _keysweep(tmp_path, tmp_path, "git", str(alias), "--format", "json")
    assert code == 1, output
    summary = json.loads(output[: output.rindex("}") + 1])["summary"]
    assert summary["roots"] == [str(alias)] and summary["findings"] == 1


def test_a_git_that_answers_nothing_is_one_line(make_repo: Any, tmp_path: Path) -> None:
    repo: Path = make_repo()
    (repo / "a.txt").write_text("a\n")
    git(repo, "add", "a.txt")
    program = shutil.which("true")
    assert program is not None
    code, output = _keysweep(repo, tmp_path, "git", "--staged", GIT_PYTHON_GIT_EXECUTABLE=program)
    assert code == 2, output
    assert "git rev-parse answered 0 lines" in output and output.strip().count("\n") == 0


def test_a_git_that_opens_another_repository_is_refused(make_repo: Any, tmp_path: Path) -> None:
    vetted: Path = make_repo("vetted")
    commit(vetted, {"readme": "clean\n"})
    other: Path = make_repo("other")
    commit(other, {"app.env": f"T={token()}\n"})
    real_git = shutil.which("git")
    assert real_git is not None
    wrapper = tmp_path / "git-elsewhere"
    wrapper.write_text(f'#!/bin/sh\ncd "{other}" && exec "{real_git}" "$@"\n')
    wrapper.chmod(0o755)
    code, output = _keysweep(vetted, tmp_path, "git", GIT_PYTHON_GIT_EXECUTABLE=str(wrapper))
    assert code == 2, output
    found, checked = (os.path.realpath(r / ".git") for r in (other, vetted))
    assert f"git found the repository {found}, not {checked}" in output
