"""A pre-commit hook finds its repository once: `keysweep git --staged` looks for
the repository where it was started (to read the config at its top) and the git
source then starts from that top; the second search asked git and vetted the
files again for the same answer. Run through a real `git commit` whose installed
hook runs the console script, with keysweep's git logging every command line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support import TOKEN_RULE, commit, git, token

DISCOVERY = "--absolute-git-dir"
"""Only discovery's rev-parse asks for this."""


def _logging_git(tmp_path: Path) -> tuple[Path, Path]:
    real_git = shutil.which("git")
    assert real_git is not None
    log = tmp_path / "git-calls.log"
    wrapper = tmp_path / "git-logged"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{real_git}" "$@"\n')
    wrapper.chmod(0o755)
    return wrapper, log


def _install_hook(repo: Path, tmp_path: Path, wrapper: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(TOKEN_RULE)
    keysweep = Path(sys.executable).with_name("keysweep")
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text(
        "#!/bin/sh\n"
        f'GIT_PYTHON_GIT_EXECUTABLE="{wrapper}" KEYSWEEP_CACHE_DIR="{tmp_path / "cache"}" '
        f'exec "{keysweep}" git --staged --no-builtin-rules --rules "{rules}" -j 1\n'
    )
    hook.chmod(0o755)


def _commit(repo: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "KEYSWEEP_DEBUG"}
    return subprocess.run(
        ["git", "commit", "-qm", "change"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_the_hook_discovers_its_repository_once(make_repo: Any, tmp_path: Path) -> None:
    repo: Path = make_repo()
    commit(repo, {"readme": "clean\n"})
    wrapper, log = _logging_git(tmp_path)
    _install_hook(repo, tmp_path, wrapper)

    (repo / "app.py").write_text("x = 1\n")
    git(repo, "add", "app.py")
    done = _commit(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    calls = log.read_text().splitlines()
    assert sum(DISCOVERY in line for line in calls) == 1, calls

    # the one discovery still gates: a staged secret stops the commit
    log.unlink()
    (repo / "app.env").write_text(f"T={token()}\n")
    git(repo, "add", "app.env")
    done = _commit(repo)
    assert done.returncode != 0 and "test.kswtest-token" in done.stdout + done.stderr
    assert sum(DISCOVERY in line for line in log.read_text().splitlines()) == 1


def test_discovery_checks_still_run_for_each_command(
    make_repo: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer lives for one command: the next run asks git again (each run of
    the hook is a new process, and a library caller's scans in one process too)."""
    from scanner.sources.gitsafe import discover, discovering_once

    repo: Path = make_repo()
    commit(repo, {"readme": "clean\n"})
    wrapper, log = _logging_git(tmp_path)
    monkeypatch.setenv("GIT_PYTHON_GIT_EXECUTABLE", str(wrapper))
    with discovering_once():
        first = discover(repo / ".git" / "refs")
        assert discover(first.work_tree or first.git_dir) is first
    with discovering_once():
        discover(repo)
    discover(repo)
    discover(repo)
    assert sum(DISCOVERY in line for line in log.read_text().splitlines()) == 4
