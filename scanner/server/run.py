"""`keysweep server run`: uvicorn with our logging, TLS when given a certificate,
and a graceful shutdown (in-flight requests finish, the alert loop stops)."""

from __future__ import annotations

from pathlib import Path

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
) -> None:
    import uvicorn

    from scanner.server import logs
    from scanner.server.app import create_app

    host, port = parse_listen(listen)
    config = ServerConfig(
        db_url=db_url,
        max_report_bytes=max_report_bytes,
        requests_per_minute=rate,
        webhooks=tuple(parse_webhook(w, webhook_secret) for w in webhooks),
        secure_cookies=tls is not None or behind_proxy,
    )
    logs.setup()
    app = create_app(config, session_key=session_key.decode("latin-1") if session_key else "")
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            ssl_certfile=str(tls[0]) if tls else None,
            ssl_keyfile=str(tls[1]) if tls else None,
            log_config=None,
            access_log=False,
            proxy_headers=behind_proxy,
            forwarded_allow_ips="127.0.0.1" if behind_proxy else None,
            timeout_graceful_shutdown=GRACE_SECONDS,
            server_header=False,
        )
    )
    server.run()
