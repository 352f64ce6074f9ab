"""Tokens in commit messages and annotated tag messages, through the real CLI on
real repositories: `keysweep git` (whole history, `--since`, `--all-objects`)
and `scan` of a folder holding the repository (its reflog too). A message's
place names its object, blocks the gate as production code does, and no output
holds the token."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import commit, git, keysweep_with_token_rule, token

from scanner.model import Item
from scanner.sources import git as gitsource
from scanner.sources import gitlog
from scanner.sources.git import GitSource


def _repo(folder: Path) -> Path:
    repo = folder / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    commit(repo, {"README": "hello\n"}, "base")
    git(repo, "branch", "base")
    return repo


def _json(cwd: Path, tmp_path: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    code, output = keysweep_with_token_rule(cwd, tmp_path, *args, "--format", "json")
    return code, json.loads(output[: output.rindex("}") + 1]), output


def _paths(report: dict[str, Any]) -> list[str]:
    return sorted(place["path"] for f in report["findings"] for place in f["locations"] or [f])


def test_a_token_in_a_commit_message_is_found_and_named(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    secret = token()
    sha = commit(repo, {"README": "more\n"}, f"fix deploy; used TOKEN={secret} to test")

    code, report, output = _json(repo, tmp_path, "git", ".")

    assert code == 1
    (finding,) = report["findings"]
    assert finding["path"] == f"<commit message {sha}>"
    assert finding["commit"] == sha and finding["line"] == 1
    assert finding["context"] == "production"
    assert secret not in output and secret[8:] not in output


def test_a_token_in_an_annotated_tag_message_is_found_and_named(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    secret = token()
    git(repo, "tag", "-a", "v1", "-m", f"release\n\nwith {secret}")
    tag = git(repo, "rev-parse", "v1")

    code, output = keysweep_with_token_rule(repo, tmp_path, "git", ".")

    assert code == 1
    assert f"<tag message {tag}>:3:6" in output
    assert secret not in output and secret[8:] not in output


def test_since_scans_the_new_commits_messages_and_the_tags_on_them(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    old, new, tagged = token(), token(), token()
    git(repo, "commit", "-q", "--allow-empty", "-m", f"old {old}")
    git(repo, "tag", "-a", "old", "-m", f"old tag {old}")
    git(repo, "branch", "-f", "base")
    sha = commit(repo, {"README": "new\n"}, f"new {new}")
    git(repo, "tag", "-a", "v2", "-m", f"tag {tagged}")

    code, report, output = _json(repo, tmp_path, "git", "--since", "base", ".")

    assert code == 1
    tag = git(repo, "rev-parse", "v2")
    assert _paths(report) == [f"<commit message {sha}>", f"<tag message {tag}>"]
    assert not any(s in output for s in (old, new, tagged))


def test_a_deleted_tags_message_is_found_with_all_objects(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    git(repo, "tag", "-a", "gone", "-m", f"oops {token()}")
    tag = git(repo, "rev-parse", "gone")
    git(repo, "tag", "-d", "gone")

    assert keysweep_with_token_rule(repo, tmp_path, "git", ".")[0] == 0
    code, output = keysweep_with_token_rule(repo, tmp_path, "git", "--all-objects", ".")

    assert code == 1 and f"<tag message {tag}>" in output


def test_scan_of_a_folder_reads_the_messages_of_its_clone_and_its_reflog(tmp_path: Path) -> None:
    """A commit reset away from the branch lives on in the reflog; the clone sits
    under `tests/`, and a message is still production code."""
    repo = _repo(tmp_path)
    secret = token()
    sha = commit(repo, {"README": "oops\n"}, f"deploy with {secret}")
    git(repo, "reset", "-q", "--hard", "base")
    folder = tmp_path / "checkout" / "tests"
    folder.mkdir(parents=True)
    git(folder, "clone", "-q", "--no-local", str(repo), "clone")
    git(folder / "clone", "fetch", "-q", "origin", f"{sha}:refs/heads/kept")
    git(folder / "clone", "branch", "-q", "-D", "kept")  # in the reflog only now
    git(folder / "clone", "reflog", "expire", "--expire=never", "--all")

    code, report, output = _json(tmp_path / "checkout", tmp_path, "scan", ".")

    assert code == 1, output
    (finding,) = report["findings"]
    assert finding["path"] == f"tests/clone/<commit message {sha}>"
    assert finding["repository"] == "tests/clone" and finding["commit"] == sha
    assert finding["context"] == "production"
    assert secret not in output


def test_the_same_token_in_a_file_and_a_message_is_one_finding_with_both_places(
    tmp_path: Path,
) -> None:
    repo = _repo(tmp_path)
    secret = token()
    sha = commit(repo, {"app.env": f"TOKEN={secret}\n"}, f"add {secret}")

    code, report, _ = _json(repo, tmp_path, "git", ".")

    assert code == 1
    (finding,) = report["findings"]
    assert _paths(report) == [f"<commit message {sha}>", "app.env"]
    ids = {place["id"] for place in finding["locations"]}
    assert len(ids) == 2
    assert {
        p["id"] for p in _json(repo, tmp_path, "git", ".")[1]["findings"][0]["locations"]
    } == ids


def test_a_message_over_the_bound_is_unscanned_content_and_history_after_it_is_read(
    tmp_path: Path,
) -> None:
    """The log lists the big message first (newest first): the commit after it
    in the log keeps its own id, date and blobs."""
    repo = _repo(tmp_path)
    before = commit(repo, {"app.env": f"TOKEN={token()}\n"}, "an ordinary commit")
    huge = tmp_path / "message"
    huge.write_bytes(b"big\n\n" + b"x" * (gitlog.MESSAGE_MAX_BYTES + 10) + b"\n")
    git(repo, "commit", "-q", "--allow-empty", "-F", str(huge))
    big = git(repo, "rev-parse", "HEAD")

    code, report, _ = _json(repo, tmp_path, "git", ".")

    assert code == 1
    rules = {(f["rule"], f["path"], f["commit"]) for f in report["findings"]}
    assert ("unscanned-content", f"<commit message {big}>", None) in rules
    assert ("test.kswtest-token", "app.env", before) in rules


def _messages(repo: Path) -> dict[str, bytes | None]:
    return {
        e.origin.path: e.data
        for e in GitSource(repo).events()
        if isinstance(e, Item) and e.origin.path.startswith("<")
    }


def test_messages_past_the_total_bound_are_read_from_their_objects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repo(tmp_path)
    for number in range(3):
        git(repo, "commit", "-q", "--allow-empty", "-m", f"change {number}\n\nbody {token()}")
    git(repo, "tag", "-a", "v1", "-m", "signed off")
    from_log = _messages(repo)
    asked: list[str] = []
    real = gitsource.read_blobs

    def read(git: Any, ids: list[str], max_size: int) -> Any:
        asked.extend(ids)
        return real(git, ids, max_size)

    monkeypatch.setattr(gitsource, "read_blobs", read)
    monkeypatch.setattr(gitlog, "MESSAGES_MAX_BYTES", 30)
    from_objects = _messages(repo)

    assert from_objects == from_log and len(from_log) == 5
    commits = git(repo, "rev-list", "-3", "HEAD").split()
    assert set(commits) <= set(asked)  # "base" (5 bytes) was held, the others read again
