"""Load test of `keysweep server` on loopback: many hosts uploading sweep reports,
then a registry change re-judging every stored fingerprint.

Starts a real `keysweep server run` (free loopback port) on PostgreSQL
(--db, or a fresh database on $KEYSWEEP_TEST_PG_URL) or SQLite, enrols N hosts,
and has C client threads upload M reports (each host's reports in time order;
each report holds K keys with two fingerprints each, some keys shared across
the fleet and listed in the registry). Prints ingest throughput, p50/p99
upload latency, then the time for a registry push that retires one shared key
(every stored sighting is re-judged) and the time until every affected host
shows in /api/exposures.

    python benchmarks/server_load.py [--hosts 2000] [--reports 10000] [--keys 25]
                                     [--clients 16] [--workers 2] [--db URL]

Goals on 2 cores with PostgreSQL: >= 50 reports/s, p99 < 1 s, re-judgement of
100,000 stored fingerprints < 10 s. Loopback only; the database is dropped at
the end when this script made it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scanner.server import tokens  # noqa: E402
from scanner.server.database import server_engine  # noqa: E402

SHARED = 50
"""Keys in the registry, each held by a slice of the fleet."""
RETIRE = "fleet-key-7"


def spki(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def registry(retired: str | None) -> dict[str, Any]:
    keys = []
    for i in range(SHARED):
        key_id = f"fleet-key-{i}"
        state = "deactivated" if key_id == retired else "active"
        entry: dict[str, Any] = {
            "id": key_id,
            "kind": "asymmetric",
            "state": state,
            "owner": {"team": "platform"},
            "fingerprints": {"spki_sha256": spki(key_id)},
        }
        if state == "deactivated":
            entry["dates"] = {"deactivated": "2026-01-15"}
        keys.append(entry)
    return {"schema": "keysweep/key-registry/v1", "registry": {"name": "load test"}, "keys": keys}


def report(host: int, number: int, keys: int) -> bytes:
    """A sweep report: `keys` keys, two of them shared with the fleet."""
    findings = []
    for k in range(keys):
        label = f"fleet-key-{(host + k) % SHARED}" if k < 2 else f"host-{host}-key-{k}"
        if k == keys - 1:
            label = f"host-{host}-key-{k}-{number % 2}"  # one key comes and goes
        findings.append(
            {
                "id": hashlib.sha1(f"{host}/{label}".encode()).hexdigest(),
                "rule": "key.rsa-pkcs1",
                "severity": "high",
                "path": f"~/projects/p{k}/deploy.pem",
                "archive_member": None,
                "secret": {"preview": "-----BEGIN…", "sha256": "0" * 64, "length": 1675},
                "key": {
                    "format": "pkcs1-pem",
                    "algorithm": "RSA",
                    "fingerprints": {
                        "spki_sha256": spki(label),
                        "jwk_thumbprint": spki("jwk" + label)[:43],
                    },
                },
                "registry": None,
            }
        )
    meta = {
        "kind": "sweep",
        "host": f"host-{host:05d}",
        "user": "dev",
        "roots": ["~"],
        "time": f"2026-03-{1 + number:02d}T09:00:00+00:00",
        "partial": False,
    }
    return json.dumps({"findings": findings, "summary": {"meta": meta}}).encode()


@contextmanager
def database(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    server = os.environ.get("KEYSWEEP_TEST_PG_URL")
    if not server:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/load.db"
        return
    name = f"keysweep_load_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def running_server(db: str, folder: Path, workers: int) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scanner",
            "server",
            "run",
            "--db",
            db,
            "--listen",
            f"127.0.0.1:{port}",
            "--rate",
            "100000",
            "--workers",
            str(workers),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def enrol(db: str, hosts: int) -> tuple[list[str], str, str]:
    engine = server_engine(db, pool_size=1)
    with Session(engine) as session, session.begin():
        host_tokens = [tokens.create(session, "host", f"host-{h:05d}")[1] for h in range(hosts)]
        admin = tokens.create(session, "admin", "load")[1]
        viewer = tokens.create(session, "viewer", "load")[1]
    engine.dispose()
    return host_tokens, admin, viewer


def upload_all(
    url: str, host_tokens: list[str], reports: int, keys: int, clients: int
) -> tuple[float, list[float]]:
    hosts = len(host_tokens)
    per_host = max(1, reports // hosts)
    latencies: list[float] = []
    lock = threading.Lock()
    local = threading.local()

    def one_host(h: int) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(timeout=120)
        for n in range(per_host):
            body = report(h, n, keys)
            started = time.perf_counter()
            response = client.put(
                url + "/api/reports",
                content=body,
                headers={
                    "Authorization": f"Bearer {host_tokens[h]}",
                    "Content-Type": "application/json",
                },
            )
            elapsed = time.perf_counter() - started
            if response.status_code not in (200, 201):
                raise SystemExit(f"upload failed: HTTP {response.status_code} {response.text}")
            with lock:
                latencies.append(elapsed)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one_host, range(hosts)))
    return time.perf_counter() - started, latencies


def push(url: str, admin: str, document: dict[str, Any]) -> dict[str, Any]:
    response = httpx.put(
        url + "/api/registry",
        json={"document": document, "source": "load"},
        headers={"Authorization": f"Bearer {admin}"},
        timeout=600,
    )
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def exposed_hosts(url: str, viewer: str) -> set[str]:
    response = httpx.get(
        url + "/api/exposures?per_page=500",
        headers={"Authorization": f"Bearer {viewer}"},
        timeout=120,
    )
    response.raise_for_status()
    return {h for item in response.json()["items"] for h in item["hosts"]}


def count(db: str, table: str) -> int:
    engine = create_engine(db)
    with engine.connect() as connection:
        n = int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    engine.dispose()
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=2000)
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--keys", type=int, default=25)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--db")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    args = parser.parse_args()
    with database(args.db) as db, tempfile.TemporaryDirectory() as folder:
        host_tokens, admin, viewer = enrol(db, args.hosts)
        with running_server(db, Path(folder), args.workers) as url:
            push(url, admin, registry(None))
            wall, latencies = upload_all(url, host_tokens, args.reports, args.keys, args.clients)
            latencies.sort()
            prints = count(db, "sighting_fingerprints")
            affected = {
                f"host-{h:05d}"
                for h in range(args.hosts)
                if any(f"fleet-key-{(h + k) % SHARED}" == RETIRE for k in range(2))
            }
            started = time.perf_counter()
            pushed = push(url, admin, registry(RETIRE))
            pushed_at = time.perf_counter() - started
            while exposed_hosts(url, viewer) < affected:
                time.sleep(0.05)
            visible = time.perf_counter() - started
        figures = {
            "database": make_url(db).get_backend_name(),
            "hosts": args.hosts,
            "reports": len(latencies),
            "keys_per_report": args.keys,
            "clients": args.clients,
            "server_workers": args.workers,
            "ingest_reports_per_s": round(len(latencies) / wall, 1),
            "upload_p50_ms": round(statistics.median(latencies) * 1000, 1),
            "upload_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
            "stored_fingerprints": prints,
            "stored_sightings": count(db, "key_sightings"),
            "rejudge_changed": pushed["changed"],
            "rejudge_server_s": round(pushed["seconds"], 2),
            "registry_push_s": round(pushed_at, 2),
            "affected_hosts": len(affected),
            "change_to_all_exposures_visible_s": round(visible, 2),
        }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
