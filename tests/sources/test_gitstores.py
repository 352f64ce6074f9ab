"""Git stores found by `sweep` and `scan`: every history under the roots, each blob once.

A fake home holds a project whose history has a retired key committed and then
deleted, a stash holding a token, and a second clone sharing its objects with an
unpushed branch of its own; a bare mirror, a linked worktree and a submodule sit
beside them. Keys and tokens are generated at test time.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from support import checksummed, commit, git

from scanner.cli import cli
from scanner.sources.gitstores import GitStores
from scanner.suppress import PathMatcher


def github_token() -> str:
    return checksummed("ghp_")


def commit_file(repo: Path, rel: str, text: str | bytes, message: str) -> str:
    return commit(repo, {rel: text}, message)


class Home:
    """The fake home and what was planted where."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.src = root / "src"
        self.src.mkdir(parents=True)
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.stashed = github_token()
        self.unpushed = github_token()
        self.mirrored = github_token()
        self.key_commit = ""
        self.wip_commit = ""

    def spki(self) -> str:
        der = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return hashlib.sha256(der).hexdigest()

    def build(self) -> None:
        project = self.src / "a-project"
        project.mkdir()
        git(project, "init", "-q")
        commit_file(project, "app.py", "print('hello')\n", "start")
        pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self.key_commit = commit_file(project, "deploy/signing.pem", pem, "add key")
        git(project, "rm", "-q", "deploy/signing.pem")
        git(project, "commit", "-q", "-m", "remove key")
        (project / "settings.txt").write_text(f"token = {self.stashed}\n")
        git(project, "add", "settings.txt")
        git(project, "stash", "-q")
        clone = self.src / "b-clone"
        git(self.src, "clone", "-q", "--no-hardlinks", str(project), str(clone))
        git(clone, "checkout", "-q", "-b", "wip")
        self.wip_commit = commit_file(clone, "notes.txt", f"{self.unpushed}\n", "wip")
        mirror = self.src / "c-mirror.git"
        git(self.root, "clone", "-q", "--bare", str(project), str(mirror))
        self._mirror_only_commit(mirror)
        git(project, "worktree", "add", "-q", str(self.root / "trees" / "feature"))

    def _mirror_only_commit(self, mirror: Path) -> None:
        scratch = self.root / "scratch"
        git(self.root, "clone", "-q", str(mirror), str(scratch))
        commit_file(scratch, "ci.env", f"TOKEN={self.mirrored}\n", "ci")
        git(scratch, "push", "-q", "origin", "HEAD")
        shutil.rmtree(scratch)

    def registry(self) -> Path:
        document = {
            "schema": "keysweep/key-registry/v1",
            "registry": {
                "name": "history test",
                "secret_hash": {"alg": "scrypt", "salt": "gitstores:v1", "n": 1024, "r": 8, "p": 1},
            },
            "people": [],
            "keys": [
                {
                    "id": "key-deploy-2019",
                    "kind": "asymmetric",
                    "purpose": "code-signing",
                    "algorithm": "RS256",
                    "state": "deactivated",
                    "dates": {"deactivated": "2024-06-30"},
                    "fingerprints": {"spki_sha256": self.spki()},
                }
            ],
        }
        path = self.root.parent / "registry.json"
        path.write_text(json.dumps(document))
        return path


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    made = Home(tmp_path_factory.mktemp("gitstores") / "home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GIT_CONFIG_NOSYSTEM", "1")
        made.build()
    return made


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    seen: dict[str, tuple[int, int]] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            info = os.lstat(os.path.join(folder, name))
            seen[os.path.join(folder, name)] = (info.st_size, info.st_mtime_ns)
    return seen


@pytest.fixture(scope="module")
def swept(home: Home, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("out") / "report.json"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home.root))
        before = snapshot(home.root)
        result = CliRunner().invoke(
            cli,
            [
                "sweep",
                "--registry",
                str(home.registry()),
                "--no-progress",
                "--normal-priority",
                "-j",
                "2",
                "--output",
                str(out),
            ],
        )
        after = snapshot(home.root)
    return {
        "code": result.exit_code,
        "output": result.output,
        "report": json.loads(out.read_text()) if out.exists() else {},
        "changed": sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k)),
    }


def places(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Every place of every finding (a secret both checked out and in history is
    one finding with a file place and a git place)."""
    return [p for f in report["findings"] for p in f["locations"]]


def history(report: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [p for p in places(report) if p["rule"] == rule and p["source"] == "git"]


def test_the_sweep_reads_history_and_writes_nothing(swept: dict[str, Any]) -> None:
    assert swept["code"] == 1, swept["output"]
    assert swept["changed"] == []
    assert swept["report"]["summary"]["skipped"].get("duplicate-blob", 0) > 0


def test_a_retired_key_deleted_from_history_is_critical(home: Home, swept: dict[str, Any]) -> None:
    found = [f for f in swept["report"]["findings"] if f["path"].endswith("deploy/signing.pem")]
    assert len(found) == 1, found  # the clones, the mirror and the worktree share this blob
    key = found[0]
    assert key["severity"] == "critical"
    assert key["registry"]["verdict"] == "retired-key-present"
    assert key["repository"] == "~/src/a-project"
    assert key["path"] == "~/src/a-project/deploy/signing.pem"
    assert key["commit"] == home.key_commit
    assert key["at_head"] is False


def test_a_stash_and_an_unpushed_branch_are_found_once(home: Home, swept: dict[str, Any]) -> None:
    tokens = history(swept["report"], "vcs.github-pat-classic")
    by_file = {f["path"].rsplit("/", 1)[-1]: f for f in tokens}
    # the stash's blob sits in all three stores (a clone copies a local project's
    # objects, unreachable ones too): read once, and each store is named as a place
    assert sorted(f["path"] for f in tokens) == sorted(
        [
            "~/src/a-project/settings.txt",
            "~/src/b-clone/settings.txt",
            "~/src/c-mirror.git/settings.txt",
            "~/src/b-clone/notes.txt",
            "~/src/c-mirror.git/ci.env",
        ]
    )
    stashed = [f for f in swept["report"]["findings"] if f["path"].endswith("settings.txt")]
    assert len(stashed) == 1  # one secret, one finding, three places
    assert by_file["settings.txt"]["commit"]  # the stash's commit
    assert by_file["notes.txt"]["repository"] == "~/src/b-clone"
    assert by_file["notes.txt"]["commit"] == home.wip_commit
    assert by_file["ci.env"]["repository"] == "~/src/c-mirror.git"
    repositories = {p["path"]: p["repository"] for p in tokens}
    assert repositories["~/src/a-project/settings.txt"] == "~/src/a-project"
    assert repositories["~/src/b-clone/settings.txt"] == "~/src/b-clone"


def test_no_secret_appears_in_the_report(home: Home, swept: dict[str, Any]) -> None:
    text = json.dumps(swept["report"])
    for secret in (home.stashed, home.unpushed, home.mirrored):
        assert secret not in text and secret[10:] not in text


def test_each_store_is_found_once(home: Home) -> None:
    found = GitStores([home.root], display="home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home.root))
        from scanner.sources.gitstores import find_stores

        stores = [
            s
            for s in find_stores(home.root, PathMatcher(()), found._show)
            if not isinstance(s, str)
        ]
    shown = sorted(getattr(s, "display", "") for s in stores)
    # the worktree is its project's store, found a second time; it is scanned once
    assert shown == ["~/src/a-project", "~/src/b-clone", "~/src/c-mirror.git", "~/trees/feature"]
    commons = {getattr(s, "common_dir", None) for s in stores}
    assert len(commons) == 3


def test_scan_finds_history_under_a_folder_and_can_leave_it(home: Home) -> None:
    runner = CliRunner()
    argv = ["scan", str(home.src), "--format", "json", "--fail-on", "critical"]
    with_history = json.loads(runner.invoke(cli, argv).stdout)
    paths = {p["path"] for p in places(with_history) if p["source"] == "git"}
    assert {"a-project/deploy/signing.pem", "b-clone/notes.txt"} <= paths
    assert {p["repository"] for p in places(with_history)} >= {"a-project", "b-clone"}
    without = json.loads(runner.invoke(cli, [*argv, "--no-git-history"]).stdout)
    assert [p for p in places(without) if p["source"] == "git"] == []


def test_a_store_git_cannot_read_is_a_warning(tmp_path: Path) -> None:
    broken = tmp_path / "broken.git"
    (broken / "objects").mkdir(parents=True)
    (broken / "refs").mkdir()
    (broken / "HEAD").write_text("this is not a ref\n")
    (tmp_path / "note.txt").write_text(f"{github_token()}\n")
    result = CliRunner().invoke(cli, ["scan", str(tmp_path), "--format", "json"])
    report = json.loads(result.stdout)
    assert result.exit_code == 1  # the file's token is still found
    assert any(e["path"] == "broken.git" for e in report["errors"]), report["errors"]


def test_a_hostile_repository_runs_nothing(tmp_path: Path) -> None:
    repo = tmp_path / "hostile"
    repo.mkdir()
    git(repo, "init", "-q")
    commit_file(repo, "a.txt", f"{github_token()}\n", "one")
    marker = tmp_path / "ran"
    script = tmp_path / "evil.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\n")
    script.chmod(0o755)
    for key in ("core.fsmonitor", "core.pager", "diff.external", "core.sshCommand"):
        git(repo, "config", key, str(script))
    result = CliRunner().invoke(cli, ["scan", str(tmp_path), "--format", "json"])
    assert result.exit_code == 1
    assert not marker.exists()


def test_a_damaged_store_is_a_warning_that_never_names_the_home_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    repo = home / "work" / "damaged"
    repo.mkdir(parents=True)
    git(repo, "init", "-q")
    commit_file(repo, "a.txt", "one\n", "one")
    commit_file(repo, "b.txt", f"{github_token()}\n", "two")
    tree = git(repo, "rev-parse", "HEAD~1^{tree}").strip()
    (repo / ".git" / "objects" / tree[:2] / tree[2:]).unlink()
    out = tmp_path / "report.json"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home))
        result = CliRunner().invoke(
            cli, ["sweep", "--no-progress", "--normal-priority", "--output", str(out)]
        )
    report = json.loads(out.read_text())
    assert result.exit_code == 1, result.output  # the token of the readable commit
    assert report["errors"], "the damage is reported"
    assert str(home) not in out.read_text()
    assert {e["path"] for e in report["errors"]} >= {"~/work/damaged"}
    assert all(e["path"].startswith("~/") for e in report["errors"])


def test_a_stop_signal_ends_the_search_for_stores(tmp_path: Path) -> None:
    """The search of a large home folder scans nothing until it finds a store:
    a stop signal the scan has noted ends it at the next folder."""
    import signal

    from scanner import bounds
    from scanner.sources.gitstores import find_stores

    for n in range(50):
        (tmp_path / f"d{n}" / "inner").mkdir(parents=True)
    walk = find_stores(tmp_path, PathMatcher(()), lambda root, path: str(path))
    assert list(walk) == []
    with bounds.StopSignals():
        os.kill(os.getpid(), signal.SIGTERM)  # noted, not raised: no scan slice is running
        with pytest.raises(bounds.Interrupted):
            next(find_stores(tmp_path, PathMatcher(()), lambda root, path: str(path)))
