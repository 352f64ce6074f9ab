"""`keysweep scan PATH...`: files and folders, or standard input (`-`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from scanner.cli.compat_flags import gitleaks_flags
from scanner.cli.options import build_config, config_root, file_options, finish, scan_options
from scanner.errors import ConfigError
from scanner.sources.build import Files, Stdin
from scanner.sources.stdin import DEFAULT_NAME


@click.command("scan")
@gitleaks_flags
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, allow_dash=True))
@file_options
@click.option(
    "--stdin-name",
    metavar="NAME",
    help="The path to report for standard input (`scan -`; default: <stdin>).",
)
@scan_options
@click.pass_context
def command(
    ctx: click.Context,
    /,
    paths: tuple[Path, ...],
    stdin_name: str | None,
    git_history: bool,
    **values: Any,
) -> None:
    """Scan files and folders (default: the current folder) for keys and credentials;
    `-` reads standard input."""
    from scanner.pipeline import scan
    from scanner.sources.build import build_sources

    roots = list(paths) or [Path(".")]
    stdin = Path("-") in roots
    if stdin and len(roots) > 1:
        raise ConfigError("`-` (standard input) cannot be combined with other paths")
    if stdin_name is not None and not stdin:
        raise ConfigError("--stdin-name goes with `-` (standard input)")
    config = build_config(Path(".") if stdin else config_root(roots), values)
    target = _stdin(stdin_name) if stdin else Files(tuple(roots), git_history=git_history)
    from scanner.cli import startup

    sources = build_sources(config, [target])
    startup.resume(scanning=True)
    report = scan(config, sources)
    finish(ctx, report, config, values)


def _stdin(name: str | None) -> Stdin:
    return Stdin(sys.stdin.buffer, name or DEFAULT_NAME)
