"""The dashboard: server-rendered pages (Jinja2, no JavaScript), exposures first.

Viewers log in with a viewer (or admin) token, exchanged for a signed session
cookie (SameSite=Strict, HttpOnly, Secure under TLS); every form carries a
CSRF token bound to the session. Pages show fingerprints, paths, verdicts and
registry lifecycle, never a secret.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from scanner.server import queries, sessions, tokens
from scanner.server.api import state_of
from scanner.server.guard import NEEDS, Refusal, csrf_ok, csrf_token
from scanner.server.store import audit
from scanner.server.tokens import Caller

Page = Callable[[Request, Caller], Awaitable[Response]]


def routes() -> list[Route]:
    return [
        Route("/", _page(exposures_page)),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/hosts", _page(hosts_page)),
        Route("/hosts/{host}", _page(host_page)),
        Route("/keys", _page(keys_page)),
        Route("/keys/{ref:path}", _page(key_page)),
        Route("/registry", _page(registry_page)),
    ]


def _page(view: Page) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            caller = await state_of(request).guard.viewer(request)
        except Refusal as refusal:
            return refusal.response()
        if caller is None:
            return RedirectResponse("/login", 303)
        request.state.caller = caller
        return await view(request, caller)

    return endpoint


def render(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    context.update(csrf=csrf_token(request), caller=getattr(request.state, "caller", None))
    response: Response = state_of(request).templates.TemplateResponse(
        request, name, context, status_code=status
    )
    return response


async def login_form(request: Request) -> Response:
    return render(request, "login.html")


async def login(request: Request) -> Response:
    state = state_of(request)
    try:
        state.guard.limit(request, None)
        source = state.guard.held_off(request)
    except Refusal as refusal:
        return refusal.response()
    form = await request.form()
    if not csrf_ok(request, form.get("csrf")):
        return render(request, "login.html", 403, error="The form expired; try again.")
    token = str(form.get("token") or "").strip()
    try:
        caller = await state.guard.verified(
            request, source, lambda session: _login(session, state, request, token)
        )
    except Refusal as refusal:
        return refusal.response()
    if caller is None:
        return render(request, "login.html", 401, error="Not a valid viewer token.")
    session_id = await run_in_threadpool(_start_session, state, caller)
    request.session.clear()
    request.session["caller"] = {
        "id": caller.token_id,
        "kind": caller.kind,
        "name": caller.name,
        "sid": session_id,
    }
    csrf_token(request)
    return RedirectResponse("/", 303)


def _start_session(state: Any, caller: Caller) -> str:
    with state.store.session() as session, session.begin():
        return sessions.start(session, caller.token_id, state.config.session_seconds)


def _end_session(state: Any, data: object) -> None:
    """End the session on the server: a copy of its cookie is refused from now on."""
    session_id = data.get("sid") if isinstance(data, dict) else None
    with state.store.session() as session, session.begin():
        sessions.end(session, session_id)


def _login(session: Session, state: Any, request: Request, token: str) -> Caller | None:
    address = request.client.host if request.client else "?"
    caller = tokens.verify(session, token, NEEDS["read"]) if token else None
    if caller is None or not caller.can_read:
        skipped = state.guard.refused_logins.take()
        if skipped is not None:  # a flood is counted, never one row per attempt
            who = caller.label if caller else "unknown token"
            more = {"refused_without_row": skipped} if skipped else {}
            audit(session, who, "login-refused", address=address, **more)
        return None
    audit(session, caller, "login", address=address)
    return caller


async def logout(request: Request) -> Response:
    form = await request.form()
    if csrf_ok(request, form.get("csrf")):
        await run_in_threadpool(_end_session, state_of(request), request.session.get("caller"))
        request.session.clear()
    return RedirectResponse("/login", 303)


def _query(request: Request, build: Callable[..., Any], *args: Any) -> Awaitable[Any]:
    store = state_of(request).store

    def run() -> Any:
        with store.session() as session:
            current = store.current(session)
            return build(session, current, *args)

    return run_in_threadpool(run)


def _page_number(request: Request, size: int = 50) -> queries.Page:
    return queries.page_of(request.query_params.get("page"), str(size))


async def exposures_page(request: Request, caller: Caller) -> Response:
    page = _page_number(request)

    def build(session: Any, current: Any) -> tuple[Any, Any, Any]:
        registry = current.registry if current else None
        return (
            queries.exposures(session, registry, page),
            queries.timeline(session),
            current.version if current else None,
        )

    data, samples, version = await _query(request, build)
    return render(
        request, "exposures.html", data=data, chart=timeline_svg(samples), version=version
    )


async def hosts_page(request: Request, caller: Caller) -> Response:
    page = _page_number(request)
    data = await _query(request, lambda s, c: queries.hosts(s, page))
    return render(request, "hosts.html", data=data)


async def host_page(request: Request, caller: Caller) -> Response:
    page = _page_number(request)
    name = request.path_params["host"]
    data = await _query(request, lambda s, c: queries.host_detail(s, name, page, True))
    if data is None:
        return render(request, "missing.html", 404, what=f"host {name}")
    return render(request, "host.html", data=data)


async def keys_page(request: Request, caller: Caller) -> Response:
    page = _page_number(request)
    data = await _query(request, lambda s, c: queries.keys(s, page))
    return render(request, "keys.html", data=data)


async def key_page(request: Request, caller: Caller) -> Response:
    page = _page_number(request)
    ref = request.path_params["ref"]
    data = await _query(
        request,
        lambda s, c: queries.key_detail(s, c.registry if c else None, ref, page, True),
    )
    if data is None:
        return render(request, "missing.html", 404, what=f"key {ref}")
    return render(request, "key.html", data=data)


async def registry_page(request: Request, caller: Caller) -> Response:
    page = _page_number(request)
    data = await _query(request, lambda s, c: queries.versions(s, page))
    return render(request, "registry.html", data=data)


def timeline_svg(samples: list[tuple[datetime, int, int]], width: int = 720) -> Markup:
    """Exposures over time as an inline SVG step chart (numbers and dates only)."""
    height, pad = 160, 30
    if not samples:
        return Markup('<p class="muted">No exposure has been recorded yet.</p>')
    start, end = samples[0][0], samples[-1][0]
    span = max((end - start).total_seconds(), 1.0)
    top = max(max(n for _, n, _ in samples), 1)

    def x(at: datetime) -> float:
        return pad + (at - start).total_seconds() / span * (width - 2 * pad)

    def y(n: int) -> float:
        return height - pad - n / top * (height - 2 * pad)

    points: list[str] = []
    for at, n, _ in samples:
        if points:
            points.append(f"{x(at):.1f},{float(points[-1].split(',')[1]):.1f}")
        points.append(f"{x(at):.1f},{y(n):.1f}")
    last = samples[-1]
    return Markup(
        f'<svg class="timeline" role="img" aria-label="exposures over time" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        f'stroke="#888"/><line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="#888"/>'
        f'<polyline fill="none" stroke="#c0392b" stroke-width="2" points="{" ".join(points)}"/>'
        f'<text x="{pad}" y="{height - 8}" font-size="11">{start:%Y-%m-%d %H:%M}</text>'
        f'<text x="{width - pad}" y="{height - 8}" font-size="11" text-anchor="end">'
        f"{end:%Y-%m-%d %H:%M}</text>"
        f'<text x="{pad - 4}" y="{pad + 4}" font-size="11" text-anchor="end">{top}</text>'
        f'<text x="{width - pad}" y="{pad - 10}" font-size="12" text-anchor="end">now: '
        f"{last[1]} exposure(s) on {last[2]} host(s)</text></svg>"
    )
