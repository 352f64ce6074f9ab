"""Repositories per minute and MB/s for `keysweep worker`, with one and two workers.

Generates repositories (deterministically, with `git fast-import`) under a
temporary folder, serves them with `git daemon` on a free loopback port, adds
them to a fresh PostgreSQL database, enqueues every one and times N workers
(`--until-empty`, each with an empty mirror cache) until the queue is empty:
fetch, scan and store included. Then it enqueues them again with nothing new
and times the rescan (fetch and ref comparison only).

    python benchmarks/repos.py [--repos 40] [--commits 30] [--files 40] [--workers 1 2]

Needs KEYSWEEP_TEST_PG_URL (`. .ci/postgres.sh && postgres_start`), or --db-server URL.
MB/s counts the bytes of blobs scanned (each unique blob once per repository).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "config",
    "service",
    "handler",
    "request",
    "response",
    "value",
    "cache",
    "retry",
]
ENV = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"}


def line(rng: random.Random) -> str:
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 10)))
    return f"    {rng.choice(WORDS)}_{rng.randint(0, 999)} = '{words}'\n"


def fast_import_stream(rng: random.Random, commits: int, files: int) -> bytes:
    """`commits` commits, each editing a few of `files` files of 2-8 KB."""
    tree = {
        f"src/mod{i:03d}.py": [line(rng) for _ in range(rng.randint(40, 160))] for i in range(files)
    }
    out: list[bytes] = []
    for n in range(commits):
        touched = list(tree) if n == 0 else rng.sample(list(tree), k=min(3, files))
        out.append(
            f"commit refs/heads/main\ncommitter Bench <bench@example.test> {1_600_000_000 + n * 60} +0000\n".encode()
        )
        out.append(f"data {len(f'change {n}')}\nchange {n}\n".encode())
        for path in touched:
            if n:
                tree[path][rng.randrange(len(tree[path]))] = line(rng)
            body = "".join(tree[path]).encode()
            out.append(f"M 100644 inline {path}\ndata {len(body)}\n".encode() + body + b"\n")
    return b"".join(out)


def make_repositories(base: Path, count: int, commits: int, files: int) -> None:
    for i in range(count):
        repo = base / f"repo{i:03d}.git"
        subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True, env=ENV)
        stream = fast_import_stream(random.Random(i), commits, files)
        subprocess.run(
            ["git", "fast-import", "--quiet"], cwd=repo, input=stream, check=True, env=ENV
        )
        subprocess.run(
            ["git", "symbolic-ref", "HEAD", "refs/heads/main"], cwd=repo, check=True, env=ENV
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_daemon(base: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    argv = ["git", "daemon", "--export-all", f"--base-path={base}", "--listen=127.0.0.1"]
    argv += [f"--port={port}", "--reuseaddr", str(base)]
    process = subprocess.Popen(argv, env=ENV, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process, port
        time.sleep(0.05)
    raise SystemExit("git daemon did not start")


def keysweep(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "scanner", *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"keysweep {args[0]} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def fresh_database(server: str) -> str:
    name = f"keysweep_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def drop_database(server: str, url: str) -> None:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def run_workers(db: str, count: int, work: Path) -> float:
    started = time.monotonic()
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "scanner",
                "worker",
                "--db",
                db,
                "--until-empty",
                "--cache",
                str(work / f"cache{i}"),
            ],
            stdout=subprocess.DEVNULL,
        )
        for i in range(count)
    ]
    if any(p.wait() != 0 for p in processes):
        raise SystemExit("a worker failed")
    return time.monotonic() - started


@dataclass(frozen=True)
class Result:
    workers: int
    first: float
    rescan: float
    mb: float
    repos: int

    def show(self) -> str:
        per_min = self.repos / self.first * 60
        rescan = self.repos / self.rescan * 60
        return (
            f"{self.workers} worker(s): first scan {self.first:6.1f} s = {per_min:6.1f} repos/min, "
            f"{self.mb / self.first:5.2f} MB/s of blobs; rescan, nothing new: {self.rescan:5.1f} s = {rescan:6.1f} repos/min"
        )


def measure(server: str, port: int, names: list[str], workers: int, work: Path) -> Result:
    db = fresh_database(server)
    try:
        keysweep("repos", "add", *(f"git://127.0.0.1:{port}/{n}" for n in names), "--db", db)
        keysweep("repos", "scan", "--all", "--db", db)
        first = run_workers(db, workers, work)
        engine = create_engine(db)
        with engine.connect() as connection:
            scanned = (
                connection.scalar(text("SELECT coalesce(sum(bytes), 0) FROM repository_scans")) or 0
            )
        engine.dispose()
        keysweep("repos", "scan", "--all", "--db", db)
        rescan = run_workers(db, workers, work)
        return Result(workers, first, rescan, int(scanned) / 1e6, len(names))
    finally:
        drop_database(server, db)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=40)
    parser.add_argument("--commits", type=int, default=30)
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--db-server", default=os.environ.get("KEYSWEEP_TEST_PG_URL"))
    args = parser.parse_args()
    if not args.db_server:
        raise SystemExit("set KEYSWEEP_TEST_PG_URL or --db-server (a PostgreSQL server URL)")
    work = Path(tempfile.mkdtemp(prefix="keysweep-bench-repos-"))
    os.environ.setdefault("KEYSWEEP_CACHE_DIR", str(work / "rules-cache"))
    try:
        served = work / "served"
        served.mkdir()
        make_repositories(served, args.repos, args.commits, args.files)
        names = sorted(p.name for p in served.iterdir())
        size = sum(f.stat().st_size for f in served.rglob("*") if f.is_file()) / 1e6
        print(
            f"{args.repos} repositories, {args.commits} commits and {args.files} files each, {size:.1f} MB packed"
        )
        daemon, port = start_daemon(served)
        try:
            keysweep("rules", "check")  # compiles the rules cache once, outside the timings
            for count in args.workers:
                print(
                    measure(args.db_server, port, names, count, work / f"w{count}").show(),
                    flush=True,
                )
        finally:
            daemon.terminate()
            daemon.wait()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
