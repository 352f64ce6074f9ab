"""Server fixtures: a real `keysweep server run` process on a free loopback port,
over SQLite or a real PostgreSQL (KEYSWEEP_TEST_PG_URL; under CI=true it must
be there), tokens made by the real CLI, and reports made by the real
sweep or rendered by the real JSON reporter."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import create_engine, text
from support import fresh_database, postgres_server

from scanner.model import (
    Finding,
    FindingId,
    KeyInfo,
    Origin,
    RegistryVerdict,
    Report,
    RuleKind,
    SecretInfo,
    Severity,
    Verdict,
)
from scanner.report import render

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
RETIRED_ID = "key-auth-2019"
RETIRED_SPKI = "0508c748c1e611b477073a291bc25af7c2a0582f666fc6365216dd7b23d926df"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'server.db'}"
        return
    yield from fresh_database(postgres_server(), "keysweep_srv")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def keysweep(
    *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real CLI in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "scanner", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
        check=False,
    )


@dataclass
class Server:
    db: str
    url: str
    folder: Path
    process: subprocess.Popen[bytes] | None = None
    verify: ssl.SSLContext | bool = True

    def token(self, kind: str, name: str) -> str:
        """A new token from the real `keysweep server enrol|viewer|admin`."""
        command = {"host": "enrol"}.get(kind, kind)
        done = keysweep("server", command, name, "--db", self.db)
        assert done.returncode == 0, done.stderr
        token = done.stdout.strip()
        assert token.startswith("ksw_") and token not in done.stderr
        return token

    def token_file(self, token: str) -> Path:
        path = self.folder / f"token-{uuid.uuid4().hex[:8]}"
        path.write_text(token + "\n")
        return path

    def get(self, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
        kw.setdefault("timeout", 30)
        return httpx.get(self.url + path, headers=_auth(token), verify=self.verify, **kw)

    def put(self, path: str, body: bytes, token: str | None = None) -> httpx.Response:
        headers = {**_auth(token), "Content-Type": "application/json"}
        return httpx.put(
            self.url + path, content=body, headers=headers, timeout=60, verify=self.verify
        )

    def count(self, table: str) -> int:
        engine = create_engine(self.db)
        try:
            with engine.connect() as connection:
                return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
        finally:
            engine.dispose()

    def stop(self) -> tuple[int, str]:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.process = None
        return code, (self.folder / "server.log").read_text()


def _auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


StartServer = Callable[..., Server]


@pytest.fixture
def start_server(db_url: str, tmp_path: Path) -> Iterator[StartServer]:
    """start_server(*extra_args, tls=(cert, key)) → a running server; stopped (SIGTERM)
    at the end."""
    started: list[Server] = []

    def _start(*extra: str, tls: tuple[Path, Path] | None = None) -> Server:
        for _ in range(5):  # another process may bind the free port before the server does
            server = _launch(db_url, tmp_path / f"server-{len(started)}", extra, tls)
            if _wait_ready(server):
                started.append(server)
                return server
        raise AssertionError("the server found no free port in five attempts")

    yield _start
    for server in started:
        if server.process is not None:
            server.stop()


def _launch(
    db_url: str, folder: Path, extra: tuple[str, ...], tls: tuple[Path, Path] | None
) -> Server:
    port = free_port()
    folder.mkdir(exist_ok=True)
    scheme = "https" if tls else "http"
    server = Server(db_url, f"{scheme}://127.0.0.1:{port}", folder)
    if tls is not None:
        server.verify = ssl.create_default_context(cafile=str(tls[0]))
        extra = (*extra, "--tls-cert", str(tls[0]), "--tls-key", str(tls[1]))
    log = (folder / "server.log").open("wb")
    argv = [sys.executable, "-m", "scanner", "server", "run", "--db", db_url]
    server.process = subprocess.Popen(
        [*argv, "--listen", f"127.0.0.1:{port}", *extra],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return server


def _wait_ready(server: Server) -> bool:
    """True once /healthz answers; False when the port was taken meanwhile."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.process is not None
        if server.process.poll() is not None:
            log = (server.folder / "server.log").read_text()
            if "address already in use" in log.lower():
                return False
            raise AssertionError(log)
        try:
            if server.get("/healthz", timeout=5).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("the server did not answer /healthz within 60 s")


def registry_with(tmp_path: Path, state: str) -> Path:
    """The example registry with key-auth-2019 in `state` (active, or its real deactivated)."""
    document = yaml.safe_load((EXAMPLES / "registry.yaml").read_text())
    for entry in document["keys"]:
        if entry["id"] == RETIRED_ID and state == "active":
            entry["state"] = "active"
            entry["dates"].pop("deactivated", None)
    path = tmp_path / f"registry-{state}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def sweep_examples(
    server: Server, token_file: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    """The real sweep of examples/workstation, uploaded to `server` (no registry on the host)."""
    return keysweep(
        "sweep",
        "--no-home",
        EXAMPLES / "workstation",
        "--no-progress",
        "--upload",
        server.url,
        "--token-file",
        token_file,
        "--spool",
        server.folder / "spool",
        "-o",
        server.folder / "sweep.json",
        *extra,
        env={"KEYSWEEP_CACHE_DIR": str(server.folder / "cache")},
    )


def report_body(
    host: str, time_text: str, spki: str, key_id: str | None = None, state: str | None = None
) -> bytes:
    """A sweep report with one RSA key, rendered by the real JSON reporter."""
    verdict = (
        Verdict.UNREGISTERED_KEY
        if key_id is None
        else (Verdict.RETIRED_KEY_PRESENT if state == "deactivated" else Verdict.ACTIVE_KEY_PRESENT)
    )
    hit = RegistryVerdict(verdict=verdict, severity=Severity.HIGH, key_id=key_id, state=state)
    finding = Finding(
        id=FindingId(uuid.uuid5(uuid.NAMESPACE_URL, host + spki).hex),
        rule="key.rsa-pkcs1",
        name="RSA private key",
        kind=RuleKind.PRIVATE_KEY,
        severity=Severity.HIGH,
        detector="rules",
        origin=Origin(path="~/.ssh/id_rsa", file_mode="0o600"),
        line=1,
        column=1,
        end_line=27,
        secret=SecretInfo(preview="-----BEGIN…", keyed_hash="0" * 64, length=1675),
        key=KeyInfo(
            format="pkcs1-pem", algorithm="RSA", bits=2048, fingerprints={"spki_sha256": spki}
        ),
        registry=hit,
    )
    meta = {
        "kind": "sweep",
        "time": time_text,
        "partial": False,
        "roots": ["~"],
        "user": "dev",
        "host": host,
    }
    report = Report(findings=(finding,), roots=("~",), meta=meta)
    return render(report, "json").encode()


def items(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = json.loads(response.text)["items"]
    return data
