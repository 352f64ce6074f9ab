"""Stores git reads that `scan` and `sweep` used to pass over in silence, and what
no commit holds: a repository's own config files, and its submodules' stores.

Each case is a real repository made with the git CLI, with a token committed and
then deleted (or written into `.git/config` as `git clone https://…:TOKEN@…`
leaves it), scanned by the real CLI. Tokens are generated at test time.
"""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support import checksummed, commit, git

from scanner.cli import cli

GITHUB = "vcs.github-pat-classic"
UNSCANNED = "unscanned-content"


def keysweep(out: Path, *argv: str, home: Path | None = None) -> tuple[int, dict[str, Any]]:
    """The real CLI's exit code and JSON report (HOME set for a sweep)."""
    report = out / "report.json"
    report.unlink(missing_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        if home is not None:
            patch.setenv("HOME", str(home))
        args = [*argv, "--format", "json", "-o", str(report)]
        if argv[0] == "sweep":
            args += ["--no-progress", "--normal-priority"]
        result = CliRunner().invoke(cli, args)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(report.read_text())


def found(report: dict[str, Any], rule: str = GITHUB) -> list[str]:
    """Every place of the rule's findings (one secret in two files is one finding)."""
    places = (p for f in report["findings"] if f["rule"] == rule for p in f["locations"])
    return sorted({p["path"] for p in places})


def deleted_token(repo: Path) -> str:
    """A repository whose history holds a token committed and then deleted."""
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    commit(repo, {"README": "hi\n"}, "start")
    secret = checksummed("ghp_")
    commit(repo, {"app.env": f"TOKEN={secret}\n"}, "leak")
    commit(repo, {"app.env": None}, "remove")
    return secret


def objects_linked_out(app: Path, elsewhere: Path) -> Path:
    """A history with a token deleted, whose `.git/objects` is moved to `elsewhere`
    and linked back (as Android's `repo` lays out a checkout); the moved folder."""
    deleted_token(app)
    kept = elsewhere / "objects"
    elsewhere.mkdir()
    (app / ".git" / "objects").rename(kept)
    (app / ".git" / "objects").symlink_to(kept)
    return kept


def test_objects_linked_out_of_the_root_are_read_and_said_so(tmp_path: Path) -> None:
    """Android's `repo` links `.git/objects` into `.repo/`: git reads it, so do we."""
    app = tmp_path / "app"
    kept = objects_linked_out(app, tmp_path / "elsewhere")

    for command in ("scan", "sweep"):
        code, report = keysweep(tmp_path, command, str(app))
        assert code == 1 and found(report) != [], command
        notes = [e["message"] for e in report["errors"]]
        assert any("symbolic links out of the scanned folder (objects)" in m for m in notes)
        assert str(kept) not in json.dumps(report)  # the link's target is never named

    code, report = keysweep(tmp_path, "scan", str(tmp_path))  # the link stays inside the root
    assert code == 1 and found(report) == ["app/app.env"]
    assert report["errors"] == []


def test_a_linked_dot_git_inside_the_root_is_read_and_outside_is_unscanned(
    tmp_path: Path,
) -> None:
    store = tmp_path / "stores" / "app.git"
    app = tmp_path / "work" / "app"
    deleted_token(app)
    store.parent.mkdir()
    (app / ".git").rename(store)
    (app / ".git").symlink_to(store)

    code, report = keysweep(tmp_path, "scan", str(app))
    assert code == 1 and found(report) == []
    [unscanned] = [f for f in report["findings"] if f["rule"] == UNSCANNED]
    assert unscanned["path"] == "."
    assert ".git is a symbolic link out of the scanned folder" in unscanned["message"]
    assert str(store) not in unscanned["message"]

    code, report = keysweep(tmp_path, "scan", str(tmp_path))
    assert code == 1 and GITHUB in {f["rule"] for f in report["findings"]}
    assert found(report, UNSCANNED) == []


def test_a_symbolic_head_is_read(tmp_path: Path) -> None:
    """`core.preferSymlinkRefs`: HEAD is a link to `refs/heads/main`."""
    app = tmp_path / "app"
    deleted_token(app)
    (app / ".git" / "HEAD").unlink()
    (app / ".git" / "HEAD").symlink_to("refs/heads/main")

    code, report = keysweep(tmp_path, "scan", str(app))
    assert code == 1 and found(report) == ["app.env"]


def test_a_store_part_linked_to_nothing_is_unscanned_content(tmp_path: Path) -> None:
    app = tmp_path / "app"
    deleted_token(app)
    objects = app / ".git" / "objects"
    objects.rename(tmp_path / "gone")
    objects.symlink_to(tmp_path / "nowhere")

    code, report = keysweep(tmp_path, "scan", str(app))
    assert code == 1
    [unscanned] = [f for f in report["findings"] if f["rule"] == UNSCANNED]
    assert ".git/objects is a symbolic link" in unscanned["message"]


def test_a_linked_store_the_vetting_refuses_is_unscanned_content(tmp_path: Path) -> None:
    """A linked `objects/` holding a FIFO: refused as `keysweep git` refuses it,
    and never a silent pass."""
    app = tmp_path / "app"
    kept = objects_linked_out(app, tmp_path / "elsewhere")
    os.mkfifo(kept / "info" / "trap")

    code, report = keysweep(tmp_path, "scan", str(app))
    assert code == 1
    [unscanned] = [f for f in report["findings"] if f["rule"] == UNSCANNED]
    assert unscanned["message"].startswith("git history not scanned")
    assert "symbolic links in its git dir: objects" in unscanned["message"]


def token_in_config(repo: Path) -> str:
    """`git clone https://x-access-token:TOKEN@github.com/…` leaves the token in the
    remote's URL; nothing is ever committed."""
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    secret = checksummed("ghp_")
    git(repo, "remote", "add", "origin", f"https://x-access-token:{secret}@github.com/org/app.git")
    commit(repo, {"a.txt": "nothing\n"}, "start")
    return secret


def test_a_token_in_a_repositorys_config_is_found_by_a_sweep(tmp_path: Path) -> None:
    home = tmp_path / "home"
    app = home / "src" / "app"
    secret = token_in_config(app)

    code, report = keysweep(tmp_path, "sweep", home=home)
    assert code == 1 and found(report) == ["~/src/app/.git/config"]
    [finding] = report["findings"]
    assert finding["repository"] == "~/src/app"
    assert str(home) not in json.dumps(report) and secret not in json.dumps(report)
    code, report = keysweep(tmp_path, "sweep", "--exclude", ".git/config", home=home)
    assert (code, found(report)) == (0, [])


def test_a_scan_leaves_the_configs_to_the_sweep(tmp_path: Path) -> None:
    """A CI checkout keeps the job's own token in `.git/config` (`actions/checkout`
    writes an `http.extraheader`): a gate on what is committed does not read it."""
    app = tmp_path / "src" / "app"
    token_in_config(app)
    for argv in (("scan", str(tmp_path / "src")), ("scan", str(app)), ("git", str(app))):
        code, report = keysweep(tmp_path, *argv)
        assert (code, found(report)) == (0, []), argv


def test_the_configs_of_worktrees_submodules_and_bare_stores(tmp_path: Path) -> None:
    root = tmp_path / "work"
    app = root / "app"
    token_in_config(app)
    git(app, "config", "extensions.worktreeConfig", "true")
    git(app, "worktree", "add", "-q", str(root / "feature"))
    header = f"Authorization: Bearer {checksummed('ghp_')}"
    git(root / "feature", "config", "--worktree", "http.extraHeader", header)
    git(root, "clone", "-q", "--bare", str(app), str(root / "mirror.git"))
    git(
        root / "mirror.git",
        "config",
        "remote.origin.url",
        git(app, "remote", "get-url", "origin"),
    )
    sub = tmp_path / "sub-src"
    token_in_config(sub)
    git(app, "-c", "protocol.file.allow=always", "submodule", "-q", "add", str(sub), "sub")
    modules_config = app / ".git" / "modules" / "sub" / "config"
    modules_config.write_text(modules_config.read_text() + (sub / ".git" / "config").read_text())

    code, report = keysweep(tmp_path, "sweep", str(root), home=tmp_path / "nohome")
    assert code == 1
    shown = [path.split("/work/", 1)[-1] for path in found(report)]
    assert shown == [
        "app/.git/config",
        "app/.git/modules/sub/config",
        "app/.git/worktrees/feature/config.worktree",
        "mirror.git/config",
    ]


def test_a_config_linked_out_of_the_root_is_named_and_not_read(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    git(app, "init", "-q")
    commit(app, {"a.txt": "nothing\n"}, "start")
    outside = tmp_path / "outside.cfg"
    outside.write_bytes((app / ".git" / "config").read_bytes())
    (app / ".git" / "config").unlink()
    (app / ".git" / "config").symlink_to(outside)

    code, report = keysweep(tmp_path, "sweep", str(app), home=tmp_path / "nohome")
    assert code == 0
    [note] = [e for e in report["errors"] if e["path"].endswith("app/.git/config")]
    assert "symbolic link" in note["message"] and str(outside) not in note["message"]


def test_a_damaged_blob_is_unscanned_content(tmp_path: Path) -> None:
    """The loose object holding the token, padded: git refuses it; the gate fails."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    commit(repo, {"README": "hi\n"}, "start")
    secret = checksummed("ghp_")
    commit(repo, {"app.env": f"TOKEN={secret}\n"}, "leak")
    blob = git(repo, "rev-parse", "HEAD:app.env")
    loose = repo / ".git" / "objects" / blob[:2] / blob[2:]
    raw = zlib.decompress(loose.read_bytes())
    loose.chmod(0o644)
    loose.write_bytes(zlib.compress(raw + b"#pad\n"))

    for argv in (
        ["git", str(repo)],
        ["git", "--all-objects", str(repo)],
        ["git", "-j", "2", str(repo)],
    ):
        code, report = keysweep(tmp_path, *argv)
        assert code == 1, argv
        [unscanned] = [f for f in report["findings"] if f["rule"] == UNSCANNED]
        assert unscanned["path"] == "app.env" and blob in unscanned["message"]
        assert secret not in json.dumps(report) and "TOKEN" not in unscanned["message"]


def test_git_reads_the_submodules_stores(tmp_path: Path) -> None:
    src = tmp_path / "src"
    deleted_token(src)
    superproject = tmp_path / "super"
    superproject.mkdir()
    git(superproject, "init", "-q")
    commit(superproject, {"README": "hi\n"}, "start")
    git(superproject, "-c", "protocol.file.allow=always", "submodule", "-q", "add", str(src), "sub")
    git(superproject, "commit", "-q", "-m", "sub")

    code, report = keysweep(tmp_path, "git", str(superproject))
    assert code == 1 and found(report) == [".git/modules/sub/app.env"]
    assert found(keysweep(tmp_path, "git", str(superproject), "--since", "HEAD~1")[1]) == []
