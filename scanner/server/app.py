"""The ASGI application: routes, middleware (sessions, body limits, request
log, security headers) and the lifespan that runs the alert loop and closes
the database on shutdown."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Route
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scanner.server import api, pages
from scanner.server.alerts import Deliverer
from scanner.server.config import ServerConfig
from scanner.server.database import server_engine
from scanner.server.failures import SharedFailures
from scanner.server.guard import Guard
from scanner.server.logs import log
from scanner.server.metrics import Metrics
from scanner.server.ratelimit import RateLimiter, Tally
from scanner.server.state import ServerState, exposure_counts
from scanner.server.store import Store

SMALL_BODY = 64 * 1024
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
]


def create_app(
    config: ServerConfig, engine: Engine | None = None, session_key: str = ""
) -> Starlette:
    engine = engine or server_engine(config.db_url)
    store = Store(engine, [hook.target for hook in config.webhooks])
    metrics = Metrics(lambda: exposure_counts(store))
    templates = Jinja2Templates(env=_environment())
    state = ServerState(
        config,
        store,
        Guard(
            store.session,
            RateLimiter(config.requests_per_minute),
            RateLimiter(config.failed_per_minute),
            SharedFailures(config.failed_per_minute),
            Tally(config.refused_logins_audited_per_minute),
        ),
        metrics,
        templates,
    )
    middleware = [
        Middleware(RequestLog),
        Middleware(
            SessionMiddleware,
            secret_key=session_key or secrets.token_urlsafe(32),
            session_cookie="keysweep_session",
            max_age=config.session_seconds,
            same_site="strict",
            https_only=config.secure_cookies,
        ),
    ]
    app = Starlette(
        routes=_routes(config),
        middleware=middleware,
        lifespan=_lifespan,
        max_body_size=SMALL_BODY,
    )
    app.state.keysweep = state
    return app


def _routes(config: ServerConfig) -> list[Route]:
    big = config.max_report_bytes
    return [
        Route("/healthz", api.healthz),
        Route("/metrics", api.metrics),
        Route("/api/reports", api.upload, methods=["PUT", "POST"], max_body_size=big),
        Route("/api/hosts/{host}/reports", api.upload, methods=["PUT", "POST"], max_body_size=big),
        Route("/api/registry", api.registry_get, methods=["GET"]),
        Route("/api/registry", api.registry_push, methods=["PUT", "POST"], max_body_size=big),
        Route("/api/registry/versions", api.versions),
        Route("/api/exposures", api.exposures),
        Route("/api/keys", api.keys),
        Route("/api/keys/{ref:path}", api.key),
        Route("/api/hosts", api.hosts),
        Route("/api/hosts/{host}", api.host),
        Route("/api/audit", api.audit),
        *pages.routes(),
    ]


@asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    state: ServerState = app.state.keysweep
    stop = asyncio.Event()
    task = None
    if state.config.webhooks:
        deliverer = Deliverer(
            state.store.session,
            state.config,
            lambda outcome: state.metrics.alerts.labels(outcome).inc(),
        )
        task = asyncio.create_task(deliverer.run(stop))
    log("server ready", webhooks=[h.target for h in state.config.webhooks])
    try:
        yield
    finally:
        stop.set()
        if task is not None:
            await task
        state.store.engine.dispose()
        log("server stopped")


class RequestLog:
    """One structured log line per request, and the security headers on every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            state = scope.get("state") or {}
            caller = state.get("caller")
            log(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 1),
                caller=caller.token_id if caller else None,
            )


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("scanner.server", "templates"),
        autoescape=select_autoescape(default=True),
    )
