"""`keysweep repos remove` end to end, on a real PostgreSQL with real workers and
a real git daemon on loopback: a removed repository keeps its findings (with
its repository and commit) but is no longer listed nor scanned, and its mirror
is deleted without following a link out of the cache; its waiting scans are
cancelled; a scan that ends after the removal stores nothing; adding it again
scans it from the start. Names that match no repository, or several, are exit 2
with one line and remove nothing."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import create_engine, text

from scanner.repos.mirror import mirror_path

from .conftest import GitServer, Workers, commit, finish, keysweep, rows, scanned_count

pytestmark = pytest.mark.postgres


def _key() -> tuple[bytes, str]:
    """A new EC private key in PEM, and its SPKI SHA-256."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem, hashlib.sha256(der).hexdigest()


def _ok(*args: str | Path) -> str:
    code, out = keysweep(*args)
    assert code == 0, out
    return out


def _ids(db: str) -> dict[str, int]:
    return {
        r["name"]: r["id"] for r in json.loads(_ok("repos", "list", "--db", db, "--format", "json"))
    }


def test_a_removed_repository_keeps_its_findings_and_loses_its_mirror(
    git_server: GitServer, pg_db: str, workers: Workers, tmp_path: Path
) -> None:
    pem, spki = _key()
    repo = git_server.repo("payments", {"README.md": "payments\n"})
    planted = commit(repo, {"ops/deploy.pem": pem}, "deploy key")
    git_server.repo("docs", {"index.md": "docs\n"})
    url = git_server.url("payments")
    _ok("repos", "add", url, git_server.url("docs"), "--db", pg_db)
    _ok("repos", "scan", "--all", "--db", pg_db)
    finish(workers.start(pg_db, "a", "--until-empty"))
    cache = tmp_path / "cache-a"
    mirror = mirror_path(cache, url)
    assert (mirror / "HEAD").is_file()
    # a link inside the mirror to a folder outside it: removal must not follow it
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("not the mirror's\n")
    (mirror / "escape").symlink_to(outside, target_is_directory=True)
    sightings = rows(pg_db, "SELECT count(*) FROM key_sightings")
    payments = _ids(pg_db)["payments"]

    out = _ok("repos", "remove", str(payments), "--db", pg_db, "--cache", cache)
    assert out.splitlines() == [
        f"{payments}  {url}  removed",
        "1 repositories removed, 0 waiting scans cancelled, 1 mirrors deleted",
    ]
    assert not mirror.exists() and (outside / "keep.txt").read_text() == "not the mirror's\n"
    assert sorted(os.listdir(cache)) == [mirror_path(cache, git_server.url("docs")).name]
    assert set(_ids(pg_db)) == {"docs"}
    # the findings stay, with their repository and commit
    assert rows(pg_db, "SELECT count(*) FROM key_sightings") == sightings != [(0,)]
    places = json.loads(_ok("inventory", "where", spki, "--db", pg_db, "--format", "json"))
    assert [(p["repository"], p["path"], p["commit"]) for p in places] == [
        (url, "ops/deploy.pem", planted)
    ]
    assert rows(
        pg_db, "SELECT count(*) FROM repository_refs WHERE repository_id = :i", i=payments
    ) == [(0,)]
    # neither scanned by name nor by --all
    code, out = keysweep("repos", "scan", str(payments), "--db", pg_db)
    assert (code, out.strip().splitlines()) == (
        2,
        [f"keysweep: error: {payments}: no such repository (see keysweep repos list)"],
    )
    assert (
        _ok("repos", "scan", "--all", "--db", pg_db).strip()
        == "1 scans enqueued, 0 already waiting"
    )
    # added again: listed and scanned from the start, into the same row and findings
    assert (
        _ok("repos", "add", url, "--db", pg_db).strip() == "1 repositories added, 0 already known"
    )
    assert _ids(pg_db)["payments"] == payments
    _ok("repos", "scan", str(payments), "--db", pg_db)
    assert scanned_count(finish(workers.start(pg_db, "b", "--until-empty"))) == 2
    blobs = rows(
        pg_db,
        "SELECT blobs FROM repository_scans WHERE repository_id = :i ORDER BY id",
        i=payments,
    )
    assert blobs == [(2,), (2,)]  # the second scan read the whole history again
    assert rows(pg_db, "SELECT count(*) FROM key_sightings") == sightings
    assert pem.decode().splitlines()[1] not in out


def test_a_mirror_replaced_by_a_link_is_unlinked_not_followed(
    git_server: GitServer, pg_db: str, tmp_path: Path
) -> None:
    git_server.repo("api", {"a.txt": "a\n"})
    url = git_server.url("api")
    _ok("repos", "add", url, "--db", pg_db)
    cache = tmp_path / "cache"
    cache.mkdir()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "HEAD").write_text("ref: refs/heads/main\n")
    mirror_path(cache, url).symlink_to(outside, target_is_directory=True)
    out = _ok("repos", "remove", url, "--db", pg_db, "--cache", cache)
    assert out.splitlines()[-1].endswith("1 mirrors deleted")
    assert os.listdir(cache) == [] and os.listdir(outside) == ["HEAD"]


def test_removing_cancels_the_waiting_scan(
    git_server: GitServer, pg_db: str, workers: Workers
) -> None:
    for name in ("billing", "search"):
        git_server.repo(name, {"a.txt": f"{name}\n"})
    _ok("repos", "add", git_server.url("billing"), git_server.url("search"), "--db", pg_db)
    _ok("repos", "scan", "--all", "--db", pg_db)
    out = _ok("repos", "remove", "billing", "--db", pg_db, "--cache", workers.tmp / "none")
    assert out.splitlines()[-1] == (
        "1 repositories removed, 1 waiting scans cancelled, 0 mirrors deleted"
    )
    billing = f"repo:{_id_of(pg_db, 'billing')}"
    assert rows(pg_db, "SELECT status FROM procrastinate_jobs WHERE lock = :l", l=billing) == [
        ("cancelled",)
    ]
    assert scanned_count(finish(workers.start(pg_db, "a", "--until-empty"))) == 1
    scanned = rows(
        pg_db,
        "SELECT r.name FROM repository_scans s JOIN repositories r ON r.id = s.repository_id",
    )
    assert scanned == [("search",)]


def _id_of(db: str, name: str) -> int:
    found = rows(db, "SELECT id FROM repositories WHERE name = :n", n=name)
    return int(found[0][0])


def _waiting_on_the_row(db: str, count: int) -> None:
    """Until `count` other sessions wait for a lock (on the repository row)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        waiting = rows(
            db,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query LIKE '%FROM repositories%FOR UPDATE%'",
        )
        if waiting[0][0] >= count:
            return
        time.sleep(0.05)
    pytest.fail(f"{count} sessions never waited for the repository row")


def test_a_scan_that_ends_after_the_removal_stores_nothing(
    git_server: GitServer, pg_db: str, workers: Workers, tmp_path: Path
) -> None:
    """The row is held locked by the test; `repos remove` waits for it first, then
    the worker's scan, which ends while the removal waits: once the row is let go,
    the removal commits and the scan finds its repository removed."""
    pem, _ = _key()
    git_server.repo("ledger", {"keys/ledger.pem": pem})
    url = git_server.url("ledger")
    _ok("repos", "add", url, "--db", pg_db)
    _ok("repos", "scan", "--all", "--db", pg_db)
    engine = create_engine(pg_db)
    cache = tmp_path / "cache-a"
    try:
        with engine.begin() as holder:
            holder.execute(text("SELECT id FROM repositories FOR UPDATE"))
            removal = subprocess.Popen(
                [sys.executable, "-m", "scanner", "repos", "remove", url, "--db", pg_db],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")},
            )
            _waiting_on_the_row(pg_db, 1)
            worker = workers.start(pg_db, "a", "--until-empty")
            _waiting_on_the_row(pg_db, 2)  # the scan ended and waits to store
            assert (mirror_path(cache, url) / "HEAD").is_file()
        _, err = removal.communicate(timeout=120)
        assert removal.returncode == 0, err
        assert scanned_count(finish(worker)) == 0
    finally:
        engine.dispose()
    for table in ("repository_scans", "repository_refs", "sighting_commits", "key_sightings"):
        assert rows(pg_db, f"SELECT count(*) FROM {table}") == [(0,)], table
    assert rows(pg_db, "SELECT last_status FROM repositories") == [(None,)]
    assert not mirror_path(cache, url).exists()  # the worker deleted its own mirror
    assert rows(
        pg_db, "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
    ) == [(0,)]


def test_names_that_match_none_or_several_remove_nothing(pg_db: str) -> None:
    urls = ["https://git.example.test/a/app.git", "https://git.example.test/b/app.git"]
    _ok("repos", "add", *urls, "--db", pg_db)
    for names, line in (
        (["404"], "keysweep: error: 404: no such repository (see keysweep repos list)"),
        (["1", "app"], "keysweep: error: app: names 2 repositories; name one by id or URL"),
        (
            ["https://tok:secret@git.example.test/c/x.git"],
            "keysweep: error: https://git.example.test/c/x.git: no such repository "
            "(see keysweep repos list)",
        ),
    ):
        code, out = keysweep("repos", "remove", *names, "--db", pg_db)
        assert (code, out.strip().splitlines()) == (2, [line])
    listed = json.loads(_ok("repos", "list", "--db", pg_db, "--format", "json"))
    assert [r["url"] for r in listed] == urls
    code, out = keysweep("repos", "remove", "--db", pg_db)
    assert code == 2 and "Missing argument" in out
