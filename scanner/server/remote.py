"""`keysweep inventory where|summary --server URL`: the same answers as from a
database, read from a server's API with a viewer token (all pages)."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from scanner.inventory.queries import Place
from scanner.server import client

PER_PAGE = 500
MAX_PAGES = 10_000


def where(server: str, token_file: Path | None, key: str, include_gone: bool) -> list[Place]:
    token = client.read_token(token_file)
    path = f"/api/keys/{urllib.parse.quote(key, safe='')}"
    extra = "&all=1" if include_gone else ""
    try:
        return [_place(item) for item in _pages(server, token, path, extra)]
    except client.ServerError as exc:
        if exc.status == 404:
            return []
        raise


def retired_present(server: str, token_file: Path | None) -> dict[str, list[Place]]:
    token = client.read_token(token_file)
    out: dict[str, list[Place]] = {}
    for exposure in _pages(server, token, "/api/exposures", ""):
        for item in exposure.get("places") or []:
            place = _place(item)
            out.setdefault(place.host, []).append(place)
    return {host: out[host] for host in sorted(out)}


def _pages(server: str, token: str, path: str, extra: str) -> Iterator[dict[str, Any]]:
    page: int | None = 1
    for _ in range(MAX_PAGES):
        if page is None:
            return
        query = f"{path}?page={page}&per_page={PER_PAGE}{extra}"
        data = client.with_retries(partial(client.request, server, query, token))
        yield from data.get("items") or []
        page = data.get("next_page")


def _place(item: dict[str, Any]) -> Place:
    return Place(
        host=str(item["host"]),
        path=str(item["path"]),
        identity=str(item["identity"]),
        key_id=item.get("key_id"),
        verdict=item.get("verdict"),
        state=item.get("state"),
        severity=str(item.get("severity") or "unknown"),
        file_mode=item.get("file_mode"),
        first_seen=_time(item["first_seen"]),
        last_seen=_time(item["last_seen"]),
        gone_since=_time(item["gone_since"]) if item.get("gone_since") else None,
    )


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.rstrip("Z"))
