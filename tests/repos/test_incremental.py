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


def run_partial(db: str, workers: Workers, *extra: str | Path) -> tuple[int, str]:
    """One `worker --until-empty` run after `repos scan --all`: (exit code, stderr)."""
    keysweep("repos", "scan", "--all", "--db", db)
    process = workers.start(db, "one", "--until-empty", *extra)
    _, err = process.communicate(timeout=600)
    return process.returncode, err


def test_a_blob_over_the_size_limit_fails_the_run_and_holds_the_refs_back(
    git_server: GitServer, pg_db: str, workers: Workers, tmp_path: Path
) -> None:
    """Content left unscanned is not green: the worker exits 1 (as `keysweep scan`
    does on unscanned-content), `repos list` names what was left and why, and the refs
    stay where they were, so once the limit allows it the same history is read again
    and the key in the blob is found."""
    from support import rsa_pem

    big = rsa_pem() + b"\n" + b"INSERT 1;\n" * 5000
    git_server.repo("assets", {"logo.txt": "small\n", "dump.sql": big})
    config = tmp_path / "keysweep.yaml"
    config.write_text("max_file_size: 10000\n")
    code, out = keysweep("repos", "add", git_server.url("assets"), "--db", pg_db)
    assert code == 0, out
    for _ in range(2):
        code, err = run_partial(pg_db, workers, "--config", config)
        assert (code, err.splitlines()[-1]) == (
            1,
            "keysweep: 1 repositories scanned in part: content left unscanned "
            "(see keysweep repos list)",
        )
    assert scans(pg_db) == [(1, 1, True), (1, 1, True)]  # the same history, read again
    assert rows(pg_db, "SELECT count(*) FROM repository_refs") == [(0,)]
    code, out = keysweep("repos", "list", "--db", pg_db)
    assert out.strip().endswith(
        "0 refs  partial (1 unscanned: dump.sql: over the size limit; not scanned)"
    )
    assert rows(pg_db, "SELECT count(*) FROM key_sightings") == [(0,)]

    assert run_partial(pg_db, workers)[0] == 0  # the default limit reads the blob
    assert scans(pg_db)[-1] == (1, 2, False)
    assert rows(pg_db, "SELECT count(*) FROM repository_refs") == [(1,)]
    assert rows(pg_db, "SELECT path FROM key_sightings") == [("dump.sql",)]
    assert keysweep("repos", "list", "--db", pg_db)[1].strip().endswith("1 refs  scanned")
