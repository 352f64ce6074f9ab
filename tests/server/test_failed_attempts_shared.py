"""Failed token attempts are counted in the database, so `--workers 2` gives a
client one budget, not two: a real server with two worker processes on loopback,
on SQLite and on PostgreSQL. The budget is spent first, one attempt at a time;
then wrong tokens arrive on fresh connections at once, so both workers answer
some (each log line names its process), and every one is refused, by the worker
that counted none of the failures too."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx

from .conftest import Server, StartServer

BUDGET = 5
AFTER = 48


def _attempt(server: Server, n: int) -> int:
    headers = {"Authorization": f"Bearer ksw_{n:012d}_wrong"}
    with httpx.Client(timeout=30) as client:  # a new connection: either worker may take it
        return client.get(server.url + "/api/exposures", headers=headers).status_code


def test_two_workers_share_one_budget_of_failed_attempts(start_server: StartServer) -> None:
    server = start_server("--workers", "2", "--failed-rate", str(BUDGET))
    viewer = server.token("viewer", "alice")
    assert [_attempt(server, n) for n in range(BUDGET)] == [401] * BUDGET
    with ThreadPoolExecutor(8) as pool:
        after = list(pool.map(lambda n: _attempt(server, n), range(BUDGET, BUDGET + AFTER)))
    assert after == [429] * AFTER
    # held off on every worker, a valid token included (refused before any lookup)
    assert {server.get("/api/exposures", viewer).status_code for _ in range(8)} == {429}
    _, log = server.stop()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    refused = [line for line in lines if line.get("event") == "refused"]
    assert sum(line.get("reason") == "no valid token" for line in refused) == BUDGET
    held_off_by = {line["pid"] for line in refused if line.get("reason") == "failed attempts"}
    assert len(held_off_by) == 2, "both workers refused the client"
