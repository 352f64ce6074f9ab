"""Which clone URLs pass, what `repos add` makes of files and folders, and a
mirror fetched with git hardened: only the URL's own transport can run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from scanner.errors import SourceError
from scanner.repos import mirror
from scanner.repos.urls import UrlRefused, check_url

from .conftest import GitServer, keysweep


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("https://git.example.test/team/app.git", "https"),
        ("ssh://git@git.example.test:2222/team/app.git", "ssh"),
        ("git@git.example.test:team/app.git", "ssh"),
        ("git://127.0.0.1:9418/app", "git"),
        ("file:///srv/git/app.git", "file"),
        ("https://ci-bot@git.example.test/team/app.git", "https"),
    ],
)
def test_accepted_urls(url: str, scheme: str) -> None:
    assert check_url(url).scheme == scheme


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://git.example.test/app.git", "plain http needs --allow-http"),
        ("ext::sh -c touch% /tmp/pwned", "not a clone URL"),
        ("ext::ssh-wrapper", "transport helpers"),
        ("fd::3", "transport helpers"),
        ("ftp://git.example.test/app.git", "scheme 'ftp' is refused"),
        ("https://bot:hunter2-not-real@git.example.test/app.git", "with a password is refused"),
        ("--upload-pack=touch /tmp/x", "not a clone URL"),
        ("-oProxyCommand=x:y", "may not start with '-'"),
        ("https:///app.git", "no host"),
    ],
    ids=["http", "ext-command", "ext", "fd", "ftp", "password", "option", "dash", "no-host"],
)
def test_refused_urls(url: str, problem: str) -> None:
    with pytest.raises(UrlRefused, match=problem) as caught:
        check_url(url)
    assert "hunter2" not in str(caught.value)


def test_user_information_is_never_stored_or_quoted() -> None:
    # a token passed as the user name would end up in the database and every listing
    stored = check_url("https://ghp_notreal0123456789@git.example.test/team/app.git")
    assert stored.url == "https://git.example.test/team/app.git"
    assert (
        check_url("ssh://git@git.example.test/app.git").url == "ssh://git@git.example.test/app.git"
    )
    for refused in (
        "-https://u:hunter2@h/x",
        "ext::https://u:hunter2@h/x",
        "https://u:hunter2@h/x y",
    ):
        with pytest.raises(UrlRefused) as caught:
            check_url(refused)
        assert "hunter2" not in str(caught.value)


def test_plain_http_passes_only_with_the_flag(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'inventory.db'}"
    code, out = keysweep("repos", "add", "http://git.example.test/app.git", "--db", db)
    assert code == 2
    assert out.count("\n") == 1 and "--allow-http" in out
    code, out = keysweep(
        "repos", "add", "http://git.example.test/app.git", "--allow-http", "--db", db
    )
    assert (code, out.strip()) == (0, "1 repositories added, 0 already known")


def test_a_file_of_urls_names_the_line_it_refuses(tmp_path: Path) -> None:
    listing = tmp_path / "repos.txt"
    listing.write_text("# team\nhttps://git.example.test/a.git\n\next::sh -c id\n")
    db = f"sqlite:///{tmp_path / 'inventory.db'}"
    code, out = keysweep("repos", "add", listing, "--db", db)
    assert code == 2
    assert out.startswith(f"keysweep: error: {listing}:4: ")
    assert keysweep("repos", "list", "--db", db) == (0, "")


def test_a_folder_of_repositories_becomes_file_urls(git_server: GitServer, tmp_path: Path) -> None:
    git_server.repo("one", {"a.txt": "a\n"})
    git_server.repo("two", {"b.txt": "b\n"})
    (git_server.base / "notes").mkdir()
    db = f"sqlite:///{tmp_path / 'inventory.db'}"
    code, out = keysweep("repos", "add", git_server.base, git_server.base / "one", "--db", db)
    assert (code, out.strip()) == (0, "2 repositories added, 0 already known")
    code, out = keysweep("repos", "list", "--db", db, "--format", "json")
    assert [(r["name"], r["url"]) for r in json.loads(out)] == [
        ("one", (git_server.base / "one").as_uri()),
        ("two", (git_server.base / "two").as_uri()),
    ]


def test_a_mirror_fetch_runs_no_other_transport(git_server: GitServer, tmp_path: Path) -> None:
    git_server.repo("app", {"a.txt": "a\n"})
    url = check_url(git_server.url("app"))
    cache = tmp_path / "cache"
    path = mirror.update(url, cache, mirror.FetchLimits())
    assert (path / "refs/heads/main").exists() or b"refs/heads/main" in (
        path / "packed-refs"
    ).read_bytes()
    marker = tmp_path / "ran"
    # Whoever can write the cache points the mirror's remote at a command:
    subprocess.run(
        ["git", f"--git-dir={path}", "config", "remote.origin.url", f"ext::sh -c touch% {marker}"],
        check=True,
    )
    with pytest.raises(SourceError, match="git fetch failed"):
        mirror.update(url, cache, mirror.FetchLimits())
    assert not marker.exists()


def test_a_partial_clone_leaves_large_blobs_on_the_server_and_says_so(
    git_server: GitServer, tmp_path: Path
) -> None:
    from support import git

    from scanner.model import Item, ScanWarning
    from scanner.repos.history import NewHistory, ref_positions
    from scanner.sources.gitsafe import SafeGit, discover

    repo = git_server.repo("media", {"small.txt": "small\n", "large.bin": "x" * 50_000})
    git(repo, "config", "uploadpack.allowFilter", "true")
    url = check_url(git_server.url("media"))
    path = mirror.update(url, tmp_path / "cache", mirror.FetchLimits(blob_limit=10_000))
    safe = SafeGit(discover(path))
    tips = tuple(ref_positions(safe).values())
    missing = subprocess.run(
        ["git", f"--git-dir={path}", "cat-file", "-e", "HEAD:large.bin"],
        env={"GIT_NO_LAZY_FETCH": "1", "PATH": "/usr/bin:/bin"},
        capture_output=True,
    )
    assert missing.returncode != 0  # never fetched
    events = list(NewHistory(safe, url.url, tips, (), max_file_size=100_000).events())
    read = [e.origin.path for e in events if isinstance(e, Item) and e.blob_id]  # not messages
    warned = [(e.path, e.message) for e in events if isinstance(e, ScanWarning)]
    assert read == ["small.txt"]
    assert [p for p, _ in warned] == ["large.bin"] and "unreadable object" in warned[0][1]


def test_a_file_url_into_the_mirror_cache_is_refused(git_server: GitServer, tmp_path: Path) -> None:
    """A file:// URL (however it came to be stored) cannot make a worker read another
    repository's mirror in its cache, by the mirror's path or through a link to it."""
    from scanner.repos.urls import file_url

    git_server.repo("private", {"deploy.txt": "private\n"})
    cache = tmp_path / "cache"
    mirrored = mirror.update(check_url(git_server.url("private")), cache, mirror.FetchLimits())
    link = tmp_path / "innocent"
    link.symlink_to(mirrored)
    for named in (mirrored, link, cache):
        with pytest.raises(SourceError, match="a file:// URL into the mirror cache is refused"):
            mirror.update(file_url(named), cache, mirror.FetchLimits())
    outside = mirror.update(file_url(git_server.base / "private"), cache, mirror.FetchLimits())
    assert outside != mirrored and outside.parent == cache
