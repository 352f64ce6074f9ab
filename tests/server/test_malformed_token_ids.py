"""A token whose id part is not the shape tokens are made with (12 lowercase hex
characters) is a failed attempt like any other wrong token: counted, answered
401, then 429 once the client's budget is spent. Never a 500, and never an
attempt that goes uncounted because the lookup failed and rolled back the spend
(a NUL in the id made PostgreSQL refuse the query). A real server on loopback,
on SQLite and on PostgreSQL, through the login form and the API."""

from __future__ import annotations

import httpx
import pytest
from support import login_form

from scanner.server.tokens import split_id

from .conftest import StartServer

BUDGET = 3
MALFORMED = [
    "ksw_" + "\x00" * 12 + "_x",
    "ksw_" + "\x00" * 11 + "a_secret",
    "ksw_ABCDEF012345_secret",
    "ksw_zzzzzzzzzzzz_secret",
    "ksw_" + "é" * 12 + "_secret",
    "ksw_" + "\uff11" * 12 + "_secret",  # fullwidth digits
    "ksw_0123456789a\x00_secret",
]


def _logins(url: str, tokens: list[str]) -> list[int]:
    with httpx.Client(base_url=url, timeout=30) as client:
        csrf = login_form(client)
        return [
            client.post("/login", data={"token": token, "csrf": csrf}).status_code
            for token in tokens
        ]


@pytest.mark.parametrize("token", MALFORMED[:2])
def test_a_nul_id_at_login_is_a_counted_failed_attempt(
    start_server: StartServer, token: str
) -> None:
    server = start_server("--failed-rate", str(BUDGET))
    statuses = _logins(server.url, [token] * 10)
    assert statuses == [401] * BUDGET + [429] * (10 - BUDGET)


def test_every_malformed_id_is_counted_at_login(
    start_server: StartServer,
) -> None:
    server = start_server("--failed-rate", str(len(MALFORMED)))
    assert _logins(server.url, MALFORMED) == [401] * len(MALFORMED)
    assert _logins(server.url, MALFORMED[:1]) == [429]


def test_a_non_hex_id_on_the_api_is_a_counted_failed_attempt(start_server: StartServer) -> None:
    server = start_server("--failed-rate", "2")  # headers carry no NUL: letters out of range
    api = [server.get("/api/exposures", "ksw_zzzzzzzzzzzz_x").status_code for _ in range(3)]
    assert api == [401, 401, 429]


def test_split_id_accepts_only_the_minted_shape() -> None:
    assert split_id("ksw_0123456789ab_secret") == "0123456789ab"
    for token in MALFORMED:
        assert split_id(token) is None, repr(token)
