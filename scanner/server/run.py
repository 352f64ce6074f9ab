"""`keysweep server run`: uvicorn with our logging, TLS when given a certificate,
one or more worker processes, and a graceful shutdown (in-flight requests
finish, the alert loop stops, the database is closed).

With --workers N, uvicorn starts N processes that each build the app from the
settings in KEYSWEEP_SERVER_SETTINGS (set by the parent for its children
only); the schema is migrated once, by the parent, before they start.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from scanner.errors import KeysweepError
from scanner.server.config import ServerConfig, parse_webhook

GRACE_SECONDS = 15
SETTINGS_ENV = "KEYSWEEP_SERVER_SETTINGS"


def parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise KeysweepError(f"--listen {text}: expected HOST:PORT")
    return host, int(port)


def serve(
    *,
    db_url: str,
    listen: str,
    tls: tuple[Path, Path] | None,
    webhooks: tuple[str, ...],
    webhook_secret: bytes | None,
    max_report_bytes: int,
    rate: int,
    session_key: bytes | None,
    behind_proxy: bool,
    workers: int = 1,
) -> None:
    import uvicorn

    from scanner.server import logs
    from scanner.server.database import server_engine

    host, port = parse_listen(listen)
    for hook in webhooks:
        parse_webhook(hook, webhook_secret)  # one-line errors before anything starts
    settings = {
        "db_url": db_url,
        "max_report_bytes": max_report_bytes,
        "rate": rate,
        "webhooks": list(webhooks),
        "webhook_secret": webhook_secret.hex() if webhook_secret else None,
        "secure_cookies": tls is not None or behind_proxy,
        "session_key": (session_key or secrets.token_bytes(32)).hex(),
    }
    logs.setup()
    server_engine(db_url, pool_size=1).dispose()  # migrate once, before any worker
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "ssl_certfile": str(tls[0]) if tls else None,
        "ssl_keyfile": str(tls[1]) if tls else None,
        "log_config": None,
        "access_log": False,
        "proxy_headers": behind_proxy,
        "forwarded_allow_ips": "127.0.0.1" if behind_proxy else None,
        "timeout_graceful_shutdown": GRACE_SECONDS,
        "server_header": False,
    }
    if workers > 1:
        os.environ[SETTINGS_ENV] = json.dumps(settings)
        uvicorn.run("scanner.server.run:app_from_env", factory=True, workers=workers, **options)
        return
    uvicorn.Server(uvicorn.Config(build_app(settings), **options)).run()


def build_app(settings: dict[str, Any]) -> Any:
    from scanner.server.app import create_app

    secret = bytes.fromhex(settings["webhook_secret"]) if settings["webhook_secret"] else None
    config = ServerConfig(
        db_url=settings["db_url"],
        max_report_bytes=settings["max_report_bytes"],
        requests_per_minute=settings["rate"],
        webhooks=tuple(parse_webhook(w, secret) for w in settings["webhooks"]),
        secure_cookies=settings["secure_cookies"],
    )
    return create_app(config, session_key=settings["session_key"])


def app_from_env() -> Any:
    """The app of one worker process (uvicorn --workers, factory=True)."""
    from scanner.server import logs

    logs.setup()
    return build_app(json.loads(os.environ[SETTINGS_ENV]))
