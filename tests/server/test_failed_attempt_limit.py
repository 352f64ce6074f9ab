"""The per-client limit on failed token attempts, driven through the real app:
filling the limiter with other clients never lifts a lockout, and an IPv6
client is one client per /64."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from scanner.server.database import server_engine
from scanner.server.run import build_app

CAPACITY = 20
VICTIM = "198.51.100.7"


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[[int], Starlette]]:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    server_engine(url, pool_size=1).dispose()
    apps: list[Starlette] = []

    def make(failed_rate: int) -> Starlette:
        app: Starlette = build_app(
            {
                "db_url": url,
                "max_report_bytes": 1024,
                "rate": 6000,
                "failed_rate": failed_rate,
                "webhooks": [],
                "webhook_secret": None,
                "secure_cookies": False,
                "session_key": os.urandom(32).hex(),
            }
        )
        app.state.keysweep.guard.failures.max_keys = CAPACITY  # fill it with few clients
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.state.keysweep.store.engine.dispose()


def _attempt(app: Starlette, client: str) -> int:
    with TestClient(app, client=(client, 40000)) as http:
        response = http.get("/api/exposures", headers={"Authorization": "Bearer wrong-token"})
        status: int = response.status_code
        return status


def test_many_clients_do_not_lift_a_lockout(make_app: Callable[[int], Starlette]) -> None:
    app = make_app(3)
    assert [_attempt(app, VICTIM) for _ in range(4)] == [401, 401, 401, 429]
    # three times as many other clients as the limiter holds, each one failure in
    others = [_attempt(app, f"2001:db8:{n:x}::1") for n in range(3 * CAPACITY)]
    assert others == [401] * len(others)  # room is made from buckets that do not limit
    assert _attempt(app, VICTIM) == 429


def test_a_limiter_full_of_lockouts_fails_closed(make_app: Callable[[int], Starlette]) -> None:
    app = make_app(1)
    assert [_attempt(app, VICTIM) for _ in range(2)] == [401, 429]
    others = [_attempt(app, f"203.0.113.{n}") for n in range(CAPACITY - 1)]
    assert others == [401] * len(others)
    # every bucket is limiting: a new client waits instead of anyone being forgotten
    assert _attempt(app, "203.0.113.200") == 429
    assert _attempt(app, VICTIM) == 429


def test_an_ipv6_client_is_counted_by_its_64(make_app: Callable[[int], Starlette]) -> None:
    app = make_app(2)
    statuses = [_attempt(app, f"2001:db8:aa:bb::{n:x}") for n in range(1, 4)]
    assert statuses == [401, 401, 429]
    assert _attempt(app, "2001:db8:aa:bb:ffff:1:2:3") == 429  # same /64
    assert _attempt(app, "2001:db8:aa:bc::1") == 401  # the next /64
    assert _attempt(app, "::ffff:192.0.2.9") == 401
    assert _attempt(app, "192.0.2.9") == 401
    assert _attempt(app, "::ffff:192.0.2.9") == 429  # mapped IPv4 is that IPv4 address
