"""`keysweep server run|enrol|viewer|admin|revoke|tokens|registry push|demo`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from scanner.cli import say
from scanner.errors import KeysweepError
from scanner.text import escape_control as _e

DB = click.option(
    "--db",
    "db_url",
    required=True,
    metavar="URL",
    envvar="KEYSWEEP_SERVER_DB",
    help="SQLAlchemy URL of the server's database (sqlite:///file.db, postgresql+psycopg://…).",
)
TOKEN_FILE = click.option(
    "--token-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="File holding the token (default: $KEYSWEEP_TOKEN).",
)


SERVER_MODULES = ("starlette", "uvicorn", "jinja2", "alembic", "multipart", "prometheus_client")


@click.group("server")
@click.pass_context
def command(ctx: click.Context) -> None:
    """The keysweep server: fleet collector, live registry, alerts and dashboard
    (pip install 'keysweep[server]')."""
    if ctx.invoked_subcommand not in (None, "registry"):
        _need_extra()


def _need_extra() -> None:
    from importlib.util import find_spec

    missing = [name for name in SERVER_MODULES if find_spec(name) is None]
    if missing:
        raise KeysweepError(
            f"the server needs its extra: pip install 'keysweep[server]' (missing: {missing[0]})"
        )


@command.command("run")
@DB
@click.option("--listen", default="127.0.0.1:8080", show_default=True, metavar="HOST:PORT")
@click.option("--tls-cert", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--tls-key", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "--webhook",
    "webhooks",
    multiple=True,
    metavar="slack=URL|json=URL",
    help="Send alerts here (repeatable); json= is signed with --webhook-secret-file.",
)
@click.option("--webhook-secret-file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--max-report-mb", type=click.IntRange(1, 1024), default=16, show_default=True)
@click.option(
    "--rate", type=click.IntRange(1), default=600, show_default=True, help="Requests/min per token."
)
@click.option(
    "--failed-rate",
    type=click.IntRange(1),
    default=30,
    show_default=True,
    help="Failed token attempts/min per client address (API and login); past it, 429 "
    "before any token is looked up.",
)
@click.option(
    "--session-key-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Key that signs dashboard sessions (share it between server processes; "
    "default: a new random key per start).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Server processes (PostgreSQL; each runs the alert loop, deliveries are leased).",
)
@click.option(
    "--behind-https-proxy",
    is_flag=True,
    help="A TLS proxy on this machine forwards to us: mark cookies Secure, trust X-Forwarded-*.",
)
def run(
    db_url: str,
    listen: str,
    tls_cert: Path | None,
    tls_key: Path | None,
    webhooks: tuple[str, ...],
    webhook_secret_file: Path | None,
    max_report_mb: int,
    rate: int,
    failed_rate: int,
    session_key_file: Path | None,
    workers: int,
    behind_https_proxy: bool,
) -> None:
    """Serve the API and dashboard until SIGTERM or Ctrl-C (then finish requests and stop)."""
    from scanner.server.run import serve

    if (tls_cert is None) != (tls_key is None):
        raise click.UsageError("--tls-cert and --tls-key go together")
    serve(
        db_url=db_url,
        listen=listen,
        tls=(tls_cert, tls_key) if tls_cert and tls_key else None,
        webhooks=webhooks,
        webhook_secret=_read_secret(webhook_secret_file),
        max_report_bytes=max_report_mb * 1024 * 1024,
        rate=rate,
        failed_rate=failed_rate,
        session_key=_read_secret(session_key_file),
        behind_proxy=behind_https_proxy,
        workers=workers,
    )


def _read_secret(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        value = path.read_bytes().strip()
    except OSError as exc:
        raise KeysweepError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(value) < 16:
        raise KeysweepError(f"{path}: too short (16 bytes or more)")
    return value


def _create(db_url: str, kind: str, name: str) -> None:
    from scanner.cli.streams import require_stdout
    from scanner.server.admin import create_token

    require_stdout()  # a token nobody can read would still be valid
    token_id, token = create_token(db_url, kind, name)
    say(f"{kind} token {token_id} for {_e(name)} (shown once; keep it safe):")
    click.echo(token)


@command.command("enrol")
@click.argument("host")
@DB
def enrol(host: str, db_url: str) -> None:
    """Print a new upload token for HOST (it may only write HOST's reports)."""
    _create(db_url, "host", host)


@command.command("viewer")
@click.argument("name")
@DB
def viewer(name: str, db_url: str) -> None:
    """Print a new viewer token (API reads and dashboard login)."""
    _create(db_url, "viewer", name)


@command.command("admin")
@click.argument("name")
@DB
def admin(name: str, db_url: str) -> None:
    """Print a new admin token (registry pushes, audit log; reads too)."""
    _create(db_url, "admin", name)


@command.command("revoke")
@click.argument("token_id")
@DB
def revoke(token_id: str, db_url: str) -> None:
    """Revoke a token by its id (from `keysweep server tokens`)."""
    from scanner.server.admin import revoke_token

    if not revoke_token(db_url, token_id):
        raise KeysweepError(f"no token with id {token_id}")
    click.echo(f"revoked {_e(token_id)}")


@command.command("tokens")
@DB
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def tokens(db_url: str, fmt: str) -> None:
    """List tokens (ids, kinds, names, dates; never the tokens)."""
    from scanner.server.admin import list_tokens

    rows = list_tokens(db_url)
    if fmt == "json":
        click.echo(json.dumps([r.__dict__ for r in rows], indent=2, default=str))
        return
    for r in rows:
        state = f"revoked {r.revoked_at:%Y-%m-%d %H:%M}" if r.revoked_at else "active"
        used = f", last used {r.last_used_at:%Y-%m-%d %H:%M}" if r.last_used_at else ""
        click.echo(
            f"{r.id}  {r.kind:<6}  {_e(r.name)}  created {r.created_at:%Y-%m-%d %H:%M}, {state}{used}"
        )


@command.group("registry")
def registry() -> None:
    """The server's registry: push a new version."""


@registry.command("push")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--server", "server_url", required=True, metavar="URL")
@TOKEN_FILE
@click.option(
    "--as",
    "kind",
    type=click.Choice(["registry", "jwks", "cbom"]),
    default="registry",
    show_default=True,
    help="registry: a whole registry file (YAML/JSON); jwks/cbom: imported into the "
    "server's current version, as `registry import-jwks/import-cbom` do.",
)
def push(file: Path, server_url: str, token_file: Path | None, kind: str) -> None:
    """Store FILE as the server's new registry version; every stored key is re-judged."""
    from scanner.server.admin import push_registry

    result = push_registry(file, server_url, token_file, kind)
    if result.get("unchanged"):
        click.echo(f"registry unchanged (version {result['version']})")
        return
    click.echo(
        f"registry version {result['version']}: {result['changed']} verdict(s) changed, "
        f"{result['alerts']} new alert(s), re-judged in {result['seconds']:.2f} s"
    )


@command.command("demo")
@click.option("--listen", default="127.0.0.1:8765", show_default=True, metavar="HOST:PORT")
@click.option(
    "--examples",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    default=Path("examples"),
    show_default=True,
    help="The examples/ folder of a keysweep checkout.",
)
@click.option("--db", "db_url", metavar="URL", help="Default: a new SQLite file in a temp folder.")
def demo(listen: str, examples: Path, db_url: str | None) -> None:
    """A first look: a local server on SQLite with examples/ swept, uploaded and judged,
    and a viewer token printed for the dashboard."""
    from scanner.server.demo import run_demo

    run_demo(listen, examples, db_url)
