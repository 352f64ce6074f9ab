"""`keysweep repos add|list|scan|remove`: the repositories to scan, and their jobs."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, TypeVar

import click

from scanner.cli import say
from scanner.text import escape_control as _e

F = TypeVar("F", bound=Callable[..., Any])

LISTINGS = (
    ("github_org", "github", "--github-org", "A GitHub organisation (token: $GITHUB_TOKEN)."),
    ("gitlab_group", "gitlab", "--gitlab-group", "A GitLab group (token: $GITLAB_TOKEN)."),
    ("gitea_org", "gitea", "--gitea-org", "A Gitea/Forgejo organisation (token: $GITEA_TOKEN)."),
    (
        "bitbucket_workspace",
        "bitbucket",
        "--bitbucket-workspace",
        "A Bitbucket workspace (token: $BITBUCKET_TOKEN).",
    ),
)


def db_option(func: F) -> F:
    return click.option(
        "--db",
        "db_url",
        required=True,
        envvar="KEYSWEEP_DB",
        metavar="URL",
        help="Inventory database (postgresql+psycopg://… for the job queue; $KEYSWEEP_DB).",
    )(func)


def _listing_options(func: F) -> F:
    for dest, _, flag, text in reversed(LISTINGS):
        func = click.option(flag, dest, metavar="NAME", multiple=True, help=text)(func)
    return func


@click.group("repos")
def command() -> None:
    """Repositories scanned on the job queue (see docs/org.md)."""


@command.command("add")
@click.argument("sources", nargs=-1)
@_listing_options
@click.option(
    "--api-url",
    metavar="URL",
    help="The host's API (GitHub Enterprise, self-hosted GitLab, Gitea…).",
)
@click.option(
    "--clone-protocol", type=click.Choice(["https", "ssh"]), default="https", show_default=True
)
@click.option("--include-archived", is_flag=True, help="Also archived repositories.")
@click.option("--include-forks", is_flag=True, help="Also forks.")
@click.option("--allow-http", is_flag=True, help="Accept plain http clone and API URLs.")
@click.option(
    "--clone-host",
    "clone_hosts",
    metavar="HOST",
    multiple=True,
    help="Also trust this host in a listing's clone URLs (default: the provider's git host).",
)
@click.option(
    "--allow-private-hosts",
    is_flag=True,
    help="Accept listed clone URLs on loopback, link-local or private addresses.",
)
@db_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def add(sources: tuple[str, ...], db_url: str, fmt: str, **options: Any) -> None:
    """Add repositories: clone URLs, files of URLs, folders, or a host's listing."""
    from sqlalchemy.orm import Session

    from scanner.repos import inputs, open_database, store

    listed, refused = _listed(options)
    found = inputs.expand(sources, allow_http=options["allow_http"]) + listed
    if not found and not refused:
        raise click.UsageError("name at least one URL, file, folder or listing")
    engine = open_database(db_url)
    try:
        with Session(engine) as session, session.begin():
            done = replace(store.add(session, found), refused=refused)
    finally:
        engine.dispose()
    _report_added(done, fmt)


def _report_added(done: Any, fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(asdict(done)))
        return
    for r in done.refused:
        click.echo(f"keysweep: warning: {_e(r.origin)} {_e(r.name)}: {_e(r.reason)}", err=True)
    skipped = done.skipped_removed
    more = f", {skipped} removed, skipped (add a URL to bring it back)" if skipped else ""
    refused = f", {len(done.refused)} refused (not added)" if done.refused else ""
    click.echo(f"{done.added} repositories added, {done.known} already known{more}{refused}")


def _listed(options: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """What the listings name: the repositories added, and those refused (never stored)."""
    from scanner.repos import providers

    api = options["api_url"]
    if api:
        providers.check_api(api, allow_http=options["allow_http"])
    found: list[Any] = []
    refused: list[Any] = []
    for dest, provider, _, _ in LISTINGS:
        for name in options[dest]:
            request = providers.ListRequest(
                provider, name, api, options["include_archived"], options["include_forks"]
            )
            for listed in providers.list_repositories(request):
                _judge(listed, f"{provider}:{name}", options, found, refused)
    return found, refused


def _judge(
    listed: Any, origin: str, options: dict[str, Any], found: list[Any], refused: list[Any]
) -> None:
    """One listed repository: added if the listing policy lets its clone URL through."""
    from scanner.repos import inputs, providers, store
    from scanner.repos.urls import ListingPolicy, UrlRefused, check_listed

    hosts = providers.clone_hosts(origin.partition(":")[0], options["api_url"])
    policy = ListingPolicy(
        hosts | {h.strip().lower() for h in options["clone_hosts"]},
        options["allow_http"],
        options["allow_private_hosts"],
    )
    url = listed.ssh_url if options["clone_protocol"] == "ssh" else listed.https_url
    try:
        clone = check_listed(url or listed.https_url, policy)
    except UrlRefused as exc:
        refused.append(store.Refused(origin, listed.name[:255], str(exc)))
        return
    found.append(inputs.named(clone, origin, archived=listed.archived, fork=listed.fork))


@command.command("list")
@click.option(
    "--removed", is_flag=True, help="Only removed repositories (add a URL to bring it back)."
)
@db_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def list_(removed: bool, db_url: str, fmt: str) -> None:
    """Every repository, with its refs and its last scan."""
    from sqlalchemy.orm import Session

    from scanner.repos import open_database, store

    engine = open_database(db_url)
    try:
        with Session(engine) as session:
            rows = store.listing(session, removed=removed)
    finally:
        engine.dispose()
    if fmt == "json":
        click.echo(json.dumps([asdict(r) for r in rows], indent=2))
        return
    for r in rows:
        status = r.last_status or "not scanned"
        error = f" ({_e(r.last_error)})" if r.last_error else ""
        if r.refused:  # stored before its form was refused: named without user information
            status, error = "refused", f" ({_e(r.refused)})"
        if r.removed_at:
            status, error = f"removed {r.removed_at}", ""
        click.echo(f"{r.id}  {_e(r.url)}  {r.refs} refs  {status}{error}")


@command.command("scan")
@click.argument("repos", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every repository.")
@db_option
def scan(repos: tuple[str, ...], everything: bool, db_url: str) -> None:
    """Enqueue a scan of each repository (by URL, name or id); workers run them."""
    from sqlalchemy.orm import Session

    from scanner.errors import InventoryError
    from scanner.repos import open_database, queue, store

    if bool(repos) == everything:
        raise click.UsageError("name repositories or give --all (not both)")
    engine = open_database(db_url)
    try:
        with Session(engine) as session:
            ids, refused = store.without_refused(session, store.select_ids(session, list(repos)))
    finally:
        engine.dispose()
    if refused and repos:  # named, and its stored URL carries a password: fix the row
        raise InventoryError(refused[0])
    for line in refused:
        say(f"keysweep: warning: {line}; not enqueued")
    app = queue.make_app(db_url)
    with app.open():
        deferred, waiting = queue.enqueue(app, ids)
    click.echo(f"{deferred} scans enqueued, {waiting} already waiting")


@command.command("remove")
@click.argument("repos", nargs=-1, required=True)
@click.option(
    "--cache",
    type=click.Path(path_type=Path, file_okay=False),
    help="The worker's mirror cache on this machine (default: the user's cache folder).",
)
@db_option
def remove(repos: tuple[str, ...], cache: Path | None, db_url: str) -> None:
    """Stop scanning repositories (by id, URL or name, one each): waiting scans are
    cancelled, mirrors deleted; the findings stay in the inventory."""
    from scanner.repos import removal

    done = removal.remove(db_url, repos, cache.absolute() if cache else None)
    for r in done.repositories:
        click.echo(f"{r.id}  {_e(r.url)}  removed")
    click.echo(
        f"{len(done.repositories)} repositories removed, {done.cancelled} waiting scans "
        f"cancelled, {done.mirrors} mirrors deleted"
    )
