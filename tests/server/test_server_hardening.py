"""Guessing tokens is throttled per client before any lookup, a flood of refused
logins cannot flood the audit log, workers get their settings from their parent
over the spawn pipe (never the environment or a file) and do not migrate, and the exposure pages cost a fixed
number of queries whatever the number of keys on the page."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event, inspect
from sqlalchemy.orm import Session

from scanner.inventory.extract import parse_report
from scanner.inventory.ingest import ingest_report
from scanner.inventory.models import Host, Repository, Sighting, SightingCommit
from scanner.inventory.queries import retired_present
from scanner.server import queries
from scanner.server.database import server_engine
from scanner.server.run import build_app

from .conftest import StartServer, items, report_body

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
POSTGRES_ONLY = pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


@SQLITE_ONLY
def test_wrong_tokens_are_throttled_per_client_before_any_lookup(
    start_server: StartServer,
) -> None:
    server = start_server("--failed-rate", "5")
    viewer = server.token("viewer", "alice")
    guesses = [f"ksw_{n:012d}_guess" for n in range(20)]
    statuses = [server.get("/api/exposures", guess).status_code for guess in guesses]
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429] * 15
    refused = server.get("/api/exposures", guesses[0])
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    # This client is held off whatever it sends next, a valid token included: the
    # refusal comes before the token is looked up.
    assert server.get("/api/exposures", viewer).status_code == 429
    _, log = server.stop()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    refusals = [line.get("reason") for line in lines if line.get("event") == "refused"]
    assert refusals.count("no valid token") == 5  # only these reached the database
    assert refusals.count("failed attempts") == 17
    assert not any(guess in log for guess in guesses)


@SQLITE_ONLY
def test_a_flood_of_refused_logins_writes_a_bounded_audit_log(start_server: StartServer) -> None:
    server = start_server("--failed-rate", "1000")
    admin = server.token("admin", "sec")
    before = len(items(server.get("/api/audit?per_page=500", admin)))
    attempts = 60
    with httpx.Client(base_url=server.url) as client:
        page = client.get("/login").text
        csrf = page.split('name="csrf" value="')[1].split('"')[0]
        for n in range(attempts):
            form = {"token": f"ksw_{n:012d}_nope", "csrf": csrf}
            assert client.post("/login", data=form).status_code == 401
    audit = items(server.get("/api/audit?per_page=500", admin))
    refused = [a for a in audit if a["action"] == "login-refused"]
    assert len(audit) - before == len(refused)
    assert 1 <= len(refused) <= 15  # ten a minute, and the test takes well under a minute
    counted = sum(1 + json.loads(a["detail"]).get("refused_without_row", 0) for a in refused)
    assert counted <= attempts


@POSTGRES_ONLY
def test_workers_get_their_settings_neither_from_the_environment_nor_a_file(
    start_server: StartServer, tmp_path: Path
) -> None:
    secret = os.urandom(32)
    secret_file = tmp_path / "webhook.key"
    secret_file.write_bytes(secret.hex().encode())
    hook = "json=http://127.0.0.1:9/hook-" + secret.hex()[:16]
    server = start_server(
        "--workers", "2", "--webhook", hook, "--webhook-secret-file", str(secret_file)
    )
    assert server.process is not None
    children = _children(server.process.pid)
    assert len(children) >= 2
    for pid in [server.process.pid, *children]:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
        assert secret.hex().encode() not in environ
        assert b"hook-" not in environ and b"session_key" not in environ
        assert b"KEYSWEEP_SERVER_SETTINGS" not in environ
    assert server.get("/healthz").status_code == 200
    code, _ = server.stop()
    assert code == 0


def _children(pid: int) -> list[int]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True
        ).stdout.split()
        workers = [int(p) for p in found if _is_worker(int(p))]
        if len(workers) >= 2:
            return workers
        time.sleep(0.2)
    return []


def _is_worker(pid: int) -> bool:
    try:
        return b"multiprocessing" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def test_a_worker_opens_the_database_without_migrating_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    settings: dict[str, Any] = {
        "db_url": url,
        "max_report_bytes": 1024,
        "rate": 60,
        "failed_rate": 5,
        "webhooks": [],
        "webhook_secret": None,
        "secure_cookies": False,
        "session_key": os.urandom(32).hex(),
    }
    app = build_app(settings)
    engine: Engine = app.state.keysweep.store.engine
    try:
        assert inspect(engine).get_table_names() == []  # the parent migrates, once
    finally:
        engine.dispose()


# --- the read side costs a fixed number of queries -------------------------------


def _exposures_stored(engine: Engine, hosts: range, keys_per_host: int = 2) -> None:
    """Reports of retired keys, ingested as uploads are, every other host being a
    repository whose sightings carry the commit that added them."""
    with Session(engine) as session, session.begin():
        for h in hosts:
            for k in range(keys_per_host):
                spki = hashlib.sha256(f"{h}-{k}".encode()).hexdigest()
                body = report_body(
                    f"host-{h}", "2026-03-01T09:00:00Z", spki, f"old-{h}-{k}", "deactivated"
                )
                ingest_report(session, parse_report(json.loads(body), source_name="test"))
        for h in (h for h in hosts if h % 2 == 0):
            host = session.query(Host).filter_by(name=f"host-{h}").one()
            repo = Repository(
                url=f"https://git.example.test/r{h}.git",
                name=f"r{h}",
                origin="url",
                added_at=datetime(2026, 3, 1),
                host_id=host.id,
            )
            session.add(repo)
            session.flush()
            for sighting in session.query(Sighting).filter_by(host_id=host.id):
                session.add(
                    SightingCommit(sighting_id=sighting.id, repository_id=repo.id, commit="c" * 40)
                )


@contextmanager
def _counting(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _queries(engine: Engine) -> tuple[int, int, dict[str, Any]]:
    """Statements run by the exposure page and by `retired_present`, and the page."""
    with Session(engine) as session, _counting(engine) as page_statements:
        page = queries.exposures(session, None, queries.Page(1, 500))
    with Session(engine) as session, _counting(engine) as retired_statements:
        retired_present(session)
    return len(page_statements), len(retired_statements), page


def test_the_exposure_page_costs_the_same_queries_for_4_or_40_keys(db_url: str) -> None:
    engine = server_engine(db_url)
    try:
        _exposures_stored(engine, range(0, 2))
        small = _queries(engine)
        _exposures_stored(engine, range(2, 20))
        large = _queries(engine)
    finally:
        engine.dispose()
    assert (small[2]["total"], large[2]["total"]) == (4, 40)
    assert small[:2] == large[:2], (small[:2], large[:2])
    places = [p for item in large[2]["items"] for p in item["places"]]
    in_repository = [p for p in places if p["repository"]]
    assert len(places) == 40 and len(in_repository) == 20
    assert {p["commit"] for p in in_repository} == {"c" * 40}
