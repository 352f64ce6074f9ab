"""A repository scanned from the job queue reads its new commits' messages and
every annotated tag (a new tag may name an old commit), each place naming the
repository; no message of a commit it scanned before."""

from __future__ import annotations

from pathlib import Path

from support import commit, git, token

from scanner.model import Item
from scanner.repos.history import NewHistory, ref_positions
from scanner.sources.gitsafe import SafeGit, discover

URL = "https://git.example.test/acme/app.git"


def _messages(repo: Path, scanned: tuple[str, ...] = ()) -> list[Item]:
    safe = SafeGit(discover(repo))
    tips = tuple(ref_positions(safe).values())
    events = NewHistory(safe, URL, tips, scanned, max_file_size=100_000).events()
    return [e for e in events if isinstance(e, Item) and e.blob_id is None]


def test_new_commit_and_tag_messages_are_read_with_the_repository_named(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    old = commit(repo, {"README": "hello\n"}, f"first, with {token()}")
    new = commit(repo, {"README": "hello again\n"}, f"second, with {token()}")
    git(repo, "tag", "-a", "v1", "-m", f"release {token()}")
    messages = _messages(repo, scanned=(old,))
    assert [m.origin.commit for m in messages if "commit message" in m.origin.path] == [new]
    assert sum("tag message" in m.origin.path for m in messages) == 1  # v1, the one tag
    assert {m.origin.repository for m in messages} == {URL}
    assert all(b"with" in (m.data or b"") or b"release" in (m.data or b"") for m in messages)
    assert len(_messages(repo)) == 3  # the first scan reads every commit's message


def test_a_new_tag_on_a_commit_scanned_before_is_read(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    scanned = commit(repo, {"README": "hello\n"}, "first")
    git(repo, "tag", "-a", "v0", scanned, "-m", f"late release note {token()}")
    (message,) = _messages(repo, scanned=(scanned,))  # no new commit, a new tag object
    assert message.origin.path.startswith("<tag message ") and message.origin.repository == URL
