"""A burst of wrong tokens sent at once never gets more answers than the client's
budget of failed attempts: each attempt is spent in the database row that every
worker shares, in the transaction that then looks its token up, so a request
that finds no attempt left is refused (429) without a lookup, however many
arrive together. A valid token gives its attempt back: valid calls, however many
at once, spend nothing. A real server with two worker processes on loopback, on
SQLite and on PostgreSQL; the requests are released together from many threads,
each on a connection of its own, on the API and on the dashboard's login form."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
from support import login_form

from .conftest import Server, StartServer

BUDGET = 5
BURST = 48
CALLS = 12

Send = Callable[[httpx.Client, str, str], int]


def _api(client: httpx.Client, csrf: str, token: str) -> int:
    return client.get("/api/exposures", headers={"Authorization": f"Bearer {token}"}).status_code


def _login(client: httpx.Client, csrf: str, token: str) -> int:
    return client.post("/login", data={"token": token, "csrf": csrf}).status_code


def _burst(server: Server, send: Send, token: str, count: int) -> list[int]:
    """`count` requests with `token`, released together, each on its own connection."""
    clients = [httpx.Client(base_url=server.url, timeout=60) for _ in range(count)]
    # connect (and fetch the form) first, so that the requests leave at once
    forms = {id(client): login_form(client) for client in clients}
    start = threading.Barrier(count)

    def attempt(client: httpx.Client) -> int:
        start.wait()
        return send(client, forms[id(client)], token)

    try:
        with ThreadPoolExecutor(count) as pool:
            return list(pool.map(attempt, clients))
    finally:
        for client in clients:
            client.close()


def _bounded_burst(server: Server, send: Send, viewer: str, ok: int) -> None:
    # a valid token spends nothing: more valid calls than the budget, at once
    assert _burst(server, send, viewer, CALLS) == [ok] * CALLS
    wrong = "ksw_000000000000_" + "x" * 43
    started = time.monotonic()
    statuses = _burst(server, send, wrong, BURST)
    refilled = int((time.monotonic() - started) * BUDGET / 60)  # one a 12 s: a slow machine
    assert set(statuses) == {401, 429}
    assert statuses.count(401) <= BUDGET + refilled, statuses
    # spent: a valid token is refused too, before any lookup, by every worker
    assert set(_burst(server, send, viewer, 8)) == {429}
    _, log = server.stop()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    looked_up = sum(line.get("status") == 401 for line in lines if line.get("event") == "request")
    assert looked_up == statuses.count(401)
    assert wrong[4:] not in log and viewer not in log


def test_a_burst_of_wrong_tokens_gets_no_more_answers_than_the_budget(
    start_server: StartServer,
) -> None:
    server = start_server("--workers", "2", "--failed-rate", str(BUDGET))
    _bounded_burst(server, _api, server.token("viewer", "alice"), 200)


def test_a_burst_of_wrong_logins_gets_no_more_answers_than_the_budget(
    start_server: StartServer,
) -> None:
    server = start_server("--workers", "2", "--failed-rate", str(BUDGET))
    _bounded_burst(server, _login, server.token("viewer", "alice"), 303)
