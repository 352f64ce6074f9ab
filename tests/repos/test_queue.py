"""The job queue end to end: two workers share fifty repositories, a worker
killed mid-job leaves nothing half-written and its job completes elsewhere, a
retired key in history is critical in the inventory with its repository and
commit, and a repository over the size limit fails without moving its refs."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .conftest import GitServer, Workers, commit, finish, keysweep, rows, scanned_count

pytestmark = pytest.mark.postgres


def add_and_enqueue(db: str, *sources: str | Path) -> None:
    code, out = keysweep("repos", "add", *sources, "--db", db)
    assert code == 0, out
    code, out = keysweep("repos", "scan", "--all", "--db", db)
    assert code == 0, out


@pytest.mark.slow
def test_two_workers_scan_fifty_repositories_once_each(
    git_server: GitServer, pg_db: str, workers: Workers, tmp_path: Path
) -> None:
    for i in range(50):
        git_server.repo(
            f"svc-{i:02d}", {"README.md": f"service {i}\n", "app.py": f"PORT = {8000 + i}\n"}
        )
    listing = tmp_path / "repos.txt"
    listing.write_text(
        "# every service\n" + "".join(f"{git_server.url(f'svc-{i:02d}')}\n" for i in range(50))
    )
    add_and_enqueue(pg_db, listing)
    code, out = keysweep("repos", "scan", "--all", "--db", pg_db)
    assert (code, out.strip()) == (0, "0 scans enqueued, 50 already waiting")
    first = workers.start(pg_db, "a", "--until-empty")
    second = workers.start(pg_db, "b", "--until-empty")
    counts = [scanned_count(finish(first)), scanned_count(finish(second))]
    assert sum(counts) == 50 and min(counts) > 0, counts
    per_repo = rows(
        pg_db, "SELECT repository_id, count(*), sum(blobs) FROM repository_scans GROUP BY 1"
    )
    assert len(per_repo) == 50
    assert {(int(n), int(b)) for _, n, b in per_repo} == {(1, 2)}
    statuses = rows(pg_db, "SELECT DISTINCT last_status FROM repositories")
    assert statuses == [("scanned",)]
    assert rows(pg_db, "SELECT count(*) FROM repository_refs") == [(50,)]


def wait_for_running_job(db: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if rows(db, "SELECT 1 FROM procrastinate_jobs WHERE status = 'doing'"):
            return
        time.sleep(0.05)
    pytest.fail("no job started")


def test_a_worker_killed_mid_job_leaves_nothing_and_its_job_completes_elsewhere(
    git_server: GitServer, pg_db: str, workers: Workers
) -> None:
    files: dict[str, str | bytes] = {
        f"data/part{i:03d}.txt": os.urandom(12_000).hex() for i in range(300)
    }
    git_server.repo("big", files)
    add_and_enqueue(pg_db, git_server.url("big"))
    doomed = workers.start(pg_db, "doomed", "--heartbeat-seconds", "1", "--stalled-seconds", "3")
    wait_for_running_job(pg_db)
    workers.kill(doomed)
    for table in ("repository_scans", "repository_refs", "sighting_commits", "key_sightings"):
        assert rows(pg_db, f"SELECT count(*) FROM {table}") == [(0,)], table
    assert rows(pg_db, "SELECT last_status FROM repositories") == [(None,)]
    survivor = workers.start(
        pg_db, "survivor", "--until-empty", "--heartbeat-seconds", "1", "--stalled-seconds", "3"
    )
    assert scanned_count(finish(survivor)) == 1
    assert rows(pg_db, "SELECT commits, blobs, partial FROM repository_scans") == [(1, 300, False)]
    assert rows(pg_db, "SELECT last_status FROM repositories") == [("scanned",)]
    assert rows(
        pg_db, "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
    ) == [(0,)]


def retired_registry(tmp_path: Path, spki: str) -> Path:
    document = {
        "schema": "keysweep/key-registry/v1",
        "registry": {"name": "org repositories test"},
        "people": [],
        "keys": [
            {
                "id": "key-release-2021",
                "kind": "asymmetric",
                "purpose": "code-signing",
                "algorithm": "RS256",
                "state": "deactivated",
                "dates": {"deactivated": "2024-01-31"},
                "fingerprints": {"spki_sha256": spki},
            }
        ],
    }
    path = tmp_path / "registry.yaml"
    path.write_text(json.dumps(document))
    return path


def test_a_retired_key_in_history_is_critical_with_repository_and_commit(
    git_server: GitServer, pg_db: str, workers: Workers, tmp_path: Path
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    spki = hashlib.sha256(der).hexdigest()
    repo = git_server.repo("release-tools", {"README.md": "release tooling\n"})
    planted = commit(repo, {"deploy/signing.pem": pem}, "add the signing key")
    (repo / "deploy/signing.pem").unlink()
    commit(repo, {"deploy/README.md": "keys live in the vault\n"}, "remove the key")
    add_and_enqueue(pg_db, git_server.url("release-tools"))
    registry = retired_registry(tmp_path, spki)
    finish(workers.start(pg_db, "one", "--until-empty", "--registry", registry))

    code, out = keysweep("inventory", "where", spki, "--db", pg_db, "--format", "json")
    assert code == 0, out
    places = json.loads(out)
    assert [(p["repository"], p["path"], p["commit"]) for p in places] == [
        (git_server.url("release-tools"), "deploy/signing.pem", planted)
    ]
    assert places[0]["severity"] == "critical"
    assert places[0]["verdict"] == "retired-key-present"
    assert places[0]["key_id"] == "key-release-2021"
    code, text = keysweep("inventory", "where", "key-release-2021", "--db", pg_db)
    assert f"repository {git_server.url('release-tools')}  deploy/signing.pem" in text
    assert f"commit {planted}" in text
    code, summary = keysweep("inventory", "summary", "--db", pg_db)
    assert "repo:" + git_server.url("release-tools") in summary
    assert pem.decode().splitlines()[1] not in out + text + summary
    exposures = server_exposures(pg_db)
    assert [(p["repository"], p["commit"]) for p in exposures] == [
        (git_server.url("release-tools"), planted)
    ]


def server_exposures(db: str) -> list[dict[str, Any]]:
    """The places the server's exposure page and API list."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from scanner.server.queries import Page, exposures

    engine = create_engine(db)
    try:
        with Session(engine) as session:
            items = exposures(session, None, Page(1, 50))["items"]
    finally:
        engine.dispose()
    return [place for item in items for place in item["places"]]


def test_a_repository_over_the_size_limit_fails_and_keeps_its_refs(
    git_server: GitServer, pg_db: str, workers: Workers
) -> None:
    git_server.repo("huge", {"blob.bin": os.urandom(3 * 1024 * 1024)})
    git_server.repo("small", {"a.txt": "small\n"})
    add_and_enqueue(pg_db, git_server.url("huge"), git_server.url("small"))
    process = workers.start(pg_db, "one", "--until-empty", "--max-mb", "1")
    out, err = process.communicate(timeout=600)
    assert process.returncode == 2
    assert out.strip() == "1 repositories scanned"
    assert err.strip() == (
        "keysweep: error: 1 repositories could not be scanned (see keysweep repos list)"
    )
    status = dict(rows(pg_db, "SELECT name, last_status FROM repositories"))
    assert status == {"huge": "failed", "small": "scanned"}
    errors = rows(pg_db, "SELECT last_error FROM repositories WHERE name = 'huge'")
    assert "size limit" in errors[0][0]
    assert rows(pg_db, "SELECT count(*) FROM repository_refs") == [(1,)]
    code, out = keysweep("repos", "list", "--db", pg_db)
    assert code == 0
    assert "huge" in out and "failed" in out and "size limit" in out


def test_the_periodic_rescan_enqueues_every_repository(
    git_server: GitServer, pg_db: str, workers: Workers
) -> None:
    git_server.repo("cron-app", {"a.txt": "a\n"})
    code, out = keysweep("repos", "add", git_server.url("cron-app"), "--db", pg_db)
    assert code == 0, out
    worker = workers.start(pg_db, "cron", "--rescan-cron", "* * * * * */2")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and worker.poll() is None:
        if rows(pg_db, "SELECT count(*) FROM repository_scans") != [(0,)]:
            break
        time.sleep(0.2)
    workers.kill(worker)
    assert rows(pg_db, "SELECT last_status FROM repositories") == [("scanned",)]


def test_a_fetch_that_keeps_failing_is_retried_then_marked_failed(
    git_server: GitServer, pg_db: str, workers: Workers
) -> None:
    add_and_enqueue(pg_db, git_server.url("never-served"))
    process = workers.start(pg_db, "one", "--until-empty", "--retry-wait", "1")
    out, err = process.communicate(timeout=600)
    assert process.returncode == 2, err
    assert out.strip() == "0 repositories scanned"
    assert "1 repositories could not be scanned" in err
    jobs = rows(
        pg_db, "SELECT status, attempts FROM procrastinate_jobs WHERE task_name LIKE '%scan%'"
    )
    assert jobs == [("failed", 4)]  # the first run and three retries
    ((status, error),) = rows(pg_db, "SELECT last_status, last_error FROM repositories")
    assert status == "failed"
    assert "git clone failed" in error and "no such repository" in error
