"""Paging through a code host's API: one HTTP client for every provider.

The token goes only to the API's own scheme, host and port: a `next` link that
points anywhere else ends the listing with an error rather than sending the
token there. Rate limits are waited out when the host says when they end
(`Retry-After`, or a reset time with no requests remaining) and that is soon
enough; otherwise the listing stops with one line naming the host and status,
and adds nothing. Pages are bounded in size and count.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from email.message import Message
from typing import Any

from scanner import safeload
from scanner.errors import KeysweepError
from scanner.server.client import opener
from scanner.text import escape_control
from scanner.urlshow import origin

MAX_PAGE_BYTES = 16 * 1024 * 1024
MAX_PAGES = 10_000
MAX_RATE_WAIT = 120.0
"""Longest wait for a rate limit to end before the listing gives up."""
TIMEOUT = 60.0


class ListingError(KeysweepError):
    """The host refused or failed the listing (exit 2, one line)."""


@dataclass(frozen=True)
class Page:
    body: Any
    headers: Message
    url: str


Sleep = Callable[[float], None]


def pages(first: str, headers: Mapping[str, str], *, sleep: Sleep = time.sleep) -> Iterator[Page]:
    """Every page from `first`, following `next` links (the caller says which)."""
    url: str | None = first
    for _ in range(MAX_PAGES):
        if url is None:
            return
        page = fetch(url, headers, sleep=sleep)
        yield page
        url = yield_next(page, first)
    raise ListingError(f"{origin(first)}: more than {MAX_PAGES} pages; stopped")


def yield_next(page: Page, first: str) -> str | None:
    """The page's `next` URL (Link header or a `next` member), kept on the API's origin."""
    url = link_next(page.headers.get("Link", "")) or _body_next(page.body)
    if url is not None and origin(url) != origin(first):
        raise ListingError(f"{origin(first)}: next page on another host ({origin(url)}); stopped")
    return url


def _body_next(body: Any) -> str | None:
    value = body.get("next") if isinstance(body, dict) else None
    return value if isinstance(value, str) and value else None


def link_next(header: str) -> str | None:
    """The rel="next" target of an RFC 8288 Link header."""
    for part in header.split(","):
        target, _, params = part.partition(";")
        rels = [p.strip().replace('"', "") for p in params.split(";")]
        if "rel=next" in rels:
            return target.strip().strip("<>")
    return None


def fetch(url: str, headers: Mapping[str, str], *, sleep: Sleep = time.sleep) -> Page:
    """One page, waiting out a rate limit once if its end is near."""
    for attempt in range(2):
        try:
            return _get(url, headers)
        except urllib.error.HTTPError as exc:
            wait = rate_wait(exc.code, exc.headers)
            if attempt == 0 and wait is not None and wait <= MAX_RATE_WAIT:
                sleep(wait)
                continue
            raise ListingError(_http_problem(url, exc, wait)) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or type(exc).__name__
            raise ListingError(f"{origin(url)}: {escape_control(str(reason))[:200]}") from None
    raise ListingError(f"{origin(url)}: still rate limited")


def _get(url: str, headers: Mapping[str, str]) -> Page:
    request = urllib.request.Request(url, headers=dict(headers))
    with opener().open(request, timeout=TIMEOUT) as response:
        data = response.read(MAX_PAGE_BYTES + 1)
        if len(data) > MAX_PAGE_BYTES:
            raise ValueError(f"page over {MAX_PAGE_BYTES} bytes")
        return Page(safeload.json_loads(data), response.headers, url)


def rate_wait(status: int, headers: Message) -> float | None:
    """Seconds until the rate limit ends, if the response says it is one."""
    if status not in (403, 429):
        return None
    retry_after = headers.get("Retry-After")
    if retry_after and retry_after.strip().isdigit():
        return float(retry_after.strip())
    remaining = headers.get("X-RateLimit-Remaining") or headers.get("RateLimit-Remaining")
    reset = headers.get("X-RateLimit-Reset") or headers.get("RateLimit-Reset")
    if remaining is None or remaining.strip() != "0" or not reset or not reset.strip().isdigit():
        return None
    return max(0.0, float(reset) - time.time()) + 1.0


def _http_problem(url: str, exc: urllib.error.HTTPError, wait: float | None) -> str:
    if wait is not None:
        return f"{origin(url)}: rate limited (HTTP {exc.code}) for {wait:.0f} s more; try later"
    return f"{origin(url)}: HTTP {exc.code} {exc.reason}{_message(exc)}"


def _message(exc: urllib.error.HTTPError) -> str:
    """The API's own `message`, if it sent one (never the request, never the token)."""
    try:
        body = json.loads(exc.read(4096) or b"{}")
    except (ValueError, OSError):
        return ""
    text = body.get("message") or body.get("error") if isinstance(body, dict) else None
    if isinstance(text, dict):
        text = text.get("message")
    return f": {escape_control(str(text))[:200]}" if text else ""
