"""`keysweep scan PATH...`: files and folders, or standard input (`-`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from scanner.cli.options import build_config, config_root, file_source, finish, scan_options
from scanner.errors import ConfigError


@click.command("scan")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, allow_dash=True))
@click.option("--follow-symlinks", is_flag=True, help="Follow symbolic links (loops are detected).")
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
    follow_symlinks: bool,
    stdin_name: str | None,
    **values: Any,
) -> None:
    """Scan files and folders (default: the current folder) for keys and credentials;
    `-` reads standard input."""
    from scanner.scan import scan

    roots = list(paths) or [Path(".")]
    stdin = Path("-") in roots
    if stdin and len(roots) > 1:
        raise ConfigError("`-` (standard input) cannot be combined with other paths")
    if stdin_name is not None and not stdin:
        raise ConfigError("--stdin-name goes with `-` (standard input)")
    config = build_config(
        Path(".") if stdin else config_root(roots), values, follow_symlinks=follow_symlinks or None
    )
    if stdin:
        source: Any = _stdin_source(stdin_name, config.max_file_size)
    else:
        source = file_source(roots, config, follow_symlinks=config.follow_symlinks)
    report = scan(config, [source])
    finish(ctx, report, config, values)


def _stdin_source(name: str | None, max_file_size: int) -> Any:
    from scanner.sources.stdin import DEFAULT_NAME, StdinSource

    return StdinSource(sys.stdin.buffer, name or DEFAULT_NAME, max_file_size)
