"""Alerts reach a local webhook receiver: Slack-compatible and signed JSON, retried
after a failure, once per key and host."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from .conftest import RETIRED_ID, RETIRED_SPKI, StartServer, keysweep, registry_with, report_body


@dataclass
class Receiver:
    url: str
    received: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    fail_first: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(
        self, path: str, count: int, seconds: float = 60
    ) -> list[tuple[dict[str, str], bytes]]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with self.lock:
                got = [(h, b) for p, h, b in self.received if p == path]
            if len(got) >= count:
                return got
            time.sleep(0.1)
        raise AssertionError(f"{path}: {len(got)} of {count} webhook calls arrived")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with state.lock:
                state.received.append((self.path, dict(self.headers.items()), body))
                failing = self.path in state.fail_first
                state.fail_first.discard(self.path)
            self.send_response(500 if failing else 200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


def test_a_new_critical_verdict_is_delivered_once_per_key_and_host(
    start_server: StartServer, receiver: Receiver, tmp_path: Path
) -> None:
    secret = b"webhook-signing-key-for-this-test-only"
    secret_file = tmp_path / "hook.key"
    secret_file.write_bytes(secret)
    receiver.fail_first.add("/json")
    server = start_server(
        "--webhook",
        f"json={receiver.url}/json",
        "--webhook",
        f"slack={receiver.url}/slack",
        "--webhook-secret-file",
        str(secret_file),
    )
    host = server.token("host", "laptop-9")
    admin = server.token_file(server.token("admin", "sec"))
    done = keysweep(
        "server",
        "registry",
        "push",
        registry_with(tmp_path, "deactivated"),
        "--server",
        server.url,
        "--token-file",
        admin,
    )
    assert done.returncode == 0, done.stderr
    body = report_body("laptop-9", "2026-03-01T09:00:00Z", RETIRED_SPKI)
    assert server.put("/api/reports", body, host).json()["alerts"] == 1

    [(_, slack)] = receiver.wait_for("/slack", 1)
    text_ = json.loads(slack)["text"]
    assert RETIRED_ID in text_ and "laptop-9" in text_ and "deactivated" in text_
    calls = receiver.wait_for("/json", 2)  # the first answer was a 500: retried
    headers, raw = calls[-1]
    stamp = headers["X-Keysweep-Timestamp"]
    expected = hmac.new(secret, stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    assert headers["X-Keysweep-Signature"] == f"sha256={expected}"
    alert = json.loads(raw)
    assert (alert["key_id"], alert["host"], alert["verdict"]) == (
        RETIRED_ID,
        "laptop-9",
        "retired-key-present",
    )

    again = report_body("laptop-9", "2026-03-02T09:00:00Z", RETIRED_SPKI)
    assert server.put("/api/reports", again, host).json()["alerts"] == 0
    assert server.count("alerts") == 1
    engine = create_engine(server.db)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT target, attempts, delivered_at FROM alert_deliveries")
        ).all()
    engine.dispose()
    assert sorted((t.split(":")[0], a) for t, a, d in rows if d is not None) == [
        ("json", 2),
        ("slack", 1),
    ]
    _, log = server.stop()
    assert receiver.url not in log  # webhook URLs are named by target only


def test_slack_text_shows_what_a_host_named_literally(
    start_server: StartServer, receiver: Receiver, tmp_path: Path
) -> None:
    """A path a host chose cannot page the channel or add a link: `&`, `<` and `>`
    reach Slack escaped, as Slack documents for literal text."""
    server = start_server("--webhook", f"slack={receiver.url}/slack")
    host = server.token("host", "laptop-9")
    admin = server.token_file(server.token("admin", "sec"))
    push: list[str | Path] = ["server", "registry", "push", registry_with(tmp_path, "deactivated")]
    assert keysweep(*push, "--server", server.url, "--token-file", admin).returncode == 0
    report = json.loads(report_body("laptop-9", "2026-03-01T09:00:00Z", RETIRED_SPKI))
    report["findings"][0]["path"] = "<!channel> rotate & <https://evil.test/r|https://keys/r>"
    assert server.put("/api/reports", json.dumps(report).encode(), host).json()["alerts"] == 1
    [(_, slack)] = receiver.wait_for("/slack", 1)
    shown = json.loads(slack)["text"]
    assert "<" not in shown and ">" not in shown
    assert " at &lt;!channel&gt; rotate &amp; &lt;https://evil.test/r|https://keys/r&gt; [" in shown


def test_a_webhook_is_named_by_a_keyed_hash_of_its_url(
    start_server: StartServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whoever reads the log or the database cannot confirm a guessed webhook URL
    (a plain SHA-256 of it could be): the name is an HMAC under the hash key, the
    same after a restart, so waiting deliveries still find their webhook."""
    key = "webhook-target-test-key-0123456789"
    monkeypatch.setenv("KEYSWEEP_HASH_KEY", key)
    url = "https://hooks.slack.com/services/T0000AAAA/B0000BBBB/abcdefghijklmnopqrstuvwx"
    named = []
    for _ in range(2):
        _, log = start_server("--webhook", f"slack={url}").stop()
        ready = next(json.loads(line) for line in log.splitlines() if "server ready" in line)
        named.append(ready["webhooks"])
    mac = hmac.new(key.encode(), b"keysweep webhook target\0" + url.encode(), hashlib.sha256)
    assert named == [[f"slack:{mac.hexdigest()[:12]}"]] * 2
    assert hashlib.sha256(url.encode()).hexdigest()[:12] not in str(named)
