"""A `keysweep server run --workers 2` whose parent is killed with SIGKILL leaves
none of its settings (database URL, webhook secret, session key) on disk: the
workers get them over the spawn pipe, and no file ever holds them."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .conftest import free_port


def _workers(parent: int) -> list[int]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(parent)], capture_output=True, text=True
        ).stdout.split()
        workers = [int(p) for p in found if b"spawn_main" in _cmdline(int(p))]
        if len(workers) == 2:
            return workers
        time.sleep(0.2)
    raise AssertionError("the two workers did not start")


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("the server did not answer /healthz")


def _files_holding(folder: Path, needle: bytes) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_no_settings_stay_on_disk_after_the_parent_is_killed(tmp_path: Path) -> None:
    secret = os.urandom(32).hex()
    (tmp_path / "webhook.key").write_text(secret)
    temp = tmp_path / "tmp"
    temp.mkdir()
    port = free_port()
    argv = [sys.executable, "-m", "scanner", "server", "run", "--workers", "2"]
    argv += ["--db", f"sqlite:///{tmp_path / 'server.db'}", "--listen", f"127.0.0.1:{port}"]
    argv += ["--webhook", f"json=http://127.0.0.1:9/hook-{secret[:12]}"]
    argv += ["--webhook-secret-file", str(tmp_path / "webhook.key")]
    env = {**os.environ, "TMPDIR": str(temp), "KEYSWEEP_CACHE_DIR": str(tmp_path / "cache")}
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        workers = _workers(process.pid)
        _ready(f"http://127.0.0.1:{port}", process)
        for pid in [process.pid, *workers]:
            assert secret.encode() not in Path(f"/proc/{pid}/environ").read_bytes()
            assert secret.encode() not in _cmdline(pid)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        assert list(temp.iterdir()) == []
        assert _files_holding(tmp_path, secret[12:].encode()) == [tmp_path / "webhook.key"]
    finally:
        with contextlib.suppress(ProcessLookupError):  # the orphaned workers, in its group
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
