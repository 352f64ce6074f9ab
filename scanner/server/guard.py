"""Who is asking, and may they: bearer tokens for the API, session cookies for
the dashboard, per-token rate limits, and the one place that turns a refusal
into 401, 403 or 429 (before any body is read or anything is written).

Failed attempts are limited per client address before any token is looked up
(`failures`): a client past its budget of wrong tokens gets 429 without a
database query, so guessing tokens costs the guesser, not the server. Every
attempt is paid for before its token is looked up and paid back when the token
is valid, so attempts that arrive together are counted one by one, never all
looked up first. An IPv6 client is counted by its /64 (`attempt_source`): one
host usually holds a whole /64, and counting each of its addresses apart would
give it 2**64 budgets."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from scanner.server import sessions, tokens
from scanner.server.failures import SharedFailures
from scanner.server.logs import log
from scanner.server.ratelimit import RateLimiter, Tally
from scanner.server.tokens import Caller

NEEDS = {
    "read": ("viewer", "admin"),
    "admin": ("admin",),
    "host": ("host",),
}


@dataclass(frozen=True)
class Refusal(Exception):
    status: int
    message: str
    retry_after: float = 0.0

    def response(self) -> Response:
        headers = {}
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="keysweep"'
        if self.retry_after:
            headers["Retry-After"] = str(int(self.retry_after) + 1)
        return JSONResponse({"error": self.message}, self.status, headers=headers)


class Guard:
    def __init__(
        self,
        sessions: Any,
        limiter: RateLimiter,
        failures: RateLimiter,
        shared: SharedFailures,
        refused_logins: Tally | None = None,
    ) -> None:
        self.sessions = sessions
        self.limiter = limiter
        self.failures = failures
        """Clients this process knows have no failed attempt left (API and login),
        held off without a query; `shared` is the count that decides."""
        self.refused_logins = refused_logins or Tally(10)
        self.shared = shared
        """The count in the database, shared by every worker of the server."""

    async def bearer(self, request: Request, need: str) -> Caller:
        """The caller of an API request, or Refusal (401 no/bad token, 403 wrong kind,
        429 past the rate or past the client's failed attempts, then before any lookup)."""
        source = self.held_off(request)
        token = _bearer_token(request)
        kinds = NEEDS[need]
        caller = await self.verified(
            request, source, lambda session: tokens.verify(session, token, kinds) if token else None
        )
        if caller is None:
            log("refused", status=401, path=request.url.path, reason="no valid token")
            raise Refusal(401, "missing, unknown or revoked token")
        self.limit(request, caller)
        if caller.kind not in NEEDS[need]:
            log("refused", status=403, path=request.url.path, caller=caller.token_id)
            raise Refusal(403, f"a {caller.kind} token may not do this")
        request.state.caller = caller
        return caller

    def limit(self, request: Request, caller: Caller | None) -> None:
        key = caller.token_id if caller else f"addr:{address(request)}"
        wait = self.limiter.allow(key)
        if wait:
            raise Refusal(429, "too many requests", retry_after=wait)

    def held_off(self, request: Request) -> str:
        """This client's attempt source, or Refusal (429, no query) while this
        process knows from the database that it has no attempt left."""
        source = attempt_source(request)
        wait = self.failures.waiting(source)
        if wait:
            raise _held_off(request, wait)
        return source

    async def verified(
        self, request: Request, source: str, check: Callable[[Session], Caller | None]
    ) -> Caller | None:
        """What `check` finds (a valid token's caller, else None), looked up only once
        one of the client's attempts is spent in the database, in the same
        transaction (Refusal 429 when it had none left: nothing is looked up). A
        caller found gives the attempt back. When the client has no attempt left,
        this process holds it off without a query until it has one again."""
        caller, left = await run_in_threadpool(self._verified, source, check)
        wait = self.shared.wait(left)
        if wait:
            self.failures.hold(source, wait)
        if left < 0:
            raise _held_off(request, wait)
        return caller

    def _verified(
        self, source: str, check: Callable[[Session], Caller | None]
    ) -> tuple[Caller | None, float]:
        failure: Exception | None = None
        with self.sessions() as session, session.begin():
            left = self.shared.take(session, source)
            if left < 0:
                return None, left
            try:
                with session.begin_nested():  # a failed lookup undoes itself, not the spend
                    caller = check(session)
            except Exception as error:  # raised again below, once the spend is committed
                caller, failure = None, error
            if caller is not None:
                self.shared.give_back(session, source)
                left += 1
        if failure is not None:
            raise failure
        return caller, left

    async def viewer(self, request: Request) -> Caller | None:
        """The dashboard viewer of this session, if its token is still valid."""
        data = request.session.get("caller")
        if not isinstance(data, dict):
            return None
        caller = Caller(str(data.get("id")), str(data.get("kind")), str(data.get("name")))
        if caller.kind not in NEEDS["read"]:
            return None
        valid = await run_in_threadpool(self._still_valid, caller, data.get("sid"))
        if not valid:
            request.session.clear()
            return None
        self.limit(request, caller)
        return caller

    def _still_valid(self, caller: Caller, session_id: object) -> bool:
        """The token is not revoked, and this login was not logged out (`sessions`)."""
        with self.sessions() as session:
            if not tokens.still_valid(session, caller):
                return False
            return sessions.is_open(session, session_id, caller.token_id)


def _held_off(request: Request, wait: float) -> Refusal:
    log("refused", status=429, path=request.url.path, reason="failed attempts")
    return Refusal(429, "too many failed attempts", retry_after=wait)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, sent: object) -> bool:
    expected = request.session.get("csrf")
    return (
        isinstance(expected, str)
        and isinstance(sent, str)
        and hmac.compare_digest(expected.encode(), sent.encode())
    )


def address(request: Request) -> str:
    """The client's address (behind a trusted proxy, the one it forwarded)."""
    return request.client.host if request.client else "?"


def attempt_source(request: Request) -> str:
    """Who failed attempts are counted against: the client's address, or its /64
    for IPv6 (an IPv4 address mapped into IPv6 counts as that IPv4 address)."""
    host = address(request)
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(getattr(ip, "ipv4_mapped", None) or ip)


def _bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None
