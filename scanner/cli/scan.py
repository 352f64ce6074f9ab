"""`keysweep scan PATH...`: files and folders."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from scanner.cli.options import build_config, finish, scan_options

if TYPE_CHECKING:
    from scanner.sources import Source


@click.command("scan")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--follow-symlinks", is_flag=True, help="Follow symbolic links (loops are detected).")
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
    git_history: bool,
    **values: Any,
) -> None:
    """Scan files and folders (default: the current folder) for keys and credentials."""
    from scanner.scan import scan
    from scanner.sources.files import FileSource

    roots = list(paths) or [Path(".")]
    root = roots[0] if len(roots) == 1 and roots[0].is_dir() else Path(".")
    config = build_config(root, values, follow_symlinks=follow_symlinks or None)
    source = FileSource(
        roots,
        exclude=config.exclude,
        follow_symlinks=config.follow_symlinks,
        max_file_size=config.max_file_size,
    )
    sources: list[Source] = [source]
    folders = [p for p in roots if p.is_dir()]
    if git_history and folders:  # a hook passing file names never looks for repositories
        from scanner.sources.gitstores import GitStores

        sources.append(GitStores(folders, config.exclude, config.exclude, config.max_file_size))
    report = scan(config, sources)
    finish(ctx, report, config, values)
