"""Talking to a keysweep server from the command line: upload a report (with
retries, and a spool folder so that no report is lost while the server is
down), push a registry version, read the API.

Standard library only (urllib), so `keysweep sweep --upload` works on a
workstation that has only the base install. The token comes from a file or
KEYSWEEP_TOKEN and is never printed, nor sent anywhere but the server named:
urllib follows redirects and sends the Authorization header along, to any host,
so a redirect is refused (`NoRedirect`, also what `repos.listing` uses for a code
host's token) and the error says to name the server's final URL.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from scanner.errors import KeysweepError
from scanner.urlshow import shown

TOKEN_ENV = "KEYSWEEP_TOKEN"
RETRYABLE = frozenset({408, 425, 429, 500, 502, 503, 504})
TIMEOUT = 60.0


class ServerError(KeysweepError):
    """The server refused a request, or could not be reached."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    @property
    def transient(self) -> bool:
        return self.status is None or self.status in RETRYABLE


@dataclass(frozen=True)
class Shipped:
    sent: int
    spooled: int
    spool: Path


def read_token(token_file: Path | None) -> str:
    """The token from --token-file, else KEYSWEEP_TOKEN; one-line error when neither."""
    if token_file is not None:
        try:
            token = token_file.read_text("utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise KeysweepError(f"{token_file}: cannot read the token: {reason}") from None
        if not token:
            raise KeysweepError(f"{token_file}: the token file is empty")
        return token
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise KeysweepError(f"no token: give --token-file FILE or set {TOKEN_ENV}")
    return token


def request(
    base: str,
    path: str,
    token: str,
    method: str = "GET",
    body: bytes | None = None,
    timeout: float = TIMEOUT,
) -> Any:
    """One HTTP request to the server; the decoded JSON answer, or ServerError."""
    url = base.rstrip("/") + path
    if not url.startswith(("http://", "https://")):
        raise KeysweepError(f"{base}: not an http(s) URL")
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    call = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with opener().open(call, timeout=timeout) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        raise ServerError(f"{shown(base)}: HTTP {exc.code}: {_reason(exc)}", exc.code) from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise ServerError(f"{shown(base)}: cannot reach the server: {reason}") from None


def with_retries(send: Callable[[], Any], attempts: int = 3, delay: float = 1.0) -> Any:
    """`send()`, retried with backoff while the failure is transient."""
    for attempt in range(attempts):
        try:
            return send()
        except ServerError as exc:
            if not exc.transient or attempt == attempts - 1:
                raise
            time.sleep(delay * (2**attempt))
    raise AssertionError("unreachable")


def ship(
    report: str, base: str, token: str, spool: Path, attempts: int = 3, delay: float = 1.0
) -> Shipped:
    """Send the spooled reports (oldest first), then this one; spool what cannot go now.

    A transient failure (server down, 5xx, 429) spools and returns; a refusal
    (401, 403, 413, 422) raises ServerError after spooling, since it will not
    pass on its own."""
    spool.mkdir(parents=True, exist_ok=True, mode=0o700)
    mine = _spool(spool, report.encode("utf-8"))
    sent = 0
    refused: ServerError | None = None
    for path in sorted(spool.glob("*.json")):
        body = path.read_bytes()
        try:
            with_retries(
                partial(request, base, "/api/reports", token, "PUT", body), attempts, delay
            )
        except ServerError as exc:
            if exc.transient:
                return Shipped(sent, len(list(spool.glob("*.json"))), spool)
            if exc.status not in (413, 422):
                raise
            path.rename(path.with_suffix(".rejected"))
            refused = exc if path == mine else refused
            continue
        path.unlink()
        sent += 1
    if refused is not None:
        raise refused
    return Shipped(sent, 0, spool)


def _spool(spool: Path, body: bytes) -> Path:
    """Write the report into the spool (mode 600), named so that order is kept."""
    name = f"{time.strftime('%Y%m%dT%H%M%S')}-{hashlib.sha256(body).hexdigest()[:16]}.json"
    path = spool / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(body)
    return path


def default_spool() -> Path:
    from scanner.inventory.db import data_dir

    return data_dir() / "spool"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect could carry a token to another host: it is an error instead."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def opener() -> urllib.request.OpenerDirector:
    """urllib's opener, with redirects refused (`NoRedirect`)."""
    return urllib.request.build_opener(NoRedirect)


def _reason(exc: urllib.error.HTTPError) -> str:
    if 300 <= exc.code < 400:
        return "a redirect, refused (the token would follow it): give the server's final URL"
    try:
        data = json.loads(exc.read(4096) or b"{}")
    except (OSError, ValueError):
        data = {}
    message = data.get("error") if isinstance(data, dict) else None
    return " ".join(str(message or exc.reason).split())[:300]
