"""A repository served by git daemon, scanned by a real worker from the queue:
the first scan reads every blob, a rescan after new commits only the new ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import GitServer, Workers, commit, finish, keysweep, rows, scanned_count

pytestmark = pytest.mark.postgres


def scans(db: str) -> list[tuple[int, int, bool]]:
    """(commits, blobs, partial) of each finished scan, oldest first."""
    found = rows(db, "SELECT commits, blobs, partial FROM repository_scans ORDER BY id")
    return [(int(c), int(b), bool(p)) for c, b, p in found]


def scan_once(db: str, workers: Workers) -> str:
    code, out = keysweep("repos", "scan", "--all", "--db", db)
    assert code == 0, out
    return finish(workers.start(db, "one", "--until-empty"))


def test_a_rescan_reads_only_the_blobs_of_new_commits(
    git_server: GitServer, pg_db: str, workers: Workers
) -> None:
    repo = git_server.repo("app", {f"src/m{i}.py": f"VALUE = {i}\n" for i in range(5)})
    code, out = keysweep("repos", "add", git_server.url("app"), "--db", pg_db)
    assert (code, out.strip()) == (0, "1 repositories added, 0 already known")
    assert scanned_count(scan_once(pg_db, workers)) == 1
    assert scans(pg_db) == [(1, 5, False)]
    head = rows(pg_db, "SELECT ref, commit FROM repository_refs")
    assert head == [("refs/heads/main", commit_of(repo))]

    commit(
        repo,
        {"src/new1.py": "A = 1\n", "src/new2.py": "B = 2\n", "src/m0.py": "VALUE = -1\n"},
        "more",
    )
    git_branch(repo, "feature", {"feature.txt": "feature work\n"})
    scan_once(pg_db, workers)
    assert scans(pg_db)[1] == (2, 4, False)  # 3 blobs on main, 1 on the new branch

    scan_once(pg_db, workers)
    assert scans(pg_db)[2] == (0, 0, False)
    refs = dict(rows(pg_db, "SELECT ref, commit FROM repository_refs"))
    assert set(refs) == {"refs/heads/main", "refs/heads/feature"}


def commit_of(repo: Path, rev: str = "HEAD") -> str:
    from support import git

    return git(repo, "rev-parse", rev).strip()


def git_branch(repo: Path, name: str, files: dict[str, str | bytes]) -> None:
    from support import git

    git(repo, "checkout", "-q", "-b", name)
    commit(repo, files, f"work on {name}")
    git(repo, "checkout", "-q", "main")


def test_a_blob_over_the_size_limit_is_reported_and_does_not_hold_the_refs_back(
    git_server: GitServer, pg_db: str, workers: Workers, tmp_path: Path
) -> None:
    git_server.repo("assets", {"logo.txt": "small\n", "dump.sql": "INSERT 1;\n" * 5000})
    config = tmp_path / "keysweep.yaml"
    config.write_text("max_file_size: 10000\n")
    code, out = keysweep("repos", "add", git_server.url("assets"), "--db", pg_db)
    assert code == 0, out
    for _ in range(2):
        keysweep("repos", "scan", "--all", "--db", pg_db)
        finish(workers.start(pg_db, "one", "--until-empty", "--config", config))
    assert scans(pg_db) == [(1, 1, True), (0, 0, False)]
    assert rows(pg_db, "SELECT count(*) FROM repository_refs") == [(1,)]
