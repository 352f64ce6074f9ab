"""The published `keysweep-commit-msg` hook under the real pre-commit framework:
installed with `pre-commit install -t commit-msg`, it refuses a commit whose
message holds a token before the commit exists, and lets a clean message
through. (The snapshot of this checkout and the user's repository are made as
for the other published hooks: `cli/test_precommit_hooks.py`.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from cli.test_precommit_hooks import PRE_COMMIT, _env, _git, _run, hook_repo, user_repo
from support import checksummed, keysweep_with_token_rule, token

__all__ = ["hook_repo", "user_repo"]  # fixtures, used by name


@pytest.mark.slow
def test_the_commit_msg_hook_refuses_a_message_with_a_token(
    hook_repo: tuple[Path, str, Path], user_repo: Path
) -> None:
    source, rev, home = hook_repo
    env = _env(home)
    (user_repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {source}\n    rev: {rev}\n    hooks:\n      - id: keysweep-commit-msg\n"
    )
    _git(user_repo, "add", ".pre-commit-config.yaml")
    assert _run(user_repo, *PRE_COMMIT, "install", "-t", "commit-msg", env=env).returncode == 0
    before = _git(user_repo, "rev-parse", "HEAD")
    secret = checksummed("ghp_")

    refused = _run(user_repo, "git", "commit", "-m", f"deploy; used GITHUB_TOKEN={secret}", env=env)

    said = refused.stdout + refused.stderr
    assert refused.returncode == 1, said
    assert "keysweep (commit message)" in said and "COMMIT_EDITMSG:1:" in said
    assert secret not in said
    assert _git(user_repo, "rev-parse", "HEAD") == before
    passed = _run(user_repo, "git", "commit", "-m", "add the hooks", env=env)
    assert passed.returncode == 0, passed.stdout + passed.stderr


def test_scan_reads_a_message_file_inside_git_named_on_its_command_line(tmp_path: Path) -> None:
    """What the hook runs: `keysweep scan .git/COMMIT_EDITMSG` (the walk never
    enters `.git`; a file named there is read)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    secret = token()
    (repo / ".git" / "COMMIT_EDITMSG").write_text(f"fix\n\nused {secret}\n")

    code, output = keysweep_with_token_rule(repo, tmp_path, "scan", ".git/COMMIT_EDITMSG")

    assert code == 1 and ".git/COMMIT_EDITMSG:3:6" in output
    assert secret not in output
