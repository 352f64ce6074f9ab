"""The server's settings, as one frozen value built by `keysweep server run`."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

from scanner import hashkey
from scanner.errors import KeysweepError

WEBHOOK_KINDS = ("slack", "json")


@dataclass(frozen=True)
class Webhook:
    """Where alerts go. The URL is a secret of its own (a Slack webhook URL is a
    credential), so the database and the logs only ever name it by `target`
    (`webhook_target`)."""

    kind: str
    url: str = field(repr=False)
    secret: bytes | None = field(default=None, repr=False)
    target: str = ""


TARGET_LABEL = b"keysweep webhook target\0"


def webhook_target(kind: str, url: str, position: int) -> str:
    """The name of a webhook in the database and the logs: an HMAC of its URL under
    this installation's hash key (`hashkey`: the organisation's key, else the one made
    on first use), stable across restarts so waiting deliveries still find their
    webhook, and useless for confirming a guessed URL without the key. Where there is
    no key (`hashkey` falls back to scrypt), its position among the `--webhook`s."""
    hasher = hashkey.resolve(None)
    if hasher.scheme != hashkey.HMAC:
        return f"{kind}:{position}"
    mac = hmac.digest(hasher.key, TARGET_LABEL + url.encode(), "sha256")
    return f"{kind}:{mac.hex()[:12]}"


@dataclass(frozen=True)
class ServerConfig:
    db_url: str
    max_report_bytes: int = 16 * 1024 * 1024
    requests_per_minute: int = 600
    """Per token (per client address for requests without a valid token)."""
    failed_per_minute: int = 30
    """Failed token attempts (API and login) per client address; past it, 429 before
    any token is looked up."""
    refused_logins_audited_per_minute: int = 10
    """Refused logins with an audit row of their own; the rest are counted on the next."""
    webhooks: tuple[Webhook, ...] = ()
    webhook_attempts: int = 8
    webhook_retry_seconds: float = 2.0
    secure_cookies: bool = False
    session_seconds: int = 8 * 3600
    alert_poll_seconds: float = 1.0


def parse_webhook(text: str, secret: bytes | None, position: int = 1) -> Webhook:
    """`slack=URL` or `json=URL` (the generic JSON is signed with HMAC-SHA256), the
    `position`-th `--webhook` (from 1)."""
    kind, sep, url = text.partition("=")
    if not sep or kind not in WEBHOOK_KINDS or not url.startswith(("http://", "https://")):
        raise KeysweepError("--webhook: expected slack=URL or json=URL (http or https)")
    if kind == "json" and not secret:
        raise KeysweepError("--webhook json=URL needs --webhook-secret-file (HMAC key)")
    target = webhook_target(kind, url, position)
    return Webhook(kind, url, secret if kind == "json" else None, target)
