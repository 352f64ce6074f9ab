"""`keysweep server run`: uvicorn with our logging, TLS when given a certificate,
one or more worker processes, and a graceful shutdown (in-flight requests
finish, the alert loop stops, the database is closed).

The schema is migrated once, by the parent, before the app or any worker starts;
workers open the database without migrating. With --workers N, uvicorn starts N
processes (multiprocessing's spawn) that each build the app from the settings:
the database URL, the webhook secret, the webhook URLs and the session key.
Those do not belong in the environment, where every child process and
`/proc/<pid>/environ` would see them, nor in a file: a file outlives a parent
killed with SIGKILL, and several workers read it at different times (uvicorn
also starts a new worker in place of one that died, long after the others), so
no moment is safe to delete it. So the app factory each worker calls is a
`functools.partial` holding the settings, inside the uvicorn Config that spawn
pickles to the child over its pipe: nothing is written to disk, and a worker
restarted by uvicorn gets the same settings the same way.
"""

from __future__ import annotations

import functools
import secrets
from pathlib import Path
from typing import Any

from scanner.errors import KeysweepError
from scanner.server.config import ServerConfig, parse_webhook

GRACE_SECONDS = 15


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
    for position, hook in enumerate(webhooks, 1):
        parse_webhook(hook, webhook_secret, position)  # one-line errors before anything starts
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
        _run_workers(settings, workers, options)
        return
    uvicorn.Server(uvicorn.Config(build_app(settings), **options)).run()


def _run_workers(settings: dict[str, Any], workers: int, options: dict[str, Any]) -> None:
    """What `uvicorn.run(..., workers=N)` does, but with an app factory that carries the
    settings (uvicorn.run only takes an import string there)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    factory = functools.partial(worker_app, settings)
    config = uvicorn.Config(factory, factory=True, workers=workers, **options)
    sock = config.bind_socket()
    try:
        Multiprocess(config, sockets=[sock]).run()
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()


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
        webhooks=tuple(parse_webhook(w, secret, n) for n, w in enumerate(settings["webhooks"], 1)),
        secure_cookies=settings["secure_cookies"],
    )
    engine = server_engine(config.db_url, migrate=False)
    return create_app(config, engine, session_key=settings["session_key"])


def worker_app(settings: dict[str, Any]) -> Any:
    """The app of one worker process (uvicorn's factory, called in the worker)."""
    from scanner.server import logs

    logs.setup()
    return build_app(settings)
