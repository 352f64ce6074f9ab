"""The workstation client never follows a redirect: urllib would re-send the
Authorization header to whatever host the Location names. A real HTTP server on
loopback answers every request with a redirect to a second one that records what
reaches it; the real CLI (`inventory --server`) and an upload through
`client.request` get a one-line error, and the second server sees nothing. The
code-host listing uses the same handler (`repos.listing`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scanner.repos import listing
from scanner.server import client

from .conftest import keysweep

TOKEN = "ksw_0123456789ab_viewerSecretValue"


def _recorder(seen: list[str]) -> type[BaseHTTPRequestHandler]:
    """A handler that records the Authorization header of each request."""

    class Recorder(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(str(self.headers.get("Authorization")))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"items": [], "next_page": null}')

        do_PUT = do_GET

        def log_message(self, format: str, *args: object) -> None:
            return

    return Recorder


def _serve(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def redirect() -> Iterator[tuple[str, list[str]]]:
    """(the redirecting server's URL, what the target was sent)."""
    seen: list[str] = []
    target, target_url = _serve(_recorder(seen))

    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(307)
            self.send_header("Location", target_url + self.path)
            self.end_headers()

        do_PUT = do_GET

        def log_message(self, format: str, *args: object) -> None:
            return

    source, source_url = _serve(Redirect)
    try:
        yield source_url, seen
    finally:
        for server in (source, target):
            server.shutdown()
            server.server_close()


def test_inventory_server_refuses_a_redirect(
    redirect: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, seen = redirect
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    done = keysweep(
        "inventory", "where", "0508c748c1e611b4", "--server", url, "--token-file", token_file
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"keysweep: error: {url}: HTTP 307: a redirect, refused (the token would follow it): "
        "give the server's final URL"
    )
    assert TOKEN not in done.stderr + done.stdout
    assert seen == []


def test_an_upload_is_not_resent_after_a_redirect_nor_retried(
    redirect: tuple[str, list[str]],
) -> None:
    url, seen = redirect
    with pytest.raises(client.ServerError) as refused:
        client.request(url, "/api/reports", TOKEN, "PUT", b'{"findings": []}')
    assert (refused.value.status, refused.value.transient) == (307, False)
    assert seen == []


def test_the_listing_uses_the_same_handler(redirect: tuple[str, list[str]]) -> None:
    url, seen = redirect
    with pytest.raises(listing.ListingError, match="HTTP 307"):
        listing.fetch(url + "/orgs/acme/repos", {"Authorization": "Bearer ghs_x"})
    assert seen == []
