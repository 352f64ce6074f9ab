"""`keysweep scan PATH...`: files and folders, or standard input (`-`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from scanner.cli.compat_flags import gitleaks_flags
from scanner.cli.options import build_config, config_root, file_source, finish, scan_options
from scanner.errors import ConfigError

if TYPE_CHECKING:
    from scanner.sources import Source


@click.command("scan")
@gitleaks_flags
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, allow_dash=True))
@click.option("--follow-symlinks", is_flag=True, help="Follow symbolic links (loops are detected).")
@click.option(
    "--stdin-name",
    metavar="NAME",
    help="The path to report for standard input (`scan -`; default: <stdin>).",
)
@click.option(
    "--git-history/--no-git-history",
    default=True,
    show_default=True,
    help="Also scan the full history of every git repository found under the folders.",
)
@scan_options
@click.pass_context
def command(
    ctx: click.Context,
    /,
    paths: tuple[Path, ...],
    follow_symlinks: bool,
    stdin_name: str | None,
    git_history: bool,
    **values: Any,
) -> None:
    """Scan files and folders (default: the current folder) for keys and credentials;
    `-` reads standard input."""
    from scanner.pipeline import scan

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
    sources: list[Source] = [source]
    folders = [] if stdin else [p for p in roots if p.is_dir()]
    if git_history and folders:  # a hook passing file names never looks for repositories
        from scanner.sources.gitstores import GitStores

        sources.append(GitStores(folders, config.exclude, config.exclude, config.max_file_size))
    report = scan(config, sources)
    finish(ctx, report, config, values)


def _stdin_source(name: str | None, max_file_size: int) -> Any:
    from scanner.sources.stdin import DEFAULT_NAME, StdinSource

    return StdinSource(sys.stdin.buffer, name or DEFAULT_NAME, max_file_size)
