"""`keysweep server run`: uvicorn with our logging, TLS when given a certificate,
one or more worker processes, and a graceful shutdown (in-flight requests
finish, the alert loop stops, the database is closed).

The schema is migrated once, by the parent, before the app or any worker starts;
workers open the database without migrating. With --workers N, uvicorn starts N
processes that each build the app from a settings file the parent wrote (mode
0600, in a private 0700 folder, removed when the server stops): the settings
hold the webhook secret, the webhook URLs and the session key, which do not
belong in the environment, where every child process and `/proc/<pid>/environ`
would see them. The environment carries only the file's path
(KEYSWEEP_SERVER_SETTINGS_FILE).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any

from scanner.errors import KeysweepError
from scanner.server.config import ServerConfig, parse_webhook

GRACE_SECONDS = 15
SETTINGS_ENV = "KEYSWEEP_SERVER_SETTINGS_FILE"


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
    failed_rate: int = 30,
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
        "failed_rate": failed_rate,
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
        folder = Path(tempfile.mkdtemp(prefix="keysweep-server-"))  # mode 0700
        try:
            os.environ[SETTINGS_ENV] = str(write_settings(folder, settings))
            uvicorn.run("scanner.server.run:app_from_env", factory=True, workers=workers, **options)
        finally:
            os.environ.pop(SETTINGS_ENV, None)
            shutil.rmtree(folder, ignore_errors=True)
        return
    uvicorn.Server(uvicorn.Config(build_app(settings), **options)).run()


def write_settings(folder: Path, settings: dict[str, Any]) -> Path:
    """The settings as a file only this user can read (created 0600, never wider)."""
    path = folder / "settings.json"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(settings, handle)
    return path


def build_app(settings: dict[str, Any]) -> Any:
    """The app from `settings`, on a database the parent has already migrated."""
    from scanner.server.app import create_app
    from scanner.server.database import server_engine

    secret = bytes.fromhex(settings["webhook_secret"]) if settings["webhook_secret"] else None
    config = ServerConfig(
        db_url=settings["db_url"],
        max_report_bytes=settings["max_report_bytes"],
        requests_per_minute=settings["rate"],
        failed_per_minute=settings.get("failed_rate", 30),
        webhooks=tuple(parse_webhook(w, secret) for w in settings["webhooks"]),
        secure_cookies=settings["secure_cookies"],
    )
    engine = server_engine(config.db_url, migrate=False)
    return create_app(config, engine, session_key=settings["session_key"])


def app_from_env() -> Any:
    """The app of one worker process (uvicorn --workers, factory=True), from the
    settings file the parent named."""
    from scanner.server import logs

    logs.setup()
    return build_app(json.loads(Path(os.environ[SETTINGS_ENV]).read_text(encoding="utf-8")))
