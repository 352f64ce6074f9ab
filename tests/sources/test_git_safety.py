"""A hostile repository runs nothing: every `keysweep git` mode on a repository whose
config and hooks try to execute commands leaves no marker behind.

Each trap is first shown to fire under plain git, so the test cannot pass by
accident."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import cli

HOOKS = [
    "applypatch-msg",
    "pre-applypatch",
    "post-applypatch",
    "pre-commit",
    "pre-merge-commit",
    "prepare-commit-msg",
    "commit-msg",
    "post-commit",
    "pre-rebase",
    "post-checkout",
    "post-merge",
    "pre-push",
    "pre-receive",
    "update",
    "proc-receive",
    "post-receive",
    "post-update",
    "reference-transaction",
    "push-to-checkout",
    "pre-auto-gc",
    "post-rewrite",
    "sendemail-validate",
    "fsmonitor-watchman",
    "p4-changelist",
    "p4-prepare-changelist",
    "p4-post-changelist",
    "p4-pre-submit",
    "post-index-change",
]


def _script(path: Path, markers: Path, name: str) -> Path:
    path.write_text(f"#!/bin/sh\necho ran >> '{markers}/{name}'\nexit 1\n")
    path.chmod(0o755)
    return path


def _git(repo: Path, *args: str, check: bool = True) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=check)
    return done.stdout.strip()


def _signed_commit(repo: Path) -> str:
    """A commit object carrying a (fake) signature, so signature checks would run gpg."""
    tree = _git(repo, "rev-parse", "HEAD^{tree}")
    parent = _git(repo, "rev-parse", "HEAD")
    body = (
        f"tree {tree}\nparent {parent}\n"
        "author A <a@example.test> 1700000000 +0000\n"
        "committer A <a@example.test> 1700000000 +0000\n"
        "gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEz\n -----END PGP SIGNATURE-----\n"
        "\nsigned\n"
    )
    done = subprocess.run(
        ["git", "hash-object", "-t", "commit", "-w", "--stdin"],
        cwd=repo,
        input=body,
        capture_output=True,
        text=True,
        check=True,
    )
    sha = done.stdout.strip()
    _git(repo, "update-ref", "refs/heads/main", sha)
    return sha


@pytest.fixture
def hostile(make_repo: Callable[..., Path], tmp_path: Path) -> tuple[Path, Path]:
    """(repository, markers folder): a repository whose config tries everything."""
    repo = make_repo("hostile")
    markers = tmp_path / "markers"
    markers.mkdir()
    traps = tmp_path / "traps"
    traps.mkdir()
    (repo / ".gitattributes").write_text("* diff=evil filter=evil\n")
    (repo / "a.txt").write_text("first\n")
    (repo / "gone.txt").write_text("this blob will be missing\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "one")
    (repo / "a.txt").write_text("second\n")
    _git(repo, "commit", "-q", "-am", "two")
    _signed_commit(repo)
    missing = _git(repo, "rev-parse", "HEAD:gone.txt")
    (repo / ".git" / "objects" / missing[:2] / missing[2:]).unlink()

    hooks_dir = tmp_path / "evil-hooks"
    hooks_dir.mkdir()
    (repo / ".git" / "hooks").mkdir(exist_ok=True)
    for name in HOOKS:
        _script(repo / ".git" / "hooks" / name, markers, f"hook-{name}")
        _script(hooks_dir / name, markers, f"hookspath-{name}")
    trap = {
        n: _script(traps / n, markers, n)
        for n in (
            "fsmonitor",
            "pager",
            "external-diff",
            "diff-command",
            "textconv",
            "clean",
            "smudge",
            "process",
            "gpg",
            "ssh",
            "askpass",
            "credential",
            "editor",
            "ext",
            "proxy",
        )
    }
    config = {
        "core.repositoryformatversion": "1",
        "extensions.partialClone": "origin",
        "remote.origin.url": f"ext::{trap['ext']}",
        "remote.origin.promisor": "true",
        "protocol.ext.allow": "always",
        "protocol.allow": "always",
        "core.fsmonitor": str(trap["fsmonitor"]),
        "core.hooksPath": str(hooks_dir),
        "core.pager": str(trap["pager"]),
        "pager.log": str(trap["pager"]),
        "diff.external": str(trap["external-diff"]),
        "diff.evil.command": str(trap["diff-command"]),
        "diff.evil.textconv": str(trap["textconv"]),
        "filter.evil.clean": str(trap["clean"]),
        "filter.evil.smudge": str(trap["smudge"]),
        "filter.evil.process": str(trap["process"]),
        "log.showSignature": "true",
        "gpg.program": str(trap["gpg"]),
        "core.sshCommand": str(trap["ssh"]),
        "core.askPass": str(trap["askpass"]),
        "credential.helper": f"!{trap['credential']}",
        "core.editor": str(trap["editor"]),
        "core.gitProxy": str(trap["proxy"]),
    }
    for key, value in config.items():
        _git(repo, "config", key, value)
    (repo / "a.txt").write_text("staged\n")
    subprocess.run(
        [
            "git",
            "-c",
            "core.fsmonitor=false",
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "filter.evil.clean=cat",
            "-c",
            "filter.evil.process=",
            "add",
            "a.txt",
        ],
        cwd=repo,
        check=True,
        capture_output=True,
    )
    return repo, markers


def _fired(markers: Path) -> set[str]:
    return {p.name for p in markers.iterdir()}


def test_the_traps_fire_under_plain_git(hostile: tuple[Path, Path]) -> None:
    repo, markers = hostile
    _git(repo, "status", check=False)
    _git(repo, "log", "-1", check=False)
    _git(repo, "log", "-p", "--no-ext-diff", "HEAD~2..HEAD~1", check=False)
    _git(repo, "diff", "HEAD~2", "HEAD~1", check=False)
    _git(repo, "cat-file", "-p", "HEAD:gone.txt", check=False)
    fired = _fired(markers)
    assert {"fsmonitor", "gpg", "process", "ext"} <= fired, fired


MODES: tuple[list[str], ...] = (
    [],
    ["--all-objects"],
    ["--since", "HEAD~2"],
    ["--range", "HEAD~2..HEAD"],
    ["--branch", "main"],
    ["--staged"],
    ["--ci"],
    ["--pre-push"],
)


@pytest.mark.parametrize("mode", MODES, ids=lambda m: " ".join(m) or "full")
def test_no_keysweep_git_mode_runs_anything_from_the_repository(
    hostile: tuple[Path, Path], mode: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, markers = hostile
    monkeypatch.chdir(repo)
    monkeypatch.setenv("GITHUB_BASE_REF", "main")
    monkeypatch.setenv("PRE_COMMIT_FROM_REF", _git(repo, "rev-parse", "HEAD~2"))
    monkeypatch.setenv("PRE_COMMIT_TO_REF", "HEAD")
    monkeypatch.setenv("PATH", os.environ["PATH"])
    result = CliRunner().invoke(cli, ["git", str(repo), "--no-builtin-rules", "-j", "1", *mode])
    assert result.exit_code in (0, 1, 2), result.stderr
    assert _fired(markers) == set()


def test_baseline_create_from_history_runs_nothing(
    hostile: tuple[Path, Path], tmp_path: Path
) -> None:
    repo, markers = hostile
    out = tmp_path / "baseline.json"
    result = CliRunner().invoke(
        cli, ["baseline", "create", str(repo), "--git", "--no-builtin-rules", "-o", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    assert _fired(markers) == set()
