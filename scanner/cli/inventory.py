"""`keysweep inventory ingest|where|summary`: sweep reports in a database."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from scanner.text import escape_control as _e

F = TypeVar("F", bound=Callable[..., Any])


def _server(func: F) -> F:
    func = click.option(
        "--token-file",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Viewer token for --server (default: $KEYSWEEP_TOKEN).",
    )(func)
    return click.option(
        "--server",
        "server_url",
        metavar="URL",
        help="Ask a keysweep server's API instead of a database.",
    )(func)


def _common(func: F) -> F:
    func = click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
    )(func)
    return click.option(
        "--db",
        "db_url",
        metavar="URL",
        help="SQLAlchemy database URL (default: a SQLite file in the user's data folder; "
        "postgresql+psycopg://user@host/db for PostgreSQL).",
    )(func)


@click.group("inventory")
def command() -> None:
    """Collect sweep and scan reports in a database and ask where a key lives."""


@command.command("ingest")
@click.argument("reports", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True))
@click.option("--host", help="Host name for reports that do not carry one (scan reports).")
@_common
def ingest(reports: tuple[Path, ...], host: str | None, db_url: str | None, fmt: str) -> None:
    """Store JSON reports (ingesting the same report twice changes nothing)."""
    from scanner.inventory import Inventory

    inventory = Inventory(db_url)
    try:
        results = inventory.ingest(list(reports), host=host)
    finally:
        inventory.close()
    if fmt == "json":
        click.echo(json.dumps([r.__dict__ for r in results], indent=2))
        return
    for r in results:
        if r.already:
            click.echo(f"{_e(r.source_name)}: already ingested (host {_e(r.host)})")
        else:
            click.echo(
                f"{_e(r.source_name)}: host {_e(r.host)}: {r.sightings} key sightings "
                f"({r.new} new, {r.reopened} back, {r.closed} gone since the last report)"
            )


@command.command("where")
@click.argument("key")
@click.option("--all", "include_gone", is_flag=True, help="Include places the key has left.")
@_common
@_server
def where(
    key: str,
    include_gone: bool,
    db_url: str | None,
    fmt: str,
    server_url: str | None,
    token_file: Path | None,
) -> None:
    """Every host and path holding KEY (a fingerprint, a prefix of one, or a registry key id),
    and every repository, path and commit."""
    if server_url:
        from scanner.server.remote import where as remote_where

        places = remote_where(server_url, token_file, key, include_gone)
    else:
        from scanner.inventory import Inventory

        inventory = Inventory(db_url)
        try:
            places = inventory.where(key, include_gone=include_gone)
        finally:
            inventory.close()
    if fmt == "json":
        click.echo(json.dumps([_place(p) for p in places], indent=2))
        return
    if not places:
        click.echo(f"no host holds {_e(key)}")
    for p in places:
        gone = f", gone since {p.gone_since:%Y-%m-%d %H:%M}" if p.gone_since else ""
        where_ = f"repository {p.repository}" if p.repository else p.host
        commit = f"  commit {p.commit}" if p.commit else ""
        click.echo(
            f"{_e(where_)}  {_e(p.path)}  {_e(p.key_id or p.identity)}{_e(commit)}  "
            f"first seen {p.first_seen:%Y-%m-%d %H:%M}, last seen {p.last_seen:%Y-%m-%d %H:%M}{gone}"
        )


@command.command("summary")
@_common
@_server
def summary(db_url: str | None, fmt: str, server_url: str | None, token_file: Path | None) -> None:
    """Retired keys (deactivated, compromised, destroyed, suspended) still present, per host."""
    if server_url:
        from scanner.server.remote import retired_present

        by_host = retired_present(server_url, token_file)
    else:
        from scanner.inventory import Inventory

        inventory = Inventory(db_url)
        try:
            by_host = inventory.retired_present()
        finally:
            inventory.close()
    if fmt == "json":
        out = {host: [_place(p) for p in places] for host, places in by_host.items()}
        click.echo(json.dumps(out, indent=2))
        return
    if not by_host:
        click.echo("no retired key is present on any host")
    for host, places in by_host.items():
        click.echo(f"{_e(host)}: {len(places)} retired key(s) present")
        for p in places:
            click.echo(
                f"  {_e(p.key_id or p.identity)}  {p.state or p.verdict}  {_e(p.path)}  "
                f"last seen {p.last_seen:%Y-%m-%d %H:%M}"
            )


def _place(place: Any) -> dict[str, Any]:
    out = dict(place.__dict__)
    for name in ("first_seen", "last_seen", "gone_since"):
        value = out[name]
        out[name] = value.isoformat() + "Z" if value is not None else None
    out["present"] = place.present
    return out
