"""What the caller's environment and a damaged store can do to a git scan.

An inherited GIT_COMMON_DIR (or GIT_DIR, GIT_WORK_TREE) must not make git read
another repository once the one to scan is named; and a staged or history scan
that could read none of its blobs did not scan, so it stops with exit 2 and one
line instead of passing with warnings. Real repositories, the real console script.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support import TOKEN_RULE, commit, git, keysweep_with_token_rule, token

from scanner.cli import cli
from scanner.sources import gitblobs
from scanner.sources.git import NOT_IN_CLONE, _holds_promised


def _keysweep(cwd: Path, tmp_path: Path, *args: str, **env: str) -> tuple[int, str]:
    return keysweep_with_token_rule(cwd, tmp_path, *args, env=env)


def _drop_objects(repo: Path, *shas: str) -> None:
    for sha in shas:
        (repo / ".git" / "objects" / sha[:2] / sha[2:]).unlink()


@pytest.fixture
def staged_secret(make_repo: Any) -> Path:
    repo: Path = make_repo("repo")
    commit(repo, {"readme": "hello\n"})
    (repo / "app.env").write_text(f"T={token()}\n")
    git(repo, "add", "app.env")
    return repo


@pytest.mark.parametrize("name", ["GIT_COMMON_DIR", "GIT_DIR", "GIT_WORK_TREE"])
def test_an_inherited_repository_variable_does_not_redirect_the_scan(
    staged_secret: Path, make_repo: Any, tmp_path: Path, name: str
) -> None:
    elsewhere: Path = make_repo("elsewhere.git", bare=True)
    code, output = _keysweep(staged_secret, tmp_path, "git", "--staged", **{name: str(elsewhere)})
    assert code == 1, output
    assert "app.env" in output and "0 warnings" in output


def test_a_staged_scan_that_reads_no_blob_is_exit_2(make_repo: Any, tmp_path: Path) -> None:
    repo: Path = make_repo()
    for name in ("a.txt", "b.txt"):
        (repo / name).write_text(f"{name}\n")
    git(repo, "add", "a.txt", "b.txt")
    _drop_objects(repo, git(repo, "rev-parse", ":a.txt"), git(repo, "rev-parse", ":b.txt"))
    code, output = _keysweep(repo, tmp_path, "git", "--staged")
    assert code == 2, output
    assert "git could read none of the 2 staged files" in output
    assert output.strip().count("\n") == 0


def test_a_history_scan_that_reads_no_blob_is_exit_2(make_repo: Any, tmp_path: Path) -> None:
    repo: Path = make_repo()
    commit(repo, {"a.txt": f"T={token()}\n"})
    _drop_objects(repo, git(repo, "rev-parse", "HEAD:a.txt"))
    code, output = _keysweep(repo, tmp_path, "git")
    assert code == 2, output
    assert "git could read none of the 1 blobs in history" in output


def test_one_readable_blob_keeps_the_scan_going(make_repo: Any, tmp_path: Path) -> None:
    repo: Path = make_repo()
    commit(repo, {"a.txt": "nothing\n", "b.env": f"T={token()}\n"})
    _drop_objects(repo, git(repo, "rev-parse", "HEAD:a.txt"))
    code, output = _keysweep(repo, tmp_path, "git")
    assert code == 1, output
    assert "b.env" in output and "missing object" in output


def test_a_folder_scan_warns_about_the_unreadable_store_and_scans_the_rest(
    make_repo: Any, tmp_path: Path
) -> None:
    repo: Path = make_repo()
    commit(repo, {"a.txt": "nothing\n"})
    _drop_objects(repo, git(repo, "rev-parse", "HEAD:a.txt"))
    (tmp_path / "app.env").write_text(f"T={token()}\n")
    code, output = _keysweep(tmp_path, tmp_path, "scan", ".")
    assert code == 1, output
    assert "app.env" in output
    assert "repo: git history not scanned:" in output and "could read none of the 1" in output


def test_a_relative_index_file_is_read_from_the_work_tree(
    staged_secret: Path, tmp_path: Path
) -> None:
    """git runs hooks at the work tree's top and names the index relative to it;
    a hook that changes folder first still scans the staged files."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code, output = _keysweep(
        elsewhere, tmp_path, "git", "--staged", str(staged_secret), GIT_INDEX_FILE=".git/index"
    )
    assert code == 1, output
    assert "app.env" in output


def test_an_index_file_that_is_not_there_is_exit_2(staged_secret: Path, tmp_path: Path) -> None:
    code, output = _keysweep(
        staged_secret, tmp_path, "git", "--staged", GIT_INDEX_FILE=".git/no-such-index"
    )
    assert code == 2, output
    assert len(output.strip().splitlines()) == 1 and "GIT_INDEX_FILE" in output


def _partial_clone(make_repo: Any, tmp_path: Path, *, filtered: str = "") -> Path:
    """A clone over file:// of a history whose first commit held a token that the
    tip deleted: with `--filter=blob:none` only the tip's blobs come along, with
    `--filter=tree:0` only the tip's trees and blobs."""
    source: Path = make_repo("source")
    git(source, "config", "uploadpack.allowFilter", "true")
    commit(source, {"old.env": f"T={token()}\n", "a.txt": "one\n"})
    commit(source, {"old.env": None, "a.txt": "two\n"})
    clone = tmp_path / "clone"
    options = [f"--filter={filtered}"] if filtered else []
    git(tmp_path, "clone", "-q", "--no-local", *options, source.as_uri(), str(clone))
    return clone


def test_blobs_left_out_of_a_partial_clone_fail_the_gate(make_repo: Any, tmp_path: Path) -> None:
    """The deleted token's blob never reached the clone: the scan did not read that
    history, so it is unscanned content (exit 1 naming the count), not a clean pass."""
    clone = _partial_clone(make_repo, tmp_path, filtered="blob:none")
    code, output = _keysweep(clone, tmp_path, "git")
    assert code == 1, output
    assert "unscanned-content" in output
    assert "2 blobs not in this partial clone" in output


def test_a_treeless_clone_fails_the_gate_too(make_repo: Any, tmp_path: Path) -> None:
    """Without the old commits' trees git log cannot list their blobs at all."""
    clone = _partial_clone(make_repo, tmp_path, filtered="tree:0")
    code, output = _keysweep(clone, tmp_path, "git")
    assert code == 1, output
    assert "(commits or trees) not in this partial clone" in output


def test_a_full_clone_of_the_same_history_finds_the_token(make_repo: Any, tmp_path: Path) -> None:
    clone = _partial_clone(make_repo, tmp_path)
    code, output = _keysweep(clone, tmp_path, "git")
    assert code == 1, output
    assert "old.env" in output and "unscanned-content" not in output


@pytest.mark.parametrize("marked", [False, True])
def test_a_missing_blob_is_unscanned_content_only_in_a_partial_clone(
    make_repo: Any, tmp_path: Path, marked: bool
) -> None:
    """A blob missing from an ordinary repository (a damaged store) is unscanned
    content of its own, at its path; in a partial clone it is one of the blobs the
    clone lacks (older clones name their promisor with `extensions.partialClone`
    alone, and that is a partial clone too)."""
    repo: Path = make_repo()
    commit(repo, {"a.txt": "nothing\n", "b.txt": "else\n"})
    if marked:
        git(repo, "config", "core.repositoryformatversion", "1")
        git(repo, "config", "extensions.partialClone", "origin")
    _drop_objects(repo, git(repo, "rev-parse", "HEAD:a.txt"))
    code, output = _keysweep(repo, tmp_path, "git")
    assert "missing object" in output
    assert code == 1
    assert ("1 blobs not in this partial clone" in output) == marked
    assert ("unscanned-content  a.txt" in output) != marked


def test_a_folder_scan_of_a_partial_clone_fails_the_gate_and_a_sweep_does_not(
    make_repo: Any, tmp_path: Path
) -> None:
    """`scan FOLDER` reads the histories under it: what a partial clone lacks was
    not scanned. A sweep asks what is on the machine, and a blob a clone never held
    is not: there it stays a warning."""
    clone = _partial_clone(make_repo, tmp_path, filtered="blob:none")
    code, output = _keysweep(tmp_path, tmp_path, "scan", str(clone))
    assert code == 1, output
    assert "2 blobs not in this partial clone" in output
    report = tmp_path / "sweep.json"
    swept = ("sweep", "--no-progress", "--normal-priority", "--output", str(report), str(clone))
    code, output = _keysweep(tmp_path, tmp_path, *swept)
    assert code == 0, output
    warnings = json.loads(report.read_text())["errors"]
    assert any(w["message"].startswith(NOT_IN_CLONE) for w in warnings)
    assert not any("partial clone" in w["message"] for w in warnings)


def test_a_partial_clone_holding_no_blob_fails_a_folder_scan(
    make_repo: Any, tmp_path: Path
) -> None:
    """A clone made without checking out holds no blob at all: its history was not
    read, so a folder scan fails the gate (it used to say so in a warning only, and
    exit 0), and `keysweep git` says what to fetch."""
    source: Path = make_repo("source")
    git(source, "config", "uploadpack.allowFilter", "true")
    commit(source, {"old.env": f"T={token()}\n"})
    clone = tmp_path / "bare-partial"
    options = ("--filter=blob:none", "--no-checkout")
    git(tmp_path, "clone", "-q", "--no-local", *options, source.as_uri(), str(clone))
    code, output = _keysweep(tmp_path, tmp_path, "scan", str(clone))
    assert code == 1, output
    assert "unscanned-content" in output and "git history not scanned" in output
    code, output = _keysweep(clone, tmp_path, "git")
    assert code == 2, output
    assert "a partial clone made without them: fetch them" in output


FILES = gitblobs.ONE_PROCESS_BLOBS + 100
CHANGED = 200


def _fast_import(repo: Path, secret: str) -> None:
    """Two commits through `git fast-import`: FILES small files of distinct content
    and `old.env` holding `secret`; then `old.env` deleted and CHANGED files
    changed. A `--filter=blob:none` clone holds the tip's FILES blobs and lacks the
    other CHANGED + 1."""

    def data(content: bytes) -> bytes:
        return b"data %d\n%s\n" % (len(content), content)

    def commit_of(message: bytes, changes: list[bytes], when: int) -> bytes:
        who = b"committer Test Committer <committer@example.test> %d +0000\n" % when
        return b"commit refs/heads/main\n" + who + data(message) + b"".join(changes)

    def put(n: int, version: bytes) -> bytes:
        return b"M 100644 inline d%d/f%d.txt\n" % (n % 64, n) + data(b"n = %d%s\n" % (n, version))

    made = [put(n, b"") for n in range(FILES)]
    made.append(b"M 100644 inline old.env\n" + data(f"T={secret}\n".encode()))
    changed = [b"D old.env\n"] + [put(n, b" again") for n in range(CHANGED)]
    stream = commit_of(b"many\n", made, 1_700_000_000) + commit_of(
        b"next\n", changed, 1_700_000_100
    )
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=stream, check=True)


@pytest.fixture
def large_source(make_repo: Any) -> Path:
    """A history of more blobs than one process reads (`ONE_PROCESS_BLOBS`), whose
    first commit held a token that the tip deleted, served for filtered clones."""
    source: Path = make_repo("large-source")
    _fast_import(source, token())
    git(source, "config", "uploadpack.allowFilter", "true")
    return source


def _clone(source: Path, clone: Path, *options: str) -> Path:
    git(
        source.parent,
        *("-c", "protocol.file.allow=always", "clone", "-q", "--no-local", *options),
        *(source.as_uri(), str(clone)),
    )
    return clone


def _scan(clone: Path, tmp_path: Path, jobs: str) -> tuple[int, dict[str, Any], str]:
    """The real CLI, `keysweep git CLONE --jobs JOBS --format json`, in this process."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(TOKEN_RULE)
    args = ["git", str(clone), "--no-builtin-rules", "--rules", str(rules)]
    result = CliRunner().invoke(cli, [*args, "--jobs", jobs, "--format", "json"])
    return result.exit_code, json.loads(result.stdout or "{}"), result.stderr


def _lacking(report: dict[str, Any]) -> list[str]:
    return [e["message"] for e in report["errors"] if "object" in e["message"]]


def test_a_partial_clone_read_by_workers_fails_the_gate(
    large_source: Path, tmp_path: Path, pools: list[int]
) -> None:
    """Workers read a large history's blobs themselves; the blobs a
    `--filter=blob:none` clone was made without are unscanned content, as in one
    process. They are never handed out: git, which may not fetch them, stops at
    each, and a worker would start it again after each (19-44 ms apiece)."""
    clone = _clone(large_source, tmp_path / "clone", "--filter=blob:none")
    code, report, errors = _scan(clone, tmp_path, "2")
    assert pools == [1]
    assert code == 1, errors
    [finding] = report["findings"]
    assert finding["rule"] == "unscanned-content" and finding["path"] == str(clone)
    assert finding["message"].startswith(f"{CHANGED + 1} blobs not in this partial clone")
    assert report["summary"]["items_scanned"] == FILES + 2  # and the two commits' messages
    lacking = _lacking(report)
    assert len(lacking) == CHANGED + 1 and all(m.startswith(NOT_IN_CLONE) for m in lacking)
    assert any(e["path"] == "old.env" for e in report["errors"])


@pytest.mark.parametrize("marked", [True, False])
def test_one_process_asks_git_for_a_lacking_blob_at_most_once(
    large_source: Path, tmp_path: Path, pools: list[int], marked: bool
) -> None:
    """Read in the main process, a clone whose packs carry a `.promisor` mark is
    listed before any blob is read; without the marks, the first blob git cannot
    give shows the clone is partial, and it and the others it lacks are answered
    from the list of what it holds (so none is taken for a damaged object)."""
    clone = _clone(large_source, tmp_path / "clone", "--filter=blob:none")
    if not marked:
        for mark in (clone / ".git" / "objects" / "pack").glob("*.promisor"):
            mark.unlink()
    code, report, errors = _scan(clone, tmp_path, "1")
    assert pools == []
    assert code == 1, errors
    assert report["findings"][0]["message"].startswith(f"{CHANGED + 1} blobs not in")
    lacking = _lacking(report)
    assert len(lacking) == CHANGED + 1
    assert all(m.startswith(NOT_IN_CLONE) for m in lacking)
    assert [f["rule"] for f in report["findings"]] == ["unscanned-content"]


def test_a_full_clone_read_by_workers_finds_the_token(
    large_source: Path, tmp_path: Path, pools: list[int]
) -> None:
    clone = _clone(large_source, tmp_path / "clone.git", "--bare")
    code, report, errors = _scan(clone, tmp_path, "2")
    assert pools == [1]
    assert code == 1, errors
    found = [(f["rule"], f["path"]) for f in report["findings"]]
    assert found == [("test.kswtest-token", "old.env")]
    assert report["summary"]["items_scanned"] == FILES + CHANGED + 1 + 2  # and 2 messages
    assert report["errors"] == []


def test_only_a_store_with_promisor_packs_may_be_a_partial_clone(
    large_source: Path, tmp_path: Path
) -> None:
    """Histories are asked whether they are partial clones only when their
    pack folder holds a `.promisor` mark (git keeps it through `gc`), from a linked
    worktree too; a store without a pack folder holds no pack, and a `commondir`
    that cannot be read leaves the question to git."""
    partial = _clone(large_source, tmp_path / "partial", "--filter=blob:none", "--no-checkout")
    full = _clone(large_source, tmp_path / "full.git", "--bare")
    assert _holds_promised(partial / ".git") and not _holds_promised(full)
    git(partial, "gc", "-q")
    assert _holds_promised(partial / ".git")
    git(full, "worktree", "add", "-q", str(tmp_path / "linked"))
    [linked] = (full / "worktrees").iterdir()
    assert not _holds_promised(linked)
    (linked / "commondir").write_text(str(partial / ".git") + "\n")
    assert _holds_promised(linked)
    assert not _holds_promised(tmp_path / "no-such-store")  # no pack folder: no pack
    (tmp_path / "locked" / "objects" / "pack").mkdir(parents=True)
    (tmp_path / "locked" / "commondir").write_bytes(b"\xff\n")
    assert _holds_promised(tmp_path / "locked")  # a name it cannot read: git is asked
