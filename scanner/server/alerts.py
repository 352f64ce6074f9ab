"""Webhook delivery of alerts: Slack-compatible JSON, or a generic JSON signed
with HMAC-SHA256 (`X-Keysweep-Signature: sha256=<hex>` over
`<timestamp>.<body>`, with `X-Keysweep-Timestamp`).

Alerts are rows (one per key and host, see `store`); each webhook has a
delivery row, retried with backoff until delivered or out of attempts. The
loop runs inside the server process; on PostgreSQL rows are claimed with
SKIP LOCKED, so two server processes do not send the same delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from scanner.inventory.extract import naive_utc
from scanner.inventory.models import Alert, AlertDelivery, Host
from scanner.server.config import ServerConfig, Webhook
from scanner.server.logs import log

BATCH = 50
LEASE = 60


@dataclass(frozen=True)
class Outgoing:
    alert_id: int
    target: str
    attempts: int
    payload: dict[str, Any]


def payload(alert: Alert, host: str) -> dict[str, Any]:
    return {
        "event": "keysweep.alert",
        "alert_id": alert.id,
        "verdict": alert.verdict,
        "key": alert.key_ref,
        "key_id": alert.key_id,
        "state": alert.state,
        "host": host,
        "path": alert.path,
        "raised_at": alert.created_at.isoformat() + "Z",
    }


def slack_text(data: dict[str, Any]) -> dict[str, Any]:
    """Slack's text, every value escaped (`slack_escaped`): a host names its paths."""
    what = "forged token" if str(data["verdict"]).startswith("token-") else "retired key"
    v = {key: slack_escaped(value) for key, value in data.items()}
    state = f" ({v['state']})" if data.get("state") else ""
    return {
        "text": f":rotating_light: keysweep: {what} {v['key']}{state} present on "
        f"{v['host']} at {v['path']} [{v['verdict']}]"
    }


def slack_escaped(value: Any) -> str:
    """`value` as Slack shows it literally: `&`, `<` and `>` escaped, so text a host
    chose (a path) cannot be markup (`<!channel>`, `<https://…|label>`, `<@U…>`)."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def request_for(hook: Webhook, data: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """The body and headers to POST for one alert."""
    if hook.kind == "slack":
        return json.dumps(slack_text(data)).encode(), {"Content-Type": "application/json"}
    body = json.dumps(data, sort_keys=True).encode()
    stamp = str(int(time.time()))
    assert hook.secret is not None
    mac = hmac.new(hook.secret, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Keysweep-Timestamp": stamp,
        "X-Keysweep-Signature": f"sha256={mac}",
    }
    return body, headers


def claim(session: Session, targets: list[str]) -> list[Outgoing]:
    """Due deliveries (locked until this transaction ends on PostgreSQL)."""
    query = (
        select(AlertDelivery, Alert, Host.name)
        .join(Alert, AlertDelivery.alert_id == Alert.id)
        .join(Host, Alert.host_id == Host.id)
        .where(
            AlertDelivery.delivered_at.is_(None),
            AlertDelivery.next_attempt <= naive_utc(),
            AlertDelivery.target.in_(targets),
        )
        .order_by(AlertDelivery.next_attempt)
        .limit(BATCH)
        .with_for_update(skip_locked=True, of=AlertDelivery)
    )
    return [
        Outgoing(d.alert_id, d.target, d.attempts, payload(a, host))
        for d, a, host in session.execute(query).all()
    ]


class Deliverer:
    def __init__(self, store_session: Any, config: ServerConfig, on_result: Any) -> None:
        self.session = store_session
        self.config = config
        self.hooks = {h.target: h for h in config.webhooks}
        self.on_result = on_result

    async def run(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(timeout=10.0, follow_redirects=False) as client:
            while not stop.is_set():
                try:
                    await self.once(client)
                except Exception as exc:  # the loop must survive a bad moment of the database
                    log("alert loop error", error=type(exc).__name__)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.config.alert_poll_seconds)

    async def once(self, client: httpx.AsyncClient) -> int:
        """Send what is due; returns how many were delivered. The database work runs
        in a thread; no lock is held while a webhook answers (a claimed delivery
        is leased for LEASE seconds instead)."""
        due = await asyncio.to_thread(self._claim)
        results = await asyncio.gather(*(self._send(client, item) for item in due))
        await asyncio.to_thread(self._record_all, due, list(results))
        return sum(1 for e in results if e is None)

    def _claim(self) -> list[Outgoing]:
        with self.session() as session, session.begin():
            due = claim(session, sorted(self.hooks))
            lease = naive_utc() + timedelta(seconds=LEASE)
            for item in due:
                row = session.get(AlertDelivery, (item.alert_id, item.target))
                assert row is not None
                row.next_attempt = lease
        return due

    def _record_all(self, due: list[Outgoing], results: list[str | None]) -> None:
        with self.session() as session, session.begin():
            for item, error in zip(due, results, strict=True):
                self._record(session, item, error)

    async def _send(self, client: httpx.AsyncClient, item: Outgoing) -> str | None:
        hook = self.hooks[item.target]
        body, headers = request_for(hook, item.payload)
        try:
            response = await client.post(hook.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return type(exc).__name__
        return None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"

    def _record(self, session: Session, item: Outgoing, error: str | None) -> None:
        row = session.get(AlertDelivery, (item.alert_id, item.target))
        assert row is not None
        row.attempts = item.attempts + 1
        self.on_result("failed" if error else "delivered")
        fields = {"alert": item.alert_id, "target": item.target, "attempt": row.attempts}
        if error is None:
            row.delivered_at = naive_utc()
            row.last_error = None
            log("alert delivered", **fields)
            return
        row.last_error = error[:255]
        if row.attempts >= self.config.webhook_attempts:
            row.next_attempt = naive_utc() + timedelta(days=3650)
            log("alert given up", error=error, **fields)
            return
        wait = self.config.webhook_retry_seconds * (2 ** (row.attempts - 1))
        row.next_attempt = naive_utc() + timedelta(seconds=min(wait, 3600))
        log("alert delivery failed", error=error, **fields)
