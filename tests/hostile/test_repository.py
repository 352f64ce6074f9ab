"""Class 4: a repository and its own config cannot be turned against the scanner."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from hostile_support import private_key_pem, run


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "id.pem").write_bytes(private_key_pem())
    subprocess.run(["git", "-C", str(repo), "add", "id.pem"], check=True)
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", "add"], check=True)
    return repo


def _append_config(repo: Path, text: str) -> None:
    with (repo / ".git" / "config").open("a") as handle:  # not `git config`: it would read it
        handle.write(text)


@pytest.mark.parametrize(
    ("section", "target"),
    [("include", "fifo"), ("include", "/dev/zero"), ('includeIf "gitdir:/"', "fifo")],
)
def test_a_config_include_of_a_fifo_or_device_is_refused(
    tmp_path: Path, section: str, target: str
) -> None:
    repo = _repo(tmp_path)
    if target == "fifo":
        os.mkfifo(tmp_path / "fifo")
        target = str(tmp_path / "fifo")
    _append_config(repo, f"[{section}]\n\tpath = {target}\n")
    result = run(repo, "git", ".", fmt=False)
    result.bounded()
    assert result.seconds < 30
    assert result.code == 2, result.stderr
    assert "not a regular file" in result.stderr


@pytest.mark.parametrize("key", ["mailmap.file", "core.attributesFile", "core.excludesFile"])
def test_file_valued_settings_never_reach_a_fifo(tmp_path: Path, key: str) -> None:
    repo = _repo(tmp_path)
    os.mkfifo(tmp_path / "fifo")
    section, name = key.split(".")
    _append_config(repo, f"[{section}]\n\t{name} = {tmp_path / 'fifo'}\n")
    result = run(repo, "git", ".")
    result.bounded()
    assert result.seconds < 30
    assert result.code == 1, result.stderr
    assert "key.pkcs8" in result.rules()


@pytest.mark.parametrize("where", ["commondir", "refs/heads/evil", "packed-refs", "shallow"])
def test_repository_files_that_are_fifos_are_refused(tmp_path: Path, where: str) -> None:
    repo = _repo(tmp_path)
    if where == "commondir":
        os.mkfifo(tmp_path / "fifo")
        (repo / ".git" / "commondir").write_text(str(tmp_path / "fifo"))
    else:
        os.mkfifo(repo / ".git" / where)
    result = run(repo, "git", ".", fmt=False)
    result.bounded()
    assert result.seconds < 30
    assert result.code == 2, result.stderr


def test_a_repository_owned_by_another_user_needs_trust(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("changing a folder's owner needs root")
    repo = _repo(tmp_path)
    os.chown(repo, 65534, 65534)
    refused = run(repo, "git", ".", fmt=False)
    assert refused.code == 2, refused.stderr
    assert "--trust-repo-owner" in refused.stderr
    trusted = run(repo, "git", ".", "--trust-repo-owner")
    trusted.bounded()
    assert trusted.code == 1, trusted.stderr


@pytest.mark.parametrize(
    "setting",
    [
        "jobs: 100000",
        "archive_max_bytes: 107374182400",
        "max_file_size: 107374182400",
        "archive_max_members: 100000000",
        "registry: /dev/zero",
        "baseline: ../outside.json",
        "rules: [/etc]",
        "follow_symlinks: true",
    ],
)
def test_a_repository_config_may_not_loosen_limits(tmp_path: Path, setting: str) -> None:
    repo = _repo(tmp_path)
    (tmp_path / "outside.json").write_text("{}")
    (repo / ".keysweep.yaml").write_text(setting + "\n")
    result = run(repo, "scan", ".", fmt=False)
    result.bounded()
    assert result.code == 2, result.stderr
    assert ".keysweep.yaml" in result.stderr
    (repo / "own.yaml").write_text("archive_max_bytes: 1000\n")
    tighter = run(repo, "scan", ".", "--config", "own.yaml")
    assert tighter.code == 1


def test_a_repository_registry_that_is_a_fifo_is_refused(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    os.mkfifo(repo / "registry.yaml")
    (repo / ".keysweep.yaml").write_text("registry: registry.yaml\n")
    result = run(repo, "scan", ".", fmt=False)
    result.bounded()
    assert result.code == 2, result.stderr


def test_a_broken_pyproject_is_exit_2(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "pyproject.toml").write_text("[tool.keysweep\nfail_on = 'low'\n")
    result = run(repo, "scan", ".", fmt=False)
    assert result.code == 2, result.stderr
    assert "pyproject.toml" in result.stderr
