"""Repository-scan fixtures: a real git daemon on a free loopback port serving
repositories generated in tmp_path, a fresh PostgreSQL database per test, and
keysweep workers run as real processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from support import fresh_database, git, postgres_server

from scanner.cli import cli


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class GitServer:
    """`git daemon` serving every repository under `base`."""

    base: Path
    port: int

    def url(self, name: str) -> str:
        return f"git://127.0.0.1:{self.port}/{name}"

    def repo(self, name: str, files: dict[str, str | bytes], message: str = "first") -> Path:
        """A new repository `name` with one commit of `files`."""
        path = self.base / name
        path.mkdir(parents=True)
        git(path, "init", "-q")
        commit(path, files, message)
        return path


def commit(repo: Path, files: dict[str, str | bytes], message: str) -> str:
    """Write `files`, commit them; the new commit's id."""
    for name, content in files.items():
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and process.poll() is None:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.05)
    return False


@pytest.fixture
def git_server(tmp_path: Path) -> Iterator[GitServer]:
    base = tmp_path / "served"
    base.mkdir()
    for _ in range(5):  # another process may take the free port first
        port = free_port()
        argv = ["git", "daemon", "--export-all", f"--base-path={base}", "--listen=127.0.0.1"]
        argv += [f"--port={port}", "--reuseaddr", "--informative-errors", str(base)]
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if _wait_for_port(port, process):
            break
        process.kill()
        process.wait()
    else:
        pytest.fail("git daemon did not start")
    try:
        yield GitServer(base, port)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def pg_db() -> Iterator[str]:
    yield from fresh_database(postgres_server(), prefix="keysweep_repos")


def keysweep(*args: str | Path) -> tuple[int, str]:
    """The real CLI in this process: (exit code, output)."""
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.output


@dataclass
class Workers:
    """Worker processes started by a test, each in its own process group."""

    tmp: Path
    started: list[subprocess.Popen[str]]
    rules_cache: Path

    def start(self, db: str, name: str, *extra: str | Path) -> subprocess.Popen[str]:
        argv = [sys.executable, "-m", "scanner", "worker", "--db", db]
        argv += ["--cache", str(self.tmp / f"cache-{name}"), *map(str, extra)]
        env = {**os.environ, "KEYSWEEP_CACHE_DIR": str(self.rules_cache)}
        process = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            start_new_session=True,
        )
        self.started.append(process)
        return process

    def kill(self, process: subprocess.Popen[str]) -> None:
        """SIGKILL the worker and every process it started (a machine that died)."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


@pytest.fixture(scope="session")
def rules_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One compiled-rules cache for every worker of the session (compiling is slow)."""
    return tmp_path_factory.mktemp("rules-cache")


@pytest.fixture
def workers(tmp_path: Path, rules_cache: Path) -> Iterator[Workers]:
    made = Workers(tmp_path, [], rules_cache)
    try:
        yield made
    finally:
        for process in made.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)


def finish(process: subprocess.Popen[str], timeout: float = 600) -> str:
    """Wait for a worker run with --until-empty; its output (it must succeed)."""
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-2000:]
    return out


def scanned_count(output: str) -> int:
    """The number in the worker's last line, `N repositories scanned`."""
    return int(output.strip().splitlines()[-1].split()[0])


def rows(db: str, query: str, **params: Any) -> list[tuple[Any, ...]]:
    engine = create_engine(db)
    try:
        with engine.connect() as connection:
            return [tuple(r) for r in connection.execute(text(query), params)]
    finally:
        engine.dispose()
