"""Class 6: the documented CI gate takes config and baseline from the target
branch, so a pull request cannot suppress its own secret."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from hostile_support import private_key_pem, run

DOCS = Path(__file__).resolve().parents[2] / "docs" / "ci.md"


def _recipe() -> str:
    text = DOCS.read_text()
    found = re.search(r"<!-- trusted-settings -->\n```sh\n(.*?)```", text, re.DOTALL)
    assert found, "docs/ci.md lost its trusted-settings block"
    return found.group(1)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_a_pull_request_cannot_suppress_its_own_secret(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / ".keysweep.yaml").write_text("fail_on: medium\n")
    (repo / "README").write_text("hello\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "base")
    _git(repo, "update-ref", "refs/remotes/origin/main", "main")
    _git(repo, "checkout", "-qb", "pr")
    (repo / "deploy.pem").write_bytes(private_key_pem())
    _git(repo, "add", "deploy.pem")
    _git(repo, "commit", "-qm", "add a key")
    # the pull request also baselines its key and allowlists its path
    made = run(repo, "baseline", "create", "--git", "-o", ".keysweep-baseline.json", fmt=False)
    assert made.code == 0, made.stderr
    (repo / ".keysweep.yaml").write_text("fail_on: critical\nallow_paths: ['*.pem']\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "suppress it")

    env = {**os.environ, "GITHUB_BASE_REF": "main"}
    naive = run(repo, "git", "--ci", "--baseline", ".keysweep-baseline.json", fmt=False)
    assert naive.code == 0  # what reading settings from the checkout would allow

    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env["PATH"]
    env["KEYSWEEP_CACHE_DIR"] = str(tmp_path / "cache")
    gate = subprocess.run(
        ["sh", "-c", _recipe()], cwd=repo, env=env, capture_output=True, text=True, timeout=120
    )
    assert gate.returncode == 1, gate.stderr
    assert "deploy.pem" in (repo / "keysweep.sarif").read_text()
