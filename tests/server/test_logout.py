"""Logging out of the dashboard ends the session on the server: a copy of the
cookie taken before (a shared machine, a proxy's log) is refused afterwards, while
other logins of the same token go on (SQLite and a real PostgreSQL)."""

from __future__ import annotations

import re

import httpx
from support import login_form

from .conftest import StartServer


def _logged_in(url: str, token: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30)
    csrf = login_form(client)
    done = client.post("/login", data={"token": token, "csrf": csrf}, follow_redirects=False)
    assert done.status_code == 303
    return client


def test_a_copied_session_cookie_is_refused_after_logout(start_server: StartServer) -> None:
    server = start_server()
    viewer = server.token("viewer", "alice")
    alice, other = _logged_in(server.url, viewer), _logged_in(server.url, viewer)
    copied = httpx.Client(base_url=server.url, cookies=alice.cookies, timeout=30)
    try:
        page = alice.get("/")
        assert page.status_code == 200
        assert copied.get("/").status_code == 200
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found is not None
        out = alice.post("/logout", data={"csrf": found.group(1)}, follow_redirects=False)
        assert out.status_code == 303
        refused = copied.get("/", follow_redirects=False)
        assert (refused.status_code, refused.headers["location"]) == (303, "/login")
        assert other.get("/").status_code == 200  # another login of the token goes on
    finally:
        for client in (alice, other, copied):
            client.close()
    assert server.count("dashboard_sessions") == 2
