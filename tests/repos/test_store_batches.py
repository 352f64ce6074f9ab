"""Storing a repository's scan costs the same statements for 5 or 300 key sightings:
each sighting's commit is recorded in batches, not with a query per sighting (on
SQLite and a real PostgreSQL)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session
from support import fresh_database, postgres_server

from scanner.inventory.models import SightingCommit
from scanner.repos import store
from scanner.repos.job import Outcome
from scanner.server.database import server_engine


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'repos.db'}"
        made = server_engine(url)
        yield made
        made.dispose()
        return
    for url in fresh_database(postgres_server(), prefix="keysweep_store"):
        made = server_engine(url)
        yield made
        made.dispose()


def _report(repo: str, keys: int) -> dict[str, Any]:
    """A git report of `keys` private keys, each added by its own commit."""
    findings = []
    for n in range(keys):
        spki = hashlib.sha256(f"{repo}-{n}".encode()).hexdigest()
        place = {"path": f"deploy/key{n}.pem", "commit": f"{n:040x}", "line": 1}
        findings.append(
            {
                "id": spki[:40],
                "rule": "key.rsa-pkcs1",
                "severity": "high",
                **place,
                "locations": [place],
                "key": {"format": "pkcs1-pem", "algorithm": "RSA"}
                | {"fingerprints": {"spki_sha256": spki}},
            }
        )
    return {"findings": findings, "summary": {}}


def _statements_to_store(engine: Engine, url: str, keys: int) -> int:
    with Session(engine) as session, session.begin():
        store.add(session, [store.NewRepository(url, url.rsplit("/", 1)[-1], "url")])
    [repo_id] = _ids(engine, url)
    outcome = Outcome(
        report=_report(url, keys), refs={"refs/heads/main": "f" * 40}, commits=keys,
        blobs=keys, bytes=keys * 1000, partial=False,
    )  # fmt: skip
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        with Session(engine) as session, session.begin():
            assert store.record_scan(session, repo_id, {}, outcome) == keys
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def _ids(engine: Engine, url: str) -> list[int]:
    with Session(engine) as session:
        return store.select_ids(session, [url])


def test_storing_a_scan_costs_the_same_statements_for_5_or_300_keys(engine: Engine) -> None:
    few = _statements_to_store(engine, "https://git.example.test/few.git", 5)
    many = _statements_to_store(engine, "https://git.example.test/many.git", 300)
    assert few == many, (few, many)
    with Session(engine) as session:
        commits = session.execute(
            select(SightingCommit.commit, func.count()).group_by(SightingCommit.commit)
        ).all()
    assert len(commits) == 300 and all(n == 2 if c < f"{5:040x}" else n == 1 for c, n in commits)
