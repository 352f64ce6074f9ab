"""The JSON API: uploads (host tokens), registry pushes (admin tokens) and the
read endpoints (viewer or admin tokens), with paging."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from scanner import safeload
from scanner.errors import RegistryError
from scanner.server import queries
from scanner.server.guard import Refusal
from scanner.server.logs import log
from scanner.server.state import ServerState
from scanner.server.store import Conflict, Refused
from scanner.server.validation import Invalid, parse_upload

Handler = Callable[[Request], Awaitable[Response]]


def state_of(request: Request) -> ServerState:
    state: ServerState = request.app.state.keysweep
    return state


def refusals(handler: Handler) -> Handler:
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except Refusal as refusal:
            return refusal.response()

    wrapped.__name__ = handler.__name__
    return wrapped


@refusals
async def upload(request: Request) -> Response:
    """PUT/POST /api/reports (or /api/hosts/{host}/reports): a host's own report."""
    state = state_of(request)
    caller = await state.guard.bearer(request, "host")
    named = request.path_params.get("host")
    if named is not None and named != caller.name:
        state.metrics.reports.labels("refused").inc()
        log("refused", status=403, caller=caller.token_id, reason="another host")
        raise Refusal(403, "this token may only write its own host's reports")
    started = time.perf_counter()
    body = await request.body()
    try:
        document = await run_in_threadpool(parse_upload, body)
        done = await run_in_threadpool(state.store.upload, document, caller)
    except Invalid as exc:
        state.metrics.reports.labels("invalid").inc()
        return JSONResponse({"error": str(exc)}, 422)
    except Refused as exc:
        state.metrics.reports.labels("refused").inc()
        return JSONResponse({"error": str(exc)}, 403)
    except SQLAlchemyError as exc:
        log("ingest failed", error=type(exc).__name__, caller=caller.token_id)
        return JSONResponse({"error": "the database is unavailable; retry later"}, 503)
    elapsed = time.perf_counter() - started
    state.metrics.ingest_seconds.observe(elapsed)
    result = done.result
    state.metrics.reports.labels("already" if result.already else "new").inc()
    log(
        "report ingested",
        caller=caller.token_id,
        host=caller.name,
        report=result.report_id,
        already=result.already,
        sightings=result.sightings,
        alerts=done.alerts,
        ms=round(elapsed * 1000, 1),
    )
    out = {k: v for k, v in result.__dict__.items() if k != "source_name"}
    out.update(rejudged=done.rejudged, alerts=done.alerts)
    return JSONResponse(out, 200 if result.already else 201)


@refusals
async def registry_get(request: Request) -> Response:
    """GET /api/registry (admin): the current version and its document."""
    state = state_of(request)
    await state.guard.bearer(request, "admin")

    def read() -> dict[str, Any]:
        with state.store.session() as session:
            current = state.store.current(session)
        if current is None:
            return {"version": 0, "document": None}
        return {"version": current.version, "document": current.document}

    return JSONResponse(await run_in_threadpool(read))


@refusals
async def registry_push(request: Request) -> Response:
    """PUT/POST /api/registry (admin): {"document", "source", "base_version"}."""
    state = state_of(request)
    caller = await state.guard.bearer(request, "admin")
    try:  # nesting bounded as for uploads: deep JSON is a 422, not a RecursionError
        payload = safeload.json_loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return JSONResponse({"error": "not JSON"}, 422)
    if not isinstance(payload, dict) or "document" not in payload:
        return JSONResponse({"error": 'expected {"document": ..., "source": ...}'}, 422)
    source = str(payload.get("source") or "upload")[:200]
    base = payload.get("base_version")
    base = base if isinstance(base, int) else None
    try:
        pushed = await run_in_threadpool(
            state.store.push, payload["document"], source, caller, base
        )
    except RegistryError as exc:
        return JSONResponse({"error": str(exc)}, 422)
    except Conflict as exc:
        return JSONResponse({"error": str(exc)}, 409)
    state.metrics.rejudge_seconds.observe(pushed.seconds)
    log(
        "registry pushed",
        caller=caller.token_id,
        version=pushed.version,
        changed=pushed.changed,
        alerts=pushed.alerts,
        ms=round(pushed.seconds * 1000, 1),
    )
    return JSONResponse(pushed.__dict__, 200 if pushed.unchanged else 201)


def _reader(
    build: Callable[[ServerState, Request, queries.Page], dict[str, Any] | None],
    need: str = "read",
) -> Handler:
    """A GET endpoint for viewers: authenticate, page, query in a thread, 404 on None."""

    @refusals
    async def endpoint(request: Request) -> Response:
        state = state_of(request)
        await state.guard.bearer(request, need)
        page = queries.page_of(
            request.query_params.get("page"), request.query_params.get("per_page")
        )
        data = await run_in_threadpool(build, state, request, page)
        if data is None:
            return JSONResponse({"error": "not found"}, 404)
        return JSONResponse(data)

    return endpoint


def _all(request: Request) -> bool:
    return request.query_params.get("all", "") in ("1", "true", "yes")


def _exposures(state: ServerState, request: Request, page: queries.Page) -> dict[str, Any]:
    with state.store.session() as session:
        current = state.store.current(session)
        return queries.exposures(session, current.registry if current else None, page)


def _key(state: ServerState, request: Request, page: queries.Page) -> dict[str, Any] | None:
    with state.store.session() as session:
        current = state.store.current(session)
        registry = current.registry if current else None
        ref = request.path_params["ref"]
        return queries.key_detail(session, registry, ref, page, _all(request))


def _host(state: ServerState, request: Request, page: queries.Page) -> dict[str, Any] | None:
    with state.store.session() as session:
        return queries.host_detail(session, request.path_params["host"], page, _all(request))


def _hosts(state: ServerState, request: Request, page: queries.Page) -> dict[str, Any]:
    with state.store.session() as session:
        return queries.hosts(session, page)


def _keys(state: ServerState, request: Request, page: queries.Page) -> dict[str, Any]:
    with state.store.session() as session:
        return queries.keys(session, page)


def _versions(state: ServerState, request: Request, page: queries.Page) -> dict[str, Any]:
    with state.store.session() as session:
        return queries.versions(session, page)


def _audit(state: ServerState, request: Request, page: queries.Page) -> dict[str, Any]:
    with state.store.session() as session:
        return queries.audit_log(session, page)


exposures = _reader(_exposures)
key = _reader(_key)
host = _reader(_host)
hosts = _reader(_hosts)
keys = _reader(_keys)
versions = _reader(_versions)
audit = _reader(_audit, need="admin")


@refusals
async def metrics(request: Request) -> Response:
    """GET /metrics (viewer or admin token): Prometheus text format."""
    state = state_of(request)
    await state.guard.bearer(request, "read")
    body = await run_in_threadpool(state.metrics.render)
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")


async def healthz(request: Request) -> Response:
    """GET /healthz: 200 when the database answers (no token: it reveals nothing)."""
    state = state_of(request)
    ok = await run_in_threadpool(state.database_ok)
    return JSONResponse({"status": "ok" if ok else "database unavailable"}, 200 if ok else 503)
